//! Sending requests open loop (a fixed timetable) or closed loop (a fixed number in
//! flight), with latency in an HDR histogram.
//!
//! Open loop avoids coordinated omission: request `i` is due at `start + i / rate`,
//! whether or not earlier ones have answered, and its latency is measured from that due
//! time, so a stalled server shows up as latency instead of as fewer requests sent.
//!
//! Every run also reports its [`SLOWEST_KEPT`] slowest requests with the UTC time each was
//! due (or sent), so a stall in the tail can be lined up with PostgreSQL's log (checkpoints,
//! autovacuum) and the host's.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::cpu::CpuClock;
use crate::memory::Watch;
use crate::webhook::Webhooks;
use crate::{LoadArgs, Mode};

/// What to send.
pub enum Requests {
    Webhooks(Webhooks),
    /// The same request again and again, answered `expect`.
    Fixed {
        method: reqwest::Method,
        path: String,
        expect: u16,
    },
}

impl Requests {
    fn build(&self, client: &reqwest::Client, base: &str, n: u64) -> reqwest::RequestBuilder {
        match self {
            Requests::Webhooks(webhooks) => {
                let webhook = webhooks.get(n);
                client
                    .post(format!("{base}{}", webhook.path))
                    .header("content-type", "application/json")
                    .header("x-zoho-webhook-signature", webhook.signature)
                    .header("x-request-id", webhook.request_id)
                    .body(webhook.body)
            }
            Requests::Fixed { method, path, .. } => {
                client.request(method.clone(), format!("{base}{path}"))
            }
        }
    }

    fn wants_event_ids(&self) -> bool {
        matches!(self, Requests::Webhooks(_))
    }

    /// Whether an answer counts as a success: any 2xx for webhooks.
    fn success(&self, status: u16) -> bool {
        match self {
            Requests::Webhooks(_) => (200..300).contains(&status),
            Requests::Fixed { expect, .. } => status == *expect,
        }
    }
}

/// How many of a run's slowest requests its summary lists.
pub const SLOWEST_KEPT: usize = 10;

/// One answered (or failed) request.
struct Sample {
    /// When it was due (open loop) or sent (closed loop).
    at: DateTime<Utc>,
    latency: Duration,
    status: Option<u16>,
    /// Intake's `event_id` when it answered `accepted`.
    event_id: Option<i64>,
}

/// What a load run saw.
pub struct Outcome {
    pub histogram: Histogram<u64>,
    pub elapsed: Duration,
    pub statuses: BTreeMap<u16, u64>,
    pub failures: u64,
    pub succeeded: u64,
    pub event_ids: Vec<i64>,
    pub memory: Option<Value>,
    /// CPU milliseconds per succeeded request (with `--watch-pid`).
    pub cpu: Option<Value>,
    /// The slowest requests, slowest first: (latency, when due or sent, status).
    pub slowest: Vec<(Duration, DateTime<Utc>, Option<u16>)>,
}

impl Outcome {
    pub fn sent(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.failures
    }

    /// The figures of the run as JSON.
    pub fn summary(&self, args: &LoadArgs) -> Value {
        let seconds = self.elapsed.as_secs_f64();
        json!({
            "mode": match args.mode { Mode::Open => "open", Mode::Closed => "closed" },
            "target_rate": (args.mode == Mode::Open).then_some(args.rate),
            "concurrency": (args.mode == Mode::Closed).then_some(args.concurrency),
            "sent": self.sent(),
            "succeeded": self.succeeded,
            "statuses": self.statuses.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "failures": self.failures,
            "elapsed_s": round(seconds, 3),
            "requests_per_s": round(self.succeeded as f64 / seconds, 1),
            "latency_ms": latency_ms(&self.histogram),
            "memory": self.memory,
            "cpu_per_request": self.cpu,
            "slowest": self.slowest.iter().map(|(latency, at, status)| json!({
                "at": at.to_rfc3339_opts(SecondsFormat::Millis, true),
                "latency_ms": round(latency.as_secs_f64() * 1000.0, 2),
                "status": status,
            })).collect::<Vec<_>>(),
        })
    }
}

pub fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

/// p50/p90/p99/p99.9/max/mean of a histogram of microseconds, in ms.
pub fn latency_ms(histogram: &Histogram<u64>) -> Value {
    let ms = |us: u64| round(us as f64 / 1000.0, 2);
    json!({
        "p50": ms(histogram.value_at_quantile(0.50)),
        "p90": ms(histogram.value_at_quantile(0.90)),
        "p95": ms(histogram.value_at_quantile(0.95)),
        "p99": ms(histogram.value_at_quantile(0.99)),
        "p999": ms(histogram.value_at_quantile(0.999)),
        "max": ms(histogram.max()),
        "mean": round(histogram.mean() / 1000.0, 2),
    })
}

pub fn client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(usize::MAX)
        .timeout(Duration::from_secs(60))
        .build()?)
}

