//! Retention: each statement deletes at most `$limit` rows older than `$older_than_days`
//! days, oldest first, skipping rows another transaction holds, and returns nothing; heal
//! runs it in small batches (each its own transaction) until a batch comes back short. A
//! batch's rows are picked once (`= ANY(ARRAY(…))`): a sub-select under `IN (…)` may be
//! rescanned, and each rescan's `SKIP LOCKED` would let rows beyond the limit in. Only
//! what is old and finished goes:
//! - inbox events once processed: never one a waiting or running queue row, or an
//!   unresolved dead letter, still points to;
//! - sync log, audit trail and finished runs (logs);
//! - metric rollups and intake counters;
//! - completed queue rows: `queue::PURGE_COMPLETED`.

use crate::{statement, Statement};

/// Inbox events received more than `$older_than_days` days ago that nothing unfinished
/// points to.
pub const PURGE_INBOX: Statement = statement!(
    "retention::purge_inbox",
    "\
DELETE FROM tds_inbox_events WHERE id = ANY(ARRAY(
    SELECT e.id FROM tds_inbox_events e
    WHERE e.received_at < now() - make_interval(days => $older_than_days::int4)
        AND NOT EXISTS (SELECT 1 FROM tds_sync_queue q
            WHERE q.inbox_event_id = e.id AND q.status IN ('pending', 'processing', 'retry'))
        AND NOT EXISTS (SELECT 1 FROM tds_dead_letters d WHERE d.inbox_event_id = e.id AND d.resolved_at IS NULL)
    ORDER BY e.received_at
    LIMIT $limit::int4
    FOR UPDATE SKIP LOCKED))",
);

/// Sync-log rows written more than `$older_than_days` days ago.
pub const PURGE_SYNC_LOG: Statement = statement!(
    "retention::purge_sync_log",
    "\
DELETE FROM tds_sync_log WHERE id = ANY(ARRAY(
    SELECT id FROM tds_sync_log WHERE created_at < now() - make_interval(days => $older_than_days::int4)
    ORDER BY created_at LIMIT $limit::int4 FOR UPDATE SKIP LOCKED))",
);

/// Audit rows written more than `$older_than_days` days ago.
pub const PURGE_AUDIT_TRAIL: Statement = statement!(
    "retention::purge_audit_trail",
    "\
DELETE FROM tds_audit_trail WHERE id = ANY(ARRAY(
    SELECT id FROM tds_audit_trail WHERE created_at < now() - make_interval(days => $older_than_days::int4)
    ORDER BY created_at LIMIT $limit::int4 FOR UPDATE SKIP LOCKED))",
);

/// Runs started more than `$older_than_days` days ago that finished (a run still `running`
/// after that long belonged to an invocation that died, which no run outlives by days: it
/// goes too).
pub const PURGE_RUNS: Statement = statement!(
    "retention::purge_runs",
    "\
DELETE FROM tds_sync_runs WHERE id = ANY(ARRAY(
    SELECT id FROM tds_sync_runs WHERE started_at < now() - make_interval(days => $older_than_days::int4)
    ORDER BY started_at LIMIT $limit::int4 FOR UPDATE SKIP LOCKED))",
);

/// Metric rollups of minutes more than `$older_than_days` days ago.
pub const PURGE_METRICS: Statement = statement!(
    "retention::purge_metrics",
    "\
DELETE FROM tds_metrics WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM tds_metrics WHERE minute < now() - make_interval(days => $older_than_days::int4)
    ORDER BY minute LIMIT $limit::int4 FOR UPDATE SKIP LOCKED))",
);

/// Intake counters of minutes more than `$older_than_days` days ago (kept as long as the
/// rollups).
pub const PURGE_INTAKE_COUNTERS: Statement = statement!(
    "retention::purge_intake_counters",
    "\
DELETE FROM tds_intake_counters WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM tds_intake_counters WHERE minute < now() - make_interval(days => $older_than_days::int4)
    ORDER BY minute LIMIT $limit::int4 FOR UPDATE SKIP LOCKED))",
);

/// Every named statement of this module.
pub const ALL: [Statement; 6] = [
    PURGE_INBOX,
    PURGE_SYNC_LOG,
    PURGE_AUDIT_TRAIL,
    PURGE_RUNS,
    PURGE_METRICS,
    PURGE_INTAKE_COUNTERS,
];
