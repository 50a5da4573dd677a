//! Following deliveries: the trace of inbox events (inbox → queue → sync log → audit, plus
//! dead letters) and an entity's change history (its audit trail). Every statement of the
//! trace takes `$inbox_event_ids` and `$correlation_id` (NULL for none) and matches rows
//! of either; each returns `section`, one JSON array (text), oldest first, of at most 500
//! objects. Times inside are JSON strings.

use crate::{statement, Statement};

/// Inbox events. Objects: `id`, `correlation_id`, `module`, `entity_id`, `operation`,
/// `http_method`, `content_type`, `payload_shape`, `status`, `invalid_reasons`,
/// `source_modified_at`, `version_source`, `content_hash`, `idempotency_key`,
/// `received_at`, `headers`, `document`.
pub const INBOX: Statement = statement!(
    "trace::inbox",
    "\
SELECT coalesce(jsonb_agg(jsonb_build_object('id', e.id, 'correlation_id', e.correlation_id, 'module', e.module,
    'entity_id', e.entity_id, 'operation', e.operation, 'http_method', e.http_method, 'content_type', e.content_type,
    'payload_shape', e.payload_shape, 'status', e.status, 'invalid_reasons', to_jsonb(e.invalid_reasons),
    'source_modified_at', e.source_modified_at, 'version_source', e.version_source, 'content_hash', e.content_hash,
    'idempotency_key', e.idempotency_key, 'received_at', e.received_at, 'headers', e.headers, 'document', e.document)
    ORDER BY e.id), '[]'::jsonb)::text AS section
FROM (SELECT * FROM tds_inbox_events WHERE id = ANY($inbox_event_ids::bigint[]) OR correlation_id = $correlation_id::text
      ORDER BY id LIMIT 500) e",
);

/// Queue rows that carry one of the events now, carried it at an attempt, or share the
/// correlation id. Objects: `id`, `module`, `entity_id`, `lane`, `priority`, `operation`,
/// `inbox_event_id`, `status`, `attempt_count`, `max_attempts`, `last_error`,
/// `last_error_code`, `correlation_id`, `created_at`, `updated_at`, `completed_at`.
pub const QUEUE: Statement = statement!(
    "trace::queue",
    "\
SELECT coalesce(jsonb_agg(jsonb_build_object('id', q.id, 'module', q.module, 'entity_id', q.entity_id, 'lane', q.lane,
    'priority', q.priority, 'operation', q.operation, 'inbox_event_id', q.inbox_event_id, 'status', q.status,
    'attempt_count', q.attempt_count, 'max_attempts', q.max_attempts, 'last_error', q.last_error,
    'last_error_code', q.last_error_code, 'correlation_id', q.correlation_id, 'created_at', q.created_at,
    'updated_at', q.updated_at, 'completed_at', q.completed_at) ORDER BY q.id), '[]'::jsonb)::text AS section
FROM (SELECT * FROM tds_sync_queue
      WHERE inbox_event_id = ANY($inbox_event_ids::bigint[]) OR correlation_id = $correlation_id::text
         OR id IN (SELECT l.queue_id FROM tds_sync_log l WHERE l.inbox_event_id = ANY($inbox_event_ids::bigint[]))
      ORDER BY id LIMIT 500) q",
);

/// Processing attempts. Objects: `id`, `run_id`, `queue_id`, `inbox_event_id`, `module`,
/// `entity_id`, `lane`, `operation`, `attempt`, `outcome`, `message`, `error_code`,
/// `duration_ms`, `correlation_id`, `created_at`.
pub const SYNC_LOG: Statement = statement!(
    "trace::sync_log",
    "\
SELECT coalesce(jsonb_agg(jsonb_build_object('id', l.id, 'run_id', l.run_id, 'queue_id', l.queue_id,
    'inbox_event_id', l.inbox_event_id, 'module', l.module, 'entity_id', l.entity_id, 'lane', l.lane,
    'operation', l.operation, 'attempt', l.attempt, 'outcome', l.outcome, 'message', l.message,
    'error_code', l.error_code, 'duration_ms', l.duration_ms, 'correlation_id', l.correlation_id,
    'created_at', l.created_at) ORDER BY l.id), '[]'::jsonb)::text AS section
