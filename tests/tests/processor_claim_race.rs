//! A claimed queue row always reads the inbox event it points at (docs/design.md, "Queue
//! protocol"): the interleaving that once dead-lettered the newest version of an entity as
//! "inbox event no longer exists", reproduced step by step.
//!
//! The claim statement takes its snapshot, then locks the due rows. When intake re-points
//! the entity's pending row at a new event between the two, READ COMMITTED locks the row as
//! it is now (pointing at the new event), which the claim's own snapshot cannot see. The
//! test holds the processor's claim exactly there: the application connects as a role
//! without superuser rights, and a row-security policy on `tds_sync_queue` calls a function
//! that, only inside the claim statement, waits for an advisory lock the test holds. While
//! the claim waits, a second version of the item goes through intake; then the test lets go.

use std::time::Duration;

use serde_json::json;
use tds_core::entity::Lane;
use tds_tests::wait::eventually;
use tds_tests::stats::{erp_item, TOKEN, V1, V2};
use tds_tests::webhooks::{item, post_item, KEY};
use tds_tests::gate::gated;
use tds_tests::{internal, scalar_i64, TestApp, TestAppOptions, TestDatabase};

/// The advisory lock the gate waits for.
const GATE_LOCK: i64 = 4242;
const PATIENCE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn an_event_re_pointed_between_the_claims_snapshot_and_its_lock_is_applied() {
    let db = TestDatabase::new().await;
    let gated_url = gated(&db, "tds_sync_queue", &["SKIP LOCKED", "claimed"], GATE_LOCK).await;
    let app = TestApp::start_on(
        TestAppOptions {
            variables: vec![
                format!("webhook_key={KEY}"),
                format!("stats_token={TOKEN}"),
                format!("database_url={gated_url}"),
                // Only the drain the test runs claims: a woken session's claim would wait at
                // the gate too (processor_wake_race covers wakes).
                "wake=off".to_string(),
            ],
            ..TestAppOptions::default()
        },
        db,
    )
    .await;
    post_item(&app, KEY, &item("race-1", "First", json!(1), V1), Some("race-v1")).await;

    let gate = app.db.client().await;
    gate.execute("SELECT pg_advisory_lock($1)", &[&GATE_LOCK]).await.unwrap();
    let drain = tokio::spawn({
        let client = app.client.clone();
        let base = app.url("");
        async move { internal::try_drain_at(&client, &base, Lane::Catalog, TOKEN).await }
    });
    let observer = app.db.client().await;
    eventually(PATIENCE, "the claim waits at the gate", || async {
        let waiting = scalar_i64(
            &observer,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
        )
        .await;
        (waiting > 0).then_some(())
    })
    .await;

    let answer = post_item(&app, KEY, &item("race-1", "Second", json!(2), V2), Some("race-v2")).await;
    assert_eq!(answer["superseded"], json!(false), "{answer}");
    gate.execute("SELECT pg_advisory_unlock($1)", &[&GATE_LOCK]).await.unwrap();
    let (status, report) = drain.await.expect("the drain request");
    assert_eq!(status, 200, "{report}");

    internal::drain_by_cron(&app, Lane::Catalog).await;
    assert_eq!(
        scalar_i64(&observer, "SELECT count(*) FROM tds_dead_letters").await,
        0,
        "no event may be dead-lettered: {report}"
    );
    assert_eq!(
        erp_item(&app, "race-1").await,
        Some(("Second".to_string(), "2".to_string())),
        "the item ends at its newest version"
    );
}
