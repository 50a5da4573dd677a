//! The processor keeps the queue protocol (docs/design.md, "Queue protocol"): a poisoned event is dead-lettered
//! while its batch neighbours complete; a lock wait gives up and is retried with backoff;
//! attempts run out into the dead-letter table; a batch whose lease was taken over commits
//! nothing; a batch slower than its lease keeps its rows; and four processors draining one
//! lane apply every event at most once and leave the newest version of every entity. A
//! drain refused for the processor's settings is answered 503 and logged as an error.
//!
//! Events reach the queue through intake (key auth) or, for the bulk test, through SQL in
//! the shape intake produces. Runs are started through the authenticated drain route
//! `POST /internal/drain/catalog`. Waiting is polling with generous deadlines; nothing here
//! asserts how fast anything is.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tds_core::entity::Lane;
use tds_tests::internal::{drain, heal, try_drain_at};
use tds_tests::locks::RowLock;
use tds_tests::wait::eventually;
use tds_tests::webhooks::{item, post_item};
use tds_tests::host_process::{HostOptions, HostProcess};
use tds_tests::{cluster, scalar_i64, set_config, TestApp, TestAppOptions, TestDatabase};

const KEY: &str = "processor-queue-key-0123456789";
const TOKEN: &str = "processor-queue-token";
const V1: &str = "2026-03-01T10:00:00+0000";
const V2: &str = "2026-03-02T10:00:00+0000";
/// How long a test waits for something that should happen promptly.
const PATIENCE: Duration = Duration::from_secs(60);

/// The application with no wakes: these tests run the processor themselves, one run at a
/// time, and read what that run did (wakes have tests of their own: processor_wake_race).
async fn app(extra: &[&str]) -> TestApp {
    let extra: Vec<String> = std::iter::once("wake=off")
        .chain(extra.iter().copied())
        .map(str::to_string)
        .collect();
    TestApp::start_keyed(KEY, TOKEN, &extra).await
}

/// Starts a run in the background, for tests that block it.
fn drain_in_background(app: &TestApp) -> tokio::task::JoinHandle<(u16, Value)> {
    let (client, base_url) = (app.client.clone(), app.url(""));
    tokio::spawn(async move { try_drain_at(&client, &base_url, Lane::Catalog, TOKEN).await })
}

/// `(name, rate)` of an ERP item.
async fn erp_item(db: &tokio_postgres::Client, id: &str) -> Option<(String, String)> {
    db.query_opt(
        "SELECT name, rate::text FROM erp_items WHERE item_id = $1",
        &[&id],
    )
    .await
    .unwrap()
    .map(|row| (row.get(0), row.get(1)))
}

