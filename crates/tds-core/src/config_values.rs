//! The runtime configuration keys (`tds_config`): the one registry of their types, ranges,
//! defaults and descriptions ([`KEYS`]), the validation of a change an operator makes through
//! the stats API (known keys only, values of the key's type within its range, and the
//! cross-key rule that a first backoff delay does not exceed the largest), and the values in
//! force for the components ([`Config`]: the stored value when valid, the default otherwise).
//!
//! The migrations' seeds and the README's table of keys are held to this registry by
//! `tests/config_registry.rs`.

use serde_json::Value;

use crate::entity::Module;

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

const fn int(
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

/// Every key the components read (processor, heal, reconcile), in a stable order. A key a
/// migration seeds must be listed here, with its type and range, to be changed through
/// the stats API.
pub const KEYS: [ConfigKey; 37] = [
    int("backoff_base_ms", 1, DAY_MS, 1000, "Retry backoff: the ceiling of the first retry delay, doubled per attempt (full jitter below it)."),
    int("backoff_cap_ms", 1, DAY_MS, 300_000, "Retry backoff: the largest retry delay."),
    int("lock_timeout_ms", 1, 600_000, 5000, "Processor: the longest a batch waits for a row lock; keep well under half of lease_seconds."),
    int("heal_reclaim_limit", 1, 100_000, 500, "Heal: the most expired leases one run returns to the queue."),
    int("abandoned_run_seconds", 60, 30 * DAY_S, 900, "Heal: a run still running after this long is closed as failed (abandoned: its host was stopped or killed). Keep above the host's longest guest execution (tds up --max-execution-secs, default 600)."),
    int("heal_abandoned_run_limit", 1, 100_000, 100, "Heal: the most abandoned runs one run closes."),
    int("dead_letter_auto_retry_after_seconds", 60, 30 * DAY_S, 3600, "Heal: cool-down before a dead letter with a transient cause is retried automatically."),
    int("dead_letter_auto_retry_max", 0, 100, 3, "Heal: how many times one dead letter is retried automatically."),
    int("heal_dead_letter_retry_limit", 0, 100_000, 100, "Heal: the most dead letters one run retries automatically."),
    int("alert_queue_depth", 1, 100_000_000, 10_000, "Alert when more rows than this wait in the queue."),
    int("alert_oldest_pending_seconds", 1, 30 * DAY_S, 900, "Alert when the oldest waiting row is older than this."),
    ConfigKey {
        key: "alert_failure_rate",
        kind: ValueKind::Number { min: 0.0, max: 1.0 },
        default: DefaultValue::Number(0.2),
        description: "Alert when more than this fraction of attempts in the last 5 minutes failed.",
    },
    int("alert_failure_rate_min_attempts", 1, 1_000_000, 20, "Alert on the failure rate only when at least this many attempts were made in the last 5 minutes."),
    int("alert_dead_letter_age_hours", 1, 24 * 365, 24, "Alert when an unresolved dead letter is older than this."),
    int("heal_alert_delivery_limit", 0, 10_000, 20, "Heal: the most alert events one run delivers to the outbound webhooks."),
    int("alert_webhook_timeout_ms", 1, 600_000, 5000, "Heal: the longest one alert webhook delivery may take."),
    int("heal_rollup_max_minutes", 1, 7 * 1440, 60, "Heal: the most new minutes one run rolls up into tds_metrics."),
    int("heal_rollup_settle_minutes", 0, 1440, 10, "Heal: closed minutes recomputed on every run, for rows committed after their minute closed."),
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
    int("reconcile_overlap_seconds", 0, DAY_S, 60, "Reconcile: an incremental pull starts this long before the cursor, so same-second edits are not lost."),
    int("reconcile_time_budget_ms", 1000, 3_600_000, 240_000, "Reconcile: how long one run keeps pulling before it stops (the cursor keeps its place)."),
    int("reconcile_request_timeout_ms", 100, 600_000, 30_000, "Reconcile: the longest one Zoho API request may take."),
    int("reconcile_stale_age_hours", 1, 24 * 3650, 720, "Reconcile integrity: ERP rows not written for longer than this are reported."),
    int("reconcile_finding_limit", 1, 10_000, 100, "Reconcile: the most ids listed per check and module in a report."),
    ConfigKey {
        key: "reconcile_modules",
        kind: ValueKind::ModuleList,
        default: DefaultValue::Text("invoices,salesorders,customerpayments,creditnotes,items,contacts,bills,purchaseorders,vendorpayments"),
        description: "Reconcile: the Zoho Books modules pulled and compared.",
    },
];

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

/// A change that cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
    /// The value is valid on its own but breaks a relation with another key's value
    /// (given or in force): the API answers 409, not 400.
    pub conflict: bool,
}

