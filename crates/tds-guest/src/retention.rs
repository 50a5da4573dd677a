//! Typed functions beside `tds_store::retention`'s statements (see [`crate::queue`]), and
//! `queue::PURGE_COMPLETED`, the queue's own retention statement: each deletes one batch of
//! old, finished rows of its table.

use tds_store::{queue, retention};

use crate::db::{param, Db, DbError};

/// Runs one batch of a retention statement, its `$older_than_days` and `$limit` bound from
/// a [`PurgeBatch`] (checked against the statement when the crate compiles); how many rows
/// it deleted.
macro_rules! purge {
    ($db:expr, $statement:path, $batch:expr) => {
        $db.execute(
            $statement,
            crate::bind!($statement {
                older_than_days: param::int4($batch.older_than_days),
                limit: param::int4($batch.limit),
            }),
        )
    };
}

/// One batch: at most `limit` rows older than `older_than_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeBatch {
    pub older_than_days: i32,
    pub limit: i32,
}

/// Inbox events nothing unfinished points to (`retention::PURGE_INBOX`); how many.
pub fn purge_inbox(db: &Db, batch: &PurgeBatch) -> Result<u64, DbError> {
    purge!(db, retention::PURGE_INBOX, batch)
}

/// Completed queue rows (`queue::PURGE_COMPLETED`); how many.
pub fn purge_completed_queue_rows(db: &Db, batch: &PurgeBatch) -> Result<u64, DbError> {
    purge!(db, queue::PURGE_COMPLETED, batch)
}

/// Sync-log rows (`retention::PURGE_SYNC_LOG`); how many.
pub fn purge_sync_log(db: &Db, batch: &PurgeBatch) -> Result<u64, DbError> {
    purge!(db, retention::PURGE_SYNC_LOG, batch)
}

/// Audit rows (`retention::PURGE_AUDIT_TRAIL`); how many.
pub fn purge_audit_trail(db: &Db, batch: &PurgeBatch) -> Result<u64, DbError> {
    purge!(db, retention::PURGE_AUDIT_TRAIL, batch)
}

/// Runs (`retention::PURGE_RUNS`); how many.
pub fn purge_runs(db: &Db, batch: &PurgeBatch) -> Result<u64, DbError> {
    purge!(db, retention::PURGE_RUNS, batch)
}

/// Metric rollups (`retention::PURGE_METRICS`); how many.
pub fn purge_metrics(db: &Db, batch: &PurgeBatch) -> Result<u64, DbError> {
    purge!(db, retention::PURGE_METRICS, batch)
}

/// Intake counters (`retention::PURGE_INTAKE_COUNTERS`); how many.
pub fn purge_intake_counters(db: &Db, batch: &PurgeBatch) -> Result<u64, DbError> {
    purge!(db, retention::PURGE_INTAKE_COUNTERS, batch)
}
