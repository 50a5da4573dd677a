//! `tds-loadgen`: the load generator behind `bench/run` (see BENCHMARKS.md, "Method").
//!
//! Every scenario prints a human summary on stderr and ONE JSON line on stdout, which
//! `bench/run` assembles into the table. Webhooks are Zoho's example records
//! (`tests/fixtures/zoho-examples`) with a unique entity id each, signed with
//! `X-Zoho-Webhook-Signature` as Zoho signs them.

mod ceiling;
mod cpu;
mod drain;
mod e2e;
mod idle;
mod load;
mod memory;
mod pgbench;
mod report;
mod table;
mod webhook;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "tds-loadgen",
    about = "Load generator and PostgreSQL ceilings for TDS benchmarks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Signed webhooks to intake, open loop (fixed rate) or closed loop (fixed concurrency).
    Intake(IntakeArgs),
    /// Drain a lane with N concurrent `POST /internal/drain/<lane>` callers until it is empty.
    Drain(drain::DrainArgs),
    /// Webhooks at a fixed rate with the cron schedules draining; then wait until every
    /// accepted event is completed and read received_at → completed_at from the database.
    E2e(e2e::E2eArgs),
    /// Nothing sent: the application's database transactions and new `tds_sync_runs` rows
    /// over a window of an idle `tds up` (cron on, no webhooks).
    Idle(idle::IdleArgs),
    /// Requests to a route that does no database work, to see the per-request cost of a
    /// fresh component instance.
    Instantiate(InstantiateArgs),
    /// Run pgbench with the components' SQL (written by `pgbench-scripts`) as the ceiling.
    Ceiling(ceiling::CeilingArgs),
    /// Write the pgbench scripts, generated from the SQL the components run.
    PgbenchScripts {
        /// Folder to write intake.sql and drain.sql into.
        out: PathBuf,
        /// Events per drain batch (the processor's batch_size).
        #[arg(long, default_value_t = 50)]
        batch: usize,
    },
    /// Print the Markdown table of a run's JSON lines.
    Table {
        results: PathBuf,
        /// The host's cargo profile, for the note under the table.
        #[arg(long, default_value = "debug")]
        profile: String,
    },
}

/// The load shape shared by the HTTP scenarios.
#[derive(Args, Clone)]
pub struct LoadArgs {
    /// Base URL of `tds up`.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub url: String,
    #[arg(long, value_enum, default_value_t = Mode::Closed)]
    pub mode: Mode,
    /// Open loop: requests per second, sent on a fixed timetable.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Closed loop: requests in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// How long to send, in seconds (ignored when --requests is given).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Send exactly this many requests instead of for --duration.
    #[arg(long)]
    pub requests: Option<u64>,
    /// Sample VmRSS/VmHWM of this process (the tds host) while the load runs.
    #[arg(long)]
    pub watch_pid: Option<u32>,
    /// Name of the scenario in the JSON line (default: the subcommand's name).
    #[arg(long)]
    pub label: Option<String>,
}

impl LoadArgs {
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.duration)
    }

    /// The scenario of the JSON line: `--label`, or `default` without it.
    pub fn label<'a>(&'a self, default: &'a str) -> &'a str {
        self.label.as_deref().unwrap_or(default)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Fixed rate; latency measured from each request's scheduled time.
    Open,
    /// Fixed concurrency; latency measured from each request's send.
    Closed,
}

#[derive(Args)]
struct IntakeArgs {
    #[command(flatten)]
    load: LoadArgs,
    #[command(flatten)]
    webhooks: webhook::WebhookArgs,
}

#[derive(Args)]
struct InstantiateArgs {
    #[command(flatten)]
    load: LoadArgs,
    /// The route; the default is a processor route answered 405 before any database work.
    #[arg(long, default_value = "/internal/drain/sales")]
    path: String,
    #[arg(long, default_value = "GET")]
    method: String,
    /// The status the route answers (counted as success).
    #[arg(long, default_value_t = 405)]
    expect: u16,
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Intake(args) => {
            let webhooks = webhook::Webhooks::new(&args.webhooks)?;
            let outcome = load::run(&args.load, load::Requests::Webhooks(webhooks)).await?;
            report::emit(args.load.label("intake"), outcome.summary(&args.load));
        }
        Command::Instantiate(args) => {
            let method = reqwest::Method::from_bytes(args.method.as_bytes())?;
            let outcome = load::run(
                &args.load,
                load::Requests::Fixed {
                    method,
                    path: args.path,
                    expect: args.expect,
                },
            )
            .await?;
            report::emit(args.load.label("instantiate"), outcome.summary(&args.load));
        }
        Command::Drain(args) => report::emit("drain", drain::run(&args).await?),
        // The label names the scenario (`e2e`, `e2e-ticker`, `trickle`), so the table can
        // tell the runs apart.
        Command::E2e(args) => report::emit(args.label(), e2e::run(&args).await?),
        Command::Idle(args) => report::emit(&args.label, idle::run(&args).await?),
        Command::Ceiling(args) => {
            let label = format!("ceiling-{}", args.script.as_str());
            report::emit(&label, ceiling::run(&args).await?)
        }
        Command::PgbenchScripts { out, batch } => pgbench::write_scripts(&out, batch)?,
        Command::Table { results, profile } => table::print(&results, &profile)?,
    }
    Ok(())
}
