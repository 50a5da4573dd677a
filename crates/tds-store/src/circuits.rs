//! Circuit breakers (`tds_circuit_breakers`), one row per lane (`lane:<lane>`) and per
//! outbound dependency (`outbound:<name>`). The state machine is
//! `tds_core::circuit`; these statements store its states with a compare-and-set on the
//! row's `updated_at`, so concurrent invocations never overwrite each other's transition
//! (the loser reads again and recomputes).

use crate::Statement;

/// Creates breaker `$1` closed when it does not exist yet and reads it. Returns `state`,
/// `consecutive_failures` (int4), `next_probe_at` (epoch seconds, float8, NULL when
/// none), `now` (the server's clock, epoch seconds, float8), `version` (`updated_at` as
/// text, the compare-and-set token). No row when another invocation created the breaker in
/// the same instant (its insert won; this statement's snapshot predates it): read again.
pub const READ: Statement = Statement::new(
    "circuits::read",
    "\
WITH created AS (
    INSERT INTO tds_circuit_breakers (name) VALUES ($1::text)
    ON CONFLICT (name) DO NOTHING
    RETURNING state, consecutive_failures, next_probe_at, updated_at
), current AS (
    SELECT state, consecutive_failures, next_probe_at, updated_at FROM created
    UNION ALL
    SELECT state, consecutive_failures, next_probe_at, updated_at FROM tds_circuit_breakers WHERE name = $1::text
)
SELECT state, consecutive_failures, extract(epoch FROM next_probe_at)::float8, extract(epoch FROM now())::float8,
    updated_at::text
FROM current LIMIT 1",
);

/// Stores a transition of breaker `$1` read at version `$2` (text, from [`READ`]):
/// `$3` new state, `$4` consecutive failures (int4), `$5` seconds from now to the next
/// probe (float8, NULL for none), `$6` what happened (`failure`, `success` or `probe`),
/// `$7` the failure's error (NULL keeps the last one). `opened_at` is set when the state
/// becomes `open`. One row touched, or none when someone else moved the breaker first.
pub const TRANSITION: Statement = Statement::new(
    "circuits::transition",
    "\
UPDATE tds_circuit_breakers
SET state = $3::text, consecutive_failures = $4::int4,
    next_probe_at = now() + make_interval(secs => $5::float8),
    opened_at = CASE WHEN $3::text = 'open' AND state <> 'open' THEN now() ELSE opened_at END,
    last_error = coalesce($7::text, last_error),
    last_failure_at = CASE WHEN $6::text = 'failure' THEN now() ELSE last_failure_at END,
    last_success_at = CASE WHEN $6::text = 'success' THEN now() ELSE last_success_at END,
    updated_at = now()
WHERE name = $1::text AND updated_at = $2::text::timestamptz",
);

/// Breakers that are not closed, by name. Returns `name`, `state`,
/// `consecutive_failures` (int4), `last_error`.
pub const LIST_NOT_CLOSED: Statement = Statement::new(
    "circuits::list_not_closed",
    "\
SELECT name, state, consecutive_failures, last_error FROM tds_circuit_breakers WHERE state <> 'closed' ORDER BY name",
);

/// Every named statement of this module.
pub const ALL: [Statement; 3] = [READ, TRANSITION, LIST_NOT_CLOSED];
