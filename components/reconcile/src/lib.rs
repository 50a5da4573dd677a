//! Reconcile: pull sync and reconciliation with the Zoho Books API, run nightly by its
//! cron trigger and by `POST /internal/reconcile` (`Authorization: Bearer <stats_token>`;
//! `?fix=true` or a JSON body `{"fix": true}` also enqueues the drift fixes).
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
//! credentials a run records `not_configured` and does nothing; the cron never fails for it
//! (it fails only when the run failed: the database or the Zoho API unavailable).
//!
//! Answers: 200 with the report (`completed` or `partial`); 502 `zoho_api_failed` with the
//! report when the API was down; 503 `not_configured` or `database_unavailable`.

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
use tds_guest::http::{check_internal_post, error_body, json_response, request_id, HttpError};
use tds_guest::log::Logger;
use tds_guest::vars;

wit_bindgen::generate!({
    world: "tds:host/cron-guest",
    path: "../../wit",
    generate_all,
});

const COMPONENT: &str = "reconcile";

struct Cron;

impl Guest for Cron {
    async fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        let log = Logger::new(COMPONENT, format!("cron-{}", metadata.timestamp));
        match cycle::run("cron", None, &log) {
            Ok(cycle::Outcome::Ran { report, status }) if status == "failed" => {
                Err(Error::Other(format!(
                    "reconcile failed: {}",
                    report["error"].as_str().unwrap_or_default()
                )))
            }
            Ok(_) => Ok(()),
            Err(e) => Err(Error::Other(e.to_string())),
        }
    }
}

export!(Cron);

#[http_component]
fn handle(req: Request) -> Response {
    let request_id = request_id(&req);
    let log = Logger::new(COMPONENT, &request_id);
    let token = vars::get("stats_token");
    if let Err(e) = check_internal_post(&req, "run a reconciliation", token.as_deref()) {
        return e.into_response(&request_id);
    }
    let fix = match fix_flag(&req) {
        Ok(fix) => fix,
        Err(message) => {
            return HttpError::new(400, "invalid_request", message).into_response(&request_id)
        }
    };
    match cycle::run("http", fix, &log) {
        Ok(cycle::Outcome::NotConfigured { report_id, why }) => {
            let mut body = error_body("not_configured", &why, &request_id);
            body["report_id"] = json!(report_id.0);
            json_response(503, &body, &request_id)
        }
        Ok(cycle::Outcome::Ran { report, status }) if status == "failed" => {
            let mut body = error_body(
                "zoho_api_failed",
                report["error"].as_str().unwrap_or("the run failed"),
                &request_id,
            );
            body["report"] = report;
            json_response(502, &body, &request_id)
        }
        Ok(cycle::Outcome::Ran { report, .. }) => json_response(
            200,
            &json!({"report": report, "request_id": request_id}),
            &request_id,
        ),
        Err(e) => HttpError::database_unavailable(e.to_string()).into_response(&request_id),
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
