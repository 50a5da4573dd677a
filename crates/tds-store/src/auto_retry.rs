//! Heal's automatic retry of dead letters with a transient cause, after a cool-down and a
//! bounded number of times. The event goes back on the queue only through
//! `queue::ENQUEUE_OR_REPOINT` (a new pending row, or the entity's unclaimed row
//! re-pointed at it), between [`LOCK_CANDIDATE`] and [`MARK_AUTO_RETRIED`] in one short
//! transaction. The retried letter is resolved (`resolution = 'auto_retried'`); should the
//! event die again, `queue::DEAD_LETTER` files a new letter that inherits the count from
//! the letter whose retry created its queue row, so the bound holds across letters.

use crate::Statement;

/// Up to `$3` (int4) unresolved transient dead letters older than `$1` seconds (int4)
/// retried fewer than `$2` (int4) times whose inbox event still exists, oldest first.
/// Returns `id`.
pub const LIST_CANDIDATES: Statement = Statement::new(
    "auto_retry::list_candidates",
    "\
SELECT d.id FROM tds_dead_letters d
WHERE d.resolved_at IS NULL AND d.error_class = 'transient' AND d.auto_retry_count < $2::int4
    AND d.created_at < now() - make_interval(secs => $1::int4)
    AND EXISTS (SELECT 1 FROM tds_inbox_events e WHERE e.id = d.inbox_event_id)
ORDER BY d.created_at, d.id
LIMIT $3::int4",
);

/// Locks candidate `$1` inside the retry's transaction, skipping it while someone else
/// (another heal run, an operator's replay) holds it, and only while it still qualifies
/// (`$2` cool-down seconds, `$3` retry bound, both int4). Returns `module`, `entity_id`,
/// `lane`, `operation`, `inbox_event_id`, `source_modified_at` (text), `correlation_id`,
/// `max_attempts` (int4, of the dead queue row; NULL when it is gone),
/// `auto_retry_count` (int4).
pub const LOCK_CANDIDATE: Statement = Statement::new(
    "auto_retry::lock_candidate",
    "\
SELECT e.module, e.entity_id, d.lane, e.operation, e.id, e.source_modified_at::text,
    coalesce(e.correlation_id, d.correlation_id),
    (SELECT q.max_attempts FROM tds_sync_queue q WHERE q.id = d.queue_id), d.auto_retry_count
FROM tds_dead_letters d JOIN tds_inbox_events e ON e.id = d.inbox_event_id
WHERE d.id = $1::bigint AND d.resolved_at IS NULL AND d.error_class = 'transient' AND d.auto_retry_count < $3::int4
    AND d.created_at < now() - make_interval(secs => $2::int4) AND e.entity_id IS NOT NULL
FOR UPDATE OF d SKIP LOCKED",
);

/// Resolves dead letter `$1` as retried automatically: counts the retry, `$2` the queue
/// row the event went back to (int8, NULL when a newer queued version superseded it),
/// `$3` the resolution (`auto_retried` or `superseded`).
pub const MARK_AUTO_RETRIED: Statement = Statement::new(
    "auto_retry::mark_auto_retried",
    "\
UPDATE tds_dead_letters
SET auto_retry_count = auto_retry_count + 1, replay_queue_id = $2::bigint, last_replayed_at = now(),
    resolved_at = now(), resolved_by = 'heal', resolution = $3::text
WHERE id = $1::bigint",
);

/// Every named statement of this module.
pub const ALL: [Statement; 3] = [LIST_CANDIDATES, LOCK_CANDIDATE, MARK_AUTO_RETRIED];
