//! Idempotency and coalescing under concurrency: Zoho retries, so one event may arrive
//! many times at once; intake keeps one inbox row and one queue row, and keeps at most one
//! unclaimed queue row per entity, pointing at the newest version.

use futures::future::join_all;
use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_tests::webhooks::{count, example, wrapped, Delivery, KEY};
use tds_tests::{TestApp, TestAppOptions};

/// Intake alone: no wakes, so what intake queued stays as it left it.
async fn app() -> TestApp {
    TestApp::start_with(TestAppOptions {
        variables: vec![format!("webhook_key={KEY}"), "wake=off".to_string()],
        ..TestAppOptions::default()
    })
    .await
}

fn invoice(id: &str, modified: &str, total: &str) -> Value {
    let mut record = example(Module::Invoices);
    record["invoice_id"] = json!(id);
    record["last_modified_time"] = json!(modified);
    record["total"] = serde_json::from_str(total).unwrap();
    wrapped(Module::Invoices, record)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_deliveries_of_one_event_store_one_inbox_and_one_queue_row() {
    let app = app().await;
    let body = invoice("555", "2026-11-20T09:00:00+0000", "100.00");
    let answers =
        join_all((0..50).map(|_| Delivery::json("/webhooks/zoho/invoices", &body).send(&app)))
            .await;
    let accepted = answers.iter().filter(|a| a.status == 202).count();
    let duplicates = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(
        (accepted, duplicates),
        (1, 49),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    let event_ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|a| a.body["event_id"].to_string())
        .collect();
    assert_eq!(
        event_ids.len(),
        1,
        "every answer names the one stored event: {event_ids:?}"
    );
    for answer in answers.iter().filter(|a| a.status == 200) {
        assert_eq!(answer.body["duplicate"], json!(true));
    }
    assert_eq!(count(&app, "tds_inbox_events").await, 1);
    assert_eq!(count(&app, "tds_sync_queue").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_versions_of_one_entity_coalesce_on_the_newest() {
    let app = app().await;
    let versions: Vec<Value> = (0..20)
        .map(|minute| {
            invoice(
                "777",
                &format!("2026-11-20T09:{minute:02}:00+0000"),
                &format!("{minute}.00"),
            )
        })
        .collect();
    let answers = join_all(
        versions
            .iter()
            .map(|body| Delivery::json("/webhooks/zoho/invoices", body).send(&app)),
    )
    .await;
    assert!(
        answers.iter().all(|a| a.status == 202),
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    assert_eq!(
        count(&app, "tds_inbox_events").await,
        20,
        "every version is stored"
    );
    let client = app.db.client().await;
    let queue = client
        .query(
            "SELECT q.status, e.document->>'total', q.source_modified_at::text FROM tds_sync_queue q \
             JOIN tds_inbox_events e ON e.id = q.inbox_event_id",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(queue.len(), 1, "one unclaimed row per entity");
    assert_eq!(queue[0].get::<_, &str>(0), "pending");
    assert_eq!(
        queue[0].get::<_, &str>(1),
        "19.00",
        "the newest version wins"
    );
    let superseded: i64 = client
        .query_one(
            "SELECT count(*) FROM tds_inbox_events WHERE status = 'superseded'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let queued = answers
        .iter()
        .filter(|a| a.body["queued"] == json!(true))
        .count() as i64;
    assert_eq!(
        superseded + queued,
        20,
        "each version is either queued (maybe re-pointed later) or superseded"
    );
    let counted = client
        .query(
            "SELECT outcome, count(*) FROM tds_intake_outcomes WHERE module = 'invoices' \
             GROUP BY outcome ORDER BY outcome",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1)))
        .collect::<Vec<_>>();
    let expected = [("accepted", queued), ("superseded", superseded)]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(outcome, n)| (outcome.to_string(), n))
        .collect::<Vec<_>>();
    assert_eq!(
        counted, expected,
        "each version is counted as what it was stored as"
    );

    let older = Delivery::json(
        "/webhooks/zoho/invoices",
        &invoice("777", "2026-11-19T09:00:00+0000", "1.00"),
    )
    .send(&app)
    .await;
    assert_eq!(older.status, 202);
    assert_eq!(
        older.body["queued"],
        json!(false),
        "an older version does not re-point the queue"
    );
    assert_eq!(older.body["superseded"], json!(true));
}

/// The one race `inbox::STORE_AND_QUEUE`'s own lock cannot close: the entity has no
/// unclaimed row when the statement starts, and another delivery's newer row is inserted
/// before the statement's queue insert. The event is stored `accepted` and then marked
/// `superseded`, so its status, its count and the answer agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_beaten_by_a_newer_row_queued_while_it_is_stored_is_marked_superseded() {
    let app = app().await;
    let watcher = app.db.client().await;
    let mut client = app.db.client().await;
    let newer = client.transaction().await.unwrap();
    newer
        .execute(
            "INSERT INTO tds_sync_queue (module, entity_id, lane, priority, operation, inbox_event_id,
                 source_modified_at, max_attempts, correlation_id)
             VALUES ('invoices', '888', 'documents', 10, 'upsert', 0, '2026-11-21T00:00:00Z', 8, 'newer')",
            &[],
        )
        .await
        .unwrap();
    let body = invoice("888", "2026-11-20T09:00:00+0000", "5.00");
    let send = tokio::spawn(async move {
        let answer = Delivery::json("/webhooks/zoho/invoices", &body).send(&app).await;
        (app, answer)
    });
    let waiting = app_waits_on_a_lock(&watcher).await;
    assert!(waiting, "intake's queue insert waits for the newer row's transaction");
    newer.commit().await.unwrap();
    let (_app, answer) = send.await.unwrap();
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.body["queued"], json!(false), "{}", answer.body);
    assert_eq!(answer.body["superseded"], json!(true), "{}", answer.body);
    let status: String = watcher
        .query_one("SELECT status FROM tds_inbox_events WHERE entity_id = '888'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "superseded");
    let outcomes: Vec<String> = watcher
        .query("SELECT outcome FROM tds_intake_outcomes WHERE module = 'invoices'", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(outcomes, ["superseded"]);
}

/// Whether another session comes to wait on a lock within five seconds.
async fn app_waits_on_a_lock(client: &tokio_postgres::Client) -> bool {
    for _ in 0..100 {
        let waiting: i64 = client
            .query_one("SELECT count(*) FROM pg_locks WHERE NOT granted", &[])
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}
