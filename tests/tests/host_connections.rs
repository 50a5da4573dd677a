//! Connections stay bounded, as they must under Spin (docs/spin.md, "Outbound PostgreSQL"):
//! the real `tds up` serves the repository's spin.toml with every cron schedule on — the four
//! processors' safety net and heal, each once a minute — for a minute with nothing to do,
//! and another `tds up`, on a database of its own, for a minute with a trickle of webhooks,
//! each waking its lane; the two minutes run at once. Throughout, each database's client connections stay at a few
//! per component, no cron invocation outlives its time budget by more than a second, and no
//! component ever sends a query Spin 4.0.2 would hang on (the host refuses those and logs
//! the refusal).
//!
//! Under real Spin 4.0.2 a single query without rows hangs its invocation with its
//! connection checked out, and the processors' invocations then exhaust PostgreSQL's
//! connections: that is what this test would show.

use std::time::{Duration, Instant};

use serde_json::json;
use tds_tests::host_process::{HostOptions, HostProcess};
use tds_tests::{cluster, TestDatabase};
use tokio_postgres::Client;

const KEY: &str = "host-connections-key-0123456789";
const TOKEN: &str = "host-connections-token";
/// How long each regime runs.
const PHASE: Duration = Duration::from_secs(60);
/// The processors' `time_budget_ms` default: no invocation may run longer than this plus 1 s.
const TIME_BUDGET_MS: u64 = 25_000;
/// The manifest's components: intake, stats, four processors, heal, reconcile.
const COMPONENTS: i64 = 8;
/// "A few" connections per component.
const PER_COMPONENT: i64 = 3;
/// The processors' cron schedules (each once a minute, staggered across it): every one
/// fires within a regime's minute.
const PROCESSORS: [&str; 4] = ["processor-sales", "processor-catalog", "processor-purchases", "processor-inventory"];

#[tokio::test(flavor = "multi_thread")]
async fn idle_and_trickle_runs_keep_connections_bounded_and_invocations_within_budget() {
    let (idle, trickle) = tokio::join!(run("idle", false), run("trickle", true));
    for regime in [&idle, &trickle] {
        regime.check();
    }
    assert!(trickle.applied > 0, "the trickle was applied");
}

/// What one regime's minute showed.
struct Regime {
    name: &'static str,
    peak: i64,
    /// `(component, elapsed ms)` of every finished cron run.
    runs: Vec<(String, u64)>,
    log: String,
    applied: i64,
}

/// A `tds up` of its own, on a fresh database, for [`PHASE`]: idle, or sent a webhook every
/// half second.
async fn run(name: &'static str, trickle: bool) -> Regime {
    let database = TestDatabase::new().await;
    let mut host = HostProcess::start(HostOptions {
        label: format!("host-connections-{name}"),
        database_url: database.url.clone(),
        database_host: cluster().host_port().into(),
        variables: vec![format!("webhook_key={KEY}"), format!("stats_token={TOKEN}")],
        env: vec![("TDS_LOG".into(), "info,tds::cron_trigger=debug".into())],
        ..HostOptions::default()
    });
    host.wait_ready(Duration::from_secs(120)).await;
    let observer = database.client().await;
    let client = reqwest::Client::new();
    let mut sent = 0u32;
    let peak = peak_connections(&observer, &database.name, PHASE, || {
        sent += 1;
        let (client, url) = (client.clone(), host.url("/webhooks/zoho/items"));
        let id = format!("trickle-{sent}");
        async move {
            if !trickle {
                return;
            }
            let body = json!({"item": {"item_id": id, "name": "Trickle", "rate": 1,
                "last_modified_time": "2026-11-20T10:15:00+0000"}});
            let response = client.post(url).header("X-Webhook-Key", KEY).json(&body).send().await;
            let status = response.map(|r| r.status().as_u16()).unwrap_or(0);
            assert_eq!(status, 202, "intake accepts the trickle");
        }
    })
    .await;
    let applied: i64 = observer
        .query_one("SELECT count(*) FROM erp_items WHERE item_id LIKE 'trickle-%'", &[])
        .await
        .unwrap()
        .get(0);
    let log_path = host.log_path();
    drop(host);
    let log = std::fs::read_to_string(&log_path).expect("reading the host's log");
    let runs = cron_runs(&log);
    eprintln!(
        "{name}: peak {peak} connections; {} cron runs, the longest {} ms; {applied} applied",
        runs.len(),
        runs.iter().map(|(_, ms)| *ms).max().unwrap_or(0)
    );
    Regime { name, peak, runs, log, applied }
}

impl Regime {
    fn check(&self) {
        let (name, log, runs) = (self.name, &self.log, &self.runs);
        let ceiling = COMPONENTS * PER_COMPONENT;
        assert!(self.peak <= ceiling, "{name}: {} connections, more than {ceiling}", self.peak);
        assert!(
            !log.contains("spinframework/spin#3671"),
            "{name}: a component sent a query Spin 4.0.2 would hang on:\n{}",
            log.lines().filter(|l| l.contains("3671")).take(5).collect::<Vec<_>>().join("\n")
        );
        assert!(!log.contains("cron run failed"), "{name}: a cron run failed");
        for processor in PROCESSORS {
            assert!(runs.iter().any(|(c, _)| c == processor), "{name}: {processor}'s cron ran");
        }
        assert!(runs.iter().any(|(c, _)| c == "heal"), "{name}: heal ran");
        for (component, ms) in runs {
            assert!(
                *ms <= TIME_BUDGET_MS + 1000,
                "{name}: a run of {component} took {ms} ms, past its {TIME_BUDGET_MS} ms budget plus 1 s"
            );
        }
    }
}

/// Samples the client connections to `database` (other than the observer's) every 200 ms
/// for `phase`, calling `tick` every 500 ms; the most seen at once.
async fn peak_connections<F, Fut>(observer: &Client, database: &str, phase: Duration, mut tick: F) -> i64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    let mut peak = 0;
    let mut next_tick = Instant::now();
    while started.elapsed() < phase {
        if Instant::now() >= next_tick {
            tick().await;
            next_tick += Duration::from_millis(500);
        }
        let count: i64 = observer
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&database],
            )
            .await
            .expect("counting connections")
            .get(0);
        peak = peak.max(count);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    peak
}

/// `(component, elapsed ms)` of every `cron run finished` line of the host's log.
fn cron_runs(log: &str) -> Vec<(String, u64)> {
    log.lines()
        .filter(|line| line.contains("cron run finished"))
        .filter_map(|line| Some((field(line, "component")?.to_string(), field(line, "elapsed_ms")?.parse().ok()?)))
        .collect()
}

/// The value of `name=value` in a log line.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let start = line.find(&format!("{name}="))? + name.len() + 1;
    line[start..].split_whitespace().next()
}
