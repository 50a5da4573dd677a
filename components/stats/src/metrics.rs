//! `GET /metrics` (bearer token; Prometheus sends it with `authorization` /
//! `bearer_token_file`): the text exposition format.
//!
//! Gauges are read from the rows that are not history: the queue's backlog (through its
//! status index), open dead letters, active alerts, circuit breakers, each lane's drain
//! session and wakes (`tds_lane_drains`), and the Zoho pull's
//! day and listing (today's requests, the records listed and still to read per module: a
//! count over `tds_zoho_records`, which follows Zoho's record count). Counters and the
//! histograms (end-to-end latency, inbox `received_at` → queue `completed_at`; apply
//! duration, `tds_sync_log.duration_ms`; by lane and module) come from the running totals
//! heal keeps (`tds_metric_totals`, `tds_core::metrics`): they never go down — retention
//! deletes history, not totals — and they advance as heal rolls up closed minutes, so
//! they lag by up to a minute and a heal cycle. A scrape's cost follows the number of
//! series and the backlog, not the history kept.
//!
//! `tds_build_info{version}` is always 1. When the database cannot be reached (no
//! connection, or the server refusing sessions: SQLSTATE classes 08 and 57) the scrape still
//! answers 200, with `tds_database_up 0` and the build info only, so an alert on
//! `tds_database_up == 0` fires instead of the scrape failing.

use std::collections::BTreeMap;

use tds_core::metrics::{counter_name, Counter, APPLY_BUCKETS, APPLY_MS, LATENCY_BUCKETS};
use tds_guest::db::{Db, DbError};
use tds_guest::http::{database_url, HttpError};
use tds_guest::drains;
use tds_guest::queue::figures;
use tds_guest::stats;
use tds_store::queue;

use crate::api::{Answer, ApiResult, Ctx};
use crate::credentials;
use crate::health::STATUSES;
use crate::prometheus::{labels, render, Family, Histogram, Kind, CONTENT_TYPE};
use crate::pull_progress::Progress;

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
        render(&families).map_err(|e| HttpError::new(500, "internal_error", e.to_string()))?;
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
    e.sqlstate()
        .is_none_or(|code| code.starts_with("08") || code.starts_with("57"))
}

/// Every family read from the tables: gauges from the backlog (never the history), counters
/// and histograms from the running totals.
fn from_tables(db: &Db) -> Result<Vec<Family>, DbError> {
    let mut out = backlog(db)?;
    out.extend(credential_use(db)?);
    out.extend(pull(db)?);
    let totals = Totals::read(db)?;
    out.extend(totals.counters());
    out.push(totals.histogram(
        Family::new(
            "tds_end_to_end_latency_seconds",
            Kind::Histogram,
            "Seconds from an event's arrival (inbox received_at) to its queue row's completion, by lane and module.",
        ),
        Counter::LatencyBucket,
        &LATENCY_BUCKETS,
        "latency_e2e_ms",
    ));
    out.push(totals.histogram(
        Family::new(
            "tds_apply_duration_seconds",
            Kind::Histogram,
            "Seconds one processing attempt took, by lane and module.",
        ),
        Counter::ApplyBucket,
        &APPLY_BUCKETS,
        APPLY_MS,
    ));
    Ok(out)
}

/// Which configured webhook credential proved the last 24 hours' authentic deliveries, by
/// variable and position: the deliveries and the last minute used.
fn credential_use(db: &Db) -> Result<[Family; 2], DbError> {
    let mut deliveries = Family::new(
        "tds_intake_credential_deliveries",
        Kind::Gauge,
        "Authentic deliveries in the last 24 hours, by the configured secret or key that proved them (variable and 1-based position).",
    );
    let mut last_used = Family::new(
        "tds_intake_credential_last_used_timestamp_seconds",
        Kind::Gauge,
        "Start of the last minute a configured secret or key proved a delivery, in the last 24 hours (Unix seconds).",
    );
    for (credential, usage) in credentials::recent(db, credentials::METRICS_WINDOW_HOURS)? {
        let position = credential.position.to_string();
        let names = labels(&[
            ("variable", credential.variable.as_str()),
            ("position", &position),
        ]);
        deliveries.value(names.clone(), usage.deliveries as f64);
        last_used.value(names, usage.last_used_epoch as f64);
    }
    Ok([deliveries, last_used])
}

