//! Per-minute rollups match the raw rows: received (inbox), duplicates (intake counters),
//! completed (queue), retried (sync log), dead (dead letters) and the end-to-end latency
//! (inbox `received_at` → queue `completed_at`: count, total, min, max and nearest-rank
//! p50/p95/p99) per minute, lane and module; only closed minutes are written, and
//! computing a minute again gives the same rows. The raw rows are moved a few minutes back
//! with SQL (all together, so latencies keep) to make their minutes closed.

mod heal_support;

use std::collections::BTreeMap;

use serde_json::json;
use tds_core::entity::Lane;
use tds_core::metrics::{nearest_rank, LATENCY_PERCENTILES, NAMES};
use tds_tests::internal::{drain, heal};
use tds_tests::locks::RowLock;
use tds_tests::webhooks::{item, post_item, send_item};

use heal_support::*;

const V1: &str = "2026-03-01T10:00:00+0000";
const V2: &str = "2026-03-02T10:00:00+0000";

/// `(minute epoch, name, lane, module)` → `(count, sum, min, max)`.
type Rollups = BTreeMap<(i64, String, String, String), (i64, f64, Option<f64>, Option<f64>)>;

async fn stored(db: &tokio_postgres::Client) -> Rollups {
    db.query(
        "SELECT extract(epoch FROM minute)::int8, name, lane, module, count, sum, min, max FROM tds_metrics
         WHERE name = ANY($1)",
        &[&NAMES.as_slice()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| ((r.get(0), r.get(1), r.get(2), r.get(3)), (r.get(4), r.get(5), r.get(6), r.get(7))))
    .collect()
}

/// `(minute epoch, lane, module)` → count, from a raw-row query returning those and a count.
async fn counted(db: &tokio_postgres::Client, sql: &str) -> BTreeMap<(i64, String, String), i64> {
    db.query(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| ((r.get(0), r.get(1), r.get(2)), r.get(3)))
        .collect()
}

/// What the raw rows say the rollups are.
async fn expected(db: &tokio_postgres::Client) -> Rollups {
    let mut rollups = Rollups::new();
    let counters = [
        ("received", "SELECT extract(epoch FROM date_trunc('minute', received_at))::int8, 'catalog', module, count(*) FROM tds_inbox_events GROUP BY 1, 2, 3"),
        ("duplicates", "SELECT extract(epoch FROM minute)::int8, 'catalog', module, sum(count)::int8 FROM tds_intake_counters WHERE outcome = 'duplicate' GROUP BY 1, 2, 3"),
        ("completed", "SELECT extract(epoch FROM date_trunc('minute', completed_at))::int8, lane, module, count(*) FROM tds_sync_queue WHERE status = 'completed' AND last_error_code IS DISTINCT FROM 'coalesced' GROUP BY 1, 2, 3"),
        ("retried", "SELECT extract(epoch FROM date_trunc('minute', created_at))::int8, lane, module, count(*) FROM tds_sync_log WHERE outcome = 'retry' GROUP BY 1, 2, 3"),
        ("dead", "SELECT extract(epoch FROM date_trunc('minute', created_at))::int8, lane, module, count(*) FROM tds_dead_letters GROUP BY 1, 2, 3"),
    ];
    for (name, sql) in counters {
        for ((minute, lane, module), n) in counted(db, sql).await {
            rollups.insert(
                (minute, name.to_string(), lane, module),
                (n, n as f64, None, None),
            );
        }
    }
    let mut latencies: BTreeMap<(i64, String, String), Vec<f64>> = BTreeMap::new();
    for row in db
        .query(
            "SELECT extract(epoch FROM date_trunc('minute', q.completed_at))::int8, q.lane, q.module,
                 extract(epoch FROM q.completed_at - e.received_at)::float8 * 1000
             FROM tds_sync_queue q JOIN tds_inbox_events e ON e.id = q.inbox_event_id
             WHERE q.status = 'completed' AND q.last_error_code IS DISTINCT FROM 'coalesced'",
            &[],
        )
        .await
        .unwrap()
    {
        latencies.entry((row.get(0), row.get(1), row.get(2))).or_default().push(row.get(3));
    }
    for ((minute, lane, module), mut values) in latencies {
        values.sort_by(f64::total_cmp);
        let n = values.len() as i64;
        let key = |name: &str| (minute, name.to_string(), lane.clone(), module.clone());
        rollups.insert(
            key("latency_e2e_ms"),
            (
                n,
                values.iter().sum(),
                values.first().copied(),
                values.last().copied(),
            ),
        );
        for (name, fraction) in LATENCY_PERCENTILES {
            let value = nearest_rank(&values, fraction).unwrap();
            rollups.insert(key(name), (n, value, Some(value), Some(value)));
        }
    }
    rollups
}

fn assert_same(actual: &Rollups, expected: &Rollups) {
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the same minutes, names, lanes and modules"
    );
    for (key, (count, sum, min, max)) in expected {
        let (a_count, a_sum, a_min, a_max) = actual[key];
        assert_eq!(a_count, *count, "{key:?}");
        assert!(
            (a_sum - sum).abs() <= 1e-6 * sum.abs().max(1.0),
            "{key:?}: {a_sum} vs {sum}"
        );
        assert_eq!((a_min, a_max), (*min, *max), "{key:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rollups_match_the_raw_rows_and_recomputing_gives_the_same_rows() {
    let app = app(&[]).await;
    let db = app.db.client().await;
    set_config(&db, "lock_timeout_ms", "300").await;
    set_config(&db, "backoff_base_ms", "60000").await;
    set_config(&db, "backoff_cap_ms", "60000").await;
    for i in 0..12 {
        post_item(&app, KEY, &item(&format!("i{i}"), "v1", json!(i), V1), None).await;
    }
    post_item(&app, KEY, &item("poison", "Poison", json!("lots"), V1), None).await;
    // The same delivery twice: one duplicate.
    let (status, _) = send_item(&app, KEY, &item("i0", "v1", json!(0), V1), None).await;
    assert_eq!(status, 200);
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["applied"], json!(12));
    // A retried attempt.
    post_item(&app, KEY, &item("i1", "v2", json!(1), V2), None).await;
    let lock = RowLock::on_item(&app.db, "i1").await;
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["retried"], json!(1));
    lock.release().await;
    // Everything a few minutes back (latencies keep).
    tds_tests::history::move_back(&db, "5 minutes").await;

    let healed = heal(&app, TOKEN).await;
    assert!(
        healed["counts"]["rollups"]["rows"].as_u64().unwrap() > 0,
        "{healed}"
    );
    let first = stored(&db).await;
    assert_same(&first, &expected(&db).await);
    let names: std::collections::BTreeSet<&str> =
        first.keys().map(|(_, name, _, _)| name.as_str()).collect();
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        [
            "completed",
            "dead",
            "duplicates",
            "latency_e2e_ms",
            "latency_e2e_p50_ms",
            "latency_e2e_p95_ms",
            "latency_e2e_p99_ms",
            "received",
            "retried"
        ]
    );
    let open_minute = scalar_i64(
        &db,
        "SELECT count(*) FROM tds_metrics WHERE minute >= date_trunc('minute', now())",
    )
    .await;
    assert_eq!(open_minute, 0, "the current minute is never written");

    let totals = running_totals(&db).await;
    assert_eq!(
        totals,
        rolled_up_sums(&db).await,
        "the running totals are the sums of every rolled-up minute"
    );
    let attempts: i64 = totals
        .iter()
        .filter(|((name, _, _), _)| name.starts_with("attempts_"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(attempts, scalar_i64(&db, "SELECT count(*) FROM tds_sync_log").await);

    // Again, and again from an earlier cursor: the same rows, and the totals unchanged
    // (a recomputed window takes back what it had added).
    heal(&app, TOKEN).await;
    assert_same(&stored(&db).await, &first);
    db.execute(
        "UPDATE tds_cursors SET position_at = position_at - interval '30 minutes' WHERE name = 'heal.metrics_rollup'",
        &[],
    )
    .await
    .unwrap();
    heal(&app, TOKEN).await;
    assert_same(&stored(&db).await, &first);
    assert_eq!(running_totals(&db).await, totals, "recomputing adds nothing");
}

/// `tds_metric_totals`: `(name, lane, module)` → count.
async fn running_totals(db: &tokio_postgres::Client) -> BTreeMap<(String, String, String), i64> {
    db.query("SELECT name, lane, module, count FROM tds_metric_totals WHERE count <> 0", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| ((r.get(0), r.get(1), r.get(2)), r.get(3)))
        .collect()
}

/// The same sums computed from `tds_metrics` (percentiles excluded).
async fn rolled_up_sums(db: &tokio_postgres::Client) -> BTreeMap<(String, String, String), i64> {
    db.query(
        "SELECT name, lane, module, sum(count)::int8 FROM tds_metrics
         WHERE name NOT LIKE 'latency_e2e_p%' GROUP BY 1, 2, 3 HAVING sum(count) <> 0",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| ((r.get(0), r.get(1), r.get(2)), r.get(3)))
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_with_no_new_minute_still_keeps_the_intake_outcomes_it_folded() {
    let app = app(&[]).await;
    let db = app.db.client().await;
    post_item(&app, KEY, &item("f1", "v1", json!(1), V1), None).await;
    tds_tests::history::move_back(&db, "5 minutes").await;
    heal(&app, TOKEN).await;
    let folded_first = "SELECT coalesce(sum(count), 0)::int8 FROM tds_intake_counters WHERE outcome = 'accepted'";
    assert_eq!(scalar_i64(&db, folded_first).await, 1);

    // A second delivery whose outcome lands in a closed minute, then a run inside the
    // minute the last run reached: nothing to recompute, the fold still commits.
    post_item(&app, KEY, &item("f2", "v1", json!(2), V1), None).await;
    db.execute(
        "UPDATE tds_intake_outcomes SET minute = minute - interval '5 minutes'",
        &[],
    )
    .await
    .unwrap();
    heal(&app, TOKEN).await;
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM tds_intake_outcomes").await,
        0,
        "the second run folded the outcome"
    );
    assert_eq!(scalar_i64(&db, folded_first).await, 2);
}

/// Moves the rollup cursor one minute back, so the next run has a new minute to compute and
/// looks at the settling minutes before it; where it is now.
async fn step_cursor_back(db: &tokio_postgres::Client) -> i64 {
    scalar_i64(
        db,
        "UPDATE tds_cursors SET position_at = position_at - interval '1 minute'
         WHERE name = 'heal.metrics_rollup' RETURNING extract(epoch FROM position_at)::int8",
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_settling_minute_is_recomputed_only_when_its_raw_rows_changed() {
    let app = app(&[]).await;
    let db = app.db.client().await;
    for i in 0..5 {
        post_item(&app, KEY, &item(&format!("s{i}"), "v1", json!(i), V1), None).await;
    }
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["applied"], json!(5));
    tds_tests::history::move_back(&db, "5 minutes").await;
    heal(&app, TOKEN).await;
    let first = stored(&db).await;
    assert_same(&first, &expected(&db).await);

    // Nothing changed in the settling minutes: the run starts at the cursor.
    let cursor = step_cursor_back(&db).await;
    let healed = heal(&app, TOKEN).await;
    assert_eq!(
        healed["counts"]["rollups"]["from_epoch"],
        json!(cursor),
        "{healed}"
    );
    assert_same(&stored(&db).await, &first);

    // A late event lands in a settling minute: the run starts at that minute, and the
    // rows match the raw rows again.
    post_item(&app, KEY, &item("late", "v1", json!(9), V1), None).await;
    assert_eq!(drain(&app, Lane::Catalog, TOKEN).await["counts"]["applied"], json!(1));
    for sql in [
        "UPDATE tds_inbox_events SET received_at = received_at - interval '5 minutes' WHERE entity_id = 'late'",
        "UPDATE tds_sync_queue SET completed_at = completed_at - interval '5 minutes' WHERE entity_id = 'late'",
        "UPDATE tds_sync_log SET created_at = created_at - interval '5 minutes' WHERE entity_id = 'late'",
    ] {
        db.execute(sql, &[]).await.unwrap();
    }
    let late_minute = scalar_i64(
        &db,
        "SELECT extract(epoch FROM date_trunc('minute', received_at))::int8 FROM tds_inbox_events WHERE entity_id = 'late'",
    )
    .await;
    let cursor = step_cursor_back(&db).await;
    assert!(late_minute < cursor, "the late event is in a settling minute");
    let healed = heal(&app, TOKEN).await;
    assert_eq!(
        healed["counts"]["rollups"]["from_epoch"],
        json!(late_minute),
        "{healed}"
    );
    let second = stored(&db).await;
    assert_same(&second, &expected(&db).await);
    assert_ne!(second, first, "the late event is counted");
}
