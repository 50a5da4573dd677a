//! Typed functions beside `tds_store::journal`'s statements (see [`crate::queue`]): what a
//! background invocation starts with ([`Invocation`]: lease owner, logger, connection), a run
//! per invocation, a log row per attempt, an audit row per real ERP change, and heal's
//! closing of the runs whose invocation died before finishing them.

use serde_json::{json, Value};
use tds_core::entity::{Lane, Module};
use tds_core::ids::{InboxEventId, LeaseOwner, QueueId, RunId};
use tds_core::normalize::{EntityId, Operation, StoredVersion};
use tds_store::journal;

use crate::bind;
use crate::db::{param, Db, DbError};
use crate::log::Logger;
use crate::random;

/// What an invocation of a background component (processor, heal, reconcile) runs with: a
/// lease owner unique to it, a logger carrying that owner as its correlation id, and its
/// connection.
pub struct Invocation {
    pub owner: LeaseOwner,
    pub log: Logger,
    pub db: Db,
}

impl Invocation {
    /// Connects to `database_url` as a new invocation of `component`; a connection that
    /// fails is logged ("cannot reach the database") before its error is returned.
    pub fn open(component: &str, database_url: &str, log: &Logger) -> Result<Invocation, DbError> {
        let owner = LeaseOwner::new(random::lease_owner(component));
        let log = log.for_correlation(owner.as_str());
        let db = Db::open(database_url).inspect_err(|e| {
            log.error("cannot reach the database", json!({"error": e.to_string()}));
        })?;
        Ok(Invocation { owner, log, db })
    }
}

/// The run [`start_run`] opens: `lane` for a processor's, `None` for heal's and
/// reconcile's; `trigger` `cron`, `http` or (a processor's drain session) `wake`.
pub struct StartRun<'a> {
    pub component: &'a str,
    pub lane: Option<Lane>,
    pub run_owner: &'a LeaseOwner,
    pub trigger: &'a str,
    pub details: &'a Value,
}

/// Opens a run (`journal::START_RUN`); its id.
pub fn start_run(db: &Db, start: &StartRun<'_>) -> Result<RunId, DbError> {
    let rows = db.query(
        journal::START_RUN,
        bind!(journal::START_RUN {
            component: param::text(start.component),
            lane: param::opt_text(start.lane.map(Lane::as_str)),
            run_owner: param::text(start.run_owner.as_str()),
            trigger: param::text(start.trigger),
            details: param::text(start.details.to_string()),
        }),
    )?;
    Ok(RunId(rows.expect_row()?.int8("id")?))
}

/// How [`finish_run`] closes a run: `status` `completed` or `failed`; `details` are merged
/// into the run's.
pub struct FinishRun<'a> {
    pub id: RunId,
    pub status: &'a str,
    pub counts: &'a Value,
    pub details: &'a Value,
    pub error: Option<&'a str>,
}

/// Closes the run (`journal::FINISH_RUN`).
pub fn finish_run(db: &Db, finish: &FinishRun<'_>) -> Result<(), DbError> {
    db.execute(
        journal::FINISH_RUN,
        bind!(journal::FINISH_RUN {
            status: param::text(finish.status),
            counts: param::text(finish.counts.to_string()),
            details: param::text(finish.details.to_string()),
            error: param::opt_text(finish.error),
            run_id: param::int8(finish.id.0),
        }),
    )
    .map(drop)
}

/// Which runs [`close_abandoned_runs`] closes: up to `limit` still running after
/// `older_than_seconds`.
pub struct CloseAbandonedRuns {
    pub older_than_seconds: i32,
    pub limit: i32,
}

/// A run closed as abandoned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbandonedRun {
    pub id: RunId,
    pub component: String,
    pub run_owner: LeaseOwner,
    /// How long it had been running when it was closed.
    pub age_seconds: i64,
}

/// Heal: closes the runs abandoned by their invocation as `failed`
/// (`journal::CLOSE_ABANDONED_RUNS`); the runs closed.
pub fn close_abandoned_runs(
    db: &Db,
    close: &CloseAbandonedRuns,
) -> Result<Vec<AbandonedRun>, DbError> {
    let rows = db.query(
        journal::CLOSE_ABANDONED_RUNS,
        bind!(journal::CLOSE_ABANDONED_RUNS {
            older_than_seconds: param::int4(close.older_than_seconds),
            limit: param::int4(close.limit),
        }),
    )?;
    rows.iter()
        .map(|row| {
            Ok(AbandonedRun {
                id: RunId(row.int8("id")?),
                component: row.text("component")?,
                run_owner: LeaseOwner::new(row.text("run_owner")?),
                age_seconds: row.int8("age_seconds")?,
            })
        })
        .collect()
}

