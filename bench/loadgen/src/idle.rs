//! What an idle application costs its database: nothing is sent; over a window of
//! `--seconds`, the transactions PostgreSQL counts for the application's database
//! (`pg_stat_database.xact_commit + xact_rollback`) and the `tds_sync_runs` rows written.
//! With event-driven processing the cron schedules are a once-a-minute safety net that, with
//! nothing to do, costs a statement or two and writes no run row (BENCHMARKS.md, "Method").
//!
//! Both readings are taken on one connection, each as ONE simple-protocol message: its
//! statements (`pg_stat_clear_snapshot()` first, then the reads) run as one implicit
//! transaction, so this connection's own transactions are counted exactly and subtracted.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use clap::Args;
use serde_json::{json, Map, Value};
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::load::round;

#[derive(Args)]
pub struct IdleArgs {
    /// The application's database.
    #[arg(long)]
    database_url: String,
    /// Length of the measured window.
    #[arg(long, default_value_t = 300)]
    seconds: u64,
    /// Name of the scenario in the JSON line.
    #[arg(long, default_value = "idle")]
    pub label: String,
}

/// PostgreSQL (15 and later) flushes a backend's statistics to shared memory when it goes
/// idle, but at most once per second: a backend that flushed less than a second before
/// going idle defers the rest to its idle timeout (10 s). Before the first reading this
/// connection waits out that second, so the first reading's own transaction is flushed as
/// soon as it ends.
const FLUSH_INTERVAL: Duration = Duration::from_millis(1100);

/// After the window, before the last reading: time for the application's backends to flush
/// what they committed in the window's last moments (they flush on going idle, at most once
/// a second; see [`FLUSH_INTERVAL`]). Commits deferred to a backend's 10-second idle
/// timeout can still land after the last reading, as they could before the first: at a
/// steady trickle the two ends cancel out.
const SETTLE_AFTER_WINDOW: Duration = Duration::from_secs(2);

/// One reading of the application's database.
#[derive(Debug, PartialEq)]
struct Reading {
    /// `xact_commit + xact_rollback` of the database, as flushed so far.
    transactions: i64,
    /// `count(*)` of `tds_sync_runs`.
    runs: i64,
    /// The largest `tds_sync_runs.id` (0 when there is none).
    last_run_id: i64,
    /// Rows of `tds_sync_runs` above the id asked for, by component.
    runs_after_by_component: Map<String, Value>,
}

/// The connection the readings are taken on, counting the transactions it sends.
struct Reader {
    client: Client,
    /// Transactions this connection has committed: one per simple-protocol message (its
    /// statements share one implicit transaction; none of them controls transactions).
    transactions: u64,
}

impl Reader {
    /// Clears this backend's statistics snapshot, then reads; `runs_after` is the id above
    /// which rows of `tds_sync_runs` are counted by component.
    async fn read(&mut self, runs_after: i64) -> Result<Reading> {
        let sql = reading_sql(runs_after);
        self.transactions += 1;
        let messages = self
            .client
            .simple_query(&sql)
            .await
            .context("reading pg_stat_database")?;
        let row = messages
            .iter()
            .filter_map(|message| match message {
                SimpleQueryMessage::Row(row) if row.len() == 4 => Some(row),
                _ => None,
            })
            .next_back()
            .context("the reading returned no row")?;
        let cell = |i: usize| {
            row.get(i)
                .with_context(|| format!("column {i} of the reading is NULL"))
        };
        let integer = |i: usize| -> Result<i64> {
            let text = cell(i)?;
            text.parse()
                .with_context(|| format!("column {i} of the reading is {text:?}"))
        };
        let by_component: Value = serde_json::from_str(cell(3)?)?;
        let Value::Object(runs_after_by_component) = by_component else {
            bail!("the runs by component are not an object: {by_component}");
        };
        Ok(Reading {
            transactions: integer(0)?,
            runs: integer(1)?,
            last_run_id: integer(2)?,
            runs_after_by_component,
        })
    }
}

