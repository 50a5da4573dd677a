//! The first end-to-end path: an `items` webhook posted to intake is stored and queued, the
//! catalog processor's cron run applies it to `erp_items` under the version guard, and
//! `/health` reports the database and the queue.

use serde_json::{json, Value};
use tds_tests::webhooks::send_item;
use tds_tests::{TestApp, TestAppOptions};

const KEY: &str = "test-webhook-key-0123456789";
/// The `X-Request-Id` every delivery of these tests carries.
const REQUEST_ID: &str = "e2e-request-1";

async fn app() -> TestApp {
    TestApp::start_with(TestAppOptions {
        variables: vec![format!("webhook_key={KEY}"), "stats_token=test-stats-token".into()],
        ..TestAppOptions::default()
    })
    .await
}

fn item(id: &str, name: &str, rate: &str, modified: &str) -> Value {
    let mut item: Value =
        serde_json::from_str(include_str!("../fixtures/zoho-examples/item.json")).expect("example item");
    item["item_id"] = json!(id);
    item["name"] = json!(name);
    item["rate"] = serde_json::from_str(rate).unwrap();
    item["last_modified_time"] = json!(modified);
    json!({ "item": item })
}

async fn erp_item(app: &TestApp, id: &str) -> Option<(String, String, String)> {
    let client = app.db.client().await;
    client
        .query_opt(
            "SELECT name, rate::text, source_modified_at::text FROM erp_items WHERE item_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_item_webhook_reaches_erp_items_and_health_counts_it() {
    let app = app().await;
    let (status, answer) = send_item(&app, KEY, &item("45667789900123456789", "Hard Drive", "120.50", "2026-11-20T10:15:00+0530"), Some(REQUEST_ID)).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["queued"], json!(true), "{answer}");
    assert_eq!(answer["request_id"], json!(REQUEST_ID), "{answer}");

    app.run_cron("processor-catalog").await.expect("the catalog processor runs");
    let (name, rate, modified) = erp_item(&app, "45667789900123456789").await.expect("the item was applied");
    assert_eq!(name, "Hard Drive");
    assert_eq!(rate, "120.50", "money stays exact");
    assert!(modified.starts_with("2026-11-20 04:45:00"), "offset applied: {modified}");

    let health: Value = app.client.get(app.url("/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["database"]["reachable"], json!(true), "{health}");
    assert_eq!(health["queue"]["completed"], json!(1), "{health}");
    assert_eq!(health["queue"]["pending"], json!(0), "{health}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_older_version_never_overwrites_a_newer_one() {
    let app = app().await;
    let newer = item("9001", "Newer name", "10", "2026-11-20T10:00:00-0800");
    let older = item("9001", "Older name", "9", "2026-11-19T10:00:00-0800");
    assert_eq!(send_item(&app, KEY, &newer, Some(REQUEST_ID)).await.0, 202);
    app.run_cron("processor-catalog").await.unwrap();
    assert_eq!(send_item(&app, KEY, &older, Some(REQUEST_ID)).await.0, 202);
    app.run_cron("processor-catalog").await.unwrap();
    let (name, rate, _) = erp_item(&app, "9001").await.unwrap();
    assert_eq!((name.as_str(), rate.as_str()), ("Newer name", "10"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_without_the_key_is_refused_and_stores_nothing() {
    let app = app().await;
    let (status, body) = send_item(&app, "wrong", &item("1", "x", "1", "2026-11-20T10:00:00-0800"), None).await;
    assert_eq!(status, 401);
    assert!(body["error"]["code"].is_string(), "{body}");
    let client = app.db.client().await;
    let stored: i64 = client.query_one("SELECT count(*) FROM tds_inbox_events", &[]).await.unwrap().get(0);
    assert_eq!(stored, 0);
}
