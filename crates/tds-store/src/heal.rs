//! Whether heal's scheduled cycle has anything to do (`heal::CYCLE_DUE`): what keeps an idle
//! TDS quiet. The cycle's own statements are in the families they work on ([`crate::queue`],
//! [`crate::auto_retry`], [`crate::alerts`], [`crate::metrics`], [`crate::retention`],
//! [`crate::journal`]).

use crate::{statement, Statement};

/// Whether a scheduled heal cycle is due: no heal run started in the last
/// `$full_cycle_seconds` (the periodic full cycle that keeps retention and rollups going),
/// or something for a step to look at: queue rows not completed, an inbox event received
/// or an attempt logged in the last `$activity_seconds` (long enough for the rollups'
/// settling minutes), intake outcomes not folded yet, an alert not resolved (or whose
/// resolution is still to be sent), a circuit breaker not closed, or a dead letter not
/// resolved. Returns `due` (bool).
pub const CYCLE_DUE: Statement = statement!(
    "heal::cycle_due",
    "\
SELECT NOT EXISTS (SELECT 1 FROM tds_sync_runs WHERE component = 'heal' AND started_at > now() - make_interval(secs => $full_cycle_seconds::float8))
    OR EXISTS (SELECT 1 FROM tds_sync_queue WHERE status IN ('pending', 'processing', 'retry'))
    OR EXISTS (SELECT 1 FROM tds_inbox_events WHERE received_at > now() - make_interval(secs => $activity_seconds::float8))
    OR EXISTS (SELECT 1 FROM tds_sync_log WHERE created_at > now() - make_interval(secs => $activity_seconds::float8))
    OR EXISTS (SELECT 1 FROM tds_intake_outcomes)
    OR EXISTS (SELECT 1 FROM tds_alerts WHERE status <> 'resolved'
               OR (notified_at IS NOT NULL AND resolution_notified_at IS NULL))
    OR EXISTS (SELECT 1 FROM tds_circuit_breakers WHERE state <> 'closed')
    OR EXISTS (SELECT 1 FROM tds_dead_letters WHERE resolved_at IS NULL) AS due",
);

/// Every named statement of this module.
pub const ALL: [Statement; 1] = [CYCLE_DUE];
