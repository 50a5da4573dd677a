//! The shell of a component run by the cron trigger and by an internal `POST` route
//! (`Authorization: Bearer <stats_token>`) for platforms without cron; the component
//! brings only its work and what its answer says.
//!
//! - [`cron_guest!`](crate::cron_guest) exports `handle-cron-event`: the work runs with a
//!   logger whose correlation id is `cron-<timestamp>`, its failure a cron `Error::Other`.
//! - [`serve`] admits the request ([`check_internal_post`]), reads what the work needs
//!   from it, runs the work with a logger whose correlation id is the request id, and
//!   answers its [`Answer`]; a database failure is 503 `database_unavailable`. A request
//!   the component cannot serve as configured (a 5xx from reading it, such as 503
//!   `not_configured`) is logged as an error too; the work logs its own failures.

use std::fmt::Display;

use serde_json::{json, Value};
use spin_sdk::http::{Request, Response};
use tds_core::variables::{self, VariableError};

use crate::db::DbError;
use crate::http::{check_internal_post, error_body, json_response, request_id, HttpError};
use crate::log::Logger;
use crate::vars;

/// What an internal route's work answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// 200: the report (an object) with `request_id` added.
    Report(Value),
    /// `status`: the error body for `code` and `message`, with `detail` under `field`.
    Failed {
        status: u16,
        code: &'static str,
        message: String,
        field: &'static str,
        detail: Value,
    },
}

impl Answer {
    pub fn into_response(self, request_id: &str) -> Response {
        match self {
            Answer::Report(mut report) => {
                report["request_id"] = json!(request_id);
                json_response(200, &report, request_id)
            }
            Answer::Failed {
                status,
                code,
                message,
                field,
                detail,
            } => {
                let mut body = error_body(code, &message, request_id);
                body[field] = detail;
                json_response(status, &body, request_id)
            }
        }
    }
}

/// Answers an internal route: `purpose` names it in the 405 (`use POST to <purpose>`);
/// `read` takes what `work` needs from the request, or refuses it.
pub fn serve<T>(
    req: &Request,
    component: &'static str,
    purpose: &str,
    read: impl FnOnce(&Request) -> Result<T, HttpError>,
    work: impl FnOnce(T, &Logger) -> Result<Answer, DbError>,
) -> Response {
    let request_id = request_id(req);
    let log = Logger::new(component, &request_id);
    let token = vars::text(&variables::STATS_TOKEN);
    let answer = check_internal_post(req, purpose, token.as_deref())
        .and_then(|()| read(req).inspect_err(|e| log_unservable(&log, purpose, e)))
        .and_then(|input| {
            work(input, &log).map_err(|e| HttpError::database_unavailable(e.to_string()))
        });
    match answer {
        Ok(answer) => answer.into_response(&request_id),
        Err(e) => e.into_response(&request_id),
    }
}

/// Logs, as an error, a request refused with a 5xx because the component cannot serve it
/// as configured (such as 503 `not_configured`), as its cron invocation logs the same
/// failure: on a platform without cron the route is all that runs the component, and its
/// caller is a scheduler nobody reads. Refusals of the caller's request (4xx) are answered
/// only.
pub fn log_unservable(log: &Logger, purpose: &str, error: &HttpError) {
    if error.status >= 500 {
        log.error(
            &format!("cannot {purpose}"),
            json!({"status": error.status, "code": error.code, "reason": error.message}),
        );
    }
}

/// A cron invocation's variables, read through the registry: a bad one (or a required one
/// unset) is logged as an error, "not configured" with the variable's name, and fails the
/// invocation, which then does nothing: the cron counterpart of the 503 `not_configured`
/// an internal route answers (and logs) for it.
pub fn configured<T>(setting: Result<T, VariableError>, log: &Logger) -> Result<T, String> {
    setting.map_err(|e| {
        let error = e.to_string();
        log.error(
            "not configured",
            json!({"variable": e.name(), "error": error}),
        );
        error
    })
}

/// The logger of the cron invocation fired at `timestamp`.
pub fn cron_logger(component: &'static str, timestamp: impl Display) -> Logger {
    Logger::new(component, format!("cron-{timestamp}"))
}

/// Expands, in a component crate depending on `wit-bindgen`, the bindings of the
/// `tds:host/cron-guest` world (`../../wit`) and their export: `handle-cron-event` runs
/// `$work` (`fn(&Logger) -> Result<(), String>`) with [`cron_logger`] for `$component`
/// and fails with `Error::Other` carrying its error.
#[macro_export]
macro_rules! cron_guest {
    ($component:expr, $work:expr) => {
        ::wit_bindgen::generate!({
            world: "tds:host/cron-guest",
            path: "../../wit",
            generate_all,
        });

        struct Cron;

        impl Guest for Cron {
            async fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
                let log = $crate::internal::cron_logger($component, metadata.timestamp);
                $work(&log).map_err(Error::Other)
            }
        }

        export!(Cron);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(answer: Answer) -> (u16, Vec<u8>) {
        let response = answer.into_response("r1");
        (*response.status(), response.body().to_vec())
    }

    #[test]
    fn a_report_is_200_with_the_request_id() {
        assert_eq!(
            sent(Answer::Report(json!({"run_id": 7}))),
            (
                200,
                json!({"run_id": 7, "request_id": "r1"})
                    .to_string()
                    .into_bytes()
            )
        );
    }

    #[test]
    fn a_failure_is_its_error_body_with_its_detail() {
        let answer = Answer::Failed {
            status: 500,
            code: "heal_steps_failed",
            message: "heal steps failed: alerts".into(),
            field: "run",
            detail: json!({"status": "failed"}),
        };
        assert_eq!(
            sent(answer),
            (
                500,
                br#"{"error":{"code":"heal_steps_failed","message":"heal steps failed: alerts"},"request_id":"r1","run":{"status":"failed"}}"#
                    .to_vec()
            )
        );
    }

    #[test]
    fn a_cron_logger_is_named_for_its_timestamp() {
        let line = cron_logger("heal", 1_700_000_000_u64).line("info", "m", Value::Null);
        let line: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(line["correlation_id"], "cron-1700000000");
        assert_eq!(line["component"], "heal");
    }
}
