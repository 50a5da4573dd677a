//! Step 3: alerts. The figures are measured (queue depth, oldest waiting row, failed
//! fraction of the last five minutes' attempts, aged unresolved dead letters, breakers not
//! closed) and evaluated against the thresholds in `tds_config` (`tds_core::alerts`).
//! Each condition that holds opens an alert for its dedup key, or counts another
//! occurrence of the one already open (or acknowledged); each open alert of these kinds
//! whose condition no longer holds is resolved. Delivery is [`crate::notify`].

use serde_json::{json, Value};
use tds_core::alerts::{evaluate, Measurements, OpenCircuit, FAILURE_RATE_WINDOW_SECONDS, KINDS};
use tds_guest::db::{param, Db, DbError};
use tds_guest::log::Logger;
use tds_store::{alerts, circuits};

use crate::settings::HealConfig;

pub fn run(db: &Db, config: &HealConfig, log: &Logger) -> Result<Value, DbError> {
    let measured = measure(db, config)?;
    let firing = evaluate(&measured, &config.thresholds);
    let mut opened = 0u64;
    for condition in &firing {
        let rows = db.query(
            alerts::OPEN_OR_TOUCH,
            &[
                param::text(&condition.dedup_key),
                param::text(condition.kind),
                param::text(condition.severity.as_str()),
                param::text(&condition.message),
                param::text(condition.details.to_string()),
            ],
        )?;
        let row = rows.expect_row()?;
        if row.boolean(1)? {
            opened += 1;
            log.warn(
                "alert opened",
                json!({"alert_id": row.int8(0)?, "dedup_key": condition.dedup_key,
                       "severity": condition.severity.as_str(), "message": condition.message}),
            );
        }
    }
    let keys: Vec<&str> = firing.iter().map(|f| f.dedup_key.as_str()).collect();
    let resolved = db.query(
        alerts::RESOLVE_CLEARED,
        &[param::text_array(KINDS), param::text_array(keys)],
    )?;
    for row in resolved.iter() {
        log.info(
            "alert resolved",
            json!({"alert_id": row.int8(0)?, "dedup_key": row.text(1)?}),
        );
    }
    Ok(json!({
        "firing": firing.len(),
        "opened": opened,
        "resolved": resolved.iter().count(),
        "measured": {
            "queue_depth": measured.queue_depth,
            "oldest_pending_seconds": measured.oldest_pending_seconds,
            "recent_attempts": measured.recent_attempts,
            "recent_failures": measured.recent_failures,
            "aged_dead_letters": measured.aged_dead_letters,
            "open_circuits": measured.open_circuits.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        },
    }))
}

fn measure(db: &Db, config: &HealConfig) -> Result<Measurements, DbError> {
    let rows = db.query(
        alerts::MEASURE,
        &[
            param::int4(FAILURE_RATE_WINDOW_SECONDS),
            param::float8(config.thresholds.dead_letter_age_hours * 3600.0),
        ],
    )?;
    let row = rows.expect_row()?;
    let open_circuits = db
        .query(circuits::LIST_NOT_CLOSED, &[])?
        .iter()
        .map(|c| {
            Ok(OpenCircuit {
                name: c.text(0)?,
                state: c.text(1)?,
                consecutive_failures: c.int4(2)?.into(),
                last_error: c.opt_text(3)?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(Measurements {
        queue_depth: row.int8(0)?,
        oldest_pending_seconds: row.float8(1)?,
        recent_attempts: row.int8(2)?,
        recent_failures: row.int8(3)?,
        aged_dead_letters: row.int8(4)?,
        open_circuits,
    })
}
