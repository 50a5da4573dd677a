//! The stats API's reading of the queue: counts by lane, entity, priority and status,
//! throughput, end-to-end latency (inbox `received_at` → queue `completed_at`), a
//! per-minute series for the dashboard, and the figures behind `/metrics`.
//!
//! A queue row closed as `coalesced` (merged into its entity's newer row) is not a
//! completion and is left out of throughput and latency. Latency needs the inbox event, so
//! it covers the inbox's retention window. Placeholders are cast explicitly and times leave
//! as numbers, as real Spin requires.

use crate::{statement, Statement};

/// Rows per lane, module, priority and status. Returns `lane`, `module`, `priority`
/// (int4), `status`, `count` (int8).
pub const QUEUE_COUNTS: Statement = statement!(
    "stats::queue_counts",
    "\
SELECT lane, module, priority, status, count(*)::int8
FROM tds_sync_queue GROUP BY lane, module, priority, status",
);

/// Completions per lane over the last minute, 5 minutes and hour. Returns `lane`,
/// `last_1m`, `last_5m`, `last_1h` (int8).
pub const THROUGHPUT: Statement = statement!(
    "stats::throughput",
    "\
SELECT lane,
    count(*) FILTER (WHERE completed_at > now() - interval '1 minute')::int8 AS last_1m,
    count(*) FILTER (WHERE completed_at > now() - interval '5 minutes')::int8 AS last_5m,
    count(*)::int8 AS last_1h
FROM tds_sync_queue
WHERE status = 'completed' AND completed_at > now() - interval '1 hour' AND last_error_code IS DISTINCT FROM 'coalesced'
GROUP BY lane",
);

/// End-to-end latency in seconds of rows completed in the last `$window_seconds`, per
/// lane and overall (`lane` NULL). Returns `lane`, `count` (int8), `p50`, `p95`, `p99`,
/// `max` (float8, NULL when nothing completed).
pub const LATENCY: Statement = statement!(
    "stats::latency",
    "\
WITH lat AS (
    SELECT q.lane, extract(epoch FROM q.completed_at - e.received_at)::float8 AS s
    FROM tds_sync_queue q JOIN tds_inbox_events e ON e.id = q.inbox_event_id
    WHERE q.status = 'completed' AND q.completed_at > now() - make_interval(secs => $window_seconds::int4)
        AND q.last_error_code IS DISTINCT FROM 'coalesced'
)
SELECT lane, count(*)::int8,
    (percentile_cont(0.5) WITHIN GROUP (ORDER BY s))::float8 AS p50,
    (percentile_cont(0.95) WITHIN GROUP (ORDER BY s))::float8 AS p95,
    (percentile_cont(0.99) WITHIN GROUP (ORDER BY s))::float8 AS p99,
    max(s)::float8 AS max
FROM lat GROUP BY ROLLUP (lane)",
);

/// Seconds the oldest unclaimed row of each lane has waited. Returns `lane`, `age`
/// (float8).
pub const OLDEST_WAITING_BY_LANE: Statement = statement!(
    "stats::oldest_waiting_by_lane",
    "\
SELECT lane, extract(epoch FROM now() - min(created_at))::float8 AS age
FROM tds_sync_queue WHERE status IN ('pending', 'retry') GROUP BY lane",
);

/// One row per minute of the last `$minutes` minutes, oldest first: `minute` (epoch
/// seconds, int8), `enqueued` (rows created), `completed`, `depth` (rows waiting or in
/// process at the minute's end; a dead row counts until it died), and the minute's
/// completions' latency `p50`, `p95`, `p99` (float8, NULL when none).
pub const QUEUE_SERIES: Statement = statement!(
    "stats::queue_series",
    "\
WITH bounds AS (
    SELECT m, m + interval '1 minute' AS e
    FROM generate_series(date_trunc('minute', now()) - make_interval(mins => $minutes::int4 - 1), date_trunc('minute', now()),
        interval '1 minute') AS m
), done AS (
    SELECT date_trunc('minute', q.completed_at) AS m, count(*) AS n,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM q.completed_at - e.received_at)::float8) AS p50,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM q.completed_at - e.received_at)::float8) AS p95,
        percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM q.completed_at - e.received_at)::float8) AS p99
    FROM tds_sync_queue q LEFT JOIN tds_inbox_events e ON e.id = q.inbox_event_id
    WHERE q.status = 'completed' AND q.completed_at >= (SELECT min(m) FROM bounds)
        AND q.last_error_code IS DISTINCT FROM 'coalesced'
    GROUP BY 1
), came AS (
    SELECT date_trunc('minute', created_at) AS m, count(*) AS n
    FROM tds_sync_queue WHERE created_at >= (SELECT min(m) FROM bounds) GROUP BY 1
)
SELECT extract(epoch FROM b.m)::int8 AS minute, coalesce(came.n, 0)::int8 AS enqueued, coalesce(done.n, 0)::int8 AS completed,
    (SELECT count(*) FROM tds_sync_queue q
     WHERE q.created_at < b.e
        AND (q.status IN ('pending', 'processing', 'retry') OR coalesce(q.completed_at, q.updated_at) >= b.e))::int8 AS depth,
    done.p50::float8 AS p50, done.p95::float8 AS p95, done.p99::float8 AS p99
