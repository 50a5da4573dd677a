//! The queue: every statement that moves a `tds_sync_queue` row, and nothing else does,
//! plus the limits the processor's batch transaction runs under ([`LIMIT_WAITS`]) and the
//! two reads of the queue's backlog the stats API and `/health` share
//! ([`COUNT_BY_STATUS`], [`OLDEST_WAITING_AGE`]).
//!
//! ```text
//!                                              extend_lease
//!                                                  ┌──┐
//!  enqueue_or_repoint ──▶ pending ──claim_batch──▶ processing ──complete──▶ completed
//!                                                   │    ▲   │
//!           schedule_retry, reclaim_expired (heal)  │    │   └──dead_letter──▶ dead (+ tds_dead_letters)
//!                                                   ▼    │
//!                                                  retry ┘ claim_batch
//! ```
//!
//! - pending/retry rows are unclaimed: at most one per entity (`tds_sync_queue_one_unclaimed`);
//!   a newer event re-points it instead of adding a row (coalescing).
//! - Completed rows leave only by retention ([`PURGE_COMPLETED`]); dead rows stay, and a
//!   dead letter's event comes back (heal's auto-retry, an operator's replay) as a new or
//!   re-pointed unclaimed row through [`ENQUEUE_OR_REPOINT`].
//! - Leases: a claim sets `lease_owner` (unique per invocation), `lease_expires_at` and
//!   `attempt_count + 1` and commits at once, so a crash leaves an expired lease behind.
//!   Every later move of a processing row is a compare-and-set on `lease_owner`: zero rows
//!   touched means the lease was lost, and the caller rolls back.
//! - A processing row locked by a live transaction is held by it: its owner's batch
//!   transaction locks the rows it extends or acknowledges (see `extend_lease`), and heal
//!   skips locked rows (`SKIP LOCKED`) instead of waiting for them. Times the processor
//!   sets inside its long batch transaction use `clock_timestamp()`, not the transaction's
//!   start time `now()`.
//! - A processing row going back to the queue while its entity already has an unclaimed
//!   row merges into it: the unclaimed row takes whichever event is strictly newer and the
//!   returning row is closed as `completed` with `last_error_code = 'coalesced'`.
//! - Exhaustion is decided by the processor: a claimed row whose `attempt_count` exceeds
//!   `max_attempts` (a crash loop) is dead-lettered without being applied.
//!
//! Placeholders are cast explicitly and times leave as text, as real Spin requires. The
//! statements that move claimed rows are sent through typed functions beside them in
//! `tds_guest::queue` (a params struct in, typed rows out); this crate does no I/O.

use crate::journal::{log_attempt_columns, log_attempt_values};
use crate::{statement, Statement};

/// Inserts the entity's unclaimed row or re-points it at this event when the event is at
/// least as new as the queued one. Returns `id`, `inserted` (bool); no row when the queued
/// version is newer (the event is superseded).
pub const ENQUEUE_OR_REPOINT: Statement = statement!(
    "queue::enqueue_or_repoint",
    concat!(
        "\
INSERT INTO tds_sync_queue (module, entity_id, lane, priority, operation, inbox_event_id, source_modified_at, max_attempts, correlation_id)
VALUES ($module::text, $entity_id::text, $lane::text, $priority::int4, $operation::text, $inbox_event_id::bigint,
    $source_modified_at::text::timestamptz, $max_attempts::int4, $correlation_id::text)
",
        or_repoint!(),
        "
RETURNING id, (xmax = 0) AS inserted"
    ),
);

/// What makes an insert into `tds_sync_queue` an enqueue-or-re-point: the entity's
/// unclaimed row, when there is one, takes the event if the event is at least as new.
/// Shared by [`ENQUEUE_OR_REPOINT`] and `inbox::STORE_AND_QUEUE`, which must queue alike;
/// it has no placeholders (the values come from `EXCLUDED`).
macro_rules! or_repoint {
    () => {
        "\
ON CONFLICT (module, entity_id) WHERE status IN ('pending', 'retry')
DO UPDATE SET inbox_event_id = EXCLUDED.inbox_event_id, operation = EXCLUDED.operation,
    source_modified_at = EXCLUDED.source_modified_at, correlation_id = EXCLUDED.correlation_id, updated_at = now()
WHERE tds_sync_queue.source_modified_at <= EXCLUDED.source_modified_at"
    };
}
pub(crate) use or_repoint;

