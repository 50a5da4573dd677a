//! The values in force for a component: stored when valid, the registry's default otherwise.

use serde_json::Value;

use super::{key, validate_value, ConfigKey, DefaultValue, ValueKind};
use crate::entity::Module;

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
    /// let default = tds_core::entity::BOOKS_MODULES.split(',').count();
    /// assert_eq!(config.modules("reconcile_modules").len(), default, "an unknown module: the default");
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
    use super::*;
    use crate::config_values::{default_number, KEYS};

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
        let rollup = crate::metrics::RollupBounds::default();
        assert_eq!(f64::from(rollup.max_minutes), n("heal_rollup_max_minutes"));
        assert_eq!(
            f64::from(rollup.settle_minutes),
            n("heal_rollup_settle_minutes")
        );
    }
}
