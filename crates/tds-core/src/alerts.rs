//! Alerts: the kinds heal raises, each declared once in [`KINDS`] (its name, severity,
//! threshold keys and the check that says when it holds), evaluated on what heal measured
//! ([`Measurements`]) against the thresholds in force ([`Thresholds`]); and the bodies sent
//! to outbound webhooks.
//!
//! Everything else follows from the declarations:
//!
//! - a kind's threshold keys (`tds_config` entries with their type, range, default and
//!   meaning) join the configuration registry, `config_values::KEYS`, through
//!   [`THRESHOLD_KEYS`]; heal reads them with its own keys, `PATCH /api/config` changes them
//!   and the OpenAPI document lists them;
//! - the figures are the columns [`FIGURES`] names of `tds_store::alerts::MEASURE`, read by
//!   name, and that statement's parameters are bound by name ([`measure_parameter`]: a
//!   threshold key, or `failure_rate_window_seconds`);
//! - heal resolves the open alerts of every kind here whose condition no longer holds.
//!
//! So a new kind with a threshold is written in four files: its declaration here (with its
//! figure), its figure's column in `MEASURE`, a migration seeding its key, and its runbook
//! entry (docs/operations.md, "Alerts"), which documents the kind and each threshold with its
//! default and range (`tests/runbook.rs` holds the page to [`KINDS`]).
//!
//! An alert is opened once per dedup key while its condition holds and resolved when it
//! no longer does; the caller keeps that bookkeeping. Each opening and resolution is
//! delivered as a [`Notice`]: [`generic_body`] (JSON) or [`slack_body`] (`{"text": …}`).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::config_values::{int, Config, ConfigKey, DefaultValue, ValueKind};

/// Attempts counted for the failure rate: the last five minutes.
pub const FAILURE_RATE_WINDOW_SECONDS: i32 = 300;

/// How bad an alert is (`tds_alerts.severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A figure heal measures: a column of `tds_store::alerts::MEASURE`, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// An `int8` column.
    Count(&'static str),
    /// A `float8` column.
    Seconds(&'static str),
}

impl Figure {
    pub fn column(self) -> &'static str {
        match self {
            Figure::Count(column) | Figure::Seconds(column) => column,
        }
    }
}

/// Every figure `MEASURE` answers.
pub const FIGURES: [Figure; 5] = [
    // Rows waiting (pending or retry).
    Figure::Count("queue_depth"),
    // Seconds the oldest waiting row has waited; 0 when none waits.
    Figure::Seconds("oldest_pending_seconds"),
    // Attempts logged in the failure-rate window, and how many of them failed.
    Figure::Count("recent_attempts"),
    Figure::Count("recent_failures"),
    // Unresolved dead letters older than `alert_dead_letter_age_hours`.
    Figure::Count("aged_dead_letters"),
];

/// One kind of alert heal raises.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// `tds_alerts.kind`, and the dedup key of its one condition (a kind raised per
    /// subject keys each `<kind>:<subject>`, as `circuit_open:<breaker>`).
    pub name: &'static str,
    pub severity: Severity,
    /// Its thresholds: `tds_config` keys, each with its type, range, default and meaning.
    pub thresholds: &'static [ConfigKey],
    /// The conditions of this kind that hold.
    pub check: fn(&Kind, &Measurements, &Thresholds) -> Vec<Firing>,
}

impl Kind {
    /// A condition of this kind that holds.
    fn fire(&self, dedup_key: impl Into<String>, message: String, details: Value) -> Firing {
        Firing {
            dedup_key: dedup_key.into(),
            kind: self.name,
            severity: self.severity,
            message,
            details,
        }
    }

    /// The kind's one condition, keyed by its name, when `holds`: `describe` gives its
    /// message and details.
    fn fires_when(&self, holds: bool, describe: impl FnOnce() -> (String, Value)) -> Vec<Firing> {
        if !holds {
            return Vec::new();
        }
        let (message, details) = describe();
        vec![self.fire(self.name, message, details)]
    }
}

