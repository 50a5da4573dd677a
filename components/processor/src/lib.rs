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

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;
use tds_guest::http::HttpError;
use tds_guest::internal::{self, Answer};
use tds_guest::log::Logger;

use std::time::Duration;

use tds_core::query::Params;

use crate::run::Trigger;
use crate::settings::{Settings, MAX_KEEP_GOING_MS};

const COMPONENT: &str = "processor";

tds_guest::cron_guest!(COMPONENT, cron);

fn cron(log: &Logger) -> Result<(), String> {
    let settings = internal::configured(Settings::read(), log)?;
    run::run(&settings, Trigger::Cron, log)
        .map(drop)
        .map_err(|e| e.to_string())
}

#[http_component]
fn handle(req: Request) -> Response {
    internal::serve(
        &req,
        COMPONENT,
        "drain the lane",
        http_settings,
        |settings, log| {
            run::run(&settings, Trigger::Http, log).map(|report| Answer::Report(report.to_json()))
        },
    )
}

/// The settings, serving the lane for `?keep_going_ms` when given.
fn http_settings(req: &Request) -> Result<Settings, HttpError> {
    let keep_going = Params::parse(req.query(), &["keep_going_ms"])
        .and_then(|params| params.opt_int("keep_going_ms", 1, MAX_KEEP_GOING_MS))?;
    let mut settings = Settings::read().map_err(HttpError::not_configured)?;
    settings.keep_going = keep_going.map(|ms| Duration::from_millis(ms.unsigned_abs()));
    Ok(settings)
}
