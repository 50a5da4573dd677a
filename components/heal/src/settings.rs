//! Heal's configuration: `tds_config` keys read at the start of every run (an unset key,
//! or a value that is not a number in range, means the default), and the component
//! variables naming the alert webhooks.
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `lock_timeout_ms` | 5000 | the longest a heal transaction waits for a row lock |
//! | `heal_reclaim_limit` | 500 | expired leases returned per run |
//! | `dead_letter_auto_retry_after_seconds` | 3600 | cool-down before a transient dead letter is retried |
//! | `dead_letter_auto_retry_max` | 3 | automatic retries per event (0: never) |
//! | `heal_dead_letter_retry_limit` | 100 | dead letters retried per run |
//! | `alert_queue_depth`, `alert_oldest_pending_seconds`, `alert_failure_rate`, `alert_failure_rate_min_attempts`, `alert_dead_letter_age_hours` | 10000, 900, 0.2, 20, 24 | alert thresholds (`tds_core::alerts`) |
//! | `heal_alert_delivery_limit` | 20 | alert events delivered per run |
//! | `alert_webhook_timeout_ms` | 5000 | the longest one delivery may take |
//! | `circuit_failure_threshold`, `circuit_open_seconds` | 5, 60 | the outbound webhooks' breakers |
//! | `heal_rollup_max_minutes`, `heal_rollup_settle_minutes` | 60, 10 | rollup reach (`tds_core::metrics`) |
//! | `retention_inbox_days`, `retention_log_days`, `retention_metrics_days`, `retention_completed_queue_days` | 7, 90, 30, 7 | retention |
//! | `heal_retention_batch_size`, `heal_retention_max_batches` | 1000, 10 | rows per retention statement, statements per table per run |
//! | `abandoned_run_seconds` | 900 | a run still `running` after this long is closed as abandoned (above the host's longest guest execution, `--max-execution-secs`, 600) |
//! | `heal_abandoned_run_limit` | 100 | abandoned runs closed per run |
//!
//! Variables: `alert_webhook_url` (generic JSON body) and `alert_slack_webhook_url`
//! (Slack-compatible `{"text": …}`); unset or empty, alerts are only stored. Their
//! origins must be in the component's `allowed_outbound_hosts` (`alert_webhook_origin`,
//! `alert_slack_webhook_origin` in spin.toml).

use std::collections::HashMap;
use std::time::Duration;

use tds_core::alerts::Thresholds;
use tds_core::circuit::Policy;
use tds_core::metrics::RollupBounds;
use tds_guest::db::{param, Db, DbError};
use tds_guest::vars;
use tds_store::config;

/// Every key heal reads.
const KEYS: [&str; 24] = [
    "heal_reclaim_limit",
    "dead_letter_auto_retry_after_seconds",
    "dead_letter_auto_retry_max",
    "heal_dead_letter_retry_limit",
    "alert_queue_depth",
    "alert_oldest_pending_seconds",
    "alert_failure_rate",
    "alert_failure_rate_min_attempts",
    "alert_dead_letter_age_hours",
    "heal_alert_delivery_limit",
    "alert_webhook_timeout_ms",
    "circuit_failure_threshold",
    "circuit_open_seconds",
    "heal_rollup_max_minutes",
    "heal_rollup_settle_minutes",
    "retention_inbox_days",
    "retention_log_days",
    "retention_metrics_days",
    "retention_completed_queue_days",
    "heal_retention_batch_size",
    "heal_retention_max_batches",
    "lock_timeout_ms",
    "abandoned_run_seconds",
    "heal_abandoned_run_limit",
];

/// One configured outbound alert webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    /// `webhook` (generic JSON) or `slack`.
    pub name: &'static str,
    pub url: String,
}

impl Destination {
    /// The destination's circuit breaker.
    pub fn breaker(&self) -> String {
        match self.name {
            "slack" => "outbound:alert_slack_webhook".to_string(),
            other => format!("outbound:alert_{other}"),
        }
    }
}

/// Retention periods in days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retention {
    pub inbox_days: i32,
    pub log_days: i32,
    pub metrics_days: i32,
    pub completed_queue_days: i32,
    pub batch_size: i32,
    pub max_batches: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealConfig {
    /// The longest a heal transaction waits for a lock (`lock_timeout_ms`).
    pub lock_timeout_ms: i32,
    pub reclaim_limit: i32,
    pub auto_retry_after_seconds: i32,
    pub auto_retry_max: i32,
    pub auto_retry_limit: i32,
    pub thresholds: Thresholds,
    pub delivery_limit: i32,
    pub delivery_timeout: Duration,
    pub circuit: Policy,
    pub rollup: RollupBounds,
    pub retention: Retention,
    /// Runs still `running` after this many seconds are abandoned (`abandoned_run_seconds`).
    pub abandoned_run_seconds: i32,
    /// Abandoned runs closed per run (`heal_abandoned_run_limit`).
    pub abandoned_run_limit: i32,
    pub destinations: Vec<Destination>,
}

impl HealConfig {
    /// Reads `tds_config` and the webhook variables.
    pub fn read(db: &Db) -> Result<HealConfig, DbError> {
        let rows = db.query(config::READ_VALUES, &[param::text_array(KEYS)])?;
        let values = rows
            .iter()
            .map(|row| Ok((row.text(0)?, row.text(1)?)))
            .collect::<Result<Vec<_>, DbError>>()?;
        let destinations = [
            ("webhook", vars::get("alert_webhook_url")),
            ("slack", vars::get("alert_slack_webhook_url")),
        ]
        .into_iter()
        .filter_map(|(name, url)| url.map(|url| Destination { name, url }))
        .collect();
        Ok(HealConfig::from_values(values, destinations))
    }

