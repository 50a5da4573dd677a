//! What an operator reads and changes through the stats API besides the queue and dead
//! letters: alerts (list, acknowledge), runs (list, show) and circuit breakers (list,
//! reset). Heal opens and resolves alerts and moves breakers; these statements only read
//! them or take the operator's decision. Rows leave as JSON text built by PostgreSQL.

use crate::{statement, Statement};

macro_rules! alert_json {
    () => {
        "jsonb_build_object('id', a.id, 'dedup_key', a.dedup_key, 'kind', a.kind, 'severity', a.severity,
    'status', a.status, 'message', a.message, 'details', a.details, 'occurrences', a.occurrences,
    'opened_at', a.opened_at, 'last_seen_at', a.last_seen_at, 'acknowledged_at', a.acknowledged_at,
    'acknowledged_by', a.acknowledged_by, 'resolved_at', a.resolved_at, 'notified_at', a.notified_at)"
    };
}

/// Alerts, newest first: those in `$status` (`active` = open or acknowledged, `open`,
/// `acknowledged`, `resolved`, `all`) of `$severity` and `$kind` (NULL: any), below id
/// `$before` (NULL from the top), at most `$limit`. Returns `id`, `alert` (JSON text: `id`,
/// `dedup_key`, `kind`, `severity`, `status`, `message`, `details`, `occurrences`,
/// `opened_at`, `last_seen_at`, `acknowledged_at`, `acknowledged_by`, `resolved_at`,
/// `notified_at`).
pub const LIST_ALERTS: Statement = statement!(
    "operator::list_alerts",
    concat!(
        "SELECT a.id, (",
        alert_json!(),
        ")::text AS alert
FROM tds_alerts a
WHERE (CASE $status::text WHEN 'all' THEN true WHEN 'active' THEN a.status <> 'resolved' ELSE a.status = $status::text END)
    AND ($severity::text IS NULL OR a.severity = $severity::text) AND ($kind::text IS NULL OR a.kind = $kind::text)
    AND ($before::bigint IS NULL OR a.id < $before::bigint)
ORDER BY a.id DESC
LIMIT $limit::int4"
    ),
);

/// Alert `$id`. Returns `status`, `alert` (JSON text); no row when unknown.
pub const SHOW_ALERT: Statement = statement!(
    "operator::show_alert",
    concat!(
        "SELECT a.status, (",
        alert_json!(),
        ")::text AS alert FROM tds_alerts a WHERE a.id = $id::bigint"
    ),
);

/// Acknowledges open alert `$id` on behalf of `$acknowledged_by`. Returns `alert` (JSON
/// text); no row when the alert is unknown or not open.
pub const ACKNOWLEDGE_ALERT: Statement = statement!(
    "operator::acknowledge_alert",
    concat!(
        "UPDATE tds_alerts a SET status = 'acknowledged', acknowledged_at = now(), acknowledged_by = $acknowledged_by::text
WHERE a.id = $id::bigint AND a.status = 'open'
RETURNING (",
        alert_json!(),
        ")::text AS alert"
    ),
);

macro_rules! run_json {
    () => {
        "jsonb_build_object('id', r.id, 'component', r.component, 'lane', r.lane, 'run_owner', r.run_owner,
    'trigger', r.trigger, 'status', r.status, 'counts', r.counts, 'details', r.details, 'error', r.error,
    'started_at', r.started_at, 'finished_at', r.finished_at,
    'duration_ms', (extract(epoch FROM r.finished_at - r.started_at) * 1000)::float8)"
    };
}

/// Runs, newest first: those of `$component`, `$lane` and `$status` (NULL: any), below id
/// `$before` (NULL from the top), at most `$limit`. Returns `id`, `run` (JSON text: `id`,
/// `component`, `lane`, `run_owner`, `trigger`, `status`, `counts`, `details`, `error`,
/// `started_at`, `finished_at`, `duration_ms`).
pub const LIST_RUNS: Statement = statement!(
    "operator::list_runs",
    concat!(
        "SELECT r.id, (",
        run_json!(),
        ")::text AS run
FROM tds_sync_runs r
WHERE ($component::text IS NULL OR r.component = $component::text) AND ($lane::text IS NULL OR r.lane = $lane::text)
    AND ($status::text IS NULL OR r.status = $status::text) AND ($before::bigint IS NULL OR r.id < $before::bigint)
ORDER BY r.id DESC
LIMIT $limit::int4"
    ),
);

/// Run `$id` with its logged attempts per outcome (`attempts`: `{"applied": n, …}`).
/// Returns `run` (JSON text); no row when unknown.
pub const SHOW_RUN: Statement = statement!(
    "operator::show_run",
    concat!(
        "SELECT (",
        run_json!(),
        " || jsonb_build_object('attempts', (SELECT coalesce(jsonb_object_agg(x.outcome, x.n), '{}'::jsonb)
        FROM (SELECT outcome, count(*) AS n FROM tds_sync_log WHERE run_id = r.id GROUP BY outcome) x)))::text AS run
FROM tds_sync_runs r WHERE r.id = $id::bigint"
    ),
);

macro_rules! circuit_json {
    () => {
        "jsonb_build_object('name', c.name, 'state', c.state, 'consecutive_failures', c.consecutive_failures,
    'last_error', c.last_error, 'opened_at', c.opened_at, 'next_probe_at', c.next_probe_at,
    'last_failure_at', c.last_failure_at, 'last_success_at', c.last_success_at, 'updated_at', c.updated_at)"
    };
}

/// Every circuit breaker, by name. Returns `circuit` (JSON text: `name`, `state`,
/// `consecutive_failures`, `last_error`, `opened_at`, `next_probe_at`, `last_failure_at`,
/// `last_success_at`, `updated_at`).
pub const LIST_CIRCUITS: Statement = statement!(
    "operator::list_circuits",
    concat!(
        "SELECT (",
        circuit_json!(),
        ")::text AS circuit FROM tds_circuit_breakers c ORDER BY c.name"
    ),
);

/// Closes circuit `$name` and clears its failure count. Returns `circuit` (JSON text); no
/// row when unknown.
pub const RESET_CIRCUIT: Statement = statement!(
    "operator::reset_circuit",
    concat!(
        "UPDATE tds_circuit_breakers c
SET state = 'closed', consecutive_failures = 0, opened_at = NULL, next_probe_at = NULL, updated_at = now()
WHERE c.name = $name::text
RETURNING (",
        circuit_json!(),
        ")::text AS circuit"
    ),
);

/// Every named statement of this module.
pub const ALL: [Statement; 7] = [
    LIST_ALERTS,
    SHOW_ALERT,
    ACKNOWLEDGE_ALERT,
    LIST_RUNS,
    SHOW_RUN,
    LIST_CIRCUITS,
    RESET_CIRCUIT,
];
