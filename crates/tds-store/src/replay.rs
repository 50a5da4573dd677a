//! Replay of inbox events by time range: the newest stored version of each entity received
//! in the range goes back on the queue through `queue::ENQUEUE_OR_REPOINT` (a new pending
//! row, or the entity's unclaimed row re-pointed at it; a newer queued version wins).
//! Invalid events (no usable id) are never replayed.

use crate::{statement, Statement};

/// The newest event per entity received in `[$from, $to)` (text timestamps), of `$module`
/// (NULL: every module), not invalid; at most `$limit` entities, by event id. Returns
/// `id`, `module`, `entity_id`, `operation`, `source_modified_at` (text),
/// `correlation_id`.
pub const LATEST_PER_ENTITY: Statement = statement!(
    "replay::latest_per_entity",
    "\
SELECT id, module, entity_id, operation, source_modified_at::text, correlation_id FROM (
    SELECT DISTINCT ON (module, entity_id) id, module, entity_id, operation, source_modified_at, correlation_id
    FROM tds_inbox_events
    WHERE received_at >= $from::text::timestamptz AND received_at < $to::text::timestamptz
        AND ($module::text IS NULL OR module = $module::text) AND status <> 'invalid' AND entity_id IS NOT NULL
    ORDER BY module, entity_id, source_modified_at DESC, id DESC
) latest
ORDER BY id
LIMIT $limit::int4",
);

/// What the range holds: `events` (every stored event, invalid included) and
/// `entities` (distinct replayable entities), both int8. Parameters as
/// [`LATEST_PER_ENTITY`] without the limit.
pub const COUNT_IN_RANGE: Statement = statement!(
    "replay::count_in_range",
    "\
SELECT count(*)::int8 AS events,
    count(DISTINCT (module, entity_id)) FILTER (WHERE status <> 'invalid' AND entity_id IS NOT NULL)::int8 AS entities
FROM tds_inbox_events
WHERE received_at >= $from::text::timestamptz AND received_at < $to::text::timestamptz
    AND ($module::text IS NULL OR module = $module::text)",
);

/// Every named statement of this module.
pub const ALL: [Statement; 2] = [LATEST_PER_ENTITY, COUNT_IN_RANGE];
