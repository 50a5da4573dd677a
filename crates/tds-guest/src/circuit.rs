//! Circuit breakers stored in PostgreSQL (`tds_store::circuits`), driven by the state
//! machine in `tds_core::circuit`: read the breaker, compute the transition, store it with
//! a compare-and-set on the row's version; a lost race reads again (a few times).
//! Every call is its own statement outside any transaction of the caller's.
//!
//! Names: `lane:<lane>` for a processor lane, `outbound:<dependency>` for an outbound
//! webhook. Heal lists the breakers that are not closed with [`list_not_closed`].

use tds_core::alerts::OpenCircuit;
use tds_core::circuit::{Admission, Breaker, CircuitState, Policy};
use tds_store::circuits;

use crate::bind;
use crate::db::{param, Db, DbError};

/// How often a transition is attempted before giving up to a busy breaker.
const CAS_ATTEMPTS: usize = 5;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gate {
    /// Closed. `clean` when it has no failures either (a success need not be recorded).
    Pass { clean: bool },
    /// This caller is the half-open probe: record how it went.
    Probe,
    /// Open, or another caller is probing.
    Refused { retry_in_seconds: f64 },
}

/// One breaker of one invocation.
pub struct CircuitBreaker<'a> {
    db: &'a Db,
    name: String,
    policy: Policy,
}

/// A breaker as read, with the server's clock and the compare-and-set token.
struct Read {
    breaker: Breaker,
    now: f64,
    version: String,
}

impl<'a> CircuitBreaker<'a> {
    pub fn new(db: &'a Db, name: impl Into<String>, policy: Policy) -> CircuitBreaker<'a> {
        CircuitBreaker {
            db,
            name: name.into(),
            policy,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether to go ahead; an open breaker whose cool-down is over admits this caller as
    /// the probe when it wins the move to half-open.
    pub fn admit(&self) -> Result<Gate, DbError> {
        for _ in 0..CAS_ATTEMPTS {
            let read = self.read()?;
            match read.breaker.admit(self.policy, read.now) {
                Admission::Pass => {
                    return Ok(Gate::Pass {
                        clean: !read.breaker.needs_reset(),
                    })
                }
                Admission::Refuse { retry_in_seconds } => {
                    return Ok(Gate::Refused { retry_in_seconds })
                }
                Admission::Probe(next) => {
                    if self.store(&read, next, "probe", None)? {
                        return Ok(Gate::Probe);
                    }
                }
            }
        }
        Ok(Gate::Refused {
            retry_in_seconds: self.policy.open_seconds,
        })
    }

    /// Records a failure; returns the state it left the breaker in.
    pub fn record_failure(&self, error: &str) -> Result<CircuitState, DbError> {
        for _ in 0..CAS_ATTEMPTS {
            let read = self.read()?;
            let next = read.breaker.after_failure(self.policy, read.now);
            if self.store(&read, next, "failure", Some(error))? {
                return Ok(next.state);
            }
        }
        Err(DbError::local(format!(
            "circuit {}: the failure could not be recorded (the breaker kept changing)",
            self.name
        )))
    }

    /// Records a success: closes the breaker and clears its failures (no write when it is
    /// already closed and clean).
    pub fn record_success(&self) -> Result<(), DbError> {
        for _ in 0..CAS_ATTEMPTS {
            let read = self.read()?;
            if !read.breaker.needs_reset() {
                return Ok(());
            }
            if self.store(&read, read.breaker.after_success(), "success", None)? {
                return Ok(());
            }
        }
        Err(DbError::local(format!(
            "circuit {}: the success could not be recorded (the breaker kept changing)",
            self.name
        )))
    }

    fn read(&self) -> Result<Read, DbError> {
        let query = || {
            let name = bind!(circuits::READ {
                name: param::text(&self.name)
            });
            self.db.query(circuits::READ, name)
        };
        let mut rows = query()?;
        if rows.is_empty() {
            // Another invocation created the row at the same moment: its insert won, and this
            // statement's snapshot predates it. A fresh statement sees it.
            rows = query()?;
        }
        let row = rows.expect_row()?;
        let state_name = row.text("state")?;
        let state = CircuitState::from_name(&state_name).ok_or_else(|| {
            row.invalid(format!(
                "circuit {}: unknown state {state_name:?}",
                self.name
            ))
        })?;
        let next_probe_at = row.opt_float8("next_probe_at")?;
        Ok(Read {
            breaker: Breaker {
                state,
                consecutive_failures: row.int4("consecutive_failures")?.max(0).unsigned_abs(),
                next_probe_at,
            },
            now: row.float8("now")?,
            version: row.text("version")?,
        })
    }

    /// Stores `next` if the breaker is still as read; whether it was.
    fn store(
        &self,
        read: &Read,
        next: Breaker,
        what: &str,
        error: Option<&str>,
    ) -> Result<bool, DbError> {
        let probe_in = next.next_probe_at.map(|at| (at - read.now).max(0.0));
        let touched = self.db.execute(
            circuits::TRANSITION,
            bind!(circuits::TRANSITION {
                state: param::text(next.state.as_str()),
                consecutive_failures: param::int4(
                    i32::try_from(next.consecutive_failures).unwrap_or(i32::MAX)
                ),
                probe_in_seconds: param::opt_float8(probe_in),
                last_error: param::opt_text(error),
                happened: param::text(what),
                name: param::text(&self.name),
                version: param::text(&read.version),
            }),
        )?;
        Ok(touched == 1)
    }
}

/// The breakers that are not closed, by name (`circuits::LIST_NOT_CLOSED`).
pub fn list_not_closed(db: &Db) -> Result<Vec<OpenCircuit>, DbError> {
    let rows = db.query(
        circuits::LIST_NOT_CLOSED,
        bind!(circuits::LIST_NOT_CLOSED {}),
    )?;
    rows.iter()
        .map(|row| {
            Ok(OpenCircuit {
                name: row.text("name")?,
                state: row.text("state")?,
                consecutive_failures: row.int4("consecutive_failures")?.into(),
                last_error: row.opt_text("last_error")?,
            })
        })
        .collect()
}