FROM bounds b LEFT JOIN came ON came.m = b.m LEFT JOIN done ON done.m = b.m
ORDER BY b.m",
);

/// The running totals behind the counters and histograms (`tds_core::metrics`, "Running
/// totals"): one row per name, lane and module. Returns `name`, `lane`, `module`, `count`
/// (int8), `sum` (float8).
pub const METRIC_TOTALS: Statement = statement!(
    "stats::metric_totals",
    "\
SELECT name, lane, module, count, sum FROM tds_metric_totals ORDER BY name, lane, module",
);

/// Queue rows not completed, per status, lane and module: the backlog, read through the
/// status index (completed rows, the history, are not visited). Returns `status`, `lane`,
/// `module`, `count` (int8).
pub const METRIC_QUEUE_BACKLOG: Statement = statement!(
    "stats::metric_queue_backlog",
    "\
SELECT status, lane, module, count(*)::int8 FROM tds_sync_queue
WHERE status IN ('pending', 'processing', 'retry', 'dead')
GROUP BY status, lane, module ORDER BY status, lane, module",
);

/// Open dead letters per lane and module (resolved ones are history). Returns `lane` (''
/// when none), `module`, `count` (int8).
pub const METRIC_DEAD_LETTERS_OPEN: Statement = statement!(
    "stats::metric_dead_letters_open",
    "\
SELECT coalesce(lane, '') AS lane, module, count(*)::int8 FROM tds_dead_letters WHERE resolved_at IS NULL
GROUP BY 1, 2 ORDER BY 1, 2",
);

/// Alerts not resolved, per severity and status. Returns `severity`, `status`, `count` (int8).
pub const METRIC_ALERTS: Statement = statement!(
    "stats::metric_alerts",
    "\
SELECT severity, status, count(*)::int8 FROM tds_alerts WHERE status <> 'resolved'
GROUP BY severity, status ORDER BY severity, status",
);

/// Circuit breakers. Returns `name`, `state`, `consecutive_failures` (int4).
pub const METRIC_CIRCUITS: Statement = statement!(
    "stats::metric_circuits",
    "SELECT name, state, consecutive_failures FROM tds_circuit_breakers ORDER BY name",
);

/// The credentials that proved authentic deliveries in the last `$hours` hours, from
/// heal's folded counters and the outcomes not folded yet. Returns `credential` (its label,
/// `variable#position`), `deliveries` (int8), `last_used_at` (the start of the last minute
/// it was used, UTC RFC 3339 text) and the same in epoch seconds, `last_used_epoch` (int8),
/// ordered by label.
pub const INTAKE_CREDENTIALS: Statement = statement!(
    "stats::intake_credentials",
    "\
SELECT credential, sum(n)::int8 AS deliveries,
    to_char(max(minute) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS last_used_at,
    extract(epoch FROM max(minute))::int8 AS last_used_epoch
FROM (
    SELECT credential, count AS n, minute FROM tds_intake_counters
    WHERE minute >= date_trunc('minute', now()) - make_interval(hours => $hours::int4) AND credential <> ''
    UNION ALL
    SELECT credential, 1, minute FROM tds_intake_outcomes
    WHERE minute >= date_trunc('minute', now()) - make_interval(hours => $hours::int4) AND credential <> ''
) AS used
GROUP BY credential ORDER BY credential",
);

/// Every named statement of this module.
pub const ALL: [Statement; 12] = [
    QUEUE_COUNTS,
    THROUGHPUT,
    LATENCY,
    OLDEST_WAITING_BY_LANE,
    QUEUE_SERIES,
    METRIC_TOTALS,
    METRIC_QUEUE_BACKLOG,
    METRIC_DEAD_LETTERS_OPEN,
    METRIC_ALERTS,
    METRIC_CIRCUITS,
    COUNT_DEAD_BY_CLASS,
    INTAKE_CREDENTIALS,
];

/// Unresolved dead letters per error class. Returns `error_class`, `count` (int8).
pub const COUNT_DEAD_BY_CLASS: Statement = statement!(
    "stats::count_dead_by_class",
    "\
SELECT error_class, count(*)::int8 FROM tds_dead_letters WHERE resolved_at IS NULL GROUP BY error_class",
);
