//! One invocation and its `tds_sync_runs` row: start the run, drain the lane (see
//! [`crate::drain`]), finish the run with its counts and why it stopped, and report.

use std::time::Instant;

use serde_json::{json, Value};
use tds_core::ids::{LeaseOwner, RunId};
use tds_guest::db::DbError;
use tds_guest::journal::{self, FinishRun, Invocation, StartRun};
use tds_guest::log::Logger;

use crate::context::Context;
use crate::drain::{drain, Stop};
use crate::settings::{Settings, Tuning};
use crate::tally::Counts;

/// What started the invocation.
#[derive(Clone, Copy)]
pub enum Trigger {
    Cron,
    Http,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Cron => "cron",
            Trigger::Http => "http",
        }
    }
}

/// The invocation's result, as answered on the HTTP route.
pub struct Report {
    run_id: RunId,
    owner: LeaseOwner,
    trigger: Trigger,
    stop: Stop,
    counts: Counts,
    details: Value,
    duration_ms: f64,
}

impl Report {
    pub fn to_json(&self) -> Value {
        json!({"run_id": self.run_id.0, "run_owner": self.owner.as_str(), "trigger": self.trigger.as_str(),
               "stopped": self.stop.as_str(), "counts": self.counts.to_json(), "details": self.details,
               "duration_ms": self.duration_ms})
    }
}

/// Runs one invocation and records it in `tds_sync_runs`.
pub fn run(settings: &Settings, trigger: Trigger, log: &Logger) -> Result<Report, DbError> {
    let started = Instant::now();
    let component = settings.component();
    let Invocation { owner, log, db } = Invocation::open(&component, &settings.database_url, log)?;
    let tuning = Tuning::read(&db)?;
    let details = json!({
        "lane": settings.lane.as_str(),
        "claimable": settings.claimable.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "unsupported_left_in_queue": settings.unsupported.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "ignored_entity_types": settings.ignored,
        "lease_seconds": settings.lease_seconds,
        "batch_size": settings.batch_size,
        "time_budget_ms": settings.time_budget.as_millis() as u64,
        "keep_going_ms": settings.keep_going.map(|d| d.as_millis() as u64),
        "lock_timeout_ms": tuning.lock_timeout_ms,
    });
    let run_id = journal::start_run(
        &db,
        &StartRun {
            component: &component,
            lane: Some(settings.lane),
            run_owner: &owner,
            trigger: trigger.as_str(),
            details: &details,
        },
    )?;
    let context = Context {
        db: &db,
        settings,
        owner: &owner,
        run_id,
        tuning,
        log: &log,
    };
    let mut counts = Counts::default();
    let result = drain(&context, started, &mut counts);
    let (status, stop, error) = match &result {
        Ok(stop) => ("completed", Some(stop.as_str()), None),
        Err(e) => ("failed", None, Some(e.to_string())),
    };
    let finished = journal::finish_run(
        &db,
        &FinishRun {
            id: run_id,
            status,
            counts: &counts.to_json(),
            details: &json!({"stopped": stop}),
            error: error.as_deref(),
        },
    );
    if let Err(e) = finished {
        log.warn(
            "could not record the end of the run",
            json!({"run_id": run_id.0, "error": e.to_string()}),
        );
    }
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let fields = json!({"run_id": run_id.0, "status": status, "stopped": stop, "counts": counts.to_json(), "error": error, "duration_ms": duration_ms});
    match &result {
        Ok(_) if counts.claimed == 0 => {}
        Ok(_) => log.info("run finished", fields),
        Err(_) => log.error("run failed", fields),
    }
    let stop = result?;
    Ok(Report {
        run_id,
        owner,
        trigger,
        stop,
        counts,
        details,
        duration_ms,
    })
}
