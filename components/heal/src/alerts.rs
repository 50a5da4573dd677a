//! Step 3: alerts. The figures are measured (queue depth, oldest waiting row, failed
//! fraction of the last five minutes' attempts, aged unresolved dead letters, breakers not
//! closed) and evaluated against the thresholds in `tds_config` (`tds_core::alerts`).
//! Each condition that holds opens an alert for its dedup key, or counts another
//! occurrence of the one already open (or acknowledged); each open alert of these kinds
//! whose condition no longer holds is resolved. Delivery is [`crate::notify`].

use serde_json::{json, Value};
use tds_core::alerts::{evaluate, Measurements, FAILURE_RATE_WINDOW_SECONDS, KINDS};
use tds_guest::alerts::{self, Measure, OpenOrTouch, ResolveCleared};
use tds_guest::circuit;
use tds_guest::db::{Db, DbError};
use tds_guest::log::Logger;

use crate::settings::HealConfig;

pub fn run(db: &Db, config: &HealConfig, log: &Logger) -> Result<Value, DbError> {
    let measured = measure(db, config)?;
    let firing = evaluate(&measured, &config.thresholds);
    let mut opened = 0u64;
    for condition in &firing {
        let touched = alerts::open_or_touch(
            db,
            &OpenOrTouch {
                dedup_key: &condition.dedup_key,
                kind: condition.kind,
                severity: condition.severity.as_str(),
                message: &condition.message,
                details: &condition.details,
            },
        )?;
        if touched.opened {
            opened += 1;
            log.warn(
                "alert opened",
                json!({"alert_id": touched.id.0, "dedup_key": condition.dedup_key,
                       "severity": condition.severity.as_str(), "message": condition.message}),
            );
        }
    }
    let keys: Vec<&str> = firing.iter().map(|f| f.dedup_key.as_str()).collect();
    let resolved = alerts::resolve_cleared(
        db,
        &ResolveCleared {
            kinds: &KINDS,
            holding: &keys,
        },
    )?;
    for alert in &resolved {
        log.info(
            "alert resolved",
            json!({"alert_id": alert.id.0, "dedup_key": alert.dedup_key}),
        );
    }
    Ok(json!({
        "firing": firing.len(),
        "opened": opened,
        "resolved": resolved.len(),
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
    let measured = alerts::measure(
        db,
        &Measure {
            failure_rate_window_seconds: FAILURE_RATE_WINDOW_SECONDS,
            dead_letter_age_seconds: config.thresholds.dead_letter_age_hours * 3600.0,
        },
    )?;
    Ok(Measurements {
        queue_depth: measured.queue_depth,
        oldest_pending_seconds: measured.oldest_pending_seconds,
        recent_attempts: measured.recent_attempts,
        recent_failures: measured.recent_failures,
        aged_dead_letters: measured.aged_dead_letters,
        open_circuits: circuit::list_not_closed(db)?,
    })
}
