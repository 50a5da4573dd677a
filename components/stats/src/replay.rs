//! `POST /api/replay`: replays stored inbox events by time range and module, for when the
//! ERP lost changes or a fix must be re-applied. Body: `from`, `to` (timestamps; events
//! received in `[from, to)`), `module` (optional), `limit` (entities, default 1000, at most
//! 10000), `dry_run` (only count); `from` at or after `to` is an empty range. The newest stored version of each entity in the range
//! goes back on the queue through `queue::ENQUEUE_OR_REPOINT`, as intake would queue it;
//! where a newer version is already queued it is superseded. One transaction.

use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_core::query::timestamp;
use tds_guest::db::param;
use tds_guest::http::HttpError;
use tds_guest::log::Logger;
use tds_guest::vars;
use tds_store::{queue, replay};

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
    let module = body_text(&body, "module")?;
    if let Some(m) = &module {
        Module::from_name(m).ok_or_else(|| {
            HttpError::invalid_body(format!("module: {m:?} is not a module TDS syncs"))
        })?;
    }
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
    let max_attempts =
        vars::positive("max_attempts", 8).map_err(|e| HttpError::new(503, "not_configured", e))?;
    let range = [
        param::text(&from),
        param::text(&to),
        param::opt_text(module.clone()),
    ];
    let db = db()?;
    db.begin()?;
    let counts = db.query(replay::COUNT_IN_RANGE, &range)?;
    let counts = counts.expect_row()?;
    let (events, entities) = (counts.int8(0)?, counts.int8(1)?);
    let mut params = range.to_vec();
    params.push(param::int4(limit as i32));
    let candidates = db.query(replay::LATEST_PER_ENTITY, &params)?;
    let (mut queued, mut repointed, mut superseded, mut considered) = (0, 0, 0, 0);
    for row in candidates.iter() {
        considered += 1;
        if dry_run {
            continue;
        }
        let module_name = row.text(1)?;
        let Some(spec) = Module::from_name(&module_name).map(Module::spec) else {
            continue;
        };
        let result = db.query(
            queue::ENQUEUE_OR_REPOINT,
            &[
                param::text(spec.name),
                param::text(row.text(2)?),
                param::text(spec.lane.as_str()),
                param::int4(spec.priority),
                param::text(row.text(3)?),
                param::int8(row.int8(0)?),
                param::text(row.text(4)?),
                param::int4(max_attempts),
                param::opt_text(row.opt_text(5)?),
            ],
        );
        match result {
            Ok(rows) => match rows.first() {
                Some(q) if q.boolean(1)? => queued += 1,
                Some(_) => repointed += 1,
                None => superseded += 1,
            },
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
        "module": module,
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
