//! Per-minute rollups into `tds_metrics` (names and meaning: `tds_core::metrics`).
//! A run first folds intake's appended outcomes into their per-minute counters
//! ([`FOLD_INTAKE_OUTCOMES`]), then locks its cursor (`tds_cursors`, [`CURSOR`]), counts
//! the raw rows of the window's minutes to find the first settling minute that changed
//! ([`RECOUNT_SOURCES`]), replaces the rows of heal's metric
//! names for a window of closed minutes ([`DELETE_WINDOW`], then [`INSERT_WINDOW`] and
//! [`INSERT_WINDOW_COUNTERS`]), keeps the running totals in step
//! ([`ADD_WINDOW_TO_TOTALS`] before and after) and moves the cursor, in one transaction:
//! recomputing a minute gives the same rows.

use crate::{statement, Statement};

/// The cursor's name in `tds_cursors`.
pub const CURSOR: &str = "heal.metrics_rollup";

/// Creates cursor `$name` when missing.
pub const ENSURE_CURSOR: Statement = statement!(
    "metrics::ensure_cursor",
    "\
INSERT INTO tds_cursors (name) VALUES ($name::text) ON CONFLICT (name) DO NOTHING",
);

/// Moves the intake outcomes of closed minutes from `tds_intake_outcomes` into the
/// per-minute counters (`tds_intake_counters`, shard 0, one row per credential too),
/// adding to what is there: rows committed after their minute was folded are folded by the
/// next run. Concurrent runs never count a row twice (each row is deleted once).
pub const FOLD_INTAKE_OUTCOMES: Statement = statement!(
    "metrics::fold_intake_outcomes",
    "\
WITH moved AS (
    DELETE FROM tds_intake_outcomes WHERE minute < date_trunc('minute', now())
    RETURNING minute, outcome, module, reason, credential
)
INSERT INTO tds_intake_counters AS c (minute, outcome, module, reason, credential, shard, count)
SELECT minute, outcome, module, reason, credential, 0, count(*) FROM moved GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (minute, outcome, module, reason, credential, shard) DO UPDATE SET count = c.count + excluded.count",
);

/// Locks cursor `$name` for this transaction, or returns no row while another run holds it.
/// Returns `position` (epoch seconds of the first minute not yet rolled up, int8, NULL
/// before the first run), `current_minute` (epoch seconds of the start of the current
/// minute, int8), `first_data_minute` (epoch seconds, int8, NULL when there is no data):
/// the earliest minute with an inbox event or an intake counter, but no earlier than
/// `$data_days` days ago.
pub const LOCK_CURSOR: Statement = statement!(
    "metrics::lock_cursor",
    "\
SELECT extract(epoch FROM c.position_at)::int8 AS position,
    extract(epoch FROM date_trunc('minute', now()))::int8 AS current_minute,
    CASE WHEN f.first IS NOT NULL THEN extract(epoch FROM greatest(date_trunc('minute', f.first),
        date_trunc('minute', now() - make_interval(days => $data_days::int4))))::int8 END AS first_data_minute
FROM tds_cursors c,
    LATERAL (SELECT least((SELECT min(received_at) FROM tds_inbox_events), (SELECT min(minute) FROM tds_intake_counters))
        AS first) f
WHERE c.name = $name::text
FOR UPDATE OF c SKIP LOCKED",
);

/// Moves cursor `$name` to `$position` (epoch seconds).
pub const MOVE_CURSOR: Statement = statement!(
    "metrics::move_cursor",
    "\
UPDATE tds_cursors SET position_at = to_timestamp($position::int8), position = to_timestamp($position::int8)::text, updated_at = now()
WHERE name = $name::text",
);

