//! Heal's configuration: the `tds_config` keys it reads at the start of every run (`KEYS`,
//! and the alert thresholds of `tds_core::alerts`, through the registry
//! `tds_core::config_values`, which holds their types, ranges and defaults;
//! docs/configuration.md, "Runtime configuration", lists them, and the runbook the
//! thresholds), and its component
//! variables, read through their registry entries (`tds_core::variables`): `database_url`
//! and `max_attempts` before a run starts ([`Variables`]: a bad one refuses the run), and
//! the alert webhooks.
//!
//! Variables: `alert_webhook_url` (generic JSON body) and `alert_slack_webhook_url`
//! (Slack-compatible `{"text": …}`); unset or empty, alerts are only stored. Their
//! origins must be in the component's `allowed_outbound_hosts` (`alert_webhook_origin`,
//! `alert_slack_webhook_origin` in spin.toml).

use std::time::Duration;

use tds_core::alerts::Thresholds;
use tds_core::circuit::Policy;
use tds_core::config_values::Config;
use tds_core::metrics::RollupBounds;
use tds_core::variables::{self, VariableError};
use tds_guest::config::{self, ReadValues};
use tds_guest::db::{Db, DbError};
use tds_guest::queue::LimitWaits;
use tds_guest::vars;

/// The variables a heal run needs before it starts; a bad one (or `database_url` unset)
/// refuses the run, which then does nothing (`Variables::read`'s error).
pub struct Variables {
    pub database_url: String,
    /// The attempts of an event re-queued from a dead letter whose queue row is gone.
    pub max_attempts: u32,
}

impl Variables {
    pub fn read() -> Result<Variables, VariableError> {
        Ok(Variables {
            database_url: vars::read(&variables::DATABASE_URL)?,
            max_attempts: vars::read(&variables::MAX_ATTEMPTS)?,
        })
    }
}

/// Longest a heal transaction may sit idle between statements, in ms.
const IDLE_TIMEOUT_MS: u64 = 30_000;

/// Every key heal reads besides the alert thresholds (`Thresholds::keys`).
const KEYS: [&str; 19] = [
    "heal_reclaim_limit",
    "dead_letter_auto_retry_after_seconds",
    "dead_letter_auto_retry_max",
    "heal_dead_letter_retry_limit",
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
    /// The waits every heal transaction runs under: `lock_timeout_ms` (at least 1, by the
    /// registry) and an idle limit of 30 s.
    pub fn waits(&self) -> LimitWaits {
        LimitWaits {
            lock_timeout_ms: u64::from(self.lock_timeout_ms.unsigned_abs()),
            idle_ms: IDLE_TIMEOUT_MS,
        }
    }

    /// Reads `tds_config` and the webhook variables.
    pub fn read(db: &Db) -> Result<HealConfig, DbError> {
        let keys: Vec<&str> = KEYS.iter().copied().chain(Thresholds::keys()).collect();
        let stored = config::read_values(db, &ReadValues { keys: &keys })?;
        let values = stored.into_iter().map(|v| (v.key, v.value));
        let destinations = [
            ("webhook", vars::text(&variables::ALERT_WEBHOOK_URL)),
            ("slack", vars::text(&variables::ALERT_SLACK_WEBHOOK_URL)),
        ]
        .into_iter()
        .filter_map(|(name, url)| url.map(|url| Destination { name, url }))
        .collect();
        Ok(HealConfig::from_values(values, destinations))
    }

    /// The configuration from `(key, JSON value)` pairs ([`Config`]: a value the registry
    /// refuses means the default).
    pub fn from_values(
        values: impl IntoIterator<Item = (String, String)>,
        destinations: Vec<Destination>,
    ) -> HealConfig {
        let values: Vec<(String, String)> = values.into_iter().collect();
        let config = Config::from_rows(&KEYS, values.iter().map(|(k, v)| (k, v)));
        // The registry's integer ranges are not negative and fit an i32 (a tds-core test).
        let count = |key| config.int(key) as i32;
        HealConfig {
            lock_timeout_ms: count("lock_timeout_ms"),
            reclaim_limit: count("heal_reclaim_limit"),
            auto_retry_after_seconds: count("dead_letter_auto_retry_after_seconds"),
            auto_retry_max: count("dead_letter_auto_retry_max"),
            auto_retry_limit: count("heal_dead_letter_retry_limit"),
            thresholds: Thresholds::from_rows(values.iter().map(|(k, v)| (k, v))),
            delivery_limit: count("heal_alert_delivery_limit"),
            delivery_timeout: Duration::from_millis(config.int("alert_webhook_timeout_ms") as u64),
            circuit: Policy {
                failure_threshold: count("circuit_failure_threshold") as u32,
                open_seconds: config.number("circuit_open_seconds"),
            },
            rollup: RollupBounds {
                max_minutes: count("heal_rollup_max_minutes") as u32,
                settle_minutes: count("heal_rollup_settle_minutes") as u32,
            },
            retention: Retention {
                inbox_days: count("retention_inbox_days"),
                log_days: count("retention_log_days"),
                metrics_days: count("retention_metrics_days"),
                completed_queue_days: count("retention_completed_queue_days"),
                batch_size: count("heal_retention_batch_size"),
                max_batches: count("heal_retention_max_batches"),
            },
            abandoned_run_seconds: count("abandoned_run_seconds"),
            abandoned_run_limit: count("heal_abandoned_run_limit"),
            destinations,
        }
    }
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
        assert_eq!(defaults.rollup, RollupBounds::default());
        assert_eq!(defaults.retention.completed_queue_days, 7);
        assert_eq!(defaults.abandoned_run_seconds, 900);
        assert_eq!(defaults.abandoned_run_limit, 100);
        let set = HealConfig::from_values(
            pairs(&[
                ("alert_failure_rate", "0.5"),
                ("heal_reclaim_limit", "20"),
                ("retention_inbox_days", "0"),
                ("dead_letter_auto_retry_max", "0"),
                ("circuit_open_seconds", "2"),
                ("heal_retention_batch_size", "2.5"),
                ("abandoned_run_seconds", "30"),
                ("heal_abandoned_run_limit", "5"),
                ("alert_webhook_timeout_ms", "250"),
            ]),
            vec![],
        );
        assert_eq!(set.thresholds.number("alert_failure_rate"), 0.5);
        assert_eq!(set.reclaim_limit, 20);
        assert_eq!(set.retention.inbox_days, 7, "below the minimum: default");
        assert_eq!(set.auto_retry_max, 0);
        assert_eq!(set.circuit.open_seconds, 2.0);
        assert_eq!(set.retention.batch_size, 1000, "not an integer: default");
        assert_eq!(set.abandoned_run_seconds, 900, "below the minimum: default");
        assert_eq!(set.abandoned_run_limit, 5);
        assert_eq!(set.delivery_timeout, Duration::from_millis(250));
        let refused = HealConfig::from_values(
            pairs(&[
                ("heal_reclaim_limit", "\"20\""),
                ("circuit_open_seconds", "1.5"),
                ("alert_queue_depth", "0"),
                ("alert_failure_rate", "1.5"),
            ]),
            vec![],
        );
        assert_eq!(
            refused, defaults,
            "a string, a fraction, out of range: defaults"
        );
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
