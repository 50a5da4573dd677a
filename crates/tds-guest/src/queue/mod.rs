//! The queue's statements that intake, the processor and heal send (`tds_store::queue`;
//! protocol: docs/design.md, "Queue protocol"), one typed function beside each: a params
//! struct in, typed rows out, so no call site binds a placeholder by position or reads a
//! column by number. The SQL stays in `tds_store::queue`. The stats API's figures are in
//! [`figures`]; heal's forms of two of them, bound as heal binds them, in [`heal`].

pub mod figures;
pub mod heal;

use tds_core::entity::{Lane, Module};
use tds_core::failure::FailureClass;
use tds_core::ids::{DeadLetterId, InboxEventId, LeaseOwner, QueueId};
use tds_core::normalize::{EntityId, Operation, StoredVersion};
use tds_store::{queue, Statement};

use crate::bind;
use crate::db::{param, Binding, Db, DbError, Row};
use crate::journal::{bind_attempt, LogAttempt};

/// An event [`enqueue_or_repoint`] queues on its module's lane, at its module's priority.
pub struct EnqueueOrRepoint<'a> {
    pub module: Module,
    pub entity_id: &'a EntityId,
    pub operation: Operation,
    pub inbox_event_id: InboxEventId,
    pub source_modified_at: &'a StoredVersion,
    pub max_attempts: u32,
    pub correlation_id: &'a str,
}

/// The entity's unclaimed row [`enqueue_or_repoint`] left pointing at the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub id: QueueId,
    /// A new row, rather than the entity's unclaimed one re-pointed.
    pub inserted: bool,
}

/// Queues the event (`queue::ENQUEUE_OR_REPOINT`): a new unclaimed row, or the entity's
/// re-pointed; `None` when the queued version is newer (the event is superseded).
pub fn enqueue_or_repoint(
    db: &Db,
    enqueue: &EnqueueOrRepoint<'_>,
) -> Result<Option<Enqueued>, DbError> {
    let spec = enqueue.module.spec();
    let rows = db.query(
        queue::ENQUEUE_OR_REPOINT,
        bind!(queue::ENQUEUE_OR_REPOINT {
            module: param::text(enqueue.module.as_str()),
            entity_id: param::text(enqueue.entity_id.as_str()),
            lane: param::text(spec.lane.as_str()),
            priority: param::int4(spec.priority),
            operation: param::text(enqueue.operation.as_str()),
            inbox_event_id: param::int8(enqueue.inbox_event_id.0),
            source_modified_at: param::text(enqueue.source_modified_at.as_str()),
            max_attempts: param::uint4(enqueue.max_attempts),
            correlation_id: param::text(enqueue.correlation_id),
        }),
    )?;
    rows.first()
        .map(|row| {
            Ok(Enqueued {
                id: QueueId(row.int8("id")?),
                inserted: row.boolean("inserted")?,
            })
        })
        .transpose()
}

/// What [`claim_batch`] claims: up to `limit` due rows of `lane` whose module is one of
/// `modules`, leased to `owner` for `lease_seconds`.
pub struct ClaimBatch<'a> {
    pub lane: Lane,
    pub modules: &'a [Module],
    pub limit: u32,
    pub owner: &'a LeaseOwner,
    pub lease_seconds: u32,
}

/// A claimed row, as the event that intake (or reconcile, a replay, a retry) queued it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub id: QueueId,
    pub module: Module,
    pub entity_id: EntityId,
    pub operation: Operation,
    pub inbox_event_id: InboxEventId,
    pub source_modified_at: StoredVersion,
    /// This claim included.
    pub attempt_count: u32,
    pub max_attempts: u32,
    pub correlation_id: Option<String>,
}

/// Claims a batch (`queue::CLAIM_BATCH`), in claim order. The claimed rows' modules are
/// among those asked for and their operations are the ones the table allows, so every row
/// reads as a [`ClaimedJob`].
pub fn claim_batch(db: &Db, claim: &ClaimBatch<'_>) -> Result<Vec<ClaimedJob>, DbError> {
    let rows = db.query(
        queue::CLAIM_BATCH,
        bind!(queue::CLAIM_BATCH {
            lane: param::text(claim.lane.as_str()),
            modules: param::text_array(claim.modules.iter().map(|m| m.as_str())),
            limit: param::uint4(claim.limit),
            lease_owner: param::text(claim.owner.as_str()),
            lease_seconds: param::uint4(claim.lease_seconds),
        }),
    )?;
    rows.iter().map(|row| claimed_job(&row)).collect()
}

