//! Step 2: the issuer JWT's header and identity, read before the signature only to find the key.
//!
//! `typ` must be `dc+sd-jwt` (or the older `vc+sd-jwt`); `iss` and `vct` must be present; the
//! header `kid`, if any, must be a DID URL of the `iss` DID.

use dojang_vc::{sd_jwt_vc, Jws, VcError};

use crate::VerifyError;

/// Who claims to have issued what, before the signature proves it.
pub(crate) struct Claimed {
    pub(crate) iss: String,
    pub(crate) vct: String,
    pub(crate) kid: Option<String>,
    pub(crate) iat: i64,
}

/// Reads the issuer JWT `jwt`'s claimed identity.
pub(crate) fn read(jwt: &Jws) -> Result<Claimed, VerifyError> {
    sd_jwt_vc::check_typ(jwt)?;
    let payload = jwt.unverified_payload();
    let iss = sd_jwt_vc::issuer(payload)?.to_owned();
    let vct = sd_jwt_vc::vct(payload)?.to_owned();
    let kid = sd_jwt_vc::check_kid(jwt, &iss)?;
    let iat = match payload.get("iat") {
        None => return Err(VcError::MissingClaim { claim: "iat" }.into()),
        Some(v) => v.as_i64().ok_or(VcError::InvalidClaim {
            claim: "iat",
            reason: "must be an integer NumericDate",
        })?,
    };
    Ok(Claimed { iss, vct, kid, iat })
}
