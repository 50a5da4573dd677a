//! The PostgreSQL ceiling: pgbench running the components' own SQL (see [`crate::pgbench`])
//! against the same database at the same concurrency, without HTTP or WebAssembly.
//!
//! - intake: `clients × transactions` webhooks' worth of intake transactions; the figure
//!   is pgbench's transactions/s (= requests/s).
//! - drain: batches on the catalog lane until the rows queued there (e.g. by the intake
//!   ceiling) are all completed; the figure is events completed / pgbench's run time.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context as _, Result};
use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use crate::cpu::CpuClock;
use crate::e2e::connect;
use crate::load::round;

#[derive(Clone, Copy, ValueEnum)]
pub enum Script {
    Intake,
    Drain,
}

impl Script {
    pub fn as_str(self) -> &'static str {
        match self {
            Script::Intake => "intake",
            Script::Drain => "drain",
        }
    }
}

#[derive(Args)]
pub struct CeilingArgs {
    #[arg(value_enum)]
    pub script: Script,
    #[arg(long)]
    database_url: String,
    /// The folder `pgbench-scripts` wrote.
    #[arg(long, default_value = "bench/pgbench")]
    scripts: PathBuf,
    #[arg(long, default_value = "pgbench")]
    pgbench: PathBuf,
    /// Concurrent clients (connections), as many as the scenario it bounds.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// intake: transactions per client.
    #[arg(long, default_value_t = 1000)]
    transactions: u64,
    /// drain: events per batch, as written into drain.sql.
    #[arg(long, default_value_t = 50)]
    batch: u64,
}

const LANE: &str = "catalog";
const UNFINISHED: &str =
    "SELECT count(*) FROM tds_sync_queue WHERE lane = $1 AND status IN ('pending', 'retry', 'processing')";
const COMPLETED: &str =
    "SELECT count(*) FROM tds_sync_queue WHERE lane = $1 AND status = 'completed'";

pub async fn run(args: &CeilingArgs) -> Result<Value> {
    let db = connect(&args.database_url).await?;
    let count = |sql: &'static str| {
        let db = &db;
        async move { Ok::<i64, anyhow::Error>(db.query_one(sql, &[&LANE]).await?.get(0)) }
    };
    let clients = args.clients.max(1) as u64;
    let (transactions, before) = match args.script {
        Script::Intake => (args.transactions, 0),
        Script::Drain => {
            let waiting = count(UNFINISHED).await?;
            if waiting == 0 {
                bail!("nothing is queued on lane {LANE}: run the intake ceiling first");
            }
            // Enough batches for every client to find the lane empty at the end.
            let per_client = (waiting as u64).div_ceil(args.batch * clients) + 2;
            (per_client, count(COMPLETED).await?)
        }
    };
    let script = args.scripts.join(format!("{}.sql", args.script.as_str()));
    let cpu = CpuClock::start(None);
    let output = Command::new(&args.pgbench)
        .args(["-n", "-M", "prepared"])
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            &clients.to_string(),
            "-t",
            &transactions.to_string(),
        ])
        .arg("-f")
        .arg(&script)
        .arg(&args.database_url)
        .output()
        .with_context(|| format!("running {}", args.pgbench.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.contains("no transaction in progress"))
            .rev()
            .take(15)
            .collect();
        bail!(
            "pgbench failed ({}):\n{stdout}\n{}",
            output.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let field = |prefix: &str| -> Result<f64> {
        stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .and_then(|rest| {
                rest.trim_start_matches([' ', '=', ':'])
                    .split(['/', ' '])
                    .next()
            })
            .and_then(|number| number.parse().ok())
            .with_context(|| format!("no {prefix:?} in pgbench's output:\n{stdout}"))
    };
    let tps = field("tps")?;
    let processed = field("number of transactions actually processed")?;
    let latency_ms = field("latency average")?;
    let seconds = processed / tps;
    let mut figures = json!({
        "clients": clients,
        "transactions": processed,
        "elapsed_s": round(seconds, 3),
        "latency_avg_ms": latency_ms,
    });
    match args.script {
        Script::Intake => {
            figures["requests_per_s"] = json!(round(tps, 1));
            figures["cpu_per_request"] = cpu.finish(processed as u64);
        }
        Script::Drain => {
            let completed = count(COMPLETED).await? - before;
            figures["cpu_per_event"] = cpu.finish(completed as u64);
            figures["events"] = json!(completed);
            figures["left_in_queue"] = json!(count(UNFINISHED).await?);
            figures["events_per_s"] = json!(round(completed as f64 / seconds, 1));
        }
    }
    Ok(figures)
}
