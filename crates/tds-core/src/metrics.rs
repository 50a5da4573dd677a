//! Per-minute metric rollups (`tds_metrics`): the names heal writes, the latency
//! percentiles and how they are chosen, and which minutes a run (re)computes.
//!
//! | name | per | count | sum | min / max |
//! |---|---|---|---|---|
//! | `received` | inbox events by `received_at` | events | events | — |
//! | `duplicates` | intake's `duplicate` counters | deliveries | deliveries | — |
//! | `completed` | queue rows acknowledged, by `completed_at` (merged rows excluded) | rows | rows | — |
//! | `retried` | sync-log attempts with outcome `retry` | attempts | attempts | — |
//! | `dead` | dead letters filed, by `created_at` | letters | letters | — |
//! | `latency_e2e_ms` | completed rows: inbox `received_at` → queue `completed_at` | rows | total ms | fastest / slowest |
//! | `latency_e2e_p50_ms`, `_p95_ms`, `_p99_ms` | the same rows | rows | the percentile | the percentile |
//!
//! | `attempts_<outcome>` | sync-log attempts by `created_at`, per outcome ([`ATTEMPT_OUTCOMES`]) | attempts | attempts | — |
//! | `intake_<outcome>` | intake's counters, per outcome ([`INTAKE_OUTCOMES`]) | deliveries | deliveries | — |
//! | `runs_<status>` | finished runs by `finished_at` ([`RUN_STATUSES`]); `module` holds the component | runs | runs | — |
//! | `latency_e2e_le_<s>` | completed rows whose latency is at most `<s>` seconds ([`LATENCY_BUCKETS`]) | rows | rows | — |
//! | `apply_ms` | sync-log attempts' `duration_ms` | attempts | total ms | — |
//! | `apply_le_<s>` | attempts that took at most `<s>` seconds ([`APPLY_BUCKETS`]) | attempts | attempts | — |
//!
//! Every row is per minute, lane and module. Percentiles are nearest-rank
//! ([`nearest_rank`], PostgreSQL's `percentile_disc`): an observed value, never an
//! interpolation.
//!
//! **Running totals** (`tds_metric_totals`, behind the Prometheus counters and histograms):
//! in the transaction that replaces a window's rows, heal takes the window's old counts
//! out of the totals and adds the new ones, so a total is the sum of every minute ever
//! rolled up. Retention deletes rows of `tds_metrics` but never totals: a total only
//! grows (a recomputed minute only gains rows committed late), and a scrape reads one row
//! per series instead of the history. The totals lag the raw rows by the rollup: closed
//! minutes only, one heal cycle after the minute closed.

/// The dashboard's metric names (the first table above; [`rollup_names`] is every name
/// heal writes).
pub const NAMES: [&str; 9] = [
    "received",
    "duplicates",
    "completed",
    "retried",
    "dead",
    "latency_e2e_ms",
    "latency_e2e_p50_ms",
    "latency_e2e_p95_ms",
    "latency_e2e_p99_ms",
];

/// The sync-log outcomes counted as `attempts_<outcome>`.
pub const ATTEMPT_OUTCOMES: [&str; 5] = ["applied", "unchanged", "stale", "retry", "dead"];

/// Intake's outcomes counted as `intake_<outcome>`.
pub const INTAKE_OUTCOMES: [&str; 6] = [
    "accepted",
    "superseded",
    "duplicate",
    "invalid",
    "rejected",
    "failed",
];

/// The final statuses of runs counted as `runs_<status>`.
pub const RUN_STATUSES: [&str; 2] = ["completed", "failed"];

/// Bucket bounds (seconds) of the end-to-end latency histogram.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

/// Bucket bounds (seconds) of the apply-duration histogram.
pub const APPLY_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// The count and total of attempts' durations (ms).
pub const APPLY_MS: &str = "apply_ms";

/// The rollup name of a counter family member: `attempts_applied`, `intake_duplicate`,
/// `runs_failed`, `latency_e2e_le_2.5`, `apply_le_0.001`.
///
/// ```
/// use tds_core::metrics::{counter_name, Counter};
/// assert_eq!(counter_name(Counter::Attempts, "retry"), "attempts_retry");
/// assert_eq!(counter_name(Counter::LatencyBucket, &2.5.to_string()), "latency_e2e_le_2.5");
/// assert_eq!(counter_name(Counter::ApplyBucket, &1.0.to_string()), "apply_le_1");
/// ```
pub fn counter_name(counter: Counter, member: &str) -> String {
    format!("{}{member}", counter.prefix())
}

