//! The queue statements as heal sends them: its values as configured or as stored, bound
//! with the types heal has always bound (the processor's typed forms are in the parent
//! module).

use tds_core::entity::Module;
use tds_core::ids::{InboxEventId, QueueId};
use tds_core::normalize::{EntityId, StoredVersion};
use tds_store::queue;

use crate::db::{param, Db, DbError};

/// Heal's transaction waits: `lock_timeout_ms` its configured setting, `idle_ms` the idle
/// limit as text (`"30000"`).
pub struct LimitWaitsSetting<'a> {
    pub lock_timeout_ms: i32,
    pub idle_ms: &'a str,
}

/// Bounds the current transaction's waits (`queue::LIMIT_WAITS`), as [`super::limit_waits`]
/// does for the processor.
pub fn limit_waits_setting(db: &Db, limits: &LimitWaitsSetting<'_>) -> Result<(), DbError> {
    db.execute(
        queue::LIMIT_WAITS,
        &[
            param::text(limits.lock_timeout_ms.to_string()),
            param::text(limits.idle_ms),
        ],
    )
    .map(drop)
}

/// A dead letter's event [`requeue_stored`] queues again on its module's lane, at its
/// module's priority: the operation as the letter stored it, `max_attempts` as an int4
/// (the dead row's, or heal's default).
pub struct RequeueStored<'a> {
    pub module: Module,
    pub entity_id: &'a EntityId,
    pub operation: &'a str,
    pub inbox_event_id: InboxEventId,
    pub source_modified_at: &'a StoredVersion,
    pub max_attempts: i32,
    pub correlation_id: &'a str,
}

/// Queues the event again (`queue::ENQUEUE_OR_REPOINT`, as [`super::enqueue_or_repoint`]):
/// the queue row it went to, `None` when the queued version is newer (superseded).
pub fn requeue_stored(db: &Db, requeue: &RequeueStored<'_>) -> Result<Option<QueueId>, DbError> {
    let spec = requeue.module.spec();
    let rows = db.query(
        queue::ENQUEUE_OR_REPOINT,
        &[
            param::text(requeue.module.as_str()),
            param::text(requeue.entity_id.as_str()),
            param::text(spec.lane.as_str()),
            param::int4(spec.priority),
            param::text(requeue.operation),
            param::int8(requeue.inbox_event_id.0),
            param::text(requeue.source_modified_at.as_str()),
            param::int4(requeue.max_attempts),
            param::text(requeue.correlation_id),
        ],
    )?;
    rows.first().map(|row| row.int8(0).map(QueueId)).transpose()
}
