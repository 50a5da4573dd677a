//! Step 1: reclaim expired leases. Up to `heal_reclaim_limit` processing rows whose lease
//! has expired (a processor that crashed, was killed or lost its connection) go back to
//! the queue as `retry`, due now, with `last_error_code = 'lease_expired'`; the attempt
//! the claim counted stays counted. Compare-and-set on the lease owner, and rows a live
//! batch transaction holds locked are skipped, so a row that just completed or whose lease
//! was extended is never touched. A row whose entity already has an unclaimed row merges
//! into it (see `tds_store::queue`).

use serde_json::{json, Value};
use tds_guest::db::{param, Db, DbError};
use tds_guest::log::Logger;
use tds_store::queue;

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

pub fn run(db: &Db, limit: i32, log: &Logger) -> Result<Value, DbError> {
    let expired = db.query(queue::LIST_EXPIRED_LEASES, &[param::int4(limit)])?;
    let mut reclaimed = Reclaimed::default();
    for row in expired.iter() {
        let (id, owner) = (row.int8(0)?, row.text(1)?);
        let params = [
            param::int8(id),
            param::text(&owner),
            param::int8(0),
            param::text(format!("lease of {owner} expired before it finished")),
            param::text("lease_expired"),
        ];
        // A unique violation means intake created the entity's unclaimed row meanwhile; the
        // second run merges into it.
        let rows = match db.query(queue::RECLAIM_EXPIRED, &params) {
            Err(e) if e.is_unique_violation() => db.query(queue::RECLAIM_EXPIRED, &params),
            other => other,
        }?;
        let status = rows.first().map(|r| r.text(0)).transpose()?;
        match status.as_deref() {
            Some("retry") => reclaimed.requeued += 1,
            Some(_) => reclaimed.coalesced += 1,
            None => {
                reclaimed.skipped += 1;
                continue;
            }
        }
        log.info(
            "expired lease reclaimed",
            json!({"queue_id": id, "lease_owner": owner, "status": status}),
        );
    }
    Ok(
        json!({"reclaimed": reclaimed.requeued, "coalesced": reclaimed.coalesced, "skipped": reclaimed.skipped}),
    )
}
