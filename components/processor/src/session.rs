//! Drain sessions: how a woken processor and the cron safety net serve a lane
//! (docs/design.md, "Wakes"; the statements and why no event is left behind:
//! `tds_store::drains`).
//!
//! - **Cron** (the safety net, once a minute by default): one statement asks whether the lane
//!   has due work; when it has none, nothing else is sent and no run is recorded.
//! - **Wake**: answered `202` before anything else; the session then takes the lane, drains
//!   it until it is empty and stays [`WAKE_GRACE`] longer, polling, so a trickle of events
//!   is applied by this session instead of a wake each.
//! - A session holds its lane for [`DRAINER_LEASE_SECONDS`], renewed while it works; while
//!   it does, intake sends no wakes and other sessions of the lane end at once. At an empty
//!   lane it releases the lane and then looks at the queue again, taking the lane back when
//!   an event arrived meanwhile.
//! - A session stops claiming after `time_budget_ms`; a woken one that leaves work behind
//!   then wakes its lane again, so a fresh invocation goes on.
//! - A run is recorded once the session claimed something, failed, or stopped for its
//!   circuit breaker or a lost lease.

use std::cell::Cell;
use std::time::{Duration, Instant};

use serde_json::json;
use tds_core::entity::Lane;
use tds_core::ids::LeaseOwner;
use tds_guest::db::{Db, DbError};
use tds_guest::drains;
use tds_guest::journal::Invocation;
use tds_guest::log::Logger;

use crate::context::Session;
use crate::drain::{drain, Pace, Stop};
use crate::run::{RunRow, Trigger};
use crate::settings::Settings;
use crate::tally::Counts;

/// How long a woken session keeps polling its lane after it empties.
pub const WAKE_GRACE: Duration = Duration::from_secs(1);

/// How long a session's hold on its lane lasts unless renewed: a session that died stops
/// keeping wakes away after this.
pub const DRAINER_LEASE_SECONDS: u32 = 15;

/// A session renews its hold when it is older than this.
const RENEW_AFTER: Duration = Duration::from_secs(5);

/// This invocation's hold on its lane.
pub struct Drainer {
    lane: Lane,
    owner: LeaseOwner,
    renewed: Cell<Instant>,
}

impl Drainer {
    /// Takes `lane` for `owner`; `None` when another session serves it.
    fn take(db: &Db, lane: Lane, owner: &LeaseOwner) -> Result<Option<Drainer>, DbError> {
        let drainer = Drainer {
            lane,
            owner: owner.clone(),
            renewed: Cell::new(Instant::now()),
        };
        Ok(drainer.renew(db)?.then_some(drainer))
    }

    fn renew(&self, db: &Db) -> Result<bool, DbError> {
        let held = drains::acquire(db, self.lane, &self.owner, DRAINER_LEASE_SECONDS)?;
        if held {
            self.renewed.set(Instant::now());
        }
        Ok(held)
    }

    /// Keeps the hold (renewed when due); `false` once another session has the lane.
    pub fn keep(&self, db: &Db) -> Result<bool, DbError> {
        if self.renewed.get().elapsed() < RENEW_AFTER {
            return Ok(true);
        }
        self.renew(db)
    }

    fn release(&self, db: &Db) -> Result<(), DbError> {
        drains::release(db, self.lane, &self.owner)
    }
}

/// Serves the lane as `trigger` (cron or wake) asks.
pub fn serve(settings: &Settings, trigger: Trigger, log: &Logger) -> Result<(), DbError> {
    let Invocation { owner, log, db } =
        Invocation::open(&settings.component(), &settings.database_url, log)?;
    let lane = settings.lane;
    if trigger == Trigger::Cron && !drains::lane_has_work(&db, lane, &settings.claimable)? {
        return Ok(());
    }
    let Some(drainer) = Drainer::take(&db, lane, &owner)? else {
        return Ok(());
    };
    let session = Session::open(&db, settings, &owner, &log)?;
    let grace = match trigger {
        Trigger::Wake => WAKE_GRACE,
        _ => Duration::ZERO,
    };
    let started = Instant::now();
    let mut counts = Counts::default();
    let mut run = RunRow::new(&session, trigger);
    let result = hold_and_drain(&session, &drainer, &mut run, grace, started, &mut counts);
    let worth_recording = match &result {
        Ok(Stop::CircuitOpen | Stop::LeaseLost) | Err(_) => true,
        Ok(_) => counts.claimed > 0,
    };
    if worth_recording && !run.is_open() {
        if let Err(e) = run.id() {
            log.warn("could not record the run", json!({"error": e.to_string()}));
        }
    }
    run.finish(&result, &counts, started, &log);
    if trigger == Trigger::Wake && result.as_ref().is_ok_and(|stop| *stop == Stop::TimeBudget) {
        hand_over(&db, settings, &log);
    }
    result.map(drop)
}

/// Drains while holding the lane; at an empty lane releases it, then takes it back when
/// work arrived meanwhile. Any other stop releases the lane and ends.
fn hold_and_drain(
    session: &Session<'_>,
    drainer: &Drainer,
    run: &mut RunRow<'_>,
    grace: Duration,
    started: Instant,
    counts: &mut Counts,
) -> Result<Stop, DbError> {
    let db = session.db;
    let settings = session.settings;
    loop {
        let pace = Pace::Session { drainer, grace };
        let stop = drain(session, run, pace, started, counts);
        let released = drainer.release(db);
        let stop = stop?;
        released?;
        if stop != Stop::Empty
            || started.elapsed() >= settings.claim_window()
            || !drains::lane_has_work(db, settings.lane, &settings.claimable)?
            || !drainer.renew(db)?
        {
            return Ok(stop);
        }
    }
}

/// Wakes the lane again when the session's time ran out with work left, so a fresh
/// invocation goes on (this one has released the lane).
fn hand_over(db: &Db, settings: &Settings, log: &Logger) {
    match drains::lane_has_work(db, settings.lane, &settings.claimable) {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            log.warn(
                "could not look for work left",
                json!({"error": e.to_string()}),
            );
            return;
        }
    }
    let sent = drains::send_wake(&settings.waking, settings.lane);
    if let Err(error) = sent {
        log.warn(
            "could not wake the lane for the work left; the cron safety net will drain it",
            json!({"lane": settings.lane.as_str(), "error": error}),
        );
    }
}
