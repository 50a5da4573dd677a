//! `GET /health` (public): 200 when the database answers:
//! `{"status":"ok","database":{"reachable":true,"latency_ms":…,"error":null},
//!   "queue":{"pending":…,"processing":…,"retry":…,"completed":…,"dead":…},
//!   "oldest_pending_age_seconds":…,"version":"…"}`;
//! 503 with the same shape, `"status":"unavailable"`, `reachable:false`, the error, and
//! nulls where nothing could be read. `latency_ms` is one `SELECT 1` round trip;
//! `oldest_pending_age_seconds` is how long the oldest unclaimed (pending or retry) row has
//! waited, 0 when none waits.

use std::time::Instant;

use serde_json::{json, Map, Value};
use tds_core::variables;
use tds_guest::bind;
use tds_guest::db::{Db, DbError};
use tds_guest::queue::figures;
use tds_guest::vars;
use tds_store::{statement, Statement};

use crate::api::{Answer, ApiResult, Ctx};

/// The round trip `latency_ms` measures.
const PING: Statement = statement!("health::ping", "SELECT 1");

pub const STATUSES: [&str; 5] = ["pending", "processing", "retry", "completed", "dead"];

pub fn get(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    Ok(match read() {
        Ok(body) => Answer::Json(200, body),
        Err(e) => Answer::Json(503, unavailable(&e.to_string())),
    })
}

fn read() -> Result<Value, DbError> {
    let url = vars::read(&variables::DATABASE_URL).map_err(|e| DbError::local(e.to_string()))?;
    let db = Db::open(&url)?;
    let ping = Instant::now();
    db.execute(PING, bind!(PING {}))?;
    let latency_ms = ping.elapsed().as_secs_f64() * 1000.0;
    let mut counts: Map<String, Value> =
        STATUSES.iter().map(|s| (s.to_string(), json!(0))).collect();
    for row in figures::count_by_status(&db)? {
        counts.insert(row.status, json!(row.count));
    }
    let oldest = figures::oldest_waiting_age(&db)?.unwrap_or(0.0);
    Ok(json!({
        "status": "ok",
        "database": {"reachable": true, "latency_ms": latency_ms, "error": null},
        "queue": counts,
        "oldest_pending_age_seconds": oldest,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

fn unavailable(error: &str) -> Value {
    let counts: Map<String, Value> = STATUSES
        .iter()
        .map(|s| (s.to_string(), Value::Null))
        .collect();
    json!({
        "status": "unavailable",
        "database": {"reachable": false, "latency_ms": null, "error": error},
        "queue": counts,
        "oldest_pending_age_seconds": null,
        "version": env!("CARGO_PKG_VERSION"),
    })
}