/// Counts the raw rows of each minute from `$from` to before `$to` (epoch seconds) that
/// [`INSERT_WINDOW`] and [`INSERT_WINDOW_COUNTERS`] read (inbox events, completed queue
/// rows, intake counters, sync log, dead letters, finished runs; a statement that reads
/// another source must be counted here too), stores the counts in `tds_rollup_sources`
/// (forgetting the minutes before `$from`) and returns `first_changed` (epoch seconds,
/// int8): the first minute before `$cursor` whose count differs from the one stored, or
/// NULL: one row.
/// A minute's rows only grow while it settles, so an unchanged count means unchanged
/// rows. The counts come from this statement's snapshot, which the window's later
/// statements see at least: a row they see and this missed makes the next run recompute.
pub const RECOUNT_SOURCES: Statement = statement!(
    "metrics::recount_sources",
    "\
WITH counted AS (
    SELECT minute, sum(n)::int8 AS n FROM (
        SELECT date_trunc('minute', received_at) AS minute, count(*) AS n FROM tds_inbox_events
        WHERE received_at >= to_timestamp($from::int8) AND received_at < to_timestamp($to::int8) GROUP BY 1
        UNION ALL
        SELECT date_trunc('minute', completed_at), count(*) FROM tds_sync_queue
        WHERE status = 'completed' AND completed_at >= to_timestamp($from::int8) AND completed_at < to_timestamp($to::int8)
        GROUP BY 1
        UNION ALL
        SELECT minute, sum(count) FROM tds_intake_counters
        WHERE minute >= to_timestamp($from::int8) AND minute < to_timestamp($to::int8) GROUP BY 1
        UNION ALL
        SELECT date_trunc('minute', created_at), count(*) FROM tds_sync_log
        WHERE created_at >= to_timestamp($from::int8) AND created_at < to_timestamp($to::int8) GROUP BY 1
        UNION ALL
        SELECT date_trunc('minute', created_at), count(*) FROM tds_dead_letters
        WHERE created_at >= to_timestamp($from::int8) AND created_at < to_timestamp($to::int8) GROUP BY 1
        UNION ALL
        SELECT date_trunc('minute', finished_at), count(*) FROM tds_sync_runs
        WHERE finished_at >= to_timestamp($from::int8) AND finished_at < to_timestamp($to::int8) GROUP BY 1
    ) s GROUP BY minute
), stored AS (
    SELECT minute, source_rows FROM tds_rollup_sources
    WHERE minute >= to_timestamp($from::int8) AND minute < to_timestamp($to::int8)
), saved AS (
    INSERT INTO tds_rollup_sources AS r (minute, source_rows) SELECT minute, n FROM counted
    ON CONFLICT (minute) DO UPDATE SET source_rows = excluded.source_rows
    WHERE r.source_rows <> excluded.source_rows
), forgotten AS (
    DELETE FROM tds_rollup_sources
    WHERE minute < to_timestamp($from::int8)
        OR (minute < to_timestamp($to::int8) AND minute NOT IN (SELECT minute FROM counted))
)
SELECT extract(epoch FROM min(coalesce(c.minute, s.minute)))::int8 AS first_changed
FROM counted c FULL JOIN stored s ON s.minute = c.minute
WHERE coalesce(c.minute, s.minute) < to_timestamp($cursor::int8) AND coalesce(c.n, 0) <> coalesce(s.source_rows, 0)",
);

/// Deletes the rows of `$names` for minutes from `$from` to before `$to` (epoch seconds).
pub const DELETE_WINDOW: Statement = statement!(
    "metrics::delete_window",
    "\
DELETE FROM tds_metrics
WHERE minute >= to_timestamp($from::int8) AND minute < to_timestamp($to::int8) AND name = ANY($names::text[])",
);