    /// The configuration from `(key, JSON value)` pairs.
    pub fn from_values(
        values: impl IntoIterator<Item = (String, String)>,
        destinations: Vec<Destination>,
    ) -> HealConfig {
        let values = Values(
            values
                .into_iter()
                .filter_map(|(key, value)| number(&value).map(|n| (key, n)))
                .collect(),
        );
        HealConfig {
            lock_timeout_ms: values.count("lock_timeout_ms", 5_000, 1),
            reclaim_limit: values.count("heal_reclaim_limit", 500, 1),
            auto_retry_after_seconds: values.count("dead_letter_auto_retry_after_seconds", 3600, 0),
            auto_retry_max: values.count("dead_letter_auto_retry_max", 3, 0),
            auto_retry_limit: values.count("heal_dead_letter_retry_limit", 100, 1),
            thresholds: Thresholds {
                queue_depth: values.count("alert_queue_depth", 10_000, 0).into(),
                oldest_pending_seconds: values.real("alert_oldest_pending_seconds", 900.0),
                failure_rate: values.real("alert_failure_rate", 0.2),
                failure_rate_min_attempts: values
                    .count("alert_failure_rate_min_attempts", 20, 0)
                    .into(),
                dead_letter_age_hours: values.real("alert_dead_letter_age_hours", 24.0),
            },
            delivery_limit: values.count("heal_alert_delivery_limit", 20, 1),
            delivery_timeout: Duration::from_millis(
                values
                    .count("alert_webhook_timeout_ms", 5_000, 1)
                    .unsigned_abs()
                    .into(),
            ),
            circuit: Policy {
                failure_threshold: values
                    .count("circuit_failure_threshold", 5, 1)
                    .unsigned_abs(),
                open_seconds: values.real("circuit_open_seconds", 60.0),
            },
            rollup: RollupBounds {
                max_minutes: values
                    .count("heal_rollup_max_minutes", 60, 1)
                    .unsigned_abs(),
                settle_minutes: values
                    .count("heal_rollup_settle_minutes", 10, 0)
                    .unsigned_abs(),
            },
            retention: Retention {
                inbox_days: values.count("retention_inbox_days", 7, 1),
                log_days: values.count("retention_log_days", 90, 1),
                metrics_days: values.count("retention_metrics_days", 30, 1),
                completed_queue_days: values.count("retention_completed_queue_days", 7, 1),
                batch_size: values.count("heal_retention_batch_size", 1000, 1),
                max_batches: values.count("heal_retention_max_batches", 10, 1),
            },
            abandoned_run_seconds: values.count("abandoned_run_seconds", 900, 60),
            abandoned_run_limit: values.count("heal_abandoned_run_limit", 100, 1),
            destinations,
        }
    }
}

/// Configured numbers by key.
struct Values(HashMap<String, f64>);

impl Values {
    /// An integer at least `min`, else `default`.
    fn count(&self, key: &str, default: i32, min: i32) -> i32 {
        self.0
            .get(key)
            .filter(|n| n.fract() == 0.0 && **n >= f64::from(min) && **n <= f64::from(i32::MAX))
            .map_or(default, |n| *n as i32)
    }

    /// A non-negative finite number, else `default`.
    fn real(&self, key: &str, default: f64) -> f64 {
        self.0
            .get(key)
            .copied()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .unwrap_or(default)
    }
}

/// A number from a JSON value: `250`, `0.2` or `"250"`.
fn number(json: &str) -> Option<f64> {
    json.trim().trim_matches('"').trim().parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_overrides() {
        let defaults = HealConfig::from_values(pairs(&[]), vec![]);
        assert_eq!(defaults.reclaim_limit, 500);
        assert_eq!(defaults.thresholds, Thresholds::default());
        assert_eq!(defaults.circuit, Policy::default());
        assert_eq!(defaults.retention.completed_queue_days, 7);
        assert_eq!(defaults.abandoned_run_seconds, 900);
        assert_eq!(defaults.abandoned_run_limit, 100);
        let set = HealConfig::from_values(
            pairs(&[
                ("alert_failure_rate", "0.5"),
                ("heal_reclaim_limit", "\"20\""),
                ("retention_inbox_days", "0"),
                ("dead_letter_auto_retry_max", "0"),
                ("circuit_open_seconds", "1.5"),
                ("heal_retention_batch_size", "2.5"),
                ("abandoned_run_seconds", "30"),
                ("heal_abandoned_run_limit", "5"),
            ]),
            vec![],
        );
        assert_eq!(set.thresholds.failure_rate, 0.5);
        assert_eq!(set.reclaim_limit, 20);
        assert_eq!(set.retention.inbox_days, 7, "below the minimum: default");
        assert_eq!(set.auto_retry_max, 0);
        assert_eq!(set.circuit.open_seconds, 1.5);
        assert_eq!(set.retention.batch_size, 1000, "not an integer: default");
        assert_eq!(set.abandoned_run_seconds, 900, "below the minimum: default");
        assert_eq!(set.abandoned_run_limit, 5);
    }

    #[test]
    fn breakers_per_destination() {
        let webhook = Destination {
            name: "webhook",
            url: "http://x".into(),
        };
        let slack = Destination {
            name: "slack",
            url: "http://y".into(),
        };
        assert_eq!(webhook.breaker(), "outbound:alert_webhook");
        assert_eq!(slack.breaker(), "outbound:alert_slack_webhook");
    }
}