/// The entity's newest queue row: status, attempt count, last error code.
async fn queue_row(db: &tokio_postgres::Client, id: &str) -> (String, i32, Option<String>) {
    let row = db
        .query_one(
            "SELECT status, attempt_count, last_error_code FROM tds_sync_queue WHERE entity_id = $1 ORDER BY id DESC LIMIT 1",
            &[&id],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

/// `(attempt, outcome, error_code)` of every logged attempt at the entity, in order.
async fn attempts(db: &tokio_postgres::Client, id: &str) -> Vec<(i32, String, Option<String>)> {
    db.query(
        "SELECT attempt, outcome, error_code FROM tds_sync_log WHERE entity_id = $1 ORDER BY id",
        &[&id],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1), row.get(2)))
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poisoned_event_is_dead_lettered_while_its_batch_neighbours_complete() {
    let app = app(&[]).await;
    let db = app.db.client().await;
    post_item(&app, KEY, &item("good-1", "First", json!("10.50"), V1), None).await;
    post_item(&app, KEY, &item("poison", "Poison", json!("lots"), V1), None).await;
    post_item(&app, KEY, &item("good-2", "Second", json!(7), V1), None).await;

    let report = drain(&app, Lane::Catalog, TOKEN).await;
    let counts = &report["counts"];
    assert_eq!(report["stopped"], json!("empty"), "{report}");
    assert_eq!(
        (counts["claimed"].clone(), counts["batches"].clone()),
        (json!(3), json!(1)),
        "one batch: {report}"
    );
    assert_eq!(
        (counts["applied"].clone(), counts["dead"].clone()),
        (json!(2), json!(1)),
        "{report}"
    );

    assert_eq!(
        erp_item(&db, "good-1").await,
        Some(("First".into(), "10.50".into()))
    );
    assert_eq!(
        erp_item(&db, "good-2").await,
        Some(("Second".into(), "7".into()))
    );
    assert_eq!(erp_item(&db, "poison").await, None);
    assert_eq!(queue_row(&db, "good-1").await.0, "completed");
    assert_eq!(queue_row(&db, "good-2").await.0, "completed");
    assert_eq!(
        queue_row(&db, "poison").await,
        ("dead".into(), 1, Some("mapping_failed".into()))
    );

    let letter = db
        .query_one(
            "SELECT reason, error_code, error_class, attempt_count, attempts::text, lane
             FROM tds_dead_letters WHERE entity_id = 'poison'",
            &[],
        )
        .await
        .expect("one dead letter for the poisoned item");
    let reason: String = letter.get(0);
    assert!(
        reason.contains("rate"),
        "the reason names the field: {reason}"
    );
    assert_eq!(letter.get::<_, String>(1), "mapping_failed");
    assert_eq!(letter.get::<_, String>(2), "permanent");
    assert_eq!(letter.get::<_, i32>(3), 1);
    assert_eq!(letter.get::<_, String>(5), "catalog");
    let history: Value = serde_json::from_str(&letter.get::<_, String>(4)).unwrap();
    assert_eq!(history.as_array().map(Vec::len), Some(1), "{history}");
    assert_eq!(history[0]["outcome"], json!("dead"), "{history}");
    assert_eq!(
        history[0]["error_code"],
        json!("mapping_failed"),
        "{history}"
    );
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM tds_dead_letters").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_wait_gives_up_and_the_event_is_retried_later() {
    let app = app(&[]).await;
    let db = app.db.client().await;
    set_config(&db, "lock_timeout_ms", "300").await;
    set_config(&db, "backoff_base_ms", "60000").await;
    set_config(&db, "backoff_cap_ms", "60000").await;
    post_item(&app, KEY, &item("busy", "Before", json!(1), V1), None).await;
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["applied"], json!(1));
    post_item(&app, KEY, &item("busy", "After", json!(2), V2), None).await;

    let lock = RowLock::on_item(&app.db, "busy").await;
    let before: String = db
        .query_one("SELECT clock_timestamp()::text", &[])
        .await
        .unwrap()
        .get(0);
    let report = drain(&app, Lane::Catalog, TOKEN).await;
    assert_eq!(report["counts"]["retried"], json!(1), "{report}");
    assert_eq!(report["counts"]["applied"], json!(0), "{report}");
    assert_eq!(
        queue_row(&db, "busy").await,
        ("retry".into(), 1, Some("55P03".into()))
    );
    assert_eq!(
        attempts(&db, "busy").await.last().cloned(),
        Some((1, "retry".into(), Some("55P03".into())))
    );
    // The delay counts from the failure, after the lock wait, and stays under the ceiling.
    let scheduled = db
        .query_one(
            "SELECT next_attempt_at >= $1::text::timestamptz + interval '300 milliseconds',
                    next_attempt_at <= clock_timestamp() + interval '60 seconds'
             FROM tds_sync_queue WHERE entity_id = 'busy' AND status = 'retry'",
            &[&before],
        )
        .await
        .unwrap();
    assert!(
        scheduled.get::<_, bool>(0),
        "next_attempt_at counts from the failed lock wait"
    );
    assert!(
        scheduled.get::<_, bool>(1),
        "next_attempt_at is within the backoff ceiling"
    );
    assert_eq!(erp_item(&db, "busy").await.unwrap().0, "Before");

    lock.release().await;
    db.execute("UPDATE tds_sync_queue SET next_attempt_at = now() WHERE entity_id = 'busy' AND status = 'retry'", &[])
        .await
        .unwrap();
    let report = drain(&app, Lane::Catalog, TOKEN).await;
    assert_eq!(report["counts"]["applied"], json!(1), "{report}");
    assert_eq!(
        queue_row(&db, "busy").await,
        ("completed".into(), 2, Some("55P03".into()))
    );
    assert_eq!(erp_item(&db, "busy").await.unwrap().0, "After");
    let logged: Vec<_> = attempts(&db, "busy").await.into_iter().skip(1).collect();
    assert_eq!(
        logged,
        [
            (1, "retry".into(), Some("55P03".into())),
            (2, "applied".into(), None)
        ]
    );
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM tds_dead_letters").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exhausted_attempts_go_to_the_dead_letters() {
    let app = app(&["max_attempts=2"]).await;
    let db = app.db.client().await;
    set_config(&db, "lock_timeout_ms", "300").await;
    set_config(&db, "backoff_base_ms", "60000").await;
    set_config(&db, "backoff_cap_ms", "60000").await;
    post_item(&app, KEY, &item("stuck", "Before", json!(1), V1), None).await;
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["applied"], json!(1));
    post_item(&app, KEY, &item("stuck", "After", json!(2), V2), None).await;

    let lock = RowLock::on_item(&app.db, "stuck").await;
    let report = drain(&app, Lane::Catalog, TOKEN).await;
    assert_eq!(
        (
            report["counts"]["retried"].clone(),
            report["counts"]["dead"].clone()
        ),
        (json!(1), json!(0)),
        "{report}"
    );
    db.execute("UPDATE tds_sync_queue SET next_attempt_at = now() WHERE entity_id = 'stuck' AND status = 'retry'", &[])
        .await
        .unwrap();
    let report = drain(&app, Lane::Catalog, TOKEN).await;
    assert_eq!(report["counts"]["dead"], json!(1), "{report}");
    lock.release().await;

    assert_eq!(
        queue_row(&db, "stuck").await,
        ("dead".into(), 2, Some("55P03".into()))
    );
    assert_eq!(erp_item(&db, "stuck").await.unwrap().0, "Before");
    let letter = db
        .query_one(
            "SELECT reason, error_code, error_class, attempt_count, attempts::text FROM tds_dead_letters WHERE entity_id = 'stuck'",
            &[],
        )
        .await
        .expect("a dead letter");
    let reason: String = letter.get(0);
    assert!(
        reason.starts_with("attempts exhausted (2 of 2)"),
        "{reason}"
    );
    assert_eq!(letter.get::<_, String>(1), "55P03");
    assert_eq!(letter.get::<_, String>(2), "transient");
    assert_eq!(letter.get::<_, i32>(3), 2);
    let history: Value = serde_json::from_str(&letter.get::<_, String>(4)).unwrap();
    let outcomes: Vec<_> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["attempt"].clone(), a["outcome"].clone()))
        .collect();
    assert_eq!(
        outcomes,
        [(json!(1), json!("retry")), (json!(2), json!("dead"))],
        "{history}"
    );

    // A row claimed as often as allowed without ever finishing (its invocations died) is
    // dead-lettered on its next claim without being applied.
    post_item(&app, KEY, &item("crash-loop", "Never", json!(3), V1), None).await;
    db.execute("UPDATE tds_sync_queue SET attempt_count = 2 WHERE entity_id = 'crash-loop' AND status = 'pending'", &[])
        .await
        .unwrap();
    let report = drain(&app, Lane::Catalog, TOKEN).await;
    assert_eq!(
        (
            report["counts"]["dead"].clone(),
            report["counts"]["applied"].clone()
        ),
        (json!(1), json!(0)),
        "{report}"
    );
    assert_eq!(
        queue_row(&db, "crash-loop").await,
        ("dead".into(), 3, Some("attempts_exhausted".into()))
    );
    assert_eq!(erp_item(&db, "crash-loop").await, None);
    let class: String = db
        .query_one(
            "SELECT error_class FROM tds_dead_letters WHERE entity_id = 'crash-loop'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(class, "transient");
}

