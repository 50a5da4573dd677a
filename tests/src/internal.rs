//! Running the processors and heal the ways the application offers: the authenticated
//! routes every cron cycle also answers on (`POST /internal/drain/<lane>`,
//! `POST /internal/heal`, bearer `stats_token`), called as an operator, or a platform
//! without a cron trigger, calls them; and the cron handlers themselves, run in process
//! ([`TestApp::run_cron`]).
//!
//! The `*_at` functions take a client and a base URL, for a task of its own or a host
//! that is not a [`TestApp`]; the others take the [`TestApp`].

use std::time::Duration;

use serde_json::{json, Value};
use tds_core::entity::Lane;

use crate::wait::within;
use crate::TestApp;

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

/// The component of `lane`'s processor (`processor-catalog`), whose cron handler drains it.
pub fn processor(lane: Lane) -> String {
    format!("processor-{}", lane.as_str())
}

/// Runs `lane`'s processor once through its route; the status and the report, whatever
/// they are (a test that expects a run to fail, or a run in a task of its own).
pub async fn try_drain_at(client: &reqwest::Client, base_url: &str, lane: Lane, token: &str) -> (u16, Value) {
    call(client, base_url, &drain_path(lane), token).await
}

/// Runs `lane`'s processor once through its route; its report (any answer but 200 fails
/// the test).
pub async fn drain_at(client: &reqwest::Client, base_url: &str, lane: Lane, token: &str) -> Value {
    let (status, report) = try_drain_at(client, base_url, lane, token).await;
    assert_eq!(status, 200, "{}: {report}", drain_path(lane));
    report
}

/// [`drain_at`] on `app`: runs `lane`'s processor once through its route; its report (any
/// answer but 200 fails the test). Then waits for a woken session of the lane to end
/// ([`sessions_ended`]), so what the lane had is applied either way.
pub async fn drain(app: &TestApp, lane: Lane, token: &str) -> Value {
    let report = drain_at(&app.client, &app.url(""), lane, token).await;
    sessions_ended(app, lane).await;
    report
}

/// Runs `lane`'s processor's cron handler once, in process, as its schedule would (no
/// route, no token, no report); a failed run fails the test. Like [`TestApp::run_cron`], it
/// returns once no woken session holds the lane.
pub async fn drain_by_cron(app: &TestApp, lane: Lane) {
    let component = processor(lane);
    app.run_cron(&component)
        .await
        .unwrap_or_else(|e| panic!("{component} runs: {e:#}"));
}

/// Waits until no drain session holds `lane` (`tds_lane_drains`): a woken session ends
/// about a second after its lane empties, or at once when its circuit breaker is open.
pub async fn sessions_ended(app: &TestApp, lane: Lane) {
    let db = app.db.client().await;
    let held = "SELECT count(*) FROM tds_lane_drains WHERE lane = $1 AND drainer_until > now()";
    let ended = within(SESSION_PATIENCE, || async {
        let row = db.query_one(held, &[&lane.as_str()]).await.expect("reading tds_lane_drains");
        (row.get::<_, i64>(0) == 0).then_some(())
    })
    .await;
    assert!(ended.is_some(), "a drain session still holds {lane} after {SESSION_PATIENCE:?}");
}

/// The longest a woken session may take to end in a test.
const SESSION_PATIENCE: Duration = Duration::from_secs(60);

/// Runs heal once through its route on `app`; its report (answered 200 with every step
/// completed, or the test fails).
pub async fn heal(app: &TestApp, token: &str) -> Value {
    let (status, report) = call(&app.client, &app.url(""), "/internal/heal", token).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["status"], json!("completed"), "{report}");
    report
}

/// Queue rows still to be processed: pending, due for a retry, or held by a run.
pub async fn waiting(db: &tokio_postgres::Client) -> i64 {
    crate::scalar_i64(
        db,
        "SELECT count(*) FROM tds_sync_queue WHERE status IN ('pending', 'retry', 'processing')",
    )
    .await
}

/// How [`drain_until_idle`] runs the processors.
#[derive(Debug, Clone, Copy)]
pub enum Via<'a> {
    /// Through `POST /internal/drain/<lane>` with this bearer token (every run must be
    /// answered 200).
    Route(&'a str),
    /// Through each processor's cron handler, in process (every run must succeed).
    Cron,
}

/// Drains every lane, in [`Lane::ALL`] order, round after round until no queue row waits
/// ([`waiting`]; retries included, so keep backoff short when events are retried); panics
/// after `patience`, naming the rows left.
pub async fn drain_until_idle(app: &TestApp, via: Via<'_>, patience: Duration) {
    let db = app.db.client().await;
    let db = &db;
    let idle = within(patience, || async move {
        for lane in Lane::ALL {
            match via {
                Via::Route(token) => {
                    drain(app, lane, token).await;
                }
                Via::Cron => drain_by_cron(app, lane).await,
            }
        }
        (waiting(db).await == 0).then_some(())
    })
    .await;
    if idle.is_none() {
        let left = waiting(db).await;
        panic!("{left} queue rows still wait after draining for {patience:?}");
    }
}
