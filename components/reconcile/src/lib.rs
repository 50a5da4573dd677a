//! Reconcile: pull sync and reconciliation with the Zoho Books API, run hourly by its cron
//! trigger (doing only what is due: a listing once a day, what is left to read, else
//! nothing) and by `POST /internal/reconcile` (`Authorization: Bearer <stats_token>`; a
//! whole run, or what is due with `?only_if_due=true`; `?fix=false` or a JSON body
//! `{"fix": false}` only reports drift).
//!
//! Per module it pulls the records modified since the module's cursor into the same inbox
//! and queue as webhooks (source `zoho_pull`, same idempotency and version rules), moving
//! the cursor only with a stored page; then compares Zoho's ids and modification times
//! with the ERP tables and runs integrity checks, storing a report in
//! `tds_reconcile_reports` and raising alerts ([`cycle`]). Requests are paced to the
//! per-minute limit, rate-limited answers waited out, the access token refreshed when it
//! expires or is refused ([`client`], [`oauth`]), and the API guarded by the
//! `outbound:zoho_api` circuit breaker.
//!
//! Variables: `database_url`, `stats_token`, `max_attempts`, `zoho_client_id`,
//! `zoho_client_secret`, `zoho_refresh_token`, `zoho_organization_id`, `zoho_data_center`,
//! `zoho_accounts_url`, `zoho_api_url`, `reconcile_enqueue_fixes`. Without the Zoho
//! credentials a called run records `not_configured` and does nothing, and the cron writes
//! nothing; the cron never fails for it (it fails only when the run failed: the database or
//! the Zoho API unavailable). A bad value (say `zoho_data_center = "mars"`, or
//! `max_attempts = "0"`) or `database_url` unset refuses the run before it starts: 503
//! `not_configured` on the route, a failed cron invocation logged as "not configured".
//!
//! Answers: 200 with the report (`completed` or `partial`), or `{"report": null,
//! "skipped": why}` when nothing was due; 502 `zoho_api_failed` with the
//! report when the API was down; 409 `already_running` while another run holds the lease;
//! 503 `not_configured` or `database_unavailable`.

mod client;
mod cycle;
mod drift;
mod http;
mod integrity;
mod oauth;
mod pull;
mod report;
mod settings;
mod store;

use serde_json::{json, Value};
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;
use tds_guest::http::HttpError;
use tds_guest::internal::{self, Answer};
use tds_guest::log::Logger;

use crate::settings::Variables;

const COMPONENT: &str = "reconcile";

tds_guest::cron_guest!(COMPONENT, cron);

fn cron(log: &Logger) -> Result<(), String> {
    let variables = internal::configured(Variables::read(), log)?;
    match cycle::run("cron", &variables, (None, cycle::Scope::Due), log) {
        Ok(cycle::Outcome::Ran { report, status }) if status == "failed" => Err(format!(
            "reconcile failed: {}",
            report["error"].as_str().unwrap_or_default()
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

#[http_component]
fn handle(req: Request) -> Response {
    let read = |req: &Request| {
        let fix = fix_flag(req).map_err(|m| HttpError::new(400, "invalid_request", m))?;
        let scope = scope(req).map_err(|m| HttpError::new(400, "invalid_request", m))?;
        Ok((fix, scope, Variables::read()?))
    };
    internal::serve(&req, COMPONENT, "run a reconciliation", read, |(fix, scope, variables), log| {
        Ok(match cycle::run("http", &variables, (fix, scope), log)? {
            cycle::Outcome::Busy { why } => Answer::Failed {
                status: 409,
                code: "already_running",
                message: why,
                field: "report",
                detail: Value::Null,
            },
            cycle::Outcome::Skipped { why } => {
                Answer::Report(json!({"report": null, "skipped": why}))
            }
            cycle::Outcome::NotConfigured { report_id, why } => Answer::Failed {
                status: 503,
                code: "not_configured",
                message: why,
                field: "report_id",
                detail: json!(report_id.0),
            },
            cycle::Outcome::Ran { report, status } if status == "failed" => Answer::Failed {
                status: 502,
                code: "zoho_api_failed",
                message: report["error"]
                    .as_str()
                    .unwrap_or("the run failed")
                    .to_string(),
                field: "report",
                detail: report,
            },
            cycle::Outcome::Ran { report, .. } => {
                Answer::Report(json!({"report": report, "skipped": null}))
            }
        })
    })
}

/// `?only_if_due=true` (what a scheduler calls: [`cycle::Scope::Due`]); otherwise the
/// whole run an operator asks for.
fn scope(req: &Request) -> Result<cycle::Scope, String> {
    let query = tds_core::payload::form_pairs(req.query().as_bytes());
    match query.iter().rev().find(|(k, _)| k == "only_if_due") {
        None => Ok(cycle::Scope::Full),
        Some((_, value)) => match value.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(cycle::Scope::Due),
            "false" | "0" | "no" => Ok(cycle::Scope::Full),
            other => Err(format!("only_if_due must be true or false, not {other:?}")),
        },
    }
}

/// `?fix=true|false` or a JSON body `{"fix": bool}`; `None` when neither says.
fn fix_flag(req: &Request) -> Result<Option<bool>, String> {
    let query = tds_core::payload::form_pairs(req.query().as_bytes());
    if let Some((_, value)) = query.iter().rev().find(|(k, _)| k == "fix") {
        return match value.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            other => Err(format!("fix must be true or false, not {other:?}")),
        };
    }
    let body = req.body();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    match value.get("fix") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(format!("fix must be true or false, not {other}")),
    }
}
