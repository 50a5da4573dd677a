//! The processor: ONE wasm serving one Spin component per lane (`processor-sales`,
//! `processor-catalog`, …), each told its `lane` and `entity_types` through component
//! variables. Every invocation records a run (see [`run`]) and drains its lane (see [`drain`]).
//!
//! Triggers: the cron world `spin:cron@3.0.0` (`handle-cron-event`), and an authenticated
//! `POST` route (`Authorization: Bearer <stats_token>`) for platforms without cron, which
//! answers the run's report as JSON. `?keep_going_ms=N` (1 to 600000) keeps that invocation
//! serving the lane for N ms, waiting when it is empty, so a scheduler firing once a minute
//! (or twice, on platforms that cut a handler off at 30 s) keeps the lane served.

mod apply;
mod batch;
mod context;
mod drain;
mod event_log;
mod gate;
mod job;
mod outcome;
mod run;
mod settings;
mod tally;

use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;
use tds_guest::http::{check_internal_post, json_response, request_id, HttpError};
use tds_guest::log::Logger;
use tds_guest::vars;

use std::time::Duration;

use tds_core::query::Params;

use crate::run::Trigger;
use crate::settings::{Settings, MAX_KEEP_GOING_MS};

wit_bindgen::generate!({
    world: "tds:host/cron-guest",
    path: "../../wit",
    generate_all,
});

const COMPONENT: &str = "processor";

struct Cron;

impl Guest for Cron {
    async fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        let log = Logger::new(COMPONENT, format!("cron-{}", metadata.timestamp));
        let settings = Settings::read().map_err(|e| {
            log.error("not configured", json!({"error": e}));
            Error::Other(e)
        })?;
        run::run(&settings, Trigger::Cron, &log)
            .map(drop)
            .map_err(|e| Error::Other(e.to_string()))
    }
}

export!(Cron);

#[http_component]
fn handle(req: Request) -> Response {
    let request_id = request_id(&req);
    let log = Logger::new(COMPONENT, &request_id);
    let token = vars::get("stats_token");
    if let Err(e) = check_internal_post(&req, "drain the lane", token.as_deref()) {
        return e.into_response(&request_id);
    }
    let keep_going = Params::parse(req.query(), &["keep_going_ms"])
        .and_then(|params| params.opt_int("keep_going_ms", 1, MAX_KEEP_GOING_MS));
    let keep_going = match keep_going {
        Ok(ms) => ms.map(|ms| Duration::from_millis(ms.unsigned_abs())),
        Err(e) => return HttpError::from(e).into_response(&request_id),
    };
    let mut settings = match Settings::read() {
        Ok(settings) => settings,
        Err(e) => return HttpError::new(503, "not_configured", e).into_response(&request_id),
    };
    settings.keep_going = keep_going;
    match run::run(&settings, Trigger::Http, &log) {
        Ok(report) => {
            let mut body = report.to_json();
            body["request_id"] = json!(request_id);
            json_response(200, &body, &request_id)
        }
        Err(e) => HttpError::database_unavailable(e.to_string()).into_response(&request_id),
    }
}
