//! The runtime configuration keys (`tds_config`): the one registry of their types, ranges,
//! defaults and descriptions ([`KEYS`]), the validation of a change an operator makes through
//! the stats API (known keys only, values of the key's type within its range, and the
//! cross-key rule that a first backoff delay does not exceed the largest), and the values in
//! force for the components ([`Config`]: the stored value when valid, the default otherwise).
//!
//! The alert thresholds are declared with their alert kinds (`crate::alerts`) and take
//! their place in [`KEYS`] from there.
//!
//! # Defaults that evolve
//!
//! A default may change from one release to the next, and the change must reach every
//! database where no operator set the key, while a value an operator set is kept. A
//! `tds_config` row therefore says whose value it holds: `set_by_operator`, set by the one
//! write path of operators (`PATCH /api/config`, through `tds_store::config::SET_VALUE`), or
//! the default a migration seeded. The release that changes a default in [`KEYS`] ships a
//! migration calling `tds_config_new_default('<key>', '<old default>', '<new default>')`
//! (defined by migration V15), which moves only the rows not set by an operator that still
//! hold the old default: a value written by hand in SQL, which does not set the flag, is kept
//! as well unless it is the old default itself.
//!
//! The database, not the code, stays the place the value in force is read from (the
//! components, `GET /api/config` and `psql` agree), and the rule is checked where it can
//! break: `tests/config_registry.rs` replays every migration's seeds and default moves, and
//! requires that what they leave, which is what a new database holds and what an old one
//! holds for a key no operator set, is each key's default here (so a changed default without
//! its migration fails the tests), that a move names the default the key had until
//! then, and that no migration updates `tds_config` rows by other means. Reading the registry's
//! default in place of a row marked as a default was the other design; it would leave the
//! table showing stale defaults, and a new database would still need the migration to hold the
//! default it is seeded with. The same test holds the table of keys in
//! docs/configuration.md to this registry; the runbook's test holds the alert thresholds'
//! documentation.

use serde_json::Value;

use crate::alerts::THRESHOLD_KEYS;

/// A key's value type and range (inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueKind {
    Integer {
        min: i64,
        max: i64,
    },
    Number {
        min: f64,
        max: f64,
    },
    /// A comma-separated list of Zoho module names from the entity table, each at most once.
    ModuleList,
}

/// A key's default: the value the components use when the key is not set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    Integer(i64),
    Number(f64),
    Text(&'static str),
}

impl DefaultValue {
    /// The default as JSON.
    pub fn to_json(self) -> Value {
        match self {
            DefaultValue::Integer(n) => Value::from(n),
            DefaultValue::Number(n) => Value::from(n),
            DefaultValue::Text(t) => Value::from(t),
        }
    }
}

/// One configuration key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfigKey {
    pub key: &'static str,
    pub kind: ValueKind,
    pub default: DefaultValue,
    pub description: &'static str,
}

/// An integer key: its range `min..=max`, default and meaning.
pub(crate) const fn int(
    key: &'static str,
    min: i64,
    max: i64,
    default: i64,
    description: &'static str,
) -> ConfigKey {
    ConfigKey {
        key,
        kind: ValueKind::Integer { min, max },
        default: DefaultValue::Integer(default),
        description,
    }
}

const DAY_MS: i64 = 86_400_000;
const DAY_S: i64 = 86_400;

/// The keys before the alert thresholds in [`KEYS`].
const BEFORE_THRESHOLDS: [ConfigKey; 9] = [
    int("backoff_base_ms", 1, DAY_MS, 1000, "Retry backoff: the ceiling of the first retry delay, doubled per attempt (full jitter below it)."),
    int("backoff_cap_ms", 1, DAY_MS, 300_000, "Retry backoff: the largest retry delay."),
    int("lock_timeout_ms", 1, 600_000, 5000, "Processor: the longest a batch waits for a row lock; keep well under half of lease_seconds."),
    int("heal_reclaim_limit", 1, 100_000, 500, "Heal: the most expired leases one run returns to the queue."),
    int("abandoned_run_seconds", 60, 30 * DAY_S, 900, "Heal: a run still running after this long is closed as failed (abandoned: its host was stopped or killed). Keep above the host's longest guest execution (tds up --max-execution-secs, default 600)."),
    int("heal_abandoned_run_limit", 1, 100_000, 100, "Heal: the most abandoned runs one run closes."),
    int("dead_letter_auto_retry_after_seconds", 60, 30 * DAY_S, 3600, "Heal: cool-down before a dead letter with a transient cause is retried automatically."),
    int("dead_letter_auto_retry_max", 0, 100, 3, "Heal: how many times one dead letter is retried automatically."),
    int("heal_dead_letter_retry_limit", 0, 100_000, 100, "Heal: the most dead letters one run retries automatically."),
];

