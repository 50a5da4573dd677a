//! `GET /api/intake/credentials?hours=24` (`hours` 1–720): which configured webhook secret
//! or key proved the authentic deliveries of the last `hours` hours, by variable and
//! 1-based position, never by value, with the count and the start of the last minute each
//! was used. An operator rotating a secret keeps the old and the new value configured and
//! removes the old one once this no longer lists it (docs/operations.md, "Rotating
//! secrets"). `/metrics` reports the same over 24 hours ([`recent`]).

use serde_json::{json, Value};
use tds_core::credential::CredentialRef;
use tds_guest::db::{Db, DbError};
use tds_guest::stats::{self, CredentialUse};

use crate::api::{db, Answer, ApiResult, Ctx};

/// The window `/metrics` reports and the route's default, in hours.
pub const METRICS_WINDOW_HOURS: u32 = 24;

pub fn list(ctx: &Ctx) -> ApiResult {
    let params = ctx.params(&["hours"])?;
    let hours = params.int("hours", i64::from(METRICS_WINDOW_HOURS), 1, 720)?;
    let used = recent(&db()?, hours as u32)?;
    let credentials: Vec<Value> = used
        .iter()
        .map(|(credential, usage)| {
            json!({
                "variable": credential.variable.as_str(),
                "position": credential.position,
                "deliveries": usage.deliveries,
                "last_used_at": usage.last_used_at,
            })
        })
        .collect();
    Answer::ok(json!({"window_hours": hours, "credentials": credentials}))
}

/// The credentials used in the last `hours` hours, each with its use. A label that names no
/// credential (written by another version) is left out.
pub fn recent(db: &Db, hours: u32) -> Result<Vec<(CredentialRef, CredentialUse)>, DbError> {
    let mut used: Vec<(CredentialRef, CredentialUse)> = stats::intake_credentials(db, hours)?
        .into_iter()
        .filter_map(|usage| Some((CredentialRef::parse_label(&usage.credential)?, usage)))
        .collect();
    used.sort_by_key(|(credential, _)| *credential);
    Ok(used)
}
