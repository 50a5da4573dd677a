//! What processor and heal write about their work: a run per invocation, a log row per
//! attempt and an audit row per real ERP change; and how heal closes the runs whose
//! invocation died before finishing them. Placeholders are cast explicitly.

use crate::{statement, Statement};

/// Opens a run: `$lane` NULL for none, `$run_owner` the invocation's lease owner,
/// `$trigger` `cron` or `http`, `$details` JSON text. Returns `id`.
pub const START_RUN: Statement = statement!(
    "journal::start_run",
    "\
INSERT INTO tds_sync_runs (component, lane, run_owner, trigger, details)
VALUES ($component::text, $lane::text, $run_owner::text, $trigger::text, $details::text::jsonb)
RETURNING id",
);

/// Closes run `$run_id` with `$status` (`completed` or `failed`), `$counts` (JSON text),
/// further `$details` (JSON text, merged) and `$error` (NULL for none).
pub const FINISH_RUN: Statement = statement!(
    "journal::finish_run",
    "\
UPDATE tds_sync_runs
SET status = $status::text, counts = $counts::text::jsonb, details = details || $details::text::jsonb, error = $error::text, finished_at = now()
WHERE id = $run_id::bigint",
);

/// Closes runs abandoned by their invocation: up to `$limit` runs still `running` that
/// started more than `$older_than_seconds` ago, oldest first, become `failed` with
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
pub const CLOSE_ABANDONED_RUNS: Statement = statement!(
    "journal::close_abandoned_runs",
    "\
UPDATE tds_sync_runs r
SET status = 'failed', finished_at = now(),
    error = format('abandoned: still running after %s s; its invocation never finished it (the host was stopped or killed, or cut the guest off at its execution time limit)',
        floor(extract(epoch FROM now() - r.started_at))::bigint)
WHERE r.status = 'running' AND r.id = ANY(ARRAY(
    SELECT id FROM tds_sync_runs
    WHERE status = 'running' AND started_at < now() - make_interval(secs => $older_than_seconds::int4)
    ORDER BY started_at LIMIT $limit::int4 FOR UPDATE SKIP LOCKED))
RETURNING r.id, r.component, r.run_owner, floor(extract(epoch FROM r.finished_at - r.started_at))::int8 AS age_seconds",
);

/// Logs one attempt: `$attempt` counts this one, `$message` and `$error_code` NULL for
/// none, `$duration_ms` in ms.
pub const LOG_ATTEMPT: Statement = statement!(
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

/// The values of [`LOG_ATTEMPT`], which `queue::COMPLETE` logs too, under the same names.
macro_rules! log_attempt_values {
    () => {
        "\
$run_id::bigint, $queue_id::bigint, $inbox_event_id::bigint, $module::text, $entity_id::text, $lane::text, $operation::text,
    $attempt::int4, $outcome::text, $message::text, $error_code::text, $duration_ms::float8, $correlation_id::text"
    };
}
pub(crate) use log_attempt_values;

/// Records a real change to an ERP row: `$action` `insert`, `update` or `delete`,
/// `$before` and `$after` the row's images as JSON text (`$before` NULL for an insert),
/// `$source_modified_at` the event's source version.
pub const AUDIT_CHANGE: Statement = statement!(
    "journal::audit_change",
    "\
INSERT INTO tds_audit_trail (erp_table, entity_id, module, action, before, after, changed_fields, source_modified_at,
    inbox_event_id, queue_id, run_id, correlation_id)
VALUES ($erp_table::text, $entity_id::text, $module::text, $action::text, $before::text::jsonb, $after::text::jsonb,
    $changed_fields::text[], $source_modified_at::text::timestamptz, $inbox_event_id::bigint, $queue_id::bigint,
    $run_id::bigint, $correlation_id::text)",
);

/// Every named statement of this module.
pub const ALL: [Statement; 5] = [
    START_RUN,
    FINISH_RUN,
    CLOSE_ABANDONED_RUNS,
    LOG_ATTEMPT,
    AUDIT_CHANGE,
];
