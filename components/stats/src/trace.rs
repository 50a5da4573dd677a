//! `GET /api/trace?event_id=…` or `?correlation_id=…` (exactly one): everything TDS did
//! with one delivery — its inbox event(s), the queue rows that carried them, every
//! processing attempt, the audit rows of the ERP changes they made and any dead letters.
//! 404 when nothing at all is stored for it.

use serde_json::{json, Value};
use tds_core::query::ParamError;
use tds_guest::db::param;
use tds_store::trace;

use crate::api::{db, parse_json, Answer, ApiError, ApiResult, Ctx};

pub fn get(ctx: &Ctx) -> ApiResult {
    let params = ctx.params(&["event_id", "correlation_id"])?;
    let event_id = params.opt_int("event_id", 1, i64::MAX)?;
    let correlation_id = params.text("correlation_id").map(str::to_string);
    let (ids, correlation, key) = match (event_id, correlation_id) {
        (Some(id), None) => (
            vec![id],
            None,
            json!({"event_id": id, "correlation_id": null}),
        ),
        (None, Some(c)) => (
            Vec::new(),
            Some(c.clone()),
            json!({"event_id": null, "correlation_id": c}),
        ),
        (Some(_), Some(_)) => {
            return Err(
                ParamError::new("event_id", "give event_id or correlation_id, not both").into(),
            )
        }
        (None, None) => {
            return Err(ParamError::new("event_id", "give event_id or correlation_id").into())
        }
    };
    let db = db()?;
    let section = |sql: &str| -> Result<Value, ApiError> {
        let rows = db.query(
            sql,
            &[
                param::int8_array(ids.clone()),
                param::opt_text(correlation.clone()),
            ],
        )?;
        parse_json(&rows.expect_row()?.text(0)?)
    };
    let inbox = section(trace::INBOX)?;
    let queue = section(trace::QUEUE)?;
    let sync_log = section(trace::SYNC_LOG)?;
    let audit = section(trace::AUDIT)?;
    let dead_letters = section(trace::DEAD_LETTERS)?;
    let found = [&inbox, &queue, &sync_log, &audit, &dead_letters]
        .iter()
        .any(|s| s.as_array().is_some_and(|a| !a.is_empty()));
    if !found {
        return Err(ApiError::not_found(match &correlation {
            Some(c) => format!("nothing is stored for correlation id {c:?}"),
            None => format!("nothing is stored for inbox event {}", ids[0]),
        }));
    }
    Answer::ok(json!({
        "trace": key,
        "inbox_events": inbox,
        "queue": queue,
        "sync_log": sync_log,
        "audit": audit,
        "dead_letters": dead_letters,
    }))
}