/// The Zoho pull's day and listing (`GET /api/reconcile/progress`): today's requests
/// against the budget, and per module the records listed and those still to read.
fn pull(db: &Db) -> Result<[Family; 4], DbError> {
    let progress = Progress::read(db)?;
    let mut requests = Family::new(
        "tds_reconcile_requests_today",
        Kind::Gauge,
        "Zoho Books API requests the pull made today (UTC day).",
    );
    requests.value(Vec::new(), f64::from(progress.today.requests));
    let mut budget = Family::new(
        "tds_reconcile_request_budget",
        Kind::Gauge,
        "Zoho Books API requests a day the pull may spend: reconcile_daily_request_limit less reconcile_daily_request_reserve.",
    );
    budget.value(Vec::new(), f64::from(progress.budget.spendable()));
    let mut listed = Family::new(
        "tds_reconcile_records_listed",
        Kind::Gauge,
        "Records the pull's listing of Zoho holds, by module.",
    );
    let mut to_read = Family::new(
        "tds_reconcile_records_to_read",
        Kind::Gauge,
        "Listed records waiting to be read by id (new, or changed since read), by module.",
    );
    for m in &progress.modules {
        listed.value(labels(&[("module", &m.module)]), m.listed as f64);
        to_read.value(labels(&[("module", &m.module)]), m.to_read as f64);
    }
    Ok([requests, budget, listed, to_read])
}

/// The gauges: rows waiting or failed in the queue, open dead letters, active alerts,
/// circuit breakers — each read from the rows that are not history.
fn backlog(db: &Db) -> Result<Vec<Family>, DbError> {
    let mut rows = Family::new(
        "tds_queue_rows",
        Kind::Gauge,
        "Queue rows not completed (pending, processing, retry, dead), by status, lane and module; completions are tds_queue_completed_total.",
    );
    let mut by_status = Family::new(
        "tds_queue_status_rows",
        Kind::Gauge,
        "Queue rows not completed, by status.",
    );
    let mut status_counts: BTreeMap<&str, i64> = STATUSES
        .iter()
        .filter(|s| **s != "completed")
        .map(|s| (*s, 0))
        .collect();
    for row in stats::metric_queue_backlog(db)? {
        let (status, n) = (row.status, row.count);
        rows.value(
            labels(&[
                ("status", &status),
                ("lane", &row.lane),
                ("module", &row.module),
            ]),
            n as f64,
        );
        if let Some(total) = status_counts.get_mut(status.as_str()) {
            *total += n;
        }
    }
    for (status, n) in status_counts {
        by_status.value(labels(&[("status", status)]), n as f64);
    }

    let mut oldest = Family::new(
        "tds_queue_oldest_waiting_seconds",
        Kind::Gauge,
        "Seconds the oldest unclaimed (pending or retry) row has waited, overall (lane=\"\") and per lane.",
    );
    let overall = figures::oldest_waiting_age(db)?
        .ok_or_else(|| DbError::no_row(queue::OLDEST_WAITING_AGE))?;
    oldest.value(labels(&[("lane", "")]), overall);
    for wait in stats::oldest_waiting_by_lane(db)? {
        oldest.value(labels(&[("lane", &wait.lane)]), wait.age_seconds);
    }

    let mut dead = Family::new(
        "tds_dead_letters_open",
        Kind::Gauge,
        "Dead letters not resolved, by lane and module.",
    );
    for row in stats::metric_dead_letters_open(db)? {
        dead.value(
            labels(&[("lane", &row.lane), ("module", &row.module)]),
            row.count as f64,
        );
    }

    let mut alerts = Family::new(
        "tds_alerts_active",
        Kind::Gauge,
        "Alerts not resolved, by severity and status.",
    );
    for row in stats::metric_alerts(db)? {
        alerts.value(
            labels(&[("severity", &row.severity), ("status", &row.status)]),
            row.count as f64,
        );
    }

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
    for row in stats::metric_circuits(db)? {
        let (name, state) = (row.name, row.state);
        for candidate in ["closed", "open", "half_open"] {
            circuit_state.value(
                labels(&[("name", &name), ("state", candidate)]),
                f64::from(u8::from(candidate == state)),
            );
        }
        circuit_failures.value(
            labels(&[("name", &name)]),
            f64::from(row.consecutive_failures),
        );
    }
    let [draining, wakes, sessions] = lane_drains(db)?;
    Ok(vec![
        rows,
        by_status,
        oldest,
        dead,
        alerts,
        circuit_state,
        circuit_failures,
        draining,
        wakes,
        sessions,
    ])
}

