//! Heal's alert bookkeeping (`tds_alerts`): measuring the conditions, opening an alert
//! once per dedup key (the partial unique index `tds_alerts_open_dedup`) and touching it
//! while the condition holds, resolving it when the condition clears, and delivering each
//! opening and resolution to the outbound webhooks, recorded per destination in
//! `deliveries` (`"opened:webhook"` → when) so a destination that failed is retried on a
//! later run without repeating the others. `notified_at` / `resolution_notified_at` are
//! set once every configured destination has the event.

use crate::Statement;

/// The figures alerts are evaluated on. `$1` failure-rate window in seconds (int4),
/// `$2` dead-letter age threshold in seconds (float8). Returns `queue_depth` (int8),
/// `oldest_pending_seconds` (float8), `recent_attempts` (int8), `recent_failures`
/// (int8), `aged_dead_letters` (int8).
pub const MEASURE: Statement = Statement::new(
    "alerts::measure",
    "\
SELECT
    (SELECT count(*) FROM tds_sync_queue WHERE status IN ('pending', 'retry'))::int8,
    (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM tds_sync_queue
        WHERE status IN ('pending', 'retry'))::float8,
    (SELECT count(*) FROM tds_sync_log WHERE created_at >= now() - make_interval(secs => $1::int4))::int8,
    (SELECT count(*) FROM tds_sync_log WHERE created_at >= now() - make_interval(secs => $1::int4)
        AND outcome IN ('retry', 'dead'))::int8,
    (SELECT count(*) FROM tds_dead_letters WHERE resolved_at IS NULL
        AND created_at < now() - make_interval(secs => $2::float8))::int8",
);

/// Opens an alert for dedup key `$1` or, when one is open or acknowledged, counts another
/// occurrence and refreshes it. `$2` kind, `$3` severity, `$4` message, `$5` details
/// (JSON text). Returns `id`, `opened` (bool: a new alert).
pub const OPEN_OR_TOUCH: Statement = Statement::new(
    "alerts::open_or_touch",
    "\
INSERT INTO tds_alerts (dedup_key, kind, severity, message, details)
VALUES ($1::text, $2::text, $3::text, $4::text, $5::text::jsonb)
ON CONFLICT (dedup_key) WHERE status <> 'resolved'
DO UPDATE SET last_seen_at = now(), occurrences = tds_alerts.occurrences + 1, severity = EXCLUDED.severity,
    message = EXCLUDED.message, details = EXCLUDED.details
RETURNING id, (xmax = 0) AS opened",
);

/// Resolves the open or acknowledged alerts of kinds `$1` (text[]) whose dedup key is not
/// in `$2` (text[], the conditions that still hold). Returns `id`, `dedup_key`.
pub const RESOLVE_CLEARED: Statement = Statement::new(
    "alerts::resolve_cleared",
    "\
UPDATE tds_alerts SET status = 'resolved', resolved_at = now()
WHERE status <> 'resolved' AND kind = ANY($1::text[]) AND NOT (dedup_key = ANY($2::text[]))
RETURNING id, dedup_key",
);

/// Up to `$1` (int4) alert events not yet delivered everywhere, oldest alert first: the
/// opening of an alert still open (or acknowledged), and the resolution of an alert whose
/// opening was delivered. Returns `id`, `event` (`opened` or `resolved`), `dedup_key`,
/// `kind`, `severity`, `status`, `message`, `details` (JSON text), `occurrences` (int4),
/// `opened_at` (text), `resolved_at` (text, NULL while open), `deliveries` (JSON text).
pub const LIST_UNDELIVERED: Statement = Statement::new(
    "alerts::list_undelivered",
    "\
SELECT id, event, dedup_key, kind, severity, status, message, details::text, occurrences, opened_at::text,
    resolved_at::text, deliveries::text
FROM (
    SELECT *, 'opened' AS event FROM tds_alerts WHERE notified_at IS NULL AND status <> 'resolved'
    UNION ALL
    SELECT *, 'resolved' AS event FROM tds_alerts
    WHERE status = 'resolved' AND notified_at IS NOT NULL AND resolution_notified_at IS NULL
) pending
ORDER BY id, event DESC
LIMIT $1::int4",
);

/// Locks alert `$1` for delivering event `$2` (`opened` or `resolved`) inside a short
/// transaction, skipping it while another run delivers it, and only while the event is
/// still undelivered. Returns `deliveries` (JSON text); no row otherwise.
pub const LOCK_FOR_DELIVERY: Statement = Statement::new(
    "alerts::lock_for_delivery",
    "\
SELECT deliveries::text FROM tds_alerts
WHERE id = $1::bigint AND CASE $2::text
    WHEN 'opened' THEN notified_at IS NULL AND status <> 'resolved'
    ELSE status = 'resolved' AND resolution_notified_at IS NULL END
FOR UPDATE SKIP LOCKED",
);

/// Records that alert `$1`'s event was delivered to a destination: `$2` the delivery key
/// (`<event>:<destination>`); `$3` the event (`opened` or `resolved`) when every
/// configured destination now has it (sets `notified_at` or `resolution_notified_at`),
/// NULL otherwise.
pub const MARK_DELIVERED: Statement = Statement::new(
    "alerts::mark_delivered",
    "\
UPDATE tds_alerts
SET deliveries = deliveries || jsonb_build_object($2::text, clock_timestamp()::text),
    notified_at = CASE WHEN $3::text = 'opened' THEN coalesce(notified_at, clock_timestamp()) ELSE notified_at END,
    resolution_notified_at = CASE WHEN $3::text = 'resolved' THEN clock_timestamp() ELSE resolution_notified_at END
WHERE id = $1::bigint",
);

/// Records that every configured destination has alert `$1`'s event `$2` (`opened` or
/// `resolved`) without a new delivery: the destinations that lacked it are no longer
/// configured.
pub const MARK_NOTIFIED: Statement = Statement::new(
    "alerts::mark_notified",
    "\
UPDATE tds_alerts
SET notified_at = CASE WHEN $2::text = 'opened' THEN coalesce(notified_at, clock_timestamp()) ELSE notified_at END,
    resolution_notified_at = CASE WHEN $2::text = 'resolved' THEN clock_timestamp() ELSE resolution_notified_at END
WHERE id = $1::bigint",
);

/// Every named statement of this module.
pub const ALL: [Statement; 7] = [
    MEASURE,
    OPEN_OR_TOUCH,
    RESOLVE_CLEARED,
    LIST_UNDELIVERED,
    LOCK_FOR_DELIVERY,
    MARK_DELIVERED,
    MARK_NOTIFIED,
];
