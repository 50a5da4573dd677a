//! Typed functions beside `tds_store::dead_letters`' statements (see [`crate::queue`]): the
//! stats API's listing, showing and resolving of dead letters, and the two halves of a
//! replay around [`crate::queue::enqueue_or_repoint`]. Dead letters leave as the JSON text
//! PostgreSQL builds.

use tds_core::entity::{Lane, Module};
use tds_core::ids::{DeadLetterId, InboxEventId, QueueId};
use tds_core::normalize::{EntityId, Operation, StoredVersion};
use tds_store::dead_letters;

use crate::bind;
use crate::db::{param, Db, DbError, Row};
use crate::queue::{count, operation};

/// The dead letters [`list`] lists, newest first: those in `state` (`open`, `resolved` or
/// `all`) matching every filter given (`since`, `until`: text timestamps), below `before`
/// (from the top when `None`), at most `limit`.
pub struct List<'a> {
    pub state: &'a str,
    pub module: Option<Module>,
    pub lane: Option<Lane>,
    pub error_class: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub entity_id: Option<&'a str>,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub before: Option<DeadLetterId>,
    pub limit: u32,
}

/// A listed dead letter: its id, and the letter as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedDeadLetter {
    pub id: DeadLetterId,
    pub dead_letter: String,
}

/// The matching dead letters (`dead_letters::LIST`).
pub fn list(db: &Db, list: &List<'_>) -> Result<Vec<ListedDeadLetter>, DbError> {
    let rows = db.query(
        dead_letters::LIST,
        bind!(dead_letters::LIST {
            state: param::text(list.state),
            module: param::opt_text(list.module.map(Module::as_str)),
            lane: param::opt_text(list.lane.map(Lane::as_str)),
            error_class: param::opt_text(list.error_class),
            error_code: param::opt_text(list.error_code),
            entity_id: param::opt_text(list.entity_id),
            since: param::opt_text(list.since),
            until: param::opt_text(list.until),
            before: param::opt_int8(list.before.map(|id| id.0)),
            limit: param::uint4(list.limit),
        }),
    )?;
    rows.iter()
        .map(|row| {
            Ok(ListedDeadLetter {
                id: DeadLetterId(row.int8("id")?),
                dead_letter: row.text("dead_letter")?,
            })
        })
        .collect()
}

/// The dead letter [`show`] shows.
pub struct Show {
    pub id: DeadLetterId,
}

/// The dead letter as JSON text, with its attempts, its inbox event and the queue row of its
/// last replay (`dead_letters::SHOW`); `None` when unknown.
pub fn show(db: &Db, show: &Show) -> Result<Option<String>, DbError> {
    let rows = db.query(
        dead_letters::SHOW,
        bind!(dead_letters::SHOW {
            id: param::int8(show.id.0)
        }),
    )?;
    rows.first().map(|row| row.text("dead_letter")).transpose()
}

/// An open dead letter [`resolve`] resolves without replaying it, on behalf of `by`.
pub struct Resolve<'a> {
    pub id: DeadLetterId,
    pub by: &'a str,
    pub note: &'a str,
}

/// Resolves the dead letter (`dead_letters::RESOLVE`); the letter as JSON text, `None`
/// when it is unknown or already resolved.
pub fn resolve(db: &Db, resolve: &Resolve<'_>) -> Result<Option<String>, DbError> {
    let rows = db.query(
        dead_letters::RESOLVE,
        bind!(dead_letters::RESOLVE {
            resolved_by: param::text(resolve.by),
            resolution: param::text(resolve.note),
            id: param::int8(resolve.id.0),
        }),
    )?;
    rows.first().map(|row| row.text("dead_letter")).transpose()
}

/// The dead letter [`lock_for_replay`] locks.
pub struct LockForReplay {
    pub id: DeadLetterId,
}

/// A locked dead letter, with what re-queueing its inbox event needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaySource {
    pub inbox_event_id: InboxEventId,
    /// `None` when retention removed the inbox event.
    pub event: Option<ReplayEvent>,
    /// Of the dead queue row; `None` when the letter has none.
    pub max_attempts: Option<u32>,
}

/// The stored inbox event a replay queues again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayEvent {
    /// `Err` with the stored name when the module is no longer synced.
    pub module: Result<Module, String>,
    /// `None` when intake found the event invalid (no usable id).
    pub entity_id: Option<EntityId>,
    pub operation: Operation,
    pub source_modified_at: StoredVersion,
    /// The event's, else the dead letter's.
    pub correlation_id: String,
}

