//! One batch in one transaction (waits bounded by `queue::LIMIT_WAITS`, one `COMMIT`), its
//! lease kept by row lock, its rows given back when it rolls back. The protocol and why it
//! is exactly-once: docs/design.md, "Queue protocol". What the design leaves out:
//! - Any rollback (lease lost, or a database failure outside one event: the connection, the
//!   commit) gives the rows back at once when the connection still works, not via heal.
//! - The new expiry is written by this transaction, never committed from a second
//!   connection: that could not renew while this one waits inside a statement (when batches
//!   get slow) and would deadlock on rows this transaction already touched.
//! - Time left is measured from just before the claim was sent (never later than the
//!   server's `now()`). One extension suffices: afterwards every row is locked, processed
//!   ones by their own update. A row it does not find (or cannot lock within the lock
//!   timeout) is lost. It runs outside the event savepoints: rolling one back drops its locks.
//! - Until then the claim's expiry lasts at least half a lease past each event's start,
//!   enough while an event takes less (`lock_timeout_ms` bounds lock waits); should heal
//!   reclaim an overrunning batch, the acknowledgement's compare-and-set rolls it back.

use std::time::{Duration, Instant};

use serde_json::json;
use tds_guest::db::DbError;
use tds_guest::queue::{self, ExtendLease, LimitWaits, ReturnToQueue};

use crate::context::Context;
use crate::job::Job;
use crate::outcome::{process, Abort};
use crate::tally::Counts;

/// How a batch ended.
pub enum BatchEnd {
    Committed,
    /// Rolled back; the rows still held were given back.
    LeaseLost,
}

/// The lease of one batch, as far as the guest can tell: when it runs out and whether the
/// batch transaction already holds its rows (see the module doc).
pub struct Lease {
    seconds: u32,
    /// Taken just before the claim is sent, so never later than the server's expiry.
    expires: Instant,
    held: bool,
}

impl Lease {
    pub fn starting(seconds: u32) -> Lease {
        Lease {
            seconds,
            expires: Instant::now() + Duration::from_secs(seconds.into()),
            held: false,
        }
    }

    /// Whether to extend before the next event: not yet held and less than half left.
    fn wants_extension(&self) -> bool {
        let half = Duration::from_secs(self.seconds.into()) / 2;
        !self.held && self.expires.saturating_duration_since(Instant::now()) < half
    }
}

/// Applies a batch in one transaction. Returns the batch's counts (whatever the end) and
/// how it ended; a lease lost or a database failure rolls the batch back and gives its
/// rows back to the queue.
pub fn apply_batch(
    context: &Context<'_>,
    jobs: &[Job],
    mut lease: Lease,
) -> (Counts, Result<BatchEnd, DbError>) {
    let db = context.db;
    let mut counts = Counts::default();
    let result = (|| {
        db.begin()?;
        queue::limit_waits(
            db,
            &LimitWaits {
                lock_timeout_ms: context.tuning.lock_timeout_ms,
                idle_ms: u64::from(lease.seconds) * 1000,
            },
        )?;
        for (i, job) in jobs.iter().enumerate() {
            if lease.wants_extension() {
                extend_lease(context, &jobs[i..])?;
                lease.held = true;
                counts.lease_extensions += 1;
            }
            counts.record(process(context, job)?);
        }
        db.commit()?;
        Ok(())
    })();
    let abort = match result {
        Ok(()) => return (counts, Ok(BatchEnd::Committed)),
        Err(abort) => abort,
    };
    // Nothing of the batch is committed: give its rows back now rather than leave them to
    // heal, when the connection still works.
    let mut counts = Counts {
        lease_extensions: counts.lease_extensions,
        ..Counts::default()
    };
    let rolled_back = db.rollback();
    if rolled_back.is_ok() {
        counts.released = give_back(context, jobs);
    }
    let (end, message, error) = match (abort, rolled_back) {
        (Abort::LeaseLost, Ok(())) => (
            Ok(BatchEnd::LeaseLost),
            "lease lost: batch rolled back",
            None,
        ),
        (Abort::LeaseLost, Err(e)) | (Abort::Db(e), _) => {
            let message = e.to_string();
            (Err(e), "batch failed and was rolled back", Some(message))
        }
    };
    context.log.warn(
        message,
        json!({"batch": jobs.len(), "first_queue_id": jobs.first().map(|j| j.claim.id.0), "released": counts.released, "error": error}),
    );
    (counts, end)
}

/// Extends the lease of `remaining` (the batch's rows not yet processed), locking them
/// for the rest of the batch transaction; lease lost when one is no longer ours.
fn extend_lease(context: &Context<'_>, remaining: &[Job]) -> Result<(), Abort> {
    let ids: Vec<_> = remaining.iter().map(|job| job.claim.id).collect();
    let extended = queue::extend_lease(
        context.db,
        &ExtendLease {
            ids: &ids,
            owner: context.owner,
            lease_seconds: context.settings.lease_seconds,
        },
    )
    .map_err(Abort::on_own_rows)?;
    let count = extended.len();
    if count < remaining.len() {
        context.log.warn(
            "lease extension found rows no longer ours",
            json!({"remaining": remaining.len(), "extended": count}),
        );
        return Err(Abort::LeaseLost);
    }
    context.log.info(
        "lease extended",
        json!({"rows": count, "lease_seconds": context.settings.lease_seconds}),
    );
    Ok(())
}

/// Returns the rows of a rolled-back batch to the queue, due now (the claim's attempt
/// stays counted). Rows whose lease this invocation no longer holds are left alone.
/// Returns how many went back.
fn give_back(context: &Context<'_>, jobs: &[Job]) -> usize {
    let mut released = 0;
    for job in jobs {
        let result = queue::schedule_retry(
            context.db,
            &ReturnToQueue {
                id: job.claim.id,
                owner: context.owner,
                delay_ms: 0,
                error: None,
                error_code: Some("released"),
            },
        );
        match result {
            Ok(Some(_)) => released += 1,
            Ok(None) => {}
            Err(e) => context.log.warn(
                "could not give a row back; heal will reclaim it",
                json!({"queue_id": job.claim.id.0, "error": e.to_string()}),
            ),
        }
    }
    released
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(seconds: u32, left: Duration, held: bool) -> Lease {
        Lease {
            seconds,
            expires: Instant::now() + left,
            held,
        }
    }

    #[test]
    fn a_lease_is_extended_once_less_than_half_is_left() {
        assert!(!Lease::starting(60).wants_extension());
        assert!(!lease(60, Duration::from_secs(40), false).wants_extension());
        assert!(lease(60, Duration::from_secs(20), false).wants_extension());
        assert!(lease(60, Duration::ZERO, false).wants_extension());
    }

    #[test]
    fn a_held_lease_is_never_extended_again() {
        assert!(!lease(60, Duration::from_secs(20), true).wants_extension());
        assert!(!lease(60, Duration::ZERO, true).wants_extension());
    }
}
