//! What processor and heal write about their work: a run per invocation, a log row per
//! attempt and an audit row per real ERP change; and how heal closes the runs whose
//! invocation died before finishing them. Placeholders are cast explicitly.

use crate::Statement;

/// Opens a run. `$1` component, `$2` lane (nullable), `$3` run owner (the invocation's
/// lease owner), `$4` trigger (`cron` or `http`), `$5` details (JSON text). Returns `id`.
pub const START_RUN: Statement = Statement::new(
    "journal::start_run",
    "\
INSERT INTO tds_sync_runs (component, lane, run_owner, trigger, details)
VALUES ($1::text, $2::text, $3::text, $4::text, $5::text::jsonb)
RETURNING id",
);

/// Closes run `$1` with status `$2` (`completed` or `failed`), counts `$3` (JSON text),
/// further details `$4` (JSON text, merged) and error `$5` (nullable).
pub const FINISH_RUN: Statement = Statement::new(
    "journal::finish_run",
    "\
UPDATE tds_sync_runs
SET status = $2::text, counts = $3::text::jsonb, details = details || $4::text::jsonb, error = $5::text, finished_at = now()
WHERE id = $1::bigint",
);

/// Closes runs abandoned by their invocation: up to `$2` (int4) runs still `running` that
/// started more than `$1` seconds (int4) ago, oldest first, become `failed` with
/// `finished_at = now()` and an `error` saying so (`abandoned: still running after N s, …`);
/// their counts stay as they were (the invocation's figures were lost with it). Heal runs
/// it with `abandoned_run_seconds` (default 900: longer than any invocation may live, as
/// the host stops a guest after `--max-execution-secs`, default 600) and
/// `heal_abandoned_run_limit` (default 100). A run still being finished (its row locked by
/// `FINISH_RUN`) is skipped; should a live run be closed after all, its own `FINISH_RUN`
/// later overwrites the verdict. The candidates are picked once (`ANY(ARRAY(…))`: as a
/// rescanned `IN (…)` sub-select, rows this statement already updated are skipped by its
/// own `SKIP LOCKED` and the limit lets further rows in). The partial index
/// `tds_sync_runs_running` (V6) keeps the search to running rows. Returns `id`,
/// `component`, `run_owner`, `age_seconds` (int8).
pub const CLOSE_ABANDONED_RUNS: Statement = Statement::new(
    "journal::close_abandoned_runs",
    "\
UPDATE tds_sync_runs r
SET status = 'failed', finished_at = now(),
    error = format('abandoned: still running after %s s; its invocation never finished it (the host was stopped or killed, or cut the guest off at its execution time limit)',
        floor(extract(epoch FROM now() - r.started_at))::bigint)
WHERE r.status = 'running' AND r.id = ANY(ARRAY(
    SELECT id FROM tds_sync_runs
    WHERE status = 'running' AND started_at < now() - make_interval(secs => $1::int4)
    ORDER BY started_at LIMIT $2::int4 FOR UPDATE SKIP LOCKED))
RETURNING r.id, r.component, r.run_owner, floor(extract(epoch FROM r.finished_at - r.started_at))::int8",
);

/// Logs one attempt. `$1` run id, `$2` queue id, `$3` inbox event id, `$4` module,
/// `$5` entity id, `$6` lane, `$7` operation, `$8` attempt (int4), `$9` outcome,
/// `$10` message (nullable), `$11` error code (nullable), `$12` duration in ms (float8),
/// `$13` correlation id.
pub const LOG_ATTEMPT: Statement = Statement::new(
    "journal::log_attempt",
    concat!(
        log_attempt_columns!(),
        "
VALUES (",
        log_attempt_values!(),
        ")"
    ),
);

/// The insert [`LOG_ATTEMPT`] and `queue::COMPLETE` start with.
macro_rules! log_attempt_columns {
    () => {
        "\
INSERT INTO tds_sync_log (run_id, queue_id, inbox_event_id, module, entity_id, lane, operation, attempt, outcome, message,
    error_code, duration_ms, correlation_id)"
    };
}
pub(crate) use log_attempt_columns;

/// The values of [`LOG_ATTEMPT`], `$1`–`$13`, which `queue::COMPLETE` logs too.
macro_rules! log_attempt_values {
    () => {
        "\
$1::bigint, $2::bigint, $3::bigint, $4::text, $5::text, $6::text, $7::text, $8::int4, $9::text, $10::text,
    $11::text, $12::float8, $13::text"
    };
}
pub(crate) use log_attempt_values;

/// Records a real change to an ERP row. `$1` ERP table, `$2` entity id, `$3` module,
/// `$4` action (`insert`, `update`, `delete`), `$5` before image (JSON text, nullable),
/// `$6` after image (JSON text), `$7` changed fields (text[]), `$8` source version (text),
/// `$9` inbox event id, `$10` queue id, `$11` run id, `$12` correlation id.
pub const AUDIT_CHANGE: Statement = Statement::new(
    "journal::audit_change",
    "\
INSERT INTO tds_audit_trail (erp_table, entity_id, module, action, before, after, changed_fields, source_modified_at,
    inbox_event_id, queue_id, run_id, correlation_id)
VALUES ($1::text, $2::text, $3::text, $4::text, $5::text::jsonb, $6::text::jsonb, $7::text[], $8::text::timestamptz,
    $9::bigint, $10::bigint, $11::bigint, $12::text)",
);

/// Every named statement of this module.
pub const ALL: [Statement; 5] = [
    START_RUN,
    FINISH_RUN,
    CLOSE_ABANDONED_RUNS,
    LOG_ATTEMPT,
    AUDIT_CHANGE,
];
