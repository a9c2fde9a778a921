//! The one place the CLI reads the clock; everything below takes `now` as an argument.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::CliError;

pub(crate) fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

pub(crate) fn parse_rfc3339(text: &str) -> Result<i64, CliError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|e| CliError::Usage(format!("--now {text:?} is not RFC 3339: {e}")))
}

pub(crate) fn format(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}
