//! Heal: the repair cycle, run by cron and by an authenticated `POST` route
//! (`Authorization: Bearer <stats_token>`) for platforms without cron.
//!
//! Steps so far, each bounded so one run stays short:
//! - reclaim expired leases: up to `heal_reclaim_limit` (tds_config, default 500)
//!   processing rows whose lease has expired go back to the queue as `retry`, due now, with
//!   `last_error_code = 'lease_expired'` – compare-and-set on the lease owner, so a row that
//!   just completed is never touched. A row whose entity already has an unclaimed row
//!   merges into it (see `tds_store::queue`).
//!
//! Every run is recorded in `tds_sync_runs`. Variables: `database_url`, `stats_token`.

use std::time::Instant;

use serde_json::{json, Value};
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;
use tds_guest::db::{param, Db, DbError};
use tds_guest::http::{check_internal_post, error_response, json_response, request_id};
use tds_guest::log::Logger;
use tds_guest::{random, vars};
use tds_store::{config, journal, queue};

wit_bindgen::generate!({
    world: "tds:host/cron-guest",
    path: "../../wit",
    generate_all,
});

const COMPONENT: &str = "heal";
const DEFAULT_RECLAIM_LIMIT: i32 = 500;

struct Cron;

impl Guest for Cron {
    async fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        let log = Logger::new(COMPONENT, format!("cron-{}", metadata.timestamp));
        heal("cron", &log)
            .map(drop)
            .map_err(|e| Error::Other(e.message))
    }
}

export!(Cron);

#[http_component]
fn handle(req: Request) -> Response {
    let request_id = request_id(&req);
    let log = Logger::new(COMPONENT, &request_id);
    let token = vars::get("stats_token");
    if let Err((status, code, message)) =
        check_internal_post(&req, "run the heal cycle", token.as_deref())
    {
        return error_response(status, code, &message, &request_id);
    }
    match heal("http", &log) {
        Ok(mut report) => {
            report["request_id"] = json!(request_id);
            json_response(200, &report, &request_id)
        }
        Err(e) => error_response(503, "database_unavailable", &e.message, &request_id),
    }
}

/// What reclaiming did.
#[derive(Default)]
struct Reclaimed {
    /// Back to `retry`.
    requeued: u64,
    /// Merged into the entity's unclaimed row.
    coalesced: u64,
    /// Completed, extended or reclaimed by someone else in the meantime.
    skipped: u64,
}

/// Runs the cycle and records it; returns the run's report.
fn heal(trigger: &str, log: &Logger) -> Result<Value, DbError> {
    let started = Instant::now();
    let database_url = vars::get("database_url")
        .ok_or_else(|| DbError::local("variable database_url is not set".into()))?;
    let owner = random::lease_owner(COMPONENT);
    let log = log.for_correlation(&owner);
    let db = Db::open(&database_url)
        .inspect_err(|e| log.error("cannot reach the database", json!({"error": e.message})))?;
    let run = db.query(
        journal::START_RUN,
        &[
            param::text(COMPONENT),
            param::opt_text(None::<String>),
            param::text(&owner),
            param::text(trigger),
            param::text("{}"),
        ],
    )?;
    let run_id = run.expect_row()?.int8(0)?;
    let result = reclaim_expired(&db, &log);
    let (status, counts, error) = match &result {
        Ok(r) => (
            "completed",
            json!({"reclaimed": r.requeued, "coalesced": r.coalesced, "skipped": r.skipped}),
            None,
        ),
        Err(e) => ("failed", json!({}), Some(e.message.clone())),
    };
    db.execute(
        journal::FINISH_RUN,
        &[
            param::int8(run_id),
            param::text(status),
            param::text(counts.to_string()),
            param::text("{}"),
            param::opt_text(error.clone()),
        ],
    )?;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Err(e) = &result {
        log.error("heal failed", json!({"run_id": run_id, "error": e.message}));
    }
    result?;
    Ok(
        json!({"run_id": run_id, "run_owner": owner, "trigger": trigger, "status": status, "counts": counts, "duration_ms": duration_ms}),
    )
}

fn reclaim_expired(db: &Db, log: &Logger) -> Result<Reclaimed, DbError> {
    let limit = reclaim_limit(db)?;
    let expired = db.query(queue::LIST_EXPIRED_LEASES, &[param::int4(limit)])?;
    let mut reclaimed = Reclaimed::default();
    for row in expired.iter() {
        let (id, owner) = (row.int8(0)?, row.text(1)?);
        let params = [
            param::int8(id),
            param::text(&owner),
            param::int8(0),
            param::text(format!("lease of {owner} expired before it finished")),
            param::text("lease_expired"),
        ];
        // A unique violation means intake created the entity's unclaimed row meanwhile; the
        // second run merges into it.
        let rows = match db.query(queue::RECLAIM_EXPIRED, &params) {
            Err(e) if e.is_unique_violation() => db.query(queue::RECLAIM_EXPIRED, &params),
            other => other,
        }?;
        let status = rows.first().map(|r| r.text(0)).transpose()?;
        match status.as_deref() {
            Some("retry") => reclaimed.requeued += 1,
            Some(_) => reclaimed.coalesced += 1,
            None => {
                reclaimed.skipped += 1;
                continue;
            }
        }
        log.info(
            "expired lease reclaimed",
            json!({"queue_id": id, "lease_owner": owner, "status": status}),
        );
    }
    Ok(reclaimed)
}

/// `heal_reclaim_limit` from tds_config, else the default.
fn reclaim_limit(db: &Db) -> Result<i32, DbError> {
    let rows = db.query(
        config::READ_VALUES,
        &[param::text_array(["heal_reclaim_limit"])],
    )?;
    let configured = rows
        .first()
        .map(|r| r.text(1))
        .transpose()?
        .and_then(|v| v.parse::<i32>().ok());
    Ok(configured
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_RECLAIM_LIMIT))
}
