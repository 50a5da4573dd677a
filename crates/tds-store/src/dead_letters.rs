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

use crate::Statement;

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

/// Dead letters matching the filters, newest first. `$1` state (`open`, `resolved` or
/// `all`), `$2` module, `$3` lane, `$4` error class, `$5` error code, `$6` entity id,
/// `$7` created at or after (text timestamp), `$8` created before (text timestamp) — each
/// filter NULL when not wanted — `$9` ids below (int8, NULL from the top), `$10` limit
/// (int4). Returns `id`, `dead_letter` (JSON text).
pub const LIST: Statement = Statement::new(
    "dead_letters::list",
    concat!(
        "SELECT d.id, (",
        dead_letter_json!(),
        ")::text
FROM tds_dead_letters d
WHERE ($1::text = 'all' OR ($1::text = 'open') = (d.resolved_at IS NULL))
    AND ($2::text IS NULL OR d.module = $2::text) AND ($3::text IS NULL OR d.lane = $3::text)
    AND ($4::text IS NULL OR d.error_class = $4::text) AND ($5::text IS NULL OR d.error_code = $5::text)
    AND ($6::text IS NULL OR d.entity_id = $6::text)
    AND ($7::text IS NULL OR d.created_at >= $7::text::timestamptz)
    AND ($8::text IS NULL OR d.created_at < $8::text::timestamptz)
    AND ($9::bigint IS NULL OR d.id < $9::bigint)
ORDER BY d.id DESC
LIMIT $10::int4"
    ),
);

/// Dead letter `$1` with its attempt history (`attempts`), its inbox event
/// (`inbox_event`: `id`, `status`, `received_at`, `source_modified_at`,
/// `invalid_reasons`, `document`; NULL when retention removed it) and the queue row its
/// last replay created (`replay_queue`: `id`, `status`, `attempt_count`, `completed_at`,
/// `last_error`; NULL before any replay). Returns `dead_letter` (JSON text); no row when
/// unknown.
pub const SHOW: Statement = Statement::new(
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
        FROM tds_sync_queue q WHERE q.id = d.replay_queue_id)))::text
FROM tds_dead_letters d WHERE d.id = $1::bigint"
    ),
);

/// Resolves open dead letter `$1` without replaying it: `$2` who, `$3` the note. Returns
/// `dead_letter` (JSON text); no row when unknown or already resolved.
pub const RESOLVE: Statement = Statement::new(
    "dead_letters::resolve",
    concat!(
        "UPDATE tds_dead_letters d SET resolved_at = now(), resolved_by = $2::text, resolution = $3::text
WHERE d.id = $1::bigint AND d.resolved_at IS NULL
RETURNING (",
        dead_letter_json!(),
        ")::text"
    ),
);

/// Locks dead letter `$1` for a replay (inside the replay's transaction) and reads what
/// re-queueing needs from its inbox event. Returns `inbox_event_id`, `resolved` (bool), `event_found`
/// (bool), `module`, `entity_id`, `operation`, `source_modified_at` (text),
/// `correlation_id`, `event_status`, `max_attempts` (int4, of the dead queue row; NULL
/// when there was none). No row when unknown.
pub const LOCK_FOR_REPLAY: Statement = Statement::new(
    "dead_letters::lock_for_replay",
    "\
SELECT d.inbox_event_id, d.resolved_at IS NOT NULL, e.id IS NOT NULL, e.module, e.entity_id, e.operation, e.source_modified_at::text,
    coalesce(e.correlation_id, d.correlation_id), e.status,
    (SELECT q.max_attempts FROM tds_sync_queue q WHERE q.id = d.queue_id)
FROM tds_dead_letters d LEFT JOIN tds_inbox_events e ON e.id = d.inbox_event_id
WHERE d.id = $1::bigint
FOR UPDATE OF d",
);

/// Marks dead letter `$1` replayed (and so resolved): `$2` who, `$3` the resolution,
/// `$4` the queue row the event went back to (int8, NULL when a newer queued version
/// superseded it). Counts the replay. Returns `dead_letter` (JSON text).
pub const MARK_REPLAYED: Statement = Statement::new(
    "dead_letters::mark_replayed",
    concat!(
        "UPDATE tds_dead_letters d
SET resolved_at = now(), resolved_by = $2::text, resolution = $3::text, replay_count = d.replay_count + 1,
    last_replayed_at = now(), replay_queue_id = $4::bigint
WHERE d.id = $1::bigint
RETURNING (",
        dead_letter_json!(),
        ")::text"
    ),
);

/// Every named statement of this module.
pub const ALL: [Statement; 5] = [LIST, SHOW, RESOLVE, LOCK_FOR_REPLAY, MARK_REPLAYED];