/// The counter families heal rolls up beside [`NAMES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Attempts,
    Intake,
    Runs,
    LatencyBucket,
    ApplyBucket,
}

impl Counter {
    /// The prefix of its rollup names.
    pub fn prefix(self) -> &'static str {
        match self {
            Counter::Attempts => "attempts_",
            Counter::Intake => "intake_",
            Counter::Runs => "runs_",
            Counter::LatencyBucket => "latency_e2e_le_",
            Counter::ApplyBucket => "apply_le_",
        }
    }

    /// Its members: outcomes, statuses or bucket bounds (as text).
    pub fn members(self) -> Vec<String> {
        match self {
            Counter::Attempts => ATTEMPT_OUTCOMES.iter().map(|s| s.to_string()).collect(),
            Counter::Intake => INTAKE_OUTCOMES.iter().map(|s| s.to_string()).collect(),
            Counter::Runs => RUN_STATUSES.iter().map(|s| s.to_string()).collect(),
            Counter::LatencyBucket => LATENCY_BUCKETS.iter().map(f64::to_string).collect(),
            Counter::ApplyBucket => APPLY_BUCKETS.iter().map(f64::to_string).collect(),
        }
    }

    /// Its rollup names.
    pub fn names(self) -> Vec<String> {
        self.members()
            .iter()
            .map(|m| counter_name(self, m))
            .collect()
    }

    /// Every family.
    pub const ALL: [Counter; 5] = [
        Counter::Attempts,
        Counter::Intake,
        Counter::Runs,
        Counter::LatencyBucket,
        Counter::ApplyBucket,
    ];
}

/// Every name a rollup run writes (and replaces when it recomputes a minute).
///
/// ```
/// let names = tds_core::metrics::rollup_names();
/// assert!(names.contains(&"completed".to_string()));
/// assert!(names.contains(&"latency_e2e_p95_ms".to_string()));
/// assert!(names.contains(&"intake_duplicate".to_string()));
/// assert!(names.contains(&"apply_ms".to_string()));
/// ```
pub fn rollup_names() -> Vec<String> {
    let mut names: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    names.push(APPLY_MS.to_string());
    names.extend(Counter::ALL.iter().flat_map(|c| c.names()));
    names
}

/// The names whose counts and sums add up into running totals: every rollup name but the
/// percentiles (a percentile of a minute does not add up).
///
/// ```
/// let totals = tds_core::metrics::total_names();
/// assert!(totals.contains(&"latency_e2e_ms".to_string()));
/// assert!(!totals.contains(&"latency_e2e_p95_ms".to_string()));
/// ```
pub fn total_names() -> Vec<String> {
    rollup_names()
        .into_iter()
        .filter(|n| !LATENCY_PERCENTILES.iter().any(|(p, _)| p == n))
        .collect()
}

/// The latency percentiles: metric name and fraction.
pub const LATENCY_PERCENTILES: [(&str, f64); 3] = [
    ("latency_e2e_p50_ms", 0.50),
    ("latency_e2e_p95_ms", 0.95),
    ("latency_e2e_p99_ms", 0.99),
];

