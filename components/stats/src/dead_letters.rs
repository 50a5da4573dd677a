//! Dead letters: `GET /api/dead-letters` (filters, cursor pages, newest first),
//! `GET /api/dead-letters/{id}`, `POST /api/dead-letters/{id}/replay`,
//! `POST /api/dead-letters/replay` (open dead letters matching a filter, bounded) and
//! `POST /api/dead-letters/{id}/resolve` (with a note).
//!
//! A replay puts the dead letter's inbox event back on the queue with
//! `queue::ENQUEUE_OR_REPOINT`, exactly as intake queues an event: a new pending row, or
//! the entity's unclaimed row re-pointed at it; when a newer version of the entity is
//! already queued the replay is superseded (the newer version will be applied). In the
//! same transaction the dead letter is marked replayed — resolved, `replay_count` + 1,
//! `last_replayed_at`, `replay_queue_id`. Nothing here writes queue state by hand.

use serde_json::{json, Value};
use tds_core::cursor::scope;
use tds_core::entity::{Lane, Module};
use tds_core::query::{choose, timestamp, Params};
use tds_guest::db::{param, Db};
use tds_guest::http::HttpError;
use tds_guest::log::Logger;
use tds_guest::vars;
use tds_store::{dead_letters, queue};

use crate::api::{
    actor, body_int, body_text, cursor_before, db, id_json_rows, limit, only_fields, page,
    parse_json, path_id, Answer, ApiResult, Ctx,
};

pub const ERROR_CLASSES: [&str; 3] = ["invalid", "permanent", "transient"];
const DEFAULT_MAX_ATTEMPTS: i32 = 8;
/// The most dead letters one replay-by-filter call replays.
const MAX_REPLAY_BATCH: i64 = 500;

/// The filters both the listing and replay-by-filter take.
#[derive(Default)]
struct Filter {
    module: Option<String>,
    lane: Option<String>,
    error_class: Option<String>,
    error_code: Option<String>,
    entity_id: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

impl Filter {
    /// Reads and checks the filter fields through `get` (query or body).
    fn read(
        get: impl Fn(&str) -> Result<Option<String>, HttpError>,
        bad: impl Fn(&str, String) -> HttpError,
    ) -> Result<Filter, HttpError> {
        let module = get("module")?;
        if let Some(m) = &module {
            Module::from_name(m)
                .ok_or_else(|| bad("module", format!("{m:?} is not a module TDS syncs")))?;
        }
        let lane = get("lane")?;
        if let Some(l) = &lane {
            Lane::from_name(l).ok_or_else(|| {
                bad(
                    "lane",
                    format!("{l:?} is not a lane (sales, catalog, purchases, inventory)"),
                )
            })?;
        }
        let error_class = get("error_class")?;
        if let Some(c) = &error_class {
            choose("error_class", c, &ERROR_CLASSES).map_err(|e| bad("error_class", e.message))?;
        }
        let time = |name: &str| -> Result<Option<String>, HttpError> {
            get(name)?
                .map(|t| timestamp(name, &t).map_err(|e| bad(name, e.message)))
                .transpose()
        };
        Ok(Filter {
            module,
            lane,
            error_class,
            error_code: get("error_code")?,
            entity_id: get("entity_id")?,
            since: time("since")?,
            until: time("until")?,
        })
    }

    fn parts(&self) -> Vec<&str> {
        [
            &self.module,
            &self.lane,
            &self.error_class,
            &self.error_code,
            &self.entity_id,
            &self.since,
            &self.until,
        ]
        .iter()
        .map(|v| v.as_deref().unwrap_or(""))
        .collect()
    }

