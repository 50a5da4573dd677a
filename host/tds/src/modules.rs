//! `tds modules`: the lists of Zoho modules that files outside the code hold as text,
//! written from the module registry (`tds_core::entity`) so that they never drift from it.
//!
//! - A manifest ([`MANIFESTS`]): each processor component's `entity_types`, the modules of
//!   the `lane` its variables name, in registry order.
//! - The OpenAPI document ([`OPENAPI`]): the enums of `components.schemas.Module` (every
//!   module's name) and `components.schemas.ModuleRouteSegment` (each name, then its wrapper
//!   keys), the alternatives of `components.schemas.WrappedRecord` (one per module, one
//!   `anyOf` branch per wrapper key), the `pattern` of each module-list configuration key in
//!   `components.schemas.ConfigChange`, and the id fields a description lists after
//!   `a query parameter of that name (` (every module's, sorted, each once). The rest of the
//!   document refers to those schemas.
//!
//! Everything else in these files is kept byte for byte. `tests/tests/module_registry.rs`
//! fails when a checked-in file differs from what this command writes.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use serde_json::{json, Value};
use tds_core::config_values::{ValueKind, KEYS};
use tds_core::entity::{Lane, Module, ENTITIES};
use toml_edit::{DocumentMut, Item};

/// The manifests whose processors' `entity_types` are written, relative to the repository.
pub const MANIFESTS: [&str; 2] = ["spin.toml", "spin.http-only.toml"];

/// The OpenAPI document, relative to the repository.
pub const OPENAPI: &str = "components/stats/assets/openapi.json";

/// What precedes the id fields a description of the OpenAPI document lists.
const ID_FIELDS_AFTER: &str = "a query parameter of that name (";

/// Every file `tds modules` writes under `root`, with its text as the registry has it now.
pub fn derive_all(root: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut files = Vec::new();
    for name in MANIFESTS {
        let path = root.join(name);
        files.push((path.clone(), manifest(&read(&path)?)?));
    }
    let path = root.join(OPENAPI);
    files.push((path.clone(), openapi(&read(&path)?)?));
    Ok(files)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))
}

/// The files under `root` whose module lists are stale; written anew unless `check_only`.
pub fn run(root: &Path, check_only: bool) -> Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    for (path, text) in derive_all(root)? {
        if read(&path)? != text {
            if !check_only {
                std::fs::write(&path, text)
                    .with_context(|| format!("could not write {}", path.display()))?;
            }
            stale.push(path);
        }
    }
    Ok(stale)
}

/// Manifest `text` with each processor's `entity_types` (any component whose variables
/// name a `lane`) set to its lane's modules, comma-separated.
///
/// ```
/// let text = "[component.p.variables]\nlane = \"catalog\"\nentity_types = \"items\" # kept\n";
/// assert_eq!(
///     tds::modules::manifest(text).unwrap(),
///     "[component.p.variables]\nlane = \"catalog\"\nentity_types = \"items,contacts\" # kept\n"
/// );
/// ```
pub fn manifest(text: &str) -> Result<String> {
    let mut document: DocumentMut = text.parse().context("the manifest is not valid TOML")?;
    let Some(components) = document
        .get_mut("component")
        .and_then(Item::as_table_like_mut)
    else {
        return Ok(text.to_string());
    };
    for (id, component) in components.iter_mut() {
        let Some(variables) = component
            .as_table_like_mut()
            .and_then(|c| c.get_mut("variables"))
            .and_then(Item::as_table_like_mut)
        else {
            continue;
        };
        let Some(lane) = variables.get("lane").and_then(Item::as_str) else {
            continue;
        };
        let lane = Lane::from_name(lane)
            .with_context(|| format!("component {id}: {lane:?} is not a lane"))?;
        let modules: Vec<&str> = lane.modules().map(Module::as_str).collect();
        let mut value = toml_edit::Value::from(modules.join(","));
        match variables.get_mut("entity_types") {
            Some(Item::Value(old)) => {
                *value.decor_mut() = old.decor().clone();
                *old = value;
            }
            _ => {
                variables.insert("entity_types", Item::Value(value));
            }
        }
    }
    Ok(document.to_string())
}

