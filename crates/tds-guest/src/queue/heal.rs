//! The queue statement as heal's auto-retry sends it: a dead letter's values as stored,
//! bound with the types heal has always bound (the processor's typed form is in the parent
//! module).

use tds_core::entity::Module;
use tds_core::ids::{InboxEventId, QueueId};
use tds_core::normalize::{EntityId, StoredVersion};
use tds_store::queue;

use crate::bind;
use crate::db::{param, Db, DbError};

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
        bind!(queue::ENQUEUE_OR_REPOINT {
            module: param::text(requeue.module.as_str()),
            entity_id: param::text(requeue.entity_id.as_str()),
            lane: param::text(spec.lane.as_str()),
            priority: param::int4(spec.priority),
            operation: param::text(requeue.operation),
            inbox_event_id: param::int8(requeue.inbox_event_id.0),
            source_modified_at: param::text(requeue.source_modified_at.as_str()),
            max_attempts: param::int4(requeue.max_attempts),
            correlation_id: param::text(requeue.correlation_id),
        }),
    )?;
    rows.first()
        .map(|row| row.int8("id").map(QueueId))
        .transpose()
}
