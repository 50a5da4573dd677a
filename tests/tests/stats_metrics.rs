//! `GET /metrics`: the Prometheus text exposition format, read by the `prometheus-parse`
//! crate (every line must be one it recognises: HELP, TYPE or a sample), with figures that
//! match the database — queue gauges, completion counters, the end-to-end latency and apply
//! histograms with lane and module labels, dead letters, alerts, circuit breakers and each
//! lane's drain sessions and wakes.
//! Counters and histograms come from heal's running totals: no counter goes down when
//! retention deletes the history between two scrapes, and a scrape reads no history (a
//! bound on the history rows it visits, held with 60,000 rows of history).

use std::collections::HashMap;
use std::time::Duration;

use prometheus_parse::{LineInfo, Scrape, Value as Metric};
use tds_tests::stats::{
    applied_item, call, permanent_dead_letter, seed_alerts_and_circuits, start,
    transient_dead_letter, TOKEN,
};
use tds_tests::wait::eventually;
use tds_tests::{internal, set_config, TestApp};

/// Moves every raw row `by` back (all tables together, so latencies keep), making their
/// minutes closed, then runs heal, which rolls them up into the running totals.
async fn age_and_heal(app: &TestApp, by: &str) {
    tds_tests::history::move_back(&app.db.client().await, by).await;
    let (status, report) = internal::call(&app.client, &app.url(""), "/internal/heal", TOKEN).await;
    assert_eq!(status, 200, "{report}");
}

/// `GET /metrics`, parsed.
async fn scrape(app: &TestApp) -> Scrape {
    let reply = call(app, "GET", "/metrics", Some(TOKEN), None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    Scrape::parse(reply.text.lines().map(|l| Ok(l.to_string()))).expect("the exposition parses")
}

fn find<'a>(scrape: &'a Scrape, name: &str, labels: &[(&str, &str)]) -> Option<&'a Metric> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| &s.value)
}