/// OpenAPI document `text` with its module lists written from the registry.
pub fn openapi(text: &str) -> Result<String> {
    let names: Vec<&str> = ENTITIES.iter().map(|e| e.name).collect();
    let segments: Vec<&str> = ENTITIES
        .iter()
        .flat_map(|e| std::iter::once(e.name).chain(e.wrapper_keys.iter().copied()))
        .collect();
    let wrapped: Vec<Value> = ENTITIES
        .iter()
        .map(|e| {
            // Members in name order: the text is then the same whether or not serde_json
            // keeps the order they were written in (a feature another crate may turn on).
            let keys: Vec<Value> = e
                .wrapper_keys
                .iter()
                .map(|key| json!({"properties": {*key: {"type": "object"}}, "required": [key]}))
                .collect();
            json!({ "anyOf": keys })
        })
        .collect();
    let alternatives = names.join("|");
    let pattern = format!("^ *({alternatives})( *, *({alternatives}))* *$");

    let mut text = text.to_string();
    text = replace(
        &text,
        &["components", "schemas", "Module", "enum"],
        &json!(names),
    )?;
    text = replace(
        &text,
        &["components", "schemas", "ModuleRouteSegment", "enum"],
        &json!(segments),
    )?;
    text = replace(
        &text,
        &["components", "schemas", "WrappedRecord", "oneOf"],
        &json!(wrapped),
    )?;
    for key in KEYS.iter().filter(|k| k.kind == ValueKind::ModuleList) {
        let pointer = [
            "components",
            "schemas",
            "ConfigChange",
            "properties",
            key.key,
            "pattern",
        ];
        text = replace(&text, &pointer, &json!(pattern))?;
    }
    let mut id_fields: Vec<&str> = ENTITIES.iter().map(|e| e.id_field).collect();
    id_fields.sort_unstable();
    id_fields.dedup();
    Ok(replace_lists_after(
        &text,
        ID_FIELDS_AFTER,
        &id_fields.join(", "),
    ))
}

/// `text` with the value at `pointer` replaced by `value`, pretty-printed at that value's
/// indentation.
fn replace(text: &str, pointer: &[&str], value: &Value) -> Result<String> {
    let range = span(text, 0, pointer)
        .with_context(|| format!("the OpenAPI document has no /{}", pointer.join("/")))?;
    let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..]
        .chars()
        .take_while(|c| *c == ' ')
        .collect();
    let rendered = serde_json::to_string_pretty(value)?.replace('\n', &format!("\n{indent}"));
    Ok(format!(
        "{}{rendered}{}",
        &text[..range.start],
        &text[range.end..]
    ))
}

/// `text` with whatever follows each `after` up to the next `)` replaced by `list`.
fn replace_lists_after(text: &str, after: &str, list: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(after) {
        let start = at + after.len();
        let Some(end) = rest[start..].find(')') else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(list);
        rest = &rest[start + end..];
    }
    out.push_str(rest);
    out
}