/// Every kind heal evaluates, in the order [`evaluate`] raises them (alerts of other kinds
/// are not resolved by heal).
pub const KINDS: [Kind; 5] = [
    Kind {
        name: "queue_depth",
        severity: Severity::Warning,
        thresholds: &[int("alert_queue_depth", 1, 100_000_000, 10_000, "Alert when more rows than this wait in the queue.")],
        check: queue_depth,
    },
    Kind {
        name: "oldest_pending_age",
        severity: Severity::Warning,
        thresholds: &[int("alert_oldest_pending_seconds", 1, 30 * 86_400, 900, "Alert when the oldest waiting row is older than this.")],
        check: oldest_pending_age,
    },
    Kind {
        name: "failure_rate",
        severity: Severity::Critical,
        thresholds: &[
            ConfigKey {
                key: "alert_failure_rate",
                kind: ValueKind::Number { min: 0.0, max: 1.0 },
                default: DefaultValue::Number(0.2),
                description: "Alert when more than this fraction of attempts in the last 5 minutes failed.",
            },
            int("alert_failure_rate_min_attempts", 1, 1_000_000, 20, "Alert on the failure rate only when at least this many attempts were made in the last 5 minutes."),
        ],
        check: failure_rate,
    },
    Kind {
        name: "dead_letters_aged",
        severity: Severity::Warning,
        thresholds: &[int("alert_dead_letter_age_hours", 1, 24 * 365, 24, "Alert when an unresolved dead letter is older than this.")],
        check: dead_letters_aged,
    },
    Kind {
        name: "circuit_open",
        severity: Severity::Critical,
        thresholds: &[],
        check: circuit_open,
    },
];

fn queue_depth(kind: &Kind, m: &Measurements, t: &Thresholds) -> Vec<Firing> {
    let (depth, limit) = (m.count("queue_depth"), t.int("alert_queue_depth"));
    kind.fires_when(depth > limit, || {
        (
            format!("{depth} rows wait in the queue (threshold {limit})"),
            json!({"queue_depth": depth, "threshold": limit}),
        )
    })
}

fn oldest_pending_age(kind: &Kind, m: &Measurements, t: &Thresholds) -> Vec<Firing> {
    let age = m.seconds("oldest_pending_seconds");
    let limit = t.number("alert_oldest_pending_seconds");
    kind.fires_when(age > limit, || {
        (
            format!("the oldest waiting row has waited {age:.0} s (threshold {limit:.0} s)"),
            json!({"oldest_pending_seconds": age, "threshold": limit}),
        )
    })
}

/// Fires when enough attempts were made in the window and the failed fraction is above
/// the threshold.
fn failure_rate(kind: &Kind, m: &Measurements, t: &Thresholds) -> Vec<Firing> {
    let (attempts, failures) = (m.count("recent_attempts"), m.count("recent_failures"));
    let limit = t.number("alert_failure_rate");
    if attempts <= 0 || attempts < t.int("alert_failure_rate_min_attempts") {
        return Vec::new();
    }
    let rate = failures as f64 / attempts as f64;
    kind.fires_when(rate > limit, || {
        (
            format!(
                "{failures} of {attempts} attempts in the last {FAILURE_RATE_WINDOW_SECONDS} s failed ({:.0} %, threshold {:.0} %)",
                rate * 100.0,
                limit * 100.0
            ),
            json!({"attempts": attempts, "failures": failures, "rate": rate,
                   "threshold": limit, "window_seconds": FAILURE_RATE_WINDOW_SECONDS}),
        )
    })
}

fn dead_letters_aged(kind: &Kind, m: &Measurements, t: &Thresholds) -> Vec<Firing> {
    let aged = m.count("aged_dead_letters");
    let hours = t.number("alert_dead_letter_age_hours");
    kind.fires_when(aged > 0, || {
        (
            format!("{aged} unresolved dead letters are older than {hours} h"),
            json!({"dead_letters": aged, "age_hours": hours}),
        )
    })
}

