//! The processor's configuration, from its component variables.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `database_url` | PostgreSQL URL | required |
//! | `lane` | `sales`, `catalog`, `purchases` or `inventory` | required |
//! | `entity_types` | modules of the lane to drain, comma-separated | all of the lane's |
//! | `lease_seconds` | how long a claim holds its rows | 60 |
//! | `batch_size` | rows claimed and committed together | 50 |
//! | `time_budget_ms` | an invocation stops claiming after this | 5000 |
//! | `stats_token` | bearer token of the HTTP route | none: the route refuses |
//!
//! Only modules with a mapper are claimed; the others stay in the queue untouched, and the
//! run record says which.

use std::time::Duration;

use tds_core::entity::{Lane, Module};
use tds_guest::vars;

pub struct Settings {
    pub database_url: String,
    pub lane: Lane,
    /// Configured modules of the lane that have a mapper: the ones claimed.
    pub claimable: Vec<Module>,
    /// Configured modules of the lane without a mapper yet: left in the queue.
    pub unsupported: Vec<Module>,
    /// `entity_types` entries that are not modules of this lane.
    pub ignored: Vec<String>,
    pub lease_seconds: i32,
    pub batch_size: i32,
    pub time_budget: Duration,
}

impl Settings {
    pub fn read() -> Result<Settings, String> {
        let database_url = vars::get("database_url").ok_or("variable database_url is not set")?;
        let lane_name = vars::get("lane").ok_or("variable lane is not set")?;
        let lane = Lane::from_name(&lane_name)
            .ok_or_else(|| format!("variable lane: {lane_name:?} is not a lane"))?;
        let (configured, ignored) = lane.select(vars::get("entity_types").as_deref());
        let (claimable, unsupported) = configured
            .into_iter()
            .partition(|m| tds_erp::table_for(*m).is_some());
        Ok(Settings {
            database_url,
            lane,
            claimable,
            unsupported,
            ignored,
            lease_seconds: vars::positive("lease_seconds", 60)?,
            batch_size: vars::positive("batch_size", 50)?,
            time_budget: Duration::from_millis(vars::positive("time_budget_ms", 5_000)?),
        })
    }

    /// The component's name in logs and runs: `processor-<lane>`.
    pub fn component(&self) -> String {
        format!("processor-{}", self.lane)
    }
}