/// The keys after the alert thresholds in [`KEYS`].
const AFTER_THRESHOLDS: [ConfigKey; 26] = [
    int("heal_alert_delivery_limit", 0, 10_000, 20, "Heal: the most alert events one run delivers to the outbound webhooks."),
    int("alert_webhook_timeout_ms", 1, 600_000, 5000, "Heal: the longest one alert webhook delivery may take."),
    int("heal_rollup_max_minutes", 1, 7 * 1440, 60, "Heal: the most new minutes one run rolls up into tds_metrics."),
    int("heal_rollup_settle_minutes", 0, 1440, 10, "Heal: closed minutes looked at again once per new closed minute, for rows committed after their minute closed; recomputed from the first whose raw rows changed."),
    int("retention_inbox_days", 1, 3650, 7, "Retention: inbox events older than this are deleted."),
    int("retention_log_days", 1, 3650, 90, "Retention: sync log and audit rows older than this are deleted."),
    int("retention_metrics_days", 1, 3650, 30, "Retention: metric rollups older than this are deleted."),
    int("retention_completed_queue_days", 1, 3650, 7, "Retention: completed queue rows older than this are deleted."),
    int("heal_retention_batch_size", 1, 100_000, 1000, "Heal: rows one retention statement deletes at most (one short transaction each)."),
    int("heal_retention_max_batches", 1, 1000, 10, "Heal: retention batches one run spends per table at most."),
    int("circuit_failure_threshold", 1, 1000, 5, "Circuit breakers: consecutive failures that open a circuit."),
    int("circuit_open_seconds", 1, DAY_S, 60, "Circuit breakers: how long a circuit stays open before a probe."),
    int("reconcile_page_size", 1, 200, 200, "Reconcile: records per Zoho list page (Zoho allows 200 at most)."),
    int("reconcile_requests_per_minute", 1, 10_000, 100, "Reconcile: Zoho API requests per minute at most."),
    int("reconcile_backoff_base_ms", 1, DAY_MS, 2000, "Reconcile: the first wait after a rate-limited answer (429), doubled per repeat."),
    int("reconcile_backoff_cap_ms", 1, DAY_MS, 60_000, "Reconcile: the longest wait after a rate-limited answer."),
    int("reconcile_max_retries", 0, 100, 5, "Reconcile: rate-limited or failed requests retried at most this many times each."),
    int("reconcile_daily_request_limit", 1, 1_000_000, 2000, "Reconcile: the Zoho Books plan's API requests per day (Free 1000, Standard 2000, Professional 5000, Premium and up 10000)."),
    int("reconcile_daily_request_reserve", 0, 1_000_000, 500, "Reconcile: requests a day left for the organisation's other API clients; the pull spends at most the limit minus this."),
    int("reconcile_rereads_per_run", 0, 10_000, 10, "Reconcile: records whose list row shows no modification time read again per run, oldest read first."),
    int("reconcile_check_interval_hours", 1, 720, 24, "Reconcile: a scheduled run lists a module again (and looks for drift) once its last whole listing is this old; between, it only goes on with what is left to read."),
    int("reconcile_time_budget_ms", 1000, 3_600_000, 240_000, "Reconcile: how long one run keeps pulling before it stops (the cursor keeps its place)."),
    int("reconcile_request_timeout_ms", 100, 600_000, 30_000, "Reconcile: the longest one Zoho API request may take."),
    int("reconcile_stale_age_hours", 1, 24 * 3650, 720, "Reconcile integrity: ERP rows not written for longer than this are reported."),
    int("reconcile_finding_limit", 1, 10_000, 100, "Reconcile: the most ids listed per check and module in a report."),
    ConfigKey {
        key: "reconcile_modules",
        kind: ValueKind::ModuleList,
        default: DefaultValue::Text(crate::entity::BOOKS_MODULES),
        description: "Reconcile: the Zoho Books modules pulled and compared.",
    },
];

/// Every key the components read (processor, heal, reconcile), in a stable order: the
/// alert thresholds (`alerts::THRESHOLD_KEYS`, declared with their kinds) among heal's. A
/// key a migration seeds must be listed here, with its type and range, to be changed
/// through the stats API.
pub const KEYS: [ConfigKey;
    BEFORE_THRESHOLDS.len() + THRESHOLD_KEYS.len() + AFTER_THRESHOLDS.len()] =
    concat(&[&BEFORE_THRESHOLDS, &THRESHOLD_KEYS, &AFTER_THRESHOLDS]);

/// `parts` one after the other; `N` is their total length.
const fn concat<const N: usize>(parts: &[&[ConfigKey]]) -> [ConfigKey; N] {
    let mut keys = [int("", 0, 0, 0, ""); N];
    let (mut n, mut p) = (0, 0);
    while p < parts.len() {
        let mut i = 0;
        while i < parts[p].len() {
            keys[n] = parts[p][i];
            n += 1;
            i += 1;
        }
        p += 1;
    }
    keys
}

/// Keys no component reads any more, each with the migration that deletes its row: the
/// only deletes of `tds_config` rows a migration may make (`tests/config_registry.rs`).
pub const RETIRED: [(&str, &str); 1] = [(
    "reconcile_overlap_seconds",
    "V12__pull_listing.sql",
)];

/// Pairs of keys where the first may not exceed the second.
const NOT_ABOVE: [(&str, &str); 2] = [
    ("backoff_base_ms", "backoff_cap_ms"),
    ("reconcile_backoff_base_ms", "reconcile_backoff_cap_ms"),
];

/// The known key named `key`.
///
/// ```
/// assert!(tds_core::config_values::key("backoff_cap_ms").is_some());
/// assert!(tds_core::config_values::key("colour").is_none());
/// ```
pub fn key(key: &str) -> Option<&'static ConfigKey> {
    KEYS.iter().find(|k| k.key == key)
}

mod config;
mod validate;

pub use config::Config;
pub use validate::{default_number, validate_change, validate_value, whole_number, ConfigError};