/// One alert per breaker that is not closed.
fn circuit_open(kind: &Kind, m: &Measurements, _: &Thresholds) -> Vec<Firing> {
    m.open_circuits
        .iter()
        .map(|circuit| {
            let error = circuit.last_error.as_deref();
            kind.fire(
                format!("{}:{}", kind.name, circuit.name),
                format!(
                    "circuit {} is {} after {} consecutive failures{}",
                    circuit.name,
                    circuit.state,
                    circuit.consecutive_failures,
                    error.map(|e| format!(": {e}")).unwrap_or_default()
                ),
                json!({"breaker": circuit.name, "state": circuit.state,
                       "consecutive_failures": circuit.consecutive_failures, "last_error": error}),
            )
        })
        .collect()
}

/// Every kind's threshold keys, in [`KINDS`] order: entries of the configuration registry
/// (`config_values::KEYS` includes them).
pub const THRESHOLD_KEYS: [ConfigKey; threshold_count()] = threshold_keys();

const fn threshold_count() -> usize {
    let (mut n, mut k) = (0, 0);
    while k < KINDS.len() {
        n += KINDS[k].thresholds.len();
        k += 1;
    }
    n
}

const fn threshold_keys<const N: usize>() -> [ConfigKey; N] {
    let mut keys = [int("", 0, 0, 0, ""); N];
    let (mut n, mut k) = (0, 0);
    while k < KINDS.len() {
        let mut i = 0;
        while i < KINDS[k].thresholds.len() {
            keys[n] = KINDS[k].thresholds[i];
            n += 1;
            i += 1;
        }
        k += 1;
    }
    keys
}

/// The thresholds in force: each of [`THRESHOLD_KEYS`] with its stored value when valid,
/// its default otherwise ([`Config`]).
///
/// ```
/// use tds_core::alerts::Thresholds;
/// let t = Thresholds::from_rows([("alert_queue_depth", "50"), ("alert_failure_rate", "7")]);
/// assert_eq!(t.int("alert_queue_depth"), 50);
/// assert_eq!(t.number("alert_failure_rate"), 0.2, "out of range: the default");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds(Config);

impl Thresholds {
    /// The keys of the thresholds, as heal reads them.
    pub fn keys() -> impl Iterator<Item = &'static str> {
        THRESHOLD_KEYS.iter().map(|k| k.key)
    }

    /// The thresholds given the stored `(key, JSON text)` rows; rows of other keys are
    /// ignored.
    pub fn from_rows<K, V>(rows: impl IntoIterator<Item = (K, V)>) -> Thresholds
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let keys: Vec<&str> = Thresholds::keys().collect();
        Thresholds(Config::from_rows(&keys, rows))
    }

    /// An integer threshold in force.
    ///
    /// # Panics
    ///
    /// When `key` is not an integer threshold.
    pub fn int(&self, key: &str) -> i64 {
        self.0.int(key)
    }

    /// A numeric threshold in force (integer ones too).
    ///
    /// # Panics
    ///
    /// When `key` is not a threshold.
    pub fn number(&self, key: &str) -> f64 {
        self.0.number(key)
    }
}

impl Default for Thresholds {
    /// Every threshold's default.
    fn default() -> Self {
        Thresholds::from_rows(std::iter::empty::<(&str, &str)>())
    }
}

/// The value `tds_store::alerts::MEASURE` is run with for its parameter `name`: the
/// failure-rate window for `failure_rate_window_seconds`, a threshold in force for its
/// key, `None` for another name.
///
/// ```
/// use tds_core::alerts::{measure_parameter, Thresholds};
/// let t = Thresholds::from_rows([("alert_dead_letter_age_hours", "48")]);
/// assert_eq!(measure_parameter("alert_dead_letter_age_hours", &t), Some(48.0));
/// assert_eq!(measure_parameter("failure_rate_window_seconds", &t), Some(300.0));
/// assert_eq!(measure_parameter("colour", &t), None);
/// ```
pub fn measure_parameter(name: &str, t: &Thresholds) -> Option<f64> {
    if name == "failure_rate_window_seconds" {
        return Some(f64::from(FAILURE_RATE_WINDOW_SECONDS));
    }
    Thresholds::keys()
        .any(|key| key == name)
        .then(|| t.number(name))
}

