//! What the reliability scenarios (`reliability_storms`, `reliability_hostile`) share: the
//! application with a webhook key and a stats token, quick retries, draining every lane
//! through its authenticated route (in the background during a storm; until nothing waits
//! through `tds_tests::internal::drain_until_idle` with [`TOKEN`]), Zoho records of every
//! module at a chosen version, authentic deliveries the `Sender` cannot make (a
//! method, header, query or signature of their own), bounded concurrency, the seeded
//! generator, and the soak switch.

#![allow(dead_code)]

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};
use tds_core::entity::{Lane, Module};
use tds_tests::internal::drain_at;
use tds_tests::reliability::{zoho_time, EventKey, Ledger};
use tds_tests::webhooks::example;
use tds_tests::TestApp;

/// The shared webhook key (a secret: the secrets check looks for it everywhere).
pub const KEY: &str = "relKey-7Qx2Lm9Vt4Hs";
/// The stats token (a secret too).
pub const TOKEN: &str = "relToken-J3k8Pw5Rz1Nd";
/// How long a scenario waits for something that should happen promptly.
pub const PATIENCE: Duration = Duration::from_secs(120);
/// Requests in flight at once when a scenario floods intake.
pub const CONCURRENCY: usize = 24;

pub use tds_tests::reliability::soak;

/// `ci` normally, `soak` in soak mode.
pub fn scaled(ci: usize, soak_value: usize) -> usize {
    if soak() {
        soak_value
    } else {
        ci
    }
}

/// A generator seeded from `TDS_RELIABILITY_SEED` when set, else from `seed`; prints the
/// seed so that a failure can be replayed.
pub fn seeded(scenario: &str, seed: u64) -> StdRng {
    let seed = std::env::var("TDS_RELIABILITY_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(seed);
    eprintln!(
        "reliability: scenario {scenario}: seed {seed} (TDS_RELIABILITY_SEED={seed} replays it)"
    );
    StdRng::seed_from_u64(seed)
}

/// The application with [`KEY`] and [`TOKEN`], plus `extra` variables.
pub async fn start(extra: &[String]) -> TestApp {
    TestApp::start_keyed(KEY, TOKEN, extra).await
}

pub use tds_tests::set_config;

/// Retries due within a fraction of a second, so a scenario drains in test time.
pub async fn quick_retries(db: &tokio_postgres::Client) {
    set_config(db, "backoff_base_ms", "20").await;
    set_config(db, "backoff_cap_ms", "200").await;
}

pub use tds_tests::scalar_i64 as scalar;

/// Processors running while a scenario sends: one loop per lane, each calling its drain
/// route back to back until stopped.
pub struct BackgroundDrains {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<u64>>,
}

impl BackgroundDrains {
    pub fn start(app: &TestApp) -> BackgroundDrains {
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = Lane::ALL
            .into_iter()
            .map(|lane| {
                let (stop, client, base_url) = (stop.clone(), app.client.clone(), app.url(""));
                tokio::spawn(async move {
                    let mut runs = 0;
                    while !stop.load(Ordering::SeqCst) {
                        let report = drain_at(&client, &base_url, lane, TOKEN).await;
                        runs += 1;
                        if report["counts"]["claimed"] == json!(0) {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                    runs
                })
            })
            .collect();
        BackgroundDrains { stop, tasks }
    }

    /// Stops the loops after their current run; the number of runs made.
    pub async fn stop(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        let mut runs = 0;
        for task in self.tasks {
            runs += task.await.expect("a drain loop failed");
        }
        runs
    }
}

/// Runs `futures` with at most `limit` in flight; their outputs in completion order.
pub async fn bounded<F, T>(futures: impl IntoIterator<Item = F>, limit: usize) -> Vec<T>
where
    F: Future<Output = T>,
{
    futures::stream::iter(futures)
        .buffer_unordered(limit)
        .collect()
        .await
}

/// Version `n` of any entity: 2026-01-01 plus `n` hours.
pub fn version(n: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(i64::from(n))
}

/// Zoho's example of `module` as entity `id` at `at`, its content marked with `revision`
/// (so that versions of one entity differ in content), with the example's placeholders that
/// no real record holds replaced.
pub fn record(module: Module, id: &str, at: DateTime<Utc>, revision: u32) -> Value {
    let mut record = example(module);
    record[module.spec().id_field] = json!(id);
    record["last_modified_time"] = json!(zoho_time(at));
    record["reference_number"] = json!(format!("rev-{revision}"));
    match module {
        Module::SalesOrders => record["shipment_date"] = json!("2014-08-02"),
        Module::PurchaseOrders => record["expected_delivery_date"] = json!("2014-02-20"),
        _ => {}
    }
    record
}

/// `record` wrapped as Zoho's default payload.
pub fn wrapped(module: Module, record: &Value) -> Value {
    json!({ module.spec().wrapper_keys[0]: record })
}

/// `/webhooks/zoho/<module>`.
pub fn route(module: Module) -> String {
    format!("/webhooks/zoho/{}", module.as_str())
}

/// Sends an authentic delivery of `key` built by `request` (a fresh copy per attempt),
/// retrying a lost answer or a 5xx as Zoho does for up to [`PATIENCE`], and writes every
/// attempt and answer into `ledger`. Returns the last status (0: no answer) and body.
pub async fn deliver(
    ledger: &Ledger,
    key: &EventKey,
    request: reqwest::RequestBuilder,
) -> (u16, String) {
    let started = Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        let attempt = request
            .try_clone()
            .expect("a request without a streamed body");
        ledger.sent(key);
        let (status, body) = match attempt.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.text().await.unwrap_or_default())
            }
            Err(_) => (0, String::new()),
        };
        ledger.answered(key, status);
        if (status != 0 && status < 500) || started.elapsed() >= PATIENCE {
            return (status, body);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

/// A JSON POST of `body` to `path` with [`KEY`] in its header.
pub fn keyed_post(app: &TestApp, path: &str, body: &Value) -> reqwest::RequestBuilder {
    app.client
        .post(app.url(path))
        .header("content-type", "application/json")
        .header("x-webhook-key", KEY)
        .body(body.to_string())
}

/// The error code an answer body names (`error.code`; empty when it names none).
pub fn error_code(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(String::from))
        .unwrap_or_default()
}

/// The 95th percentile of `samples` (which it sorts).
pub fn p95(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples
        .get((samples.len() * 95).div_ceil(100).saturating_sub(1))
        .copied()
        .unwrap_or_default()
}