/// Locks the dead letter for a replay, inside the replay's transaction
/// (`dead_letters::LOCK_FOR_REPLAY`); `None` when unknown.
pub fn lock_for_replay(db: &Db, lock: &LockForReplay) -> Result<Option<ReplaySource>, DbError> {
    let rows = db.query(
        dead_letters::LOCK_FOR_REPLAY,
        bind!(dead_letters::LOCK_FOR_REPLAY {
            id: param::int8(lock.id.0)
        }),
    )?;
    rows.first().map(|row| replay_source(&row)).transpose()
}

fn replay_source(row: &Row<'_>) -> Result<ReplaySource, DbError> {
    let event = if row.boolean("event_found")? {
        let name = row.text("module")?;
        Some(ReplayEvent {
            module: Module::from_name(&name).ok_or(name),
            entity_id: row.opt_text("entity_id")?.map(EntityId::from_stored),
            operation: operation(row, "operation")?,
            source_modified_at: StoredVersion::from_stored(row.text("source_modified_at")?),
            correlation_id: row.text("correlation_id")?,
        })
    } else {
        None
    };
    Ok(ReplaySource {
        inbox_event_id: InboxEventId(row.int8("inbox_event_id")?),
        event,
        max_attempts: row
            .opt_int4("max_attempts")?
            .map(|_| count(row, "max_attempts"))
            .transpose()?,
    })
}

/// A dead letter [`mark_replayed`] marks replayed on behalf of `by`: its event went back
/// to queue row `queue_id`, `None` when a newer queued version superseded it.
pub struct MarkReplayed<'a> {
    pub id: DeadLetterId,
    pub by: &'a str,
    pub resolution: &'a str,
    pub queue_id: Option<QueueId>,
}

/// Marks the dead letter replayed, and so resolved (`dead_letters::MARK_REPLAYED`); the
/// letter as JSON text.
pub fn mark_replayed(db: &Db, mark: &MarkReplayed<'_>) -> Result<String, DbError> {
    let rows = db.query(
        dead_letters::MARK_REPLAYED,
        bind!(dead_letters::MARK_REPLAYED {
            resolved_by: param::text(mark.by),
            resolution: param::text(mark.resolution),
            replay_queue_id: param::opt_int8(mark.queue_id.map(|id| id.0)),
            id: param::int8(mark.id.0),
        }),
    )?;
    rows.expect_row()?.text("dead_letter")
}

#[cfg(test)]
mod tests {
    use spin_sdk::pg4::DbValue;

    use super::*;
    use crate::db::rows_of;

    fn locked_row(found: bool, module: &str, max_attempts: Option<i32>) -> Vec<DbValue> {
        let text = |s: &str| {
            if found {
                DbValue::Str(s.into())
            } else {
                DbValue::DbNull
            }
        };
        vec![
            DbValue::Int64(7),
            DbValue::Boolean(false),
            DbValue::Boolean(found),
            text(module),
            text("42"),
            text("upsert"),
            text("2024-05-01 10:00:00+00"),
            DbValue::Str("req-1".into()),
            text("dead"),
            max_attempts.map_or(DbValue::DbNull, DbValue::Int32),
        ]
    }

    fn read(row: Vec<DbValue>) -> Result<ReplaySource, String> {
        let rows = rows_of(
            dead_letters::LOCK_FOR_REPLAY,
            &[
                "inbox_event_id",
                "resolved",
                "event_found",
                "module",
                "entity_id",
                "operation",
                "source_modified_at",
                "correlation_id",
                "event_status",
                "max_attempts",
            ],
            vec![row],
        );
        replay_source(&rows.expect_row().unwrap()).map_err(|e| e.to_string())
    }

    #[test]
    fn a_locked_letter_reads_with_its_event() {
        let source = read(locked_row(true, "items", Some(5))).unwrap();
        assert_eq!(
            source,
            ReplaySource {
                inbox_event_id: InboxEventId(7),
                event: Some(ReplayEvent {
                    module: Ok(Module::Items),
                    entity_id: Some(EntityId::from_stored("42".into())),
                    operation: Operation::Upsert,
                    source_modified_at: StoredVersion::from_stored("2024-05-01 10:00:00+00".into()),
                    correlation_id: "req-1".into(),
                }),
                max_attempts: Some(5),
            }
        );
    }

    #[test]
    fn a_letter_without_event_or_with_an_unsynced_module_still_reads() {
        let gone = read(locked_row(false, "items", None)).unwrap();
        assert_eq!(gone.event, None);
        assert_eq!(gone.max_attempts, None);
        let unsynced = read(locked_row(true, "journals", None)).unwrap();
        assert_eq!(unsynced.event.unwrap().module, Err("journals".into()));
    }

    #[test]
    fn a_negative_max_attempts_names_the_statement() {
        assert_eq!(
            read(locked_row(true, "items", Some(-1))),
            Err("dead_letters::lock_for_replay: column max_attempts: negative count -1".into())
        );
    }
}
