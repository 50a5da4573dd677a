//! Draining one lane with N processors at once: each caller posts
//! `/internal/drain/<lane>` (one processor invocation, draining until the lane is empty or
//! its time budget is spent) again and again until an invocation finds the lane empty.
//! Events/s = events applied / wall time from the first call to the last answer.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use clap::Args;
use serde_json::{json, Value};

use crate::cpu::CpuClock;
use crate::load::{client, round};
use crate::memory::Watch;

#[derive(Args)]
pub struct DrainArgs {
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// The stats_token (bearer of the internal routes).
    #[arg(long, env = "TDS_BENCH_STATS_TOKEN")]
    token: String,
    #[arg(long, default_value = "catalog")]
    lane: String,
    /// Concurrent processors.
    #[arg(long, default_value_t = 1)]
    processors: usize,
    /// When given, the queue of the lane is checked afterwards (nothing may be left unclaimed).
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long)]
    watch_pid: Option<u32>,
}

#[derive(Default)]
struct Tally {
    calls: u64,
    claimed: u64,
    applied: u64,
    retried: u64,
    dead: u64,
    batches: u64,
}

/// Calls the drain route until an invocation stops because the lane is empty.
async fn processor(client: reqwest::Client, url: String, token: String) -> Result<Tally> {
    let mut tally = Tally::default();
    loop {
        let (status, text) = call(&client, &url, &token).await?;
        if !status.is_success() {
            bail!("{url} answered {status}: {text}");
        }
        let report: Value =
            serde_json::from_str(&text).with_context(|| format!("{url} answered {text}"))?;
        let count = |name: &str| report["counts"][name].as_u64().unwrap_or(0);
        tally.calls += 1;
        tally.claimed += count("claimed");
        tally.applied += count("applied");
        tally.retried += count("retried");
        tally.dead += count("dead");
        tally.batches += count("batches");
        match report["stopped"].as_str() {
            Some("empty") => return Ok(tally),
            Some("time_budget") => {}
            other => bail!("a processor stopped for {other:?}: {text}"),
        }
    }
}

/// One call; a failed connection is tried again (a drain call may always be repeated).
async fn call(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> Result<(reqwest::StatusCode, String)> {
    let mut attempt = 1;
    loop {
        let sent = client.post(url).bearer_auth(token).send().await;
        let answered = match sent {
            Ok(response) => {
                let status = response.status();
                response.text().await.map(|text| (status, text))
            }
            Err(e) => Err(e),
        };
        match answered {
            Ok(answer) => return Ok(answer),
            Err(e) if attempt < 3 => {
                eprintln!("tds-loadgen: {url}: {e}; calling again");
                attempt += 1;
            }
            Err(e) => return Err(e).with_context(|| format!("calling {url}")),
        }
    }
}

pub async fn run(args: &DrainArgs) -> Result<Value> {
    let client = client()?;
    let url = format!(
        "{}/internal/drain/{}",
        args.url.trim_end_matches('/'),
        args.lane
    );
    let watch = args.watch_pid.map(Watch::start);
    let cpu = args.watch_pid.map(|pid| CpuClock::start(Some(pid)));
    let started = Instant::now();
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..args.processors.max(1) {
        callers.spawn(processor(client.clone(), url.clone(), args.token.clone()));
    }
    let mut total = Tally::default();
    while let Some(joined) = callers.join_next().await {
        let tally = joined??;
        total.calls += tally.calls;
        total.claimed += tally.claimed;
        total.applied += tally.applied;
        total.retried += tally.retried;
        total.dead += tally.dead;
        total.batches += tally.batches;
    }
    let elapsed = started.elapsed();
    let cpu = cpu.map(|clock| clock.finish(total.applied));
    let left = match &args.database_url {
        Some(url) => Some(unclaimed(url, &args.lane).await?),
        None => None,
    };
    let memory = match watch {
        Some(watch) => Some(watch.finish().await),
        None => None,
    };
    Ok(json!({
        "lane": args.lane,
        "processors": args.processors,
        "calls": total.calls,
        "batches": total.batches,
        "claimed": total.claimed,
        "applied": total.applied,
        "retried": total.retried,
        "dead": total.dead,
        "left_in_queue": left,
        "elapsed_s": round(elapsed.as_secs_f64(), 3),
        "events_per_s": round(total.applied as f64 / elapsed.max(Duration::from_millis(1)).as_secs_f64(), 1),
        "memory": memory,
        "cpu_per_event": cpu,
    }))
}

/// Rows of `lane` not finished (pending, retry or processing).
async fn unclaimed(database_url: &str, lane: &str) -> Result<i64> {
    let client = crate::e2e::connect(database_url).await?;
    let row = client
        .query_one(
            "SELECT count(*) FROM tds_sync_queue WHERE lane = $1 AND status IN ('pending', 'retry', 'processing')",
            &[&lane],
        )
        .await?;
    Ok(row.get(0))
}
