//! Step 3: alerts. The figures are measured (`tds_guest::alerts::measure`: the columns
//! `tds_core::alerts::FIGURES` names, with the thresholds in force, and the breakers not
//! closed) and every kind of `tds_core::alerts::KINDS` is evaluated on them against the
//! thresholds in `tds_config`. Each condition that holds opens an alert for its dedup key,
//! or counts another occurrence of the one already open (or acknowledged); each open alert
//! of these kinds whose condition no longer holds is resolved. Delivery is
//! [`crate::notify`].

use serde_json::{json, Value};
use tds_core::alerts::{evaluate, KINDS};
use tds_guest::alerts::{self, ResolveCleared};
use tds_guest::db::{Db, DbError};
use tds_guest::log::Logger;

use crate::settings::HealConfig;

pub fn run(db: &Db, config: &HealConfig, log: &Logger) -> Result<Value, DbError> {
    let measured = alerts::measure(db, &config.thresholds)?;
    let firing = evaluate(&measured, &config.thresholds);
    let mut opened = 0u64;
    for condition in &firing {
        let touched = alerts::open_or_touch(db, condition)?;
        if touched.opened {
            opened += 1;
            log.warn(
                "alert opened",
                json!({"alert_id": touched.id.0, "dedup_key": condition.dedup_key,
                       "severity": condition.severity.as_str(), "message": condition.message}),
            );
        }
    }
    let kinds: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
    let keys: Vec<&str> = firing.iter().map(|f| f.dedup_key.as_str()).collect();
    let resolved = alerts::resolve_cleared(
        db,
        &ResolveCleared {
            kinds: &kinds,
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
        "measured": measured.to_json(),
    }))
}
