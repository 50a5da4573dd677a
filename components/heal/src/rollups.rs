//! Step 5: per-minute metric rollups into `tds_metrics` (names and meaning:
//! `tds_core::metrics`). One transaction: fold intake's appended outcomes of closed
//! minutes into `tds_intake_counters`, lock the rollup cursor (another run holding it
//! means this one skips the step), choose the window of closed minutes
//! (`tds_core::metrics::rollup_window`: up to `heal_rollup_max_minutes` new minutes and
//! the last `heal_rollup_settle_minutes` again, nothing while no new minute has closed),
//! count the raw rows of its minutes and start it at the first settling minute whose count
//! changed since the last run (`tds_core::metrics::settled_from`), replace heal's rows of
//! those minutes
//! with what the raw rows say now — taking the old rows out of the running totals and
//! adding the new ones — and move the cursor. Recomputing a minute gives the same rows;
//! the current minute is never written.

use serde_json::{json, Value};
use tds_core::entity::ENTITIES;
use tds_core::metrics::{
    rollup_names, rollup_window, settled_from, total_names, LATENCY_PERCENTILES,
};
use tds_guest::db::{Db, DbError};
use tds_guest::log::Logger;
use tds_guest::metrics::{
    self, AddWindowToTotals, Cursor, DeleteWindow, InsertWindow, InsertWindowCounters, LockCursor,
    MoveCursor, RecountSources, TotalsChange, Window,
};
use tds_store::metrics::CURSOR;

use crate::settings::HealConfig;

pub fn run(db: &Db, config: &HealConfig, log: &Logger) -> Result<Value, DbError> {
    metrics::ensure_cursor(db, &Cursor { name: CURSOR })?;
    let result = roll_up(db, config, log);
    if result.is_err() {
        let _ = db.rollback();
    }
    result
}

fn roll_up(db: &Db, config: &HealConfig, log: &Logger) -> Result<Value, DbError> {
    db.begin()?;
    tds_guest::queue::limit_waits(db, &config.waits())?;
    metrics::fold_intake_outcomes(db)?;
    let locked = metrics::lock_cursor(
        db,
        &LockCursor {
            name: CURSOR,
            data_days: config.retention.metrics_days,
        },
    )?;
    let Some(cursor) = locked else {
        db.rollback()?;
        return Ok(json!({"skipped": "another run is rolling up"}));
    };
    let position = cursor.position;
    let Some((from, to)) = rollup_window(
        position,
        cursor.first_data_minute,
        cursor.current_minute,
        config.rollup,
    ) else {
        // Nothing to recompute; the folded intake outcomes are kept.
        db.commit()?;
        return Ok(json!({"minutes": 0, "rows": 0}));
    };
    let first_changed = metrics::recount_sources(
        db,
        &RecountSources {
            window: Window { from, to },
            cursor: position.unwrap_or(from),
        },
    )?;
    let from = settled_from(from, position, first_changed);
    let window = Window { from, to };
    let total_names = total_names();
    metrics::add_window_to_totals(
        db,
        &AddWindowToTotals {
            window,
            names: &total_names,
            change: TotalsChange::TakeBack,
        },
    )?;
    metrics::delete_window(
        db,
        &DeleteWindow {
            window,
            names: &rollup_names(),
        },
    )?;
    let rows = metrics::insert_window(
        db,
        &InsertWindow {
            window,
            entities: &ENTITIES,
            percentiles: &LATENCY_PERCENTILES,
        },
    )?;
    let counter_rows = metrics::insert_window_counters(
        db,
        &InsertWindowCounters {
            window,
            entities: &ENTITIES,
        },
    )?;
    let rows = rows + counter_rows;
    metrics::add_window_to_totals(
        db,
        &AddWindowToTotals {
            window,
            names: &total_names,
            change: TotalsChange::Add,
        },
    )?;
    let next = position.map_or(to, |p| p.max(to));
    metrics::move_cursor(
        db,
        &MoveCursor {
            name: CURSOR,
            position: next,
        },
    )?;
    db.commit()?;
    let minutes = (to - from) / 60;
    if rows > 0 {
        log.info(
            "metrics rolled up",
            json!({"from_epoch": from, "to_epoch": to, "minutes": minutes, "rows": rows}),
        );
    }
    Ok(json!({"minutes": minutes, "rows": rows, "from_epoch": from, "to_epoch": to}))
}
