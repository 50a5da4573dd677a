//! `GET /metrics` (bearer token; Prometheus sends it with `authorization` /
//! `bearer_token_file`): the text exposition format.
//!
//! Gauges are read from the tables as they are now; counters count rows the tables keep,
//! so retention (and nothing else) can lower one, which Prometheus treats as a reset.
//! Histograms: end-to-end latency (inbox `received_at` → queue `completed_at`) and apply
//! duration (`tds_sync_log.duration_ms`), by lane and module.
//!
//! `tds_build_info{version}` is always 1. When the database cannot be reached (no
//! connection, or the server refusing sessions: SQLSTATE classes 08 and 57) the scrape still
//! answers 200, with `tds_database_up 0` and the build info only, so an alert on
//! `tds_database_up == 0` fires instead of the scrape failing.

use std::collections::BTreeMap;

use tds_core::prometheus::{labels, render, Family, Histogram, Kind, CONTENT_TYPE};
use tds_guest::db::{param, Db, DbError};
use tds_store::{queue, stats};

use crate::api::{database_url, Answer, ApiError, ApiResult, Ctx};
use crate::health::STATUSES;

/// Bucket bounds (seconds) of the end-to-end latency histogram.
const LATENCY_BUCKETS: [f64; 12] = [
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];
/// Bucket bounds (seconds) of the apply-duration histogram.
const APPLY_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

pub fn get(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    let url = database_url()?;
    let mut families = vec![build_info()];
    match Db::open(&url).and_then(|db| from_tables(&db)) {
        Ok(tables) => {
            families.push(database_up(true));
            families.extend(tables);
        }
        Err(e) if is_unreachable(&e) => families.push(database_up(false)),
        Err(e) => return Err(e.into()),
    }
    let body =
        render(&families).map_err(|e| ApiError::new(500, "internal_error", e.to_string()))?;
    Ok(Answer::Static {
        content_type: CONTENT_TYPE,
        body,
    })
}

/// `tds_build_info{version="…"} 1`.
fn build_info() -> Family {
    let mut info = Family::new(
        "tds_build_info",
        Kind::Gauge,
        "Always 1; the label names the TDS version serving the scrape.",
    );
    info.value(labels(&[("version", env!("CARGO_PKG_VERSION"))]), 1.0);
    info
}

fn database_up(up: bool) -> Family {
    let mut family = Family::new(
        "tds_database_up",
        Kind::Gauge,
        "1 when the stats component reached the database, 0 when it could not.",
    );
    family.value(Vec::new(), if up { 1.0 } else { 0.0 });
    family
}

/// The database could not be reached or refuses sessions (as opposed to a failed statement).
fn is_unreachable(e: &DbError) -> bool {
    e.sqlstate
        .as_deref()
        .is_none_or(|code| code.starts_with("08") || code.starts_with("57"))
}

