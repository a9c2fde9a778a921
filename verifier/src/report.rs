//! The report of every check made, in order: what a user or auditor reads to see why.

use serde::Serialize;

/// One check of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The pipeline step (`parse`, `header`, `trust`, `signature`, `validity`, `disclosures`,
    /// `key_binding`, `nonce`, `policy`).
    pub step: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What was checked, or why it failed. Never a personal claim value.
    pub detail: String,
}

/// The checks made so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Report {
    checks: Vec<Check>,
}

impl Report {
    pub(crate) fn with_capacity(checks: usize) -> Self {
        Self {
            checks: Vec::with_capacity(checks),
        }
    }

    pub(crate) fn pass(&mut self, step: &'static str, detail: impl Into<String>) {
        self.checks.push(Check {
            step,
            ok: true,
            detail: detail.into(),
        });
    }

    pub(crate) fn fail(&mut self, step: &'static str, detail: impl Into<String>) {
        self.checks.push(Check {
            step,
            ok: false,
            detail: detail.into(),
        });
    }

    /// The checks, in the order made.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }
}
