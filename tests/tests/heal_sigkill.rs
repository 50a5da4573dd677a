//! A host killed with SIGKILL in the middle of a processing batch: the real `tds` binary
//! (`tds up`, built here with `cargo build -p tds` when stale) runs the application as a
//! child process against the test's database; its catalog processor claims a batch and
//! blocks on an ERP row the test holds locked; the child is killed. The leases it leaves
//! behind expire, the next heal run (in this process) reclaims every one of them, a drain
//! applies them, and every event takes effect exactly once: one audit row and one applied
//! attempt per event, none from the killed run, and the newest version in `erp_items`.

mod heal_support;

use serde_json::json;
use tds_core::entity::Lane;
use tds_tests::cluster;
use tds_tests::host_process::{HostOptions, HostProcess};
use tds_tests::internal::{drain, heal};
use tds_tests::locks::RowLock;
use tds_tests::wait::eventually;
use tds_tests::webhooks::{item, post_item};

use heal_support::*;

const V1: &str = "2026-03-01T10:00:00+0000";
const V2: &str = "2026-03-02T10:00:00+0000";
const ITEMS: [&str; 5] = ["k1", "k2", "k3", "k4", "k5"];
/// The child's lease: short, so its leases expire soon after it is killed.
const CHILD_LEASE_SECONDS: u32 = 3;

/// `tds up` serving the repository's spin.toml against `database_url`, cron on.
fn start_host(database_url: &str) -> HostProcess {
    HostProcess::start(HostOptions {
        label: "heal-sigkill".into(),
        database_url: database_url.into(),
        database_host: cluster().host_port().into(),
        variables: vec![
            format!("webhook_key={KEY}"),
            format!("stats_token={TOKEN}"),
            format!("lease_seconds={CHILD_LEASE_SECONDS}"),
        ],
        ..HostOptions::default()
    })
}

/// Wakes the child's catalog lane (its cron safety net fires only once a minute), as
/// intake's self request would: the woken session claims the waiting batch.
async fn wake_catalog(host: &HostProcess) {
    let (status, answer) = tds_tests::internal::call(
        &reqwest::Client::new(),
        &host.url(""),
        "/internal/drain/catalog?wake=true",
        TOKEN,
    )
    .await;
    assert_eq!(status, 202, "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_killed_mid_batch_leaves_leases_that_heal_reclaims_and_every_event_completes_once() {
    let app = app(&[]).await;
    let db = app.db.client().await;
    set_config(&db, "lock_timeout_ms", "120000").await;
    for id in ITEMS {
        post_item(&app, KEY, &item(id, &format!("{id} v1"), json!(1), V1), None).await;
    }
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["applied"], json!(5));
    for id in ITEMS {
        post_item(&app, KEY, &item(id, &format!("{id} v2"), json!(2), V2), None).await;
    }

    // The child's catalog processor claims the batch and waits for k1, first in it.
    let lock = RowLock::on_item(&app.db, "k1").await;
    let mut host = start_host(&app.db.url);
    host.wait_ready(PATIENCE).await;
    wake_catalog(&host).await;
    lock.wait_until_blocking(&db, PATIENCE).await;
    let dbr = &db;
    let owners: Vec<String> = eventually(PATIENCE, "the child holds the batch", || async move {
        let rows = dbr
            .query(
                "SELECT DISTINCT lease_owner FROM tds_sync_queue WHERE status = 'processing'",
                &[],
            )
            .await
            .unwrap();
        let processing = scalar_i64(
            dbr,
            "SELECT count(*) FROM tds_sync_queue WHERE status = 'processing'",
        )
        .await;
        (processing == 5).then(|| rows.iter().map(|r| r.get(0)).collect())
    })
    .await;
    assert!(
        owners
            .iter()
            .all(|o: &String| o.starts_with("processor-catalog:")),
        "{owners:?}"
    );

    host.kill();
    let pending_leases = "SELECT count(*) FROM tds_sync_queue WHERE status = 'processing' AND lease_expires_at < now()";
    eventually(PATIENCE, "the killed host's leases expire", || async move {
        (scalar_i64(dbr, pending_leases).await == 5).then_some(())
    })
    .await;

    let healed = heal(&app, TOKEN).await;
    assert_eq!(
        healed["counts"]["reclaim"]["reclaimed"],
        json!(5),
        "{healed}"
    );
    let reclaimed = scalar_i64(
        &db,
        "SELECT count(*) FROM tds_sync_queue WHERE status = 'retry' AND last_error_code = 'lease_expired'",
    )
    .await;
    assert_eq!(reclaimed, 5);

    // The killed host's backend gets the lock once the test lets go, then finds its client
    // gone and rolls back; the drain waits for it as for any lock.
    lock.release().await;
    let appr = &app;
    eventually(PATIENCE, "the queue drains", || async move {
        let report = drain(appr, Lane::Catalog, TOKEN).await;
        let waiting = scalar_i64(
            dbr,
            "SELECT count(*) FROM tds_sync_queue WHERE status IN ('pending', 'retry', 'processing')",
        )
        .await;
        (waiting == 0 && report["counts"]["claimed"] == json!(0)).then_some(())
    })
    .await;

    for id in ITEMS {
        let name: String = db
            .query_one("SELECT name FROM erp_items WHERE item_id = $1", &[&id])
            .await
            .unwrap()
            .get(0);
        assert_eq!(name, format!("{id} v2"));
        let audited: Vec<String> = db
            .query(
                "SELECT action FROM tds_audit_trail WHERE entity_id = $1 ORDER BY id",
                &[&id],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(
            audited,
            ["insert", "update"],
            "{id}: one audit row per event"
        );
        let applied = db
            .query_one(
                "SELECT count(*) FROM tds_sync_log WHERE entity_id = $1 AND outcome = 'applied'",
                &[&id],
            )
            .await
            .unwrap()
            .get::<_, i64>(0);
        assert_eq!(applied, 2, "{id}: each event applied once");
        let row = db
            .query_one(
                "SELECT status, attempt_count FROM tds_sync_queue WHERE entity_id = $1 ORDER BY id DESC LIMIT 1",
                &[&id],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), "completed");
        assert!(
            row.get::<_, i32>(1) >= 2,
            "{id}: the killed claim's attempt stays counted"
        );
    }
    let from_killed = db
        .query_one(
            "SELECT count(*) FROM tds_sync_log l JOIN tds_sync_runs r ON r.id = l.run_id WHERE r.run_owner = ANY($1)",
            &[&owners],
        )
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(from_killed, 0, "nothing of the killed batch was committed");
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM tds_dead_letters").await,
        0
    );
}