/// Computes the minutes from `$from` to before `$to` (epoch seconds) from the raw rows and
/// inserts them. `$modules` and their `$lanes` are the entity table (lane '' for a module
/// not in it), `$percentile_names` the percentile metrics and `$percentile_fractions`
/// their fractions (text numbers: the WIT has no float arrays). Counters have
/// `sum = count` and no min/max; `latency_e2e_ms` has the total, fastest and slowest; a
/// percentile row carries its value in `sum`, `min` and `max`.
pub const INSERT_WINDOW: Statement = statement!(
    "metrics::insert_window",
    "\
WITH lanes AS (
    SELECT * FROM unnest($modules::text[], $lanes::text[]) AS l(module, lane)
), done AS (
    SELECT date_trunc('minute', q.completed_at) AS minute, q.lane, q.module,
        extract(epoch FROM q.completed_at - e.received_at)::float8 * 1000 AS latency_ms
    FROM tds_sync_queue q LEFT JOIN tds_inbox_events e ON e.id = q.inbox_event_id
    WHERE q.status = 'completed' AND q.last_error_code IS DISTINCT FROM 'coalesced'
        AND q.completed_at >= to_timestamp($from::int8) AND q.completed_at < to_timestamp($to::int8)
), counters AS (
    SELECT date_trunc('minute', e.received_at) AS minute, 'received' AS name, coalesce(l.lane, '') AS lane, e.module,
        count(*) AS n
    FROM tds_inbox_events e LEFT JOIN lanes l ON l.module = e.module
    WHERE e.received_at >= to_timestamp($from::int8) AND e.received_at < to_timestamp($to::int8)
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT c.minute, 'duplicates', coalesce(l.lane, ''), c.module, sum(c.count)::int8
    FROM tds_intake_counters c LEFT JOIN lanes l ON l.module = c.module
    WHERE c.outcome = 'duplicate' AND c.minute >= to_timestamp($from::int8) AND c.minute < to_timestamp($to::int8)
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT minute, 'completed', lane, module, count(*) FROM done GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT date_trunc('minute', s.created_at), 'retried', s.lane, s.module, count(*)
    FROM tds_sync_log s
    WHERE s.outcome = 'retry' AND s.created_at >= to_timestamp($from::int8) AND s.created_at < to_timestamp($to::int8)
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT date_trunc('minute', d.created_at), 'dead', coalesce(d.lane, l.lane, ''), d.module, count(*)
    FROM tds_dead_letters d LEFT JOIN lanes l ON l.module = d.module
    WHERE d.created_at >= to_timestamp($from::int8) AND d.created_at < to_timestamp($to::int8)
    GROUP BY 1, 2, 3, 4
)
INSERT INTO tds_metrics (minute, name, lane, module, count, sum, min, max)
SELECT minute, name, lane, module, n, n, NULL, NULL FROM counters
UNION ALL
SELECT minute, 'latency_e2e_ms', lane, module, count(*), sum(latency_ms), min(latency_ms), max(latency_ms)
FROM done WHERE latency_ms IS NOT NULL GROUP BY minute, lane, module
UNION ALL
SELECT d.minute, p.name, d.lane, d.module, count(*),
    percentile_disc(p.fraction) WITHIN GROUP (ORDER BY d.latency_ms),
    percentile_disc(p.fraction) WITHIN GROUP (ORDER BY d.latency_ms),
    percentile_disc(p.fraction) WITHIN GROUP (ORDER BY d.latency_ms)
FROM done d CROSS JOIN unnest($percentile_names::text[], $percentile_fractions::text[]::float8[]) AS p(name, fraction)
WHERE d.latency_ms IS NOT NULL
GROUP BY d.minute, p.name, p.fraction, d.lane, d.module",
);

