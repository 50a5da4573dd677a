//! Step 1: reclaim expired leases. Up to `heal_reclaim_limit` processing rows whose lease
//! has expired (a processor that crashed, was killed or lost its connection) go back to
//! the queue as `retry`, due now, with `last_error_code = 'lease_expired'`; the attempt
//! the claim counted stays counted. Compare-and-set on the lease owner, and rows a live
//! batch transaction holds locked are skipped, so a row that just completed or whose lease
//! was extended is never touched. A row whose entity already has an unclaimed row merges
//! into it (see `tds_store::queue`).

use serde_json::{json, Value};
use tds_guest::db::{Db, DbError};
use tds_guest::log::Logger;
use tds_guest::queue::{self, ListExpiredLeases, ReturnToQueue, Returned};

/// What reclaiming did.
#[derive(Default)]
struct Reclaimed {
    /// Back to `retry`.
    requeued: u64,
    /// Merged into the entity's unclaimed row.
    coalesced: u64,
    /// Completed, extended or reclaimed by someone else in the meantime.
    skipped: u64,
}

pub fn run(db: &Db, limit: u32, log: &Logger) -> Result<Value, DbError> {
    let expired = queue::list_expired_leases(db, &ListExpiredLeases { limit })?;
    let mut reclaimed = Reclaimed::default();
    for lease in expired {
        let error = format!("lease of {} expired before it finished", lease.owner);
        let back = ReturnToQueue {
            id: lease.id,
            owner: &lease.owner,
            delay_ms: 0,
            error: Some(&error),
            error_code: Some("lease_expired"),
        };
        // A unique violation means intake created the entity's unclaimed row meanwhile; the
        // second run merges into it.
        let returned = match queue::reclaim_expired(db, &back) {
            Err(e) if e.is_unique_violation() => queue::reclaim_expired(db, &back),
            other => other,
        }?;
        let status = match returned {
            Some(Returned::Retry) => {
                reclaimed.requeued += 1;
                "retry"
            }
            Some(Returned::Coalesced) => {
                reclaimed.coalesced += 1;
                "completed"
            }
            None => {
                reclaimed.skipped += 1;
                continue;
            }
        };
        log.info(
            "expired lease reclaimed",
            json!({"queue_id": lease.id.0, "lease_owner": lease.owner.as_str(), "status": status}),
        );
    }
    Ok(
        json!({"reclaimed": reclaimed.requeued, "coalesced": reclaimed.coalesced, "skipped": reclaimed.skipped}),
    )
}
