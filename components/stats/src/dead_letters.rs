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
use tds_core::entity::{Lane, Module};
use tds_core::ids::{DeadLetterId, QueueId};
use tds_core::query::{choose, timestamp, Params};
use tds_core::variables;
use tds_guest::db::Db;
use tds_guest::dead_letters::{self, List, LockForReplay, MarkReplayed, Resolve, Show};
use tds_guest::http::HttpError;
use tds_guest::log::Logger;
use tds_guest::queue::{enqueue_or_repoint, EnqueueOrRepoint};
use tds_guest::vars;

use crate::api::{
    actor, body_int, body_text, cursor_before, db, json_items, limit, only_fields, page,
    parse_json, path_id, Answer, ApiResult, Ctx,
};
use crate::cursor::scope;

pub const ERROR_CLASSES: [&str; 3] = ["invalid", "permanent", "transient"];
/// The most dead letters one replay-by-filter call replays.
const MAX_REPLAY_BATCH: i64 = 500;

/// The filters both the listing and replay-by-filter take.
#[derive(Default)]
struct Filter {
    module: Option<Module>,
    lane: Option<Lane>,
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
        let module = get("module")?
            .map(|m| {
                Module::from_name(&m)
                    .ok_or_else(|| bad("module", format!("{m:?} is not a module TDS syncs")))
            })
            .transpose()?;
        let lane = get("lane")?
            .map(|l| {
                Lane::from_name(&l).ok_or_else(|| {
                    bad(
                        "lane",
                        format!("{l:?} is not a lane (sales, catalog, purchases, inventory)"),
                    )
                })
            })
            .transpose()?;
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
        let known = [self.module.map(Module::as_str), self.lane.map(Lane::as_str)];
        let given = [
            &self.error_class,
            &self.error_code,
            &self.entity_id,
            &self.since,
            &self.until,
        ]
        .map(Option::as_deref);
        known
            .into_iter()
            .chain(given)
            .map(|v| v.unwrap_or(""))
            .collect()
    }

    /// Lists the dead letters in `state` matching this filter, one more than `limit`.
    fn list(
        &self,
        db: &Db,
        state: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, Value)>, HttpError> {
        let listed = dead_letters::list(
            db,
            &List {
                state,
                module: self.module,
                lane: self.lane,
                error_class: self.error_class.as_deref(),
                error_code: self.error_code.as_deref(),
                entity_id: self.entity_id.as_deref(),
                since: self.since.as_deref(),
                until: self.until.as_deref(),
                before: before.map(DeadLetterId),
                limit: limit as u32 + 1,
            },
        )?;
        json_items(listed.into_iter().map(|l| (l.id.0, l.dead_letter)))
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
    let show = Show {
        id: DeadLetterId(id),
    };
    let letter = dead_letters::show(&db, &show)?
        .ok_or_else(|| HttpError::not_found(format!("no dead letter {id}")))?;
    Answer::ok(json!({"dead_letter": parse_json(&letter)?}))
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
    let letter_id = DeadLetterId(id);
    let resolve = Resolve {
        id: letter_id,
        by: &by,
        note: &note,
    };
    match dead_letters::resolve(&db, &resolve)? {
        Some(letter) => Answer::ok(json!({"dead_letter": parse_json(&letter)?})),
        None if dead_letters::show(&db, &Show { id: letter_id })?.is_none() => {
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
    let letter_id = DeadLetterId(id);
    let source = dead_letters::lock_for_replay(db, &LockForReplay { id: letter_id })?
        .ok_or_else(|| HttpError::not_found(format!("no dead letter {id}")))?;
    let Some(event) = source.event else {
        return Err(HttpError::conflict(
            "inbox_event_gone",
            format!("dead letter {id}: its inbox event is no longer stored (retention), so there is nothing to replay"),
        ));
    };
    let entity_id = event.entity_id.ok_or_else(|| {
        HttpError::conflict(
            "not_replayable",
            format!("dead letter {id}: its event has no entity id (invalid at intake); fix it at the source"),
        )
    })?;
    let module = event.module.map_err(|module_name| {
        HttpError::conflict(
            "not_replayable",
            format!("dead letter {id}: module {module_name:?} is not synced"),
        )
    })?;
    let max_attempts = match source.max_attempts {
        Some(n) => n,
        None => vars::read(&variables::MAX_ATTEMPTS)?,
    };
    let enqueue = EnqueueOrRepoint {
        module,
        entity_id: &entity_id,
        operation: event.operation,
        inbox_event_id: source.inbox_event_id,
        source_modified_at: &event.source_modified_at,
        max_attempts,
        correlation_id: &event.correlation_id,
    };
    let (outcome, queue_id, resolution) = match enqueue_or_repoint(db, &enqueue)? {
        Some(q) if q.inserted => (
            "queued",
            Some(q.id),
            format!("replayed: queued as row {}", q.id.0),
        ),
        Some(q) => (
            "repointed",
            Some(q.id),
            format!("replayed: re-pointed queue row {}", q.id.0),
        ),
        None => (
            "superseded",
            None,
            "replayed: superseded, a newer version of the entity is already queued".to_string(),
        ),
    };
    let mark = MarkReplayed {
        id: letter_id,
        by,
        resolution: &resolution,
        queue_id,
    };
    let letter = parse_json(&dead_letters::mark_replayed(db, &mark)?)?;
    let queue_id = queue_id.map(|QueueId(n)| n);
    Ok(json!({"outcome": outcome, "queue_id": queue_id, "dead_letter": letter}))
}
