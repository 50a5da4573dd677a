//! One heal run: the steps in order, each bounded and each in its own short
//! transaction(s); a step that fails is rolled back, logged and recorded, and the later
//! steps still run. A scheduled run first asks whether it is due ([`run_if_due`]): when TDS has been idle
//! for [`ACTIVITY_SECONDS`] and a cycle ran within [`FULL_CYCLE_SECONDS`], it does nothing
//! else and records nothing. The run is a `tds_sync_runs` row (component `heal`) whose `counts`
//! hold each step's figures by step name and whose `details.errors` name the failed steps.

use std::time::Instant;

use serde_json::{json, Map, Value};
use tds_guest::db::{Db, DbError};
use tds_guest::heal::{cycle_due, CycleDue};
use tds_guest::journal::{self, FinishRun, Invocation, StartRun};
use tds_guest::log::Logger;

use crate::settings::{HealConfig, Variables};
use crate::{abandoned, alerts, auto_retry, notify, reclaim, retention, rollups};

const COMPONENT: &str = "heal";

/// A run's outcome: its report (as answered on the HTTP route) and whether every step
/// succeeded.
pub struct Outcome {
    pub report: Value,
    pub failed_steps: Vec<String>,
}

/// A scheduled cycle runs at least this often, so retention, rollups and the closing of
/// abandoned runs go on in an idle TDS.
pub const FULL_CYCLE_SECONDS: f64 = 3600.0;

/// Activity this recent makes a scheduled cycle due: longer than the rollups' settling
/// minutes (`heal_rollup_settle_minutes`, 10 by default), so the minutes after the last
/// change are settled before heal goes quiet.
pub const ACTIVITY_SECONDS: f64 = 900.0;

/// Runs the cycle on the database `variables` name and records it. Fails only when the
/// run cannot start (no database).
pub fn run(trigger: &str, variables: &Variables, log: &Logger) -> Result<Outcome, DbError> {
    let started = Instant::now();
    let invocation = Invocation::open(COMPONENT, &variables.database_url, log)?;
    run_on(invocation, trigger, started, variables.max_attempts)
}

/// A scheduled run: on the same connection, first whether the cycle is due
/// (`tds_store::heal::CYCLE_DUE`), then the cycle, recorded, when it is. `None` when it is
/// not: one statement, and nothing recorded, when TDS is idle.
pub fn run_if_due(variables: &Variables, log: &Logger) -> Result<Option<Outcome>, DbError> {
    let started = Instant::now();
    let invocation = Invocation::open(COMPONENT, &variables.database_url, log)?;
    let due = CycleDue {
        full_cycle_seconds: FULL_CYCLE_SECONDS,
        activity_seconds: ACTIVITY_SECONDS,
    };
    if !cycle_due(&invocation.db, &due)? {
        return Ok(None);
    }
    run_on(invocation, "cron", started, variables.max_attempts).map(Some)
}

/// The cycle on an open invocation, recorded as a run of `trigger`; `max_attempts` is the
/// variable's, for events re-queued from dead letters.
fn run_on(
    invocation: Invocation,
    trigger: &str,
    started: Instant,
    max_attempts: u32,
) -> Result<Outcome, DbError> {
    let Invocation { owner, log, db } = invocation;
    let run_id = journal::start_run(
        &db,
        &StartRun {
            component: COMPONENT,
            lane: None,
            run_owner: &owner,
            trigger,
            details: &json!({}),
        },
    )?;
    let mut counts = Map::new();
    let mut errors = Map::new();
    match HealConfig::read(&db) {
        Ok(config) => run_steps(&db, &config, max_attempts, &log, &mut counts, &mut errors),
        Err(e) => {
            errors.insert("config".into(), json!(e.to_string()));
        }
    }
    let failed_steps: Vec<String> = errors.keys().cloned().collect();
    let status = if failed_steps.is_empty() {
        "completed"
    } else {
        "failed"
    };
    let error = (!failed_steps.is_empty()).then(|| {
        errors
            .iter()
            .map(|(step, e)| format!("{step}: {}", e.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("; ")
    });
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let counts = Value::Object(counts);
    let errors = Value::Object(errors);
    let finished = journal::finish_run(
        &db,
        &FinishRun {
            id: run_id,
            status,
            counts: &counts,
            details: &json!({"errors": errors, "duration_ms": duration_ms}),
            error: error.as_deref(),
        },
    );
    if let Err(e) = finished {
        log.warn(
            "could not record the end of the run",
            json!({"run_id": run_id.0, "error": e.to_string()}),
        );
    }
    if let Some(error) = &error {
        log.error(
            "heal run had failed steps",
            json!({"run_id": run_id.0, "error": error}),
        );
    }
    Ok(Outcome {
        report: json!({"run_id": run_id.0, "run_owner": owner.as_str(), "trigger": trigger, "status": status,
                       "counts": counts, "errors": errors, "duration_ms": duration_ms}),
        failed_steps,
    })
}

fn run_steps(
    db: &Db,
    config: &HealConfig,
    max_attempts: u32,
    log: &Logger,
    counts: &mut Map<String, Value>,
    errors: &mut Map<String, Value>,
) {
    let max_attempts =
        i32::try_from(max_attempts).expect("the registry bounds max_attempts by INT4_MAX");
    type Step<'a> = Box<dyn Fn() -> Result<Value, DbError> + 'a>;
    let steps: [(&str, Step<'_>); 7] = [
        (
            "reclaim",
            Box::new(|| reclaim::run(db, config.reclaim_limit.unsigned_abs(), log)),
        ),
        (
            "dead_letter_retry",
            Box::new(|| auto_retry::run(db, config, max_attempts, log)),
        ),
        ("alerts", Box::new(|| alerts::run(db, config, log))),
        ("notify", Box::new(|| notify::run(db, config, log))),
        ("rollups", Box::new(|| rollups::run(db, config, log))),
        ("retention", Box::new(|| retention::run(db, config, log))),
        (
            "abandoned_runs",
            Box::new(|| abandoned::run(db, config, log)),
        ),
    ];
    for (name, step) in steps {
        match step() {
            Ok(figures) => {
                counts.insert(name.to_string(), figures);
            }
            Err(e) => {
                let _ = db.rollback();
                log.error(
                    "heal step failed",
                    json!({"step": name, "error": e.to_string()}),
                );
                errors.insert(name.to_string(), json!(e.to_string()));
            }
        }
    }
}
