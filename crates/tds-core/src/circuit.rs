//! Circuit breakers: the state machine, without storage or clocks of its own.
//!
//! ```text
//!            failures reach the threshold              cool-down over: one probe
//!   closed ─────────────────────────────────▶ open ─────────────────────────────▶ half_open
//!     ▲  ▲                                     ▲                                    │  │
//!     │  └──── a success (from any state) ─────┼────────────────────────────────────┘  │
//!     │                                        └──────── the probe fails ──────────────┘
//! ```
//!
//! - Closed: everything passes; consecutive failures are counted and a success resets them.
//! - Open: nothing passes until `next_probe_at`; then exactly one caller is admitted as the
//!   probe (the caller that wins the compare-and-set to half-open).
//! - Half-open: the probe is running; others are refused. Its deadline is again
//!   `open_seconds` away, so a probe that died is replaced by a new one after that long.
//!
//! Times are seconds since the epoch as the database tells them (one clock for every
//! invocation), passed in by the caller.

use std::fmt;

/// Where a breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

impl CircuitState {
    /// The name stored in `tds_circuit_breakers.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
        }
    }

    /// The state named `name`.
    ///
    /// ```
    /// use tds_core::circuit::CircuitState;
    /// assert_eq!(CircuitState::from_name("half_open"), Some(CircuitState::HalfOpen));
    /// assert_eq!(CircuitState::from_name("ajar"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<CircuitState> {
        [
            CircuitState::Closed,
            CircuitState::Open,
            CircuitState::HalfOpen,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

impl fmt::Display for CircuitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a breaker opens and for how long (`circuit_failure_threshold`,
/// `circuit_open_seconds` in `tds_config`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub failure_threshold: u32,
    pub open_seconds: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            failure_threshold: 5,
            open_seconds: 60.0,
        }
    }
}

/// A breaker's stored state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Breaker {
    pub state: CircuitState,
    pub consecutive_failures: u32,
    /// Open: when a probe may start; half-open: when the running probe is given up.
    pub next_probe_at: Option<f64>,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: CircuitState::Closed,
            consecutive_failures: 0,
            next_probe_at: None,
        }
    }
}

/// Whether a caller may go ahead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Admission {
    /// Closed: go ahead.
    Pass,
    /// Go ahead as the probe, after storing this half-open state (compare-and-set).
    Probe(Breaker),
    /// Open, or a probe is running: wait this many seconds.
    Refuse { retry_in_seconds: f64 },
}

impl Breaker {
    /// Whether a caller may go ahead at `now`.
    ///
    /// ```
    /// use tds_core::circuit::{Admission, Breaker, CircuitState, Policy};
    /// let policy = Policy { failure_threshold: 2, open_seconds: 30.0 };
    /// let open = Breaker { state: CircuitState::Open, consecutive_failures: 2, next_probe_at: Some(100.0) };
    /// assert_eq!(open.admit(policy, 90.0), Admission::Refuse { retry_in_seconds: 10.0 });
    /// let Admission::Probe(probing) = open.admit(policy, 100.0) else { panic!() };
    /// assert_eq!((probing.state, probing.next_probe_at), (CircuitState::HalfOpen, Some(130.0)));
    /// assert_eq!(Breaker::default().admit(policy, 0.0), Admission::Pass);
    /// ```
    pub fn admit(&self, policy: Policy, now: f64) -> Admission {
        match self.state {
            CircuitState::Closed => Admission::Pass,
            CircuitState::Open | CircuitState::HalfOpen => {
                let due = self.next_probe_at.unwrap_or(now);
                if now >= due {
                    Admission::Probe(Breaker {
                        state: CircuitState::HalfOpen,
                        consecutive_failures: self.consecutive_failures,
                        next_probe_at: Some(now + policy.open_seconds),
                    })
                } else {
                    Admission::Refuse {
                        retry_in_seconds: due - now,
                    }
                }
            }
        }
    }

