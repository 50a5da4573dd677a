//! The reliability suite's fault scenarios: the real `tds up` binary ([`HostProcess`]) and a
//! real PostgreSQL under a flood of authentic item webhooks (several versions per item, in
//! random order, [`CONCURRENCY`] in flight, each delivery sent again after a connection
//! error or a 5xx as Zoho does) while a fault is injected. Once the flood is over and the
//! queue has drained, the invariant of `tds_tests::reliability` is checked: every accepted
//! event applied, overtaken or dead-lettered with a reason, none applied twice, nothing
//! unauthenticated stored, nothing still waiting.
//!
//! - PostgreSQL stopped and started again (same data, same port) during the flood: intake
//!   answers 503 with a JSON `database_unavailable` error for what it cannot store, never a
//!   2xx and never another 5xx, and the host answers every request; the clients' retries
//!   lose nothing.
//! - The host killed with SIGKILL while a processor batch holds leases, several times, and
//!   `tds up` started again each time while the flood goes on: heal reclaims every lease the
//!   dead hosts left behind and the queue drains.
//! - Scaled out: two `tds up` processes on one PostgreSQL of the scenario's own, the flood
//!   spread over both, one of them killed with SIGKILL and started again several times:
//!   every entity ends at its newest version and nothing is dead-lettered (two hosts'
//!   processors race for the same rows while intake re-points them).
//!
//! `TDS_RELIABILITY_SOAK=1` makes each scenario a longer soak: more events, more outages and
//! kills. The scenarios run one at a time (each loads a small machine on its own, and leases
//! and back-off are timed for that). Each writes its row to `target/reliability/<name>.md`.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::TimeZone;
use futures::stream::{self, StreamExt};
use rand::seq::SliceRandom;
use serde_json::{json, Value};
use tds::embedded_postgres::{EmbeddedOptions, EmbeddedPostgres, SUPERUSER};
use tds_core::entity::Module;
use tds_tests::host_process::{HostOptions, HostProcess};
use tds_tests::internal::waiting;
use tds_tests::wait::eventually;
use tds_tests::reliability::{event_key, item, settle, soak, Ledger, Retry, Sender};
use tds_tests::{cluster, repo_root, scalar_i64, set_config, TestDatabase};
use tokio::task::JoinHandle;
use tokio_postgres::{Client, NoTls};

const KEY: &str = "reliability-faults-key-0123456789";
const TOKEN: &str = "reliability-faults-token";
/// Deliveries in flight at once.
const CONCURRENCY: usize = 16;
/// The lease of the host's processors: short, so the leases of a killed or cut-off batch
/// expire soon and heal can reclaim them.
const LEASE_SECONDS: u32 = 3;
/// How long a client keeps delivering one event that is not answered 2xx or 4xx.
const DELIVERY_PATIENCE: Duration = Duration::from_secs(180);
/// How long a scenario waits for the host to serve, for a flood to reach a fault, and for
/// the queue to drain.
const PATIENCE: Duration = Duration::from_secs(120);
/// How long PostgreSQL stays down per outage.
const OUTAGE: Duration = Duration::from_secs(3);

/// The size of a scenario.
#[derive(Debug, Clone, Copy)]
struct Plan {
    entities: usize,
    versions: usize,
    /// Outages or kills, spread evenly over the flood.
    faults: usize,
}

impl Plan {
    fn events(&self) -> usize {
        self.entities * self.versions
    }

    /// Fault `index` (from 0) strikes once this many events are accepted.
    fn threshold(&self, index: usize) -> usize {
        self.events() * (index + 1) / (self.faults + 1)
    }
}

