//! What every step of an invocation shares: the connection, the settings and tuning, the
//! lease owner and the log ([`Session`]); a batch adds the run row it is recorded under
//! ([`Context`]).

use tds_core::ids::{LeaseOwner, RunId};
use tds_guest::db::{Db, DbError};
use tds_guest::log::Logger;

use crate::settings::{Settings, Tuning};

/// What one invocation runs with.
#[derive(Clone, Copy)]
pub struct Session<'a> {
    pub db: &'a Db,
    pub settings: &'a Settings,
    pub owner: &'a LeaseOwner,
    pub tuning: Tuning,
    pub log: &'a Logger,
}

impl<'a> Session<'a> {
    /// The invocation's session on `db`, its tuning read from `tds_config`.
    pub fn open(
        db: &'a Db,
        settings: &'a Settings,
        owner: &'a LeaseOwner,
        log: &'a Logger,
    ) -> Result<Session<'a>, DbError> {
        Ok(Session {
            db,
            settings,
            owner,
            tuning: Tuning::read(db)?,
            log,
        })
    }

    /// The context of a batch recorded under run `run_id`.
    pub fn with_run(&self, run_id: RunId) -> Context<'a> {
        Context {
            db: self.db,
            settings: self.settings,
            owner: self.owner,
            run_id,
            tuning: self.tuning,
            log: self.log,
        }
    }
}

/// What one batch needs besides its jobs.
pub struct Context<'a> {
    pub db: &'a Db,
    pub settings: &'a Settings,
    pub owner: &'a LeaseOwner,
    pub run_id: RunId,
    pub tuning: Tuning,
    pub log: &'a Logger,
}
