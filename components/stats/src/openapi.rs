//! `GET /openapi.json` (public): the OpenAPI 3.1 description of every route, kept in
//! `assets/openapi.json` and built into the component. The integration tests validate it
//! and call every route it documents, checking each answer against its schema.
//!
//! The alert thresholds' entries of `ConfigChange` (the body of `PATCH /api/config`) are
//! not in the file: they are generated from their declarations (`tds_core::alerts::
//! THRESHOLD_KEYS`, each with its type, range and meaning) and inserted when the document is
//! served, so a new alert kind's threshold needs no edit here.

use serde_json::{json, Value};
use tds_core::alerts::THRESHOLD_KEYS;
use tds_core::config_values::{ConfigKey, ValueKind};

use crate::api::{Answer, ApiResult, Ctx};

const DOCUMENT: &str = include_str!("../assets/openapi.json");

/// Where `ConfigChange`'s properties open in the file: the thresholds are inserted there.
const CONFIG_CHANGE: &str = "\"ConfigChange\": {";
const PROPERTIES: &str = "\"properties\": {";

pub fn get(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    Ok(Answer::Static {
        content_type: "application/json",
        body: document(),
    })
}

/// The document with every alert threshold among `ConfigChange`'s properties.
fn document() -> String {
    let config_change = DOCUMENT
        .find(CONFIG_CHANGE)
        .expect("the document defines ConfigChange");
    let at = config_change
        + DOCUMENT[config_change..]
            .find(PROPERTIES)
            .expect("ConfigChange has properties")
        + PROPERTIES.len();
    let entries: String = THRESHOLD_KEYS
        .iter()
        .map(|key| format!("\n          {}: {},", json!(key.key), property(key)))
        .collect();
    [&DOCUMENT[..at], &entries, &DOCUMENT[at..]].concat()
}

/// A threshold's schema: its type and range, its meaning as the description.
fn property(key: &ConfigKey) -> Value {
    let (kind, min, max) = match key.kind {
        ValueKind::Integer { min, max } => ("integer", json!(min), json!(max)),
        ValueKind::Number { min, max } => ("number", json!(min), json!(max)),
        ValueKind::ModuleList => unreachable!("an alert threshold is a number"),
    };
    json!({"type": kind, "minimum": min, "maximum": max, "description": key.description})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_document_lists_every_alert_threshold_in_the_configuration_body() {
        let served: Value = serde_json::from_str(&document()).expect("JSON");
        let properties = &served["components"]["schemas"]["ConfigChange"]["properties"];
        for key in &THRESHOLD_KEYS {
            assert_eq!(properties[key.key], property(key), "{}", key.key);
            assert!(
                !DOCUMENT.contains(&format!("\"{}\": {{", key.key)),
                "{} is written in the file as well",
                key.key
            );
        }
        assert_eq!(
            properties["alert_queue_depth"]["maximum"],
            json!(100_000_000)
        );
        assert_eq!(properties["alert_failure_rate"]["type"], json!("number"));
        assert!(properties["backoff_base_ms"].is_object());
        assert!(properties["by"].is_object());
    }
}