/// The scenarios run one at a time; the guard is held for a whole scenario.
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    SERIAL.lock().await
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_stopped_and_restarted_during_an_intake_flood_loses_nothing() {
    let _serial = one_at_a_time().await;
    let plan = match soak() {
        true => Plan {
            entities: 5000,
            versions: 3,
            faults: 10,
        },
        false => Plan {
            entities: 1000,
            versions: 3,
            faults: 3,
        },
    };
    let mut pg = RestartablePostgres::start("reliability-pg-outage");
    let url = pg.fresh_database("reliability").await;
    let mut host = HostProcess::start(host_options("reliability-pg-outage", &url, &pg.host_port()));
    host.wait_ready(PATIENCE).await;
    let started = Instant::now();
    let mut db = connect(&url).await;
    tune_queue(&db).await;

    let sender = Sender::new(host.base_url(), KEY);
    let ledger = Arc::new(Ledger::new());
    ledger.expect_injected_faults();
    let answers = Arc::new(Answers::default());
    let flood = spawn_flood(std::slice::from_ref(&sender), &ledger, &answers, shuffled_items("pg", plan));
    let mut mid_batch = 0;
    for outage in 0..plan.faults {
        wait_for_accepted(&ledger, plan.threshold(outage)).await;
        mid_batch += u64::from(a_batch_runs(&db).await);
        pg.stop();
        let probe = item(
            &format!("outage-probe-{outage}"),
            "probe",
            1.0,
            chrono::Utc::now(),
        );
        assert_refused_while_down(&sender, &ledger, &answers, &probe).await;
        tokio::time::sleep(OUTAGE).await;
        pg.resume();
        db = connect(&url).await;
    }
    let last_answers = flood.await.expect("the flood task");

    drain_until_quiet(&host, &db).await;
    let counts = answers.by_status();
    let reclaimed = reclaimed_by_heal(&db).await;
    eprintln!(
        "postgres-stopped-and-restarted: {} outages ({mid_batch} while a batch ran), {reclaimed} \
         leases reclaimed by heal; answers by status {counts:?}; flood, outages and drain {:.1} s",
        plan.faults,
        started.elapsed().as_secs_f64()
    );
    settle_flood("postgres-stopped-and-restarted", &db, &ledger, &answers, &last_answers).await;
    assert!(
        answers.of(503) > plan.faults as u64,
        "the flood met the outages: {counts:?}"
    );
    assert_eq!(answers.other_5xx(), 0, "a 5xx other than 503: {counts:?}");
    assert_eq!(
        answers.of(0),
        0,
        "the host answers every request: {counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_killed_with_sigkill_repeatedly_under_load_leaves_leases_heal_reclaims() {
    let _serial = one_at_a_time().await;
    let plan = match soak() {
        true => Plan {
            entities: 5000,
            versions: 3,
            faults: 15,
        },
        false => Plan {
            entities: 1000,
            versions: 3,
            faults: 5,
        },
    };
    let database = TestDatabase::new().await;
    let db = database.client().await;
    tune_queue(&db).await;
    let label = "reliability-sigkill";
    let mut host = HostProcess::start(host_options(label, &database.url, cluster().host_port()));
    host.wait_ready(PATIENCE).await;
    let started = Instant::now();

    let sender = Sender::new(host.base_url(), KEY);
    let ledger = Arc::new(Ledger::new());
    let answers = Arc::new(Answers::default());
    let flood = spawn_flood(&[sender], &ledger, &answers, shuffled_items("kill", plan));
    let mut orphaned = HashSet::new();
    let mut mid_batch = 0;
    for kill in 0..plan.faults {
        wait_for_accepted(&ledger, plan.threshold(kill)).await;
        mid_batch += u64::from(a_batch_runs(&db).await);
        host.kill();
        orphaned.extend(leases_held(&db).await);
        tokio::time::sleep(Duration::from_millis(300)).await;
        host.restart();
        host.wait_ready(PATIENCE).await;
    }
    let last_answers = flood.await.expect("the flood task");

    drain_until_quiet(&host, &db).await;
    let counts = answers.by_status();
    let reclaimed = reclaimed_by_heal(&db).await;
    let orphaned = orphaned.len() as u64;
    eprintln!(
        "host-sigkill-under-load: {} kills ({mid_batch} while a batch ran), {orphaned} leases \
         orphaned, {reclaimed} recorded as reclaimed by heal; answers by status {counts:?}; \
         flood, kills and drain {:.1} s",
        plan.faults,
        started.elapsed().as_secs_f64()
    );
    settle_flood("host-sigkill-under-load", &db, &ledger, &answers, &last_answers).await;
    // Only heal moves a processing row whose owner is dead (every other move is a
    // compare-and-set on the owner), so with no row left processing (`in_flight`, checked
    // by `assert_holds`) heal reclaimed every orphaned lease. Its recorded count can be
    // lower: a heal run killed with its host reclaims without recording its counts.
    assert!(orphaned > 0, "no kill left a lease behind");
    assert_eq!(answers.other_5xx(), 0, "a 5xx other than 503: {counts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hosts_on_one_database_with_one_killed_repeatedly_leave_every_entity_at_its_newest_version() {
    let _serial = one_at_a_time().await;
    let plan = match soak() {
        true => Plan {
            entities: 12000,
            versions: 3,
            faults: 10,
        },
        false => Plan {
            entities: 1500,
            versions: 3,
            faults: 3,
        },
    };
    let pg = RestartablePostgres::start("reliability-scale-out");
    let url = pg.fresh_database("reliability").await;
    let mut steady = HostProcess::start(host_options("reliability-scale-out-a", &url, &pg.host_port()));
    steady.wait_ready(PATIENCE).await;
    let mut killed = HostProcess::start(host_options("reliability-scale-out-b", &url, &pg.host_port()));
    killed.wait_ready(PATIENCE).await;
    let db = connect(&url).await;
    tune_queue(&db).await;
    let started = Instant::now();

    let senders = [
        Sender::new(steady.base_url(), KEY),
        Sender::new(killed.base_url(), KEY),
    ];
    let ledger = Arc::new(Ledger::new());
    let answers = Arc::new(Answers::default());
    let flood = spawn_flood(&senders, &ledger, &answers, shuffled_items("scale", plan));
    for kill in 0..plan.faults {
        wait_for_accepted(&ledger, plan.threshold(kill)).await;
        a_batch_runs(&db).await;
        killed.kill();
        tokio::time::sleep(Duration::from_millis(300)).await;
        killed.restart();
        killed.wait_ready(PATIENCE).await;
    }
    let last_answers = flood.await.expect("the flood task");

    drain_until_quiet(&steady, &db).await;
    let counts = answers.by_status();
    eprintln!(
        "scale-out-two-hosts: {} kills of one host; answers by status {counts:?}; flood, kills \
         and drain {:.1} s",
        plan.faults,
        started.elapsed().as_secs_f64()
    );
    let tally = settle("scale-out-two-hosts", &db, &ledger).await;
    tally.record();
    tally.assert_holds();
    assert_eq!(tally.dead_lettered, 0, "{tally:#?}");
    assert_eq!(answers.total(), tally.deliveries, "every request is a delivery");
    assert_every_event_accepted(&last_answers);
    assert_eq!(answers.other_5xx(), 0, "a 5xx other than 503: {counts:?}");
}

/// `tds up` for `database_url` with the scenario's key, token and lease, cron on.
fn host_options(label: &str, database_url: &str, database_host: &str) -> HostOptions {
    HostOptions {
        label: label.into(),
        database_url: database_url.into(),
        database_host: database_host.into(),
        variables: vec![
            format!("webhook_key={KEY}"),
            format!("stats_token={TOKEN}"),
            format!("lease_seconds={LEASE_SECONDS}"),
        ],
        ..HostOptions::default()
    }
}

/// Short retry delays, so rows sent back to the queue are due again within seconds, and a
/// lock wait well under half the lease, as the processor requires.
async fn tune_queue(db: &Client) {
    for (key, value) in [
        ("backoff_base_ms", "200"),
        ("backoff_cap_ms", "2000"),
        ("lock_timeout_ms", "1000"),
    ] {
        set_config(db, key, value).await;
    }
}

/// `plan.entities` items of `plan.versions` versions each, an hour apart, in random order.
fn shuffled_items(prefix: &str, plan: Plan) -> Vec<Value> {
    let first = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let mut events: Vec<Value> = (0..plan.entities)
        .flat_map(|entity| {
            let id = format!("{prefix}-{entity}");
            (1..=plan.versions).map(move |version| {
                let at = first + chrono::Duration::hours(version as i64);
                item(&id, &format!("{id} v{version}"), version as f64, at)
            })
        })
        .collect();
    events.shuffle(&mut rand::rng());
    events
}

/// Intake's answers by status, every request counted (0: no answer at all).
#[derive(Debug, Default)]
struct Answers(Mutex<BTreeMap<u16, u64>>);

impl Answers {
    fn count(&self, status: u16) {
        *self.0.lock().unwrap().entry(status).or_default() += 1;
    }

    fn by_status(&self) -> BTreeMap<u16, u64> {
        self.0.lock().unwrap().clone()
    }

    fn of(&self, status: u16) -> u64 {
        self.by_status().get(&status).copied().unwrap_or(0)
    }

    fn total(&self) -> u64 {
        self.by_status().values().sum()
    }

    /// Answers 500–599 other than 503.
    fn other_5xx(&self) -> u64 {
        self.by_status()
            .iter()
            .filter(|(status, _)| (500..600).contains(*status) && **status != 503)
            .map(|(_, n)| n)
            .sum()
    }
}

/// Delivers `record` as Zoho does — again after a connection error or a 5xx, the pause
/// doubling from 50 ms to 1 s, for up to [`DELIVERY_PATIENCE`] — counting every answer.
/// Returns the last status.
async fn deliver(sender: &Sender, ledger: &Ledger, answers: &Answers, record: &Value) -> u16 {
    let started = Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        let status = sender
            .deliver(ledger, Module::Items, record, Retry::Never)
            .await;
        answers.count(status);
        let again = status == 0 || status >= 500;
        if !again || started.elapsed() > DELIVERY_PATIENCE {
            return status;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

/// Delivers every event, [`CONCURRENCY`] at a time, in a task of its own, event `i`
/// through `senders[i % senders.len()]`; the task returns each event's last status.
fn spawn_flood(
    senders: &[Sender],
    ledger: &Arc<Ledger>,
    answers: &Arc<Answers>,
    events: Vec<Value>,
) -> JoinHandle<Vec<u16>> {
    let (senders, ledger, answers) = (senders.to_vec(), ledger.clone(), answers.clone());
    tokio::spawn(async move {
        stream::iter(events.into_iter().enumerate())
            .map(|(i, record)| {
                let (sender, ledger, answers) = (&senders[i % senders.len()], &ledger, &answers);
                async move { deliver(sender, ledger, answers, &record).await }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await
    })
}

/// Waits until intake has accepted `count` distinct events.
async fn wait_for_accepted(ledger: &Ledger, count: usize) {
    eventually(
        PATIENCE,
        &format!("{count} events accepted"),
        || async move { (ledger.accepted() >= count).then_some(()) },
    )
    .await;
}

/// The invariant after a flood, recorded as `scenario`'s row; also every request the
/// answers counted is a delivery of the ledger, and every event was accepted in the end.
async fn settle_flood(
    scenario: &str,
    db: &Client,
    ledger: &Ledger,
    answers: &Answers,
    last_answers: &[u16],
) {
    let tally = settle(scenario, db, ledger).await;
    tally.record();
    tally.assert_holds();
    assert_eq!(answers.total(), tally.deliveries, "every request is a delivery");
    assert_every_event_accepted(last_answers);
}

fn assert_every_event_accepted(last_answers: &[u16]) {
    let refused: Vec<u16> = last_answers
        .iter()
        .copied()
        .filter(|status| !(200..300).contains(status))
        .collect();
    assert!(
        refused.is_empty(),
        "{} events were never accepted; their last answers: {refused:?}",
        refused.len()
    );
}

/// One authentic delivery while PostgreSQL is down, written into the ledger and the
/// answers like any other: intake must refuse it with 503 and a JSON
/// `database_unavailable` error.
async fn assert_refused_while_down(
    sender: &Sender,
    ledger: &Ledger,
    answers: &Answers,
    record: &Value,
) {
    let key = event_key(Module::Items, record);
    ledger.sent(&key);
    let response = sender
        .client
        .post(format!("{}/webhooks/zoho/items", sender.base_url))
        .header("x-webhook-key", &sender.key)
        .json(&json!({ "item": record }))
        .send()
        .await
        .expect("intake answers while PostgreSQL is down");
    let status = response.status().as_u16();
    ledger.answered(&key, status);
    answers.count(status);
    let body: Value = response.json().await.expect("intake answers JSON");
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["error"]["code"],
        json!("database_unavailable"),
        "{body}"
    );
}

/// Waits up to 5 s for a processor to hold leases, so that the fault that follows
/// interrupts its batch; whether one did.
async fn a_batch_runs(db: &Client) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if processing_rows(db).await > 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

async fn processing_rows(db: &Client) -> u64 {
    scalar(
        db,
        "SELECT count(*) FROM tds_sync_queue WHERE status = 'processing'",
    )
    .await
}

/// The leases processing rows are held under: `(queue id, lease owner)`.
async fn leases_held(db: &Client) -> Vec<(i64, String)> {
    db.query(
        "SELECT id, lease_owner FROM tds_sync_queue WHERE status = 'processing'",
        &[],
    )
    .await
    .expect("reading the leases held")
    .iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect()
}

/// Expired leases heal's runs sent back to the queue (requeued or merged).
async fn reclaimed_by_heal(db: &Client) -> u64 {
    scalar(
        db,
        "SELECT coalesce(sum((counts->'reclaim'->>'reclaimed')::bigint \
         + (counts->'reclaim'->>'coalesced')::bigint), 0)::bigint \
         FROM tds_sync_runs WHERE component = 'heal'",
    )
    .await
}

async fn scalar(db: &Client, sql: &str) -> u64 {
    scalar_i64(db, sql).await as u64
}

/// Runs the catalog processor and heal through their routes (besides their cron
/// schedules) until no queue row is pending, due for retry or processing.
async fn drain_until_quiet(host: &HostProcess, db: &Client) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    let (client, host) = (&client, host);
    eventually(PATIENCE, "the queue drains", || async move {
        // A failed run shows as rows still waiting; the next round runs them again.
        for path in ["/internal/heal", "/internal/drain/catalog"] {
            let _ = client.post(host.url(path)).bearer_auth(TOKEN).send().await;
        }
        if waiting(db).await == 0 {
            return Some(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        None
    })
    .await;
}

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
    tokio::spawn(connection);
    client
}

/// A PostgreSQL of the scenario's own, stopped and started again in place: same data folder
/// (`target/tds-test-<label>/postgres`, kept between runs, fsync off), same port.
///
/// It is started and stopped on the test's own thread (`block_in_place`): the server is
/// told to stop when the thread that started it ends (parent-death signal), and the test's
/// thread lives as long as the test.
struct RestartablePostgres {
    options: EmbeddedOptions,
    server: Option<EmbeddedPostgres>,
}

impl RestartablePostgres {
    fn start(label: &str) -> RestartablePostgres {
        let data_dir = repo_root()
            .join("target")
            .join(format!("tds-test-{label}"))
            .join("postgres");
        let options = EmbeddedOptions {
            port: Some(free_port()),
            fsync: false,
            ..EmbeddedOptions::durable(data_dir)
        };
        let mut pg = RestartablePostgres {
            options,
            server: None,
        };
        pg.resume();
        pg
    }

    /// Fast shutdown: open sessions end, committed data stays.
    fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            tokio::task::block_in_place(|| server.stop());
        }
    }

    /// Starts the server again on the same data and port.
    fn resume(&mut self) {
        let options = self.options.clone();
        let server = tokio::task::block_in_place(|| EmbeddedPostgres::start(options))
            .unwrap_or_else(|e| panic!("starting the scenario's PostgreSQL: {e}"));
        self.server = Some(server);
    }

    fn port(&self) -> u16 {
        self.options.port.expect("a fixed port")
    }

    fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.port())
    }

    fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@127.0.0.1:{}/{database}?sslmode=disable",
            self.port()
        )
    }

    /// Drops `name` if an earlier run left it and creates it empty; its URL.
    async fn fresh_database(&self, name: &str) -> String {
        let admin = connect(&self.url("postgres")).await;
        for statement in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin
                .batch_execute(&statement)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        self.url(name)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("finding a free port")
        .port()
}
