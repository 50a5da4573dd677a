//! Step 7: close abandoned runs. An invocation that dies before finishing (its host was
//! stopped or killed — SIGKILL of `tds up` — or the host cut the guest off at its execution
//! time limit) leaves its `tds_sync_runs` row `running`, with no `finished_at`, for ever.
//! Up to `heal_abandoned_run_limit` (100) runs still `running` that started more than
//! `abandoned_run_seconds` (900) ago are closed as `failed`, `finished_at = now()`, with an
//! `error` saying they were abandoned (`abandoned: still running after N s; …`). The default
//! sits above the longest a guest may live (the host stops one after `--max-execution-secs`,
//! default 600; processors stop claiming after `time_budget_ms`, reconcile after
//! `reconcile_time_budget_ms`), so a live run is never closed; a host started with a longer
//! limit wants a larger `abandoned_run_seconds`. One statement (its own transaction),
//! skipping rows locked by a run being finished: `tds_store::journal::CLOSE_ABANDONED_RUNS`.

use serde_json::{json, Value};
use tds_guest::db::{Db, DbError};
use tds_guest::journal::{self, CloseAbandonedRuns};
use tds_guest::log::Logger;

use crate::settings::HealConfig;

pub fn run(db: &Db, config: &HealConfig, log: &Logger) -> Result<Value, DbError> {
    let closed = journal::close_abandoned_runs(
        db,
        &CloseAbandonedRuns {
            older_than_seconds: config.abandoned_run_seconds,
            limit: config.abandoned_run_limit,
        },
    )?;
    for run in &closed {
        log.warn(
            "abandoned run closed as failed",
            json!({"run_id": run.id.0, "component": run.component, "run_owner": run.run_owner.as_str(),
                   "running_seconds": run.age_seconds}),
        );
    }
    let count = closed.len() as u64;
    Ok(json!({"closed": count}))
}