async fn send(request: reqwest::RequestBuilder, want_id: bool) -> (Option<u16>, Option<i64>) {
    let Ok(response) = request.send().await else {
        return (None, None);
    };
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap_or_default();
    let event_id = (want_id && status == 202)
        .then(|| serde_json::from_slice::<Value>(&body).ok())
        .flatten()
        .filter(|answer| answer["status"] == "accepted")
        .and_then(|answer| answer["event_id"].as_i64());
    (Some(status), event_id)
}

/// Runs the load described by `args`.
pub async fn run(args: &LoadArgs, requests: Requests) -> Result<Outcome> {
    if args.mode == Mode::Open && args.rate <= 0.0 {
        bail!("--rate must be positive");
    }
    let client = client()?;
    let requests = Arc::new(requests);
    let base = Arc::<str>::from(args.url.trim_end_matches('/'));
    let (tx, mut rx) = mpsc::unbounded_channel::<Sample>();
    let watch = args.watch_pid.map(Watch::start);
    let cpu = args.watch_pid.map(|pid| CpuClock::start(Some(pid)));
    let started = Instant::now();
    match args.mode {
        Mode::Open => open_loop(args, &client, &requests, &base, tx).await,
        Mode::Closed => closed_loop(args, &client, &requests, &base, tx).await,
    }
    let mut outcome = Outcome {
        histogram: Histogram::new_with_bounds(1, 600_000_000, 3)?,
        elapsed: Duration::ZERO,
        statuses: BTreeMap::new(),
        failures: 0,
        succeeded: 0,
        event_ids: Vec::new(),
        memory: None,
        cpu: None,
        slowest: Vec::new(),
    };
    while let Some(sample) = rx.recv().await {
        keep_if_slowest(&mut outcome.slowest, &sample);
        outcome
            .histogram
            .saturating_record(sample.latency.as_micros() as u64);
        match sample.status {
            Some(status) => {
                *outcome.statuses.entry(status).or_default() += 1;
                outcome.succeeded += u64::from(requests.success(status));
            }
            None => outcome.failures += 1,
        }
        outcome.event_ids.extend(sample.event_id);
    }
    outcome.elapsed = started.elapsed();
    if let Some(watch) = watch {
        outcome.memory = Some(watch.finish().await);
    }
    outcome.cpu = cpu.map(|clock| clock.finish(outcome.succeeded));
    Ok(outcome)
}

/// Keeps `sample` among the [`SLOWEST_KEPT`] slowest seen so far, slowest first.
fn keep_if_slowest(slowest: &mut Vec<(Duration, DateTime<Utc>, Option<u16>)>, sample: &Sample) {
    let place = slowest.partition_point(|(latency, ..)| *latency >= sample.latency);
    if place < SLOWEST_KEPT {
        slowest.insert(place, (sample.latency, sample.at, sample.status));
        slowest.truncate(SLOWEST_KEPT);
    }
}

/// Request `i` is due at `start + i / rate`; latency counts from then.
async fn open_loop(
    args: &LoadArgs,
    client: &reqwest::Client,
    requests: &Arc<Requests>,
    base: &Arc<str>,
    tx: mpsc::UnboundedSender<Sample>,
) {
    let total = args
        .requests
        .unwrap_or((args.rate * args.duration).round() as u64);
    let start = Instant::now();
    for n in 0..total {
        let due = start + Duration::from_secs_f64(n as f64 / args.rate);
        tokio::time::sleep_until(due.into()).await;
        let at = Utc::now() - chrono::Duration::from_std(due.elapsed()).unwrap_or_default();
        let request = requests.build(client, base, n);
        let (tx, want_id) = (tx.clone(), requests.wants_event_ids());
        tokio::spawn(async move {
            let (status, event_id) = send(request, want_id).await;
            let _ = tx.send(Sample {
                at,
                latency: due.elapsed(),
                status,
                event_id,
            });
        });
    }
}

/// `concurrency` workers, each sending its next request when the last one answered.
async fn closed_loop(
    args: &LoadArgs,
    client: &reqwest::Client,
    requests: &Arc<Requests>,
    base: &Arc<str>,
    tx: mpsc::UnboundedSender<Sample>,
) {
    let next = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + args.duration();
    let limit = args.requests;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        let (client, tx, requests, base, next) = (
            client.clone(),
            tx.clone(),
            requests.clone(),
            base.clone(),
            next.clone(),
        );
        workers.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let done = match limit {
                    Some(limit) => n >= limit,
                    None => Instant::now() >= deadline,
                };
                if done {
                    return;
                }
                let sent = Instant::now();
                let at = Utc::now();
                let request = requests.build(&client, &base, n);
                let (status, event_id) = send(request, requests.wants_event_ids()).await;
                let _ = tx.send(Sample {
                    at,
                    latency: sent.elapsed(),
                    status,
                    event_id,
                });
            }
        });
    }
    while workers.join_next().await.is_some() {}
}
