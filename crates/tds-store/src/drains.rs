//! Drain sessions and wakes (`tds_lane_drains`, one row per lane; docs/design.md, "Wakes").
//!
//! ```text
//!  intake: store the event, commit, answer ──▶ claim_wake ──row──▶ send a wake
//!                                                  └─no row: a session serves the lane,
//!                                                    or a wake is on its way
//!  processor (woken, or cron finding due work):
//!    acquire ──▶ claim, apply … (renew) ──empty──▶ release ──▶ lane_has_work ──yes──▶ acquire again
//!                                                                   └─no──▶ end
//! ```
//!
//! Why no event is left behind: intake looks at the lane ([`CLAIM_WAKE`]) only after its
//! event has committed, and a session looks at the queue ([`LANE_HAS_WORK`]) only after its
//! release has committed. Whichever of the two statements runs second sees the other's
//! write: either intake sees no session and wakes the lane, or the session sees the event
//! and goes on. Intake writes the row only when it sends a wake, so a flood served by a
//! session costs intake one read of the row per event and no lock.
//!
//! Placeholders are cast explicitly and no result column is a `timestamptz`.

use crate::{statement, Statement};

/// Takes the right to wake `$lane`: no session serves it (none, or its lease expired) and
/// no wake was sent in the last `$coalesce_seconds`. Touches one row when taken (send the
/// wake), none otherwise: sent through `execute`, the statement intake sends for every
/// queued event costs it no result rows.
pub const CLAIM_WAKE: Statement = statement!(
    "drains::claim_wake",
    "\
UPDATE tds_lane_drains
SET wake_sent_at = now(), wakes_sent = wakes_sent + 1, updated_at = now()
WHERE lane = $lane::text
  AND (drainer_until IS NULL OR drainer_until < now())
  AND (wake_sent_at IS NULL OR wake_sent_at < now() - make_interval(secs => $coalesce_seconds::float8))",
);

/// Starts (or, for its owner, renews) the drain session of `$lane` for `$drainer` (the
/// lease owner) for `$lease_seconds`, when no other session holds a live lease; clears the
/// pending wake, which this session answers. Touches one row when the session is
/// `$drainer`'s, none when another session serves the lane.
pub const ACQUIRE: Statement = statement!(
    "drains::acquire",
    "\
INSERT INTO tds_lane_drains AS d (lane, drainer, drainer_until, sessions)
VALUES ($lane::text, $drainer::text, now() + make_interval(secs => $lease_seconds::int4), 1)
ON CONFLICT (lane) DO UPDATE
SET drainer = excluded.drainer, drainer_until = excluded.drainer_until, wake_sent_at = NULL,
    sessions = d.sessions + CASE WHEN d.drainer IS DISTINCT FROM excluded.drainer THEN 1 ELSE 0 END,
    updated_at = now()
WHERE d.drainer IS NULL OR d.drainer_until < now() OR d.drainer = excluded.drainer",
);

/// Ends `$drainer`'s session of `$lane`. Touches no row when the session had already lost
/// the lane (its lease expired and another session took it).
pub const RELEASE: Statement = statement!(
    "drains::release",
    "\
UPDATE tds_lane_drains SET drainer = NULL, drainer_until = NULL, updated_at = now()
WHERE lane = $lane::text AND drainer = $drainer::text",
);

/// Whether `$lane` has a due unclaimed row of one of `$modules`: what a cron run asks
/// before anything else, and a session after its release. Returns `due` (bool).
pub const LANE_HAS_WORK: Statement = statement!(
    "drains::lane_has_work",
    "\
SELECT EXISTS (
    SELECT 1 FROM tds_sync_queue
    WHERE lane = $lane::text AND module = ANY($modules::text[]) AND status IN ('pending', 'retry') AND next_attempt_at <= now()
) AS due",
);

/// Every lane's drain state, by lane (the stats API's gauges): `lane`, `draining` (bool, a
/// session with a live lease serves it), `drainer`, `wakes_sent` (int8), `sessions` (int8).
pub const LIST: Statement = statement!(
    "drains::list",
    "\
SELECT lane, coalesce(drainer_until >= now(), false) AS draining, drainer, wakes_sent, sessions
FROM tds_lane_drains ORDER BY lane",
);

/// Every named statement of this module.
pub const ALL: [Statement; 5] = [
    CLAIM_WAKE,
    ACQUIRE,
    RELEASE,
    LANE_HAS_WORK,
    LIST,
];
