//! `/openapi.json` is a valid OpenAPI 3.1 document (parsed by the `oas3` crate, every
//! `$ref` resolving, every component schema valid JSON Schema 2020-12), it documents
//! exactly the application's routes (intake, the stats API, the internal routes), and
//! every documented operation, called through the built wasm against real PostgreSQL,
//! answers what its schema says — the success, the 401 without a token or key, and the
//! 404 of an unknown id. The configuration body's schema is held to the registry
//! (`tds_core::config_values`). `api_schemathesis.rs` adds generated traffic.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use tds_core::config_values::{ValueKind, KEYS};
use tds_core::entity::Module;
use tds_tests::stats::{
    applied_item, call, permanent_dead_letter, seed_alerts_and_circuits, start,
    transient_dead_letter, Reply, TOKEN,
};
use tds_tests::webhooks::KEY;
use tds_tests::TestApp;

/// Every operation the application serves, as `METHOD path-template`.
const SERVED: [&str; 34] = [
    "POST /webhooks/zoho",
    "POST /webhooks/zoho/{module}",
    "PUT /webhooks/zoho/{module}",
    "DELETE /webhooks/zoho/{module}",
    "POST /internal/drain/{lane}",
    "POST /internal/heal",
    "POST /internal/reconcile",
    "GET /health",
    "GET /openapi.json",
    "GET /dashboard",
    "GET /dashboard/{asset}",
    "GET /metrics",
    "GET /api/queue",
    "GET /api/queue/series",
    "GET /api/dead-letters",
    "POST /api/dead-letters/replay",
    "GET /api/dead-letters/{id}",
    "POST /api/dead-letters/{id}/replay",
    "POST /api/dead-letters/{id}/resolve",
    "GET /api/trace",
    "GET /api/history/{module}/{entity_id}",
    "GET /api/alerts",
    "POST /api/alerts/{id}/acknowledge",
    "GET /api/runs",
    "GET /api/runs/{id}",
    "GET /api/circuits",
    "POST /api/circuits/{name}/reset",
    "POST /api/replay",
    "GET /api/intake/credentials",
    "GET /api/reconcile/progress",
    "GET /api/reconcile/reports/latest",
    "GET /api/reconcile/reports/{id}",
    "GET /api/config",
    "PATCH /api/config",
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(app: &TestApp) -> Value {
    let reply = call(app, "GET", "/openapi.json", None, None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply.body
}

/// Follows a local `$ref` (`#/a/b`) within the document.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => resolve(
            doc,
            doc.pointer(pointer.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("unresolved $ref {pointer}")),
        ),
        None => value,
    }
}

/// Every `$ref` string anywhere under `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Checks an answer against the documented response of its operation and status.
fn check(doc: &Value, method: &str, template: &str, reply: &Reply) {
    let operation = &doc["paths"][template][method.to_ascii_lowercase()];
    let response = operation["responses"]
        .get(reply.status.to_string())
        .unwrap_or_else(|| {
            panic!(
                "{method} {template} answered {} which is not documented: {}",
                reply.status, reply.text
            )
        });
    let response = resolve(doc, response);
    let content_type = reply.header("content-type").unwrap_or_default();
    let media = content_type.split(';').next().unwrap().trim();
    let content = response["content"].get(media).unwrap_or_else(|| {
        panic!(
            "{method} {template} {}: content type {media} is not documented",
            reply.status
        )
    });
    let mut schema = doc.clone();
    let root = schema.as_object_mut().unwrap();
    root.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    for (key, value) in content["schema"].as_object().unwrap() {
        root.insert(key.clone(), value.clone());
    }
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{method} {template}: the schema does not compile: {e}"));
    let instance = if media == "application/json" {
        reply.body.clone()
    } else {
        Value::String(reply.text.clone())
    };
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {template} {}: {errors:#?}\n{}",
        reply.status,
        reply.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_document_is_valid_openapi_3_1_and_lists_every_route() {
    let app = start(&[]).await;
    let doc = document(&app).await;
    let text = doc.to_string();
    let spec = oas3::from_json(&text).expect("oas3 reads the document as OpenAPI 3.1");
    assert_eq!(spec.openapi, "3.1.0");
    assert!(spec.operations().count() >= SERVED.len());

    let mut all_refs = Vec::new();
    refs(&doc, &mut all_refs);
    assert!(!all_refs.is_empty());
    for r in &all_refs {
        assert!(
            r.starts_with("#/") && doc.pointer(&r[1..]).is_some(),
            "$ref {r} resolves"
        );
    }

    let meta = jsonschema::draft202012::meta::validator();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        assert!(
            meta.is_valid(schema),
            "components.schemas.{name} is JSON Schema 2020-12"
        );
    }

    let mut documented = BTreeSet::new();
    let mut operation_ids = BTreeSet::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            documented.insert(format!("{} {template}", method.to_ascii_uppercase()));
            assert!(
                operation_ids.insert(operation["operationId"].as_str().unwrap().to_string()),
                "operationId unique"
            );
            let declared: BTreeSet<String> = operation["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| resolve(&doc, p))
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            let in_template: BTreeSet<String> = template
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(String::from)
                .collect();
            assert_eq!(
                declared, in_template,
                "{method} {template}: path parameters"
            );
            let public = operation.get("security") == Some(&json!([]));
            let documented_401 = operation["responses"].get("401").is_some();
            assert_eq!(
                public, !documented_401,
                "{method} {template}: protected routes document 401"
            );
            assert!(
                operation["responses"].get("200").is_some(),
                "{method} {template}: a success answer"
            );
        }
    }
    let served: BTreeSet<String> = SERVED.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        documented, served,
        "the document lists exactly the served routes"
    );
}

