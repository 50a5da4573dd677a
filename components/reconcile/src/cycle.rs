//! One reconciliation run, recorded as a `tds_sync_runs` row (component `reconcile`, its
//! `counts` the drift totals, integrity findings, fixes enqueued and API requests) and a
//! `tds_reconcile_reports` row:
//!
//! 0. a scheduled run ([`Scope::Due`]) first asks whether anything is due, and when nothing
//!    is (or Zoho is not configured, or today's budget is spent) writes nothing at all; then
//!    the run takes the lease that lets one run at a time (`reconcile:run` in
//!    `tds_cursors`, its time budget and 5 minutes), or leaves the work to the run holding
//!    it;
//! 1. unless Zoho is configured, record `not_configured` and stop (never an error);
//! 2. ask the `outbound:zoho_api` circuit breaker; while it is open the API is left alone;
//! 3. pull ([`crate::pull`]): list the modules (all of them, or those due) from their
//!    cursors, read what the listing shows changed, then, after a listing, re-read a
//!    rotating slice;
//! 4. compare every module's listing with the ERP ([`crate::drift`], no requests), and
//!    read and queue the fixes when asked (the default);
//! 5. integrity checks ([`crate::integrity`]), which need no API;
//! 6. alerts and the report ([`crate::report`]).
//!
//! API outages (5xx, transport failures after the retries) count against the breaker and
//! end the API work of the run; the time budget and the day's request budget end it too
//! (cursors keep their place, and what was read is kept).

use std::time::Instant;

use chrono::Utc;
use serde_json::{json, Map, Value};
use tds_core::entity::Module;
use tds_core::ids::{ReportId, RunId};
use tds_guest::circuit::{CircuitBreaker, Gate};
use tds_guest::db::{Db, DbError};
use tds_guest::journal::{self, FinishRun, Invocation, StartRun};
use tds_guest::log::Logger;
use tds_guest::reconcile::report::{self as stored_report, NotConfigured, StartReport};
use tds_guest::reconcile::{self, ModuleProgress, RunLease};
use tds_zoho::integrity::counts;
use tds_zoho::pull::ListingCursor;

use crate::client::{ApiFailure, Client};
use crate::drift::{check_module, fix_module};
use crate::integrity;
use crate::pull::{list_module, read_listed, reread_slice, ModulePull, Pulls};
use crate::report::{self, DriftTotals, Finished};
use crate::settings::{Settings, Variables};
use crate::store::StoreAs;

const COMPONENT: &str = "reconcile";
/// A run's lease lasts its time budget and this much more, for drift, integrity and the
/// report; a run that dies frees it after that.
const LEASE_MARGIN_SECONDS: f64 = 300.0;
const BREAKER: &str = "outbound:zoho_api";

/// Which work a run takes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything: every module listed whatever its last listing (an operator's call).
    Full,
    /// What is due (the schedule's runs): the modules whose listing is under way or whose
    /// last whole listing is `reconcile_check_interval_hours` old, and what is left to
    /// read. When nothing is due, or today's budget is spent, or Zoho is not configured,
    /// nothing at all: no run row, no report, one log line.
    Due,
}

/// How a run ended.
pub enum Outcome {
    /// Zoho credentials are not set: nothing was done.
    NotConfigured { report_id: ReportId, why: String },
    /// Nothing was due ([`Scope::Due`]): why.
    Skipped { why: String },
    /// Another run holds the lease ([`Scope::Full`]): why.
    Busy { why: String },
    /// The run's report (as stored) and its status.
    Ran { report: Value, status: String },
}

