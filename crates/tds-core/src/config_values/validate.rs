//! Whether a value, or an operator's whole change, is one the registry accepts.

use serde_json::Value;

use super::{key, DefaultValue, ValueKind, NOT_ABOVE};
use crate::entity::Module;

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
/// `integer`), when it fits an `i64` exactly; the stats API reads its integer body fields
/// with it too.
///
/// ```
/// use serde_json::json;
/// use tds_core::config_values::whole_number;
/// assert_eq!(whole_number(&json!(459.0)), Some(459));
/// assert_eq!(whole_number(&json!(5)), Some(5));
/// assert_eq!(whole_number(&json!(1.5)), None);
/// assert_eq!(whole_number(&json!("5")), None);
/// ```
pub fn whole_number(value: &Value) -> Option<i64> {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config_values::KEYS;

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
        for bad in [
            json!(1.5),
            json!("5"),
            json!(true),
            json!(null),
            json!(1e300),
        ] {
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
}
