//! Every module of the entity table, in every body form Zoho can send, through the built
//! intake wasm: each delivery is stored once in the inbox and queued in its lane with its
//! priority, its entity id and operation read right.

use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_tests::webhooks::{example, wrapped, Delivery, KEY};
use tds_tests::{TestApp, TestAppOptions};

/// Intake alone: no wakes, so what intake queued stays as it left it.
async fn app() -> TestApp {
    TestApp::start_with(TestAppOptions {
        variables: vec![format!("webhook_key={KEY}"), "wake=off".to_string()],
        ..TestAppOptions::default()
    })
    .await
}

/// The example of `module` with a test-chosen id (as Zoho sends ids: numbers).
fn record(module: Module, id: u64) -> Value {
    let mut record = example(module);
    record[module.spec().id_field] = json!(id);
    record
}

/// What intake stored for the event: inbox (module, entity, operation, shape) and queue
/// (lane, priority, status, operation).
async fn stored(app: &TestApp, event_id: i64) -> (Vec<String>, Vec<String>) {
    let client = app.db.client().await;
    let inbox = client
        .query_one(
            "SELECT module, entity_id, operation, payload_shape, status FROM tds_inbox_events WHERE id = $1",
            &[&event_id],
        )
        .await
        .expect("the inbox row");
    let queue = client
        .query_one(
            "SELECT lane, priority::text, status, operation, module, entity_id FROM tds_sync_queue WHERE inbox_event_id = $1",
            &[&event_id],
        )
        .await
        .expect("the queue row");
    (
        (0..5).map(|i| inbox.get::<_, String>(i)).collect(),
        (0..6).map(|i| queue.get::<_, String>(i)).collect(),
    )
}