#[track_caller]
fn number(value: Option<&Metric>) -> f64 {
    match value {
        Some(Metric::Counter(n) | Metric::Gauge(n) | Metric::Untyped(n)) => *n,
        other => panic!("not a single number: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_prometheus_text_that_matches_the_database() {
    let app = start(&[]).await;
    applied_item(&app, "m1").await;
    applied_item(&app, "m2").await;
    transient_dead_letter(&app, "m-locked").await;
    permanent_dead_letter(&app, "m-poison").await;
    age_and_heal(&app, "5 minutes").await;
    // After heal, whose alert step would resolve these.
    seed_alerts_and_circuits(&app).await;

    let refused = call(&app, "GET", "/metrics", None, None).await;
    assert_eq!(refused.status, 401);

    let reply = call(&app, "GET", "/metrics", Some(TOKEN), None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = reply.text;
    for line in text.lines() {
        assert!(
            !matches!(LineInfo::parse(line), LineInfo::Ignored),
            "a line the exposition parser does not recognise: {line:?}"
        );
    }
    let scrape =
        Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("the exposition parses");
    let families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    for sample in &scrape.samples {
        let family = sample
            .metric
            .trim_end_matches("_sum")
            .trim_end_matches("_count");
        assert!(
            scrape.docs.contains_key(family),
            "{} has HELP",
            sample.metric
        );
        assert!(families.contains(&family), "{} has TYPE", sample.metric);
    }

    let db = app.db.client().await;
    let count = |sql: &'static str| {
        let db = &db;
        async move { db.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) as f64 }
    };
    assert_eq!(number(find(&scrape, "tds_database_up", &[])), 1.0);
    assert_eq!(number(find(&scrape, "tds_build_info", &[("version", env!("CARGO_PKG_VERSION"))])), 1.0);
    let completed = count("SELECT count(*) FROM tds_sync_queue WHERE status = 'completed'").await;
    assert!(
        find(&scrape, "tds_queue_rows", &[("status", "completed")]).is_none(),
        "completed rows are history: counted by tds_queue_completed_total, not a gauge"
    );
    assert_eq!(
        number(find(
            &scrape,
            "tds_queue_rows",
            &[("status", "dead"), ("lane", "catalog"), ("module", "items")]
        )),
        2.0
    );
    assert_eq!(
        number(find(
            &scrape,
            "tds_queue_status_rows",
            &[("status", "dead")]
        )),
        2.0
    );
    assert_eq!(
        number(find(
            &scrape,
            "tds_queue_status_rows",
            &[("status", "pending")]
        )),
        0.0
    );
    assert_eq!(
        number(find(
            &scrape,
            "tds_queue_completed_total",
            &[("lane", "catalog"), ("module", "items")]
        )),
        completed
    );
    let applied = count("SELECT count(*) FROM tds_sync_log WHERE outcome = 'applied'").await;
    assert!(applied >= 2.0);
    assert_eq!(
        number(find(
            &scrape,
            "tds_sync_attempts_total",
            &[("module", "items"), ("outcome", "applied")]
        )),
        applied
    );
    assert_eq!(
        number(find(
            &scrape,
            "tds_sync_attempts_total",
            &[("module", "items"), ("outcome", "dead")]
        )),
        2.0
    );
    let accepted =
        count("SELECT sum(count)::bigint FROM tds_intake_counters WHERE outcome = 'accepted'")
            .await;
    assert_eq!(
        number(find(
            &scrape,
            "tds_intake_events_total",
            &[("outcome", "accepted"), ("module", "items")]
        )),
        accepted
    );
    assert_eq!(
        number(find(&scrape, "tds_dead_letters_open", &[("module", "items")])),
        2.0
    );
    assert_eq!(
        number(find(&scrape, "tds_dead_letters_total", &[("module", "items")])),
        2.0
    );
    assert_eq!(
        number(find(
            &scrape,
            "tds_alerts_active",
            &[("severity", "warning"), ("status", "open")]
        )),
        1.0
    );
    assert_eq!(
        number(find(
            &scrape,
            "tds_circuit_breaker_state",
            &[("name", "outbound:alerts-webhook"), ("state", "open")]
        )),
        1.0
    );
    assert_eq!(
        number(find(
            &scrape,
            "tds_circuit_breaker_state",
            &[("name", "outbound:alerts-webhook"), ("state", "closed")]
        )),
        0.0
    );
    assert_eq!(
        number(find(
            &scrape,
            "tds_circuit_breaker_consecutive_failures",
            &[("name", "outbound:alerts-webhook")]
        )),
        5.0
    );
    let db = app.db.client().await;
    for lane in ["sales", "catalog", "purchases", "inventory"] {
        let row = db
            .query_one(
                "SELECT (drainer_until > now())::int4, wakes_sent, sessions FROM tds_lane_drains WHERE lane = $1",
                &[&lane],
            )
            .await
            .unwrap();
        let labels = [("lane", lane)];
        assert_eq!(number(find(&scrape, "tds_lane_draining", &labels)), f64::from(row.get::<_, Option<i32>>(0).unwrap_or(0)));
        assert_eq!(number(find(&scrape, "tds_lane_wakes_sent_total", &labels)), row.get::<_, i64>(1) as f64);
        assert_eq!(number(find(&scrape, "tds_lane_drain_sessions_total", &labels)), row.get::<_, i64>(2) as f64);
    }
    assert!(
        number(find(
            &scrape,
            "tds_runs_total",
            &[
                ("component", "processor-catalog"),
                ("lane", "catalog"),
                ("status", "completed")
            ]
        )) >= 4.0
    );

    for (name, expected_count) in [
        ("tds_end_to_end_latency_seconds", completed),
        (
            "tds_apply_duration_seconds",
            count("SELECT count(*) FROM tds_sync_log WHERE duration_ms IS NOT NULL").await,
        ),
    ] {
        let labels = [("lane", "catalog"), ("module", "items")];
        let Some(Metric::Histogram(buckets)) = find(&scrape, name, &labels) else {
            panic!("{name} is a histogram with lane and module labels");
        };
        assert!(
            buckets
                .windows(2)
                .all(|w| w[0].less_than < w[1].less_than && w[0].count <= w[1].count),
            "{name}: {buckets:?}"
        );
        let infinite = buckets.last().unwrap();
        assert!(infinite.less_than.is_infinite(), "{name} ends with +Inf");
        assert_eq!(infinite.count, expected_count, "{name}");
        assert_eq!(
            number(find(&scrape, &format!("{name}_count"), &labels)),
            expected_count,
            "{name}_count"
        );
        assert!(number(find(&scrape, &format!("{name}_sum"), &labels)) >= 0.0);
    }

    let per_name: HashMap<&str, usize> = scrape.samples.iter().fold(HashMap::new(), |mut m, s| {
        *m.entry(s.metric.as_str()).or_default() += 1;
        m
    });
    assert!(per_name.len() >= 14, "{per_name:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scrape_with_the_database_down_answers_200_with_database_up_0() {
    // A port nothing listens on, allowed as the database host: the open fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("database_url=postgres://tds@127.0.0.1:{closed}/none?sslmode=disable");
    let host = format!("database_host=127.0.0.1:{closed}");
    let app = start(&[&url, &host]).await;
    let reply = call(&app, "GET", "/metrics", Some(TOKEN), None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let scrape = Scrape::parse(reply.text.lines().map(|l| Ok(l.to_string())))
        .expect("the exposition parses");
    assert_eq!(number(find(&scrape, "tds_database_up", &[])), 0.0, "{}", reply.text);
    assert_eq!(
        number(find(&scrape, "tds_build_info", &[("version", env!("CARGO_PKG_VERSION"))])),
        1.0,
        "{}",
        reply.text
    );
    assert!(find(&scrape, "tds_queue_status_rows", &[]).is_none(), "{}", reply.text);
}

/// Every counter and histogram sample of `scrape`: `(metric, sorted labels)` → value
/// (a histogram bucket as `metric{…, le}`, its count and sum as `_count`, `_sum`).
fn monotonic_samples(scrape: &Scrape) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for sample in &scrape.samples {
        let mut labels: Vec<String> = sample.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        labels.sort();
        let key = format!("{}{{{}}}", sample.metric, labels.join(","));
        match &sample.value {
            Metric::Counter(n) => {
                out.insert(key, *n);
            }
            Metric::Histogram(buckets) => {
                for b in buckets {
                    out.insert(format!("{key}le={}", b.less_than), b.count);
                }
            }
            Metric::Untyped(n) if sample.metric.ends_with("_count") || sample.metric.ends_with("_sum") => {
                out.insert(key, *n);
            }
            _ => {}
        }
    }
    out
}

/// Rows of the tables retention empties.
async fn history_rows(db: &tokio_postgres::Client) -> i64 {
    let mut rows = 0;
    for table in ["tds_sync_log", "tds_inbox_events", "tds_metrics", "tds_intake_counters", "tds_sync_runs"] {
        rows += db
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap()
            .get::<_, i64>(0);
    }
    rows
}

/// What a session has visited of the history tables (tuples read by sequential scans and
/// fetched through indexes, from PostgreSQL's per-table statistics), and how many scans
/// `tds_metric_totals` has had.
async fn visited(db: &tokio_postgres::Client) -> (i64, i64) {
    db.execute("SELECT pg_stat_clear_snapshot()", &[]).await.unwrap();
    let row = db
        .query_one(
            "SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0)::int8,
                 (SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'tds_metric_totals')::int8
             FROM pg_stat_user_tables
             WHERE relname IN ('tds_inbox_events', 'tds_sync_queue', 'tds_sync_log', 'tds_sync_runs',
                 'tds_dead_letters', 'tds_audit_trail', 'tds_metrics', 'tds_intake_counters')",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test(flavor = "multi_thread")]
async fn no_counter_goes_down_when_retention_deletes_the_history() {
    let app = start(&[]).await;
    applied_item(&app, "r1").await;
    applied_item(&app, "r2").await;
    transient_dead_letter(&app, "r-locked").await;
    permanent_dead_letter(&app, "r-poison").await;
    let db = app.db.client().await;
    // Two days back: older than the shortest retention (one day), so it can go.
    set_config(&db, "heal_rollup_max_minutes", "10080").await;
    age_and_heal(&app, "2 days").await;
    let before = scrape(&app).await;
    let counters_before = monotonic_samples(&before);
    assert!(
        counters_before
            .get("tds_queue_completed_total{lane=catalog,module=items}")
            .copied()
            .unwrap_or(0.0)
            >= 2.0,
        "the history was rolled up: {counters_before:?}"
    );

    let rows_before = history_rows(&db).await;
    for key in [
        "retention_inbox_days",
        "retention_log_days",
        "retention_metrics_days",
        "retention_completed_queue_days",
    ] {
        set_config(&db, key, "1").await;
    }
    let (status, report) = internal::call(&app.client, &app.url(""), "/internal/heal", TOKEN).await;
    assert_eq!(status, 200, "{report}");
    let rows_after = history_rows(&db).await;
    assert!(
        rows_after < rows_before / 2,
        "retention deleted the history ({rows_before} rows → {rows_after}): {report}"
    );

    let after = monotonic_samples(&scrape(&app).await);
    for (sample, value) in &counters_before {
        let now = after.get(sample).copied().unwrap_or(0.0);
        assert!(now >= *value, "{sample} went down across retention: {value} → {now}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scrape_reads_no_history() {
    let app = start(&[]).await;
    applied_item(&app, "h1").await;
    let db = app.db.client().await;
    // 60,000 rows of history: completed queue rows with their inbox events, attempts in
    // the sync log, finished runs, resolved dead letters.
    for sql in [
        "INSERT INTO tds_inbox_events (correlation_id, module, entity_id, operation, http_method, payload_shape,
             raw_body, document, source_modified_at, version_source, content_hash, idempotency_key, status, received_at)
         SELECT 'history-' || i, 'items', 'history-' || i, 'upsert', 'POST', 'wrapped', NULL, '{}',
             now() - interval '2 hours', 'last_modified_time', 'history', 'history-' || i, 'accepted', now() - interval '1 hour'
         FROM generate_series(1, 15000) i",
        "INSERT INTO tds_sync_queue (module, entity_id, lane, priority, operation, inbox_event_id, source_modified_at,
             status, completed_at, created_at)
         SELECT e.module, e.entity_id, 'catalog', 100, 'upsert', e.id, e.source_modified_at, 'completed',
             now() - interval '50 minutes', e.received_at
         FROM tds_inbox_events e WHERE e.correlation_id LIKE 'history-%'",
        "INSERT INTO tds_sync_log (queue_id, inbox_event_id, module, entity_id, lane, operation, attempt, outcome,
             duration_ms, created_at)
         SELECT q.id, q.inbox_event_id, q.module, q.entity_id, q.lane, 'upsert', 1, 'applied', 2.5, q.completed_at
         FROM tds_sync_queue q WHERE q.entity_id LIKE 'history-%'",
        "INSERT INTO tds_sync_runs (component, lane, run_owner, trigger, status, started_at, finished_at)
         SELECT 'processor-catalog', 'catalog', 'history-' || i, 'cron', 'completed', now() - interval '1 hour', now() - interval '1 hour'
         FROM generate_series(1, 15000) i",
        "ANALYZE",
    ] {
        db.execute(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // Wait until every session's statistics (the inserts above, the app's requests) have
    // arrived: two readings a few seconds apart agree.
    db.execute("SELECT pg_stat_force_next_flush()", &[]).await.unwrap();
    let mut reading = visited(&db).await;
    loop {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let again = visited(&db).await;
        if again == reading {
            break;
        }
        reading = again;
    }
    let (history_before, totals_scans_before) = reading;
    let reply = call(&app, "GET", "/metrics", Some(TOKEN), None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // The host's pooled session reports its statistics once idle (within about a second):
    // wait until the scrape's read of the totals shows, then read what else it visited.
    let history_after = eventually(Duration::from_secs(30), "the scrape's statistics arrive", || {
        let db = &db;
        async move {
            let (history, totals_scans) = visited(db).await;
            (totals_scans > totals_scans_before).then_some(history)
        }
    })
    .await;
    let read = history_after - history_before;
    eprintln!("a scrape over 60,000 rows of history visited {read} of them");
    assert!(
        read <= HISTORY_ROWS_PER_SCRAPE,
        "a scrape visited {read} rows of history tables holding 60,000 (bound {HISTORY_ROWS_PER_SCRAPE})"
    );
}

/// The most rows of history tables one scrape may visit (the backlog it reads: here one
/// open row at most, plus what the planner's index probes touch).
const HISTORY_ROWS_PER_SCRAPE: i64 = 100;