fn claimed_job(row: &Row<'_>) -> Result<ClaimedJob, DbError> {
    Ok(ClaimedJob {
        id: QueueId(row.int8("id")?),
        module: module(row, "module")?,
        entity_id: EntityId::from_stored(row.text("entity_id")?),
        operation: operation(row, "operation")?,
        inbox_event_id: InboxEventId(row.int8("inbox_event_id")?),
        source_modified_at: StoredVersion::from_stored(row.text("source_modified_at")?),
        attempt_count: count(row, "attempt_count")?,
        max_attempts: count(row, "max_attempts")?,
        correlation_id: row.opt_text("correlation_id")?,
    })
}

/// The row [`complete`] acknowledges, held by `owner`, with its attempt.
pub struct Complete<'a> {
    pub owner: &'a LeaseOwner,
    /// The successful attempt, logged with the acknowledgement; its `queue_id` is the row.
    pub attempt: LogAttempt<'a>,
}

/// Acknowledges the row and logs its attempt in one round trip (`queue::COMPLETE`);
/// whether the row was still held (otherwise the lease was lost and nothing changed).
pub fn complete(db: &Db, complete: &Complete<'_>) -> Result<bool, DbError> {
    let attempt = &complete.attempt;
    let rows = db.query(
        queue::COMPLETE,
        bind_attempt!(
            queue::COMPLETE {
                queue_id: param::int8(attempt.queue_id.0),
                lease_owner: param::text(complete.owner.as_str()),
                run_id: param::int8(attempt.run_id.0),
            },
            attempt
        ),
    )?;
    let completed = rows.first().map(|row| row.int8("completed")).transpose()?;
    Ok(completed.unwrap_or(0) > 0)
}

/// The rows whose lease [`extend_lease`] extends.
pub struct ExtendLease<'a> {
    pub ids: &'a [QueueId],
    pub owner: &'a LeaseOwner,
    pub lease_seconds: u32,
}

/// Extends the lease of rows `owner` still holds (`queue::EXTEND_LEASE`), locking them for
/// the rest of the transaction; the ids of the rows extended.
pub fn extend_lease(db: &Db, extend: &ExtendLease<'_>) -> Result<Vec<QueueId>, DbError> {
    let rows = db.query(
        queue::EXTEND_LEASE,
        bind!(queue::EXTEND_LEASE {
            lease_seconds: param::uint4(extend.lease_seconds),
            ids: param::int8_array(extend.ids.iter().map(|id| id.0)),
            lease_owner: param::text(extend.owner.as_str()),
        }),
    )?;
    rows.iter()
        .map(|row| Ok(QueueId(row.int8("id")?)))
        .collect()
}

/// The waits of the current transaction, in ms: for a lock, and idle between statements.
pub struct LimitWaits {
    pub lock_timeout_ms: u64,
    pub idle_ms: u64,
}

/// Bounds the current transaction's waits (`queue::LIMIT_WAITS`).
pub fn limit_waits(db: &Db, limits: &LimitWaits) -> Result<(), DbError> {
    db.execute(
        queue::LIMIT_WAITS,
        bind!(queue::LIMIT_WAITS {
            lock_timeout_ms: param::text(limits.lock_timeout_ms.to_string()),
            idle_ms: param::text(limits.idle_ms.to_string()),
        }),
    )
    .map(drop)
}

/// A held row going back to the queue, due after `delay_ms`; `error` and `error_code`
/// replace the row's last ones when given.
pub struct ReturnToQueue<'a> {
    pub id: QueueId,
    pub owner: &'a LeaseOwner,
    pub delay_ms: u64,
    pub error: Option<&'a str>,
    pub error_code: Option<&'a str>,
}

/// Where a row that went back to the queue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// Waiting as `retry`.
    Retry,
    /// Merged into the entity's unclaimed row, and closed (`completed`, `coalesced`).
    Coalesced,
}

/// A [`ReturnToQueue`]'s bindings for `$statement`, [`queue::SCHEDULE_RETRY`] or
/// [`queue::RECLAIM_EXPIRED`] (one SQL, so one list of parameters), checked by [`bind!`].
macro_rules! back_to_queue {
    ($statement:path, $back:expr) => {
        bind!($statement {
            queue_id: param::int8($back.id.0),
            lease_owner: param::text($back.owner.as_str()),
            delay_ms: param::int8(i64::try_from($back.delay_ms).unwrap_or(i64::MAX)),
            error: param::opt_text($back.error),
            error_code: param::opt_text($back.error_code),
        })
    };
}

