//! Retention removes only what is old and finished, in small batches: inbox events past
//! `retention_inbox_days` unless a waiting or running queue row or an unresolved dead
//! letter points to them; completed queue rows past `retention_completed_queue_days`;
//! logs, audit rows and runs past `retention_log_days`; metrics and intake counters past
//! `retention_metrics_days`. Times are moved back with SQL to make rows old.

mod heal_support;

use serde_json::json;
use tds_core::entity::Lane;
use tds_tests::internal::{drain, heal};
use tds_tests::webhooks::{item, post_item, send_item};

use heal_support::*;

const V1: &str = "2026-03-01T10:00:00+0000";

async fn ids(db: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    let mut found: Vec<String> = db
        .query(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.get(0))
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_removes_only_what_is_old_and_finished() {
    let app = app(&[]).await;
    let db = app.db.client().await;
    set_config(&db, "heal_retention_batch_size", "2").await;
    for id in ["done", "running", "poison-open", "poison-resolved", "fresh"] {
        let rate = if id.starts_with("poison") {
            json!("lots")
        } else {
            json!(1)
        };
        post_item(&app, KEY, &item(id, id, rate, V1), None).await;
    }
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["applied"], json!(3));
    db.execute(
        "UPDATE tds_dead_letters SET resolved_at = now(), resolved_by = 'test', resolution = 'done' WHERE entity_id = 'poison-resolved'",
        &[],
    )
    .await
    .unwrap();
    post_item(
        &app,
        KEY,
        &item("fresh", "fresh again", json!(2), "2026-03-02T10:00:00+0000"),
        None,
    )
    .await;
    drain(&app, Lane::Catalog, TOKEN).await;
    post_item(&app, KEY, &item("waiting", "waiting", json!(1), V1), None).await;
    // A running invocation's row: processing, its lease still valid.
    db.execute(
        "UPDATE tds_sync_queue SET status = 'processing', lease_owner = 'processor-catalog:alive',
             lease_expires_at = now() + interval '1 hour'
         WHERE entity_id = 'running'",
        &[],
    )
    .await
    .unwrap();
    // Everything but `fresh` is old.
    let old = "('done', 'running', 'poison-open', 'poison-resolved', 'waiting')";
    for sql in [
        format!("UPDATE tds_inbox_events SET received_at = now() - interval '8 days' WHERE entity_id IN {old}"),
        format!("UPDATE tds_sync_queue SET completed_at = now() - interval '8 days' WHERE entity_id IN {old} AND completed_at IS NOT NULL"),
        format!("UPDATE tds_sync_log SET created_at = now() - interval '91 days' WHERE entity_id IN {old}"),
        format!("UPDATE tds_audit_trail SET created_at = now() - interval '91 days' WHERE entity_id IN {old}"),
        "UPDATE tds_sync_runs SET started_at = now() - interval '91 days'".to_string(),
        "UPDATE tds_intake_counters SET minute = minute - interval '31 days'".to_string(),
        "UPDATE tds_intake_outcomes SET minute = minute - interval '31 days'".to_string(),
        "INSERT INTO tds_metrics (minute, name, lane, module, count, sum) VALUES
             (date_trunc('minute', now() - interval '31 days'), 'received', 'catalog', 'items', 1, 1),
             (date_trunc('minute', now() - interval '29 days'), 'received', 'catalog', 'items', 2, 2)"
            .to_string(),
    ] {
        db.execute(sql.as_str(), &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // A fresh intake counter: the same delivery again, a duplicate.
    let (status, _) = send_item(
        &app,
        KEY,
        &item("fresh", "fresh again", json!(2), "2026-03-02T10:00:00+0000"),
        None,
    )
    .await;
    assert_eq!(status, 200);

    let healed = heal(&app, TOKEN).await;
    let retention = &healed["counts"]["retention"];
    assert_eq!(retention["inbox_events"], json!(2), "{healed}");
    assert_eq!(retention["completed_queue_rows"], json!(1), "{healed}");
    assert_eq!(retention["metrics"], json!(1), "{healed}");

    assert_eq!(
        ids(&db, "SELECT entity_id FROM tds_inbox_events").await,
        ["fresh", "fresh", "poison-open", "running", "waiting"],
        "processed old events go; those a waiting or running row or an open dead letter points to stay"
    );
    assert_eq!(
        ids(&db, "SELECT entity_id || ':' || status FROM tds_sync_queue").await,
        [
            "fresh:completed",
            "fresh:completed",
            "poison-open:dead",
            "poison-resolved:dead",
            "running:processing",
            "waiting:pending"
        ]
    );
    assert_eq!(
        ids(&db, "SELECT DISTINCT entity_id FROM tds_sync_log").await,
        ["fresh"]
    );
    assert_eq!(
        ids(&db, "SELECT DISTINCT entity_id FROM tds_audit_trail").await,
        ["fresh"]
    );
    let runs = scalar_i64(
        &db,
        "SELECT count(*) FROM tds_sync_runs WHERE started_at < now() - interval '90 days'",
    )
    .await;
    assert_eq!(runs, 0);
    let recent_runs = scalar_i64(&db, "SELECT count(*) FROM tds_sync_runs").await;
    assert_eq!(recent_runs, 1, "this heal run stays");
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM tds_metrics WHERE minute < now() - interval '30 days'"
        )
        .await,
        0
    );
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM tds_metrics WHERE name = 'received' AND count = 2"
        )
        .await,
        1,
        "a 29-day-old rollup stays"
    );
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM tds_intake_counters WHERE minute < now() - interval '30 days'"
        )
        .await,
        0
    );
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM tds_intake_outcomes WHERE minute < (
                 SELECT date_trunc('minute', max(started_at)) FROM tds_sync_runs WHERE component = 'heal')"
        )
        .await,
        0,
        "heal folded every minute closed when it ran (a minute that closed since may hold rows)"
    );
    assert!(
        scalar_i64(
            &db,
            "SELECT (SELECT count(*) FROM tds_intake_counters) + (SELECT count(*) FROM tds_intake_outcomes)"
        )
        .await
            >= 1,
        "fresh counts stay (folded into the counters, or appended and not folded yet)"
    );

    // Nothing more is old: the next run deletes nothing.
    let again = heal(&app, TOKEN).await;
    let retention = &again["counts"]["retention"];
    for table in [
        "inbox_events",
        "completed_queue_rows",
        "sync_log",
        "audit_trail",
        "sync_runs",
        "metrics",
        "intake_counters",
    ] {
        assert_eq!(retention[table], json!(0), "{table}: {again}");
    }
}