/// A breaker that is not closed.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenCircuit {
    pub name: String,
    pub state: String,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
}

/// One figure's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    Count(i64),
    Seconds(f64),
}

/// What heal measured: the [`FIGURES`] (one not measured reads 0) and the breakers that
/// are not closed.
///
/// ```
/// use tds_core::alerts::{Measurements, Reading};
/// let m = Measurements::default().with("queue_depth", Reading::Count(12));
/// assert_eq!((m.count("queue_depth"), m.count("recent_attempts")), (12, 0));
/// assert_eq!(m.to_json()["queue_depth"], 12);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measurements {
    readings: BTreeMap<&'static str, Reading>,
    pub open_circuits: Vec<OpenCircuit>,
}

impl Measurements {
    /// These measurements with `column` read as `reading`.
    ///
    /// # Panics
    ///
    /// When `column` is not one of [`FIGURES`], or is of another type than `reading`.
    pub fn with(mut self, column: &str, reading: Reading) -> Measurements {
        let figure = figure(column);
        match (figure, reading) {
            (Figure::Count(_), Reading::Count(_)) | (Figure::Seconds(_), Reading::Seconds(_)) => {
                self.readings.insert(figure.column(), reading);
                self
            }
            _ => panic!("{column:?} is declared as {figure:?}, not read as {reading:?}"),
        }
    }

    /// A count figure's value.
    ///
    /// # Panics
    ///
    /// When `column` is not a count of [`FIGURES`].
    pub fn count(&self, column: &str) -> i64 {
        match (figure(column), self.readings.get(column)) {
            (Figure::Count(_), Some(Reading::Count(n))) => *n,
            (Figure::Count(_), _) => 0,
            (other, _) => panic!("{column:?} is not a count: {other:?}"),
        }
    }

    /// A figure's value in seconds.
    ///
    /// # Panics
    ///
    /// When `column` is not a figure in seconds of [`FIGURES`].
    pub fn seconds(&self, column: &str) -> f64 {
        match (figure(column), self.readings.get(column)) {
            (Figure::Seconds(_), Some(Reading::Seconds(s))) => *s,
            (Figure::Seconds(_), _) => 0.0,
            (other, _) => panic!("{column:?} is not in seconds: {other:?}"),
        }
    }

    /// Every figure by column, and `open_circuits` (the breakers' names), as heal reports
    /// them.
    pub fn to_json(&self) -> Value {
        let mut out: Map<String, Value> = FIGURES
            .iter()
            .map(|figure| {
                let value = match figure {
                    Figure::Count(column) => json!(self.count(column)),
                    Figure::Seconds(column) => json!(self.seconds(column)),
                };
                (figure.column().to_string(), value)
            })
            .collect();
        let breakers: Vec<&str> = self.open_circuits.iter().map(|c| c.name.as_str()).collect();
        out.insert("open_circuits".into(), json!(breakers));
        Value::Object(out)
    }
}

/// The figure of [`FIGURES`] read from `column`.
fn figure(column: &str) -> Figure {
    FIGURES
        .into_iter()
        .find(|f| f.column() == column)
        .unwrap_or_else(|| panic!("{column:?} is not a figure (FIGURES)"))
}

/// A condition that holds now: what heal and reconcile open (or touch) an alert for.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    pub dedup_key: String,
    pub kind: &'static str,
    pub severity: Severity,
    pub message: String,
    pub details: Value,
}

