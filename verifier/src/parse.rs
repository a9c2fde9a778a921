//! Step 1: split and decode the presentation within the budgets. Nothing is trusted yet.

use dojang_vc::{Budget, SdJwt};

use crate::VerifyError;

pub(crate) fn parse(input: &str, budget: &Budget) -> Result<SdJwt, VerifyError> {
    Ok(SdJwt::parse(input, budget)?)
}

pub(crate) fn describe(sd: &SdJwt) -> String {
    format!(
        "{} disclosure(s), {}",
        sd.disclosures().len(),
        if sd.key_binding().is_some() {
            "with a KB-JWT"
        } else {
            "without a KB-JWT"
        }
    )
}
