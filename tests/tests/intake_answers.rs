//! Every status code intake answers, each a JSON body of a stable shape naming what was
//! wrong, with the request id echoed; refusals store nothing but are counted by reason.

use std::time::Duration;

use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_core::payload::MAX_BODY_BYTES;
use tds_tests::raw_http::{chunk, read_answer, request_head, LAST_CHUNK};
use tds_tests::webhooks::{count, example, intake_counters, wrapped, Answer, Delivery, KEY};
use tds_tests::{TestApp, TestAppOptions};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpSocket, TcpStream};

async fn app_with(variables: &[&str]) -> TestApp {
    TestApp::start_with(TestAppOptions {
        variables: variables.iter().map(|v| v.to_string()).collect(),
        ..TestAppOptions::default()
    })
    .await
}

async fn app() -> TestApp {
    app_with(&[&format!("webhook_key={KEY}")]).await
}

fn item(id: &str) -> Value {
    let mut record = example(Module::Items);
    record["item_id"] = json!(id);
    wrapped(Module::Items, record)
}

/// An error answer: status, stable shape, code, request id in header and body.
fn assert_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let body = answer.body.as_object().expect("an object");
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["error", "request_id"], "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], json!(code), "{}", answer.body);
    let message = answer.body["error"]["message"].as_str().expect("a message");
    assert!(!message.is_empty());
    assert_eq!(
        answer.body["request_id"].as_str(),
        answer.request_id.as_deref()
    );
}

