//! Every route docs/stats.md lists answers, on an empty database and after traffic, with the
//! host refusing every query without rows as Spin 4.0.0–4.0.2 hang on them
//! (spinframework/spin#3671): no route may depend on a query that returns nothing.

use serde_json::json;
use tds_core::entity::Lane;
use tds_tests::stats::{self, get, post, TOKEN, V1};
use tds_tests::webhooks::{item, post_item, send_item, KEY};
use tds_tests::{internal, TestApp};

/// `GET` routes and the status each answers, on any database (what is not there is a 404
/// that says so).
const READS: [(&str, u16); 16] = [
    ("/health", 200),
    ("/openapi.json", 200),
    ("/dashboard", 200),
    ("/metrics", 200),
    ("/api/queue", 200),
    ("/api/queue/series?minutes=60", 200),
    ("/api/dead-letters", 200),
    ("/api/alerts", 200),
    ("/api/runs", 200),
    ("/api/circuits", 200),
    ("/api/config", 200),
    ("/api/intake/credentials", 200),
    ("/api/reconcile/progress", 200),
    ("/api/history/items/never-seen", 200),
    ("/api/trace?correlation_id=never-seen", 404),
    ("/api/reconcile/reports/latest", 404),
];

/// Every read answers its status, and every internal cycle runs.
async fn every_route_answers(app: &TestApp, when: &str) {
    for (path, status) in READS {
        let reply = get(app, path).await;
        assert_eq!(reply.status, status, "{when}: GET {path}: {}", reply.text);
    }
    for lane in Lane::ALL {
        let (status, report) = internal::try_drain_at(&app.client, &app.url(""), lane, TOKEN).await;
        assert_eq!(status, 200, "{when}: drain {lane:?}: {report}");
    }
    let (status, report) = internal::call(&app.client, &app.url(""), "/internal/heal", TOKEN).await;
    assert_eq!(status, 200, "{when}: heal: {report}");
    let replay = post(app, "/api/dead-letters/replay", &json!({"module": "items"})).await;
    assert_eq!(replay.status, 200, "{when}: replay by filter: {}", replay.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_answers_on_an_empty_database_and_after_traffic() {
    let app = stats::start(&[]).await;
    every_route_answers(&app, "empty database").await;

    let body = item("routes-1", "First", json!(1), V1);
    post_item(&app, KEY, &body, Some("routes-1")).await;
    let (status, answer) = send_item(&app, KEY, &body, None).await;
    assert_eq!(status, 200);
    assert_eq!(answer["duplicate"], json!(true), "{answer}");
    stats::permanent_dead_letter(&app, "routes-poison").await;

    every_route_answers(&app, "after traffic").await;
    let trace = get(&app, "/api/trace?correlation_id=routes-1").await;
    assert_eq!(trace.status, 200, "{}", trace.text);
    let health = get(&app, "/health").await;
    assert_eq!(health.body["queue"]["completed"], json!(1), "{}", health.text);
}