/// Runs the cycle as `variables` say. Fails only when the database cannot be used.
pub fn run(
    trigger: &str,
    variables: &Variables,
    (fix, scope): (Option<bool>, Scope),
    log: &Logger,
) -> Result<Outcome, DbError> {
    let started = Instant::now();
    let Invocation { owner, log, db } = Invocation::open(COMPONENT, &variables.database_url, log)?;
    let settings = Settings::read(&db)?;
    let credentials = variables.credentials.clone();
    let listing = match (scope, &credentials) {
        (Scope::Full, _) => settings.modules.clone(),
        (Scope::Due, Err(why)) => return Ok(skipped(&log, why.clone())),
        (Scope::Due, Ok(_)) => match due_modules(&db, &settings)? {
            Ok(due) => due,
            Err(why) => return Ok(skipped(&log, why)),
        },
    };
    if credentials.is_ok() {
        let lease = RunLease {
            owner: owner.as_str(),
            seconds: settings.time_budget.as_secs_f64() + LEASE_MARGIN_SECONDS,
        };
        if let Some(until) = reconcile::take_run_lease(&db, &lease)? {
            let why = format!("another reconcile run is under way (its lease runs until {until})");
            return Ok(match scope {
                Scope::Due => skipped(&log, why),
                Scope::Full => Outcome::Busy { why },
            });
        }
    }
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
    let credentials = match credentials {
        Ok(c) => c,
        Err(why) => {
            let report_id =
                stored_report::not_configured(&db, &NotConfigured { trigger, why: &why })?;
            finish_run(
                &db,
                run_id,
                "completed",
                &json!({}),
                json!({"not_configured": why}),
                None,
            )?;
            log.info(
                "reconcile is not configured; nothing done",
                json!({"why": why}),
            );
            return Ok(Outcome::NotConfigured { report_id, why });
        }
    };
    let fix = fix.unwrap_or(variables.enqueue_fixes);
    let max_attempts = variables.max_attempts;
    let report_id = stored_report::start(&db, &StartReport { trigger, run_id })?;
    let breaker = CircuitBreaker::new(&db, BREAKER, settings.circuit);
    let mut client = Client::new(&db, &credentials, &settings, &log);
    let mut errors: Vec<String> = Vec::new();
    let api_open = match breaker.admit()? {
        Gate::Pass { .. } | Gate::Probe => true,
        Gate::Refused { retry_in_seconds } => {
            errors.push(format!(
                "circuit {BREAKER} is open; the Zoho API is left alone for {retry_in_seconds:.0} s"
            ));
            false
        }
    };
    let store = StoreAs {
        correlation_id: owner.as_str(),
        max_attempts,
    };
    let mut pulls = Pulls::new();
    let mut stopped: Option<ApiFailure> = None;
    for module in &listing {
        if !api_open || stopped.is_some() {
            break;
        }
        let outcome = pulls.entry(*module).or_default();
        if let Err(failure) = list_module(&db, &mut client, &settings, *module, outcome) {
            let _ = db.rollback();
            stop(
                failure,
                &mut stopped,
                &mut errors,
                &format!("list {module}"),
            );
        }
    }
    if api_open && stopped.is_none() {
        if let Err(failure) = read_listed(&db, &mut client, &settings.modules, &store, &mut pulls) {
            let _ = db.rollback();
            stop(failure, &mut stopped, &mut errors, "read");
        }
    }
    let waiting = reconcile::pull_progress(&db)?;
    let to_read = |module: Module| progress_of(&waiting, module).map_or(0, |p| p.to_read);
    let listed_whole = pulls.values().any(|p| p.pass_ended);
    if api_open
        && stopped.is_none()
        && listed_whole
        && settings.modules.iter().all(|m| to_read(*m) == 0)
    {
        if let Err(failure) = reread_slice(
            &db,
            &mut client,
            &settings.modules,
            (settings.rereads_per_run, started.elapsed().as_secs_f64()),
            &store,
            &mut pulls,
        ) {
            let _ = db.rollback();
            stop(failure, &mut stopped, &mut errors, "re-read");
        }
    }
    let mut drift = Map::new();
    let mut totals = DriftTotals::default();
    let mut fixes = 0u32;
    let mut unchecked: Vec<&str> = Vec::new();
    let limit = usize::try_from(settings.finding_limit).unwrap_or(usize::MAX);
    for module in &settings.modules {
        let pass_ended = pulls.get(module).is_some_and(|p| p.pass_ended);
        let mut found = check_module(&db, *module, pass_ended)?;
        if !found.extra_checked {
            unchecked.push(module.as_str());
        }
        if fix && found.drift.differences() > 0 && api_open && stopped.is_none() {
            if let Err(failure) = fix_module(&db, &mut client, *module, &mut found, &store) {
                let _ = db.rollback();
                stop(failure, &mut stopped, &mut errors, &format!("fix {module}"));
            }
        }
        totals.missing += found.drift.missing.len();
        totals.extra += found.drift.extra.len();
        totals.stale += found.drift.stale.len();
        totals.in_flight += found.drift.in_flight.len();
        totals.pending += found.drift.pending.len();
        fixes += found.fixes.as_ref().map_or(0, |t| t.queued + t.superseded);
        drift.insert(module.as_str().to_string(), found.to_json(limit));
    }
    let outage = stopped
        .as_ref()
        .filter(|f| f.is_outage())
        .map(ApiFailure::to_string);
    let pull_complete = api_open
        && settings.modules.iter().all(|m| {
            progress_of(&waiting, *m)
                .is_some_and(|p| ListingCursor::from_json(Some(&p.cursor)).caught_up(p.to_read))
        });
    let untouched = ModulePull::default();
    let pull: Map<String, Value> = if api_open {
        settings
            .modules
            .iter()
            .map(|m| {
                let outcome = pulls.get(m).unwrap_or(&untouched);
                (m.as_str().to_string(), outcome.to_json(to_read(*m)))
            })
            .collect()
    } else {
        Map::new()
    };
    record_breaker(&breaker, &client, outage.as_deref(), &log);
    let findings = match integrity::run(&db, &settings) {
        Ok(f) => f,
        Err(e) => {
            errors.push(format!("integrity: {e}"));
            Vec::new()
        }
    };
    let drift_checked = unchecked.is_empty();
    let alerts = report::raise_alerts(&db, report_id, &totals, &drift, drift_checked, &findings)
        .unwrap_or_else(|e| {
            errors.push(format!("alerts: {e}"));
            Vec::new()
        });
    let status = if outage.is_some() || !api_open {
        "failed"
    } else if pull_complete && drift_checked && errors.is_empty() && stopped.is_none() {
        "completed"
    } else {
        "partial"
    };
    let counters = client.counters;
    let today = reconcile::requests_today(&db)?;
    let summary = json!({
        "drift": totals.to_json(), "drift_unchecked": unchecked,
        "integrity": counts(&findings), "alerts": alerts, "fix": fix,
        "modules": settings.modules.iter().map(|m: &Module| m.as_str()).collect::<Vec<_>>(),
        "requests": {"total": counters.requests, "rate_limited": counters.rate_limited,
                     "retries": counters.retries, "token_refreshes": counters.token_refreshes,
                     "today": today.requests, "refused_today": today.refused,
                     "day_budget": settings.daily.spendable()},
        "stopped": stopped.as_ref().map(ApiFailure::to_string),
        "duration_ms": started.elapsed().as_secs_f64() * 1000.0,
    });
    let error = (!errors.is_empty()).then(|| errors.join("; "));
    report::finish(
        &db,
        report_id,
        Finished {
            status,
            pull: Value::Object(pull),
            drift: Value::Object(drift),
            integrity: json!(findings),
            summary: summary.clone(),
            fixes_enqueued: fixes,
            api_requests: counters.requests,
            error: error.clone(),
        },
    )?;
    let run_status = if status == "failed" {
        "failed"
    } else {
        "completed"
    };
    let run_counts = json!({
        "drift": totals.to_json(), "integrity_findings": findings.len(),
        "fixes_enqueued": fixes, "api_requests": counters.requests,
    });
    finish_run(
        &db,
        run_id,
        run_status,
        &run_counts,
        json!({"report_id": report_id.0, "summary": summary}),
        error,
    )?;
    reconcile::release_run_lease(&db, owner.as_str())?;
    log.info(
        "reconcile run finished",
        json!({"report_id": report_id.0, "status": status, "drift": totals.to_json(), "requests": counters.requests}),
    );
    Ok(Outcome::Ran {
        report: report::read(&db, report_id)?,
        status: status.to_string(),
    })
}

