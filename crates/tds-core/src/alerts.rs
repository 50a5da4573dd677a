//! Alerts: which conditions fire for measured figures and thresholds, and the bodies
//! sent to outbound webhooks.
//!
//! | kind | dedup key | fires when | severity |
//! |---|---|---|---|
//! | `queue_depth` | `queue_depth` | more rows wait (pending, retry) than `alert_queue_depth` | warning |
//! | `oldest_pending_age` | `oldest_pending_age` | the oldest waiting row is older than `alert_oldest_pending_seconds` | warning |
//! | `failure_rate` | `failure_rate` | over the last [`FAILURE_RATE_WINDOW_SECONDS`], at least `alert_failure_rate_min_attempts` attempts and a failed fraction above `alert_failure_rate` | critical |
//! | `dead_letters_aged` | `dead_letters_aged` | an unresolved dead letter is older than `alert_dead_letter_age_hours` | warning |
//! | `circuit_open` | `circuit_open:<breaker>` | a circuit breaker is open or half-open | critical |
//!
//! An alert is opened once per dedup key while its condition holds and resolved when it
//! no longer does; the caller keeps that bookkeeping. Each opening and resolution is
//! delivered as a [`Notice`]: [`generic_body`] (JSON) or [`slack_body`] (`{"text": …}`).

use serde_json::{json, Value};

/// Attempts counted for the failure rate: the last five minutes.
pub const FAILURE_RATE_WINDOW_SECONDS: i32 = 300;

/// Every kind this module evaluates (alerts of other kinds are not resolved by it).
pub const KINDS: [&str; 5] = [
    "queue_depth",
    "oldest_pending_age",
    "failure_rate",
    "dead_letters_aged",
    "circuit_open",
];

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

/// The thresholds, from `tds_config`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub queue_depth: i64,
    pub oldest_pending_seconds: f64,
    pub failure_rate: f64,
    pub failure_rate_min_attempts: i64,
    pub dead_letter_age_hours: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            queue_depth: 10_000,
            oldest_pending_seconds: 900.0,
            failure_rate: 0.2,
            failure_rate_min_attempts: 20,
            dead_letter_age_hours: 24.0,
        }
    }
}

/// A breaker that is not closed.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenCircuit {
    pub name: String,
    pub state: String,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
}

/// What the heal run measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measurements {
    /// Rows waiting (pending or retry).
    pub queue_depth: i64,
    /// Seconds the oldest waiting row has waited; 0 when none waits.
    pub oldest_pending_seconds: f64,
    /// Attempts logged in the failure-rate window, and how many of them failed.
    pub recent_attempts: i64,
    pub recent_failures: i64,
    /// Unresolved dead letters older than the age threshold.
    pub aged_dead_letters: i64,
    pub open_circuits: Vec<OpenCircuit>,
}