/// The bytes of the JSON value at `pointer` (object keys and array indexes) within the
/// value starting at or after `at`.
fn span(text: &str, at: usize, pointer: &[&str]) -> Result<Range<usize>> {
    let at = skip_space(text, at);
    let Some((first, rest)) = pointer.split_first() else {
        return Ok(at..value_end(text, at)?);
    };
    let mut at = at;
    match text.as_bytes().get(at) {
        Some(b'{') => loop {
            // At the object's `{`, or at the `,` after a member.
            if !matches!(text.as_bytes().get(at), Some(b'{' | b',')) {
                bail!("no member {first:?}");
            }
            at = skip_space(text, at + 1);
            if text.as_bytes().get(at) != Some(&b'"') {
                bail!("no member {first:?}");
            }
            let mut keys = serde_json::Deserializer::from_str(&text[at..]).into_iter::<String>();
            let key = keys.next().context("a member name")??;
            at = skip_space(text, at + keys.byte_offset());
            if text.as_bytes().get(at) != Some(&b':') {
                bail!("a member without a value");
            }
            at = skip_space(text, at + 1);
            if key == *first {
                return span(text, at, rest);
            }
            at = skip_space(text, value_end(text, at)?);
        },
        Some(b'[') => {
            let index: usize = first
                .parse()
                .with_context(|| format!("{first:?} is not an index"))?;
            for _ in 0..index {
                at = skip_space(text, at + 1);
                at = skip_space(text, value_end(text, at)?);
                if text.as_bytes().get(at) != Some(&b',') {
                    bail!("no element {index}");
                }
            }
            span(text, at + 1, rest)
        }
        _ => bail!("no member {first:?} in a scalar"),
    }
}

/// Where the JSON value starting at `at` ends.
fn value_end(text: &str, at: usize) -> Result<usize> {
    let mut values =
        serde_json::Deserializer::from_str(&text[at..]).into_iter::<serde::de::IgnoredAny>();
    values.next().context("a value")??;
    Ok(at + values.byte_offset())
}

fn skip_space(text: &str, at: usize) -> usize {
    at + text[at..].len() - text[at..].trim_start().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_replaced_in_place() {
        let text = "{\n  \"a\": {\n    \"b\": [\n      1\n    ],\n    \"c\": \"x\"\n  },\n  \"d\": [0, {\"e\": 2}]\n}\n";
        assert_eq!(
            replace(text, &["a", "b"], &json!([7, 8])).unwrap(),
            "{\n  \"a\": {\n    \"b\": [\n      7,\n      8\n    ],\n    \"c\": \"x\"\n  },\n  \"d\": [0, {\"e\": 2}]\n}\n"
        );
        assert_eq!(
            span(text, 0, &["a", "c"]).map(|r| &text[r]).unwrap(),
            "\"x\""
        );
        assert_eq!(
            span(text, 0, &["d", "1", "e"]).map(|r| &text[r]).unwrap(),
            "2"
        );
        assert!(span(text, 0, &["a", "z"]).is_err());
        assert!(span(text, 0, &["d", "2"]).is_err());
    }

    #[test]
    fn lists_after_a_phrase_are_replaced() {
        assert_eq!(
            replace_lists_after("x (a, b) then (c) and x (d)", "x (", "y, z"),
            "x (y, z) then (c) and x (y, z)"
        );
    }

    #[test]
    fn the_document_gets_every_module() {
        let text = serde_json::to_string_pretty(&json!({"components": {"schemas": {
            "Module": {"enum": []},
            "ModuleRouteSegment": {"enum": []},
            "WrappedRecord": {"oneOf": []},
            "ConfigChange": {"properties": {"reconcile_modules": {"pattern": ""}}},
            "Note": {"description": "else a query parameter of that name (old_id)."}
        }}}))
        .unwrap();
        let doc: Value = serde_json::from_str(&openapi(&text).unwrap()).unwrap();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["Module"]["enum"].as_array().unwrap().len(),
            Module::ALL.len()
        );
        assert_eq!(schemas["ModuleRouteSegment"]["enum"][1], "invoice");
        assert_eq!(
            schemas["WrappedRecord"]["oneOf"][2]["anyOf"][1]["required"],
            json!(["customerpayment"])
        );
        let pattern = schemas["ConfigChange"]["properties"]["reconcile_modules"]["pattern"]
            .as_str()
            .unwrap();
        assert!(
            pattern.starts_with("^ *(invoices|salesorders|"),
            "{pattern}"
        );
        let note = schemas["Note"]["description"].as_str().unwrap();
        assert!(note.contains("(bill_id, contact_id, "), "{note}");
    }
}