/// The conditions that hold for `m` under `t`, in [`KINDS`] order.
///
/// ```
/// use tds_core::alerts::{evaluate, Measurements, Reading, Thresholds};
/// let t = Thresholds::from_rows([("alert_queue_depth", "10")]);
/// let quiet = Measurements::default().with("queue_depth", Reading::Count(10));
/// assert!(evaluate(&quiet, &t).is_empty());
/// let busy = Measurements::default().with("queue_depth", Reading::Count(11));
/// assert_eq!(evaluate(&busy, &t)[0].dedup_key, "queue_depth");
/// ```
pub fn evaluate(m: &Measurements, t: &Thresholds) -> Vec<Firing> {
    KINDS
        .iter()
        .flat_map(|kind| (kind.check)(kind, m, t))
        .collect()
}

/// What happened to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Opened,
    Resolved,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Opened => "opened",
            Event::Resolved => "resolved",
        }
    }

    pub fn from_name(name: &str) -> Option<Event> {
        [Event::Opened, Event::Resolved]
            .into_iter()
            .find(|e| e.as_str() == name)
    }
}

/// One alert event to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub event: Event,
    pub alert_id: i64,
    pub dedup_key: String,
    pub kind: String,
    pub severity: String,
    pub status: String,
    pub message: String,
    pub details: Value,
    pub occurrences: i64,
    pub opened_at: String,
    pub resolved_at: Option<String>,
}

/// The generic webhook body: one JSON object describing the event and the alert.
///
/// ```
/// use serde_json::json;
/// use tds_core::alerts::{generic_body, Event, Notice};
/// let notice = Notice { event: Event::Opened, alert_id: 7, dedup_key: "queue_depth".into(),
///     kind: "queue_depth".into(), severity: "warning".into(), status: "open".into(),
///     message: "12 rows wait".into(), details: json!({"queue_depth": 12}), occurrences: 1,
///     opened_at: "2026-11-23 10:00:00+00".into(), resolved_at: None };
/// let body = generic_body(&notice);
/// assert_eq!(body["source"], "tds");
/// assert_eq!(body["event"], "opened");
/// assert_eq!(body["alert"]["id"], 7);
/// assert_eq!(body["alert"]["details"]["queue_depth"], 12);
/// ```
pub fn generic_body(notice: &Notice) -> Value {
    json!({
        "source": "tds",
        "event": notice.event.as_str(),
        "alert": {
            "id": notice.alert_id,
            "dedup_key": notice.dedup_key,
            "kind": notice.kind,
            "severity": notice.severity,
            "status": notice.status,
            "message": notice.message,
            "details": notice.details,
            "occurrences": notice.occurrences,
            "opened_at": notice.opened_at,
            "resolved_at": notice.resolved_at,
        }
    })
}