/// An items webhook body for `id` at version `modified`.
fn intake_item(id: &str, modified: &str) -> Value {
    json!({"item": {"item_id": id, "name": "Documented", "rate": 1, "last_modified_time": modified}})
}

#[tokio::test(flavor = "multi_thread")]
async fn the_configuration_body_is_the_registry() {
    let app = start(&[]).await;
    let doc = document(&app).await;
    let change = &doc["components"]["schemas"]["ConfigChange"];
    assert_eq!(change["additionalProperties"], json!(false));
    let properties = change["properties"].as_object().expect("properties");
    let mut keys: Vec<&str> = properties.keys().map(String::as_str).collect();
    keys.retain(|k| *k != "by");
    let registry: Vec<&str> = KEYS.iter().map(|k| k.key).collect();
    assert_eq!(
        keys.iter().copied().collect::<BTreeSet<_>>(),
        registry.iter().copied().collect::<BTreeSet<_>>(),
        "ConfigChange names every configuration key and no other"
    );
    for key in KEYS {
        let schema = &properties[key.key];
        match key.kind {
            ValueKind::Integer { min, max } => {
                assert_eq!(
                    (&schema["type"], &schema["minimum"], &schema["maximum"]),
                    (&json!("integer"), &json!(min), &json!(max)),
                    "{}",
                    key.key
                );
            }
            ValueKind::Number { min, max } => {
                assert_eq!(schema["type"], json!("number"), "{}", key.key);
                assert_eq!(schema["minimum"].as_f64(), Some(min), "{}", key.key);
                assert_eq!(schema["maximum"].as_f64(), Some(max), "{}", key.key);
            }
            ValueKind::ModuleList => {
                let pattern = schema["pattern"].as_str().expect("a pattern");
                for module in Module::ALL {
                    assert!(pattern.contains(module.as_str()), "{}: {module:?}", key.key);
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_operation_answers_as_its_schema_says() {
    let app = start(&[]).await;
    applied_item(&app, "doc-item").await;
    let to_replay = transient_dead_letter(&app, "doc-replay").await;
    let by_filter = transient_dead_letter(&app, "doc-filter").await;
    let to_resolve = permanent_dead_letter(&app, "doc-resolve").await;
    let to_show = permanent_dead_letter(&app, "doc-show").await;
    let [open_alert, _, _] = seed_alerts_and_circuits(&app).await;
    let db = app.db.client().await;
    let event_id: i64 = db
        .query_one("SELECT min(id) FROM tds_inbox_events", &[])
        .await
        .unwrap()
        .get(0);
    let run_id: i64 = db
        .query_one("SELECT min(id) FROM tds_sync_runs", &[])
        .await
        .unwrap()
        .get(0);
    let report_id: i64 = db
        .query_one(
            "INSERT INTO tds_reconcile_reports (trigger, status, summary, finished_at) \
             VALUES ('http', 'completed', '{\"missing\": 0}', now()) RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let doc = document(&app).await;

    // (method, template, concrete path, body, expected status)
    let calls: Vec<(&str, &str, String, Option<Value>, u16)> = vec![
        ("GET", "/health", "/health".into(), None, 200),
        ("GET", "/openapi.json", "/openapi.json".into(), None, 200),
        ("GET", "/dashboard", "/dashboard".into(), None, 200),
        ("GET", "/dashboard/{asset}", "/dashboard/app.js".into(), None, 200),
        ("GET", "/dashboard/{asset}", "/dashboard/app.css".into(), None, 200),
        ("GET", "/dashboard/{asset}", "/dashboard/nothing.js".into(), None, 404),
        ("GET", "/metrics", "/metrics".into(), None, 200),
        ("GET", "/api/queue", "/api/queue".into(), None, 200),
        ("GET", "/api/queue/series", "/api/queue/series?minutes=10".into(), None, 200),
        ("GET", "/api/queue/series", "/api/queue/series?minutes=-1".into(), None, 400),
        ("GET", "/api/dead-letters", "/api/dead-letters?limit=2".into(), None, 200),
        ("GET", "/api/dead-letters", "/api/dead-letters?status=all&module=items&lane=catalog&error_class=transient&error_code=55P03&since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z".into(), None, 200),
        ("GET", "/api/dead-letters", "/api/dead-letters?module=nope".into(), None, 400),
        ("GET", "/api/dead-letters/{id}", format!("/api/dead-letters/{to_show}"), None, 200),
        ("GET", "/api/dead-letters/{id}", "/api/dead-letters/999999".into(), None, 404),
        ("POST", "/api/dead-letters/{id}/replay", format!("/api/dead-letters/{to_replay}/replay"), Some(json!({"by": "doc"})), 200),
        ("POST", "/api/dead-letters/{id}/replay", "/api/dead-letters/999999/replay".into(), Some(json!({})), 404),
        ("POST", "/api/dead-letters/replay", "/api/dead-letters/replay".into(), Some(json!({"entity_id": "doc-filter", "limit": 5})), 200),
        ("POST", "/api/dead-letters/replay", "/api/dead-letters/replay".into(), Some(json!({"lane": "north"})), 400),
        ("POST", "/api/dead-letters/{id}/resolve", format!("/api/dead-letters/{to_resolve}/resolve"), Some(json!({"note": "handled"})), 200),
        ("POST", "/api/dead-letters/{id}/resolve", format!("/api/dead-letters/{to_resolve}/resolve"), Some(json!({"note": "again"})), 409),
        ("POST", "/api/dead-letters/{id}/resolve", "/api/dead-letters/999999/resolve".into(), Some(json!({"note": "x"})), 404),
        ("GET", "/api/trace", format!("/api/trace?event_id={event_id}"), None, 200),
        ("GET", "/api/trace", "/api/trace?correlation_id=req-doc-replay-v2".into(), None, 200),
        ("GET", "/api/trace", "/api/trace?correlation_id=unknown".into(), None, 404),
        ("GET", "/api/history/{module}/{entity_id}", "/api/history/items/doc-item".into(), None, 200),
        ("GET", "/api/history/{module}/{entity_id}", "/api/history/widgets/doc-item".into(), None, 404),
        ("GET", "/api/alerts", "/api/alerts?status=all&limit=1".into(), None, 200),
        ("POST", "/api/alerts/{id}/acknowledge", format!("/api/alerts/{open_alert}/acknowledge"), Some(json!({"by": "doc"})), 200),
        ("POST", "/api/alerts/{id}/acknowledge", "/api/alerts/999999/acknowledge".into(), None, 404),
        ("GET", "/api/runs", "/api/runs?limit=3".into(), None, 200),
        ("GET", "/api/runs/{id}", format!("/api/runs/{run_id}"), None, 200),
        ("GET", "/api/runs/{id}", "/api/runs/999999".into(), None, 404),
        ("GET", "/api/circuits", "/api/circuits".into(), None, 200),
        ("POST", "/api/circuits/{name}/reset", "/api/circuits/outbound:alerts-webhook/reset".into(), None, 200),
        ("POST", "/api/circuits/{name}/reset", "/api/circuits/none/reset".into(), None, 404),
        ("POST", "/api/replay", "/api/replay".into(), Some(json!({"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "dry_run": true})), 200),
        ("POST", "/api/replay", "/api/replay".into(), Some(json!({"from": "2000-01-01T00:00:00Z"})), 400),
        ("GET", "/api/intake/credentials", "/api/intake/credentials?hours=1".into(), None, 200),
        ("GET", "/api/intake/credentials", "/api/intake/credentials?hours=721".into(), None, 400),
        ("GET", "/api/reconcile/progress", "/api/reconcile/progress".into(), None, 200),
        ("GET", "/api/reconcile/progress", "/api/reconcile/progress?x=1".into(), None, 400),
        ("GET", "/api/reconcile/reports/latest", "/api/reconcile/reports/latest".into(), None, 200),
        ("GET", "/api/reconcile/reports/{id}", format!("/api/reconcile/reports/{report_id}"), None, 200),
        ("GET", "/api/reconcile/reports/{id}", "/api/reconcile/reports/999999".into(), None, 404),
        ("GET", "/api/config", "/api/config".into(), None, 200),
        ("PATCH", "/api/config", "/api/config".into(), Some(json!({"retention_inbox_days": 10})), 200),
        ("PATCH", "/api/config", "/api/config".into(), Some(json!({"retention_inbox_days": "ten"})), 400),
        ("PATCH", "/api/config", "/api/config".into(), Some(json!({"backoff_base_ms": 400000})), 409),
        ("POST", "/webhooks/zoho/{module}", "/webhooks/zoho/items".into(), Some(intake_item("doc-intake", "2026-03-01T10:00:00+0000")), 202),
        ("POST", "/webhooks/zoho/{module}", "/webhooks/zoho/items".into(), Some(intake_item("doc-intake", "2026-03-01T10:00:00+0000")), 200),
        ("POST", "/webhooks/zoho/{module}", "/webhooks/zoho/items".into(), Some(json!({"item": {"name": "no id"}})), 202),
        ("POST", "/webhooks/zoho/{module}", "/webhooks/zoho/widgets".into(), Some(json!({})), 404),
        ("PUT", "/webhooks/zoho/{module}", "/webhooks/zoho/items".into(), Some(intake_item("doc-intake", "2026-03-02T10:00:00+0000")), 202),
        ("DELETE", "/webhooks/zoho/{module}", "/webhooks/zoho/items".into(), Some(intake_item("doc-intake", "2026-03-03T10:00:00+0000")), 202),
        ("POST", "/webhooks/zoho", "/webhooks/zoho".into(), Some(intake_item("doc-bare", "2026-03-01T10:00:00+0000")), 202),
        ("POST", "/webhooks/zoho", "/webhooks/zoho".into(), Some(json!({"item_id": "1"})), 400),
        ("POST", "/internal/drain/{lane}", "/internal/drain/catalog".into(), None, 200),
        ("POST", "/internal/drain/{lane}", "/internal/drain/catalog?keep_going_ms=0".into(), None, 400),
        ("POST", "/internal/heal", "/internal/heal".into(), None, 200),
        ("POST", "/internal/reconcile", "/internal/reconcile".into(), None, 503),
    ];
    let mut exercised = BTreeSet::new();
    for (method, template, path, body, expected) in &calls {
        let security = &doc["paths"][template][method.to_ascii_lowercase()]["security"];
        let public = security == &json!([]);
        // Intake takes the webhook key (here in the query, one of its documented schemes);
        // every other protected route the bearer token.
        let keyed = security.to_string().contains("webhookKey");
        let (authenticated, token) = if keyed {
            let separator = if path.contains('?') { '&' } else { '?' };
            (format!("{path}{separator}key={KEY}"), None)
        } else {
            (path.clone(), (!public).then_some(TOKEN))
        };
        let reply = call(&app, method, &authenticated, token, body.as_ref()).await;
        assert_eq!(reply.status, *expected, "{method} {path}: {}", reply.text);
        check(&doc, method, template, &reply);
        // Intake refuses an unknown route before it looks for a key (its contract's order).
        let route_refusal = keyed && *expected == 404;
        if !public && !route_refusal {
            let refused = call(&app, method, path, None, body.as_ref()).await;
            assert_eq!(refused.status, 401, "{method} {path} without a token");
            check(&doc, method, template, &refused);
        }
        exercised.insert(format!("{method} {template}"));
    }
    let served: BTreeSet<String> = SERVED.iter().map(|s| s.to_string()).collect();
    assert_eq!(exercised, served, "every documented operation was called");
    for (path, allow) in [
        ("/webhooks/zoho/items", "POST, PUT, DELETE"),
        ("/webhooks/zoho", "POST"),
        ("/internal/heal", "POST"),
        ("/internal/drain/sales", "POST"),
        ("/internal/reconcile", "POST"),
    ] {
        let refused = call(&app, "GET", path, Some(TOKEN), None).await;
        assert_eq!(
            (refused.status, refused.header("allow")),
            (405, Some(allow)),
            "GET {path}: {}",
            refused.text
        );
    }

    let mut wrong = call(&app, "GET", "/api/queue", Some(TOKEN), None).await;
    wrong.body["by_status"]["pending"] = json!("many");
    let caught = std::panic::catch_unwind(|| check(&doc, "GET", "/api/queue", &wrong));
    assert!(
        caught.is_err(),
        "the schema check refuses an answer that does not match"
    );
    let replayed = db
        .query_one(
            "SELECT replay_count FROM tds_dead_letters WHERE id = $1",
            &[&by_filter],
        )
        .await
        .unwrap()
        .get::<_, i32>(0);
    assert_eq!(
        replayed, 1,
        "the replay by filter took the dead letter it named"
    );
}
