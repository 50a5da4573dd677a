//! Logs: every line is one JSON object with `ts`, `level`, `component`, `msg` and
//! `correlation_id`, plus the call's fields, so one delivery can be followed end to end with
//! grep. Info goes to stdout, warnings and errors to stderr.

use serde_json::{Map, Value};

/// A logger bound to a component and a correlation id.
#[derive(Debug, Clone)]
pub struct Logger {
    component: &'static str,
    correlation_id: String,
}

impl Logger {
    pub fn new(component: &'static str, correlation_id: impl Into<String>) -> Logger {
        Logger {
            component,
            correlation_id: correlation_id.into(),
        }
    }

    /// The same component, another correlation id (an event's, within a run).
    pub fn for_correlation(&self, correlation_id: &str) -> Logger {
        Logger::new(self.component, correlation_id)
    }

    pub fn info(&self, message: &str, fields: Value) {
        println!("{}", self.line("info", message, fields));
    }

    pub fn warn(&self, message: &str, fields: Value) {
        eprintln!("{}", self.line("warn", message, fields));
    }

    pub fn error(&self, message: &str, fields: Value) {
        eprintln!("{}", self.line("error", message, fields));
    }

    /// The JSON line for one message; `fields` (an object) are added beside the standard
    /// keys, which they cannot replace.
    pub fn line(&self, level: &str, message: &str, fields: Value) -> String {
        let mut line = match fields {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => Map::from_iter([("fields".to_string(), other)]),
        };
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        for (key, value) in [
            ("ts", now.as_str()),
            ("level", level),
            ("component", self.component),
            ("msg", message),
            ("correlation_id", self.correlation_id.as_str()),
        ] {
            line.insert(key.to_string(), Value::String(value.to_string()));
        }
        Value::Object(line).to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn one_json_object_per_line() {
        let log = Logger::new("intake", "req-1");
        let line = log.line(
            "info",
            "accepted\nnext",
            json!({"event_id": 7, "msg": "spoof"}),
        );
        assert!(!line.contains('\n'));
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["level"], "info");
        assert_eq!(parsed["component"], "intake");
        assert_eq!(parsed["msg"], "accepted\nnext");
        assert_eq!(parsed["correlation_id"], "req-1");
        assert_eq!(parsed["event_id"], 7);
        assert!(parsed["ts"].as_str().unwrap().ends_with('Z'));
        let other = log.for_correlation("evt-9").line("warn", "m", Value::Null);
        assert_eq!(
            serde_json::from_str::<Value>(&other).unwrap()["correlation_id"],
            "evt-9"
        );
    }
}