/// Every family read from the tables.
fn from_tables(db: &Db) -> Result<Vec<Family>, DbError> {
    let mut out = Vec::new();

    let mut rows = Family::new(
        "tds_queue_rows",
        Kind::Gauge,
        "Queue rows by status, lane and module.",
    );
    let mut counts: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for row in db.query(stats::QUEUE_COUNTS, &[])?.iter() {
        *counts
            .entry((row.text(3)?, row.text(0)?, row.text(1)?))
            .or_default() += row.int8(4)?;
    }
    for ((status, lane, module), n) in &counts {
        rows.value(
            labels(&[("status", status), ("lane", lane), ("module", module)]),
            *n as f64,
        );
    }
    out.push(rows);

    let mut by_status = Family::new(
        "tds_queue_status_rows",
        Kind::Gauge,
        "Queue rows by status.",
    );
    let mut status_counts: BTreeMap<&str, i64> = STATUSES.iter().map(|s| (*s, 0)).collect();
    for ((status, _, _), n) in &counts {
        if let Some(total) = status_counts.get_mut(status.as_str()) {
            *total += n;
        }
    }
    for (status, n) in status_counts {
        by_status.value(labels(&[("status", status)]), n as f64);
    }
    out.push(by_status);

    let mut oldest = Family::new(
        "tds_queue_oldest_waiting_seconds",
        Kind::Gauge,
        "Seconds the oldest unclaimed (pending or retry) row has waited, overall (lane=\"\") and per lane.",
    );
    let overall = db
        .query(queue::OLDEST_WAITING_AGE, &[])?
        .expect_row()?
        .float8(0)?;
    oldest.value(labels(&[("lane", "")]), overall);
    for row in db.query(stats::OLDEST_WAITING_BY_LANE, &[])?.iter() {
        oldest.value(labels(&[("lane", &row.text(0)?)]), row.float8(1)?);
    }
    out.push(oldest);

    let mut completed = Family::new(
        "tds_queue_completed_total",
        Kind::Counter,
        "Queue rows completed (merges excluded), by lane and module.",
    );
    for row in db.query(stats::METRIC_COMPLETED, &[])?.iter() {
        completed.value(
            labels(&[("lane", &row.text(0)?), ("module", &row.text(1)?)]),
            row.int8(2)? as f64,
        );
    }
    out.push(completed);

    let mut attempts = Family::new(
        "tds_sync_attempts_total",
        Kind::Counter,
        "Processing attempts by lane, module and outcome.",
    );
    for row in db.query(stats::METRIC_ATTEMPTS, &[])?.iter() {
        attempts.value(
            labels(&[
                ("lane", &row.text(0)?),
                ("module", &row.text(1)?),
                ("outcome", &row.text(2)?),
            ]),
            row.int8(3)? as f64,
        );
    }
    out.push(attempts);

    let mut intake = Family::new(
        "tds_intake_events_total",
        Kind::Counter,
        "Webhook deliveries by intake outcome and module.",
    );
    for row in db.query(stats::METRIC_INTAKE, &[])?.iter() {
        intake.value(
            labels(&[("outcome", &row.text(0)?), ("module", &row.text(1)?)]),
            row.int8(2)? as f64,
        );
    }
    out.push(intake);

    let mut dead = Family::new(
        "tds_dead_letters",
        Kind::Gauge,
        "Dead letters by lane, module and state (open or resolved).",
    );
    for row in db.query(stats::METRIC_DEAD_LETTERS, &[])?.iter() {
        dead.value(
            labels(&[
                ("lane", &row.text(0)?),
                ("module", &row.text(1)?),
                ("state", &row.text(2)?),
            ]),
            row.int8(3)? as f64,
        );
    }
    out.push(dead);

    let mut alerts = Family::new(
        "tds_alerts_active",
        Kind::Gauge,
        "Alerts not resolved, by severity and status.",
    );
    for row in db.query(stats::METRIC_ALERTS, &[])?.iter() {
        alerts.value(
            labels(&[("severity", &row.text(0)?), ("status", &row.text(1)?)]),
            row.int8(2)? as f64,
        );
    }
    out.push(alerts);

    let mut circuit_state = Family::new(
        "tds_circuit_breaker_state",
        Kind::Gauge,
        "1 for each circuit breaker's current state.",
    );
    let mut circuit_failures = Family::new(
        "tds_circuit_breaker_consecutive_failures",
        Kind::Gauge,
        "Consecutive failures per circuit breaker.",
    );
    for row in db.query(stats::METRIC_CIRCUITS, &[])?.iter() {
        let (name, state) = (row.text(0)?, row.text(1)?);
        for candidate in ["closed", "open", "half_open"] {
            circuit_state.value(
                labels(&[("name", &name), ("state", candidate)]),
                f64::from(u8::from(candidate == state)),
            );
        }
        circuit_failures.value(labels(&[("name", &name)]), f64::from(row.int4(2)?));
    }
    out.push(circuit_state);
    out.push(circuit_failures);

    let mut runs = Family::new(
        "tds_runs_total",
        Kind::Counter,
        "Processor and heal invocations by component, lane and status.",
    );
    for row in db.query(stats::METRIC_RUNS, &[])?.iter() {
        runs.value(
            labels(&[
                ("component", &row.text(0)?),
                ("lane", &row.text(1)?),
                ("status", &row.text(2)?),
            ]),
            row.int8(3)? as f64,
        );
    }
    out.push(runs);

    out.push(histogram(
        db,
        stats::LATENCY_HISTOGRAM,
        &LATENCY_BUCKETS,
        Family::new(
            "tds_end_to_end_latency_seconds",
            Kind::Histogram,
            "Seconds from an event's arrival (inbox received_at) to its queue row's completion, by lane and module.",
        ),
    )?);
    out.push(histogram(
        db,
        stats::APPLY_HISTOGRAM,
        &APPLY_BUCKETS,
        Family::new(
            "tds_apply_duration_seconds",
            Kind::Histogram,
            "Seconds one processing attempt took, by lane and module.",
        ),
    )?);
    Ok(out)
}

/// A histogram family from a statement returning one row per lane, module and bucket.
fn histogram(db: &Db, sql: &str, bounds: &[f64], mut family: Family) -> Result<Family, DbError> {
    let literal = format!(
        "{{{}}}",
        bounds
            .iter()
            .map(f64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut series: BTreeMap<(String, String), Histogram> = BTreeMap::new();
    for row in db.query(sql, &[param::text(literal)])?.iter() {
        let bucket = usize::try_from(row.int4(2)?).unwrap_or(0);
        let Some(bound) = bucket.checked_sub(1).and_then(|i| bounds.get(i)) else {
            continue;
        };
        let h = series
            .entry((row.text(0)?, row.text(1)?))
            .or_insert_with(|| Histogram {
                buckets: Vec::with_capacity(bounds.len()),
                count: 0,
                sum: 0.0,
            });
        h.buckets
            .push((*bound, u64::try_from(row.int8(3)?).unwrap_or(0)));
        h.count = u64::try_from(row.int8(4)?).unwrap_or(0);
        h.sum = row.float8(5)?;
    }
    for ((lane, module), h) in series {
        family.histogram(labels(&[("lane", &lane), ("module", &module)]), h);
    }
    Ok(family)
}