/// Claims up to `$limit` due rows of `$lane` whose module is one of `$modules`, by
/// priority then due time, skipping rows other invocations hold; leases them to
/// `$lease_owner` for `$lease_seconds` and counts the attempt. Returns, in claim order:
/// `id`, `module`, `entity_id`, `operation`, `inbox_event_id`, `source_modified_at`
/// (text), `attempt_count`, `max_attempts`, `correlation_id`.
///
/// The events' documents are read by a statement of their own afterwards
/// ([`crate::inbox::READ_DOCUMENTS`]), never joined here: a row intake re-points after
/// this statement's snapshot is taken, but before its lock, is claimed as it is now
/// (READ COMMITTED re-checks the locked row), pointing at an inbox event this statement's
/// snapshot cannot see yet.
pub const CLAIM_BATCH: Statement = statement!(
    "queue::claim_batch",
    "\
WITH due AS (
    SELECT id FROM tds_sync_queue
    WHERE lane = $lane::text AND module = ANY($modules::text[]) AND status IN ('pending', 'retry') AND next_attempt_at <= now()
    ORDER BY priority, next_attempt_at, id
    LIMIT $limit::int4
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE tds_sync_queue q
    SET status = 'processing', lease_owner = $lease_owner::text, lease_expires_at = now() + make_interval(secs => $lease_seconds::int4),
        attempt_count = q.attempt_count + 1, updated_at = now()
    FROM due WHERE q.id = due.id
    RETURNING q.id, q.module, q.entity_id, q.operation, q.inbox_event_id, q.source_modified_at, q.attempt_count,
        q.max_attempts, q.correlation_id, q.priority, q.next_attempt_at
)
SELECT c.id, c.module, c.entity_id, c.operation, c.inbox_event_id, c.source_modified_at::text, c.attempt_count,
    c.max_attempts, c.correlation_id
FROM claimed c
ORDER BY c.priority, c.next_attempt_at, c.id",
);

/// Acknowledges row `$queue_id` held by `$lease_owner` and logs its successful attempt, in
/// one statement (one round trip): the attempt's parameters as `journal::LOG_ATTEMPT`'s.
/// Returns `completed` (int8): 1, or 0 when the lease was lost, in which case nothing is
/// logged and the caller rolls the batch back.
pub const COMPLETE: Statement = statement!(
    "queue::complete",
    concat!(
        "\
WITH tds_completed AS (
UPDATE tds_sync_queue SET status = 'completed', completed_at = clock_timestamp(), lease_expires_at = NULL, updated_at = now()
WHERE id = $queue_id::bigint AND lease_owner = $lease_owner::text AND status = 'processing'
RETURNING id
), tds_logged AS (
",
        log_attempt_columns!(),
        "
SELECT ",
        log_attempt_values!(),
        "
FROM tds_completed
)
SELECT count(*)::int8 AS completed FROM tds_completed"
    ),
);

/// Extends the lease of rows `$ids` held by `$lease_owner` to `$lease_seconds` from the
/// statement's clock. Returns the `id` of every row extended; a row missing from the
/// result is no longer held by `$lease_owner` (the lease was lost).
///
/// Run inside the batch transaction, the new expiry only becomes visible at commit; what
/// protects the rows meanwhile is the row lock the update takes, which lasts until the
/// transaction ends: heal's [`LIST_EXPIRED_LEASES`] and [`RECLAIM_EXPIRED`] skip locked
/// rows, and nobody else can move them. Run it outside any savepoint that may be rolled
/// back, since rolling back a savepoint releases the locks taken under it.
pub const EXTEND_LEASE: Statement = statement!(
    "queue::extend_lease",
    "\
UPDATE tds_sync_queue
SET lease_expires_at = clock_timestamp() + make_interval(secs => $lease_seconds::int4), updated_at = now()
WHERE id = ANY($ids::bigint[]) AND lease_owner = $lease_owner::text AND status = 'processing'
RETURNING id",
);

