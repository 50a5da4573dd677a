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
    let claim = &job.claim;
    context
        .db
        .execute(
            journal::AUDIT_CHANGE,
            &[
                param::text(change.table.name),
                param::text(claim.entity_id.as_str()),
                param::text(claim.module.as_str()),
                param::text(change.action),
                param::opt_text(change.before.as_deref()),
                param::text(&change.after),
                param::text_array(change.changed_fields.iter().cloned()),
                param::text(claim.source_modified_at.as_str()),
                param::int8(claim.inbox_event_id.0),
                param::int8(claim.id.0),
                param::int8(context.run_id),
                param::text(job.correlation_id()),
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
    let claim = &job.claim;
    context
        .db
        .execute(
            journal::LOG_ATTEMPT,
            &[
                param::int8(context.run_id),
                param::int8(claim.id.0),
                param::int8(claim.inbox_event_id.0),
                param::text(claim.module.as_str()),
                param::text(claim.entity_id.as_str()),
                param::text(context.settings.lane.as_str()),
                param::text(claim.operation.as_str()),
                param::uint4(claim.attempt_count),
                param::text(outcome.log_outcome()),
                param::opt_text(message),
                param::opt_text(error_code),
                param::float8(started.elapsed().as_secs_f64() * 1000.0),
                param::text(job.correlation_id()),
            ],
        )
        .map(drop)
}
