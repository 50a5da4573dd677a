//! Driving the stats API: an application with a webhook key and a stats token, requests
//! with the token, and the fixtures the stats tests share — applied items, a dead letter
//! with a passing cause (a row lock outlasting the only attempt) and one with a permanent
//! cause (a rate that is not a number). Everything goes through intake
//! ([`crate::webhooks::post_item`], with [`KEY`]) and the catalog processor's cron handler
//! ([`crate::internal::drain_by_cron`]).

use std::time::Duration;

use serde_json::{json, Value};
use tds_core::entity::Lane;

use crate::internal::drain_by_cron;
use crate::locks::RowLock;
use crate::webhooks::{item, post_item, KEY};
use crate::{TestApp, TestAppOptions};

/// The stats token the stats tests configure.
pub const TOKEN: &str = "stats-test-token-0123456789";

/// An application with [`KEY`], [`TOKEN`] and one attempt per event (so a passing failure
/// dead-letters at once), plus `extra` variables.
pub async fn start(extra: &[&str]) -> TestApp {
    let mut variables = vec![
        format!("webhook_key={KEY}"),
        format!("stats_token={TOKEN}"),
        "max_attempts=1".to_string(),
        // The fixtures drain each lane themselves (by its cron handler) and the tests read
        // the runs they made.
        "wake=off".to_string(),
    ];
    variables.extend(extra.iter().map(|v| v.to_string()));
    TestApp::start_with(TestAppOptions {
        variables,
        ..TestAppOptions::default()
    })
    .await
}

/// An answer: status, headers and body (JSON when it parses, else a string).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends `method path` with `token` (none when `None`) and an optional JSON body.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// `GET path` with [`TOKEN`].
pub async fn get(app: &TestApp, path: &str) -> Reply {
    call(app, "GET", path, Some(TOKEN), None).await
}

/// `POST path` with [`TOKEN`] and a JSON body.
pub async fn post(app: &TestApp, path: &str, body: &Value) -> Reply {
    call(app, "POST", path, Some(TOKEN), Some(body)).await
}

/// `GET path` with [`TOKEN`], expecting 200; the body.
pub async fn get_ok(app: &TestApp, path: &str) -> Value {
    let reply = get(app, path).await;
    assert_eq!(reply.status, 200, "GET {path}: {}", reply.text);
    reply.body
}

pub const V1: &str = "2026-03-01T10:00:00+0000";
pub const V2: &str = "2026-03-02T10:00:00+0000";

/// Applies item `id` at version [`V1`].
pub async fn applied_item(app: &TestApp, id: &str) {
    post_item(
        app,
        KEY,
        &item(id, "First", json!(1), V1),
        Some(&format!("req-{id}-v1")),
    )
    .await;
    drain_by_cron(app, Lane::Catalog).await;
}

/// A dead letter with a passing cause: item `id` is applied at [`V1`]; its [`V2`] is posted
/// while the test holds the ERP row locked, so the only attempt gives up waiting (55P03)
/// and the event is dead-lettered. The lock is released before returning. Returns the dead
/// letter's id.
pub async fn transient_dead_letter(app: &TestApp, id: &str) -> i64 {
    let db = app.db.client().await;
    crate::set_config(&db, "lock_timeout_ms", "300").await;
    applied_item(app, id).await;
    post_item(
        app,
        KEY,
        &item(id, "Second", json!(2), V2),
        Some(&format!("req-{id}-v2")),
    )
    .await;
    let lock = RowLock::on_item(&app.db, id).await;
    drain_by_cron(app, Lane::Catalog).await;
    lock.release().await;
    dead_letter_of(app, id).await
}

/// A dead letter with a permanent cause: item `id` whose rate is not a number.
pub async fn permanent_dead_letter(app: &TestApp, id: &str) -> i64 {
    post_item(
        app,
        KEY,
        &item(id, "Poison", json!("lots"), V1),
        Some(&format!("req-{id}")),
    )
    .await;
    drain_by_cron(app, Lane::Catalog).await;
    dead_letter_of(app, id).await
}

/// The id of the newest dead letter of item `id`.
pub async fn dead_letter_of(app: &TestApp, id: &str) -> i64 {
    let db = app.db.client().await;
    db.query_opt(
        "SELECT id FROM tds_dead_letters WHERE module = 'items' AND entity_id = $1 ORDER BY id DESC LIMIT 1",
        &[&id],
    )
    .await
    .unwrap()
    .unwrap_or_else(|| panic!("item {id} has no dead letter"))
    .get(0)
}

/// `(name, rate)` of an ERP item.
pub async fn erp_item(app: &TestApp, id: &str) -> Option<(String, String)> {
    let db = app.db.client().await;
    db.query_opt(
        "SELECT name, rate::text FROM erp_items WHERE item_id = $1",
        &[&id],
    )
    .await
    .unwrap()
    .map(|row| (row.get(0), row.get(1)))
}

/// Seeds alerts and circuit breakers the way heal records them (heal's own tests cover
/// how it opens them): an open breaker of an outbound dependency and a closed one of a lane
/// no test drains; returns the ids of an open, an acknowledged and a resolved alert.
pub async fn seed_alerts_and_circuits(app: &TestApp) -> [i64; 3] {
    let db = app.db.client().await;
    let mut ids = [0i64; 3];
    for (i, (key, severity, status)) in [
        ("queue_depth", "warning", "open"),
        ("dead_letter_age", "critical", "acknowledged"),
        ("failure_rate", "warning", "resolved"),
    ]
    .iter()
    .enumerate()
    {
        ids[i] = db
            .query_one(
                "INSERT INTO tds_alerts (dedup_key, kind, severity, status, message, details, acknowledged_at, resolved_at)
                 VALUES ($1, $1, $2, $3, 'seeded by a test: ' || $1, '{\"value\": 1}',
                    CASE WHEN $3 = 'acknowledged' THEN now() END, CASE WHEN $3 = 'resolved' THEN now() END)
                 RETURNING id",
                &[key, severity, status],
            )
            .await
            .expect("seeding an alert")
            .get(0);
    }
    db.batch_execute(
        "INSERT INTO tds_circuit_breakers (name, state, consecutive_failures, last_error, opened_at, next_probe_at, last_failure_at)
         VALUES ('outbound:alerts-webhook', 'open', 5, 'connection refused', now(), now() + interval '1 minute', now()),
                ('lane:inventory', 'closed', 0, NULL, NULL, NULL, NULL)
         ON CONFLICT (name) DO UPDATE SET state = EXCLUDED.state, consecutive_failures = EXCLUDED.consecutive_failures",
    )
    .await
    .expect("seeding circuit breakers");
    ids
}

/// How long a test waits for something that should happen promptly.
pub const PATIENCE: Duration = Duration::from_secs(60);
