//! The processor: ONE wasm serving one Spin component per lane (`processor-sales`,
//! `processor-catalog`, …), each told its `lane` and `entity_types` through component
//! variables. It drains its lane (see [`drain`]) in one of three ways:
//!
//! - **Woken** ([`session`]): intake's wake, `POST /wake` by Spin's local service chaining
//!   (no public route leads that path to a processor, so nothing else reaches it), or
//!   `POST /internal/drain/<lane>?wake=true` with the bearer `stats_token` (a self request,
//!   for platforms that refuse chaining). Answered `202` at once; the session then drains
//!   the lane until it is empty, plus a short grace.
//! - **Cron** (the cron world `spin:cron@3.0.0`, `handle-cron-event`): the safety net. It
//!   drains only when the lane has due work, and records nothing otherwise.
//! - **Report**: `POST /internal/drain/<lane>` with the bearer token, for platforms without
//!   cron, answered with the run's report as JSON. `?keep_going_ms=N` (1 to 600000) keeps
//!   that invocation serving the lane for N ms, waiting when it is empty.

mod apply;
mod batch;
mod context;
mod drain;
mod event_log;
mod gate;
mod job;
mod outcome;
mod run;
mod session;
mod settings;
mod tally;

use std::time::Duration;

use serde_json::json;
use spin_sdk::http::{Method, Request, ResponseOutparam};
use spin_sdk::http_component;
use tds_core::query::Params;
use tds_core::variables;
use tds_core::wake::CHAINED_WAKE_PATH;
use tds_guest::http::{answer_now, check_internal_post, json_response, request_id, HttpError};
use tds_guest::internal::{self, Answer};
use tds_guest::log::Logger;
use tds_guest::vars;

use crate::run::Trigger;
use crate::settings::{Settings, MAX_KEEP_GOING_MS};

const COMPONENT: &str = "processor";

tds_guest::cron_guest!(COMPONENT, cron);

fn cron(log: &Logger) -> Result<(), String> {
    let settings = internal::configured(Settings::read(), log)?;
    session::serve(&settings, Trigger::Cron, log).map_err(|e| e.to_string())
}

#[http_component]
async fn handle(req: Request, response_out: ResponseOutparam) {
    let request_id = request_id(&req);
    let log = Logger::new(COMPONENT, &request_id);
    match admit_wake(&req) {
        Ok(Some(settings)) => {
            let accepted = json!({"status": "accepted", "lane": settings.lane.as_str(), "request_id": request_id});
            answer_now(response_out, json_response(202, &accepted, &request_id)).await;
            if let Err(e) = session::serve(&settings, Trigger::Wake, &log) {
                log.error("the woken drain failed", json!({"error": e.to_string()}));
            }
        }
        Ok(None) => {
            let response = internal::serve(&req, COMPONENT, "drain the lane", http_settings, |settings, log| {
                run::report(&settings, log).map(|report| Answer::Report(report.to_json()))
            });
            answer_now(response_out, response).await;
        }
        Err(e) => {
            internal::log_unservable(&log, "wake the lane", &e);
            answer_now(response_out, e.into_response(&request_id)).await;
        }
    }
}

/// The query parameters of the drain route.
const QUERY: [&str; 2] = ["keep_going_ms", "wake"];

/// A wake's settings; `None` when the request is no wake (the report route).
fn admit_wake(req: &Request) -> Result<Option<Settings>, HttpError> {
    let chained = req.path() == CHAINED_WAKE_PATH;
    let public = !chained && Params::parse(req.query(), &QUERY)
        .and_then(|params| params.opt_one_of("wake", &["true", "false"]))?
        == Some("true");
    if !chained && !public {
        return Ok(None);
    }
    if chained {
        if *req.method() != Method::Post {
            return Err(HttpError::method_not_allowed("POST", "use POST to wake the lane"));
        }
    } else {
        let token = vars::text(&variables::STATS_TOKEN);
        check_internal_post(req, "wake the lane", token.as_deref())?;
    }
    Ok(Some(Settings::read()?))
}

/// The settings, serving the lane for `?keep_going_ms` when given.
fn http_settings(req: &Request) -> Result<Settings, HttpError> {
    let keep_going = Params::parse(req.query(), &QUERY)
        .and_then(|params| params.opt_int("keep_going_ms", 1, MAX_KEEP_GOING_MS))?;
    let mut settings = Settings::read()?;
    settings.keep_going = keep_going.map(|ms| Duration::from_millis(ms.unsigned_abs()));
    Ok(settings)
}