impl ConfigError {
    fn new(key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            key: key.to_string(),
            message: message.into(),
            conflict: false,
        }
    }
}

/// Checks one value for `key`; returns the JSON the value is stored as.
///
/// ```
/// use serde_json::json;
/// use tds_core::config_values::validate_value;
/// assert_eq!(validate_value("batch", &json!(1)).unwrap_err().message, "not a configuration key");
/// assert_eq!(validate_value("heal_reclaim_limit", &json!(250)).unwrap(), json!(250));
/// assert!(validate_value("heal_reclaim_limit", &json!("250")).is_err());
/// assert!(validate_value("heal_reclaim_limit", &json!(0)).is_err());
/// assert_eq!(validate_value("alert_failure_rate", &json!(0.5)).unwrap(), json!(0.5));
/// assert_eq!(validate_value("heal_reclaim_limit", &json!(250.0)).unwrap(), json!(250));
/// assert_eq!(validate_value("reconcile_modules", &json!("items , bills,items")).unwrap(), json!("items,bills"));
/// assert!(validate_value("reconcile_modules", &json!("items,widgets")).is_err());
/// assert!(validate_value("reconcile_modules", &json!("items,,bills")).is_err());
/// ```
pub fn validate_value(name: &str, value: &Value) -> Result<Value, ConfigError> {
    let spec = key(name).ok_or_else(|| ConfigError::new(name, "not a configuration key"))?;
    match spec.kind {
        ValueKind::Integer { min, max } => {
            let n = whole_number(value).ok_or_else(|| {
                ConfigError::new(name, format!("must be a whole number, not {value}"))
            })?;
            if !(min..=max).contains(&n) {
                return Err(ConfigError::new(
                    name,
                    format!("must be between {min} and {max}, not {n}"),
                ));
            }
            Ok(Value::from(n))
        }
        ValueKind::Number { min, max } => {
            let n = value
                .as_f64()
                .filter(|n| n.is_finite())
                .ok_or_else(|| ConfigError::new(name, format!("must be a number, not {value}")))?;
            if !(min..=max).contains(&n) {
                return Err(ConfigError::new(
                    name,
                    format!("must be between {min} and {max}, not {n}"),
                ));
            }
            Ok(value.clone())
        }
        ValueKind::ModuleList => {
            let text = value.as_str().ok_or_else(|| {
                ConfigError::new(
                    name,
                    format!("must be a comma-separated list of modules, not {value}"),
                )
            })?;
            let mut modules: Vec<&str> = Vec::new();
            for part in text.split(',').map(|p| p.trim_matches(' ')) {
                if part.is_empty() {
                    return Err(ConfigError::new(
                        name,
                        format!("{text:?} has an empty entry; name modules separated by commas"),
                    ));
                }
                if Module::from_name(part).is_none() {
                    return Err(ConfigError::new(
                        name,
                        format!("{part:?} is not a module TDS syncs"),
                    ));
                }
                if !modules.contains(&part) {
                    modules.push(part);
                }
            }
            if modules.is_empty() {
                return Err(ConfigError::new(name, "must name at least one module"));
            }
            Ok(Value::from(modules.join(",")))
        }
    }
}

/// A JSON number with no fractional part (`5`, `5.0` and `5e0` alike, as JSON Schema's
/// `integer`), when it fits an `i64` exactly.
fn whole_number(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15)
            .map(|n| n as i64)
    })
}