async fn assert_accepted(
    app: &TestApp,
    answer_body: &Value,
    module: Module,
    id: &str,
    operation: &str,
    shape: &str,
) {
    assert_eq!(
        answer_body["status"],
        json!("accepted"),
        "{module}: {answer_body}"
    );
    assert_eq!(
        answer_body["queued"],
        json!(true),
        "{module}: {answer_body}"
    );
    assert_eq!(
        answer_body["module"],
        json!(module.as_str()),
        "{answer_body}"
    );
    assert_eq!(answer_body["entity_id"], json!(id), "{answer_body}");
    let event_id = answer_body["event_id"].as_i64().expect("an event id");
    let (inbox, queue) = stored(app, event_id).await;
    let spec = module.spec();
    assert_eq!(
        inbox,
        [module.as_str(), id, operation, shape, "accepted"],
        "{module}"
    );
    assert_eq!(
        queue,
        [
            spec.lane.as_str(),
            &spec.priority.to_string(),
            "pending",
            operation,
            module.as_str(),
            id
        ],
        "{module}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn default_payload_on_the_module_route_for_every_module() {
    let app = app().await;
    for (n, module) in Module::ALL.into_iter().enumerate() {
        let body = wrapped(module, record(module, 1_000 + n as u64));
        let path = format!("/webhooks/zoho/{module}");
        let answer = Delivery::json(&path, &body).send(&app).await;
        assert_eq!(answer.status, 202, "{module}: {}", answer.body);
        assert_accepted(
            &app,
            &answer.body,
            module,
            &(1_000 + n).to_string(),
            "upsert",
            "wrapped",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn default_payload_on_the_bare_route_names_its_module() {
    let app = app().await;
    for (n, module) in Module::ALL.into_iter().enumerate() {
        let body = wrapped(module, record(module, 2_000 + n as u64));
        let answer = Delivery::json("/webhooks/zoho", &body).send(&app).await;
        assert_eq!(answer.status, 202, "{module}: {}", answer.body);
        assert_accepted(
            &app,
            &answer.body,
            module,
            &(2_000 + n).to_string(),
            "upsert",
            "wrapped",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_raw_json_bare_record_on_the_route_named_by_wrapper_key() {
    let app = app().await;
    for (n, module) in Module::ALL.into_iter().enumerate() {
        let body = record(module, 3_000 + n as u64);
        let path = format!("/webhooks/zoho/{}", module.spec().wrapper_keys[0]);
        let answer = Delivery::json(&path, &body).method("PUT").send(&app).await;
        assert_eq!(answer.status, 202, "{module}: {}", answer.body);
        assert_accepted(
            &app,
            &answer.body,
            module,
            &(3_000 + n).to_string(),
            "upsert",
            "bare",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn form_field_carrying_json_on_either_route() {
    let app = app().await;
    for (n, module) in Module::ALL.into_iter().enumerate() {
        let key = module.spec().wrapper_keys[0];
        let json = record(module, 4_000 + n as u64).to_string();
        let answer = Delivery::form("/webhooks/zoho", &[(key, &json)])
            .send(&app)
            .await;
        assert_eq!(answer.status, 202, "{module}: {}", answer.body);
        assert_accepted(
            &app,
            &answer.body,
            module,
            &(4_000 + n).to_string(),
            "upsert",
            "form_json",
        )
        .await;

        let json = wrapped(module, record(module, 5_000 + n as u64)).to_string();
        let path = format!("/webhooks/zoho/{module}");
        let answer = Delivery::form(&path, &[("JSONString", &json)])
            .send(&app)
            .await;
        assert_eq!(answer.status, 202, "{module}: {}", answer.body);
        assert_accepted(
            &app,
            &answer.body,
            module,
            &(5_000 + n).to_string(),
            "upsert",
            "form_json",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn flat_form_fields_become_a_record_of_strings() {
    let app = app().await;
    for (n, module) in Module::ALL.into_iter().enumerate() {
        let id = (6_000 + n).to_string();
        let path = format!("/webhooks/zoho/{module}");
        let fields = [
            (module.spec().id_field, id.as_str()),
            ("last_modified_time", "2026-11-20T10:00:00+0000"),
            ("status", "active"),
        ];
        let answer = Delivery::form(&path, &fields).send(&app).await;
        assert_eq!(answer.status, 202, "{module}: {}", answer.body);
        assert_accepted(&app, &answer.body, module, &id, "upsert", "form_fields").await;
        let client = app.db.client().await;
        let document: String = client
            .query_one(
                "SELECT document::text FROM tds_inbox_events WHERE id = $1",
                &[&answer.body["event_id"].as_i64().unwrap()],
            )
            .await
            .unwrap()
            .get(0);
        let document: Value = serde_json::from_str(&document).unwrap();
        assert_eq!(document["status"], json!("active"), "{module}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn operations_come_from_the_method_query_header_or_envelope() {
    let app = app().await;
    let module = Module::Invoices;
    let path_with_id = "/webhooks/zoho/invoices?invoice_id=7001";
    let answer = Delivery::json(path_with_id, &json!({}))
        .method("DELETE")
        .send(&app)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_accepted(&app, &answer.body, module, "7001", "delete", "bare").await;

    let body = wrapped(module, record(module, 7002));
    let answer = Delivery::json("/webhooks/zoho/invoices?operation=deleted", &body)
        .send(&app)
        .await;
    assert_accepted(&app, &answer.body, module, "7002", "delete", "wrapped").await;

    let body = wrapped(module, record(module, 7003));
    let answer = Delivery::json("/webhooks/zoho/invoices", &body)
        .header("x-webhook-operation", "invoice.deleted")
        .send(&app)
        .await;
    assert_accepted(&app, &answer.body, module, "7003", "delete", "wrapped").await;

    let mut body = wrapped(module, record(module, 7004));
    body["operation"] = json!("delete");
    let answer = Delivery::json("/webhooks/zoho", &body).send(&app).await;
    assert_accepted(&app, &answer.body, module, "7004", "delete", "wrapped").await;

    let mut body = wrapped(module, record(module, 7005));
    body["event_type"] = json!("invoice_created");
    let answer = Delivery::json("/webhooks/zoho/invoices", &body)
        .method("DELETE")
        .send(&app)
        .await;
    assert_accepted(&app, &answer.body, module, "7005", "upsert", "wrapped").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stored_event_keeps_its_document_and_request_id_not_the_raw_body() {
    let app = app().await;
    let module = Module::Bills;
    let body = wrapped(module, example(module));
    let answer = Delivery::json("/webhooks/zoho/bills", &body)
        .header("x-request-id", "zoho-delivery-42")
        .send(&app)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.request_id.as_deref(), Some("zoho-delivery-42"));
    assert_eq!(answer.body["request_id"], json!("zoho-delivery-42"));
    assert_eq!(
        answer.body["idempotency_key"].as_str().map(str::len),
        Some(64)
    );
    let client = app.db.client().await;
    let row = client
        .query_one(
            "SELECT raw_body, document::text, correlation_id, source_modified_at::text, version_source, headers::text \
             FROM tds_inbox_events WHERE id = $1",
            &[&answer.body["event_id"].as_i64().unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, Option<Vec<u8>>>(0),
        None,
        "a valid delivery is stored once, as its document"
    );
    let document: Value = serde_json::from_str(row.get::<_, &str>(1)).unwrap();
    assert_eq!(document, example(module), "the record, unwrapped");
    assert_eq!(row.get::<_, &str>(2), "zoho-delivery-42");
    assert!(
        row.get::<_, &str>(3).starts_with("2013-09-11 11:48:32"),
        "{}",
        row.get::<_, &str>(3)
    );
    assert_eq!(row.get::<_, &str>(4), "last_modified_time");
    let headers: Value = serde_json::from_str(row.get::<_, &str>(5)).unwrap();
    assert_eq!(headers["x-webhook-key"], json!("[redacted]"), "{headers}");
    let queue_correlation: String = client
        .query_one("SELECT correlation_id FROM tds_sync_queue", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(queue_correlation, "zoho-delivery-42");
}
