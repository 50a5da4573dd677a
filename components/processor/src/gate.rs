//! The lane's circuit breaker (`lane:<lane>`, see `tds_guest::circuit` and docs/design.md,
//! "Heal cycle"), asked before each claim and told how each batch went.
//!
//! Open (or another invocation probing): nothing is claimed and the run stops
//! (`circuit_open`); after its cool-down one invocation is admitted as the probe. A lane
//! failure is a batch rolled back for a transient database failure, or a committed batch in
//! which no event succeeded and one was retried; `circuit_failure_threshold` in a row open
//! it for `circuit_open_seconds` (tds_config). Any other committed batch closes it, and so
//! does a probe that finds nothing to claim. Dead letters never count, and neither can a
//! database that is unreachable: such a run fails before it can record anything. A breaker
//! read closed with no failures admits the invocation's claims for a second without being
//! read again.

use std::cell::Cell;
use std::time::{Duration, Instant};

use serde_json::json;
use tds_core::circuit::CircuitState;
use tds_guest::circuit::{CircuitBreaker, Gate};
use tds_guest::db::DbError;
use tds_guest::log::Logger;

use crate::context::Session;

/// How long a closed breaker without failures, once read, admits this invocation's claims
/// without reading it again: a session polling its lane sends its claim alone. A breaker
/// another invocation opens meanwhile stops this one at most this much later.
const CLEAN_PASS_REUSE: Duration = Duration::from_secs(1);

/// The lane's breaker for one invocation.
pub struct LaneGate<'a> {
    breaker: CircuitBreaker<'a>,
    log: &'a Logger,
    /// When the breaker was last read closed and clean (reset by a failure).
    clean_read_at: Cell<Option<Instant>>,
}

/// Leave to claim, and what the breaker must then be told. A probe ends with a verdict
/// either way; a closed breaker with failures counted is reset by the next successful
/// batch (an empty claim proves nothing).
pub struct Admitted {
    /// This invocation is the half-open probe: an empty claim is a success too.
    pub probing: bool,
    /// A committed batch that did not fail the lane must be recorded as a success.
    pub needs_success: bool,
}

impl<'a> LaneGate<'a> {
    pub fn new(context: &Session<'a>) -> LaneGate<'a> {
        LaneGate {
            breaker: CircuitBreaker::new(
                context.db,
                format!("lane:{}", context.settings.lane),
                context.tuning.circuit,
            ),
            log: context.log,
            clean_read_at: Cell::new(None),
        }
    }

    /// Asks the breaker before a claim; `None` when it refuses (logged).
    pub fn admit(&self) -> Result<Option<Admitted>, DbError> {
        let clean = Admitted {
            probing: false,
            needs_success: false,
        };
        if self
            .clean_read_at
            .get()
            .is_some_and(|at| at.elapsed() < CLEAN_PASS_REUSE)
        {
            return Ok(Some(clean));
        }
        let breaker = &self.breaker;
        Ok(match breaker.admit()? {
            Gate::Refused { retry_in_seconds } => {
                self.log.info(
                    "lane circuit open: nothing claimed",
                    json!({"breaker": breaker.name(), "retry_in_seconds": retry_in_seconds}),
                );
                None
            }
            Gate::Probe => {
                self.log.info(
                    "lane circuit half-open: probing",
                    json!({"breaker": breaker.name()}),
                );
                Some(Admitted {
                    probing: true,
                    needs_success: true,
                })
            }
            Gate::Pass { clean: true } => {
                self.clean_read_at.set(Some(Instant::now()));
                Some(clean)
            }
            Gate::Pass { clean: false } => Some(Admitted {
                probing: false,
                needs_success: true,
            }),
        })
    }

    /// Records a failure of the lane; the breaker's state after it (closed when it could
    /// not be recorded, which is logged).
    pub fn record_failure(&self, error: &str) -> CircuitState {
        self.clean_read_at.set(None);
        let breaker = &self.breaker;
        match breaker.record_failure(error) {
            Ok(state) => {
                self.log.warn(
                    "lane failure counted by its circuit breaker",
                    json!({"breaker": breaker.name(), "state": state.as_str(), "error": error}),
                );
                state
            }
            Err(e) => {
                self.log.warn(
                    "could not record a lane failure",
                    json!({"breaker": breaker.name(), "error": e.to_string()}),
                );
                CircuitState::Closed
            }
        }
    }

    /// Records a success of the lane (closing its breaker); a failure to record is logged.
    pub fn record_success(&self) {
        if let Err(e) = self.breaker.record_success() {
            self.log.warn(
                "could not record a lane success",
                json!({"breaker": self.breaker.name(), "error": e.to_string()}),
            );
        }
    }
}
