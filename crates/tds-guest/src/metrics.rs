//! Typed functions beside `tds_store::metrics`'s statements (see [`crate::queue`]): heal's
//! per-minute rollups, their cursor and the running totals. Times are epoch seconds.

use spin_sdk::pg4::ParameterValue;
use tds_core::entity::EntitySpec;
use tds_core::metrics::{Counter, APPLY_MS};
use tds_store::metrics;

use crate::bind;
use crate::db::{param, Db, DbError};

/// The rollup cursor (`tds_cursors`) a statement works on.
pub struct Cursor<'a> {
    pub name: &'a str,
}

/// Creates the cursor when missing (`metrics::ENSURE_CURSOR`).
pub fn ensure_cursor(db: &Db, cursor: &Cursor<'_>) -> Result<(), DbError> {
    db.execute(
        metrics::ENSURE_CURSOR,
        bind!(metrics::ENSURE_CURSOR {
            name: param::text(cursor.name)
        }),
    )
    .map(drop)
}

/// Folds intake's appended outcomes of closed minutes into their per-minute counters
/// (`metrics::FOLD_INTAKE_OUTCOMES`).
pub fn fold_intake_outcomes(db: &Db) -> Result<(), DbError> {
    db.execute(
        metrics::FOLD_INTAKE_OUTCOMES,
        bind!(metrics::FOLD_INTAKE_OUTCOMES {}),
    )
    .map(drop)
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
        bind!(metrics::LOCK_CURSOR {
            data_days: param::int4(lock.data_days),
            name: param::text(lock.name),
        }),
    )?;
    rows.first()
        .map(|row| {
            Ok(LockedCursor {
                position: row.opt_int8("position")?,
                current_minute: row.int8("current_minute")?,
                first_data_minute: row.opt_int8("first_data_minute")?,
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
        bind!(metrics::MOVE_CURSOR {
            position: param::int8(to.position),
            name: param::text(to.name),
        }),
    )
    .map(drop)
}

/// The minutes from `from` to before `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
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
        bind!(metrics::RECOUNT_SOURCES {
            from: param::int8(recount.window.from),
            to: param::int8(recount.window.to),
            cursor: param::int8(recount.cursor),
        }),
    )?;
    rows.expect_row()?.opt_int8("first_changed")
}

/// The rows of `names` in the window that [`delete_window`] deletes.
pub struct DeleteWindow<'a> {
    pub window: Window,
    pub names: &'a [String],
}

/// Deletes the window's rows of those names (`metrics::DELETE_WINDOW`).
pub fn delete_window(db: &Db, delete: &DeleteWindow<'_>) -> Result<(), DbError> {
    db.execute(
        metrics::DELETE_WINDOW,
        bind!(metrics::DELETE_WINDOW {
            from: param::int8(delete.window.from),
            to: param::int8(delete.window.to),
            names: param::text_array(delete.names.iter().cloned()),
        }),
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
    let table = EntityTable::of(insert.entities);
    let names = insert.percentiles.iter().map(|(name, _)| *name);
    let fractions = insert.percentiles.iter().map(|(_, f)| f.to_string());
    db.execute(
        metrics::INSERT_WINDOW,
        bind!(metrics::INSERT_WINDOW {
            modules: table.modules,
            lanes: table.lanes,
            from: param::int8(insert.window.from),
            to: param::int8(insert.window.to),
            percentile_names: param::text_array(names),
            percentile_fractions: param::text_array(fractions),
        }),
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
    let table = EntityTable::of(insert.entities);
    let family = |counter: Counter| {
        (
            param::text_array(counter.names()),
            param::text_array(counter.members()),
        )
    };
    let (attempt_names, attempt_outcomes) = family(Counter::Attempts);
    let (intake_names, intake_outcomes) = family(Counter::Intake);
    let (run_names, run_statuses) = family(Counter::Runs);
    let (apply_bucket_names, apply_bucket_bounds) = family(Counter::ApplyBucket);
    let (latency_bucket_names, latency_bucket_bounds) = family(Counter::LatencyBucket);
    db.execute(
        metrics::INSERT_WINDOW_COUNTERS,
        bind!(metrics::INSERT_WINDOW_COUNTERS {
            modules: table.modules,
            lanes: table.lanes,
            from: param::int8(insert.window.from),
            to: param::int8(insert.window.to),
            attempt_names: attempt_names,
            attempt_outcomes: attempt_outcomes,
            apply_total_name: param::text(APPLY_MS),
            apply_bucket_names: apply_bucket_names,
            apply_bucket_bounds: apply_bucket_bounds,
            intake_names: intake_names,
            intake_outcomes: intake_outcomes,
            run_names: run_names,
            run_statuses: run_statuses,
            latency_bucket_names: latency_bucket_names,
            latency_bucket_bounds: latency_bucket_bounds,
        }),
    )
}

/// The entity table as the statements take it: the modules, and their lanes in step.
struct EntityTable {
    modules: ParameterValue,
    lanes: ParameterValue,
}

impl EntityTable {
    fn of(entities: &[EntitySpec]) -> EntityTable {
        EntityTable {
            modules: param::text_array(entities.iter().map(|e| e.name)),
            lanes: param::text_array(entities.iter().map(|e| e.lane.as_str())),
        }
    }
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
        bind!(metrics::ADD_WINDOW_TO_TOTALS {
            factor: param::int8(factor),
            from: param::int8(add.window.from),
            to: param::int8(add.window.to),
            names: param::text_array(add.names.iter().cloned()),
        }),
    )
    .map(drop)
}