/// One attempt [`log_attempt`] logs: `attempt` counts this one, `outcome` as the log
/// records it.
pub struct LogAttempt<'a> {
    pub run_id: RunId,
    pub queue_id: QueueId,
    pub inbox_event_id: InboxEventId,
    pub module: Module,
    pub entity_id: &'a EntityId,
    pub lane: Lane,
    pub operation: Operation,
    pub attempt: u32,
    pub outcome: &'a str,
    pub message: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub duration_ms: f64,
    pub correlation_id: &'a str,
}

/// Bindings of a statement that logs `$attempt` (a [`LogAttempt`]) with
/// `journal::LOG_ATTEMPT`'s values (`tds_store::journal`'s shared piece): the statement's
/// own leading parameters as given, then the attempt's, in the order that piece uses them.
macro_rules! bind_attempt {
    ($statement:path { $($name:ident : $value:expr),* $(,)? }, $attempt:expr) => {{
        let attempt: &$crate::journal::LogAttempt<'_> = $attempt;
        $crate::bind!($statement {
            $($name: $value,)*
            inbox_event_id: $crate::db::param::int8(attempt.inbox_event_id.0),
            module: $crate::db::param::text(attempt.module.as_str()),
            entity_id: $crate::db::param::text(attempt.entity_id.as_str()),
            lane: $crate::db::param::text(attempt.lane.as_str()),
            operation: $crate::db::param::text(attempt.operation.as_str()),
            attempt: $crate::db::param::uint4(attempt.attempt),
            outcome: $crate::db::param::text(attempt.outcome),
            message: $crate::db::param::opt_text(attempt.message),
            error_code: $crate::db::param::opt_text(attempt.error_code),
            duration_ms: $crate::db::param::float8(attempt.duration_ms),
            correlation_id: $crate::db::param::text(attempt.correlation_id),
        })
    }};
}
pub(crate) use bind_attempt;

/// Logs the attempt (`journal::LOG_ATTEMPT`; [`crate::queue::complete`] logs a successful
/// one with its acknowledgement, under the same parameter names).
pub fn log_attempt(db: &Db, attempt: &LogAttempt<'_>) -> Result<(), DbError> {
    db.execute(
        journal::LOG_ATTEMPT,
        bind_attempt!(
            journal::LOG_ATTEMPT {
                run_id: param::int8(attempt.run_id.0),
                queue_id: param::int8(attempt.queue_id.0),
            },
            attempt
        ),
    )
    .map(drop)
}

/// A real change to an ERP row that [`audit_change`] records: `action` `insert`, `update`
/// or `delete`; the images as JSON text (no `before` for an insert).
pub struct AuditChange<'a> {
    pub erp_table: &'a str,
    pub entity_id: &'a EntityId,
    pub module: Module,
    pub action: &'a str,
    pub before: Option<&'a str>,
    pub after: &'a str,
    pub changed_fields: &'a [String],
    pub source_modified_at: &'a StoredVersion,
    pub inbox_event_id: InboxEventId,
    pub queue_id: QueueId,
    pub run_id: RunId,
    pub correlation_id: &'a str,
}

/// Records the change in the audit trail (`journal::AUDIT_CHANGE`).
pub fn audit_change(db: &Db, change: &AuditChange<'_>) -> Result<(), DbError> {
    db.execute(
        journal::AUDIT_CHANGE,
        bind!(journal::AUDIT_CHANGE {
            erp_table: param::text(change.erp_table),
            entity_id: param::text(change.entity_id.as_str()),
            module: param::text(change.module.as_str()),
            action: param::text(change.action),
            before: param::opt_text(change.before),
            after: param::text(change.after),
            changed_fields: param::text_array(change.changed_fields.iter().cloned()),
            source_modified_at: param::text(change.source_modified_at.as_str()),
            inbox_event_id: param::int8(change.inbox_event_id.0),
            queue_id: param::int8(change.queue_id.0),
            run_id: param::int8(change.run_id.0),
            correlation_id: param::text(change.correlation_id),
        }),
    )
    .map(drop)
}
