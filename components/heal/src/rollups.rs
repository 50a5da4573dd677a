//! Step 5: per-minute metric rollups into `tds_metrics` (names and meaning:
//! `tds_core::metrics`). One transaction: fold intake's appended outcomes of closed
//! minutes into `tds_intake_counters`, lock the rollup cursor (another run holding it
//! means this one skips the step), choose the window of closed minutes
//! (`tds_core::metrics::rollup_window`: up to `heal_rollup_max_minutes` new minutes and
//! the last `heal_rollup_settle_minutes` again), replace heal's rows of those minutes
//! with what the raw rows say now — taking the old rows out of the running totals and
//! adding the new ones — and move the cursor. Recomputing a minute gives the same rows;
//! the current minute is never written.

use serde_json::{json, Value};
use tds_core::entity::ENTITIES;
use tds_core::metrics::{
    rollup_names, rollup_window, total_names, Counter, APPLY_MS, LATENCY_PERCENTILES,
};
use tds_guest::db::{param, Db, DbError};
use tds_guest::log::Logger;
use tds_store::{metrics, queue};

use crate::auto_retry::IDLE_TIMEOUT_MS;
use crate::settings::HealConfig;

pub fn run(db: &Db, config: &HealConfig, log: &Logger) -> Result<Value, DbError> {
    db.execute(metrics::ENSURE_CURSOR, &[param::text(metrics::CURSOR)])?;
    let result = roll_up(db, config, log);
    if result.is_err() {
        let _ = db.rollback();
    }
    result
}

fn roll_up(db: &Db, config: &HealConfig, log: &Logger) -> Result<Value, DbError> {
    db.begin()?;
    db.execute(
        queue::LIMIT_WAITS,
        &[
            param::text(config.lock_timeout_ms.to_string()),
            param::text(IDLE_TIMEOUT_MS),
        ],
    )?;
    db.execute(metrics::FOLD_INTAKE_OUTCOMES, &[])?;
    let locked = db.query(
        metrics::LOCK_CURSOR,
        &[
            param::text(metrics::CURSOR),
            param::int4(config.retention.metrics_days),
        ],
    )?;
    let Some(cursor) = locked.first() else {
        db.rollback()?;
        return Ok(json!({"skipped": "another run is rolling up"}));
    };
    let position = cursor.opt_int8(0)?;
    let current_minute = cursor.int8(1)?;
    let first_data = cursor.opt_int8(2)?;
    let Some((from, to)) = rollup_window(position, first_data, current_minute, config.rollup)
    else {
        db.rollback()?;
        return Ok(json!({"minutes": 0, "rows": 0}));
    };
    let window = [param::int8(from), param::int8(to)];
    let totals = || {
        let mut params = window.to_vec();
        params.push(param::text_array(total_names()));
        params
    };
    let take_back = [totals(), vec![param::int8(-1)]].concat();
    db.execute(metrics::ADD_WINDOW_TO_TOTALS, &take_back)?;
    db.execute(
        metrics::DELETE_WINDOW,
        &[param::int8(from), param::int8(to), param::text_array(rollup_names())],
    )?;
    let lanes = [
        param::text_array(ENTITIES.iter().map(|e| e.name)),
        param::text_array(ENTITIES.iter().map(|e| e.lane.as_str())),
    ];
    let percentiles = [
        param::text_array(LATENCY_PERCENTILES.iter().map(|(name, _)| *name)),
        param::text_array(
            LATENCY_PERCENTILES
                .iter()
                .map(|(_, fraction)| fraction.to_string()),
        ),
    ];
    let rows = db.execute(
        metrics::INSERT_WINDOW,
        &[window.as_slice(), &lanes, &percentiles].concat(),
    )?;
    let family = |counter: Counter| {
        [
            param::text_array(counter.names()),
            param::text_array(counter.members()),
        ]
    };
    let counter_rows = db.execute(
        metrics::INSERT_WINDOW_COUNTERS,
        &[
            window.as_slice(),
            &lanes,
            &family(Counter::Attempts),
            &family(Counter::Intake),
            &family(Counter::Runs),
            &family(Counter::ApplyBucket),
            &[param::text(APPLY_MS)],
            &family(Counter::LatencyBucket),
        ]
        .concat(),
    )?;
    let rows = rows + counter_rows;
    let add = [totals(), vec![param::int8(1)]].concat();
    db.execute(metrics::ADD_WINDOW_TO_TOTALS, &add)?;
    let next = position.map_or(to, |p| p.max(to));
    db.execute(
        metrics::MOVE_CURSOR,
        &[param::text(metrics::CURSOR), param::int8(next)],
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
