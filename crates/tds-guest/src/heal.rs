//! The typed function beside `tds_store::heal`: whether heal's scheduled cycle is due.

use tds_store::heal;

use crate::bind;
use crate::db::{param, Db, DbError};

/// What [`cycle_due`] looks at.
pub struct CycleDue {
    /// A cycle runs at least this often, whatever happened (seconds).
    pub full_cycle_seconds: f64,
    /// Recent activity within this many seconds makes a cycle due.
    pub activity_seconds: f64,
}

/// Whether a scheduled heal cycle has anything to do (`heal::CYCLE_DUE`).
pub fn cycle_due(db: &Db, due: &CycleDue) -> Result<bool, DbError> {
    let rows = db.query(
        heal::CYCLE_DUE,
        bind!(heal::CYCLE_DUE {
            full_cycle_seconds: param::float8(due.full_cycle_seconds),
            activity_seconds: param::float8(due.activity_seconds),
        }),
    )?;
    rows.expect_row()?.boolean("due")
}
