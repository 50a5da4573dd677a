//! The journal rows of one attempt, written in the batch transaction: the audit row of a
//! real change (`tds_audit_trail`) and the sync-log row of every attempt (`tds_sync_log`).

use std::time::Instant;

use tds_guest::db::{param, DbError};
use tds_store::journal;

use crate::apply::Change;
use crate::context::Context;
use crate::job::Job;
use crate::tally::Outcome;

pub fn audit(context: &Context<'_>, job: &Job, change: &Change) -> Result<(), DbError> {
    context
        .db
        .execute(
            journal::AUDIT_CHANGE,
            &[
                param::text(change.table.name),
                param::text(&job.entity_id),
                param::text(&job.module),
                param::text(change.action),
                param::opt_text(change.before.as_deref()),
                param::text(&change.after),
                param::text_array(change.changed_fields.iter().cloned()),
                param::text(&job.version),
                param::int8(job.inbox_event_id),
                param::int8(job.id),
                param::int8(context.run_id),
                param::text(&job.correlation_id),
            ],
        )
        .map(drop)
}

pub fn log_attempt(
    context: &Context<'_>,
    job: &Job,
    outcome: Outcome,
    message: Option<&str>,
    error_code: Option<&str>,
    started: Instant,
) -> Result<(), DbError> {
    context
        .db
        .execute(
            journal::LOG_ATTEMPT,
            &[
                param::int8(context.run_id),
                param::int8(job.id),
                param::int8(job.inbox_event_id),
                param::text(&job.module),
                param::text(&job.entity_id),
                param::text(context.settings.lane.as_str()),
                param::text(&job.operation),
                param::int4(job.attempt),
                param::text(outcome.log_outcome()),
                param::opt_text(message),
                param::opt_text(error_code),
                param::float8(started.elapsed().as_secs_f64() * 1000.0),
                param::text(&job.correlation_id),
            ],
        )
        .map(drop)
}