/// Bounds the waits of the current transaction (transaction-local settings):
/// `$lock_timeout_ms` the longest wait for a lock (failing with SQLSTATE 55P03),
/// `$idle_ms` the longest the transaction may sit idle between statements (the server then
/// ends the session, releasing its locks, should the guest die mid-transaction on a pooled
/// connection), both in ms as text. Returns both settings as text.
pub const LIMIT_WAITS: Statement = statement!(
    "queue::limit_waits",
    "\
SELECT set_config('lock_timeout', $lock_timeout_ms::text, true), set_config('idle_in_transaction_session_timeout', $idle_ms::text, true)",
);

// The statement behind SCHEDULE_RETRY and RECLAIM_EXPIRED, which differ only in the
// lease condition.
macro_rules! return_to_queue {
    ($lease_condition:literal, $lock:literal) => {
        concat!(
            "\
WITH me AS (
    SELECT id, module, entity_id, inbox_event_id, operation, source_modified_at, correlation_id
    FROM tds_sync_queue
    WHERE id = $queue_id::bigint AND lease_owner = $lease_owner::text AND status = 'processing'",
            $lease_condition,
            "
    ",
            $lock,
            "
), sibling AS (
    UPDATE tds_sync_queue s
    SET inbox_event_id = CASE WHEN s.source_modified_at < me.source_modified_at THEN me.inbox_event_id ELSE s.inbox_event_id END,
        operation = CASE WHEN s.source_modified_at < me.source_modified_at THEN me.operation ELSE s.operation END,
        correlation_id = CASE WHEN s.source_modified_at < me.source_modified_at THEN me.correlation_id ELSE s.correlation_id END,
        source_modified_at = greatest(s.source_modified_at, me.source_modified_at),
        updated_at = now()
    FROM me
    WHERE s.module = me.module AND s.entity_id = me.entity_id AND s.status IN ('pending', 'retry')
    RETURNING s.id
)
UPDATE tds_sync_queue q
SET status = CASE WHEN EXISTS (SELECT 1 FROM sibling) THEN 'completed' ELSE 'retry' END,
    completed_at = CASE WHEN EXISTS (SELECT 1 FROM sibling) THEN now() END,
    lease_owner = CASE WHEN EXISTS (SELECT 1 FROM sibling) THEN q.lease_owner END,
    lease_expires_at = NULL,
    next_attempt_at = clock_timestamp() + $delay_ms::bigint * interval '1 millisecond',
    last_error = coalesce($error::text, q.last_error),
    last_error_code = CASE WHEN EXISTS (SELECT 1 FROM sibling) THEN 'coalesced' ELSE coalesce($error_code::text, q.last_error_code) END,
    updated_at = now()
FROM me WHERE q.id = me.id
RETURNING q.status"
        )
    };
}

/// A failed attempt (or a row the invocation gives back unattempted) goes back to the
/// queue as `retry`, due after the delay, or merges into the entity's unclaimed row (see
/// the module doc) when `$lease_owner` still holds it, due after `$delay_ms`; `$error` and
/// `$error_code` replace the row's last ones (NULL keeps them). Returns `status` (`retry`,
/// or `completed` when merged); no row when the lease was lost.
pub const SCHEDULE_RETRY: Statement =
    statement!("queue::schedule_retry", return_to_queue!("", "FOR UPDATE"));

/// Heal: a row whose lease `$lease_owner` let expire goes back to the queue,
/// compare-and-set on the owner so a row that just completed (or whose lease was extended)
/// is left alone, and skipped while a live transaction holds it locked (its owner's batch).
/// Parameters and result as [`SCHEDULE_RETRY`]; pass `$delay_ms` 0.
pub const RECLAIM_EXPIRED: Statement = statement!(
    "queue::reclaim_expired",
    return_to_queue!(" AND lease_expires_at < now()", "FOR UPDATE SKIP LOCKED"),
);

/// Heal: up to `$limit` processing rows whose lease has expired, oldest expiry first,
/// leaving out rows a live transaction holds locked (a batch working on them). Returns
/// `id`, `lease_owner`.
pub const LIST_EXPIRED_LEASES: Statement = statement!(
    "queue::list_expired_leases",
    "\
SELECT id, lease_owner FROM tds_sync_queue
WHERE status = 'processing' AND lease_expires_at < now()
ORDER BY lease_expires_at
LIMIT $limit::int4
FOR UPDATE SKIP LOCKED",
);

