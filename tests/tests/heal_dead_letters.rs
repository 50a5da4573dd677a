//! Heal's automatic retry of dead letters: only transient causes, only after the
//! cool-down, through the queue (a new pending row pointing at the dead event), the letter
//! resolved with the queue row it went to; an event that dies again gets a letter that
//! inherits the count, and after `dead_letter_auto_retry_max` retries it stays dead.

mod heal_support;

use serde_json::json;
use tds_core::entity::Lane;
use tds_tests::internal::{drain, heal};
use tds_tests::locks::RowLock;
use tds_tests::webhooks::{item, post_item};

use heal_support::*;

const V1: &str = "2026-03-01T10:00:00+0000";
const V2: &str = "2026-03-02T10:00:00+0000";

async fn age_letters(db: &tokio_postgres::Client) {
    db.execute(
        "UPDATE tds_dead_letters SET created_at = now() - interval '2 hours' WHERE resolved_at IS NULL",
        &[],
    )
    .await
    .unwrap();
}

/// `(error_class, auto_retry_count, resolution)` of the entity's letters, in order.
async fn letters(db: &tokio_postgres::Client, id: &str) -> Vec<(String, i32, Option<String>)> {
    db.query(
        "SELECT error_class, auto_retry_count, resolution FROM tds_dead_letters WHERE entity_id = $1 ORDER BY id",
        &[&id],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_dead_letters_are_retried_after_a_cool_down_a_bounded_number_of_times() {
    let app = app(&["max_attempts=1".to_string()]).await;
    let db = app.db.client().await;
    set_config(&db, "lock_timeout_ms", "300").await;
    set_config(&db, "dead_letter_auto_retry_after_seconds", "3600").await;
    set_config(&db, "dead_letter_auto_retry_max", "2").await;
    post_item(&app, KEY, &item("flaky", "Before", json!(1), V1), None).await;
    post_item(&app, KEY, &item("poison", "Poison", json!("lots"), V1), None).await;
    let report = drain(&app, Lane::Catalog, TOKEN).await;
    assert_eq!(
        (
            report["counts"]["applied"].clone(),
            report["counts"]["dead"].clone()
        ),
        (json!(1), json!(1))
    );

    // One attempt allowed, and it waits on a lock: dead, for a transient cause.
    post_item(&app, KEY, &item("flaky", "After", json!(2), V2), None).await;
    let lock = RowLock::on_item(&app.db, "flaky").await;
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["dead"], json!(1));
    assert_eq!(letters(&db, "flaky").await, [("transient".into(), 0, None)]);

    // Within the cool-down: left alone.
    let early = heal(&app, TOKEN).await;
    assert_eq!(
        early["counts"]["dead_letter_retry"]["requeued"],
        json!(0),
        "{early}"
    );

    // After it: back on the queue as a new pending row for the same event; the permanent
    // failure is never retried.
    age_letters(&db).await;
    let healed = heal(&app, TOKEN).await;
    assert_eq!(
        healed["counts"]["dead_letter_retry"]["requeued"],
        json!(1),
        "{healed}"
    );
    assert_eq!(
        letters(&db, "flaky").await,
        [("transient".into(), 1, Some("auto_retried".into()))]
    );
    assert_eq!(
        letters(&db, "poison").await,
        [("permanent".into(), 0, None)]
    );
    let requeued = db
        .query_one(
            "SELECT q.id, q.status, q.inbox_event_id = d.inbox_event_id, q.max_attempts
             FROM tds_dead_letters d JOIN tds_sync_queue q ON q.id = d.replay_queue_id WHERE d.entity_id = 'flaky'",
            &[],
        )
        .await
        .expect("the letter names its queue row");
    assert_eq!(requeued.get::<_, String>(1), "pending");
    assert!(
        requeued.get::<_, bool>(2),
        "the dead event itself is queued again"
    );
    assert_eq!(requeued.get::<_, i32>(3), 1);
    let dead_rows = scalar_i64(
        &db,
        "SELECT count(*) FROM tds_sync_queue WHERE entity_id = 'flaky' AND status = 'dead'",
    )
    .await;
    assert_eq!(dead_rows, 1, "the dead row stays dead");

    // It dies again (the lock is still held): the new letter carries the count on.
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["dead"], json!(1));
    assert_eq!(
        letters(&db, "flaky").await,
        [
            ("transient".into(), 1, Some("auto_retried".into())),
            ("transient".into(), 1, None)
        ]
    );
    age_letters(&db).await;
    assert_eq!(
        heal(&app, TOKEN).await["counts"]["dead_letter_retry"]["requeued"],
        json!(1)
    );
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["dead"], json!(1));
    assert_eq!(
        letters(&db, "flaky").await.last().cloned(),
        Some(("transient".into(), 2, None))
    );

    // Retried as often as allowed: it stays a dead letter for an operator.
    age_letters(&db).await;
    let last = heal(&app, TOKEN).await;
    assert_eq!(
        last["counts"]["dead_letter_retry"]["requeued"],
        json!(0),
        "{last}"
    );
    assert_eq!(letters(&db, "flaky").await.len(), 3);
    lock.release().await;
    let name: String = db
        .query_one("SELECT name FROM erp_items WHERE item_id = 'flaky'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "Before");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_dead_letter_completes_once_its_cause_has_passed() {
    let app = app(&["max_attempts=1".to_string()]).await;
    let db = app.db.client().await;
    set_config(&db, "lock_timeout_ms", "300").await;
    post_item(&app, KEY, &item("flaky", "Before", json!(1), V1), None).await;
    drain(&app, Lane::Catalog, TOKEN).await;
    post_item(&app, KEY, &item("flaky", "After", json!(2), V2), None).await;
    let lock = RowLock::on_item(&app.db, "flaky").await;
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["dead"], json!(1));
    lock.release().await;
    age_letters(&db).await;
    assert_eq!(
        heal(&app, TOKEN).await["counts"]["dead_letter_retry"]["requeued"],
        json!(1)
    );
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["applied"], json!(1));
    let name: String = db
        .query_one("SELECT name FROM erp_items WHERE item_id = 'flaky'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "After");
    let open = scalar_i64(
        &db,
        "SELECT count(*) FROM tds_dead_letters WHERE resolved_at IS NULL",
    )
    .await;
    assert_eq!(open, 0);
}
