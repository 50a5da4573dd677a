//! `GET /metrics`: the Prometheus text exposition format, read by the `prometheus-parse`
//! crate (every line must be one it recognises: HELP, TYPE or a sample), with figures that
//! match the database — queue gauges, completion counters, the end-to-end latency and apply
//! histograms with lane and module labels, dead letters, alerts and circuit breakers.

use std::collections::HashMap;

use prometheus_parse::{LineInfo, Scrape, Value as Metric};
use tds_tests::stats::{
    applied_item, call, permanent_dead_letter, seed_alerts_and_circuits, start,
    transient_dead_letter, TOKEN,
};

fn find<'a>(scrape: &'a Scrape, name: &str, labels: &[(&str, &str)]) -> Option<&'a Metric> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| &s.value)
}

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
    assert_eq!(
        number(find(
            &scrape,
            "tds_queue_rows",
            &[
                ("status", "completed"),
                ("lane", "catalog"),
                ("module", "items")
            ]
        )),
        completed
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
        number(find(
            &scrape,
            "tds_dead_letters",
            &[("module", "items"), ("state", "open")]
        )),
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
            count("SELECT count(*) FROM tds_sync_log").await,
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