/// Moves row `$queue_id` held by `$lease_owner` to `dead` and files a dead letter with the
/// attempt history from `tds_sync_log` (log the final attempt first), for `$reason` (also
/// the row's last error), `$error_code` and `$error_class` (`permanent` or `transient`).
/// The letter inherits `auto_retry_count` from the letter whose retry or replay created
/// this row, so heal's automatic retries stay bounded per event (see `auto_retry`).
/// Returns the dead letter's `id`; no row when the lease was lost.
pub const DEAD_LETTER: Statement = statement!(
    "queue::dead_letter",
    "\
WITH moved AS (
    UPDATE tds_sync_queue
    SET status = 'dead', lease_expires_at = NULL, last_error = $reason::text, last_error_code = $error_code::text, updated_at = now()
    WHERE id = $queue_id::bigint AND lease_owner = $lease_owner::text AND status = 'processing'
    RETURNING id, inbox_event_id, module, entity_id, lane, operation, attempt_count, correlation_id
)
INSERT INTO tds_dead_letters (queue_id, inbox_event_id, module, entity_id, lane, operation, reason, error_code, error_class,
    attempt_count, attempts, correlation_id, auto_retry_count)
SELECT m.id, m.inbox_event_id, m.module, m.entity_id, m.lane, m.operation, $reason::text, $error_code::text, $error_class::text, m.attempt_count,
    (SELECT coalesce(jsonb_agg(jsonb_build_object('attempt', l.attempt, 'at', l.created_at, 'outcome', l.outcome,
        'error_code', l.error_code, 'error', l.message) ORDER BY l.id), '[]'::jsonb)
     FROM tds_sync_log l WHERE l.queue_id = m.id),
    m.correlation_id,
    (SELECT coalesce(max(p.auto_retry_count), 0) FROM tds_dead_letters p WHERE p.replay_queue_id = m.id)
FROM moved m
RETURNING id",
);

/// Retention: deletes at most `$limit` rows completed more than `$older_than_days` days
/// ago, oldest first (their history stays in the sync log and audit trail until those
/// expire).
pub const PURGE_COMPLETED: Statement = statement!(
    "queue::purge_completed",
    "\
DELETE FROM tds_sync_queue WHERE id = ANY(ARRAY(
    SELECT id FROM tds_sync_queue
    WHERE status = 'completed' AND completed_at < now() - make_interval(days => $older_than_days::int4)
    ORDER BY completed_at LIMIT $limit::int4 FOR UPDATE SKIP LOCKED))",
);

/// Every named statement of this module, for checks that cover them all.
pub const ALL: [Statement; 12] = [
    ENQUEUE_OR_REPOINT,
    CLAIM_BATCH,
    COMPLETE,
    EXTEND_LEASE,
    LIMIT_WAITS,
    SCHEDULE_RETRY,
    RECLAIM_EXPIRED,
    LIST_EXPIRED_LEASES,
    DEAD_LETTER,
    COUNT_BY_STATUS,
    OLDEST_WAITING_AGE,
    PURGE_COMPLETED,
];

/// Rows per status. Returns `status`, `count` (int8).
pub const COUNT_BY_STATUS: Statement = statement!(
    "queue::count_by_status",
    "SELECT status, count(*)::int8 FROM tds_sync_queue GROUP BY status",
);

/// Seconds the oldest unclaimed row has waited since it was enqueued; 0 when none waits.
/// Returns `age` (float8).
pub const OLDEST_WAITING_AGE: Statement = statement!(
    "queue::oldest_waiting_age",
    "\
SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
FROM tds_sync_queue WHERE status IN ('pending', 'retry')",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heal_skips_rows_a_live_transaction_holds() {
        assert!(RECLAIM_EXPIRED.sql.contains("FOR UPDATE SKIP LOCKED"));
        assert!(LIST_EXPIRED_LEASES.sql.ends_with("FOR UPDATE SKIP LOCKED"));
        assert!(!SCHEDULE_RETRY.sql.contains("SKIP LOCKED"));
        assert!(!SCHEDULE_RETRY.sql.contains("lease_expires_at < now()"));
    }

    #[test]
    fn batch_times_follow_the_clock() {
        for statement in [COMPLETE, EXTEND_LEASE, SCHEDULE_RETRY] {
            assert!(
                statement.sql.contains("clock_timestamp()"),
                "{}",
                statement.name
            );
        }
        assert!(!SCHEDULE_RETRY.sql.contains("next_attempt_at = now()"));
    }
}
