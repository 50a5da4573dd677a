//! What every step of an invocation shares: the connection, the settings and tuning, the
//! lease owner, the run row and the log.

use tds_core::ids::{LeaseOwner, RunId};
use tds_guest::db::Db;
use tds_guest::log::Logger;

use crate::settings::{Settings, Tuning};

/// What one batch needs besides its jobs.
pub struct Context<'a> {
    pub db: &'a Db,
    pub settings: &'a Settings,
    pub owner: &'a LeaseOwner,
    pub run_id: RunId,
    pub tuning: Tuning,
    pub log: &'a Logger,
}
