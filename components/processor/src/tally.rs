//! How one event ended ([`Outcome`], the `tds_sync_log.outcome`) and the tallies of a batch
//! and of a run ([`Counts`], the `tds_sync_runs.counts`).

use serde_json::{json, Value};

/// How one event ended.
#[derive(Clone, Copy)]
pub enum Outcome {
    Applied,
    Unchanged,
    Stale,
    Retried,
    /// Returned to the queue by merging into the entity's newer unclaimed row.
    Coalesced,
    Dead,
}

impl Outcome {
    /// The `tds_sync_log.outcome` of the attempt.
    pub fn log_outcome(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Unchanged => "unchanged",
            Outcome::Stale => "stale",
            Outcome::Retried | Outcome::Coalesced => "retry",
            Outcome::Dead => "dead",
        }
    }
}

#[derive(Default, Clone, Copy)]
pub struct Counts {
    pub claimed: usize,
    pub applied: usize,
    pub unchanged: usize,
    pub stale: usize,
    pub retried: usize,
    pub coalesced: usize,
    pub dead: usize,
    pub batches: usize,
    /// Batches whose lease was extended.
    pub lease_extensions: usize,
    /// Rows of rolled-back batches given back to the queue.
    pub released: usize,
}

impl Counts {
    pub fn record(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Applied => self.applied += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Stale => self.stale += 1,
            Outcome::Retried => self.retried += 1,
            Outcome::Coalesced => self.coalesced += 1,
            Outcome::Dead => self.dead += 1,
        }
    }

    pub fn add(&mut self, other: Counts) {
        self.claimed += other.claimed;
        self.applied += other.applied;
        self.unchanged += other.unchanged;
        self.stale += other.stale;
        self.retried += other.retried;
        self.coalesced += other.coalesced;
        self.dead += other.dead;
        self.batches += other.batches;
        self.lease_extensions += other.lease_extensions;
        self.released += other.released;
    }

    /// Whether a committed batch counts as a failure of the lane: no event succeeded and at
    /// least one failed transiently.
    pub fn failed_transiently(&self) -> bool {
        self.applied + self.unchanged + self.stale == 0 && self.retried > 0
    }

    pub fn to_json(self) -> Value {
        json!({"claimed": self.claimed, "applied": self.applied, "unchanged": self.unchanged, "stale": self.stale,
               "retried": self.retried, "coalesced": self.coalesced, "dead": self.dead, "batches": self.batches,
               "lease_extensions": self.lease_extensions, "released": self.released})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts_of(outcomes: &[Outcome]) -> Counts {
        let mut counts = Counts::default();
        for outcome in outcomes {
            counts.record(*outcome);
        }
        counts
    }

    #[test]
    fn a_coalesced_event_logs_as_a_retry() {
        assert_eq!(Outcome::Retried.log_outcome(), "retry");
        assert_eq!(Outcome::Coalesced.log_outcome(), "retry");
        assert_eq!(Outcome::Dead.log_outcome(), "dead");
    }

    #[test]
    fn a_batch_fails_the_lane_only_when_nothing_succeeded_and_something_was_retried() {
        use Outcome::*;
        assert!(counts_of(&[Retried, Retried, Dead, Coalesced]).failed_transiently());
        assert!(!counts_of(&[Retried, Stale]).failed_transiently());
        assert!(!counts_of(&[Retried, Unchanged]).failed_transiently());
        assert!(!counts_of(&[Retried, Applied]).failed_transiently());
        assert!(!counts_of(&[Dead, Coalesced]).failed_transiently());
        assert!(!counts_of(&[]).failed_transiently());
    }

    #[test]
    fn adding_sums_every_count() {
        let mut run = counts_of(&[Outcome::Applied, Outcome::Dead]);
        run.claimed = 2;
        run.batches = 1;
        let mut batch = counts_of(&[Outcome::Applied, Outcome::Retried, Outcome::Coalesced]);
        batch.claimed = 3;
        batch.batches = 1;
        batch.lease_extensions = 1;
        batch.released = 4;
        run.add(batch);
        assert_eq!(
            run.to_json(),
            json!({"claimed": 5, "applied": 2, "unchanged": 0, "stale": 0, "retried": 1,
                   "coalesced": 1, "dead": 1, "batches": 2, "lease_extensions": 1, "released": 4})
        );
    }
}
