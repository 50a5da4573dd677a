//! The journal rows of one attempt, written in the batch transaction: the audit row of a
//! real change (`tds_audit_trail`) and the sync-log row of every attempt (`tds_sync_log`).

use std::time::Instant;

use tds_guest::db::DbError;
use tds_guest::journal::{self, AuditChange, LogAttempt};

use crate::apply::Change;
use crate::context::Context;
use crate::job::Job;
use crate::tally::Outcome;

pub fn audit(context: &Context<'_>, job: &Job, change: &Change) -> Result<(), DbError> {
    let claim = &job.claim;
    journal::audit_change(
        context.db,
        &AuditChange {
            erp_table: change.table.name,
            entity_id: &claim.entity_id,
            module: claim.module,
            action: change.action,
            before: change.before.as_deref(),
            after: &change.after,
            changed_fields: &change.changed_fields,
            source_modified_at: &claim.source_modified_at,
            inbox_event_id: claim.inbox_event_id,
            queue_id: claim.id,
            run_id: context.run_id,
            correlation_id: job.correlation_id(),
        },
    )
}

/// Logs one attempt (`journal::LOG_ATTEMPT`). A successful attempt is logged with its
/// acknowledgement instead (`queue::complete`, from [`attempt`]).
pub fn log_attempt(
    context: &Context<'_>,
    job: &Job,
    outcome: Outcome,
    message: Option<&str>,
    error_code: Option<&str>,
    started: Instant,
) -> Result<(), DbError> {
    let logged = attempt(context, job, outcome, message, error_code, started);
    journal::log_attempt(context.db, &logged)
}

/// The sync-log row of one attempt of `job`, ended now with `outcome`.
pub fn attempt<'a>(
    context: &'a Context<'_>,
    job: &'a Job,
    outcome: Outcome,
    message: Option<&'a str>,
    error_code: Option<&'a str>,
    started: Instant,
) -> LogAttempt<'a> {
    let claim = &job.claim;
    LogAttempt {
        run_id: context.run_id,
        queue_id: claim.id,
        inbox_event_id: claim.inbox_event_id,
        module: claim.module,
        entity_id: &claim.entity_id,
        lane: context.settings.lane,
        operation: claim.operation,
        attempt: claim.attempt_count,
        outcome: outcome.log_outcome(),
        message,
        error_code,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        correlation_id: job.correlation_id(),
    }
}
