//! Typed functions beside `tds_store::stats`'s statements (see [`crate::queue`]): the stats
//! API's figures of the queue, dead letters, alerts and circuit breakers, and the running
//! totals behind `/metrics`. Lanes, modules, statuses and the like stay the text the tables
//! hold: these figures count whatever is stored, known names or not.

use tds_store::stats;

use crate::bind;
use crate::db::{param, Db, DbError};

/// Queue rows of one lane, module, priority and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCount {
    pub lane: String,
    pub module: String,
    pub priority: i32,
    pub status: String,
    pub count: i64,
}

/// Rows per lane, module, priority and status (`stats::QUEUE_COUNTS`).
pub fn queue_counts(db: &Db) -> Result<Vec<QueueCount>, DbError> {
    let rows = db.query(stats::QUEUE_COUNTS, bind!(stats::QUEUE_COUNTS {}))?;
    rows.iter()
        .map(|row| {
            Ok(QueueCount {
                lane: row.text("lane")?,
                module: row.text("module")?,
                priority: row.int4("priority")?,
                status: row.text("status")?,
                count: row.int8("count")?,
            })
        })
        .collect()
}

/// A lane's completions over the last minute, 5 minutes and hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneThroughput {
    pub lane: String,
    pub last_1m: i64,
    pub last_5m: i64,
    pub last_1h: i64,
}

/// Completions per lane, of the lanes that completed any in the last hour
/// (`stats::THROUGHPUT`).
pub fn throughput(db: &Db) -> Result<Vec<LaneThroughput>, DbError> {
    let rows = db.query(stats::THROUGHPUT, bind!(stats::THROUGHPUT {}))?;
    rows.iter()
        .map(|row| {
            Ok(LaneThroughput {
                lane: row.text("lane")?,
                last_1m: row.int8("last_1m")?,
                last_5m: row.int8("last_5m")?,
                last_1h: row.int8("last_1h")?,
            })
        })
        .collect()
}

/// The window [`latency`] covers: rows completed in the last `window_seconds`.
pub struct Latency {
    pub window_seconds: u32,
}

/// End-to-end latency in seconds over the window, of a lane or of every lane.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyFigures {
    /// `None` for the figures over every lane.
    pub lane: Option<String>,
    pub count: i64,
    /// `None` (as the others) when nothing completed.
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

/// Latency per lane and overall (`stats::LATENCY`).
pub fn latency(db: &Db, latency: &Latency) -> Result<Vec<LatencyFigures>, DbError> {
    let rows = db.query(
        stats::LATENCY,
        bind!(stats::LATENCY {
            window_seconds: param::uint4(latency.window_seconds)
        }),
    )?;
    rows.iter()
        .map(|row| {
            Ok(LatencyFigures {
                lane: row.opt_text("lane")?,
                count: row.int8("count")?,
                p50: row.opt_float8("p50")?,
                p95: row.opt_float8("p95")?,
                p99: row.opt_float8("p99")?,
                max: row.opt_float8("max")?,
            })
        })
        .collect()
}

/// How long the oldest unclaimed row of a lane has waited.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneWait {
    pub lane: String,
    pub age_seconds: f64,
}

/// The oldest wait of each lane with unclaimed rows (`stats::OLDEST_WAITING_BY_LANE`).
pub fn oldest_waiting_by_lane(db: &Db) -> Result<Vec<LaneWait>, DbError> {
    let rows = db.query(
        stats::OLDEST_WAITING_BY_LANE,
        bind!(stats::OLDEST_WAITING_BY_LANE {}),
    )?;
    rows.iter()
        .map(|row| {
            Ok(LaneWait {
                lane: row.text("lane")?,
                age_seconds: row.float8("age")?,
            })
        })
        .collect()
}

/// The minutes [`queue_series`] covers: the last `minutes`, the current one included.
pub struct QueueSeries {
    pub minutes: u32,
}

/// One minute of the queue series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    /// The minute's start, in epoch seconds.
    pub minute: i64,
    pub enqueued: i64,
    pub completed: i64,
    /// Rows waiting or in process at the minute's end.
    pub depth: i64,
    /// The minute's completions' latency, `None` when none completed.
    pub latency_p50: Option<f64>,
    pub latency_p95: Option<f64>,
    pub latency_p99: Option<f64>,
}

/// One point per minute, oldest first (`stats::QUEUE_SERIES`).
pub fn queue_series(db: &Db, series: &QueueSeries) -> Result<Vec<SeriesPoint>, DbError> {
    let rows = db.query(
        stats::QUEUE_SERIES,
        bind!(stats::QUEUE_SERIES {
            minutes: param::uint4(series.minutes)
        }),
    )?;
    rows.iter()
        .map(|row| {
            Ok(SeriesPoint {
                minute: row.int8("minute")?,
                enqueued: row.int8("enqueued")?,
                completed: row.int8("completed")?,
                depth: row.int8("depth")?,
                latency_p50: row.opt_float8("p50")?,
                latency_p95: row.opt_float8("p95")?,
                latency_p99: row.opt_float8("p99")?,
            })
        })
        .collect()
}

/// One running total (`tds_core::metrics`) of a lane and module.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricTotal {
    pub name: String,
    pub lane: String,
    pub module: String,
    pub count: i64,
    pub sum: f64,
}

