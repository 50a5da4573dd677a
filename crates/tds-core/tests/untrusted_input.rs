//! Property tests over everything intake reads from the outside world before it knows the
//! sender is authentic: media types, bodies, query strings, headers and signatures.
//! Whatever the bytes, parsing and normalising return a value or a typed error — never a
//! panic — and what they return keeps its promises (ids clean, keys stable, secrets out).

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tds_core::entity::Module;
use tds_core::normalize::{normalize, Delivery, MAX_ENTITY_ID_LEN};
use tds_core::payload::{self, BodyFormat, PayloadError};
use tds_core::redact::redact_headers;
use tds_core::signature::{sign, signed_message, verify};

/// Strings an attacker or a broken client might send: control characters, NUL, quotes,
/// SQL, right-to-left marks, emoji, very long runs.
fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        Just("\u{0}".to_string()),
        Just("'; DROP TABLE tds_inbox_events; --".to_string()),
        Just("\u{202e}evil\u{202c}".to_string()),
        Just("😀".repeat(64)),
        "[\\x00-\\x1f\"\\\\]{0,16}",
        "x{200,300}",
    ]
}

/// Any JSON value, nested a few levels, with hostile strings and numbers of any size.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "-?[0-9]{1,60}(\\.[0-9]{1,40})?(e[+-]?[0-9]{1,4})?"
            .prop_map(|n| serde_json::from_str::<Value>(&n).unwrap_or(Value::Null)),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(hostile_string(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn module() -> impl Strategy<Value = Module> {
    prop::sample::select(Module::ALL.to_vec())
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json".to_string())),
        Just(Some("application/x-www-form-urlencoded".to_string())),
        Just(Some("application/json; charset=latin1".to_string())),
        any::<String>().prop_map(Some),
    ]
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((hostile_string(), hostile_string()), 0..6)
}

/// The whole of intake's pure path for one request; panics are the failure.
fn read_request(
    content_type: Option<&str>,
    body: &[u8],
    route: Option<Module>,
    method: &str,
    query: &[(String, String)],
) {
    let Ok(format) = BodyFormat::detect(content_type, body) else {
        return;
    };
    let Ok(payload) = payload::parse(format, body, route) else {
        return;
    };
    if let Some(route) = route {
        assert_eq!(payload.module, route);
    }
    let event = normalize(
        &payload,
        &Delivery {
            method,
            query,
            operation_header: None,
        },
    );
    if let Some(id) = &event.entity_id {
        assert!(!id.as_str().is_empty());
        assert!(id.as_str().chars().count() <= MAX_ENTITY_ID_LEN);
        assert!(!id.as_str().chars().any(char::is_control));
    }
    assert_eq!(event.is_valid(), event.invalid_reasons.is_empty());
    assert!(
        event.is_valid() <= event.entity_id.is_some(),
        "a valid event has an id"
    );
    assert_eq!(event.idempotency_key.as_str().len(), 64);
    serde_json::to_string(&Value::Object(payload.document)).expect("the document serialises");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..2048),
        content_type in content_type(),
        route in prop::option::of(module()),
        query in pairs(),
    ) {
        read_request(content_type.as_deref(), &body, route, "POST", &query);
    }

    #[test]
    fn arbitrary_json_records_never_panic(
        module in module(),
        record in json_value(),
        wrap in any::<bool>(),
        route in any::<bool>(),
        method in prop::sample::select(vec!["POST", "PUT", "DELETE"]),
        query in pairs(),
    ) {
        let body = if wrap { json!({ module.spec().wrapper_keys[0]: record }) } else { record };
        let bytes = body.to_string().into_bytes();
        read_request(Some("application/json"), &bytes, route.then_some(module), method, &query);
        read_request(None, &bytes, route.then_some(module), method, &query);
    }

    #[test]
    fn arbitrary_forms_never_panic(module in module(), fields in pairs(), record in json_value()) {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(&fields);
        form.append_pair(module.spec().wrapper_keys[0], &record.to_string());
        let body = form.finish();
        read_request(Some("application/x-www-form-urlencoded"), body.as_bytes(), None, "POST", &[]);
        read_request(Some("application/x-www-form-urlencoded"), body.as_bytes(), Some(module), "POST", &[]);
    }

    #[test]
    fn the_same_record_always_gets_the_same_key_whatever_its_field_order(
        module in module(),
        fields in prop::collection::btree_map("[a-z_]{1,12}", json_value(), 1..12),
        id in "[0-9]{1,20}",
    ) {
        let mut record: Map<String, Value> = fields.into_iter().collect();
        record.insert(module.spec().id_field.to_string(), json!(id));
        let forward = json!({ module.spec().wrapper_keys[0]: Value::Object(record.clone()) }).to_string();
        // Written by hand: a serde_json map would put the fields back in order.
        let reversed: Vec<String> = record
            .iter()
            .rev()
            .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
            .collect();
        let backward = format!("{{\"{}\":{{{}}}}}", module.spec().wrapper_keys[0], reversed.join(","));
        let key = |body: &str| {
            let payload = payload::parse(BodyFormat::Json, body.as_bytes(), None).unwrap();
            normalize(&payload, &Delivery { method: "POST", query: &[], operation_header: None })
        };
        let (a, b) = (key(&forward), key(&backward));
        prop_assert_eq!(a.idempotency_key, b.idempotency_key);
        prop_assert_eq!(a.content_hash, b.content_hash);
        let entity_id = a.entity_id.unwrap();
        prop_assert_eq!(entity_id.as_str(), id.as_str());
    }

    #[test]
    fn only_the_right_secret_verifies(
        secret in "[A-Za-z0-9]{12,50}",
        other in "[A-Za-z0-9]{12,50}",
        query in pairs(),
        body in prop::collection::vec(any::<u8>(), 0..512),
        forged in any::<String>(),
    ) {
        let message = signed_message(&query, &[], Some(&body));
        let signature = sign(&secret, &message);
        prop_assert!(verify(&secret, &message, &signature));
        prop_assert!(verify(&secret, &message, &signature.to_uppercase()));
        prop_assert_eq!(verify(&other, &message, &signature), other == secret);
        prop_assert_eq!(verify(&secret, &message, &forged), forged.trim().eq_ignore_ascii_case(&signature));
    }

    #[test]
    fn sensitive_header_values_never_survive_redaction(
        prefix in "[a-z-]{0,8}",
        part in prop::sample::select(vec!["authorization", "cookie", "secret", "token", "signature", "password", "key"]),
        value in "[A-Za-z0-9]{8,40}",
    ) {
        let name = format!("x-{prefix}{part}");
        let kept = redact_headers([(name.as_str(), value.as_str()), ("content-type", "application/json")]);
        prop_assert!(!Value::Object(kept).to_string().contains(&value));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for depth in [129, 10_000, 500_000] {
        let body = format!("{}{}", "{\"item\":".repeat(depth), "}".repeat(depth));
        let error =
            payload::parse(BodyFormat::Json, body.as_bytes(), Some(Module::Items)).unwrap_err();
        assert!(
            matches!(error, PayloadError::InvalidJson(_)),
            "depth {depth}: {error:?}"
        );
        let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(payload::parse(BodyFormat::Json, body.as_bytes(), None).is_err());
    }
}

#[test]
fn wrong_encodings_are_refused_or_read_lossless() {
    let latin1 = b"{\"item\": {\"item_id\": \"1\", \"name\": \"Caf\xe9\"}}";
    let error = payload::parse(BodyFormat::Json, latin1, None).unwrap_err();
    assert!(matches!(error, PayloadError::InvalidJson(_)), "{error:?}");
    let utf16: Vec<u8> = "{\"item\":{}}"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert!(payload::parse(BodyFormat::Json, &utf16, None).is_err());
    let form = payload::parse(
        BodyFormat::Form,
        b"item_id=1&name=Caf%E9",
        Some(Module::Items),
    )
    .unwrap();
    assert_eq!(form.document["name"], json!("Caf\u{fffd}"));
}