    /// Runs `dead_letters::LIST` with this filter.
    fn list(
        &self,
        db: &Db,
        state: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, Value)>, HttpError> {
        let rows = db.query(
            dead_letters::LIST,
            &[
                param::text(state),
                param::opt_text(self.module.clone()),
                param::opt_text(self.lane.clone()),
                param::opt_text(self.error_class.clone()),
                param::opt_text(self.error_code.clone()),
                param::opt_text(self.entity_id.clone()),
                param::opt_text(self.since.clone()),
                param::opt_text(self.until.clone()),
                param::opt_int8(before),
                param::int4(limit as i32 + 1),
            ],
        )?;
        id_json_rows(&rows)
    }
}

const FILTERS: [&str; 7] = [
    "module",
    "lane",
    "error_class",
    "error_code",
    "entity_id",
    "since",
    "until",
];

pub fn list(ctx: &Ctx) -> ApiResult {
    let allowed: Vec<&str> = FILTERS
        .iter()
        .copied()
        .chain(["status", "limit", "cursor"])
        .collect();
    let params: Params = ctx.params(&allowed)?;
    let state = params.one_of("status", &["open", "resolved", "all"], "open")?;
    let filter = Filter::read(
        |name| Ok(params.text(name).map(str::to_string)),
        |name, message| tds_core::query::ParamError::new(name, message).into(),
    )?;
    let limit = limit(&params)?;
    let mut parts = vec!["dead-letters", state];
    parts.extend(filter.parts());
    let scope = scope(&parts);
    let before = cursor_before(&params, scope)?;
    let db = db()?;
    let rows = filter.list(&db, state, before, limit)?;
    Answer::ok(page(rows, limit, scope))
}

pub fn show(ctx: &Ctx, id: &str) -> ApiResult {
    ctx.params(&[])?;
    let id = path_id(id, "dead letter")?;
    let db = db()?;
    let rows = db.query(dead_letters::SHOW, &[param::int8(id)])?;
    let row = rows
        .first()
        .ok_or_else(|| HttpError::not_found(format!("no dead letter {id}")))?;
    Answer::ok(json!({"dead_letter": parse_json(&row.text(0)?)?}))
}

pub fn resolve(ctx: &Ctx, id: &str) -> ApiResult {
    ctx.params(&[])?;
    let id = path_id(id, "dead letter")?;
    let body = ctx.body()?;
    only_fields(&body, &["note", "by"])?;
    let note = body_text(&body, "note")?.ok_or_else(|| {
        HttpError::invalid_body("note is required: say why the dead letter is resolved")
    })?;
    let by = actor(&body)?;
    let db = db()?;
    let rows = db.query(
        dead_letters::RESOLVE,
        &[param::int8(id), param::text(&by), param::text(&note)],
    )?;
    match rows.first() {
        Some(row) => Answer::ok(json!({"dead_letter": parse_json(&row.text(0)?)?})),
        None if db.query(dead_letters::SHOW, &[param::int8(id)])?.is_empty() => {
            Err(HttpError::not_found(format!("no dead letter {id}")))
        }
        None => Err(HttpError::conflict(
            "already_resolved",
            format!("dead letter {id} is already resolved"),
        )),
    }
}

pub fn replay_one(ctx: &Ctx, id: &str) -> ApiResult {
    ctx.params(&[])?;
    let id = path_id(id, "dead letter")?;
    let body = ctx.body()?;
    only_fields(&body, &["by"])?;
    let by = actor(&body)?;
    let db = db()?;
    let replayed = replay(&db, id, &by, &ctx.request_id)?;
    Answer::ok(replayed)
}

pub fn replay_matching(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    let body = ctx.body()?;
    let allowed: Vec<&str> = FILTERS.iter().copied().chain(["limit", "by"]).collect();
    only_fields(&body, &allowed)?;
    let filter = Filter::read(
        |name| body_text(&body, name),
        |name, message| HttpError::invalid_body(format!("{name}: {message}")),
    )?;
    let limit = body_int(&body, "limit", 100, (1, MAX_REPLAY_BATCH))?;
    let by = actor(&body)?;
    let db = db()?;
    let mut matched = filter.list(&db, "open", None, limit)?;
    let more = matched.len() as i64 > limit;
    matched.truncate(limit as usize);
    let mut results = Vec::new();
    let (mut replayed, mut failed) = (0, 0);
    for (id, _) in &matched {
        match replay(&db, *id, &by, &ctx.request_id) {
            Ok(outcome) => {
                replayed += 1;
                results.push(json!({
                    "id": id,
                    "outcome": outcome["outcome"],
                    "queue_id": outcome["queue_id"],
                    "error": null,
                }));
            }
            Err(e) if e.status < 500 => {
                failed += 1;
                results.push(json!({"id": id, "outcome": "failed", "queue_id": null, "error": {"code": e.code, "message": e.message}}));
            }
            Err(e) => return Err(e),
        }
    }
    Answer::ok(json!({
        "matched": matched.len(),
        "replayed": replayed,
        "failed": failed,
        "more": more,
        "results": results,
    }))
}

/// Replays dead letter `id` in one transaction; returns
/// `{"outcome": "queued"|"repointed"|"superseded", "queue_id": …, "dead_letter": {…}}`.
fn replay(db: &Db, id: i64, by: &str, request_id: &str) -> Result<Value, HttpError> {
    db.begin()?;
    let result = replay_in_transaction(db, id, by);
    match &result {
        Ok(_) => db.commit()?,
        Err(_) => db.rollback()?,
    }
    let replayed = result?;
    Logger::new("stats", request_id).info(
        "dead letter replayed",
        json!({"dead_letter_id": id, "outcome": replayed["outcome"], "queue_id": replayed["queue_id"], "by": by}),
    );
    Ok(replayed)
}

fn replay_in_transaction(db: &Db, id: i64, by: &str) -> Result<Value, HttpError> {
    let rows = db.query(dead_letters::LOCK_FOR_REPLAY, &[param::int8(id)])?;
    let row = rows
        .first()
        .ok_or_else(|| HttpError::not_found(format!("no dead letter {id}")))?;
    if !row.boolean(2)? {
        return Err(HttpError::conflict(
            "inbox_event_gone",
            format!("dead letter {id}: its inbox event is no longer stored (retention), so there is nothing to replay"),
        ));
    }
    let module_name = row.text(3)?;
    let entity_id = row.opt_text(4)?.ok_or_else(|| {
        HttpError::conflict(
            "not_replayable",
            format!("dead letter {id}: its event has no entity id (invalid at intake); fix it at the source"),
        )
    })?;
    let module = Module::from_name(&module_name).ok_or_else(|| {
        HttpError::conflict(
            "not_replayable",
            format!("dead letter {id}: module {module_name:?} is not synced"),
        )
    })?;
    let max_attempts = match row.opt_int4(9)? {
        Some(n) => n,
        None => vars::positive("max_attempts", DEFAULT_MAX_ATTEMPTS)
            .map_err(|e| HttpError::new(503, "not_configured", e))?,
    };
    let spec = module.spec();
    let queued = db.query(
        queue::ENQUEUE_OR_REPOINT,
        &[
            param::text(module.as_str()),
            param::text(&entity_id),
            param::text(spec.lane.as_str()),
            param::int4(spec.priority),
            param::text(row.text(5)?),
            param::int8(row.int8(0)?),
            param::text(row.text(6)?),
            param::int4(max_attempts),
            param::opt_text(row.opt_text(7)?),
        ],
    )?;
    let (outcome, queue_id, resolution) = match queued.first() {
        Some(q) if q.boolean(1)? => (
            "queued",
            Some(q.int8(0)?),
            format!("replayed: queued as row {}", q.int8(0)?),
        ),
        Some(q) => (
            "repointed",
            Some(q.int8(0)?),
            format!("replayed: re-pointed queue row {}", q.int8(0)?),
        ),
        None => (
            "superseded",
            None,
            "replayed: superseded, a newer version of the entity is already queued".to_string(),
        ),
    };
    let marked = db.query(
        dead_letters::MARK_REPLAYED,
        &[
            param::int8(id),
            param::text(by),
            param::text(resolution),
            param::opt_int8(queue_id),
        ],
    )?;
    let letter = parse_json(&marked.expect_row()?.text(0)?)?;
    Ok(json!({"outcome": outcome, "queue_id": queue_id, "dead_letter": letter}))
}
