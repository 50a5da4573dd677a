//! The cron trigger: `[[trigger.cron]]` schedules calling the async export
//! `handle-cron-event` of the world `spin:cron@3.0.0`, as Spin 4's cron trigger plugin does.
//!
//! Behaviour:
//! - `cron_expression` has 6 or 7 fields, seconds first (`*/2 * * * * *`); anything else is
//!   a start-up error naming the component and the expression.
//! - Each tick runs a fresh instance, called with component-model async inside
//!   `run_concurrent`; ticks are not skipped while an earlier run is still going (guests
//!   coordinate through leases in the database, not through the scheduler).
//! - A run that traps or returns `error::other` is logged with the component's id; the
//!   schedule goes on. Every run's duration is logged at debug level (`cron run finished`,
//!   `component`, `elapsed_ms`), so `TDS_LOG=info,tds::cron_trigger=debug` shows how long
//!   each invocation held its instance and connections.
//! - Its instances get neither service chaining nor an origin for self requests, as in
//!   Spin, where only the HTTP trigger installs them: a request to `*.spin.internal`
//!   fails with `DNS-error`, a self request with `HTTP-request-URI-invalid` (see
//!   [`crate::outbound_http`]).

mod bindings;

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context as _, Result};
use chrono::Utc;

use crate::app::App;
use crate::state::HostState;
use bindings::{CronGuestPre, Metadata};

/// A cron guest's own failure (`error::other`), as opposed to a trap.
#[derive(Debug, thiserror::Error)]
#[error("the cron handler of {component} reported an error: {message}")]
pub struct CronHandlerError {
    pub component: String,
    pub message: String,
}

/// One `[[trigger.cron]]` entry, ready to run.
pub struct CronJob {
    component: String,
    expression: String,
    schedule: cron::Schedule,
    pre: CronGuestPre<HostState>,
}

/// Validates every `[[trigger.cron]]` entry of the application.
pub fn jobs(app: &App) -> Result<Vec<CronJob>> {
    app.manifest()
        .cron_triggers
        .iter()
        .map(|trigger| {
            let schedule = parse_expression(&trigger.cron_expression).with_context(|| {
                format!("the cron trigger of component {:?} is invalid", trigger.component)
            })?;
            let component = app
                .component(&trigger.component)
                .with_context(|| format!("cron trigger names unknown component {:?}", trigger.component))?;
            let pre = CronGuestPre::new(component.pre.clone()).map_err(anyhow::Error::from).with_context(|| {
                format!(
                    "component {:?} does not export handle-cron-event of spin:cron@3.0.0",
                    trigger.component
                )
            })?;
            Ok(CronJob {
                component: trigger.component.clone(),
                expression: trigger.cron_expression.clone(),
                schedule,
                pre,
            })
        })
        .collect()
}

/// Parses a Spin cron expression (6 or 7 fields, seconds first).
///
/// ```
/// use tds::cron_trigger::parse_expression;
/// assert!(parse_expression("*/2 * * * * *").is_ok());
/// assert!(parse_expression("0 0 3 * * * 2030").is_ok());
/// assert!(parse_expression("*/5 * * * *").is_err()); // five fields: no seconds
/// ```
pub fn parse_expression(expression: &str) -> Result<cron::Schedule> {
    let fields = expression.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(anyhow!(
            "cron_expression {expression:?} has {fields} fields; Spin expects 6 or 7, seconds first (e.g. \"*/2 * * * * *\")"
        ));
    }
    cron::Schedule::from_str(expression).map_err(|e| anyhow!("cron_expression {expression:?} is invalid: {e}"))
}

impl CronJob {
    pub fn component(&self) -> &str {
        &self.component
    }

    /// Runs the schedule forever, one task per tick.
    pub async fn run_schedule(self, app: App) {
        let job = std::sync::Arc::new(self);
        tracing::info!(component = %job.component, expression = %job.expression, "cron trigger scheduled");
        loop {
            let Some(next) = job.schedule.upcoming(Utc).next() else {
                tracing::info!(component = %job.component, "cron schedule has no further ticks");
                return;
            };
            let wait = (next - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            let job = job.clone();
            let app = app.clone();
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                let outcome = job.invoke(&app).await;
                let elapsed_ms = started.elapsed().as_millis() as u64;
                match outcome {
                    Ok(()) => tracing::debug!(component = %job.component, elapsed_ms, "cron run finished"),
                    Err(error) => {
                        tracing::error!(component = %job.component, elapsed_ms, "cron run failed: {error:#}")
                    }
                }
            });
        }
    }

    /// Runs the handler once, now.
    pub async fn invoke(&self, app: &App) -> Result<()> {
        let component = app.component(&self.component).context("component vanished")?;
        let mut store = app.new_store(&component, None);
        let instance = self.pre.instantiate_async(&mut store).await?;
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let outcome = store
            .run_concurrent(async move |accessor| {
                instance.call_handle_cron_event(accessor, Metadata { timestamp }).await
            })
            .await
            .and_then(|called| called)
            .map_err(anyhow::Error::from)
            .context("the cron handler trapped")?;
        outcome.map_err(|error| {
            let bindings::Error::Other(message) = error;
            CronHandlerError {
                component: self.component.clone(),
                message,
            }
            .into()
        })
    }
}