/// Every running total, by name, lane and module (`stats::METRIC_TOTALS`).
pub fn metric_totals(db: &Db) -> Result<Vec<MetricTotal>, DbError> {
    let rows = db.query(stats::METRIC_TOTALS, bind!(stats::METRIC_TOTALS {}))?;
    rows.iter()
        .map(|row| {
            Ok(MetricTotal {
                name: row.text("name")?,
                lane: row.text("lane")?,
                module: row.text("module")?,
                count: row.int8("count")?,
                sum: row.float8("sum")?,
            })
        })
        .collect()
}

/// Queue rows not completed, of one status, lane and module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklogCount {
    pub status: String,
    pub lane: String,
    pub module: String,
    pub count: i64,
}

/// The backlog per status, lane and module (`stats::METRIC_QUEUE_BACKLOG`).
pub fn metric_queue_backlog(db: &Db) -> Result<Vec<BacklogCount>, DbError> {
    let rows = db.query(
        stats::METRIC_QUEUE_BACKLOG,
        bind!(stats::METRIC_QUEUE_BACKLOG {}),
    )?;
    rows.iter()
        .map(|row| {
            Ok(BacklogCount {
                status: row.text("status")?,
                lane: row.text("lane")?,
                module: row.text("module")?,
                count: row.int8("count")?,
            })
        })
        .collect()
}

/// Open dead letters of one lane (empty when the letter has none) and module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDeadLetters {
    pub lane: String,
    pub module: String,
    pub count: i64,
}

/// Open dead letters per lane and module (`stats::METRIC_DEAD_LETTERS_OPEN`).
pub fn metric_dead_letters_open(db: &Db) -> Result<Vec<OpenDeadLetters>, DbError> {
    let rows = db.query(
        stats::METRIC_DEAD_LETTERS_OPEN,
        bind!(stats::METRIC_DEAD_LETTERS_OPEN {}),
    )?;
    rows.iter()
        .map(|row| {
            Ok(OpenDeadLetters {
                lane: row.text("lane")?,
                module: row.text("module")?,
                count: row.int8("count")?,
            })
        })
        .collect()
}

/// Alerts not resolved, of one severity and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertCount {
    pub severity: String,
    pub status: String,
    pub count: i64,
}

/// Alerts not resolved per severity and status (`stats::METRIC_ALERTS`).
pub fn metric_alerts(db: &Db) -> Result<Vec<AlertCount>, DbError> {
    let rows = db.query(stats::METRIC_ALERTS, bind!(stats::METRIC_ALERTS {}))?;
    rows.iter()
        .map(|row| {
            Ok(AlertCount {
                severity: row.text("severity")?,
                status: row.text("status")?,
                count: row.int8("count")?,
            })
        })
        .collect()
}

/// A circuit breaker's state and failure count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitState {
    pub name: String,
    pub state: String,
    pub consecutive_failures: i32,
}

/// Every circuit breaker, by name (`stats::METRIC_CIRCUITS`).
pub fn metric_circuits(db: &Db) -> Result<Vec<CircuitState>, DbError> {
    let rows = db.query(stats::METRIC_CIRCUITS, bind!(stats::METRIC_CIRCUITS {}))?;
    rows.iter()
        .map(|row| {
            Ok(CircuitState {
                name: row.text("name")?,
                state: row.text("state")?,
                consecutive_failures: row.int4("consecutive_failures")?,
            })
        })
        .collect()
}

/// Unresolved dead letters of one error class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadByClass {
    pub error_class: String,
    pub count: i64,
}

/// Unresolved dead letters per error class (`stats::COUNT_DEAD_BY_CLASS`).
pub fn count_dead_by_class(db: &Db) -> Result<Vec<DeadByClass>, DbError> {
    let rows = db.query(
        stats::COUNT_DEAD_BY_CLASS,
        bind!(stats::COUNT_DEAD_BY_CLASS {}),
    )?;
    rows.iter()
        .map(|row| {
            Ok(DeadByClass {
                error_class: row.text("error_class")?,
                count: row.int8("count")?,
            })
        })
        .collect()
}

/// Authentic deliveries one configured credential proved in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialUse {
    /// The credential's label, `variable#position` (`tds_core::credential`).
    pub credential: String,
    pub deliveries: i64,
    /// The start of the last minute it was used (UTC RFC 3339).
    pub last_used_at: String,
    /// The same, in Unix seconds.
    pub last_used_epoch: i64,
}

/// The credentials that proved deliveries in the last `hours` hours
/// (`stats::INTAKE_CREDENTIALS`).
pub fn intake_credentials(db: &Db, hours: u32) -> Result<Vec<CredentialUse>, DbError> {
    let rows = db.query(
        stats::INTAKE_CREDENTIALS,
        bind!(stats::INTAKE_CREDENTIALS {
            hours: param::uint4(hours)
        }),
    )?;
    rows.iter()
        .map(|row| {
            Ok(CredentialUse {
                credential: row.text("credential")?,
                deliveries: row.int8("deliveries")?,
                last_used_at: row.text("last_used_at")?,
                last_used_epoch: row.int8("last_used_epoch")?,
            })
        })
        .collect()
}
