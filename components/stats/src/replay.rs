//! `POST /api/replay`: replays stored inbox events by time range and module, for when the
//! ERP lost changes or a fix must be re-applied. Body: `from`, `to` (timestamps; events
//! received in `[from, to)`), `module` (optional), `limit` (entities, default 1000, at most
//! 10000), `dry_run` (only count); `from` at or after `to` is an empty range. The newest stored version of each entity in the range
//! goes back on the queue through `queue::ENQUEUE_OR_REPOINT`, as intake would queue it;
//! where a newer version is already queued it is superseded. One transaction.

use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_core::query::timestamp;
use tds_core::variables;
use tds_guest::http::HttpError;
use tds_guest::log::Logger;
use tds_guest::queue::{enqueue_or_repoint, EnqueueOrRepoint};
use tds_guest::replay::{self, LatestPerEntity, Range};
use tds_guest::vars;

use crate::api::{actor, body_int, body_text, db, only_fields, Answer, ApiResult, Ctx};

const DEFAULT_LIMIT: i64 = 1000;
const MAX_LIMIT: i64 = 10_000;

pub fn inbox(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    let body = ctx.body()?;
    only_fields(&body, &["from", "to", "module", "limit", "dry_run", "by"])?;
    let time = |name: &str| -> Result<String, HttpError> {
        let text = body_text(&body, name)?
            .ok_or_else(|| HttpError::invalid_body(format!("{name} is required (a timestamp)")))?;
        timestamp(name, &text).map_err(|e| HttpError::invalid_body(e.to_string()))
    };
    let (from, to) = (time("from")?, time("to")?);
    let module = body_text(&body, "module")?
        .map(|m| {
            Module::from_name(&m).ok_or_else(|| {
                HttpError::invalid_body(format!("module: {m:?} is not a module TDS syncs"))
            })
        })
        .transpose()?;
    let limit = body_int(&body, "limit", DEFAULT_LIMIT, (1, MAX_LIMIT))?;
    let dry_run = match body.get("dry_run") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(HttpError::invalid_body(format!(
                "dry_run must be true or false, not {v}"
            )))
        }
    };
    let by = actor(&body)?;
    let max_attempts = vars::read(&variables::MAX_ATTEMPTS)?;
    let range = Range {
        from: &from,
        to: &to,
        module,
    };
    let db = db()?;
    db.begin()?;
    let counts = replay::count_in_range(&db, &range)?;
    let (events, entities) = (counts.events, counts.entities);
    let latest = LatestPerEntity {
        range: &range,
        limit: limit as u32,
    };
    let candidates = replay::latest_per_entity(&db, &latest)?;
    let (mut queued, mut repointed, mut superseded, mut considered) = (0, 0, 0, 0);
    for event in &candidates {
        considered += 1;
        if dry_run {
            continue;
        }
        let Ok(module) = event.module else {
            continue;
        };
        let enqueue = EnqueueOrRepoint {
            module,
            entity_id: &event.entity_id,
            operation: event.operation,
            inbox_event_id: event.id,
            source_modified_at: &event.source_modified_at,
            max_attempts,
            correlation_id: &event.correlation_id,
        };
        match enqueue_or_repoint(&db, &enqueue) {
            Ok(Some(q)) if q.inserted => queued += 1,
            Ok(Some(_)) => repointed += 1,
            Ok(None) => superseded += 1,
            Err(e) => {
                db.rollback()?;
                return Err(e.into());
            }
        }
    }
    db.commit()?;
    let answer = json!({
        "from": from,
        "to": to,
        "module": module.map(Module::as_str),
        "dry_run": dry_run,
        "events_in_range": events,
        "entities": entities,
        "considered": considered,
        "queued": queued,
        "repointed": repointed,
        "superseded": superseded,
        "more": entities > considered,
    });
    if !dry_run {
        Logger::new("stats", &ctx.request_id)
            .info("inbox events replayed", json!({"by": by, "replay": answer}));
    }
    Answer::ok(answer)
}
