//! JSON and form bodies to one record: the wrapped or bare JSON object, the form field
//! carrying JSON, flat form fields, and the operation named beside the record.

use serde_json::{Map, Value};

use super::wrapper::module_of_wrapped;
use super::{BodyFormat, Payload, PayloadError, Shape};
use crate::entity::Module;

/// The form field Zoho's APIs use for a JSON document.
const JSON_STRING_FIELD: &str = "JSONString";

/// Envelope fields that name the operation, in order of preference.
const OPERATION_FIELDS: [&str; 2] = ["operation", "event_type"];

/// The URL-decoded pairs of a form body (or a query string).
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A request body, decoded once: its bytes and, for a form, its URL-decoded pairs, which
/// both the payload ([`Body::parse`]) and the signature (`crate::signature`) read.
pub struct Body<'a> {
    format: BodyFormat,
    bytes: &'a [u8],
    form_pairs: Vec<(String, String)>,
}

impl<'a> Body<'a> {
    /// `bytes` in `format`, a form's pairs decoded now.
    pub fn read(format: BodyFormat, bytes: &'a [u8]) -> Body<'a> {
        let form_pairs = match format {
            BodyFormat::Form => form_pairs(bytes),
            BodyFormat::Json => Vec::new(),
        };
        Body {
            format,
            bytes,
            form_pairs,
        }
    }

    pub fn format(&self) -> BodyFormat {
        self.format
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// A form's decoded pairs (none for JSON).
    pub fn form_pairs(&self) -> &[(String, String)] {
        &self.form_pairs
    }

    /// The body as one record; `route_module` is the module named by the route, if any.
    pub fn parse(&self, route_module: Option<Module>) -> Result<Payload, PayloadError> {
        parse_body(self, route_module)
    }
}

/// Reads `body` as one record ([`Body::parse`]); `route_module` is the module named by the
/// route, if any.
pub fn parse(
    format: BodyFormat,
    body: &[u8],
    route_module: Option<Module>,
) -> Result<Payload, PayloadError> {
    Body::read(format, body).parse(route_module)
}

fn parse_body(body: &Body<'_>, route_module: Option<Module>) -> Result<Payload, PayloadError> {
    if body.bytes.iter().all(u8::is_ascii_whitespace) {
        let module = route_module.ok_or(PayloadError::Empty)?;
        return Ok(Payload {
            module,
            document: Map::new(),
            shape: Shape::Bare,
            operation_hint: None,
        });
    }
    match body.format {
        BodyFormat::Json => parse_json(
            json_object(body.bytes)?,
            route_module,
            Shape::Wrapped,
            Shape::Bare,
        ),
        BodyFormat::Form => parse_form(&body.form_pairs, route_module),
    }
}

fn json_object(text: &[u8]) -> Result<Map<String, Value>, PayloadError> {
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => Err(PayloadError::NotAnObject(json_kind(&other))),
        Err(e) => Err(PayloadError::InvalidJson(e.to_string())),
    }
}

fn parse_json(
    mut object: Map<String, Value>,
    route_module: Option<Module>,
    wrapped: Shape,
    bare: Shape,
) -> Result<Payload, PayloadError> {
    let module = match route_module {
        Some(module) => module,
        None => module_of_wrapped(&object)?,
    };
    let key = module
        .spec()
        .wrapper_keys
        .iter()
        .find(|k| object.get(**k).is_some_and(Value::is_object));
    match key.and_then(|k| object.remove(*k)) {
        Some(Value::Object(document)) => Ok(Payload {
            module,
            document,
            shape: wrapped,
            operation_hint: operation_hint(&object),
        }),
        _ => Ok(Payload {
            module,
            document: object,
            shape: bare,
            operation_hint: None,
        }),
    }
}

fn parse_form(
    pairs: &[(String, String)],
    route_module: Option<Module>,
) -> Result<Payload, PayloadError> {
    let carrier = pairs.iter().rev().find(|(k, _)| {
        k == JSON_STRING_FIELD
            || match route_module {
                Some(module) => module.spec().wrapper_keys.contains(&k.as_str()),
                None => Module::from_wrapper_key(k).is_some(),
            }
    });
    if let Some((field, value)) = carrier {
        let object = json_object(value.as_bytes()).map_err(|e| PayloadError::InvalidJsonField {
            field: field.clone(),
            reason: e.to_string(),
        })?;
        let module = match field.as_str() {
            JSON_STRING_FIELD => route_module,
            _ => Some(
                route_module
                    .or_else(|| Module::from_wrapper_key(field))
                    .ok_or(PayloadError::ModuleNotGiven)?,
            ),
        };
        let mut payload = parse_json(object, module, Shape::FormJson, Shape::FormJson)?;
        if payload.operation_hint.is_none() {
            let fields: Map<String, Value> = pairs
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            payload.operation_hint = operation_hint(&fields);
        }
        return Ok(payload);
    }
    let module = route_module.ok_or(PayloadError::ModuleNotGiven)?;
    let document = pairs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Ok(Payload {
        module,
        document,
        shape: Shape::FormFields,
        operation_hint: None,
    })
}

/// The first envelope field naming an operation, when it holds text.
fn operation_hint(envelope: &Map<String, Value>) -> Option<String> {
    OPERATION_FIELDS
        .iter()
        .find_map(|f| envelope.get(*f)?.as_str())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(body: &str, module: Option<Module>) -> Result<Payload, PayloadError> {
        parse(BodyFormat::Json, body.as_bytes(), module)
    }

    fn form(body: &str, module: Option<Module>) -> Result<Payload, PayloadError> {
        parse(BodyFormat::Form, body.as_bytes(), module)
    }

    #[test]
    fn wrapped_json_unwraps_on_either_route() {
        let p = json(
            r#"{"item": {"item_id": "1", "name": "Disk"}}"#,
            Some(Module::Items),
        )
        .unwrap();
        assert_eq!((p.module, p.shape), (Module::Items, Shape::Wrapped));
        assert_eq!(p.document["name"], "Disk");
        let p = json(r#"{"item": {"item_id": "1"}}"#, None).unwrap();
        assert_eq!((p.module, p.shape), (Module::Items, Shape::Wrapped));
    }

    #[test]
    fn bare_json_needs_the_route() {
        let p = json(r#"{"item_id": 1, "name": "Disk"}"#, Some(Module::Items)).unwrap();
        assert_eq!(p.shape, Shape::Bare);
        assert_eq!(p.document["item_id"].to_string(), "1");
        assert_eq!(
            json(r#"{"item_id": 1, "name": "Disk"}"#, None),
            Err(PayloadError::ModuleNotGiven)
        );
    }

    #[test]
    fn big_ids_keep_their_digits() {
        let p = json(r#"{"item": {"item_id": 127919000000106780123}}"#, None).unwrap();
        assert_eq!(p.document["item_id"].to_string(), "127919000000106780123");
    }

    #[test]
    fn bad_json_is_refused() {
        assert_eq!(
            json("[1]", Some(Module::Items)),
            Err(PayloadError::NotAnObject("an array"))
        );
        assert!(matches!(
            json("{", Some(Module::Items)),
            Err(PayloadError::InvalidJson(_))
        ));
        assert_eq!(json("  ", None), Err(PayloadError::Empty));
    }

    #[test]
    fn empty_body_is_an_empty_record_of_the_routed_module() {
        let p = form("", Some(Module::Items)).unwrap();
        assert_eq!(
            (p.module, p.shape, p.document.len()),
            (Module::Items, Shape::Bare, 0)
        );
    }

    #[test]
    fn form_field_carrying_json() {
        let body = "item=%7B%22item_id%22%3A%2242%22%2C%22rate%22%3A10.5%7D";
        let p = form(body, None).unwrap();
        assert_eq!((p.module, p.shape), (Module::Items, Shape::FormJson));
        assert_eq!(p.document["item_id"], "42");
        assert_eq!(p.document["rate"].to_string(), "10.5");
        let p = form(
            "JSONString=%7B%22item%22%3A%7B%22item_id%22%3A%227%22%7D%7D",
            None,
        )
        .unwrap();
        assert_eq!(
            (p.module, p.document["item_id"].as_str()),
            (Module::Items, Some("7"))
        );
        let e = form("item=not-json", Some(Module::Items)).unwrap_err();
        assert!(matches!(e, PayloadError::InvalidJsonField { field, .. } if field == "item"));
    }

    #[test]
    fn operation_named_beside_the_record() {
        let p = json(
            r#"{"operation": "invoice_deleted", "invoice": {"invoice_id": "1", "operation": "x"}}"#,
            None,
        )
        .unwrap();
        assert_eq!(p.operation_hint.as_deref(), Some("invoice_deleted"));
        let p = json(
            r#"{"event_type": "deleted", "item": {"item_id": "1"}}"#,
            None,
        )
        .unwrap();
        assert_eq!(p.operation_hint.as_deref(), Some("deleted"));
        let p = json(
            r#"{"item_id": "1", "operation": "delete"}"#,
            Some(Module::Items),
        )
        .unwrap();
        assert_eq!(
            p.operation_hint, None,
            "a record's own fields are not an envelope"
        );
        let p = form("operation=delete&item=%7B%22item_id%22%3A%221%22%7D", None).unwrap();
        assert_eq!(p.operation_hint.as_deref(), Some("delete"));
        let p = form("operation=delete&item_id=1", Some(Module::Items)).unwrap();
        assert_eq!(p.operation_hint, None);
    }

    #[test]
    fn flat_form_fields_become_strings() {
        let p = form("item_id=42&name=Hard+Drive&rate=12.50", Some(Module::Items)).unwrap();
        assert_eq!(p.shape, Shape::FormFields);
        assert_eq!(p.document["name"], "Hard Drive");
        assert_eq!(p.document["rate"], "12.50");
        assert_eq!(form("item_id=42", None), Err(PayloadError::ModuleNotGiven));
    }
}