/// A run with nothing to do: logged, nothing written.
fn skipped(log: &Logger, why: String) -> Outcome {
    log.info("reconcile: nothing due; nothing done", json!({"why": why}));
    Outcome::Skipped { why }
}

/// The modules due for listing, or why the run has nothing to do: today's budget spent,
/// or every listing fresh and nothing left to read.
fn due_modules(db: &Db, settings: &Settings) -> Result<Result<Vec<Module>, String>, DbError> {
    let today = reconcile::requests_today(db)?;
    let budget = settings.daily.spendable();
    if i64::from(today.requests) >= i64::from(budget) {
        return Ok(Err(format!(
            "today's request budget ({budget} requests) is spent"
        )));
    }
    let progress = reconcile::pull_progress(db)?;
    let now = Utc::now();
    let mut due = Vec::new();
    let mut waiting = 0;
    for module in &settings.modules {
        let known = progress_of(&progress, *module);
        let cursor = ListingCursor::from_json(known.map(|p| p.cursor.as_str()));
        if cursor.due(now, settings.check_interval_hours) {
            due.push(*module);
        }
        waiting += known.map_or(0, |p| p.to_read);
    }
    if due.is_empty() && waiting == 0 {
        return Ok(Err(format!(
            "every listing is younger than {} h and nothing waits to be read",
            settings.check_interval_hours
        )));
    }
    Ok(Ok(due))
}

/// `module`'s progress among `progress`; `None` before its first listing.
fn progress_of(progress: &[ModuleProgress], module: Module) -> Option<&ModuleProgress> {
    progress.iter().find(|p| p.module == module.as_str())
}

/// Records a failure of the API work: one that ends it is kept in `stopped` (a spent
/// budget is no error: the next run goes on); any other is an error of the run.
fn stop(
    failure: ApiFailure,
    stopped: &mut Option<ApiFailure>,
    errors: &mut Vec<String>,
    context: &str,
) {
    if !matches!(failure, ApiFailure::Budget | ApiFailure::DailyBudget(_)) {
        errors.push(format!("{context}: {failure}"));
    }
    if failure.ends_api_work() {
        *stopped = Some(failure);
    }
}

/// Tells the breaker how the API did: an outage is a failure; requests without one a success.
fn record_breaker(
    breaker: &CircuitBreaker<'_>,
    client: &Client<'_>,
    outage: Option<&str>,
    log: &Logger,
) {
    let recorded = match outage {
        Some(why) => breaker.record_failure(why).map(drop),
        None if client.counters.requests > 0 => breaker.record_success(),
        None => Ok(()),
    };
    if let Err(e) = recorded {
        log.warn(
            "could not record the Zoho API's breaker",
            json!({"error": e.to_string()}),
        );
    }
}

fn finish_run(
    db: &Db,
    run_id: RunId,
    status: &str,
    counts: &Value,
    details: Value,
    error: Option<String>,
) -> Result<(), DbError> {
    journal::finish_run(
        db,
        &FinishRun {
            id: run_id,
            status,
            counts,
            details: &details,
            error: error.as_deref(),
        },
    )
}
