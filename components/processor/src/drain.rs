//! The loop of one invocation (protocol: docs/design.md, "Queue protocol"): gate, claim,
//! apply a batch, until the lane is empty or `time_budget_ms` is spent; with `keep_going` it
//! waits when the lane is empty and claims until `Settings::claim_window` closes.

use std::time::Instant;

use tds_core::circuit::CircuitState;
use tds_core::failure::FailureClass;
use tds_guest::db::DbError;

use crate::batch::{apply_batch, BatchEnd, Lease};
use crate::context::Context;
use crate::gate::{Admitted, LaneGate};
use crate::job::claim;
use crate::settings::IDLE_WAIT;
use crate::tally::Counts;

/// Why the invocation stopped.
#[derive(Clone, Copy)]
pub enum Stop {
    Empty,
    TimeBudget,
    LeaseLost,
    NothingClaimable,
    /// The lane's circuit breaker is open (or another invocation is probing).
    CircuitOpen,
}

impl Stop {
    pub fn as_str(self) -> &'static str {
        match self {
            Stop::Empty => "empty",
            Stop::TimeBudget => "time_budget",
            Stop::LeaseLost => "lease_lost",
            Stop::NothingClaimable => "nothing_claimable",
            Stop::CircuitOpen => "circuit_open",
        }
    }
}

/// Drains the lane, adding each batch to `counts`; why it stopped.
pub fn drain(
    context: &Context<'_>,
    started: Instant,
    counts: &mut Counts,
) -> Result<Stop, DbError> {
    let settings = context.settings;
    if settings.claimable.is_empty() {
        return Ok(Stop::NothingClaimable);
    }
    let gate = LaneGate::new(context);
    loop {
        if started.elapsed() >= settings.claim_window() {
            return Ok(Stop::TimeBudget);
        }
        let Some(Admitted {
            probing,
            needs_success,
        }) = gate.admit()?
        else {
            return Ok(Stop::CircuitOpen);
        };
        let lease = Lease::starting(settings.lease_seconds);
        let jobs = claim(context.db, settings, context.owner)?;
        if jobs.is_empty() {
            if probing {
                gate.record_success();
            }
            if settings.waits_when_empty(started.elapsed()) {
                std::thread::sleep(IDLE_WAIT);
                continue;
            }
            return Ok(Stop::Empty);
        }
        counts.claimed += jobs.len();
        counts.batches += 1;
        let (batch, end) = apply_batch(context, &jobs, lease);
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
