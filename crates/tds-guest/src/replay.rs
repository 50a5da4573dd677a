//! Typed functions beside `tds_store::replay`'s statements (see [`crate::queue`]): what a
//! time range of inbox events holds, and the newest replayable event of each entity in it,
//! which the stats API queues again through [`crate::queue::enqueue_or_repoint`].

use tds_core::entity::Module;
use tds_core::ids::InboxEventId;
use tds_core::normalize::{EntityId, Operation, StoredVersion};
use tds_store::replay;

use crate::bind;
use crate::db::{param, Db, DbError, Row};
use crate::queue::operation;

/// Inbox events received in `[from, to)` (text timestamps), of `module` (every module when
/// `None`).
pub struct Range<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub module: Option<Module>,
}

/// What a range holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeCount {
    /// Every stored event, invalid ones included.
    pub events: i64,
    /// Distinct entities with a replayable event.
    pub entities: i64,
}

/// Counts the range (`replay::COUNT_IN_RANGE`).
pub fn count_in_range(db: &Db, range: &Range<'_>) -> Result<RangeCount, DbError> {
    let rows = db.query(
        replay::COUNT_IN_RANGE,
        bind!(replay::COUNT_IN_RANGE {
            from: param::text(range.from),
            to: param::text(range.to),
            module: param::opt_text(range.module.map(Module::as_str)),
        }),
    )?;
    let row = rows.expect_row()?;
    Ok(RangeCount {
        events: row.int8("events")?,
        entities: row.int8("entities")?,
    })
}

/// The entities [`latest_per_entity`] reads the newest event of: at most `limit`, by event
/// id.
pub struct LatestPerEntity<'a> {
    pub range: &'a Range<'a>,
    pub limit: u32,
}

/// The newest valid event of an entity in the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestEvent {
    pub id: InboxEventId,
    /// `Err` with the stored name when the module is no longer synced.
    pub module: Result<Module, String>,
    pub entity_id: EntityId,
    pub operation: Operation,
    pub source_modified_at: StoredVersion,
    pub correlation_id: String,
}

/// The newest event of each entity in the range, by event id
/// (`replay::LATEST_PER_ENTITY`).
pub fn latest_per_entity(
    db: &Db,
    latest: &LatestPerEntity<'_>,
) -> Result<Vec<LatestEvent>, DbError> {
    let range = latest.range;
    let rows = db.query(
        replay::LATEST_PER_ENTITY,
        bind!(replay::LATEST_PER_ENTITY {
            from: param::text(range.from),
            to: param::text(range.to),
            module: param::opt_text(range.module.map(Module::as_str)),
            limit: param::uint4(latest.limit),
        }),
    )?;
    rows.iter().map(|row| latest_event(&row)).collect()
}

fn latest_event(row: &Row<'_>) -> Result<LatestEvent, DbError> {
    let module = row.text("module")?;
    Ok(LatestEvent {
        id: InboxEventId(row.int8("id")?),
        module: Module::from_name(&module).ok_or(module),
        entity_id: EntityId::from_stored(row.text("entity_id")?),
        operation: operation(row, "operation")?,
        source_modified_at: StoredVersion::from_stored(row.text("source_modified_at")?),
        correlation_id: row.text("correlation_id")?,
    })
}
