//! One event under its savepoint: apply and acknowledge (`complete`, which logs the attempt
//! in the same statement), or roll back to the savepoint and retry with backoff or
//! dead-letter it; a lost lease aborts the batch.

use std::time::Instant;

use serde_json::json;
use tds_core::failure::FailureClass;
use tds_guest::db::{Db, DbError};
use tds_guest::queue::{self, Complete, DeadLetter, ReturnToQueue, Returned};
use tds_guest::random;

use crate::apply::{apply, Effect, Failure};
use crate::context::Context;
use crate::event_log::{attempt, audit, log_attempt};
use crate::job::Job;
use crate::tally::Outcome;

/// Why a batch stops early.
pub enum Abort {
    LeaseLost,
    Db(DbError),
}

impl From<DbError> for Abort {
    fn from(e: DbError) -> Abort {
        Abort::Db(e)
    }
}

impl Abort {
    /// A failed statement that touches only rows this invocation leases: a lock wait that
    /// gave up means another transaction (heal) is moving them, so the lease is lost.
    pub fn on_own_rows(e: DbError) -> Abort {
        if e.is_lock_not_available() {
            Abort::LeaseLost
        } else {
            Abort::Db(e)
        }
    }
}

const EVENT_SAVEPOINT: &str = "tds_event";
const RACE_SAVEPOINT: &str = "tds_race";

pub fn process(context: &Context<'_>, job: &Job) -> Result<Outcome, Abort> {
    let db = context.db;
    let started = Instant::now();
    let claim = &job.claim;
    let log = context.log.for_correlation(job.correlation_id());
    db.savepoint(EVENT_SAVEPOINT)?;
    let outcome = if claim.attempt_count > claim.max_attempts {
        let message = format!(
            "claimed {} times without finishing (the invocations died or lost their leases)",
            claim.attempt_count - 1
        );
        let failure = Failure {
            class: FailureClass::Transient,
            code: "attempts_exhausted".into(),
            message,
        };
        fail(context, job, &failure, started)?
    } else {
        let applied = apply(db, job)
            .and_then(|effect| record_success(context, job, effect).map_err(Failure::from));
        match applied {
            Ok((outcome, message)) => {
                let complete = Complete {
                    owner: context.owner,
                    attempt: attempt(context, job, outcome, Some(&message), None, started),
                };
                let acknowledged =
                    queue::complete(db, &complete).map_err(Abort::on_own_rows)?;
                if !acknowledged {
                    return Err(Abort::LeaseLost);
                }
                outcome
            }
            Err(failure) => {
                db.rollback_to(EVENT_SAVEPOINT)?;
                fail(context, job, &failure, started)?
            }
        }
    };
    db.release(EVENT_SAVEPOINT)?;
    let fields = json!({"queue_id": claim.id.0, "module": claim.module.as_str(), "entity_id": claim.entity_id.as_str(), "attempt": claim.attempt_count, "outcome": outcome.log_outcome()});
    match outcome {
        Outcome::Dead => log.warn("event dead-lettered", fields),
        Outcome::Retried | Outcome::Coalesced => log.warn("event will be retried", fields),
        _ => log.info("event processed", fields),
    }
    Ok(outcome)
}

/// Records a successful attempt's audit row (for a real change); returns its outcome and
/// the sync-log message, which `queue::complete` logs with the acknowledgement.
fn record_success(
    context: &Context<'_>,
    job: &Job,
    effect: Effect,
) -> Result<(Outcome, String), DbError> {
    Ok(match effect {
        Effect::Changed(change) => {
            audit(context, job, &change)?;
            (
                Outcome::Applied,
                format!("{} {}", change.action, change.table.name),
            )
        }
        Effect::Unchanged => (Outcome::Unchanged, "content unchanged".to_string()),
        Effect::Stale => (
            Outcome::Stale,
            "the stored row is newer; event skipped".to_string(),
        ),
    })
}

/// A failed attempt: dead letter when permanent or out of attempts, else a retry after
/// backoff.
fn fail(
    context: &Context<'_>,
    job: &Job,
    failure: &Failure,
    started: Instant,
) -> Result<Outcome, Abort> {
    let db = context.db;
    let claim = &job.claim;
    let exhausted = claim.attempt_count >= claim.max_attempts;
    if failure.class == FailureClass::Permanent || exhausted {
        log_attempt(
            context,
            job,
            Outcome::Dead,
            Some(&failure.message),
            Some(&failure.code),
            started,
        )?;
        let reason = match failure.class {
            FailureClass::Permanent => failure.message.clone(),
            FailureClass::Transient => format!(
                "attempts exhausted ({} of {}): {}",
                claim.attempt_count, claim.max_attempts, failure.message
            ),
        };
        let filed = queue::dead_letter(
            db,
            &DeadLetter {
                id: claim.id,
                owner: context.owner,
                reason: &reason,
                error_code: &failure.code,
                error_class: failure.class,
            },
        )
        .map_err(Abort::on_own_rows)?;
        return match filed {
            None => Err(Abort::LeaseLost),
            Some(_) => Ok(Outcome::Dead),
        };
    }
    let delay_ms = context
        .tuning
        .backoff
        .delay_ms(claim.attempt_count, random::jitter());
    let schedule = || -> Result<Option<Returned>, DbError> {
        log_attempt(
            context,
            job,
            Outcome::Retried,
            Some(&failure.message),
            Some(&failure.code),
            started,
        )?;
        queue::schedule_retry(
            db,
            &ReturnToQueue {
                id: claim.id,
                owner: context.owner,
                delay_ms,
                error: Some(&failure.message),
                error_code: Some(&failure.code),
            },
        )
    };
    match once_more_on_unique_violation(db, schedule)? {
        None => Err(Abort::LeaseLost),
        Some(Returned::Coalesced) => Ok(Outcome::Coalesced),
        Some(Returned::Retry) => Ok(Outcome::Retried),
    }
}

/// Runs `f` under a savepoint and once more if it hit a unique violation: returning a row
/// to the queue races with intake creating the entity's unclaimed row, and the second
/// run sees that row and merges into it.
fn once_more_on_unique_violation<T>(
    db: &Db,
    f: impl Fn() -> Result<T, DbError>,
) -> Result<T, DbError> {
    db.savepoint(RACE_SAVEPOINT)?;
    let result = match f() {
        Err(e) if e.is_unique_violation() => {
            db.rollback_to(RACE_SAVEPOINT)?;
            f()
        }
        other => other,
    }?;
    db.release(RACE_SAVEPOINT)?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tds_core::failure::LOCK_NOT_AVAILABLE;

    fn error(sqlstate: Option<&str>) -> DbError {
        match sqlstate {
            Some(code) => DbError::server(code, "failed"),
            None => DbError::local("failed"),
        }
    }

    #[test]
    fn a_lock_wait_on_own_rows_means_the_lease_is_lost() {
        let lost = Abort::on_own_rows(error(Some(LOCK_NOT_AVAILABLE)));
        assert!(matches!(lost, Abort::LeaseLost));
        for other in [None, Some("40P01"), Some("23505"), Some("08006")] {
            let abort = Abort::on_own_rows(error(other));
            assert!(matches!(abort, Abort::Db(e) if e == error(other)));
        }
    }
}
