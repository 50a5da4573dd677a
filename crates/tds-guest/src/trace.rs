//! Typed functions beside `tds_store::trace`'s statements (see [`crate::queue`]): the
//! sections of a delivery's trace, each the JSON array text PostgreSQL builds (oldest
//! first, at most 500 objects), and an entity's change history.

use tds_core::ids::{AuditId, InboxEventId};
use tds_store::{trace, Statement};

use crate::bind;
use crate::db::{param, Binding, Db, DbError};

/// The delivery a trace follows: rows of any of `inbox_event_ids`, or of `correlation_id`.
pub struct Delivery<'a> {
    pub inbox_event_ids: &'a [InboxEventId],
    pub correlation_id: Option<&'a str>,
}

/// A [`Delivery`]'s bindings for `$statement`, one of the trace's sections (each takes the
/// same parameters), checked by [`bind!`].
macro_rules! delivery {
    ($statement:path, $delivery:expr) => {
        bind!($statement {
            inbox_event_ids: param::int8_array($delivery.inbox_event_ids.iter().map(|id| id.0)),
            correlation_id: param::opt_text($delivery.correlation_id),
        })
    };
}

/// The delivery's inbox events (`trace::INBOX`).
pub fn inbox(db: &Db, delivery: &Delivery<'_>) -> Result<String, DbError> {
    section(db, trace::INBOX, delivery!(trace::INBOX, delivery))
}

/// The queue rows that carry, or carried at an attempt, the delivery's events
/// (`trace::QUEUE`).
pub fn queue(db: &Db, delivery: &Delivery<'_>) -> Result<String, DbError> {
    section(db, trace::QUEUE, delivery!(trace::QUEUE, delivery))
}

/// The delivery's processing attempts (`trace::SYNC_LOG`).
pub fn sync_log(db: &Db, delivery: &Delivery<'_>) -> Result<String, DbError> {
    section(db, trace::SYNC_LOG, delivery!(trace::SYNC_LOG, delivery))
}

/// The audit rows of the ERP changes the delivery made (`trace::AUDIT`).
pub fn audit(db: &Db, delivery: &Delivery<'_>) -> Result<String, DbError> {
    section(db, trace::AUDIT, delivery!(trace::AUDIT, delivery))
}

/// The delivery's dead letters (`trace::DEAD_LETTERS`).
pub fn dead_letters(db: &Db, delivery: &Delivery<'_>) -> Result<String, DbError> {
    section(
        db,
        trace::DEAD_LETTERS,
        delivery!(trace::DEAD_LETTERS, delivery),
    )
}

fn section(db: &Db, statement: Statement, delivery: [Binding; 2]) -> Result<String, DbError> {
    let rows = db.query(statement, delivery)?;
    rows.expect_row()?.text("section")
}

/// The page of an entity's audit trail [`history`] reads, newest first: the entity
/// `entity_id` of ERP table `erp_table`, changes below `before` (from the top when `None`),
/// at most `limit`.
pub struct History<'a> {
    pub erp_table: &'a str,
    pub entity_id: &'a str,
    pub before: Option<AuditId>,
    pub limit: u32,
}

/// One change of an entity: its audit row's id, and the row as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: AuditId,
    pub change: String,
}

/// The entity's changes (`trace::HISTORY`).
pub fn history(db: &Db, history: &History<'_>) -> Result<Vec<Change>, DbError> {
    let rows = db.query(
        trace::HISTORY,
        bind!(trace::HISTORY {
            erp_table: param::text(history.erp_table),
            entity_id: param::text(history.entity_id),
            before: param::opt_int8(history.before.map(|id| id.0)),
            limit: param::uint4(history.limit),
        }),
    )?;
    rows.iter()
        .map(|row| {
            Ok(Change {
                id: AuditId(row.int8("id")?),
                change: row.text("change")?,
            })
        })
        .collect()
}