/// Items `a`, `b`, `c` applied at V1, then queued again at V2 (in that claim order).
async fn three_items_queued_twice(app: &TestApp) {
    for id in ["a", "b", "c"] {
        post_item(app, KEY, &item(id, &format!("{id} v1"), json!(1), V1), None).await;
    }
    assert_eq!(drain(app, Lane::Catalog, TOKEN).await["counts"]["applied"], json!(3));
    for id in ["a", "b", "c"] {
        post_item(app, KEY, &item(id, &format!("{id} v2"), json!(2), V2), None).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_whose_lease_was_taken_over_commits_nothing() {
    let app = app(&[]).await;
    let db = app.db.client().await;
    set_config(&db, "lock_timeout_ms", "120000").await;
    three_items_queued_twice(&app).await;
    let audited_before = scalar_i64(&db, "SELECT count(*) FROM tds_audit_trail").await;
    let logged_before = scalar_i64(&db, "SELECT count(*) FROM tds_sync_log").await;

    let lock = RowLock::on_item(&app.db, "a").await;
    let run = drain_in_background(&app);
    lock.wait_until_blocking(&db, PATIENCE).await;
    let owners: Vec<String> = db
        .query(
            "SELECT DISTINCT lease_owner FROM tds_sync_queue WHERE status = 'processing'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(
        owners.len(),
        1,
        "one invocation holds the batch: {owners:?}"
    );
    // What heal and another claimer would leave behind: the rows now belong to someone else.
    let taken = db
        .execute(
            "UPDATE tds_sync_queue SET lease_owner = 'processor-catalog:usurper', attempt_count = attempt_count + 1,
                 lease_expires_at = now() + interval '60 seconds'
             WHERE status = 'processing'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(taken, 3);
    lock.release().await;

    let (status, report) = tokio::time::timeout(PATIENCE, run)
        .await
        .expect("the run ends")
        .unwrap();
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["stopped"], json!("lease_lost"), "{report}");
    assert_eq!(report["run_owner"], json!(owners[0]), "{report}");
    assert_eq!(report["counts"]["applied"], json!(0), "{report}");
    assert_eq!(
        report["counts"]["released"],
        json!(0),
        "no row was still ours to give back: {report}"
    );
    for id in ["a", "b", "c"] {
        assert_eq!(
            erp_item(&db, id).await.unwrap().0,
            format!("{id} v1"),
            "nothing of the batch committed"
        );
    }
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM tds_audit_trail").await,
        audited_before
    );
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM tds_sync_log").await,
        logged_before
    );
    let usurped = scalar_i64(
        &db,
        "SELECT count(*) FROM tds_sync_queue WHERE status = 'processing' AND lease_owner = 'processor-catalog:usurper'",
    )
    .await;
    assert_eq!(usurped, 3, "the new owner's rows are left alone");
    let recorded: Value = db
        .query_one(
            "SELECT details::text FROM tds_sync_runs WHERE run_owner = $1",
            &[&owners[0]],
        )
        .await
        .map(|row| serde_json::from_str(&row.get::<_, String>(0)).unwrap())
        .unwrap();
    assert_eq!(recorded["stopped"], json!("lease_lost"), "{recorded}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_slower_than_its_lease_keeps_its_rows() {
    let app = app(&["lease_seconds=2"]).await;
    let db = app.db.client().await;
    set_config(&db, "lock_timeout_ms", "120000").await;
    three_items_queued_twice(&app).await;
    // A row an invocation that died left behind: heal must still reclaim rows like this.
    post_item(&app, KEY, &item("orphan", "orphan v1", json!(1), V1), None).await;
    db.execute(
        "UPDATE tds_sync_queue SET status = 'processing', lease_owner = 'processor-catalog:crashed', attempt_count = 1,
             lease_expires_at = now() - interval '1 second'
         WHERE entity_id = 'orphan'",
        &[],
    )
    .await
    .unwrap();

    let first = RowLock::on_item(&app.db, "a").await;
    let second = RowLock::on_item(&app.db, "b").await;
    let run = drain_in_background(&app);
    first.wait_until_blocking(&db, PATIENCE).await;
    let holder: String = db
        .query_one("SELECT DISTINCT lease_owner FROM tds_sync_queue WHERE status = 'processing' AND entity_id = 'a'", &[])
        .await
        .unwrap()
        .get(0);
    // Let less than half of the lease remain, then let the batch go on to its next event.
    let half_gone = "SELECT count(*) FROM tds_sync_queue WHERE lease_owner = $1 AND lease_expires_at < now() + interval '1 second'";
    let holder_ref = &holder;
    let dbr = &db;
    eventually(PATIENCE, "half of the lease has passed", || async move {
        let rows: i64 = dbr
            .query_one(half_gone, &[holder_ref])
            .await
            .unwrap()
            .get(0);
        (rows == 3).then_some(())
    })
    .await;
    first.release().await;
    second.wait_until_blocking(&db, PATIENCE).await;
    // The lease the claim committed has now run out, yet heal must not take the rows.
    let expired = "SELECT count(*) FROM tds_sync_queue WHERE lease_owner = $1 AND status = 'processing' AND lease_expires_at < now()";
    eventually(PATIENCE, "the claim's lease has expired", || async move {
        let rows: i64 = dbr.query_one(expired, &[holder_ref]).await.unwrap().get(0);
        (rows == 3).then_some(())
    })
    .await;
    let healed = tokio::time::timeout(PATIENCE, heal(&app, TOKEN))
        .await
        .expect("heal does not wait for a live batch");
    assert_eq!(
        healed["counts"]["reclaim"]["reclaimed"],
        json!(1),
        "only the orphan: {healed}"
    );
    assert_eq!(
        healed["counts"]["reclaim"]["coalesced"],
        json!(0),
        "{healed}"
    );
    let still_held: i64 = db
        .query_one(
            "SELECT count(*) FROM tds_sync_queue WHERE lease_owner = $1 AND status = 'processing'",
            &[&holder],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(still_held, 3, "the batch's rows are still its own");
    assert_eq!(queue_row(&db, "orphan").await.0, "retry");
    second.release().await;

    let (status, report) = tokio::time::timeout(PATIENCE, run)
        .await
        .expect("the run ends")
        .unwrap();
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["stopped"], json!("empty"), "{report}");
    assert_eq!(report["counts"]["lease_extensions"], json!(1), "{report}");
    assert_eq!(
        report["counts"]["applied"],
        json!(4),
        "the batch and then the reclaimed orphan: {report}"
    );
    for id in ["a", "b", "c"] {
        assert_eq!(erp_item(&db, id).await.unwrap().0, format!("{id} v2"));
        assert_eq!(queue_row(&db, id).await.0, "completed");
    }
    assert_eq!(erp_item(&db, "orphan").await.unwrap().0, "orphan v1");
}

/// The bulk test's shape: items, versions per item, events in all.
const BULK_ITEMS: usize = 2_500;
const BULK_VERSIONS: usize = 4;
/// Items per intake-shaped insert.
const BULK_CHUNK: usize = 250;

fn bulk_id(i: usize) -> String {
    format!("bulk-{i:04}")
}

/// Version `v` (1-based) of item `i`: document, source version, content hash, idempotency key.
fn bulk_version(i: usize, v: usize) -> (String, String, String, String) {
    let id = bulk_id(i);
    let modified = format!("2026-04-01T00:{:02}:00+0000", v * 10);
    let document = json!({"item_id": id, "name": format!("{id} v{v}"), "rate": format!("{i}.{v}"),
                          "status": "active", "last_modified_time": modified});
    (
        document.to_string(),
        modified,
        format!("hash-{id}-{v}"),
        format!("bulk-{id}-{v}"),
    )
}

/// The order item `i`'s versions arrive in: rotated and sometimes reversed, so older
/// versions often arrive after newer ones.
fn arrival_order(i: usize) -> [usize; BULK_VERSIONS] {
    let mut order = [1, 2, 3, 4];
    order.rotate_left(i % BULK_VERSIONS);
    if i.is_multiple_of(3) {
        order.reverse();
    }
    order
}

/// Stores one version of each of `items` and queues it the way intake does: inbox event,
/// then insert-or-repoint of the entity's unclaimed queue row, then `superseded` for the
/// events a newer queued version beat.
async fn feed_chunk(client: &mut tokio_postgres::Client, items: &[usize], round: usize) {
    let mut columns: [Vec<String>; 5] = Default::default();
    for &i in items {
        let (document, version, hash, key) = bulk_version(i, arrival_order(i)[round]);
        for (column, value) in columns
            .iter_mut()
            .zip([bulk_id(i), document, version, hash, key])
        {
            column.push(value);
        }
    }
    for attempt in 0.. {
        let tx = client.transaction().await.unwrap();
        let fed = async {
            let ids: Vec<i64> = tx
                .query(
                    "INSERT INTO tds_inbox_events (correlation_id, module, entity_id, operation, http_method, content_type,
                         payload_shape, raw_body, document, headers, source_modified_at, version_source, content_hash,
                         idempotency_key, status)
                     SELECT 'corr-' || t.key, 'items', t.entity_id, 'upsert', 'POST', 'application/json', 'wrapped',
                         NULL, t.document::jsonb, '{}'::jsonb, t.version::timestamptz,
                         'last_modified_time', t.hash, t.key, 'accepted'
                     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                         AS t(entity_id, document, version, hash, key)
                     RETURNING id",
                    &[&columns[0], &columns[1], &columns[2], &columns[3], &columns[4]],
                )
                .await?
                .iter()
                .map(|row| row.get(0))
                .collect();
            tx.execute(
                "WITH queued AS (
                     INSERT INTO tds_sync_queue (module, entity_id, lane, priority, operation, inbox_event_id,
                         source_modified_at, max_attempts, correlation_id)
                     SELECT e.module, e.entity_id, 'catalog', 5, e.operation, e.id, e.source_modified_at, 8, e.correlation_id
                     FROM tds_inbox_events e WHERE e.id = ANY($1::bigint[]) ORDER BY e.id
                     ON CONFLICT (module, entity_id) WHERE status IN ('pending', 'retry')
                     DO UPDATE SET inbox_event_id = EXCLUDED.inbox_event_id, operation = EXCLUDED.operation,
                         source_modified_at = EXCLUDED.source_modified_at, correlation_id = EXCLUDED.correlation_id,
                         updated_at = now()
                     WHERE tds_sync_queue.source_modified_at <= EXCLUDED.source_modified_at
                     RETURNING inbox_event_id
                 )
                 UPDATE tds_inbox_events SET status = 'superseded'
                 WHERE id = ANY($1::bigint[]) AND id NOT IN (SELECT inbox_event_id FROM queued)",
                &[&ids],
            )
            .await?;
            Ok::<_, tokio_postgres::Error>(())
        }
        .await;
        let result = match fed {
            Ok(()) => tx.commit().await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => return,
            // Deadlock or serialization failure against a processor returning a row: again.
            Err(e) if attempt < 20 && e.code().is_some_and(|c| c.code().starts_with("40")) => {
                continue
            }
            Err(e) => panic!("feeding the queue failed: {e}"),
        }
    }
}