/// The nearest-rank percentile `fraction` of `sorted` (ascending): the value at rank
/// `ceil(fraction · n)`, at least the first; `None` when empty.
///
/// ```
/// use tds_core::metrics::nearest_rank;
/// let values = [10.0, 20.0, 30.0, 40.0];
/// assert_eq!(nearest_rank(&values, 0.5), Some(20.0));
/// assert_eq!(nearest_rank(&values, 0.51), Some(30.0));
/// assert_eq!(nearest_rank(&values, 0.99), Some(40.0));
/// assert_eq!(nearest_rank(&values, 0.0), Some(10.0));
/// assert_eq!(nearest_rank(&[], 0.5), None);
/// ```
pub fn nearest_rank(sorted: &[f64], fraction: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (fraction.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Which minutes one run computes, as epoch seconds `[from, to)` on minute boundaries.
///
/// - Only closed minutes: `to` is at most the start of the current minute.
/// - Forward from the cursor (the end of what earlier runs computed; on the first run the
///   first minute with data), at most `max_minutes` per run.
/// - The last `settle_minutes` before the cursor are looked at again, because rows keep
///   their times from inside transactions that commit later (a processor batch).
///   Recomputing a minute replaces its rows, so it gives the same rows for the same data;
///   [`settled_from`] then skips the settling minutes whose rows did not change.
/// - Only when a new minute has closed: a run inside the minute the last run already
///   reached computes nothing, so heal's 15-second schedule recomputes the settling
///   minutes once a minute rather than four times. A row committed late is
///   still counted at the next minute's recompute, as long as it is within
///   `settle_minutes`.
///
/// ```
/// use tds_core::metrics::{rollup_window, RollupBounds};
/// let bounds = RollupBounds { settle_minutes: 2, max_minutes: 10 };
/// // Cursor at minute 100, now inside minute 104: recompute 98..100, then 100..104.
/// assert_eq!(rollup_window(Some(6000), None, 6240, bounds), Some((5880, 6240)));
/// // Cursor at minute 104, now still inside minute 104: nothing new, nothing recomputed.
/// assert_eq!(rollup_window(Some(6240), None, 6240, bounds), None);
/// // First run: from the first minute with data, ten minutes at most.
/// assert_eq!(rollup_window(None, Some(0), 6240, bounds), Some((0, 600)));
/// // Nothing yet.
/// assert_eq!(rollup_window(None, None, 6240, bounds), None);
/// ```
pub fn rollup_window(
    cursor: Option<i64>,
    first_data_minute: Option<i64>,
    current_minute: i64,
    bounds: RollupBounds,
) -> Option<(i64, i64)> {
    let start = cursor.or(first_data_minute)?;
    let to = (start + 60 * i64::from(bounds.max_minutes.max(1))).min(current_minute);
    let from = match cursor {
        Some(c) => c - 60 * i64::from(bounds.settle_minutes),
        None => start,
    };
    (to > start).then_some((from, to))
}

/// Where a run's window starts once the settling minutes have been recounted: at the first
/// settling minute (before the cursor) whose raw rows changed since it was last rolled up,
/// at the cursor when none did. The new minutes from the cursor on are always computed; an
/// unchanged settling minute keeps its rows.
///
/// ```
/// use tds_core::metrics::settled_from;
/// // Window 5880..6240 with the cursor at 6000: minute 5940 got a late row.
/// assert_eq!(settled_from(5880, Some(6000), Some(5940)), 5940);
/// // No settling minute changed: only the new minutes.
/// assert_eq!(settled_from(5880, Some(6000), None), 6000);
/// // First run: no cursor, the whole window is new.
/// assert_eq!(settled_from(0, None, None), 0);
/// ```
pub fn settled_from(from: i64, cursor: Option<i64>, first_changed: Option<i64>) -> i64 {
    match cursor {
        Some(c) => first_changed.map_or(c, |m| m.min(c)).max(from),
        None => from,
    }
}

/// How far a rollup run reaches (`heal_rollup_settle_minutes`, `heal_rollup_max_minutes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollupBounds {
    pub settle_minutes: u32,
    pub max_minutes: u32,
}

impl Default for RollupBounds {
    fn default() -> Self {
        RollupBounds {
            settle_minutes: 10,
            max_minutes: 60,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_observed_values() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        for (name, fraction) in LATENCY_PERCENTILES {
            let value = nearest_rank(&values, fraction).unwrap();
            assert!(values.contains(&value), "{name}");
            assert!(NAMES.contains(&name));
        }
        assert_eq!(nearest_rank(&values, 0.95), Some(95.0));
        assert_eq!(nearest_rank(&[7.0], 0.99), Some(7.0));
    }

    #[test]
    fn windows_never_reach_the_current_minute() {
        let bounds = RollupBounds {
            settle_minutes: 0,
            max_minutes: 60,
        };
        assert_eq!(rollup_window(Some(600), None, 600, bounds), None);
        assert_eq!(
            rollup_window(Some(540), None, 600, bounds),
            Some((540, 600))
        );
        let settle = RollupBounds {
            settle_minutes: 5,
            max_minutes: 60,
        };
        assert_eq!(
            rollup_window(Some(540), None, 600, settle),
            Some((240, 600))
        );
        assert_eq!(
            rollup_window(Some(600), None, 600, settle),
            None,
            "no new closed minute: the settling minutes wait for the next one"
        );
    }
}
