//! Typed functions beside `tds_store::metrics`'s statements (see [`crate::queue`]): heal's
//! per-minute rollups, their cursor and the running totals. Times are epoch seconds.

use spin_sdk::pg4::ParameterValue;
use tds_core::entity::EntitySpec;
use tds_core::metrics::{Counter, APPLY_MS};
use tds_store::metrics;

use crate::db::{param, Db, DbError};

/// The rollup cursor (`tds_cursors`) a statement works on.
pub struct Cursor<'a> {
    pub name: &'a str,
}

/// Creates the cursor when missing (`metrics::ENSURE_CURSOR`).
pub fn ensure_cursor(db: &Db, cursor: &Cursor<'_>) -> Result<(), DbError> {
    db.execute(metrics::ENSURE_CURSOR, &[param::text(cursor.name)])
        .map(drop)
}

/// Folds intake's appended outcomes of closed minutes into their per-minute counters
/// (`metrics::FOLD_INTAKE_OUTCOMES`).
pub fn fold_intake_outcomes(db: &Db) -> Result<(), DbError> {
    db.execute(metrics::FOLD_INTAKE_OUTCOMES, &[]).map(drop)
}

/// The cursor [`lock_cursor`] locks; data older than `data_days` is not looked for.
pub struct LockCursor<'a> {
    pub name: &'a str,
    pub data_days: i32,
}

/// The locked cursor, with the server's current minute and the first minute with data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockedCursor {
    /// The first minute not yet rolled up; `None` before the first run.
    pub position: Option<i64>,
    pub current_minute: i64,
    /// `None` when there is no data.
    pub first_data_minute: Option<i64>,
}

/// Locks the cursor for this transaction (`metrics::LOCK_CURSOR`); `None` while another
/// run holds it.
pub fn lock_cursor(db: &Db, lock: &LockCursor<'_>) -> Result<Option<LockedCursor>, DbError> {
    let rows = db.query(
        metrics::LOCK_CURSOR,
        &[param::text(lock.name), param::int4(lock.data_days)],
    )?;
    rows.first()
        .map(|row| {
            Ok(LockedCursor {
                position: row.opt_int8(0)?,
                current_minute: row.int8(1)?,
                first_data_minute: row.opt_int8(2)?,
            })
        })
        .transpose()
}

/// Where [`move_cursor`] moves the cursor.
pub struct MoveCursor<'a> {
    pub name: &'a str,
    pub position: i64,
}

/// Moves the cursor (`metrics::MOVE_CURSOR`).
pub fn move_cursor(db: &Db, to: &MoveCursor<'_>) -> Result<(), DbError> {
    db.execute(
        metrics::MOVE_CURSOR,
        &[param::text(to.name), param::int8(to.position)],
    )
    .map(drop)
}

/// The minutes from `from` to before `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
}

impl Window {
    fn params(self) -> [ParameterValue; 2] {
        [param::int8(self.from), param::int8(self.to)]
    }
}

/// The window [`recount_sources`] counts, and the cursor: the minutes before it are the
/// settling ones.
pub struct RecountSources {
    pub window: Window,
    pub cursor: i64,
}

/// Counts and stores the raw rows of the window's minutes (`metrics::RECOUNT_SOURCES`); the
/// first settling minute whose count changed since it was last stored.
pub fn recount_sources(db: &Db, recount: &RecountSources) -> Result<Option<i64>, DbError> {
    let rows = db.query(
        metrics::RECOUNT_SOURCES,
        &[&recount.window.params()[..], &[param::int8(recount.cursor)]].concat(),
    )?;
    rows.expect_row()?.opt_int8(0)
}

/// The rows of `names` in the window that [`delete_window`] deletes.
pub struct DeleteWindow<'a> {
    pub window: Window,
    pub names: &'a [String],
}

/// Deletes the window's rows of those names (`metrics::DELETE_WINDOW`).
pub fn delete_window(db: &Db, delete: &DeleteWindow<'_>) -> Result<(), DbError> {
    let names = param::text_array(delete.names.iter().cloned());
    db.execute(
        metrics::DELETE_WINDOW,
        &[&delete.window.params()[..], &[names]].concat(),
    )
    .map(drop)
}

/// What [`insert_window`] computes: the window's rows of the modules of `entities` (on
/// their lanes), with the latency `percentiles` (metric name, fraction).
pub struct InsertWindow<'a> {
    pub window: Window,
    pub entities: &'a [EntitySpec],
    pub percentiles: &'a [(&'a str, f64)],
}

/// Computes the window's rows from the raw rows and inserts them (`metrics::INSERT_WINDOW`);
/// how many.
pub fn insert_window(db: &Db, insert: &InsertWindow<'_>) -> Result<u64, DbError> {
    let percentiles = [
        param::text_array(insert.percentiles.iter().map(|(name, _)| *name)),
        param::text_array(
            insert
                .percentiles
                .iter()
                .map(|(_, fraction)| fraction.to_string()),
        ),
    ];
    db.execute(
        metrics::INSERT_WINDOW,
        &[
            &insert.window.params()[..],
            &module_lanes(insert.entities),
            &percentiles,
        ]
        .concat(),
    )
}

/// What [`insert_window_counters`] computes: the window's counter families
/// (`tds_core::metrics::Counter`) of the modules of `entities`.
pub struct InsertWindowCounters<'a> {
    pub window: Window,
    pub entities: &'a [EntitySpec],
}

/// Computes the window's counter families and inserts them
/// (`metrics::INSERT_WINDOW_COUNTERS`): attempts, intake, runs and apply-duration buckets,
/// the apply-duration total ([`APPLY_MS`]), latency buckets; how many rows.
pub fn insert_window_counters(db: &Db, insert: &InsertWindowCounters<'_>) -> Result<u64, DbError> {
    let family = |counter: Counter| {
        [
            param::text_array(counter.names()),
            param::text_array(counter.members()),
        ]
    };
    db.execute(
        metrics::INSERT_WINDOW_COUNTERS,
        &[
            &insert.window.params()[..],
            &module_lanes(insert.entities),
            &family(Counter::Attempts),
            &family(Counter::Intake),
            &family(Counter::Runs),
            &family(Counter::ApplyBucket),
            &[param::text(APPLY_MS)],
            &family(Counter::LatencyBucket),
        ]
        .concat(),
    )
}

/// The entity table as the statements take it: the modules, and their lanes.
fn module_lanes(entities: &[EntitySpec]) -> [ParameterValue; 2] {
    [
        param::text_array(entities.iter().map(|e| e.name)),
        param::text_array(entities.iter().map(|e| e.lane.as_str())),
    ]
}

/// Which way [`add_window_to_totals`] moves the running totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalsChange {
    /// Before the window's rows are replaced.
    TakeBack,
    /// After.
    Add,
}

/// The window's rows of `names` that [`add_window_to_totals`] adds or takes back.
pub struct AddWindowToTotals<'a> {
    pub window: Window,
    pub names: &'a [String],
    pub change: TotalsChange,
}

/// Adds the window's rows to the running totals, or takes them back
/// (`metrics::ADD_WINDOW_TO_TOTALS`).
pub fn add_window_to_totals(db: &Db, add: &AddWindowToTotals<'_>) -> Result<(), DbError> {
    let factor = match add.change {
        TotalsChange::TakeBack => -1,
        TotalsChange::Add => 1,
    };
    db.execute(
        metrics::ADD_WINDOW_TO_TOTALS,
        &[
            &add.window.params()[..],
            &[
                param::text_array(add.names.iter().cloned()),
                param::int8(factor),
            ],
        ]
        .concat(),
    )
    .map(drop)
}
