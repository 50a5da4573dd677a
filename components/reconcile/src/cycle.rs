//! One reconciliation run, recorded as a `tds_sync_runs` row (component `reconcile`, its
//! `counts` the drift totals, integrity findings, fixes enqueued and API requests) and a
//! `tds_reconcile_reports` row:
//!
//! 1. unless Zoho is configured, record `not_configured` and stop (never an error);
//! 2. ask the `outbound:zoho_api` circuit breaker; while it is open the API is left alone;
//! 3. pull every module from its cursor ([`crate::pull`]);
//! 4. compare every module with the ERP ([`crate::drift`]), fixing when asked;
//! 5. integrity checks ([`crate::integrity`]), which need no API;
//! 6. alerts and the report ([`crate::report`]).
//!
//! API outages (5xx, transport failures after the retries) count against the breaker and
//! end the API work of the run; the time budget ends it too (cursors keep their place).

use std::time::Instant;

use serde_json::{json, Map, Value};
use tds_core::entity::Module;
use tds_core::ids::{ReportId, RunId};
use tds_guest::circuit::{CircuitBreaker, Gate};
use tds_guest::db::{Db, DbError};
use tds_guest::journal::{self, FinishRun, Invocation};
use tds_guest::log::Logger;
use tds_guest::reconcile::report::{self as stored_report, NotConfigured, StartReport};
use tds_guest::vars;
use tds_zoho::integrity::counts;

use crate::client::{ApiFailure, Client};
use crate::drift::check_module;
use crate::integrity;
use crate::pull::pull_module;
use crate::report::{self, DriftTotals, Finished};
use crate::settings::{Credentials, Settings};

const COMPONENT: &str = "reconcile";
const BREAKER: &str = "outbound:zoho_api";

/// How a run ended.
pub enum Outcome {
    /// Zoho credentials are not set: nothing was done.
    NotConfigured { report_id: ReportId, why: String },
    /// The run's report (as stored) and its status.
    Ran { report: Value, status: String },
}

/// Runs the cycle on `database_url`. Fails only when the database cannot be used.
pub fn run(
    trigger: &str,
    database_url: &str,
    fix: Option<bool>,
    log: &Logger,
) -> Result<Outcome, DbError> {
    let started = Instant::now();
    let (Invocation { owner, log, db }, run_id) =
        Invocation::begin_run(COMPONENT, trigger, database_url, log)?;
    let credentials = match Credentials::from_variables() {
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
    let settings = Settings::read(&db)?;
    let fix = fix.unwrap_or_else(crate::settings::fixes_by_default);
    let max_attempts = vars::positive("max_attempts", 8).unwrap_or(8);
    let report_id = stored_report::start(&db, &StartReport { trigger, run_id })?;
    let breaker = CircuitBreaker::new(&db, BREAKER, settings.circuit);
    let mut client = Client::new(&db, &credentials, &settings, &log);
    let mut errors: Vec<String> = Vec::new();
    let mut outage: Option<String> = None;
    let mut api_open = match breaker.admit()? {
        Gate::Pass { .. } | Gate::Probe => true,
        Gate::Refused { retry_in_seconds } => {
            errors.push(format!(
                "circuit {BREAKER} is open; the Zoho API is left alone for {retry_in_seconds:.0} s"
            ));
            false
        }
    };
    let mut pull = Map::new();
    let mut pull_complete = true;
    for module in &settings.modules {
        if !api_open {
            pull_complete = false;
            break;
        }
        let (outcome, failure) = pull_module(
            &db,
            &mut client,
            &settings,
            *module,
            owner.as_str(),
            max_attempts,
            &log,
        );
        pull_complete &= outcome.complete;
        if let Some(error) = &outcome.error {
            errors.push(format!("pull {module}: {error}"));
        }
        pull.insert(module.as_str().to_string(), outcome.to_json());
        if let Some(failure) = failure.filter(ApiFailure::is_outage) {
            outage = Some(failure.to_string());
            api_open = false;
        }
        if client.out_of_time() {
            api_open = false;
        }
    }
    let mut drift = Map::new();
    let mut totals = DriftTotals::default();
    let mut fixes = 0u32;
    let mut unchecked: Vec<&str> = Vec::new();
    let limit = usize::try_from(settings.finding_limit).unwrap_or(usize::MAX);
    for module in &settings.modules {
        if !api_open {
            unchecked.push(module.as_str());
            continue;
        }
        match check_module(
            &db,
            &mut client,
            &settings,
            *module,
            fix,
            owner.as_str(),
            max_attempts,
        ) {
            Ok(found) => {
                totals.missing += found.drift.missing.len();
                totals.extra += found.drift.extra.len();
                totals.stale += found.drift.stale.len();
                totals.in_flight += found.drift.in_flight.len();
                fixes += found.fixes.as_ref().map_or(0, |t| t.queued + t.superseded);
                drift.insert(module.as_str().to_string(), found.to_json(limit));
            }
            Err(e) => {
                let _ = db.rollback();
                errors.push(format!("drift {module}: {e}"));
                unchecked.push(module.as_str());
                if e.is_outage() {
                    outage = Some(e.to_string());
                }
                if e.is_outage() || matches!(e, ApiFailure::Budget) {
                    api_open = false;
                }
            }
        }
    }
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
    let status = if outage.is_some() || (!errors.is_empty() && pull.is_empty() && drift.is_empty())
    {
        "failed"
    } else if pull_complete && drift_checked && errors.is_empty() {
        "completed"
    } else {
        "partial"
    };
    let counters = client.counters;
    let summary = json!({
        "drift": totals.to_json(), "drift_unchecked": unchecked,
        "integrity": counts(&findings), "alerts": alerts, "fix": fix,
        "modules": settings.modules.iter().map(|m: &Module| m.as_str()).collect::<Vec<_>>(),
        "requests": {"total": counters.requests, "rate_limited": counters.rate_limited,
                     "retries": counters.retries, "token_refreshes": counters.token_refreshes},
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
    log.info(
        "reconcile run finished",
        json!({"report_id": report_id.0, "status": status, "drift": totals.to_json(), "requests": counters.requests}),
    );
    Ok(Outcome::Ran {
        report: report::read(&db, report_id)?,
        status: status.to_string(),
    })
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
