//! Hostile and broken input through the real host and the built intake wasm: arbitrary
//! bytes, wrong encodings, deep nesting, huge numbers and strings PostgreSQL cannot hold.
//! Nothing crashes the component or the host, nothing unauthenticated is stored, and what
//! is authentic is kept (raw body byte for byte) even when its document cannot be read.

use rand::{Rng, SeedableRng};
use serde_json::json;
use tds_tests::webhooks::{count, Delivery, KEY};
use tds_tests::{TestApp, TestAppOptions};

async fn app() -> TestApp {
    TestApp::start_with(TestAppOptions {
        variables: vec![format!("webhook_key={KEY}")],
        ..TestAppOptions::default()
    })
    .await
}

fn raw<'a>(path: &'a str, content_type: &str, body: Vec<u8>) -> Delivery<'a> {
    let mut delivery =
        Delivery::json(path, &json!({})).header("content-type", content_type.to_string());
    delivery.body = body;
    delivery
}

async fn health_is_ok(app: &TestApp) {
    let status = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("the host still answers")
        .status();
    assert_eq!(status.as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn random_bytes_without_proof_are_refused_and_never_stored() {
    let app = app().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x7d5);
    let content_types = [
        "application/json",
        "application/x-www-form-urlencoded",
        "",
        "text/plain",
        "application/json; charset=utf-16",
    ];
    let paths = [
        "/webhooks/zoho/items",
        "/webhooks/zoho",
        "/webhooks/zoho/invoices",
        "/webhooks/zoho/%00",
        "/webhooks/zoho/items/..%2f",
    ];
    for round in 0..300 {
        let len = rng.random_range(0..4096);
        let body: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let content_type = content_types[round % content_types.len()];
        let path = paths[round % paths.len()];
        let answer = raw(path, content_type, body)
            .without("x-webhook-key")
            .send(&app)
            .await;
        assert!(
            [400, 401, 404, 405, 413, 415].contains(&answer.status),
            "round {round}: {} {}",
            answer.status,
            answer.body
        );
        assert!(answer.body["error"]["code"].is_string(), "{}", answer.body);
    }
    for table in ["tds_inbox_events", "tds_sync_queue", "tds_dead_letters"] {
        assert_eq!(count(&app, table).await, 0, "{table}");
    }
    health_is_ok(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn authentic_garbage_is_answered_400_and_not_stored() {
    let app = app().await;
    let deep = format!("{}{}", "{\"item\":".repeat(100_000), "}".repeat(100_000)).into_bytes();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (deep, "application/json"),
        (
            b"{\"item\": {\"item_id\": \"1\", \"name\": \"Caf\xe9\"}}".to_vec(),
            "application/json",
        ),
        (
            "{\"item\":{}}"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect(),
            "application/json",
        ),
        (
            b"\xef\xbb\xbf{\"item\": {\"item_id\": \"1\"}}".to_vec(),
            "application/json",
        ),
        (
            b"item=%7B%7B%7B".to_vec(),
            "application/x-www-form-urlencoded",
        ),
        (b"null".to_vec(), "application/json"),
    ];
    for (body, content_type) in cases {
        let answer = raw("/webhooks/zoho/items", content_type, body)
            .send(&app)
            .await;
        assert_eq!(answer.status, 400, "{}", answer.body);
    }
    assert_eq!(count(&app, "tds_inbox_events").await, 0);
    health_is_ok(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn authentic_records_postgres_cannot_hold_as_json_are_kept_raw_and_dead_lettered() {
    let app = app().await;
    let bodies = [
        r#"{"item": {"item_id": "nul-1", "name": "a\u0000b"}}"#.to_string(),
        r#"{"item": {"item_id": "big-1", "rate": 1e1000000}}"#.to_string(),
    ];
    for body in &bodies {
        let answer = raw(
            "/webhooks/zoho/items",
            "application/json",
            body.clone().into_bytes(),
        )
        .send(&app)
        .await;
        assert_eq!(answer.status, 202, "{}", answer.body);
        assert_eq!(answer.body["status"], json!("invalid"), "{}", answer.body);
        let reasons = answer.body["reasons"].to_string();
        assert!(reasons.contains("cannot be stored as JSON"), "{reasons}");
    }
    let client = app.db.client().await;
    let rows = client
        .query(
            "SELECT raw_body, document::text, status FROM tds_inbox_events ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for (row, body) in rows.iter().zip(&bodies) {
        assert_eq!(
            row.get::<_, Vec<u8>>(0),
            body.as_bytes(),
            "the raw body is kept byte for byte"
        );
        assert_eq!(row.get::<_, &str>(1), "{}");
        assert_eq!(row.get::<_, &str>(2), "invalid");
    }
    assert_eq!(count(&app, "tds_dead_letters").await, 2);
    assert_eq!(count(&app, "tds_sync_queue").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_strings_are_stored_verbatim_and_harmlessly() {
    let app = app().await;
    let name = "'); DROP TABLE tds_inbox_events; -- \u{202e}ʇxǝʇ 😀 <script>alert(1)</script>";
    let body =
        json!({"item": {"item_id": "hostile-1", "name": name, "description": "x".repeat(200_000)}});
    let answer = Delivery::json("/webhooks/zoho/items", &body)
        .send(&app)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let client = app.db.client().await;
    let stored: String = client
        .query_one("SELECT document->>'name' FROM tds_inbox_events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, name);
    let control_id = json!({"item": {"item_id": "a\u{7}b"}});
    let answer = Delivery::json("/webhooks/zoho/items", &control_id)
        .send(&app)
        .await;
    assert_eq!(answer.status, 202);
    assert_eq!(answer.body["status"], json!("invalid"), "{}", answer.body);
    assert_eq!(count(&app, "tds_inbox_events").await, 2);
}