/// A condition that holds now.
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
/// use tds_core::alerts::{evaluate, Measurements, Thresholds};
/// let t = Thresholds { queue_depth: 10, ..Thresholds::default() };
/// let quiet = Measurements { queue_depth: 10, ..Measurements::default() };
/// assert!(evaluate(&quiet, &t).is_empty());
/// let busy = Measurements { queue_depth: 11, ..Measurements::default() };
/// assert_eq!(evaluate(&busy, &t)[0].dedup_key, "queue_depth");
/// ```
pub fn evaluate(m: &Measurements, t: &Thresholds) -> Vec<Firing> {
    let mut firing = Vec::new();
    if m.queue_depth > t.queue_depth {
        firing.push(Firing {
            dedup_key: "queue_depth".into(),
            kind: "queue_depth",
            severity: Severity::Warning,
            message: format!(
                "{} rows wait in the queue (threshold {})",
                m.queue_depth, t.queue_depth
            ),
            details: json!({"queue_depth": m.queue_depth, "threshold": t.queue_depth}),
        });
    }
    if m.oldest_pending_seconds > t.oldest_pending_seconds {
        firing.push(Firing {
            dedup_key: "oldest_pending_age".into(),
            kind: "oldest_pending_age",
            severity: Severity::Warning,
            message: format!(
                "the oldest waiting row has waited {:.0} s (threshold {:.0} s)",
                m.oldest_pending_seconds, t.oldest_pending_seconds
            ),
            details: json!({"oldest_pending_seconds": m.oldest_pending_seconds, "threshold": t.oldest_pending_seconds}),
        });
    }
    if let Some(rate) = failure_rate(m, t) {
        firing.push(Firing {
            dedup_key: "failure_rate".into(),
            kind: "failure_rate",
            severity: Severity::Critical,
            message: format!(
                "{} of {} attempts in the last {} s failed ({:.0} %, threshold {:.0} %)",
                m.recent_failures,
                m.recent_attempts,
                FAILURE_RATE_WINDOW_SECONDS,
                rate * 100.0,
                t.failure_rate * 100.0
            ),
            details: json!({"attempts": m.recent_attempts, "failures": m.recent_failures, "rate": rate,
                            "threshold": t.failure_rate, "window_seconds": FAILURE_RATE_WINDOW_SECONDS}),
        });
    }
    if m.aged_dead_letters > 0 {
        firing.push(Firing {
            dedup_key: "dead_letters_aged".into(),
            kind: "dead_letters_aged",
            severity: Severity::Warning,
            message: format!(
                "{} unresolved dead letters are older than {} h",
                m.aged_dead_letters, t.dead_letter_age_hours
            ),
            details: json!({"dead_letters": m.aged_dead_letters, "age_hours": t.dead_letter_age_hours}),
        });
    }
    for circuit in &m.open_circuits {
        firing.push(Firing {
            dedup_key: format!("circuit_open:{}", circuit.name),
            kind: "circuit_open",
            severity: Severity::Critical,
            message: format!(
                "circuit {} is {} after {} consecutive failures{}",
                circuit.name,
                circuit.state,
                circuit.consecutive_failures,
                circuit
                    .last_error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
            details: json!({"breaker": circuit.name, "state": circuit.state,
                            "consecutive_failures": circuit.consecutive_failures, "last_error": circuit.last_error}),
        });
    }
    firing
}

/// The failed fraction when it counts (enough attempts) and is above the threshold.
fn failure_rate(m: &Measurements, t: &Thresholds) -> Option<f64> {
    if m.recent_attempts <= 0 || m.recent_attempts < t.failure_rate_min_attempts {
        return None;
    }
    let rate = m.recent_failures as f64 / m.recent_attempts as f64;
    (rate > t.failure_rate).then_some(rate)
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

    #[test]
    fn every_condition_fires_above_its_threshold_only() {
        let t = Thresholds {
            queue_depth: 5,
            oldest_pending_seconds: 60.0,
            failure_rate: 0.5,
            failure_rate_min_attempts: 4,
            dead_letter_age_hours: 24.0,
        };
        let at_limits = Measurements {
            queue_depth: 5,
            oldest_pending_seconds: 60.0,
            recent_attempts: 4,
            recent_failures: 2,
            aged_dead_letters: 0,
            open_circuits: vec![],
        };
        assert!(kinds(&at_limits, &t).is_empty());
        let over = Measurements {
            queue_depth: 6,
            oldest_pending_seconds: 61.0,
            recent_attempts: 4,
            recent_failures: 3,
            aged_dead_letters: 1,
            open_circuits: vec![OpenCircuit {
                name: "lane:catalog".into(),
                state: "open".into(),
                consecutive_failures: 5,
                last_error: Some("deadlock".into()),
            }],
        };
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
        assert!(firing.iter().all(|f| KINDS.contains(&f.kind)));
    }

    #[test]
    fn too_few_attempts_never_make_a_failure_rate() {
        let t = Thresholds {
            failure_rate_min_attempts: 10,
            ..Thresholds::default()
        };
        let m = Measurements {
            recent_attempts: 9,
            recent_failures: 9,
            ..Measurements::default()
        };
        assert!(kinds(&m, &t).is_empty());
        let none = Measurements::default();
        let t0 = Thresholds {
            failure_rate_min_attempts: 0,
            ..Thresholds::default()
        };
        assert!(kinds(&none, &t0).is_empty());
    }
}
