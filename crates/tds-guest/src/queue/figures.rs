//! The queue's figures the stats API reads (`GET /health`, `GET /api/queue`, `/metrics`):
//! rows per status and the oldest wait. Statuses stay the text the table holds.

use tds_store::queue;

use crate::bind;
use crate::db::{Db, DbError};

/// Queue rows of one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCount {
    pub status: String,
    pub count: i64,
}

/// Rows per status, of the statuses that have any (`queue::COUNT_BY_STATUS`).
pub fn count_by_status(db: &Db) -> Result<Vec<StatusCount>, DbError> {
    let rows = db.query(queue::COUNT_BY_STATUS, bind!(queue::COUNT_BY_STATUS {}))?;
    rows.iter()
        .map(|row| {
            Ok(StatusCount {
                status: row.text("status")?,
                count: row.int8("count")?,
            })
        })
        .collect()
}

/// Seconds the oldest unclaimed row has waited, 0 when none waits
/// (`queue::OLDEST_WAITING_AGE`). The statement always answers one row: `None` only
/// should it answer none, which callers either read as 0 or report as
/// [`DbError::no_row`].
pub fn oldest_waiting_age(db: &Db) -> Result<Option<f64>, DbError> {
    let rows = db.query(
        queue::OLDEST_WAITING_AGE,
        bind!(queue::OLDEST_WAITING_AGE {}),
    )?;
    rows.first().map(|row| row.float8("age")).transpose()
}