/// Checks a whole change (`{"key": value, …}`) against the numbers in force (`current`:
/// each numeric key's stored or default value): every key known, every value valid, and
/// no backoff base above its cap once the change is applied (an error with `conflict`).
/// Returns the values to store, in the order given (none for `{}`), or every error found.
///
/// ```
/// use serde_json::json;
/// use tds_core::config_values::{default_number, validate_change};
/// let change = json!({"backoff_base_ms": 500, "retention_inbox_days": 14});
/// assert_eq!(validate_change(&change, default_number).unwrap().len(), 2);
/// let change = json!({"backoff_base_ms": 600000});
/// assert_eq!(validate_change(&change, default_number).unwrap_err()[0].key, "backoff_base_ms");
/// ```
pub fn validate_change(
    change: &Value,
    current: impl Fn(&str) -> Option<f64>,
) -> Result<Vec<(&'static str, Value)>, Vec<ConfigError>> {
    let Some(object) = change.as_object() else {
        return Err(vec![ConfigError::new(
            "(body)",
            "must be a JSON object of key: value",
        )]);
    };
    let mut accepted = Vec::new();
    let mut errors = Vec::new();
    for (name, value) in object {
        match validate_value(name, value) {
            Ok(stored) => accepted.push((key(name).map(|k| k.key).unwrap_or_default(), stored)),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        let after = |k: &str| {
            accepted
                .iter()
                .find(|(name, _)| *name == k)
                .and_then(|(_, v)| v.as_f64())
                .or_else(|| current(k))
        };
        for (low, high) in NOT_ABOVE {
            if let (Some(a), Some(b)) = (after(low), after(high)) {
                if a > b {
                    errors.push(ConfigError {
                        conflict: true,
                        ..ConfigError::new(low, format!("must not exceed {high} ({a} > {b})"))
                    });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(accepted)
    } else {
        Err(errors)
    }
}

/// A numeric key's default (`None` for other keys and unknown names).
///
/// ```
/// assert_eq!(tds_core::config_values::default_number("backoff_cap_ms"), Some(300000.0));
/// assert_eq!(tds_core::config_values::default_number("reconcile_modules"), None);
/// ```
pub fn default_number(name: &str) -> Option<f64> {
    match key(name)?.default {
        DefaultValue::Integer(n) => Some(n as f64),
        DefaultValue::Number(n) => Some(n),
        DefaultValue::Text(_) => None,
    }
}

/// The values in force for the registry keys a component reads: each key's stored value
/// when [`validate_value`] accepts it (normalised as the stats API stores it), its default
/// otherwise — unset, not JSON, of the wrong type or out of range alike.
///
/// Built from the `(key, JSON text)` rows `tds_store::config::READ_VALUES` returns for the
/// keys read, and read through typed getters. Keys are checked: [`Config::from_rows`] panics
/// on a key that is not in [`KEYS`] (a typo), and a getter panics on a key that was not
/// among the keys read or is of another kind — programming errors that a component's unit
/// tests catch by building its settings once.
///
/// ```
/// use tds_core::config_values::Config;
/// let keys = ["heal_reclaim_limit", "retention_log_days", "alert_failure_rate"];
/// let config = Config::from_rows(
///     &keys,
///     [("heal_reclaim_limit", "250"), ("retention_log_days", "0"), ("alert_failure_rate", "\"0.5\"")],
/// );
/// assert_eq!(config.int("heal_reclaim_limit"), 250);
/// assert_eq!(config.int("retention_log_days"), 90, "out of range: the default");
/// assert_eq!(config.number("alert_failure_rate"), 0.2, "not a number: the default");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Every key read, with its valid stored value (if any).
    values: Vec<(&'static ConfigKey, Option<Value>)>,
}

impl Config {
    /// The values in force for `keys` given the stored `rows` (`key`, the value as JSON
    /// text). Rows of other keys are ignored.
    ///
    /// ```
    /// use tds_core::config_values::Config;
    /// let none: [(&str, &str); 0] = [];
    /// assert_eq!(Config::from_rows(&["backoff_cap_ms"], none).int("backoff_cap_ms"), 300000);
    /// let config = Config::from_rows(&["backoff_cap_ms"], [("backoff_cap_ms", "9000"), ("other", "1")]);
    /// assert_eq!(config.int("backoff_cap_ms"), 9000);
    /// ```
    ///
    /// # Panics
    ///
    /// When one of `keys` is not a registry key.
    pub fn from_rows<K, V>(keys: &[&str], rows: impl IntoIterator<Item = (K, V)>) -> Config
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut values: Vec<(&'static ConfigKey, Option<Value>)> = keys
            .iter()
            .map(|name| {
                let spec =
                    key(name).unwrap_or_else(|| panic!("{name:?} is not a configuration key"));
                (spec, None)
            })
            .collect();
        for (name, text) in rows {
            let Some((spec, slot)) = values.iter_mut().find(|(k, _)| k.key == name.as_ref()) else {
                continue;
            };
            *slot = serde_json::from_str::<Value>(text.as_ref())
                .ok()
                .and_then(|value| validate_value(spec.key, &value).ok());
        }
        Config { values }
    }

    /// The key named `name` and its valid stored value.
    fn entry(&self, name: &str) -> (&'static ConfigKey, Option<&Value>) {
        self.values
            .iter()
            .find(|(k, _)| k.key == name)
            .map(|(k, v)| (*k, v.as_ref()))
            .unwrap_or_else(|| panic!("{name:?} is not among the configuration keys read"))
    }

    /// An integer key's value in force.
    ///
    /// ```
    /// use tds_core::config_values::Config;
    /// let config = Config::from_rows(&["lock_timeout_ms"], [("lock_timeout_ms", "300.0")]);
    /// assert_eq!(config.int("lock_timeout_ms"), 300);
    /// let config = Config::from_rows(&["lock_timeout_ms"], [("lock_timeout_ms", "\"300\"")]);
    /// assert_eq!(config.int("lock_timeout_ms"), 5000, "a string: the default");
    /// ```
    ///
    /// # Panics
    ///
    /// When `name` was not read or is not an integer key.
    pub fn int(&self, name: &str) -> i64 {
        match self.entry(name) {
            (
                ConfigKey {
                    kind: ValueKind::Integer { .. },
                    default: DefaultValue::Integer(default),
                    ..
                },
                stored,
            ) => stored.and_then(Value::as_i64).unwrap_or(*default),
            (spec, _) => panic!("{name:?} is not an integer key: {:?}", spec.kind),
        }
    }

    /// A numeric key's value in force (integer keys too).
    ///
    /// ```
    /// use tds_core::config_values::Config;
    /// let keys = ["alert_failure_rate", "circuit_open_seconds"];
    /// let config = Config::from_rows(&keys, [("alert_failure_rate", "0.5"), ("circuit_open_seconds", "0")]);
    /// assert_eq!(config.number("alert_failure_rate"), 0.5);
    /// assert_eq!(config.number("circuit_open_seconds"), 60.0, "below the minimum: the default");
    /// ```
    ///
    /// # Panics
    ///
    /// When `name` was not read or is not a numeric key.
    pub fn number(&self, name: &str) -> f64 {
        let (spec, stored) = self.entry(name);
        let default = match (spec.kind, spec.default) {
            (ValueKind::Integer { .. }, DefaultValue::Integer(n)) => n as f64,
            (ValueKind::Number { .. }, DefaultValue::Number(n)) => n,
            _ => panic!("{name:?} is not a numeric key: {:?}", spec.kind),
        };
        stored.and_then(Value::as_f64).unwrap_or(default)
    }

    /// A module-list key's modules in force, in the order named, each once.
    ///
    /// ```
    /// use tds_core::config_values::Config;
    /// use tds_core::entity::Module;
    /// let config = Config::from_rows(&["reconcile_modules"], [("reconcile_modules", "\"items, bills,items\"")]);
    /// assert_eq!(config.modules("reconcile_modules"), [Module::Items, Module::Bills]);
    /// let config = Config::from_rows(&["reconcile_modules"], [("reconcile_modules", "\"items,widgets\"")]);
    /// assert_eq!(config.modules("reconcile_modules").len(), 9, "an unknown module: the default");
    /// ```
    ///
    /// # Panics
    ///
    /// When `name` was not read or is not a module-list key.
    pub fn modules(&self, name: &str) -> Vec<Module> {
        let (spec, stored) = self.entry(name);
        let (ValueKind::ModuleList, DefaultValue::Text(default)) = (spec.kind, spec.default) else {
            panic!("{name:?} is not a module-list key: {:?}", spec.kind);
        };
        stored
            .and_then(Value::as_str)
            .unwrap_or(default)
            .split(',')
            .filter_map(Module::from_name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_are_unique_and_defaults_in_range() {
        for (i, k) in KEYS.iter().enumerate() {
            assert!(KEYS[i + 1..].iter().all(|o| o.key != k.key), "{}", k.key);
            assert!(
                validate_value(k.key, &k.default.to_json()).is_ok(),
                "{}",
                k.key
            );
        }
    }

    #[test]
    fn types_are_strict() {
        for bad in [json!(1.5), json!("5"), json!(true), json!(null), json!(1e300)] {
            assert!(
                validate_value("circuit_open_seconds", &bad).is_err(),
                "{bad}"
            );
        }
        assert!(validate_value("alert_failure_rate", &json!(1.01)).is_err());
        assert!(validate_value("alert_failure_rate", &json!(1)).is_ok());
    }

    #[test]
    fn every_error_is_reported() {
        let current = default_number;
        let errors =
            validate_change(&json!({"nope": 1, "retention_log_days": 0}), current).unwrap_err();
        let keys: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["nope", "retention_log_days"]);
        assert!(validate_change(&json!([]), current).is_err());
        assert_eq!(validate_change(&json!({}), current), Ok(vec![]));
        let conflict = validate_change(&json!({"backoff_base_ms": 400000}), current).unwrap_err();
        assert!(conflict[0].conflict);
        assert!(validate_change(
            &json!({"backoff_cap_ms": 10, "backoff_base_ms": 10}),
            current
        )
        .is_ok());
    }
    fn none() -> [(&'static str, &'static str); 0] {
        []
    }

    #[test]
    fn every_key_reads_its_default_when_unset_or_invalid() {
        let names: Vec<&str> = KEYS.iter().map(|k| k.key).collect();
        let unset = Config::from_rows(&names, none());
        let invalid = Config::from_rows(&names, names.iter().map(|n| (*n, "\"nonsense\"")));
        for k in &KEYS {
            for config in [&unset, &invalid] {
                match k.default {
                    DefaultValue::Integer(n) => assert_eq!(config.int(k.key), n, "{}", k.key),
                    DefaultValue::Number(n) => assert_eq!(config.number(k.key), n, "{}", k.key),
                    DefaultValue::Text(t) => {
                        let names: Vec<String> = config
                            .modules(k.key)
                            .iter()
                            .map(ToString::to_string)
                            .collect();
                        assert_eq!(names.join(","), t, "{}", k.key);
                    }
                }
            }
        }
    }

    #[test]
    fn stored_values_in_range_are_in_force() {
        let keys = [
            "circuit_open_seconds",
            "alert_failure_rate",
            "reconcile_modules",
        ];
        let config = Config::from_rows(
            &keys,
            [
                ("circuit_open_seconds", " 86400 "),
                ("alert_failure_rate", "1"),
                ("reconcile_modules", "\"pricebooks\""),
            ],
        );
        assert_eq!(config.int("circuit_open_seconds"), 86_400);
        assert_eq!(config.number("circuit_open_seconds"), 86_400.0);
        assert_eq!(config.number("alert_failure_rate"), 1.0);
        assert_eq!(config.modules("reconcile_modules"), [Module::PriceBooks]);
        for bad in ["86401", "1.5", "-1", "true", "null", "", "1e300", "{}"] {
            let config = Config::from_rows(&keys, [("circuit_open_seconds", bad)]);
            assert_eq!(config.int("circuit_open_seconds"), 60, "{bad:?}");
        }
    }

    #[test]
    #[should_panic(expected = "\"circuit_open_second\" is not a configuration key")]
    fn a_key_not_in_the_registry_panics() {
        Config::from_rows(&["circuit_open_second"], none());
    }

    #[test]
    #[should_panic(expected = "\"backoff_cap_ms\" is not among the configuration keys read")]
    fn a_key_not_read_panics() {
        Config::from_rows(&["backoff_base_ms"], none()).int("backoff_cap_ms");
    }

    #[test]
    #[should_panic(expected = "\"alert_failure_rate\" is not an integer key")]
    fn a_getter_of_another_kind_panics() {
        Config::from_rows(&["alert_failure_rate"], none()).int("alert_failure_rate");
    }

    /// Components keep integer values in `i32`, `u32` and `u64` fields: every range fits.
    #[test]
    fn integer_ranges_fit_an_i32_and_are_not_negative() {
        for k in &KEYS {
            if let ValueKind::Integer { min, max } = k.kind {
                assert!(
                    min >= 0 && min <= max && max <= i64::from(i32::MAX),
                    "{}",
                    k.key
                );
            }
        }
    }

    /// The libraries' own defaults (used by their tests and doc examples) are the
    /// registry's.
    #[test]
    fn library_defaults_are_the_registry_defaults() {
        let n = |name| default_number(name).unwrap();
        let backoff = crate::backoff::Backoff::default();
        assert_eq!(backoff.base_ms as f64, n("backoff_base_ms"));
        assert_eq!(backoff.cap_ms as f64, n("backoff_cap_ms"));
        let policy = crate::circuit::Policy::default();
        assert_eq!(
            f64::from(policy.failure_threshold),
            n("circuit_failure_threshold")
        );
        assert_eq!(policy.open_seconds, n("circuit_open_seconds"));
        let t = crate::alerts::Thresholds::default();
        assert_eq!(t.queue_depth as f64, n("alert_queue_depth"));
        assert_eq!(t.oldest_pending_seconds, n("alert_oldest_pending_seconds"));
        assert_eq!(t.failure_rate, n("alert_failure_rate"));
        assert_eq!(
            t.failure_rate_min_attempts as f64,
            n("alert_failure_rate_min_attempts")
        );
        assert_eq!(t.dead_letter_age_hours, n("alert_dead_letter_age_hours"));
        let rollup = crate::metrics::RollupBounds::default();
        assert_eq!(f64::from(rollup.max_minutes), n("heal_rollup_max_minutes"));
        assert_eq!(
            f64::from(rollup.settle_minutes),
            n("heal_rollup_settle_minutes")
        );
    }
}
