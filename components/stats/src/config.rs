//! Runtime configuration (`tds_config`): `GET /api/config` lists every known key with its
//! value in force (stored or default), type, range and description, plus any stored key
//! the components do not read; `PATCH /api/config` with `{"key": value, …}` changes keys —
//! known keys only, values of the key's type within its range (`reconcile_modules`: a
//! comma-separated list of modules) — all or nothing: 400 naming every refused key, 409
//! `config_conflict` when the values are valid but a backoff base would exceed its cap.
//! A body naming no key (or only `by`) changes nothing and answers the list.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tds_core::config_values::{self, ValueKind, KEYS};
use tds_guest::config::{self, SetValue};
use tds_guest::http::HttpError;
use tds_guest::log::Logger;

use crate::api::{actor, db, parse_json, Answer, ApiResult, Ctx};

fn stored(db: &tds_guest::db::Db) -> Result<BTreeMap<String, Value>, HttpError> {
    config::list_entries(db)?
        .into_iter()
        .map(|e| Ok((e.key, parse_json(&e.entry)?)))
        .collect()
}

fn entries(stored: &BTreeMap<String, Value>) -> Vec<Value> {
    let mut out: Vec<Value> = KEYS
        .iter()
        .map(|k| {
            let entry = stored.get(k.key);
            let (kind, min, max) = match k.kind {
                ValueKind::Integer { min, max } => ("integer", json!(min), json!(max)),
                ValueKind::Number { min, max } => ("number", json!(min), json!(max)),
                ValueKind::ModuleList => ("module_list", Value::Null, Value::Null),
            };
            let default = k.default.to_json();
            json!({
                "key": k.key,
                "value": entry.map_or(default.clone(), |e| e["value"].clone()),
                "default": default,
                "type": kind,
                "minimum": min,
                "maximum": max,
                "description": k.description,
                "known": true,
                "stored": entry.is_some(),
                "updated_at": entry.map_or(Value::Null, |e| e["updated_at"].clone()),
                "updated_by": entry.map_or(Value::Null, |e| e["updated_by"].clone()),
            })
        })
        .collect();
    for (key, entry) in stored {
        if config_values::key(key).is_none() {
            out.push(json!({
                "key": key,
                "value": entry["value"],
                "default": null,
                "type": null,
                "minimum": null,
                "maximum": null,
                "description": entry["description"],
                "known": false,
                "stored": true,
                "updated_at": entry["updated_at"],
                "updated_by": entry["updated_by"],
            }));
        }
    }
    out
}

pub fn get(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    let db = db()?;
    Answer::ok(json!({"items": entries(&stored(&db)?)}))
}

pub fn update(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    let mut body = ctx.body()?;
    let by = actor(&body)?;
    body.remove("by");
    let db = db()?;
    db.begin()?;
    let before = stored(&db)?;
    let current = |key: &str| {
        before
            .get(key)
            .and_then(|e| e["value"].as_f64())
            .or_else(|| config_values::default_number(key))
    };
    let changes = match config_values::validate_change(&Value::Object(body), current) {
        Ok(changes) => changes,
        Err(errors) => {
            db.rollback()?;
            let message: Vec<String> = errors.iter().map(ToString::to_string).collect();
            let message = message.join("; ");
            return Err(if errors.iter().all(|e| e.conflict) {
                HttpError::conflict("config_conflict", message)
            } else {
                HttpError::new(400, "invalid_config", message)
            });
        }
    };
    for (key, value) in &changes {
        let description = config_values::key(key)
            .map(|k| k.description)
            .unwrap_or_default();
        let written = config::set_value(
            &db,
            &SetValue {
                key,
                value: &value.to_string(),
                description,
                by: &by,
            },
        );
        if let Err(e) = written {
            db.rollback()?;
            return Err(e.into());
        }
    }
    db.commit()?;
    let changed: Vec<&str> = changes.iter().map(|(k, _)| *k).collect();
    Logger::new("stats", &ctx.request_id).info("configuration changed", json!({"by": by, "changes": changes.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>()}));
    Answer::ok(json!({"changed": changed, "items": entries(&stored(&db)?)}))
}
