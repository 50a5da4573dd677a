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
//! Every row is per minute, lane and module. Percentiles are nearest-rank
//! ([`nearest_rank`], PostgreSQL's `percentile_disc`): an observed value, never an
//! interpolation.

/// Every metric name heal writes (and replaces when it recomputes a minute).
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
/// - The last `settle_minutes` before the cursor are computed again, because rows keep
///   their times from inside transactions that commit later (a processor batch).
///   Recomputing a minute replaces its rows, so it gives the same rows for the same data.
///
/// ```
/// use tds_core::metrics::{rollup_window, RollupBounds};
/// let bounds = RollupBounds { settle_minutes: 2, max_minutes: 10 };
/// // Cursor at minute 100, now inside minute 104: recompute 98..100, then 100..104.
/// assert_eq!(rollup_window(Some(6000), None, 6240, bounds), Some((5880, 6240)));
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
    let from = match cursor {
        Some(c) => c - 60 * i64::from(bounds.settle_minutes),
        None => start,
    };
    let to = (start + 60 * i64::from(bounds.max_minutes.max(1))).min(current_minute);
    (to > from).then_some((from, to))
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
            rollup_window(Some(600), None, 600, settle),
            Some((300, 600))
        );
    }
}
