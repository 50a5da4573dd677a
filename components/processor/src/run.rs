//! One invocation and its `tds_sync_runs` row: open the connection, drain the lane (see
//! [`crate::drain`]), finish the run with its counts and why it stopped, and report.
//!
//! The report route ([`report`]) always records its run: its answer names it. A drain
//! session ([`crate::session`]) records one only once it has something to say: a batch
//! claimed, a failure, or a stop other than an empty lane. A cron run or a wake that finds
//! nothing to do leaves no row.

use std::time::Instant;

use serde_json::{json, Value};
use tds_core::ids::{LeaseOwner, RunId};
use tds_guest::db::{Db, DbError};
use tds_guest::journal::{self, FinishRun, Invocation, StartRun};
use tds_guest::log::Logger;

use crate::context::Session;
use crate::drain::{drain, Pace, Stop};
use crate::settings::Settings;
use crate::tally::Counts;

/// What started the invocation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Cron,
    Http,
    Wake,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Cron => "cron",
            Trigger::Http => "http",
            Trigger::Wake => "wake",
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

/// The `tds_sync_runs` row of an invocation, opened when first needed.
pub struct RunRow<'a> {
    db: &'a Db,
    component: String,
    settings: &'a Settings,
    owner: &'a LeaseOwner,
    trigger: Trigger,
    details: Value,
    id: Option<RunId>,
}

impl<'a> RunRow<'a> {
    /// A row not opened yet; `details` describe the invocation's settings.
    pub fn new(session: &Session<'a>, trigger: Trigger) -> RunRow<'a> {
        let settings = session.settings;
        RunRow {
            db: session.db,
            component: settings.component(),
            settings,
            owner: session.owner,
            trigger,
            details: json!({
                "lane": settings.lane.as_str(),
                "claimable": settings.claimable.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                "unsupported_left_in_queue": settings.unsupported.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                "ignored_entity_types": settings.ignored,
                "lease_seconds": settings.lease_seconds,
                "batch_size": settings.batch_size,
                "time_budget_ms": settings.time_budget.as_millis() as u64,
                "keep_going_ms": settings.keep_going.map(|d| d.as_millis() as u64),
                "lock_timeout_ms": session.tuning.lock_timeout_ms,
            }),
            id: None,
        }
    }

    /// The run's id, opening the row (`journal::START_RUN`) on the first call.
    pub fn id(&mut self) -> Result<RunId, DbError> {
        if let Some(id) = self.id {
            return Ok(id);
        }
        let id = journal::start_run(
            self.db,
            &StartRun {
                component: &self.component,
                lane: Some(self.settings.lane),
                run_owner: self.owner,
                trigger: self.trigger.as_str(),
                details: &self.details,
            },
        )?;
        self.id = Some(id);
        Ok(id)
    }

    /// Whether the row was opened.
    pub fn is_open(&self) -> bool {
        self.id.is_some()
    }

    /// Closes the row with the invocation's outcome (a failure to is logged) and logs the
    /// end of a run that claimed something or failed.
    pub fn finish(&self, result: &Result<Stop, DbError>, counts: &Counts, started: Instant, log: &Logger) {
        let (status, stop, error) = match result {
            Ok(stop) => ("completed", Some(stop.as_str()), None),
            Err(e) => ("failed", None, Some(e.to_string())),
        };
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let run_id = self.id.map(|id| id.0);
        if let Some(id) = self.id {
            let finished = journal::finish_run(
                self.db,
                &FinishRun {
                    id,
                    status,
                    counts: &counts.to_json(),
                    details: &json!({"stopped": stop}),
                    error: error.as_deref(),
                },
            );
            if let Err(e) = finished {
                log.warn(
                    "could not record the end of the run",
                    json!({"run_id": run_id, "error": e.to_string()}),
                );
            }
        }
        let fields = json!({"run_id": run_id, "trigger": self.trigger.as_str(), "status": status, "stopped": stop,
                            "counts": counts.to_json(), "error": error, "duration_ms": duration_ms});
        match result {
            Ok(_) if counts.claimed == 0 => {}
            Ok(_) => log.info("run finished", fields),
            Err(_) => log.error("run failed", fields),
        }
    }
}

/// The report route's invocation: drains the lane and answers its recorded run.
pub fn report(settings: &Settings, log: &Logger) -> Result<Report, DbError> {
    let started = Instant::now();
    let Invocation { owner, log, db } = Invocation::open(&settings.component(), &settings.database_url, log)?;
    let session = Session::open(&db, settings, &owner, &log)?;
    let mut run = RunRow::new(&session, Trigger::Http);
    let run_id = run.id()?;
    let mut counts = Counts::default();
    let result = drain(&session, &mut run, Pace::Report, started, &mut counts);
    run.finish(&result, &counts, started, &log);
    let stop = result?;
    Ok(Report {
        run_id,
        owner: owner.clone(),
        trigger: Trigger::Http,
        stop,
        counts,
        details: run.details.clone(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}