/// The Slack-compatible body: `{"text": …}` with one line saying what happened.
///
/// ```
/// use serde_json::json;
/// use tds_core::alerts::{slack_body, Event, Notice};
/// let notice = Notice { event: Event::Resolved, alert_id: 7, dedup_key: "queue_depth".into(),
///     kind: "queue_depth".into(), severity: "warning".into(), status: "resolved".into(),
///     message: "12 rows wait".into(), details: json!({}), occurrences: 3,
///     opened_at: "2026-11-23 10:00:00+00".into(), resolved_at: Some("2026-11-23 10:05:00+00".into()) };
/// assert_eq!(slack_body(&notice), json!({"text": "[TDS] RESOLVED warning queue_depth: 12 rows wait (alert 7)"}));
/// ```
pub fn slack_body(notice: &Notice) -> Value {
    let label = match notice.event {
        Event::Opened => "ALERT",
        Event::Resolved => "RESOLVED",
    };
    json!({"text": format!("[TDS] {label} {} {}: {} (alert {})",
        notice.severity, notice.dedup_key, notice.message, notice.alert_id)})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(m: &Measurements, t: &Thresholds) -> Vec<String> {
        evaluate(m, t).into_iter().map(|f| f.dedup_key).collect()
    }

    fn measured(counts: [(&str, i64); 4], oldest: f64) -> Measurements {
        counts
            .into_iter()
            .fold(Measurements::default(), |m, (column, n)| {
                m.with(column, Reading::Count(n))
            })
            .with("oldest_pending_seconds", Reading::Seconds(oldest))
    }

    #[test]
    fn every_condition_fires_above_its_threshold_only() {
        let t = Thresholds::from_rows([
            ("alert_queue_depth", "5"),
            ("alert_oldest_pending_seconds", "60"),
            ("alert_failure_rate", "0.5"),
            ("alert_failure_rate_min_attempts", "4"),
            ("alert_dead_letter_age_hours", "24"),
        ]);
        let at_limits = measured(
            [
                ("queue_depth", 5),
                ("recent_attempts", 4),
                ("recent_failures", 2),
                ("aged_dead_letters", 0),
            ],
            60.0,
        );
        assert!(kinds(&at_limits, &t).is_empty());
        let mut over = measured(
            [
                ("queue_depth", 6),
                ("recent_attempts", 4),
                ("recent_failures", 3),
                ("aged_dead_letters", 1),
            ],
            61.0,
        );
        over.open_circuits.push(OpenCircuit {
            name: "lane:catalog".into(),
            state: "open".into(),
            consecutive_failures: 5,
            last_error: Some("deadlock".into()),
        });
        assert_eq!(
            kinds(&over, &t),
            [
                "queue_depth",
                "oldest_pending_age",
                "failure_rate",
                "dead_letters_aged",
                "circuit_open:lane:catalog"
            ]
        );
        let firing = evaluate(&over, &t);
        assert!(
            firing[4].message.contains("deadlock"),
            "{}",
            firing[4].message
        );
        assert_eq!(firing[0].details, json!({"queue_depth": 6, "threshold": 5}));
        assert!(firing.iter().all(|f| KINDS
            .iter()
            .any(|k| k.name == f.kind && k.severity == f.severity)));
    }

    #[test]
    fn too_few_attempts_never_make_a_failure_rate() {
        let t = Thresholds::from_rows([("alert_failure_rate_min_attempts", "10")]);
        let m = Measurements::default()
            .with("recent_attempts", Reading::Count(9))
            .with("recent_failures", Reading::Count(9));
        assert!(kinds(&m, &t).is_empty());
        assert!(kinds(&Measurements::default(), &Thresholds::default()).is_empty());
    }

    /// Every threshold a kind reads is one of its own keys, and every figure it reads is
    /// declared: checking each kind alone, on figures above any threshold, panics
    /// otherwise.
    #[test]
    fn kinds_read_only_their_own_thresholds_and_declared_figures() {
        let high = FIGURES
            .into_iter()
            .fold(Measurements::default(), |m, f| match f {
                Figure::Count(column) => m.with(column, Reading::Count(1_000_000_000)),
                Figure::Seconds(column) => m.with(column, Reading::Seconds(1e12)),
            });
        for kind in &KINDS {
            let own: Vec<&str> = kind.thresholds.iter().map(|k| k.key).collect();
            let t = Thresholds(Config::from_rows(&own, std::iter::empty::<(&str, &str)>()));
            (kind.check)(kind, &high, &t);
        }
    }

    #[test]
    fn names_and_threshold_keys_are_unique() {
        for (i, kind) in KINDS.iter().enumerate() {
            assert!(
                KINDS[i + 1..].iter().all(|k| k.name != kind.name),
                "{}",
                kind.name
            );
        }
        for (i, key) in THRESHOLD_KEYS.iter().enumerate() {
            assert!(
                THRESHOLD_KEYS[i + 1..].iter().all(|k| k.key != key.key),
                "{}",
                key.key
            );
        }
    }

    #[test]
    #[should_panic(expected = "\"queue_depth\" is declared as Count(\"queue_depth\")")]
    fn a_reading_of_another_type_panics() {
        let _ = Measurements::default().with("queue_depth", Reading::Seconds(1.0));
    }

    #[test]
    #[should_panic(expected = "\"queue_length\" is not a figure")]
    fn an_undeclared_figure_panics() {
        Measurements::default().count("queue_length");
    }
}