async fn open_rows(db: &tokio_postgres::Client) -> i64 {
    scalar_i64(
        db,
        "SELECT count(*) FROM tds_sync_queue WHERE status IN ('pending', 'retry', 'processing')",
    )
    .await
}

/// What one draining worker saw.
#[derive(Default, Debug)]
struct WorkerLog {
    runs: usize,
    claimed: u64,
    failed_runs: Vec<Value>,
}

/// Drains the lane over and over until feeding is done and no row is open.
async fn worker(
    client: reqwest::Client,
    base_url: String,
    db: Arc<tokio_postgres::Client>,
    fed: Arc<AtomicBool>,
) -> WorkerLog {
    let mut log = WorkerLog::default();
    loop {
        let done_feeding = fed.load(Ordering::SeqCst);
        let (status, report) = try_drain_at(&client, &base_url, Lane::Catalog, TOKEN).await;
        log.runs += 1;
        let claimed = report["counts"]["claimed"].as_u64().unwrap_or(0);
        match status {
            200 => log.claimed += claimed,
            // A run may fail for a passing reason (a deadlock in its bookkeeping); its batch
            // was rolled back and given back, and the next run goes on.
            503 => log.failed_runs.push(report),
            other => panic!("the drain route answered {other}: {report}"),
        }
        if claimed == 0 {
            if done_feeding && open_rows(&db).await == 0 {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn four_processors_apply_ten_thousand_events_each_at_most_once() {
    let app = app(&[]).await;
    let db = Arc::new(app.db.client().await);
    set_config(&db, "backoff_base_ms", "20").await;
    set_config(&db, "backoff_cap_ms", "200").await;
    let fed = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn(worker(
                app.client.clone(),
                app.url(""),
                db.clone(),
                fed.clone(),
            ))
        })
        .collect();

    let mut feeder = app.db.client().await;
    let items: Vec<usize> = (0..BULK_ITEMS).collect();
    for round in 0..BULK_VERSIONS {
        // Let the processors get into the previous round, so versions of one entity are
        // often queued while an older one is being applied.
        let dbr = &db;
        eventually(
            Duration::from_secs(300),
            "the processors catch up",
            || async move {
                let pending = scalar_i64(
                    dbr,
                    "SELECT count(*) FROM tds_sync_queue WHERE status = 'pending'",
                )
                .await;
                (pending < (BULK_ITEMS / 2) as i64).then_some(())
            },
        )
        .await;
        for chunk in items.chunks(BULK_CHUNK) {
            feed_chunk(&mut feeder, chunk, round).await;
        }
    }
    fed.store(true, Ordering::SeqCst);
    let mut logs = Vec::new();
    for worker in workers {
        let log = tokio::time::timeout(Duration::from_secs(600), worker)
            .await
            .expect("the lane drains")
            .expect("a worker panicked");
        logs.push(log);
    }
    eprintln!("workers: {logs:?}");
    let outcomes: Vec<(String, i64)> = db
        .query(
            "SELECT outcome, count(*) FROM tds_sync_log GROUP BY outcome ORDER BY outcome",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    eprintln!("attempts by outcome: {outcomes:?}");

    let events = scalar_i64(&db, "SELECT count(*) FROM tds_inbox_events").await;
    assert_eq!(events, (BULK_ITEMS * BULK_VERSIONS) as i64);
    let by_status: Vec<(String, i64)> = db
        .query(
            "SELECT status, count(*) FROM tds_sync_queue GROUP BY status ORDER BY status",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(
        by_status.len(),
        1,
        "every queue row completed: {by_status:?}"
    );
    assert_eq!(by_status[0].0, "completed", "{by_status:?}");
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM tds_dead_letters").await,
        0
    );

    // No event applied twice, no version of an entity applied twice.
    let twice = scalar_i64(
        &db,
        "SELECT count(*) FROM (SELECT inbox_event_id FROM tds_sync_log WHERE outcome = 'applied'
                               GROUP BY inbox_event_id HAVING count(*) > 1) twice",
    )
    .await;
    assert_eq!(twice, 0, "events applied more than once");
    let audited_twice = scalar_i64(
        &db,
        "SELECT count(*) FROM (SELECT entity_id, source_modified_at FROM tds_audit_trail
                               GROUP BY entity_id, source_modified_at HAVING count(*) > 1) twice",
    )
    .await;
    assert_eq!(audited_twice, 0, "entity versions audited more than once");
    let applied = scalar_i64(
        &db,
        "SELECT count(*) FROM tds_sync_log WHERE outcome = 'applied'",
    )
    .await;
    let audited = scalar_i64(&db, "SELECT count(*) FROM tds_audit_trail").await;
    assert_eq!(applied, audited, "one audit row per applied event");
    assert!(
        applied >= BULK_ITEMS as i64 && applied <= events,
        "{applied} applied"
    );
    // Each entity's changes only ever moved forward in version.
    let backwards = scalar_i64(
        &db,
        "SELECT count(*) FROM (SELECT source_modified_at <= lag(source_modified_at) OVER (PARTITION BY entity_id ORDER BY id) AS back
                               FROM tds_audit_trail) a WHERE back",
    )
    .await;
    assert_eq!(backwards, 0, "an older version overwrote a newer one");

    // The ERP holds the newest version of every entity, from that version's event.
    let rows = db
        .query(
            "SELECT i.item_id, i.name, i.rate::text, e.idempotency_key
             FROM erp_items i JOIN tds_inbox_events e ON e.id = i.last_inbox_event_id ORDER BY i.item_id",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), BULK_ITEMS);
    for (i, row) in rows.iter().enumerate() {
        let id = bulk_id(i);
        let newest = (
            row.get::<_, String>(0),
            row.get::<_, String>(1),
            row.get::<_, String>(2),
            row.get::<_, String>(3),
        );
        assert_eq!(
            newest,
            (
                id.clone(),
                format!("{id} v4"),
                format!("{i}.4"),
                format!("bulk-{id}-4")
            )
        );
    }
    let newest_times = scalar_i64(
        &db,
        "SELECT count(*) FROM erp_items WHERE source_modified_at = '2026-04-01T00:40:00+0000'::timestamptz",
    )
    .await;
    assert_eq!(newest_times, BULK_ITEMS as i64);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_internal_routes_take_an_authenticated_post_only() {
    let app = app(&[]).await;
    for (path, purpose) in [
        ("/internal/drain/catalog", "drain the lane"),
        ("/internal/heal", "run the heal cycle"),
    ] {
        let response = app
            .client
            .get(app.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], json!("method_not_allowed"), "{body}");
        assert_eq!(
            body["error"]["message"],
            json!(format!("use POST to {purpose}")),
            "{body}"
        );
        for token in [None, Some("wrong")] {
            let mut request = app.client.post(app.url(path));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 401, "{path} with {token:?}");
        }
    }
    let db = app.db.client().await;
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM tds_sync_runs").await,
        0,
        "nothing ran"
    );
}

