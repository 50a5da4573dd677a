//! Idempotency and coalescing under concurrency: Zoho retries, so one event may arrive
//! many times at once; intake keeps one inbox row and one queue row, and keeps at most one
//! unclaimed queue row per entity, pointing at the newest version.

use futures::future::join_all;
use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_tests::webhooks::{count, example, wrapped, Delivery, KEY};
use tds_tests::{TestApp, TestAppOptions};

async fn app() -> TestApp {
    TestApp::start_with(TestAppOptions {
        variables: vec![format!("webhook_key={KEY}")],
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
