//! Heal's automatic retry of dead letters with a transient cause, after a cool-down and a
//! bounded number of times. The event goes back on the queue only through
//! `queue::ENQUEUE_OR_REPOINT` (a new pending row, or the entity's unclaimed row
//! re-pointed at it), between [`LOCK_CANDIDATE`] and [`MARK_AUTO_RETRIED`] in one short
//! transaction. The retried letter is resolved (`resolution = 'auto_retried'`); should the
//! event die again, `queue::DEAD_LETTER` files a new letter that inherits the count from
//! the letter whose retry created its queue row, so the bound holds across letters.

use crate::{statement, Statement};

/// Up to `$limit` unresolved transient dead letters older than `$cool_down_seconds`
/// retried fewer than `$max_retries` times whose inbox event still exists, oldest first.
/// Returns `id`.
pub const LIST_CANDIDATES: Statement = statement!(
    "auto_retry::list_candidates",
    "\
SELECT d.id FROM tds_dead_letters d
WHERE d.resolved_at IS NULL AND d.error_class = 'transient' AND d.auto_retry_count < $max_retries::int4
    AND d.created_at < now() - make_interval(secs => $cool_down_seconds::int4)
    AND EXISTS (SELECT 1 FROM tds_inbox_events e WHERE e.id = d.inbox_event_id)
ORDER BY d.created_at, d.id
LIMIT $limit::int4",
);

/// Locks candidate `$dead_letter_id` inside the retry's transaction, skipping it while
/// someone else (another heal run, an operator's replay) holds it, and only while it still
/// qualifies (`$cool_down_seconds`, `$max_retries`). Returns `module`, `entity_id`,
/// `lane`, `operation`, `inbox_event_id`, `source_modified_at` (text), `correlation_id`,
/// `max_attempts` (int4, of the dead queue row; NULL when it is gone),
/// `auto_retry_count` (int4).
pub const LOCK_CANDIDATE: Statement = statement!(
    "auto_retry::lock_candidate",
    "\
SELECT e.module, e.entity_id, d.lane, e.operation, e.id AS inbox_event_id, e.source_modified_at::text,
    coalesce(e.correlation_id, d.correlation_id) AS correlation_id,
    (SELECT q.max_attempts FROM tds_sync_queue q WHERE q.id = d.queue_id) AS max_attempts, d.auto_retry_count
FROM tds_dead_letters d JOIN tds_inbox_events e ON e.id = d.inbox_event_id
WHERE d.id = $dead_letter_id::bigint AND d.resolved_at IS NULL AND d.error_class = 'transient' AND d.auto_retry_count < $max_retries::int4
    AND d.created_at < now() - make_interval(secs => $cool_down_seconds::int4) AND e.entity_id IS NOT NULL
FOR UPDATE OF d SKIP LOCKED",
);

/// Resolves dead letter `$dead_letter_id` as retried automatically: counts the retry,
/// `$replay_queue_id` the queue row the event went back to (NULL when a newer queued
/// version superseded it), `$resolution` `auto_retried` or `superseded`.
pub const MARK_AUTO_RETRIED: Statement = statement!(
    "auto_retry::mark_auto_retried",
    "\
UPDATE tds_dead_letters
SET auto_retry_count = auto_retry_count + 1, replay_queue_id = $replay_queue_id::bigint, last_replayed_at = now(),
    resolved_at = now(), resolved_by = 'heal', resolution = $resolution::text
WHERE id = $dead_letter_id::bigint",
);

/// Every named statement of this module.
pub const ALL: [Statement; 3] = [LIST_CANDIDATES, LOCK_CANDIDATE, MARK_AUTO_RETRIED];