/// A drain its processor cannot serve as configured (here `batch_size=0`) is answered 503
/// `not_configured` and logged as an error under the request's id, as the cron invocation
/// logs it: on a platform without cron this route is all that runs the processor. Served
/// by a `tds up` child, whose log is a file of its own.
#[tokio::test(flavor = "multi_thread")]
async fn a_drain_refused_for_its_settings_is_answered_503_and_logged() {
    let database = TestDatabase::new().await;
    let mut host = HostProcess::start(HostOptions {
        label: "processor-not-configured".into(),
        database_url: database.url.clone(),
        database_host: cluster().host_port().into(),
        variables: vec![format!("stats_token={TOKEN}"), "batch_size=0".into()],
        no_cron: true,
        ..HostOptions::default()
    });
    host.wait_ready(PATIENCE).await;
    let response = reqwest::Client::new()
        .post(host.url("/internal/drain/catalog"))
        .bearer_auth(TOKEN)
        .header("x-request-id", "drain-not-configured")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], json!("not_configured"), "{body}");
    let reason = body["error"]["message"].as_str().unwrap().to_string();
    assert!(reason.contains("batch_size"), "{body}");

    let line = eventually(PATIENCE, "the refusal in the host's log", || {
        let log = std::fs::read_to_string(host.log_path()).unwrap_or_default();
        let line = log
            .lines()
            .find(|line| line.starts_with("[processor-catalog] ") && line.contains("drain-not-configured"))
            .map(str::to_string);
        async move { line }
    })
    .await;
    let logged: Value = serde_json::from_str(line.trim_start_matches("[processor-catalog] ")).unwrap();
    assert_eq!(logged["level"], json!("error"), "{line}");
    assert_eq!(logged["msg"], json!("cannot drain the lane"), "{line}");
    assert_eq!(logged["code"], json!("not_configured"), "{line}");
    assert_eq!(logged["reason"], json!(reason), "{line}");
}

/// Without `database_url` every internal route answers 503 `not_configured` naming the
/// variable: the database is not unavailable, it is not configured.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_database_url_the_internal_routes_answer_not_configured() {
    let app = TestApp::start_with(TestAppOptions {
        variables: vec![format!("stats_token={TOKEN}"), "database_url=".into()],
        ..TestAppOptions::default()
    })
    .await;
    // The registry's error, the same from every component.
    let expected = {
        use tds_core::variables::{Declared, DATABASE_URL};
        DATABASE_URL.parse(None).unwrap_err().to_string()
    };
    assert!(expected.starts_with("variable database_url is not set: "), "{expected}");
    for path in ["/internal/drain/catalog", "/internal/heal", "/internal/reconcile"] {
        let response = app.client.post(app.url(path)).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 503, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], json!("not_configured"), "{path}: {body}");
        assert_eq!(body["error"]["message"], json!(expected), "{path}: {body}");
    }
}