FROM (SELECT * FROM tds_sync_log WHERE inbox_event_id = ANY($inbox_event_ids::bigint[]) OR correlation_id = $correlation_id::text
      ORDER BY id LIMIT 500) l",
);

// One audit row as JSON, for the trace and the history.
macro_rules! audit_json {
    () => {
        "jsonb_build_object('id', a.id, 'erp_table', a.erp_table, 'entity_id', a.entity_id, 'module', a.module,
    'action', a.action, 'before', a.before, 'after', a.after, 'changed_fields', to_jsonb(a.changed_fields),
    'source_modified_at', a.source_modified_at, 'inbox_event_id', a.inbox_event_id, 'queue_id', a.queue_id,
    'run_id', a.run_id, 'correlation_id', a.correlation_id, 'created_at', a.created_at)"
    };
}

/// Audit rows. Objects: `id`, `erp_table`, `entity_id`, `module`, `action`, `before`,
/// `after`, `changed_fields`, `source_modified_at`, `inbox_event_id`, `queue_id`,
/// `run_id`, `correlation_id`, `created_at`.
pub const AUDIT: Statement = statement!(
    "trace::audit",
    concat!(
        "SELECT coalesce(jsonb_agg(",
        audit_json!(),
        " ORDER BY a.id), '[]'::jsonb)::text AS section
FROM (SELECT * FROM tds_audit_trail WHERE inbox_event_id = ANY($inbox_event_ids::bigint[]) OR correlation_id = $correlation_id::text
      ORDER BY id LIMIT 500) a"
    ),
);

/// Dead letters, as objects shaped like `dead_letters::LIST`'s.
pub const DEAD_LETTERS: Statement = statement!(
    "trace::dead_letters",
    "\
SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'status', CASE WHEN d.resolved_at IS NULL THEN 'open' ELSE 'resolved' END,
    'queue_id', d.queue_id, 'inbox_event_id', d.inbox_event_id, 'module', d.module, 'entity_id', d.entity_id,
    'lane', d.lane, 'operation', d.operation, 'reason', d.reason, 'error_code', d.error_code, 'error_class', d.error_class,
    'attempt_count', d.attempt_count, 'correlation_id', d.correlation_id, 'created_at', d.created_at,
    'resolved_at', d.resolved_at, 'resolved_by', d.resolved_by, 'resolution', d.resolution, 'replay_count', d.replay_count,
    'last_replayed_at', d.last_replayed_at, 'replay_queue_id', d.replay_queue_id, 'auto_retry_count', d.auto_retry_count)
    ORDER BY d.id), '[]'::jsonb)::text AS section
FROM (SELECT * FROM tds_dead_letters WHERE inbox_event_id = ANY($inbox_event_ids::bigint[]) OR correlation_id = $correlation_id::text
      ORDER BY id LIMIT 500) d",
);

/// The audit trail of `$entity_id` of `$erp_table`, newest first: changes below id
/// `$before` (NULL from the top), at most `$limit`. Returns `id`, `change` (JSON text, as
/// in [`AUDIT`]).
pub const HISTORY: Statement = statement!(
    "trace::history",
    concat!(
        "SELECT a.id, (",
        audit_json!(),
        ")::text AS change
FROM tds_audit_trail a
WHERE a.erp_table = $erp_table::text AND a.entity_id = $entity_id::text AND ($before::bigint IS NULL OR a.id < $before::bigint)
ORDER BY a.id DESC
LIMIT $limit::int4"
    ),
);

/// Every named statement of this module.
pub const ALL: [Statement; 6] = [INBOX, QUEUE, SYNC_LOG, AUDIT, DEAD_LETTERS, HISTORY];
