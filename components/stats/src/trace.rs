//! `GET /api/trace?event_id=…` and/or `?correlation_id=…`: everything TDS did with one
//! delivery — its inbox event(s), the queue rows that carried them, every processing
//! attempt, the audit rows of the ERP changes they made and any dead letters (with both
//! parameters, both deliveries' rows). 404 when nothing at all is stored for it, or when
//! neither parameter names a delivery.

use serde_json::json;
use tds_core::ids::InboxEventId;
use tds_guest::http::HttpError;
use tds_guest::trace::{self, Delivery};

use crate::api::{db, parse_json, Answer, ApiResult, Ctx};

pub fn get(ctx: &Ctx) -> ApiResult {
    let params = ctx.params(&["event_id", "correlation_id"])?;
    let event_id = params.opt_int("event_id", 1, i64::MAX)?;
    let correlation_id = params.text("correlation_id").map(str::to_string);
    if event_id.is_none() && correlation_id.is_none() {
        return Err(HttpError::not_found(
            "/api/trace names a delivery: give event_id, correlation_id or both",
        ));
    }
    let key = json!({"event_id": event_id, "correlation_id": correlation_id});
    let ids: Vec<InboxEventId> = event_id.map(InboxEventId).into_iter().collect();
    let correlation = correlation_id;
    let db = db()?;
    let delivery = Delivery {
        inbox_event_ids: &ids,
        correlation_id: correlation.as_deref(),
    };
    let inbox = parse_json(&trace::inbox(&db, &delivery)?)?;
    let queue = parse_json(&trace::queue(&db, &delivery)?)?;
    let sync_log = parse_json(&trace::sync_log(&db, &delivery)?)?;
    let audit = parse_json(&trace::audit(&db, &delivery)?)?;
    let dead_letters = parse_json(&trace::dead_letters(&db, &delivery)?)?;
    let found = [&inbox, &queue, &sync_log, &audit, &dead_letters]
        .iter()
        .any(|s| s.as_array().is_some_and(|a| !a.is_empty()));
    if !found {
        return Err(HttpError::not_found(match &correlation {
            Some(c) => format!("nothing is stored for correlation id {c:?}"),
            None => format!("nothing is stored for inbox event {}", ids[0].0),
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
