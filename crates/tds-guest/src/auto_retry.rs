//! Typed functions beside `tds_store::auto_retry`'s statements (see [`crate::queue`]):
//! heal's automatic retry of dead letters with a transient cause.

use tds_core::ids::{DeadLetterId, InboxEventId, QueueId};
use tds_core::normalize::{EntityId, StoredVersion};
use tds_store::auto_retry;

use crate::bind;
use crate::db::{param, Db, DbError};

/// Which dead letters qualify for a retry: older than `cool_down_seconds`, retried fewer
/// than `max_retries` times.
#[derive(Debug, Clone, Copy)]
pub struct Qualifying {
    pub cool_down_seconds: i32,
    pub max_retries: i32,
}

/// Up to `limit` qualifying dead letters [`list_candidates`] lists.
pub struct ListCandidates {
    pub qualifying: Qualifying,
    pub limit: i32,
}

/// The qualifying dead letters whose inbox event still exists, oldest first
/// (`auto_retry::LIST_CANDIDATES`).
pub fn list_candidates(db: &Db, list: &ListCandidates) -> Result<Vec<DeadLetterId>, DbError> {
    let rows = db.query(
        auto_retry::LIST_CANDIDATES,
        bind!(auto_retry::LIST_CANDIDATES {
            max_retries: param::int4(list.qualifying.max_retries),
            cool_down_seconds: param::int4(list.qualifying.cool_down_seconds),
            limit: param::int4(list.limit),
        }),
    )?;
    rows.iter()
        .map(|row| Ok(DeadLetterId(row.int8("id")?)))
        .collect()
}

/// The candidate [`lock_candidate`] locks, if it still qualifies.
pub struct LockCandidate {
    pub id: DeadLetterId,
    pub qualifying: Qualifying,
}

/// A locked dead letter's event, as it goes back on the queue. `module` and `operation`
/// are kept as stored: a module this build does not know is the caller's to judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub module: String,
    pub entity_id: EntityId,
    pub operation: String,
    pub inbox_event_id: InboxEventId,
    pub source_modified_at: StoredVersion,
    pub correlation_id: Option<String>,
    /// Of the dead queue row; `None` when it is gone.
    pub max_attempts: Option<i32>,
    /// Retries so far, this one not counted.
    pub auto_retry_count: i32,
}

/// Locks the candidate inside the retry's transaction (`auto_retry::LOCK_CANDIDATE`);
/// `None` while someone else holds it or once it no longer qualifies.
pub fn lock_candidate(db: &Db, lock: &LockCandidate) -> Result<Option<Candidate>, DbError> {
    let rows = db.query(
        auto_retry::LOCK_CANDIDATE,
        bind!(auto_retry::LOCK_CANDIDATE {
            dead_letter_id: param::int8(lock.id.0),
            max_retries: param::int4(lock.qualifying.max_retries),
            cool_down_seconds: param::int4(lock.qualifying.cool_down_seconds),
        }),
    )?;
    rows.first()
        .map(|row| {
            Ok(Candidate {
                module: row.text("module")?,
                entity_id: EntityId::from_stored(row.text("entity_id")?),
                operation: row.text("operation")?,
                inbox_event_id: InboxEventId(row.int8("inbox_event_id")?),
                source_modified_at: StoredVersion::from_stored(row.text("source_modified_at")?),
                correlation_id: row.opt_text("correlation_id")?,
                max_attempts: row.opt_int4("max_attempts")?,
                auto_retry_count: row.int4("auto_retry_count")?,
            })
        })
        .transpose()
}

/// How a retried dead letter is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Its event went back on the queue.
    AutoRetried,
    /// A newer version of the entity was already queued.
    Superseded,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::AutoRetried => "auto_retried",
            Resolution::Superseded => "superseded",
        }
    }
}

/// The dead letter [`mark_auto_retried`] resolves, with the queue row its event went to.
pub struct MarkAutoRetried {
    pub id: DeadLetterId,
    pub queue_id: Option<QueueId>,
    pub resolution: Resolution,
}

/// Resolves the dead letter as retried automatically (`auto_retry::MARK_AUTO_RETRIED`).
pub fn mark_auto_retried(db: &Db, mark: &MarkAutoRetried) -> Result<(), DbError> {
    db.execute(
        auto_retry::MARK_AUTO_RETRIED,
        bind!(auto_retry::MARK_AUTO_RETRIED {
            replay_queue_id: param::opt_int8(mark.queue_id.map(|id| id.0)),
            resolution: param::text(mark.resolution.as_str()),
            dead_letter_id: param::int8(mark.id.0),
        }),
    )
    .map(drop)
}