    /// The state after a failure at `now`: counted; the threshold (or a failed probe)
    /// opens the breaker until `now + open_seconds`.
    ///
    /// ```
    /// use tds_core::circuit::{Breaker, CircuitState, Policy};
    /// let policy = Policy { failure_threshold: 2, open_seconds: 30.0 };
    /// let once = Breaker::default().after_failure(policy, 10.0);
    /// assert_eq!((once.state, once.consecutive_failures), (CircuitState::Closed, 1));
    /// let twice = once.after_failure(policy, 11.0);
    /// assert_eq!((twice.state, twice.next_probe_at), (CircuitState::Open, Some(41.0)));
    /// ```
    pub fn after_failure(&self, policy: Policy, now: f64) -> Breaker {
        let consecutive_failures = self.consecutive_failures.saturating_add(1);
        let opens = match self.state {
            CircuitState::HalfOpen => true,
            CircuitState::Closed => consecutive_failures >= policy.failure_threshold.max(1),
            CircuitState::Open => false,
        };
        match (self.state, opens) {
            (_, true) => Breaker {
                state: CircuitState::Open,
                consecutive_failures,
                next_probe_at: Some(now + policy.open_seconds),
            },
            (state, false) => Breaker {
                state,
                consecutive_failures,
                next_probe_at: self.next_probe_at,
            },
        }
    }

    /// The state after a success: closed with no failures, from any state.
    pub fn after_success(&self) -> Breaker {
        Breaker::default()
    }

    /// Whether a success would change anything (so it need not be written when not).
    ///
    /// ```
    /// use tds_core::circuit::{Breaker, Policy};
    /// assert!(!Breaker::default().needs_reset());
    /// assert!(Breaker::default().after_failure(Policy::default(), 0.0).needs_reset());
    /// ```
    pub fn needs_reset(&self) -> bool {
        *self != Breaker::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        failure_threshold: 3,
        open_seconds: 60.0,
    };

    #[test]
    fn opens_after_the_threshold_then_probes_and_closes() {
        let mut breaker = Breaker::default();
        for now in [1.0, 2.0] {
            breaker = breaker.after_failure(POLICY, now);
            assert_eq!(breaker.admit(POLICY, now), Admission::Pass);
        }
        breaker = breaker.after_failure(POLICY, 3.0);
        assert_eq!(breaker.state, CircuitState::Open);
        assert_eq!(
            breaker.admit(POLICY, 4.0),
            Admission::Refuse {
                retry_in_seconds: 59.0
            }
        );
        let Admission::Probe(probing) = breaker.admit(POLICY, 63.0) else {
            panic!("the cool-down is over")
        };
        assert_eq!(probing.state, CircuitState::HalfOpen);
        assert!(matches!(
            probing.admit(POLICY, 64.0),
            Admission::Refuse { .. }
        ));
        assert_eq!(probing.after_success(), Breaker::default());
    }

    #[test]
    fn a_failed_probe_reopens_and_a_dead_probe_is_replaced() {
        let open = Breaker {
            state: CircuitState::Open,
            consecutive_failures: 3,
            next_probe_at: Some(10.0),
        };
        let Admission::Probe(probing) = open.admit(POLICY, 10.0) else {
            panic!()
        };
        let reopened = probing.after_failure(POLICY, 20.0);
        assert_eq!(reopened.state, CircuitState::Open);
        assert_eq!(reopened.consecutive_failures, 4);
        assert_eq!(reopened.next_probe_at, Some(80.0));
        assert!(matches!(probing.admit(POLICY, 70.0), Admission::Probe(_)));
    }

    #[test]
    fn failures_while_open_keep_the_probe_time() {
        let open = Breaker {
            state: CircuitState::Open,
            consecutive_failures: 3,
            next_probe_at: Some(50.0),
        };
        let after = open.after_failure(POLICY, 20.0);
        assert_eq!(after.state, CircuitState::Open);
        assert_eq!(after.next_probe_at, Some(50.0));
        assert_eq!(after.consecutive_failures, 4);
    }

    #[test]
    fn a_threshold_of_zero_acts_as_one() {
        let policy = Policy {
            failure_threshold: 0,
            open_seconds: 1.0,
        };
        assert_eq!(
            Breaker::default().after_failure(policy, 0.0).state,
            CircuitState::Open
        );
    }
}
