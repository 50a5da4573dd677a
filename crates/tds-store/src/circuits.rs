//! Circuit breakers (`tds_circuit_breakers`), one row per lane (`lane:<lane>`) and per
//! outbound dependency (`outbound:<name>`). The state machine is
//! `tds_core::circuit`; these statements store its states with a compare-and-set on the
//! row's `updated_at`, so concurrent invocations never overwrite each other's transition
//! (the loser reads again and recomputes).

use crate::{statement, Statement};

/// Creates breaker `$name` closed when it does not exist yet and reads it. Returns `state`,
/// `consecutive_failures` (int4), `next_probe_at` (epoch seconds, float8, NULL when
/// none), `now` (the server's clock, epoch seconds, float8), `version` (`updated_at` as
/// text, the compare-and-set token). No row when another invocation created the breaker in
/// the same instant (its insert won; this statement's snapshot predates it): read again.
pub const READ: Statement = statement!(
    "circuits::read",
    "\
WITH created AS (
    INSERT INTO tds_circuit_breakers (name) VALUES ($name::text)
    ON CONFLICT (name) DO NOTHING
    RETURNING state, consecutive_failures, next_probe_at, updated_at
), current AS (
    SELECT state, consecutive_failures, next_probe_at, updated_at FROM created
    UNION ALL
    SELECT state, consecutive_failures, next_probe_at, updated_at FROM tds_circuit_breakers WHERE name = $name::text
)
SELECT state, consecutive_failures, extract(epoch FROM next_probe_at)::float8 AS next_probe_at,
    extract(epoch FROM now())::float8 AS now, updated_at::text AS version
FROM current LIMIT 1",
);

/// Stores a transition of breaker `$name` read at `$version` (from [`READ`]): the new
/// `$state` and `$consecutive_failures`, `$probe_in_seconds` from now to the next probe
/// (NULL for none), what `$happened` (`failure`, `success` or `probe`), the failure's
/// `$last_error` (NULL keeps the last one). `opened_at` is set when the state becomes
/// `open`. One row touched, or none when someone else moved the breaker first.
pub const TRANSITION: Statement = statement!(
    "circuits::transition",
    "\
UPDATE tds_circuit_breakers
SET state = $state::text, consecutive_failures = $consecutive_failures::int4,
    next_probe_at = now() + make_interval(secs => $probe_in_seconds::float8),
    opened_at = CASE WHEN $state::text = 'open' AND state <> 'open' THEN now() ELSE opened_at END,
    last_error = coalesce($last_error::text, last_error),
    last_failure_at = CASE WHEN $happened::text = 'failure' THEN now() ELSE last_failure_at END,
    last_success_at = CASE WHEN $happened::text = 'success' THEN now() ELSE last_success_at END,
    updated_at = now()
WHERE name = $name::text AND updated_at = $version::text::timestamptz",
);

/// Breakers that are not closed, by name. Returns `name`, `state`,
/// `consecutive_failures` (int4), `last_error`.
pub const LIST_NOT_CLOSED: Statement = statement!(
    "circuits::list_not_closed",
    "\
SELECT name, state, consecutive_failures, last_error FROM tds_circuit_breakers WHERE state <> 'closed' ORDER BY name",
);

/// Every named statement of this module.
pub const ALL: [Statement; 3] = [READ, TRANSITION, LIST_NOT_CLOSED];
