//! What happens to credentials after issuance: revocation and suspension, published status
//! lists, log checkpoints and inclusion proofs, and register events that make credentials stale.

use std::collections::BTreeSet;

use dojang_vc::log::verify_checkpoint;
pub use dojang_vc::log_inclusion::LogInclusion;
use dojang_vc::status_list::Status;
use dojang_vc::{Budget, VerificationKey};
use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional as _;

use crate::events::{apply_event, RegisterEvent};
use crate::issuance::Issuer;
use crate::records::IssuanceRecord;
use crate::signer::IssuerSigner;
use crate::IssuerError;

/// The outcome of a register event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventOutcome {
    /// What changed, by register id only.
    pub summary: String,
    /// Credential numbers made invalid in the same durable step.
    pub revoked: Vec<String>,
}

impl<S: IssuerSigner> Issuer<S> {
    /// The record of credential `number`.
    pub fn record(&self, number: &str) -> Result<IssuanceRecord, IssuerError> {
        self.records()
            .get(number)?
            .ok_or_else(|| IssuerError::RecordNotFound {
                number: number.to_owned(),
            })
    }

    /// Sets the status of credential `number` (revoke: `Invalid`, suspend: `Suspended`,
    /// reinstate: `Valid`) at `now` for `cause`, with its history entry, in one durable step;
    /// returns the previous status. Revocation is final.
    pub fn set_status(
        &self,
        number: &str,
        status: Status,
        now: i64,
        cause: &str,
    ) -> Result<Status, IssuerError> {
        let (list, idx) = status_position(&self.record(number)?)?;
        let (_, entries) = self.status_lists().trees();
        let previous = (entries, &self.history)
            .transaction(|(entries, history)| {
                let previous = crate::status::StatusLists::set_tx(entries, list, idx, status)?;
                append_history(history, number, previous, status, now, cause)?;
                Ok(previous)
            })
            .map_err(from_tx)?;
        self.flush()?;
        Ok(previous)
    }

    /// Every status change of credential `number`, oldest first. Issuance (valid) is the first.
    pub fn status_history(&self, number: &str) -> Result<Vec<StatusChange>, IssuerError> {
        let record = self.record(number)?;
        let mut changes = vec![StatusChange {
            at: record.issued_at,
            from: None,
            to: Status::Valid.name().to_owned(),
            cause: "issued".to_owned(),
        }];
        if let Some(bytes) = self.history.get(number.as_bytes())? {
            let later: Vec<StatusChange> =
                serde_json::from_slice(&bytes).map_err(|e| IssuerError::Corrupt {
                    what: "status history",
                    reason: e.to_string(),
                })?;
            changes.extend(later);
        }
        Ok(changes)
    }

    /// A signed Status List Token for list `list`, valid for `valid_for` seconds, to be cached
    /// by verifiers for `ttl` seconds.
    pub fn status_list_token(
        &self,
        list: u32,
        now: i64,
        ttl: i64,
        valid_for: i64,
    ) -> Result<String, IssuerError> {
        self.status_lists().token(
            list,
            self.did(),
            self.kid(),
            self.signer(),
            now,
            ttl,
            valid_for,
        )
    }

    /// Signs and stores a checkpoint of the log as it is now.
    pub fn checkpoint(&self, now: i64) -> Result<String, IssuerError> {
        self.log()
            .checkpoint(self.did(), self.kid(), self.signer(), now)
    }

    /// Signs and stores a checkpoint of the log as it is now, without flushing: its JWT and tree
    /// size. The caller flushes before handing it out.
    pub(crate) fn stage_checkpoint(&self, now: i64) -> Result<(String, u64), IssuerError> {
        self.log()
            .stage_checkpoint(self.did(), self.kid(), self.signer(), now)
    }

