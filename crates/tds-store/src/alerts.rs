//! Heal's alert bookkeeping (`tds_alerts`): measuring the conditions, opening an alert
//! once per dedup key (the partial unique index `tds_alerts_open_dedup`) and touching it
//! while the condition holds, resolving it when the condition clears, and delivering each
//! opening and resolution to the outbound webhooks, recorded per destination in
//! `deliveries` (`"opened:webhook"` → when) so a destination that failed is retried on a
//! later run without repeating the others. `notified_at` / `resolution_notified_at` are
//! set once every configured destination has the event.

use crate::{statement, Statement};

/// The figures alerts are evaluated on, one column per figure `tds_core::alerts::FIGURES`
/// declares (`int8` counts, `float8` seconds), read by name. Its parameters are named after
/// what the guest binds them from (`tds_core::alerts::measure_parameter`): the failure-rate
/// window, `$failure_rate_window_seconds`, and thresholds in force by their keys, here
/// `$alert_dead_letter_age_hours`.
pub const MEASURE: Statement = statement!(
    "alerts::measure",
    "\
SELECT
    (SELECT count(*) FROM tds_sync_queue WHERE status IN ('pending', 'retry'))::int8 AS queue_depth,
    (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM tds_sync_queue
        WHERE status IN ('pending', 'retry'))::float8 AS oldest_pending_seconds,
    (SELECT count(*) FROM tds_sync_log
        WHERE created_at >= now() - make_interval(secs => $failure_rate_window_seconds::int4))::int8 AS recent_attempts,
    (SELECT count(*) FROM tds_sync_log
        WHERE created_at >= now() - make_interval(secs => $failure_rate_window_seconds::int4)
        AND outcome IN ('retry', 'dead'))::int8 AS recent_failures,
    (SELECT count(*) FROM tds_dead_letters WHERE resolved_at IS NULL
        AND created_at < now() - make_interval(secs => $alert_dead_letter_age_hours::float8 * 3600))::int8 AS aged_dead_letters",
);

/// Opens an alert for `$dedup_key` or, when one is open or acknowledged, counts another
/// occurrence and refreshes it; `$details` is JSON text. Returns `id`, `opened` (bool: a
/// new alert).
pub const OPEN_OR_TOUCH: Statement = statement!(
    "alerts::open_or_touch",
    "\
INSERT INTO tds_alerts (dedup_key, kind, severity, message, details)
VALUES ($dedup_key::text, $kind::text, $severity::text, $message::text, $details::text::jsonb)
ON CONFLICT (dedup_key) WHERE status <> 'resolved'
DO UPDATE SET last_seen_at = now(), occurrences = tds_alerts.occurrences + 1, severity = EXCLUDED.severity,
    message = EXCLUDED.message, details = EXCLUDED.details
RETURNING id, (xmax = 0) AS opened",
);

/// Resolves the open or acknowledged alerts of `$kinds` whose dedup key is not in
/// `$holding` (the conditions that still hold). Returns `id`, `dedup_key`.
pub const RESOLVE_CLEARED: Statement = statement!(
    "alerts::resolve_cleared",
    "\
UPDATE tds_alerts SET status = 'resolved', resolved_at = now()
WHERE status <> 'resolved' AND kind = ANY($kinds::text[]) AND NOT (dedup_key = ANY($holding::text[]))
RETURNING id, dedup_key",
);

/// Up to `$limit` alert events not yet delivered everywhere, oldest alert first: the
/// opening of an alert still open (or acknowledged), and the resolution of an alert whose
/// opening was delivered. Returns `id`, `event` (`opened` or `resolved`), `dedup_key`,
/// `kind`, `severity`, `status`, `message`, `details` (JSON text), `occurrences` (int4),
/// `opened_at` (text), `resolved_at` (text, NULL while open), `deliveries` (JSON text).
pub const LIST_UNDELIVERED: Statement = statement!(
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
LIMIT $limit::int4",
);

/// Locks alert `$id` for delivering `$event` (`opened` or `resolved`) inside a short
/// transaction, skipping it while another run delivers it, and only while the event is
/// still undelivered. Returns `deliveries` (JSON text); no row otherwise.
pub const LOCK_FOR_DELIVERY: Statement = statement!(
    "alerts::lock_for_delivery",
    "\
SELECT deliveries::text FROM tds_alerts
WHERE id = $id::bigint AND CASE $event::text
    WHEN 'opened' THEN notified_at IS NULL AND status <> 'resolved'
    ELSE status = 'resolved' AND resolution_notified_at IS NULL END
FOR UPDATE SKIP LOCKED",
);

/// Records that alert `$id`'s event was delivered to a destination, under `$delivery_key`
/// (`<event>:<destination>`); `$completed` is the event (`opened` or `resolved`) when every
/// configured destination now has it (sets `notified_at` or `resolution_notified_at`),
/// NULL otherwise.
pub const MARK_DELIVERED: Statement = statement!(
    "alerts::mark_delivered",
    "\
UPDATE tds_alerts
SET deliveries = deliveries || jsonb_build_object($delivery_key::text, clock_timestamp()::text),
    notified_at = CASE WHEN $completed::text = 'opened' THEN coalesce(notified_at, clock_timestamp()) ELSE notified_at END,
    resolution_notified_at = CASE WHEN $completed::text = 'resolved' THEN clock_timestamp() ELSE resolution_notified_at END
WHERE id = $id::bigint",
);

/// Records that every configured destination has alert `$id`'s `$event` (`opened` or
/// `resolved`) without a new delivery: the destinations that lacked it are no longer
/// configured.
pub const MARK_NOTIFIED: Statement = statement!(
    "alerts::mark_notified",
    "\
UPDATE tds_alerts
SET notified_at = CASE WHEN $event::text = 'opened' THEN coalesce(notified_at, clock_timestamp()) ELSE notified_at END,
    resolution_notified_at = CASE WHEN $event::text = 'resolved' THEN clock_timestamp() ELSE resolution_notified_at END
WHERE id = $id::bigint",
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