/// One message, so one transaction: the snapshot cleared, then one row of readings.
fn reading_sql(runs_after: i64) -> String {
    format!(
        "SELECT pg_stat_clear_snapshot();
         SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()),
                (SELECT count(*) FROM tds_sync_runs),
                (SELECT coalesce(max(id), 0) FROM tds_sync_runs),
                (SELECT coalesce(json_object_agg(component, n ORDER BY component), '{{}}')
                 FROM (SELECT component, count(*) AS n FROM tds_sync_runs WHERE id > {runs_after}
                       GROUP BY component) c)"
    )
}

/// The figures of a window from its two readings. `own` is how many of this connection's
/// transactions the second reading counts and the first does not.
fn figures(start: &Reading, end: &Reading, own: u64, seconds: u64, elapsed: Duration) -> Value {
    let elapsed_s = elapsed.as_secs_f64();
    let transactions = end.transactions - start.transactions - own as i64;
    let new: i64 = end
        .runs_after_by_component
        .values()
        .filter_map(Value::as_i64)
        .sum();
    json!({
        "seconds": seconds,
        "elapsed_s": round(elapsed_s, 3),
        "transactions": transactions,
        "transactions_per_s": round(transactions as f64 / elapsed_s, 3),
        "own_transactions_subtracted": own,
        "sync_runs_start": start.runs,
        "sync_runs_end": end.runs,
        "sync_runs_new": new,
        "sync_runs_by_component": end.runs_after_by_component,
    })
}

pub async fn run(args: &IdleArgs) -> Result<Value> {
    let mut reader = Reader {
        client: crate::e2e::connect(&args.database_url).await?,
        transactions: 0,
    };
    // The connection's start-up is flushed when it first goes idle; wait out the minimum
    // interval so that the first reading's own transaction is flushed when it ends too.
    tokio::time::sleep(FLUSH_INTERVAL).await;
    let sent_before = reader.transactions;
    let start = reader.read(i64::MAX).await?;
    let started = Instant::now();
    eprintln!("idle: {} s without a request", args.seconds);
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    // PostgreSQL 15 flushes a backend's statistics to pg_stat_database at most about once a
    // second and when it goes idle, so what the application committed at the end of the
    // window shows there only a moment later: wait ~2 s before the last reading.
    tokio::time::sleep(SETTLE_AFTER_WINDOW).await;
    // This connection's transactions since the first reading began: the first reading's
    // own (committed after it read the counter, flushed when it went idle). The last
    // reading's own commit comes after its value.
    let own = reader.transactions - sent_before;
    let end = reader.read(start.last_run_id).await?;
    let elapsed = started.elapsed();
    Ok(figures(&start, &end, own, args.seconds, elapsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(transactions: i64, runs: i64, by_component: Value) -> Reading {
        Reading {
            transactions,
            runs,
            last_run_id: runs,
            runs_after_by_component: by_component.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn own_transactions_are_subtracted_and_new_runs_summed() {
        let start = reading(1_000, 40, json!({"heal": 2}));
        let end = reading(1_031, 45, json!({"heal": 5}));
        let figures = figures(&start, &end, 1, 300, Duration::from_secs(300));
        assert_eq!(figures["transactions"], 30);
        assert_eq!(figures["transactions_per_s"], 0.1);
        assert_eq!(figures["sync_runs_new"], 5);
        assert_eq!(figures["sync_runs_by_component"], json!({"heal": 5}));
    }

    #[test]
    fn a_reading_is_one_message_clearing_the_snapshot_first() {
        let sql = reading_sql(17);
        assert!(sql
            .trim_start()
            .starts_with("SELECT pg_stat_clear_snapshot();"));
        assert!(sql.contains("WHERE id > 17"));
        assert!(!sql.to_uppercase().contains("BEGIN"));
    }
}