    /// The inclusion proof of the leaf at `index` against `checkpoint`, a checkpoint this issuer
    /// just signed at `tree_size` (so not verified again).
    pub(crate) fn inclusion_at(
        &self,
        index: u64,
        checkpoint: &str,
        tree_size: u64,
    ) -> Result<LogInclusion, IssuerError> {
        let leaf = self
            .log()
            .leaf(index)?
            .ok_or(IssuerError::LogIndexOutOfRange { index, tree_size })?;
        Ok(LogInclusion {
            leaf,
            proof: self.log().inclusion_proof(index, tree_size)?,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// The inclusion proof of credential `number` against the newest checkpoint, signing a new
    /// checkpoint first when the newest one does not cover the credential yet.
    pub fn log_inclusion(&self, number: &str, now: i64) -> Result<LogInclusion, IssuerError> {
        let record = self.record(number)?;
        let index = record
            .log_index
            .ok_or_else(|| IssuerError::RecordNotFound {
                number: number.to_owned(),
            })?;
        let key = VerificationKey::Ed25519(self.public_key());
        let budget = Budget::default();
        // A checkpoint signed with an earlier key (before a rotation) or too small to cover the
        // leaf is replaced by a fresh one signed now.
        let covering = match self.log().latest_checkpoint()? {
            Some(cp)
                if verify_checkpoint(&cp, &key, &budget).is_ok_and(|c| c.tree_size > index) =>
            {
                cp
            }
            _ => self.checkpoint(now)?,
        };
        let size = verify_checkpoint(&covering, &key, &budget)?.tree_size;
        let leaf = self
            .log()
            .leaf(index)?
            .ok_or_else(|| IssuerError::RecordNotFound {
                number: number.to_owned(),
            })?;
        Ok(LogInclusion {
            leaf,
            proof: self.log().inclusion_proof(index, size)?,
            checkpoint: covering,
        })
    }

    /// Applies a register event and, in the same durable step (one sled transaction over the
    /// register and the status entries, flushed before returning), marks every credential it
    /// makes stale as invalid. Says which ones.
    ///
    /// It waits for the batches of issuance that have read the register to commit, and holds
    /// off new ones until it is done: a batch builds its claims before its transaction, so an
    /// event committed in between would leave that batch's credentials stale without revoking
    /// them.
    pub fn apply_event(
        &self,
        event: &RegisterEvent,
        now: i64,
    ) -> Result<EventOutcome, IssuerError> {
        let _no_issuance = self
            .register_gate
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let effect = apply_event(&self.register().export()?, event)?;
        let prepared = self.register().prepare_replace(&effect.register)?;
        let mut stale = Vec::new();
        for record in self.records().list()? {
            let shown: BTreeSet<&str> = record.covers.iter().map(String::as_str).collect();
            let hit = effect.stale.iter().any(|set| {
                set.vct == record.vct && set.persons.iter().any(|p| shown.contains(p.as_str()))
            });
            if !hit {
                continue;
            }
            let (list, idx) = status_position(&record)?;
            if self.status_lists().status(list, idx)? != Some(Status::Invalid) {
                stale.push((record.document_number.clone(), list, idx));
            }
        }
        let [persons, households, families, rrn_index] = self.register().trees();
        let (_, entries) = self.status_lists().trees();
        let trees = [
            persons,
            households,
            families,
            rrn_index,
            entries,
            &self.history,
        ];
        let cause = format!("register event {}", event.kind());
        trees[..]
            .transaction(|views| {
                prepared.apply_tx(&views[..4])?;
                for (number, list, idx) in &stale {
                    let previous = crate::status::StatusLists::set_tx(
                        &views[4],
                        *list,
                        *idx,
                        Status::Invalid,
                    )?;
                    append_history(&views[5], number, previous, Status::Invalid, now, &cause)?;
                }
                Ok::<(), ConflictableTransactionError<IssuerError>>(())
            })
            .map_err(from_tx)?;
        self.flush()?;
        Ok(EventOutcome {
            summary: effect.summary,
            revoked: stale.into_iter().map(|(n, _, _)| n).collect(),
        })
    }
}

/// One change of a credential's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StatusChange {
    /// When, seconds since the epoch.
    pub at: i64,
    /// The status before (`None` at issuance).
    pub from: Option<String>,
    /// The status after.
    pub to: String,
    /// Why: `issued`, `revoke`, `suspend`, `reinstate`, or `register event move_in` and so on.
    pub cause: String,
}

fn append_history(
    history: &sled::transaction::TransactionalTree,
    number: &str,
    from: Status,
    to: Status,
    at: i64,
    cause: &str,
) -> Result<(), ConflictableTransactionError<IssuerError>> {
    let corrupt = |e: serde_json::Error| {
        ConflictableTransactionError::Abort(IssuerError::Corrupt {
            what: "status history",
            reason: e.to_string(),
        })
    };
    let mut changes: Vec<StatusChange> = match history.get(number.as_bytes())? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(corrupt)?,
        None => Vec::new(),
    };
    changes.push(StatusChange {
        at,
        from: Some(from.name().to_owned()),
        to: to.name().to_owned(),
        cause: cause.to_owned(),
    });
    history.insert(
        number.as_bytes(),
        serde_json::to_vec(&changes).map_err(corrupt)?,
    )?;
    Ok(())
}

fn from_tx(e: TransactionError<IssuerError>) -> IssuerError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(source) => IssuerError::Storage { source },
    }
}

/// The (list id, index) a record's status lives at.
fn status_position(record: &IssuanceRecord) -> Result<(u32, u32), IssuerError> {
    let missing = || IssuerError::RecordNotFound {
        number: record.document_number.clone(),
    };
    let uri = record.status_uri.as_deref().ok_or_else(missing)?;
    let idx = record.status_idx.ok_or_else(missing)?;
    let list = uri
        .rsplit('/')
        .next()
        .and_then(|l| l.parse::<u32>().ok())
        .ok_or_else(missing)?;
    let idx = u32::try_from(idx).map_err(|_| missing())?;
    Ok((list, idx))
}
