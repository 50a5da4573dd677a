//! Heal's alerts against real webhooks: each condition (queue depth, oldest waiting row,
//! failure rate, aged dead letters) opens one alert per dedup key, stays one alert while it
//! holds, resolves when it clears, and every opening and resolution reaches a generic JSON
//! webhook and a Slack-compatible one (HTTP receivers started by the test). A webhook that
//! fails is retried on later runs without repeating deliveries that succeeded, and its
//! failures open its circuit breaker, which probes and closes once the webhook answers.

mod heal_support;

use std::collections::BTreeSet;

use serde_json::{json, Value};
use tds_core::entity::Lane;
use tds_tests::internal::{drain, heal};
use tds_tests::wait::eventually;
use tds_tests::webhooks::{item, post_item};

use heal_support::*;

const V1: &str = "2026-03-01T10:00:00+0000";

/// `(kind, event)` of what a generic receiver got, in order.
fn generic_events(receiver: &Receiver) -> Vec<(String, String)> {
    receiver
        .received()
        .iter()
        .map(|r| {
            (
                r.body["alert"]["kind"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                r.body["event"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn texts(receiver: &Receiver) -> Vec<String> {
    receiver
        .received()
        .iter()
        .map(|r| r.body["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `(dedup_key, status, occurrences, delivered everywhere)` of every alert, by id.
async fn alerts(db: &tokio_postgres::Client) -> Vec<(String, String, i32, bool)> {
    db.query(
        "SELECT dedup_key, status, occurrences, notified_at IS NOT NULL FROM tds_alerts ORDER BY id",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_alert_opens_once_resolves_and_reaches_both_webhooks() {
    let webhook = Receiver::start().await;
    let slack = Receiver::start().await;
    let app = app(&webhook_variables(&webhook, &slack)).await;
    let db = app.db.client().await;
    set_config(&db, "alert_queue_depth", "2").await;
    set_config(&db, "alert_oldest_pending_seconds", "600").await;
    set_config(&db, "alert_failure_rate", "0.2").await;
    set_config(&db, "alert_failure_rate_min_attempts", "1").await;
    set_config(&db, "alert_dead_letter_age_hours", "24").await;

    // Nothing wrong yet: nothing opens, nothing is sent.
    let quiet = heal(&app, TOKEN).await;
    assert_eq!(quiet["counts"]["alerts"]["opened"], json!(0), "{quiet}");
    assert_eq!(webhook.connections() + slack.connections(), 0);

    // A poisoned event: one attempt, failed, and a dead letter (dated a day back).
    post_item(&app, KEY, &item("poison", "Poison", json!("lots"), V1), None).await;
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["dead"], json!(1));
    db.execute(
        "UPDATE tds_dead_letters SET created_at = now() - interval '25 hours'",
        &[],
    )
    .await
    .unwrap();
    // Three rows waiting (more than 2), the oldest enqueued an hour ago.
    for id in ["a", "b", "c"] {
        post_item(&app, KEY, &item(id, id, json!(1), V1), None).await;
    }
    db.execute(
        "UPDATE tds_sync_queue SET created_at = now() - interval '1 hour' WHERE entity_id = 'a'",
        &[],
    )
    .await
    .unwrap();

    let first = heal(&app, TOKEN).await;
    assert_eq!(first["counts"]["alerts"]["opened"], json!(4), "{first}");
    assert_eq!(first["counts"]["notify"]["delivered"], json!(8), "{first}");
    let kinds: BTreeSet<String> = [
        "queue_depth",
        "oldest_pending_age",
        "failure_rate",
        "dead_letters_aged",
    ]
    .map(String::from)
    .into();
    assert_eq!(
        generic_events(&webhook)
            .iter()
            .map(|(k, _)| k.clone())
            .collect::<BTreeSet<_>>(),
        kinds
    );
    assert!(generic_events(&webhook).iter().all(|(_, e)| e == "opened"));
    for received in webhook.received() {
        assert_eq!(received.path, "/hooks/generic");
        assert_eq!(received.content_type.as_deref(), Some("application/json"));
        assert_eq!(received.body["source"], json!("tds"), "{}", received.body);
        assert_eq!(
            received.body["alert"]["status"],
            json!("open"),
            "{}",
            received.body
        );
        assert!(received.body["alert"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let failure = webhook
        .received()
        .into_iter()
        .find(|r| r.body["alert"]["kind"] == json!("failure_rate"))
        .unwrap();
    assert_eq!(
        failure.body["alert"]["details"]["failures"],
        json!(1),
        "{}",
        failure.body
    );
    assert_eq!(failure.body["alert"]["severity"], json!("critical"));
    assert_eq!(slack.received().len(), 4);
    for received in slack.received() {
        assert_eq!(received.path, "/services/T000/B000/XXXX");
        let object = received.body.as_object().expect("a JSON object");
        assert_eq!(
            object.keys().collect::<Vec<_>>(),
            ["text"],
            "{}",
            received.body
        );
        assert!(texts(&slack).iter().all(|t| t.starts_with("[TDS] ALERT ")));
    }
    assert!(alerts(&db)
        .await
        .iter()
        .all(|(_, status, n, notified)| status == "open" && *n == 1 && *notified));

    // Still holding (a cron run this time): the same four alerts, nothing sent again.
    app.run_cron("heal").await.expect("the cron run succeeds");
    let now = alerts(&db).await;
    assert_eq!(now.len(), 4, "{now:?}");
    assert!(
        now.iter()
            .all(|(_, status, n, _)| status == "open" && *n == 2),
        "{now:?}"
    );
    assert_eq!((webhook.received().len(), slack.received().len()), (4, 4));

    // Every condition clears.
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["applied"], json!(3));
    db.execute("UPDATE tds_dead_letters SET resolved_at = now(), resolved_by = 'test', resolution = 'fixed by hand'", &[])
        .await
        .unwrap();
    set_config(&db, "alert_failure_rate_min_attempts", "1000").await;
    let cleared = heal(&app, TOKEN).await;
    assert_eq!(
        cleared["counts"]["alerts"]["resolved"],
        json!(4),
        "{cleared}"
    );
    assert_eq!(
        cleared["counts"]["notify"]["delivered"],
        json!(8),
        "{cleared}"
    );
    let resolutions: Vec<Value> = webhook.received()[4..]
        .iter()
        .map(|r| r.body.clone())
        .collect();
    assert_eq!(resolutions.len(), 4);
    for body in &resolutions {
        assert_eq!(body["event"], json!("resolved"), "{body}");
        assert_eq!(body["alert"]["status"], json!("resolved"), "{body}");
        assert!(body["alert"]["resolved_at"].is_string(), "{body}");
    }
    assert!(texts(&slack)[4..]
        .iter()
        .all(|t| t.starts_with("[TDS] RESOLVED ")));
    let resolved = db
        .query_one(
            "SELECT count(*) FROM tds_alerts WHERE status = 'resolved' AND resolution_notified_at IS NOT NULL
                 AND deliveries ?& array['opened:webhook', 'opened:slack', 'resolved:webhook', 'resolved:slack']",
            &[],
        )
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(resolved, 4);

    // Quiet again; then the queue fills again: a new alert for the same key.
    heal(&app, TOKEN).await;
    assert_eq!((webhook.received().len(), slack.received().len()), (8, 8));
    for id in ["d", "e", "f"] {
        post_item(&app, KEY, &item(id, id, json!(1), V1), None).await;
    }
    // Through cron this time: the delivery goes out from the cron handler too.
    app.run_cron("heal").await.expect("the cron run succeeds");
    let episodes = scalar_i64(
        &db,
        "SELECT count(*) FROM tds_alerts WHERE dedup_key = 'queue_depth'",
    )
    .await;
    assert_eq!(episodes, 2);
    assert_eq!(
        generic_events(&webhook).last().unwrap(),
        &("queue_depth".to_string(), "opened".to_string())
    );
    assert_eq!((webhook.received().len(), slack.received().len()), (9, 9));
}

/// `state`, `consecutive_failures` of the generic webhook's breaker.
async fn webhook_breaker(db: &tokio_postgres::Client) -> (String, i32) {
    db.query_opt(
        "SELECT state, consecutive_failures FROM tds_circuit_breakers WHERE name = 'outbound:alert_webhook'",
        &[],
    )
    .await
    .unwrap()
    .map_or(("closed".into(), 0), |row| (row.get(0), row.get(1)))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_webhook_is_retried_and_its_breaker_opens_probes_and_closes() {
    let webhook = Receiver::start().await;
    let slack = Receiver::start().await;
    let app = app(&webhook_variables(&webhook, &slack)).await;
    let db = app.db.client().await;
    // Two rows waiting, more than the lowest threshold the registry allows.
    set_config(&db, "alert_queue_depth", "1").await;
    set_config(&db, "circuit_failure_threshold", "2").await;
    set_config(&db, "circuit_open_seconds", "2").await;
    post_item(&app, KEY, &item("waiting", "Waiting", json!(1), V1), None).await;
    post_item(&app, KEY, &item("waiting-too", "Waiting too", json!(1), V1), None).await;
    webhook.answer_with(500);

    let first = heal(&app, TOKEN).await;
    assert_eq!(first["counts"]["alerts"]["opened"], json!(1), "{first}");
    assert_eq!(
        (
            first["counts"]["notify"]["delivered"].clone(),
            first["counts"]["notify"]["failed"].clone()
        ),
        (json!(1), json!(1)),
        "{first}"
    );
    assert_eq!(webhook_breaker(&db).await, ("closed".into(), 1));
    assert_eq!(
        alerts(&db).await,
        [("queue_depth".into(), "open".into(), 1, false)]
    );

    // Retried: fails again, which opens the breaker; Slack already has it.
    let second = heal(&app, TOKEN).await;
    assert_eq!(second["counts"]["notify"]["failed"], json!(1), "{second}");
    assert_eq!(
        second["counts"]["notify"]["delivered"],
        json!(0),
        "{second}"
    );
    assert_eq!(webhook_breaker(&db).await, ("open".into(), 2));
    assert_eq!(slack.received().len(), 1);
    assert_eq!(webhook.connections(), 2);

    // Open: the webhook is not called; the open circuit is itself an alert (Slack gets it).
    let third = heal(&app, TOKEN).await;
    assert_eq!(third["counts"]["alerts"]["opened"], json!(1), "{third}");
    assert_eq!(webhook.connections(), 2, "an open breaker sends nothing");
    assert!(
        third["counts"]["notify"]["refused"].as_u64().unwrap() >= 1,
        "{third}"
    );
    assert_eq!(slack.received().len(), 2);
    assert!(
        texts(&slack)[1].contains("circuit_open:outbound:alert_webhook"),
        "{:?}",
        texts(&slack)
    );

    // The webhook recovers; after the cool-down one delivery probes and closes the breaker.
    webhook.answer_with(200);
    let dbr = &db;
    eventually(PATIENCE, "the webhook breaker's cool-down is over", || async move {
        let due: bool = dbr
            .query_one("SELECT next_probe_at <= now() FROM tds_circuit_breakers WHERE name = 'outbound:alert_webhook'", &[])
            .await
            .unwrap()
            .get(0);
        due.then_some(())
    })
    .await;
    let fourth = heal(&app, TOKEN).await;
    assert_eq!(
        fourth["counts"]["notify"]["delivered"],
        json!(2),
        "{fourth}"
    );
    assert_eq!(webhook_breaker(&db).await, ("closed".into(), 0));
    assert_eq!(
        generic_events(&webhook),
        [
            ("queue_depth".to_string(), "opened".to_string()),
            ("circuit_open".to_string(), "opened".to_string())
        ]
    );
    assert_eq!(
        slack.received().len(),
        2,
        "Slack is not sent anything twice"
    );

    // The circuit alert resolves, and both webhooks hear of it.
    let fifth = heal(&app, TOKEN).await;
    assert_eq!(fifth["counts"]["alerts"]["resolved"], json!(1), "{fifth}");
    assert_eq!(
        generic_events(&webhook).last().unwrap(),
        &("circuit_open".to_string(), "resolved".to_string())
    );
    assert!(texts(&slack)
        .last()
        .unwrap()
        .starts_with("[TDS] RESOLVED critical circuit_open:outbound:alert_webhook"));
    let state = alerts(&db).await;
    assert_eq!(
        state,
        [
            ("queue_depth".into(), "open".into(), 5, true),
            (
                "circuit_open:outbound:alert_webhook".into(),
                "resolved".into(),
                2,
                true
            )
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_outside_allowed_outbound_hosts_is_never_called() {
    let webhook = Receiver::start().await;
    // The URL is set, its origin is not: heal's allowed_outbound_hosts keep the default.
    let app = app(&[format!(
        "alert_webhook_url={}/hooks/generic",
        webhook.origin()
    )])
    .await;
    let db = app.db.client().await;
    set_config(&db, "alert_queue_depth", "1").await;
    post_item(&app, KEY, &item("waiting", "Waiting", json!(1), V1), None).await;
    post_item(&app, KEY, &item("waiting-too", "Waiting too", json!(1), V1), None).await;

    let report = heal(&app, TOKEN).await;
    assert_eq!(report["counts"]["notify"]["failed"], json!(1), "{report}");
    assert_eq!(webhook.connections(), 0, "refused before connecting");
    let last_error: String = db
        .query_one(
            "SELECT last_error FROM tds_circuit_breakers WHERE name = 'outbound:alert_webhook'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        last_error.contains("allowed_outbound_hosts"),
        "{last_error}"
    );
    assert_eq!(
        alerts(&db).await,
        [("queue_depth".into(), "open".into(), 1, false)]
    );
}