/// A failed attempt (or a row given back unattempted) goes back to the queue
/// (`queue::SCHEDULE_RETRY`); `None` when the lease was lost.
pub fn schedule_retry(db: &Db, back: &ReturnToQueue<'_>) -> Result<Option<Returned>, DbError> {
    return_to_queue(
        db,
        queue::SCHEDULE_RETRY,
        back_to_queue!(queue::SCHEDULE_RETRY, back),
    )
}

/// Heal: a row whose lease `owner` let expire goes back to the queue
/// (`queue::RECLAIM_EXPIRED`); `None` when it completed, was extended or is locked by a live
/// batch meanwhile.
pub fn reclaim_expired(db: &Db, back: &ReturnToQueue<'_>) -> Result<Option<Returned>, DbError> {
    return_to_queue(
        db,
        queue::RECLAIM_EXPIRED,
        back_to_queue!(queue::RECLAIM_EXPIRED, back),
    )
}

fn return_to_queue(
    db: &Db,
    statement: Statement,
    bindings: [Binding; 5],
) -> Result<Option<Returned>, DbError> {
    let rows = db.query(statement, bindings)?;
    rows.first().map(|row| returned(&row)).transpose()
}

fn returned(row: &Row<'_>) -> Result<Returned, DbError> {
    match row.text("status")?.as_str() {
        "retry" => Ok(Returned::Retry),
        "completed" => Ok(Returned::Coalesced),
        other => Err(row.invalid(format!("column status: unexpected status {other:?}"))),
    }
}

/// How many [`list_expired_leases`] lists at most.
pub struct ListExpiredLeases {
    pub limit: u32,
}

/// A processing row whose lease has expired, with the owner that let it expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredLease {
    pub id: QueueId,
    pub owner: LeaseOwner,
}

/// Heal: processing rows whose lease has expired, oldest expiry first, leaving out rows a
/// live transaction holds locked (`queue::LIST_EXPIRED_LEASES`).
pub fn list_expired_leases(
    db: &Db,
    list: &ListExpiredLeases,
) -> Result<Vec<ExpiredLease>, DbError> {
    let rows = db.query(
        queue::LIST_EXPIRED_LEASES,
        bind!(queue::LIST_EXPIRED_LEASES {
            limit: param::uint4(list.limit)
        }),
    )?;
    rows.iter()
        .map(|row| {
            Ok(ExpiredLease {
                id: QueueId(row.int8("id")?),
                owner: LeaseOwner::new(row.text("lease_owner")?),
            })
        })
        .collect()
}

/// A held row to dead-letter, and why.
pub struct DeadLetter<'a> {
    pub id: QueueId,
    pub owner: &'a LeaseOwner,
    pub reason: &'a str,
    pub error_code: &'a str,
    pub error_class: FailureClass,
}

/// Moves the row to `dead` and files its dead letter (`queue::DEAD_LETTER`; log the final
/// attempt first); the letter's id, `None` when the lease was lost.
pub fn dead_letter(db: &Db, letter: &DeadLetter<'_>) -> Result<Option<DeadLetterId>, DbError> {
    let rows = db.query(
        queue::DEAD_LETTER,
        bind!(queue::DEAD_LETTER {
            reason: param::text(letter.reason),
            error_code: param::text(letter.error_code),
            queue_id: param::int8(letter.id.0),
            lease_owner: param::text(letter.owner.as_str()),
            error_class: param::text(letter.error_class.as_str()),
        }),
    )?;
    rows.first()
        .map(|row| Ok(DeadLetterId(row.int8("id")?)))
        .transpose()
}

fn module(row: &Row<'_>, column: &str) -> Result<Module, DbError> {
    let name = row.text(column)?;
    Module::from_name(&name)
        .ok_or_else(|| row.invalid(format!("column {column}: unknown module {name:?}")))
}

pub(crate) fn operation(row: &Row<'_>, column: &str) -> Result<Operation, DbError> {
    let name = row.text(column)?;
    Operation::from_name(&name)
        .ok_or_else(|| row.invalid(format!("column {column}: unknown operation {name:?}")))
}

/// A count the table keeps non-negative (`attempt_count`, `max_attempts`).
pub(crate) fn count(row: &Row<'_>, column: &str) -> Result<u32, DbError> {
    let n = row.int4(column)?;
    u32::try_from(n).map_err(|_| row.invalid(format!("column {column}: negative count {n}")))
}

#[cfg(test)]
mod tests;