/// Computes the counter families of the minutes from `$from` to before `$to` (epoch
/// seconds) and inserts them (`tds_core::metrics::Counter`): `$modules` and their `$lanes`;
/// each family as its names and the members they count, in step: sync-log outcomes
/// (`$attempt_names`, `$attempt_outcomes`), intake outcomes (`$intake_names`,
/// `$intake_outcomes`), run statuses (`$run_names`, `$run_statuses`), apply-duration bounds
/// in seconds (`$apply_bucket_names`, `$apply_bucket_bounds`), end-to-end latency bounds in
/// seconds (`$latency_bucket_names`, `$latency_bucket_bounds`); `$apply_total_name` the
/// name of the apply-duration count and total (ms). A bucket row counts the observations
/// at or below its bound. `sum = count` but for `$apply_total_name`.
pub const INSERT_WINDOW_COUNTERS: Statement = statement!(
    "metrics::insert_window_counters",
    "\
WITH lanes AS (
    SELECT * FROM unnest($modules::text[], $lanes::text[]) AS l(module, lane)
), attempts AS (
    SELECT date_trunc('minute', s.created_at) AS minute, s.lane, s.module, s.outcome, s.duration_ms
    FROM tds_sync_log s
    WHERE s.created_at >= to_timestamp($from::int8) AND s.created_at < to_timestamp($to::int8)
), done AS (
    SELECT date_trunc('minute', q.completed_at) AS minute, q.lane, q.module,
        extract(epoch FROM q.completed_at - e.received_at)::float8 AS seconds
    FROM tds_sync_queue q JOIN tds_inbox_events e ON e.id = q.inbox_event_id
    WHERE q.status = 'completed' AND q.last_error_code IS DISTINCT FROM 'coalesced'
        AND q.completed_at >= to_timestamp($from::int8) AND q.completed_at < to_timestamp($to::int8)
), counted AS (
    SELECT a.minute, n.name, a.lane, a.module, count(*) AS n, count(*)::float8 AS total
    FROM attempts a JOIN unnest($attempt_names::text[], $attempt_outcomes::text[]) AS n(name, member) ON n.member = a.outcome
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT a.minute, $apply_total_name::text, a.lane, a.module, count(*), sum(a.duration_ms)::float8
    FROM attempts a WHERE a.duration_ms IS NOT NULL
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT a.minute, b.name, a.lane, a.module, count(*), count(*)::float8
    FROM attempts a JOIN unnest($apply_bucket_names::text[], $apply_bucket_bounds::text[]) AS b(name, le) ON a.duration_ms / 1000.0 <= b.le::float8
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT c.minute, n.name, coalesce(l.lane, ''), c.module, sum(c.count)::int8, sum(c.count)::float8
    FROM tds_intake_counters c JOIN unnest($intake_names::text[], $intake_outcomes::text[]) AS n(name, member) ON n.member = c.outcome
        LEFT JOIN lanes l ON l.module = c.module
    WHERE c.minute >= to_timestamp($from::int8) AND c.minute < to_timestamp($to::int8)
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT date_trunc('minute', r.finished_at), n.name, coalesce(r.lane, ''), r.component, count(*), count(*)::float8
    FROM tds_sync_runs r JOIN unnest($run_names::text[], $run_statuses::text[]) AS n(name, member) ON n.member = r.status
    WHERE r.finished_at >= to_timestamp($from::int8) AND r.finished_at < to_timestamp($to::int8)
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT d.minute, b.name, d.lane, d.module, count(*), count(*)::float8
    FROM done d JOIN unnest($latency_bucket_names::text[], $latency_bucket_bounds::text[]) AS b(name, le) ON d.seconds <= b.le::float8
    GROUP BY 1, 2, 3, 4
)
INSERT INTO tds_metrics (minute, name, lane, module, count, sum, min, max)
SELECT minute, name, lane, module, n, total, NULL, NULL FROM counted",
);

/// Adds `$factor` (1 or -1) times the rows of `$names` for minutes from `$from` to before
/// `$to` (epoch seconds) to the running totals (`tds_metric_totals`): -1 before a window's
/// rows are replaced, 1 after.
pub const ADD_WINDOW_TO_TOTALS: Statement = statement!(
    "metrics::add_window_to_totals",
    "\
INSERT INTO tds_metric_totals AS t (name, lane, module, count, sum)
SELECT name, lane, module, $factor::int8 * sum(count), $factor::int8 * sum(sum)
FROM tds_metrics
WHERE minute >= to_timestamp($from::int8) AND minute < to_timestamp($to::int8) AND name = ANY($names::text[])
GROUP BY name, lane, module
ON CONFLICT (name, lane, module) DO UPDATE
SET count = t.count + excluded.count, sum = t.sum + excluded.sum, updated_at = now()",
);

/// Every named statement of this module.
pub const ALL: [Statement; 9] = [
    FOLD_INTAKE_OUTCOMES,
    ENSURE_CURSOR,
    LOCK_CURSOR,
    MOVE_CURSOR,
    RECOUNT_SOURCES,
    DELETE_WINDOW,
    INSERT_WINDOW,
    INSERT_WINDOW_COUNTERS,
    ADD_WINDOW_TO_TOTALS,
];
