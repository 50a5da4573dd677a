//! Heal: the drain-and-heal cycle (docs/design.md, "Heal cycle"), run by its cron trigger
//! and by `POST /internal/heal` (`Authorization: Bearer <stats_token>`) for platforms
//! without cron. Each run does, in order, each step bounded so a run stays short, each in
//! its own short transaction(s), a failed step recorded without stopping the later ones:
//!
//! 1. [`reclaim`] expired leases (a processor that crashed or was killed);
//! 2. [`auto_retry`] dead letters with a transient cause, after a cool-down, a bounded
//!    number of times;
//! 3. [`alerts`]: the conditions of `tds_core::alerts::KINDS` (queue depth, failure rate,
//!    open circuits, …) — opened once per dedup key, resolved when the condition clears;
//! 4. [`notify`]: alert openings and resolutions to the configured webhooks, behind their
//!    circuit breakers;
//! 5. [`rollups`]: per-minute metrics of closed minutes, idempotently;
//! 6. [`retention`]: old, finished rows, in small batches;
//! 7. [`abandoned`] runs: `tds_sync_runs` rows still `running` after
//!    `abandoned_run_seconds`, longer than any invocation lives (its host was stopped or
//!    killed before it finished), closed as `failed` (`counts.abandoned_runs.closed`).
//!
//! Due retries need no promoting: a `retry` row is claimable once `next_attempt_at` has
//! passed. Lanes' circuit breakers are opened and probed by the processors themselves
//! (`tds_guest::circuit`); heal alerts on them.
//!
//! A scheduled run does the cycle only when it is due ([`cycle::run_if_due`]): something happened
//! in the last 15 minutes or is still open (queue rows, alerts, breakers, dead letters), or
//! no cycle ran in the last hour. Otherwise it sends one statement and records nothing, so
//! an idle TDS stays quiet. The route always runs the cycle.
//!
//! Every cycle is a `tds_sync_runs` row ([`cycle`]). Defaults and `tds_config` keys:
//! [`settings`]. Variables: `database_url`, `stats_token`, `max_attempts` (for re-queued
//! events whose dead queue row is gone), `alert_webhook_url`, `alert_slack_webhook_url`;
//! a bad `database_url` or `max_attempts` refuses the run (503 `not_configured` on the
//! route, a failed cron invocation logged as "not configured"), which then does nothing.
//!
//! The HTTP route answers the run's report: 200 when every step succeeded; 500
//! `heal_steps_failed` (with the report under `run`) when one failed; 503 when the
//! database cannot be reached.

mod abandoned;
mod alerts;
mod auto_retry;
mod cycle;
mod notify;
mod outbound;
mod reclaim;
mod retention;
mod rollups;
mod settings;

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;
use tds_guest::internal::{self, Answer};
use tds_guest::log::Logger;

use crate::settings::Variables;

const COMPONENT: &str = "heal";

tds_guest::cron_guest!(COMPONENT, cron);

fn cron(log: &Logger) -> Result<(), String> {
    let variables = internal::configured(Variables::read(), log)?;
    match cycle::run_if_due(&variables, log).map_err(|e| e.to_string())? {
        Some(outcome) => failed_steps(&outcome).map_or(Ok(()), Err),
        None => Ok(()),
    }
}

#[http_component]
fn handle(req: Request) -> Response {
    internal::serve(
        &req,
        COMPONENT,
        "run the heal cycle",
        |_| Ok(Variables::read()?),
        |variables, log| {
            let outcome = cycle::run("http", &variables, log)?;
            Ok(match failed_steps(&outcome) {
                None => Answer::Report(outcome.report),
                Some(message) => Answer::Failed {
                    status: 500,
                    code: "heal_steps_failed",
                    message,
                    field: "run",
                    detail: outcome.report,
                },
            })
        },
    )
}

/// `heal steps failed: <steps>` when a step failed.
fn failed_steps(outcome: &cycle::Outcome) -> Option<String> {
    (!outcome.failed_steps.is_empty())
        .then(|| format!("heal steps failed: {}", outcome.failed_steps.join(", ")))
}
