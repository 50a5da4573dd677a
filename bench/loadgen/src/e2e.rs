//! End to end: webhooks at a fixed rate while the cron schedules drain — or, with
//! `--tick-every`, while an external ticker calls `POST /internal/drain/<lane>?keep_going_ms=N`
//! for every lane, as a scheduler does for the HTTP-only profile — then the latency
//! from `tds_inbox_events.received_at` (the intake transaction's start) to
//! `tds_sync_queue.completed_at` (the processor's acknowledgement, in the transaction
//! that commits the ERP row) of every accepted event, read from the database once every
//! one of them is completed. Nothing may be lost: every webhook sent must be accepted
//! and completed.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use clap::Args;
use serde_json::{json, Value};

use crate::load::{self, round, Requests};
use crate::webhook::{WebhookArgs, Webhooks};
use crate::LoadArgs;

#[derive(Args)]
pub struct E2eArgs {
    #[command(flatten)]
    load: LoadArgs,
    #[command(flatten)]
    webhooks: WebhookArgs,
    /// The application's database.
    #[arg(long)]
    database_url: String,
    /// How long to wait, after the last webhook, for every event to be completed (seconds).
    #[arg(long, default_value_t = 120)]
    wait: u64,
    /// Drive the processors with an external ticker instead of cron: every this many
    /// seconds, one keep-going drain per lane (the first at once).
    #[arg(long)]
    tick_every: Option<u64>,
    /// How long each ticked drain keeps serving its lane (`keep_going_ms`).
    #[arg(long, default_value_t = 25_000)]
    keep_going_ms: u64,
    /// The stats_token (bearer of the internal routes), for the ticker.
    #[arg(long, env = "TDS_BENCH_STATS_TOKEN", default_value = "")]
    token: String,
}

const LANES: [&str; 4] = ["sales", "catalog", "purchases", "inventory"];

/// The external scheduler: every `every`, one keep-going drain per lane, not waiting for
/// the previous ones (a lane's invocations overlap when `keep_going_ms` exceeds `every`).
fn ticker(url: &str, token: &str, every: Duration, keep_going_ms: u64) -> tokio::task::JoinHandle<()> {
    let client = reqwest::Client::new();
    let (url, token) = (url.trim_end_matches('/').to_string(), token.to_string());
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            interval.tick().await;
            for lane in LANES {
                let request = client
                    .post(format!("{url}/internal/drain/{lane}?keep_going_ms={keep_going_ms}"))
                    .bearer_auth(&token);
                tokio::spawn(async move {
                    match request.send().await {
                        Ok(reply) if reply.status().is_success() => {}
                        Ok(reply) => eprintln!("ticker: drain {lane} answered {}", reply.status()),
                        Err(e) => eprintln!("ticker: drain {lane} failed: {e}"),
                    }
                });
            }
        }
    })
}

impl E2eArgs {
    /// The scenario of the JSON line: `--label`, `e2e` without it.
    pub fn label(&self) -> &str {
        self.load.label("e2e")
    }
}

pub async fn connect(url: &str) -> Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    tokio::spawn(connection);
    Ok(client)
}

pub async fn run(args: &E2eArgs) -> Result<Value> {
    let webhooks = Webhooks::new(&args.webhooks)?;
    let modules = webhooks.modules();
    let db = connect(&args.database_url).await?;
    let ticks = args.tick_every.map(|every| {
        ticker(&args.load.url, &args.token, Duration::from_secs(every), args.keep_going_ms)
    });
    let outcome = load::run(&args.load, Requests::Webhooks(webhooks)).await?;
    let ids = &outcome.event_ids;
    let waited = Instant::now();
    let mut completed: i64;
    loop {
        completed = db
            .query_one(
                "SELECT count(*) FROM tds_sync_queue WHERE inbox_event_id = ANY($1) AND status = 'completed'",
                &[ids],
            )
            .await?
            .get(0);
        if completed as usize >= ids.len() || waited.elapsed() > Duration::from_secs(args.wait) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    if let Some(ticks) = ticks {
        ticks.abort();
    }
    let by_status: Vec<(String, i64)> = db
        .query(
            "SELECT status, count(*) FROM tds_sync_queue WHERE inbox_event_id = ANY($1) GROUP BY status ORDER BY status",
            &[ids],
        )
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let latency = db
        .query_one(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY ms),
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), max(ms)
             FROM (SELECT extract(epoch FROM q.completed_at - e.received_at)::float8 * 1000 AS ms
                   FROM tds_inbox_events e JOIN tds_sync_queue q ON q.inbox_event_id = e.id
                   WHERE e.id = ANY($1) AND q.status = 'completed') t",
            &[ids],
        )
        .await?;
    let ms = |i: usize| latency.get::<_, Option<f64>>(i).map(|v| round(v, 1));
    let sent = outcome.sent();
    Ok(json!({
        "target_rate": args.load.rate,
        "modules": modules,
        "duration_s": args.load.duration,
        "sent": sent,
        "accepted": ids.len(),
        "completed": completed,
        "lost": sent as i64 - completed,
        "queue_status": by_status.into_iter().map(|(s, n)| (s, json!(n))).collect::<serde_json::Map<_, _>>(),
        "intake": outcome.summary(&args.load),
        "e2e_ms": {"p50": ms(0), "p95": ms(1), "p99": ms(2), "max": ms(3)},
        "drained_s_after_last_send": round(waited.elapsed().as_secs_f64(), 1),
        "ticker": args.tick_every.map(|every| json!({"every_s": every, "keep_going_ms": args.keep_going_ms})),
    }))
}