/// Each lane's drain sessions and wakes (`tds_lane_drains`).
fn lane_drains(db: &Db) -> Result<[Family; 3], DbError> {
    let mut draining = Family::new(
        "tds_lane_draining",
        Kind::Gauge,
        "1 while a drain session serves the lane (woken, or the cron safety net finding work).",
    );
    let mut wakes = Family::new(
        "tds_lane_wakes_sent_total",
        Kind::Counter,
        "Wakes intake sent to the lane's processor, refused ones included (a burst sends one).",
    );
    let mut sessions = Family::new(
        "tds_lane_drain_sessions_total",
        Kind::Counter,
        "Drain sessions that took the lane.",
    );
    for lane in drains::list(db)? {
        let lane_label = labels(&[("lane", &lane.lane)]);
        draining.value(lane_label.clone(), f64::from(u8::from(lane.draining)));
        wakes.value(lane_label.clone(), lane.wakes_sent as f64);
        sessions.value(lane_label, lane.sessions as f64);
    }
    Ok([draining, wakes, sessions])
}

/// `tds_metric_totals`: `(name, lane, module)` → `(count, sum)`.
struct Totals(BTreeMap<(String, String, String), (i64, f64)>);

impl Totals {
    fn read(db: &Db) -> Result<Totals, DbError> {
        let mut totals = BTreeMap::new();
        for total in stats::metric_totals(db)? {
            totals.insert(
                (total.name, total.lane, total.module),
                (total.count, total.sum),
            );
        }
        Ok(Totals(totals))
    }

    /// `(lane, module, member, count)` of every total of `prefix`'s names.
    fn members<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str, &'a str, i64)> {
        self.0
            .iter()
            .filter_map(move |((name, lane, module), (count, _))| {
                let member = name.strip_prefix(prefix)?;
                Some((lane.as_str(), module.as_str(), member, *count))
            })
    }

    fn counters(&self) -> Vec<Family> {
        let mut completed = Family::new(
            "tds_queue_completed_total",
            Kind::Counter,
            "Queue rows completed (merges excluded), by lane and module.",
        );
        let mut dead = Family::new(
            "tds_dead_letters_total",
            Kind::Counter,
            "Dead letters filed, by lane and module.",
        );
        for ((name, lane, module), (count, _)) in &self.0 {
            let family = match name.as_str() {
                "completed" => &mut completed,
                "dead" => &mut dead,
                _ => continue,
            };
            family.value(labels(&[("lane", lane), ("module", module)]), *count as f64);
        }
        let mut attempts = Family::new(
            "tds_sync_attempts_total",
            Kind::Counter,
            "Processing attempts by lane, module and outcome.",
        );
        for (lane, module, outcome, count) in self.members(Counter::Attempts.prefix()) {
            attempts.value(
                labels(&[("lane", lane), ("module", module), ("outcome", outcome)]),
                count as f64,
            );
        }
        let mut intake = Family::new(
            "tds_intake_events_total",
            Kind::Counter,
            "Webhook deliveries by intake outcome and module.",
        );
        for (_, module, outcome, count) in self.members(Counter::Intake.prefix()) {
            intake.value(
                labels(&[("outcome", outcome), ("module", module)]),
                count as f64,
            );
        }
        let mut runs = Family::new(
            "tds_runs_total",
            Kind::Counter,
            "Finished processor, heal and reconcile invocations by component, lane and status.",
        );
        for (lane, component, status, count) in self.members(Counter::Runs.prefix()) {
            runs.value(
                labels(&[("component", component), ("lane", lane), ("status", status)]),
                count as f64,
            );
        }
        vec![completed, attempts, intake, dead, runs]
    }

    /// A histogram per lane and module: the bucket counts of `buckets`' names, the count
    /// and the total (ms, reported in seconds) of `overall`.
    fn histogram(
        &self,
        mut family: Family,
        buckets: Counter,
        bounds: &[f64],
        overall: &str,
    ) -> Family {
        for ((name, lane, module), (count, sum_ms)) in &self.0 {
            if name != overall {
                continue;
            }
            let bucket = |bound: &f64| {
                let name = counter_name(buckets, &bound.to_string());
                let key = (name, lane.clone(), module.clone());
                (
                    *bound,
                    self.0
                        .get(&key)
                        .map_or(0, |(n, _)| u64::try_from(*n).unwrap_or(0)),
                )
            };
            family.histogram(
                labels(&[("lane", lane), ("module", module)]),
                Histogram {
                    buckets: bounds.iter().map(bucket).collect(),
                    count: u64::try_from(*count).unwrap_or(0),
                    sum: sum_ms / 1000.0,
                },
            );
        }
        family
    }
}
