//! A lane's circuit breaker: per-event permanent failures do not count; batches in which
//! every event failed transiently do, and open the breaker after
//! `circuit_failure_threshold` of them; an open breaker pauses the lane (nothing is
//! claimed) and heal raises a `circuit_open` alert; after `circuit_open_seconds` one run
//! probes, succeeds, closes the breaker and drains the lane; heal resolves the alert.

mod heal_support;

use serde_json::json;
use tds_core::entity::Lane;
use tds_tests::internal::{drain, heal};
use tds_tests::locks::RowLock;
use tds_tests::wait::eventually;
use tds_tests::webhooks::{item, post_item};

use heal_support::*;

const V1: &str = "2026-03-01T10:00:00+0000";
const V2: &str = "2026-03-02T10:00:00+0000";

/// `state`, `consecutive_failures` of the catalog lane's breaker (closed, 0 when absent).
async fn lane_breaker(db: &tokio_postgres::Client) -> (String, i32) {
    db.query_opt(
        "SELECT state, consecutive_failures FROM tds_circuit_breakers WHERE name = 'lane:catalog'",
        &[],
    )
    .await
    .unwrap()
    .map_or(("closed".into(), 0), |row| (row.get(0), row.get(1)))
}

async fn make_due(db: &tokio_postgres::Client) {
    db.execute(
        "UPDATE tds_sync_queue SET next_attempt_at = now() WHERE status = 'retry'",
        &[],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lane_breaker_opens_pauses_the_lane_probes_and_closes() {
    let app = app(&[]).await;
    let db = app.db.client().await;
    set_config(&db, "circuit_failure_threshold", "2").await;
    set_config(&db, "circuit_open_seconds", "2").await;
    set_config(&db, "lock_timeout_ms", "300").await;
    set_config(&db, "backoff_base_ms", "60000").await;
    set_config(&db, "backoff_cap_ms", "60000").await;

    // A poisoned event is a per-event permanent failure: its batch still counts as a success.
    post_item(&app, KEY, &item("poison", "Poison", json!("lots"), V1), None).await;
    post_item(&app, KEY, &item("busy", "Before", json!(1), V1), None).await;
    let report = drain(&app, Lane::Catalog, TOKEN).await;
    assert_eq!(
        (
            report["counts"]["dead"].clone(),
            report["counts"]["applied"].clone()
        ),
        (json!(1), json!(1)),
        "{report}"
    );
    assert_eq!(lane_breaker(&db).await, ("closed".into(), 0));

    // Every event of a batch failing on a lock wait is a failure of the lane.
    post_item(&app, KEY, &item("busy", "After", json!(2), V2), None).await;
    let lock = RowLock::on_item(&app.db, "busy").await;
    let report = drain(&app, Lane::Catalog, TOKEN).await;
    assert_eq!(report["counts"]["retried"], json!(1), "{report}");
    assert_eq!(lane_breaker(&db).await, ("closed".into(), 1));
    make_due(&db).await;
    let report = drain(&app, Lane::Catalog, TOKEN).await;
    assert_eq!(report["counts"]["retried"], json!(1), "{report}");
    assert_eq!(report["stopped"], json!("circuit_open"), "{report}");
    assert_eq!(lane_breaker(&db).await, ("open".into(), 2));

    // Open: the lane is paused.
    post_item(&app, KEY, &item("free", "Free", json!(3), V1), None).await;
    let report = drain(&app, Lane::Catalog, TOKEN).await;
    assert_eq!(report["stopped"], json!("circuit_open"), "{report}");
    assert_eq!(report["counts"]["claimed"], json!(0), "{report}");
    let waiting = scalar_i64(
        &db,
        "SELECT count(*) FROM tds_sync_queue WHERE entity_id = 'free' AND status = 'pending'",
    )
    .await;
    assert_eq!(waiting, 1);

    let healed = heal(&app, TOKEN).await;
    assert_eq!(healed["counts"]["alerts"]["opened"], json!(1), "{healed}");
    let alert = db
        .query_one(
            "SELECT kind, severity, status, message FROM tds_alerts WHERE dedup_key = 'circuit_open:lane:catalog'",
            &[],
        )
        .await
        .expect("a circuit alert");
    assert_eq!(
        (
            alert.get::<_, String>(0),
            alert.get::<_, String>(1),
            alert.get::<_, String>(2)
        ),
        ("circuit_open".into(), "critical".into(), "open".into())
    );
    assert!(alert.get::<_, String>(3).contains("lane:catalog"));

    // After the cool-down one run probes; the lock is gone, so the probe succeeds.
    lock.release().await;
    make_due(&db).await;
    let dbr = &db;
    eventually(PATIENCE, "the breaker's cool-down is over", || async move {
        let due: bool = dbr
            .query_one("SELECT next_probe_at <= now() FROM tds_circuit_breakers WHERE name = 'lane:catalog'", &[])
            .await
            .unwrap()
            .get(0);
        due.then_some(())
    })
    .await;
    let report = drain(&app, Lane::Catalog, TOKEN).await;
    assert_eq!(report["stopped"], json!("empty"), "{report}");
    assert_eq!(report["counts"]["applied"], json!(2), "{report}");
    assert_eq!(lane_breaker(&db).await, ("closed".into(), 0));
    let breaker = db
        .query_one(
            "SELECT opened_at IS NOT NULL, last_success_at IS NOT NULL, next_probe_at IS NULL, last_error
             FROM tds_circuit_breakers WHERE name = 'lane:catalog'",
            &[],
        )
        .await
        .unwrap();
    assert!(breaker.get::<_, bool>(0) && breaker.get::<_, bool>(1) && breaker.get::<_, bool>(2));
    assert!(breaker
        .get::<_, Option<String>>(3)
        .unwrap_or_default()
        .contains("retried"));

    let healed = heal(&app, TOKEN).await;
    assert_eq!(healed["counts"]["alerts"]["resolved"], json!(1), "{healed}");
    let status: String = db
        .query_one(
            "SELECT status FROM tds_alerts WHERE dedup_key = 'circuit_open:lane:catalog'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "resolved");
}
