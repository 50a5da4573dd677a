//! Wakes (docs/design.md, "Wakes"): an event stored while a drain session is ending is
//! applied promptly, with no wake and no cron run, reproduced step by step.
//!
//! The race: a woken session finds its lane empty and releases it; between its last empty
//! claim and its release committing, intake stores an event and looks at the lane, sees the
//! session still holding it, and sends no wake. The session must then see the event when it
//! looks at the queue again after its release. The test holds the session exactly inside its
//! release: the application connects as a role without superuser rights, and a row-security
//! policy on `tds_lane_drains` calls a function that, only inside the release statement,
//! waits for an advisory lock the test holds. While the release waits, the item's second
//! version goes through intake; then the test lets go.

use std::time::Duration;

use serde_json::json;
use tds_tests::stats::{erp_item, TOKEN, V1, V2};
use tds_tests::wait::eventually;
use tds_tests::webhooks::{item, post_item, KEY};
use tds_tests::gate::gated;
use tds_tests::{scalar_i64, TestApp, TestAppOptions, TestDatabase};

/// The advisory lock the gate waits for.
const GATE_LOCK: i64 = 4343;
const PATIENCE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn an_event_stored_while_a_session_releases_its_lane_is_applied_by_that_session() {
    let db = TestDatabase::new().await;
    let gated_url = gated(&db, "tds_lane_drains", &["SET drainer = NULL"], GATE_LOCK).await;
    let app = TestApp::start_on(
        TestAppOptions {
            variables: vec![
                format!("webhook_key={KEY}"),
                format!("stats_token={TOKEN}"),
                format!("database_url={gated_url}"),
            ],
            ..TestAppOptions::default()
        },
        db,
    )
    .await;
    let observer = app.db.client().await;
    let gate = app.db.client().await;
    gate.execute("SELECT pg_advisory_lock($1)", &[&GATE_LOCK]).await.unwrap();

    // The first version wakes the catalog lane; its session applies it, waits out its
    // grace, and stops inside its release.
    post_item(&app, KEY, &item("wake-1", "First", json!(1), V1), Some("wake-v1")).await;
    eventually(PATIENCE, "the session applies the first version", || async {
        (erp_item(&app, "wake-1").await == Some(("First".to_string(), "1".to_string()))).then_some(())
    })
    .await;
    eventually(PATIENCE, "the session waits inside its release", || async {
        let waiting = scalar_i64(
            &observer,
            "SELECT count(*) FROM pg_stat_activity
             WHERE query LIKE '%SET drainer = NULL%' AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
        )
        .await;
        (waiting > 0).then_some(())
    })
    .await;
    let wakes = "SELECT wakes_sent FROM tds_lane_drains WHERE lane = 'catalog'";
    let wakes_before = scalar_i64(&observer, wakes).await;
    assert_eq!(wakes_before, 1, "the first version woke the lane once");

    // The second version is stored and answered while the session still holds the lane:
    // intake sees it held and sends no wake.
    let answer = post_item(&app, KEY, &item("wake-1", "Second", json!(2), V2), Some("wake-v2")).await;
    assert_eq!(answer["status"], json!("accepted"), "{answer}");
    assert_eq!(answer["queued"], json!(true), "{answer}");
    assert_eq!(scalar_i64(&observer, wakes).await, wakes_before, "a held lane gets no wake");
    assert_eq!(
        scalar_i64(
            &observer,
            "SELECT count(*) FROM tds_lane_drains WHERE lane = 'catalog' AND drainer IS NOT NULL"
        )
        .await,
        1,
        "the session still holds the lane"
    );

    // Let the release commit: the session looks at the queue again, takes the lane back and
    // applies the second version — no wake, no cron run.
    gate.execute("SELECT pg_advisory_unlock($1)", &[&GATE_LOCK]).await.unwrap();
    eventually(Duration::from_secs(10), "the same session applies the second version", || async {
        (erp_item(&app, "wake-1").await == Some(("Second".to_string(), "2".to_string()))).then_some(())
    })
    .await;
    assert_eq!(scalar_i64(&observer, wakes).await, wakes_before, "still no second wake");
    assert_eq!(
        scalar_i64(&observer, "SELECT count(*) FROM tds_sync_runs WHERE trigger <> 'wake'").await,
        0,
        "only woken sessions ran"
    );
    assert_eq!(scalar_i64(&observer, "SELECT count(*) FROM tds_dead_letters").await, 0);
}
