//! The stats API's dead-letter statements: list with filters (keyset pagination, newest
//! first), show, resolve with a note, and the two halves of a replay around
//! `queue::ENQUEUE_OR_REPOINT` (which alone puts the event back on the queue): lock the
//! dead letter with its inbox event, then mark it replayed.
//!
//! Rows leave as JSON text built by PostgreSQL (times inside are JSON strings, so no
//! `timestamptz` column reaches Spin). The dead-letter object's keys: `id`, `status`
//! (`open`/`resolved`), `queue_id`, `inbox_event_id`, `module`, `entity_id`, `lane`,
//! `operation`, `reason`, `error_code`, `error_class`, `attempt_count`, `correlation_id`,
//! `created_at`, `resolved_at`, `resolved_by`, `resolution`, `replay_count`,
//! `last_replayed_at`, `replay_queue_id`, `auto_retry_count`.

use crate::{statement, Statement};

macro_rules! dead_letter_json {
    () => {
        "jsonb_build_object('id', d.id, 'status', CASE WHEN d.resolved_at IS NULL THEN 'open' ELSE 'resolved' END,
    'queue_id', d.queue_id, 'inbox_event_id', d.inbox_event_id, 'module', d.module, 'entity_id', d.entity_id,
    'lane', d.lane, 'operation', d.operation, 'reason', d.reason, 'error_code', d.error_code, 'error_class', d.error_class,
    'attempt_count', d.attempt_count, 'correlation_id', d.correlation_id, 'created_at', d.created_at,
    'resolved_at', d.resolved_at, 'resolved_by', d.resolved_by, 'resolution', d.resolution, 'replay_count', d.replay_count,
    'last_replayed_at', d.last_replayed_at, 'replay_queue_id', d.replay_queue_id, 'auto_retry_count', d.auto_retry_count)"
    };
}

/// Dead letters matching the filters, newest first: those in `$state` (`open`, `resolved`
/// or `all`) of `$module`, `$lane`, `$error_class`, `$error_code` and `$entity_id`,
/// created at or after `$since` and before `$until` (text timestamps) — each filter NULL
/// when not wanted — below id `$before` (NULL from the top), at most `$limit`. Returns
/// `id`, `dead_letter` (JSON text).
pub const LIST: Statement = statement!(
    "dead_letters::list",
    concat!(
        "SELECT d.id, (",
        dead_letter_json!(),
        ")::text AS dead_letter
FROM tds_dead_letters d
WHERE ($state::text = 'all' OR ($state::text = 'open') = (d.resolved_at IS NULL))
    AND ($module::text IS NULL OR d.module = $module::text) AND ($lane::text IS NULL OR d.lane = $lane::text)
    AND ($error_class::text IS NULL OR d.error_class = $error_class::text)
    AND ($error_code::text IS NULL OR d.error_code = $error_code::text)
    AND ($entity_id::text IS NULL OR d.entity_id = $entity_id::text)
    AND ($since::text IS NULL OR d.created_at >= $since::text::timestamptz)
    AND ($until::text IS NULL OR d.created_at < $until::text::timestamptz)
    AND ($before::bigint IS NULL OR d.id < $before::bigint)
ORDER BY d.id DESC
LIMIT $limit::int4"
    ),
);

/// Dead letter `$id` with its attempt history (`attempts`), its inbox event
/// (`inbox_event`: `id`, `status`, `received_at`, `source_modified_at`,
/// `invalid_reasons`, `document`; NULL when retention removed it) and the queue row its
/// last replay created (`replay_queue`: `id`, `status`, `attempt_count`, `completed_at`,
/// `last_error`; NULL before any replay). Returns `dead_letter` (JSON text); no row when
/// unknown.
pub const SHOW: Statement = statement!(
    "dead_letters::show",
    concat!(
        "SELECT (",
        dead_letter_json!(),
        " || jsonb_build_object('attempts', d.attempts,
    'inbox_event', (SELECT jsonb_build_object('id', e.id, 'status', e.status, 'received_at', e.received_at,
        'source_modified_at', e.source_modified_at, 'invalid_reasons', to_jsonb(e.invalid_reasons), 'document', e.document)
        FROM tds_inbox_events e WHERE e.id = d.inbox_event_id),
    'replay_queue', (SELECT jsonb_build_object('id', q.id, 'status', q.status, 'attempt_count', q.attempt_count,
        'completed_at', q.completed_at, 'last_error', q.last_error)
        FROM tds_sync_queue q WHERE q.id = d.replay_queue_id)))::text AS dead_letter
FROM tds_dead_letters d WHERE d.id = $id::bigint"
    ),
);

/// Resolves open dead letter `$id` without replaying it, on behalf of `$resolved_by`,
/// with the note `$resolution`. Returns `dead_letter` (JSON text); no row when unknown or
/// already resolved.
pub const RESOLVE: Statement = statement!(
    "dead_letters::resolve",
    concat!(
        "UPDATE tds_dead_letters d SET resolved_at = now(), resolved_by = $resolved_by::text, resolution = $resolution::text
WHERE d.id = $id::bigint AND d.resolved_at IS NULL
RETURNING (",
        dead_letter_json!(),
        ")::text AS dead_letter"
    ),
);

/// Locks dead letter `$id` for a replay (inside the replay's transaction) and reads what
/// re-queueing needs from its inbox event. Returns `inbox_event_id`, `resolved` (bool), `event_found`
/// (bool), `module`, `entity_id`, `operation`, `source_modified_at` (text),
/// `correlation_id`, `event_status`, `max_attempts` (int4, of the dead queue row; NULL
/// when there was none). No row when unknown.
pub const LOCK_FOR_REPLAY: Statement = statement!(
    "dead_letters::lock_for_replay",
    "\
SELECT d.inbox_event_id, d.resolved_at IS NOT NULL AS resolved, e.id IS NOT NULL AS event_found, e.module, e.entity_id, e.operation,
    e.source_modified_at::text, coalesce(e.correlation_id, d.correlation_id) AS correlation_id, e.status AS event_status,
    (SELECT q.max_attempts FROM tds_sync_queue q WHERE q.id = d.queue_id) AS max_attempts
FROM tds_dead_letters d LEFT JOIN tds_inbox_events e ON e.id = d.inbox_event_id
WHERE d.id = $id::bigint
FOR UPDATE OF d",
);

/// Marks dead letter `$id` replayed (and so resolved) on behalf of `$resolved_by`, with
/// `$resolution`; `$replay_queue_id` is the queue row the event went back to (NULL when a
/// newer queued version superseded it). Counts the replay. Returns `dead_letter` (JSON
/// text).
pub const MARK_REPLAYED: Statement = statement!(
    "dead_letters::mark_replayed",
    concat!(
        "UPDATE tds_dead_letters d
SET resolved_at = now(), resolved_by = $resolved_by::text, resolution = $resolution::text, replay_count = d.replay_count + 1,
    last_replayed_at = now(), replay_queue_id = $replay_queue_id::bigint
WHERE d.id = $id::bigint
RETURNING (",
        dead_letter_json!(),
        ")::text AS dead_letter"
    ),
);

/// Every named statement of this module.
pub const ALL: [Statement; 5] = [LIST, SHOW, RESOLVE, LOCK_FOR_REPLAY, MARK_REPLAYED];
