//! The loop of one invocation (protocol: docs/design.md, "Queue protocol"): gate, claim,
//! apply a batch, until the lane is empty or `time_budget_ms` is spent. How it waits at an
//! empty lane is its [`Pace`]: the report route stops (or, with `keep_going`, waits until
//! `Settings::claim_window` closes); a drain session paces its claims ([`gather_wait`]: a
//! trickle within tens of milliseconds, a flood in batches that grow with it) and waits out
//! its grace polling every [`GATHER`], so a trickle of events is applied by the session
//! already running instead of a wake each.

use std::time::{Duration, Instant};

use tds_core::circuit::CircuitState;
use tds_core::failure::FailureClass;
use tds_guest::db::DbError;

use crate::batch::{apply_batch, BatchEnd, Lease};
use crate::context::Session;
use crate::gate::{Admitted, LaneGate};
use crate::job::claim;
use crate::run::RunRow;
use crate::session::Drainer;
use crate::settings::IDLE_WAIT;
use crate::tally::Counts;

/// After a claim of `n` rows short of a batch, a drain session waits this long (from that
/// claim) before it claims again: [`GATHER`] for an empty lane or one row, `n` times as
/// long for more, at most [`GATHER_MAX`]. A trickle is claimed within a few tens of
/// milliseconds; a flood waits longer and is applied in batches that grow with it, each
/// batch's claim, transaction and commit shared by its events. A full batch is followed at
/// once by the next claim.
pub fn gather_wait(n: usize, batch_size: usize) -> Duration {
    if n >= batch_size {
        return Duration::ZERO;
    }
    (GATHER * u32::try_from(n.max(1)).unwrap_or(u32::MAX)).min(GATHER_MAX)
}

/// The wait after a claim of one row or none (see [`gather_wait`]); a session in its grace
/// looks at its lane this often.
pub const GATHER: Duration = Duration::from_millis(25);

/// The longest wait between two claims of a session that found work (see [`gather_wait`]).
pub const GATHER_MAX: Duration = Duration::from_millis(250);

/// Why the invocation stopped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stop {
    Empty,
    TimeBudget,
    LeaseLost,
    NothingClaimable,
    /// The lane's circuit breaker is open (or another invocation is probing).
    CircuitOpen,
    /// Another drain session took the lane (this one's lease on it ran out).
    SessionTaken,
}

impl Stop {
    pub fn as_str(self) -> &'static str {
        match self {
            Stop::Empty => "empty",
            Stop::TimeBudget => "time_budget",
            Stop::LeaseLost => "lease_lost",
            Stop::NothingClaimable => "nothing_claimable",
            Stop::CircuitOpen => "circuit_open",
            Stop::SessionTaken => "session_taken",
        }
    }
}

/// How an invocation treats an empty lane.
#[derive(Clone, Copy)]
pub enum Pace<'a> {
    /// The report route: stop, or with `keep_going` wait [`IDLE_WAIT`] and claim again.
    Report,
    /// A drain session holding its lane: keep the hold renewed, pace claims by
    /// [`gather_wait`], and after the lane empties poll it every [`GATHER`] for `grace`
    /// before stopping.
    Session {
        drainer: &'a Drainer,
        grace: Duration,
    },
}

/// Drains the lane, adding each batch to `counts` and recording batches under `run`; why
/// it stopped.
pub fn drain(
    session: &Session<'_>,
    run: &mut RunRow<'_>,
    pace: Pace<'_>,
    started: Instant,
    counts: &mut Counts,
) -> Result<Stop, DbError> {
    let settings = session.settings;
    if settings.claimable.is_empty() {
        return Ok(Stop::NothingClaimable);
    }
    let gate = LaneGate::new(session);
    let mut last_work = Instant::now();
    let mut last_claim: Option<(Instant, usize)> = None;
    let batch_size = settings.batch_size as usize;
    loop {
        if let (Pace::Session { .. }, Some((at, n))) = (pace, last_claim) {
            std::thread::sleep(gather_wait(n, batch_size).saturating_sub(at.elapsed()));
        }
        if started.elapsed() >= settings.claim_window() {
            return Ok(Stop::TimeBudget);
        }
        if let Pace::Session { drainer, .. } = pace {
            if !drainer.keep(session.db)? {
                return Ok(Stop::SessionTaken);
            }
        }
        let Some(Admitted {
            probing,
            needs_success,
        }) = gate.admit()?
        else {
            return Ok(Stop::CircuitOpen);
        };
        let lease = Lease::starting(settings.lease_seconds);
        let claimed_at = Instant::now();
        let jobs = claim(session.db, settings, session.owner)?;
        last_claim = Some((claimed_at, jobs.len()));
        if jobs.is_empty() {
            if probing {
                gate.record_success();
            }
            match pace {
                Pace::Report if settings.waits_when_empty(started.elapsed()) => {
                    std::thread::sleep(IDLE_WAIT);
                    continue;
                }
                Pace::Session { grace, .. } if last_work.elapsed() + GATHER < grace => continue,
                _ => return Ok(Stop::Empty),
            }
        }
        let context = session.with_run(run.id()?);
        counts.claimed += jobs.len();
        counts.batches += 1;
        let (batch, end) = apply_batch(&context, &jobs, lease);
        last_work = Instant::now();
        counts.add(batch);
        match end {
            Ok(BatchEnd::Committed) if batch.failed_transiently() => {
                let error = format!(
                    "no event of a batch of {} succeeded; {} were retried",
                    jobs.len(),
                    batch.retried
                );
                if gate.record_failure(&error) != CircuitState::Closed {
                    return Ok(Stop::CircuitOpen);
                }
            }
            Ok(BatchEnd::Committed) if needs_success => gate.record_success(),
            Ok(BatchEnd::Committed) => {}
            Ok(BatchEnd::LeaseLost) => return Ok(Stop::LeaseLost),
            Err(e) => {
                if e.class() == FailureClass::Transient {
                    gate.record_failure(&e.to_string());
                }
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_paced_by_what_the_last_one_found() {
        let ms = |n| gather_wait(n, 50).as_millis();
        assert_eq!((ms(0), ms(1), ms(2), ms(4)), (25, 25, 50, 100));
        assert_eq!((ms(10), ms(49)), (250, 250), "at most GATHER_MAX");
        assert_eq!(ms(50), 0, "a full batch is followed at once");
        assert_eq!(gather_wait(3, 2), Duration::ZERO);
    }
}
