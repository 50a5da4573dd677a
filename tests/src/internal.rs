//! The authenticated routes every cron cycle also answers on (`POST /internal/drain/<lane>`,
//! `POST /internal/heal`, bearer `stats_token`), called as an operator, or a platform
//! without a cron trigger, calls them.

use serde_json::{json, Value};
use tds_core::entity::Lane;

/// Posts to `path` of the host at `base_url` (`http://127.0.0.1:<port>`) with the bearer
/// `token`; the status and the JSON answer.
pub async fn call(client: &reqwest::Client, base_url: &str, path: &str, token: &str) -> (u16, Value) {
    let url = format!("{base_url}{path}");
    let response = client
        .post(&url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: no answer: {e}"));
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let answer = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {text}"));
    (status, answer)
}

/// The route of `lane`'s processor.
pub fn drain_path(lane: Lane) -> String {
    format!("/internal/drain/{}", lane.as_str())
}

/// Runs `lane`'s processor once; its report (any answer but 200 fails the test).
pub async fn drain(client: &reqwest::Client, base_url: &str, lane: Lane, token: &str) -> Value {
    let (status, report) = call(client, base_url, &drain_path(lane), token).await;
    assert_eq!(status, 200, "{}: {report}", drain_path(lane));
    report
}

/// Runs heal once; its report (answered 200 with every step completed, or the test fails).
pub async fn heal(client: &reqwest::Client, base_url: &str, token: &str) -> Value {
    let (status, report) = call(client, base_url, "/internal/heal", token).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["status"], json!("completed"), "{report}");
    report
}