async fn nothing_stored(app: &TestApp) {
    for table in ["tds_inbox_events", "tds_sync_queue", "tds_dead_letters"] {
        assert_eq!(count(app, table).await, 0, "{table} must stay empty");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn accepted_duplicate_and_invalid() {
    let app = app().await;
    let first = Delivery::json("/webhooks/zoho/items", &item("11"))
        .send(&app)
        .await;
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!(first.body["status"], json!("accepted"));
    assert_eq!(first.body["duplicate"], json!(false));

    let again = Delivery::json("/webhooks/zoho/items", &item("11"))
        .send(&app)
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["duplicate"], json!(true));
    assert_eq!(again.body["event_id"], first.body["event_id"]);
    assert_eq!(again.body["idempotency_key"], first.body["idempotency_key"]);

    let mut no_id = example(Module::Items);
    no_id.as_object_mut().unwrap().remove("item_id");
    let invalid = Delivery::json("/webhooks/zoho/items", &wrapped(Module::Items, no_id))
        .send(&app)
        .await;
    assert_eq!(
        invalid.status, 202,
        "authentic data is stored: {}",
        invalid.body
    );
    assert_eq!(invalid.body["status"], json!("invalid"));
    assert_eq!(invalid.body["queued"], json!(false));
    assert_eq!(invalid.body["reasons"], json!(["item_id is missing"]));
    let dead_letter = invalid.body["dead_letter_id"]
        .as_i64()
        .expect("a dead letter");

    let client = app.db.client().await;
    let row = client
        .query_one(
            "SELECT d.error_class, d.reason, e.status FROM tds_dead_letters d JOIN tds_inbox_events e ON e.id = d.inbox_event_id WHERE d.id = $1",
            &[&dead_letter],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "invalid");
    assert_eq!(row.get::<_, &str>(1), "item_id is missing");
    assert_eq!(row.get::<_, &str>(2), "invalid");
    assert_eq!(count(&app, "tds_inbox_events").await, 2);
    assert_eq!(count(&app, "tds_sync_queue").await, 1);

    let counters = intake_counters(&app).await;
    let items = |outcome: &str| (outcome.to_string(), "items".to_string(), String::new(), 1);
    assert_eq!(
        counters,
        [items("accepted"), items("duplicate"), items("invalid")]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_operation_is_stored_and_dead_lettered() {
    let app = app().await;
    let answer = Delivery::json("/webhooks/zoho/items?operation=archive", &item("12"))
        .send(&app)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.body["status"], json!("invalid"));
    let reasons = answer.body["reasons"].to_string();
    assert!(reasons.contains("archive"), "{reasons}");
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_store_nothing_and_are_counted_by_reason() {
    let app = app().await;
    let cases: Vec<(Delivery<'_>, u16, &str)> = vec![
        (
            Delivery::json("/webhooks/zoho/items", &item("1")).without("x-webhook-key"),
            401,
            "missing_key",
        ),
        (
            Delivery::json("/webhooks/zoho/items", &item("1")).header("x-webhook-key", "wrong"),
            401,
            "invalid_key",
        ),
        (
            Delivery::json("/webhooks/zoho/widgets", &item("1")),
            404,
            "unknown_module",
        ),
        (
            Delivery::json("/webhooks/zoho/items/1", &item("1")),
            404,
            "not_found",
        ),
        (
            Delivery::json("/webhooks/zoho", &json!({"widget": {"widget_id": "1"}})),
            404,
            "unknown_module",
        ),
        (
            Delivery::json("/webhooks/zoho/items", &item("1")).method("GET"),
            405,
            "method_not_allowed",
        ),
        (
            Delivery::json("/webhooks/zoho/items", &item("1")).method("PATCH"),
            405,
            "method_not_allowed",
        ),
        (
            Delivery::json("/webhooks/zoho", &item("1")).method("PUT"),
            405,
            "method_not_allowed",
        ),
        (
            Delivery::json("/webhooks/zoho/items", &item("1")).header("content-type", "text/plain"),
            415,
            "unsupported_media_type",
        ),
        (
            Delivery::json("/webhooks/zoho/items", &json!([1, 2])),
            400,
            "not_an_object",
        ),
        (
            Delivery::json("/webhooks/zoho", &json!({"item_id": "1"})),
            400,
            "module_not_given",
        ),
        (
            Delivery::json("/webhooks/zoho", &json!({"item": {}, "bill": {}})),
            400,
            "ambiguous_module",
        ),
        (
            Delivery::form("/webhooks/zoho/items", &[("item", "{not json")]),
            400,
            "invalid_json",
        ),
    ];
    let mut expected: Vec<(String, String)> = Vec::new();
    for (delivery, status, code) in cases {
        let answer = delivery.send(&app).await;
        assert_error(&answer, status, code);
        expected.push(("rejected".into(), code.into()));
    }
    let mut bad_json = Delivery::json("/webhooks/zoho/items", &json!({}));
    bad_json.body = b"{\"item\": {\"item_id\": ".to_vec();
    assert_error(&bad_json.send(&app).await, 400, "invalid_json");
    let mut big = Delivery::json("/webhooks/zoho/items", &json!({}));
    big.body = format!(
        "{{\"item\": {{\"item_id\": \"1\", \"description\": \"{}\"}}}}",
        "x".repeat(1024 * 1024)
    )
    .into_bytes();
    assert_error(&big.send(&app).await, 413, "payload_too_large");
    expected.push(("rejected".into(), "invalid_json".into()));
    expected.push(("rejected".into(), "payload_too_large".into()));

    nothing_stored(&app).await;
    let mut counted: Vec<(String, String)> = Vec::new();
    for (outcome, _module, reason, n) in intake_counters(&app).await {
        for _ in 0..n {
            counted.push((outcome.clone(), reason.clone()));
        }
    }
    counted.sort();
    expected.sort();
    assert_eq!(counted, expected);
}

/// A body over the limit sent in chunks (no `Content-Length` to refuse it by) is read to
/// its end and then refused, so the whole body goes out and the 413 arrives intact; one
/// that goes on far past the limit is not read to its end.
#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_chunked_body_is_read_to_its_end_and_refused_with_413() {
    let app = app().await;
    let mut oversized = item("oversized");
    oversized["item"]["description"] = json!("x".repeat(MAX_BODY_BYTES + 3 * 1024 * 1024));
    let body = serde_json::to_vec(&oversized).unwrap();
    let head = request_head(
        "POST",
        "/webhooks/zoho/items",
        &[
            ("content-type", "application/json"),
            ("x-webhook-key", KEY),
            ("x-request-id", "oversized-chunked"),
            ("transfer-encoding", "chunked"),
        ],
    );
    let mut stream = with_small_send_buffer(&app).await;
    stream.write_all(&head).await.unwrap();
    for piece in body.chunks(64 * 1024) {
        stream.write_all(&chunk(piece)).await.expect("the host reads the whole body");
    }
    stream.write_all(LAST_CHUNK).await.expect("the host reads the whole body");
    let (status, text) = read_answer(&mut stream, Duration::from_secs(30)).await.expect("an answer");
    assert_eq!(status, 413, "{text}");
    assert!(text.contains(r#""code":"payload_too_large""#), "{text}");
    assert!(text.contains(r#""request_id":"oversized-chunked""#), "{text}");

    let endless = 64 * 1024 * 1024;
    let (mut reader, mut writer) = with_small_send_buffer(&app).await.into_split();
    let answer =
        tokio::spawn(async move { read_answer(&mut reader, Duration::from_secs(60)).await });
    writer.write_all(&head).await.unwrap();
    let piece = chunk(&vec![b' '; 64 * 1024]);
    let mut sent = 0;
    while sent < endless {
        match tokio::time::timeout(Duration::from_secs(10), writer.write_all(&piece)).await {
            Ok(Ok(())) => sent += 64 * 1024,
            Ok(Err(_)) | Err(_) => break,
        }
    }
    assert!(sent < endless, "the host read a {endless}-byte body to its end");
    if let Some((status, text)) = answer.await.unwrap() {
        assert_eq!(status, 413, "{text}");
    }
    nothing_stored(&app).await;
}

/// A connection to the app whose send buffer holds 16 KiB, so that a body is still being
/// sent, not already buffered, while the host reads it.
async fn with_small_send_buffer(app: &TestApp) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(16 * 1024).unwrap();
    socket.connect(app.address).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn with_nothing_configured_intake_accepts_nothing_and_says_why() {
    let app = app_with(&[]).await;
    let answer = Delivery::json("/webhooks/zoho/items", &item("1"))
        .send(&app)
        .await;
    assert_error(&answer, 503, "not_configured");
    let message = answer.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("webhook_key"), "{message}");
    nothing_stored(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_module_secret_setting_is_reported_without_the_secret() {
    let app = app_with(&[
        "zoho_module_secrets=widgets=Secret99887766",
        &format!("webhook_key={KEY}"),
    ])
    .await;
    let answer = Delivery::json("/webhooks/zoho/items", &item("1"))
        .send(&app)
        .await;
    assert_error(&answer, 503, "not_configured");
    let message = answer.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("zoho_module_secrets") && message.contains("widgets"),
        "{message}"
    );
    assert!(!message.contains("Secret99887766"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn request_ids_are_taken_or_generated() {
    let app = app().await;
    let given = Delivery::json("/webhooks/zoho/items", &item("21"))
        .header("x-request-id", "abc-123")
        .send(&app)
        .await;
    assert_eq!(given.request_id.as_deref(), Some("abc-123"));
    assert_eq!(given.body["request_id"], json!("abc-123"));
    let unusable = Delivery::json("/webhooks/zoho/items", &item("22"))
        .header("x-request-id", "x".repeat(500))
        .send(&app)
        .await;
    let generated = unusable.request_id.expect("a generated id");
    assert_ne!(generated, "x".repeat(500));
    assert_eq!(unusable.body["request_id"], json!(generated));
    let refused = Delivery::json("/webhooks/zoho/items", &item("23"))
        .without("x-webhook-key")
        .send(&app)
        .await;
    assert!(refused.request_id.is_some_and(|id| !id.is_empty()));
}
