//! What an operator reads and changes through the stats API besides the queue and dead
//! letters: alerts (list, acknowledge), runs (list, show) and circuit breakers (list,
//! reset). Heal opens and resolves alerts and moves breakers; these statements only read
//! them or take the operator's decision. Rows leave as JSON text built by PostgreSQL.

use crate::Statement;

macro_rules! alert_json {
    () => {
        "jsonb_build_object('id', a.id, 'dedup_key', a.dedup_key, 'kind', a.kind, 'severity', a.severity,
    'status', a.status, 'message', a.message, 'details', a.details, 'occurrences', a.occurrences,
    'opened_at', a.opened_at, 'last_seen_at', a.last_seen_at, 'acknowledged_at', a.acknowledged_at,
    'acknowledged_by', a.acknowledged_by, 'resolved_at', a.resolved_at, 'notified_at', a.notified_at)"
    };
}

/// Alerts, newest first. `$1` which (`active` = open or acknowledged, `open`,
/// `acknowledged`, `resolved`, `all`), `$2` severity, `$3` kind (NULL: any), `$4` ids below
/// (int8, NULL from the top), `$5` limit (int4). Returns `id`, `alert` (JSON text: `id`,
/// `dedup_key`, `kind`, `severity`, `status`, `message`, `details`, `occurrences`,
/// `opened_at`, `last_seen_at`, `acknowledged_at`, `acknowledged_by`, `resolved_at`,
/// `notified_at`).
pub const LIST_ALERTS: Statement = Statement::new(
    "operator::list_alerts",
    concat!(
        "SELECT a.id, (",
        alert_json!(),
        ")::text
FROM tds_alerts a
WHERE (CASE $1::text WHEN 'all' THEN true WHEN 'active' THEN a.status <> 'resolved' ELSE a.status = $1::text END)
    AND ($2::text IS NULL OR a.severity = $2::text) AND ($3::text IS NULL OR a.kind = $3::text)
    AND ($4::bigint IS NULL OR a.id < $4::bigint)
ORDER BY a.id DESC
LIMIT $5::int4"
    ),
);

/// Alert `$1`. Returns `status`, `alert` (JSON text); no row when unknown.
pub const SHOW_ALERT: Statement = Statement::new(
    "operator::show_alert",
    concat!(
        "SELECT a.status, (",
        alert_json!(),
        ")::text FROM tds_alerts a WHERE a.id = $1::bigint"
    ),
);

/// Acknowledges open alert `$1` on behalf of `$2`. Returns `alert` (JSON text); no row
/// when the alert is unknown or not open.
pub const ACKNOWLEDGE_ALERT: Statement = Statement::new(
    "operator::acknowledge_alert",
    concat!(
        "UPDATE tds_alerts a SET status = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2::text
WHERE a.id = $1::bigint AND a.status = 'open'
RETURNING (",
        alert_json!(),
        ")::text"
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

/// Runs, newest first. `$1` component, `$2` lane, `$3` status (NULL: any), `$4` ids below
/// (int8, NULL from the top), `$5` limit (int4). Returns `id`, `run` (JSON text: `id`,
/// `component`, `lane`, `run_owner`, `trigger`, `status`, `counts`, `details`, `error`,
/// `started_at`, `finished_at`, `duration_ms`).
pub const LIST_RUNS: Statement = Statement::new(
    "operator::list_runs",
    concat!(
        "SELECT r.id, (",
        run_json!(),
        ")::text
FROM tds_sync_runs r
WHERE ($1::text IS NULL OR r.component = $1::text) AND ($2::text IS NULL OR r.lane = $2::text)
    AND ($3::text IS NULL OR r.status = $3::text) AND ($4::bigint IS NULL OR r.id < $4::bigint)
ORDER BY r.id DESC
LIMIT $5::int4"
    ),
);

/// Run `$1` with its logged attempts per outcome (`attempts`: `{"applied": n, …}`).
/// Returns `run` (JSON text); no row when unknown.
pub const SHOW_RUN: Statement = Statement::new(
    "operator::show_run",
    concat!(
        "SELECT (",
        run_json!(),
        " || jsonb_build_object('attempts', (SELECT coalesce(jsonb_object_agg(x.outcome, x.n), '{}'::jsonb)
        FROM (SELECT outcome, count(*) AS n FROM tds_sync_log WHERE run_id = r.id GROUP BY outcome) x)))::text
FROM tds_sync_runs r WHERE r.id = $1::bigint"
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
pub const LIST_CIRCUITS: Statement = Statement::new(
    "operator::list_circuits",
    concat!(
        "SELECT (",
        circuit_json!(),
        ")::text FROM tds_circuit_breakers c ORDER BY c.name"
    ),
);

/// Closes circuit `$1` and clears its failure count. Returns `circuit` (JSON text); no row
/// when unknown.
pub const RESET_CIRCUIT: Statement = Statement::new(
    "operator::reset_circuit",
    concat!(
        "UPDATE tds_circuit_breakers c
SET state = 'closed', consecutive_failures = 0, opened_at = NULL, next_probe_at = NULL, updated_at = now()
WHERE c.name = $1::text
RETURNING (",
        circuit_json!(),
        ")::text"
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
