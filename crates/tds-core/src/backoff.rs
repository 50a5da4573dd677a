//! Retry delays: exponential with full jitter and a cap.
//!
//! The ceiling for attempt `n` (1-based) is `min(cap, base · 2^(n-1))`; the delay is a
//! uniformly random fraction of it. The random fraction is passed in, so the schedule is
//! testable and the caller picks the randomness. Defaults: base 1 s, cap 5 min
//! (`backoff_base_ms`, `backoff_cap_ms` in `tds_config`).

/// The retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base_ms: u64,
    pub cap_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base_ms: 1_000,
            cap_ms: 300_000,
        }
    }
}

impl Backoff {
    /// The largest delay after failed attempt `attempt` (1-based; 0 counts as 1).
    ///
    /// ```
    /// use tds_core::backoff::Backoff;
    /// let b = Backoff { base_ms: 1_000, cap_ms: 60_000 };
    /// assert_eq!([1, 2, 3, 7, 40].map(|n| b.ceiling_ms(n)), [1_000, 2_000, 4_000, 60_000, 60_000]);
    /// ```
    pub fn ceiling_ms(&self, attempt: u32) -> u64 {
        let doublings = attempt.saturating_sub(1).min(63);
        self.base_ms
            .saturating_mul(1u64 << doublings)
            .min(self.cap_ms)
    }

    /// The delay after failed attempt `attempt`, `jitter` being a random fraction in
    /// `[0, 1)` (clamped into it).
    ///
    /// ```
    /// use tds_core::backoff::Backoff;
    /// let b = Backoff::default();
    /// assert_eq!(b.delay_ms(3, 0.5), 2_000);
    /// assert_eq!(b.delay_ms(3, 0.0), 0);
    /// ```
    pub fn delay_ms(&self, attempt: u32, jitter: f64) -> u64 {
        let fraction = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        ((self.ceiling_ms(attempt) as f64) * fraction).floor() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_under_the_ceiling_and_cap() {
        let b = Backoff {
            base_ms: 500,
            cap_ms: 10_000,
        };
        for attempt in 0..100 {
            for jitter in [0.0, 0.25, 0.999_999, 1.0, 7.0, -3.0, f64::NAN] {
                let d = b.delay_ms(attempt, jitter);
                assert!(
                    d <= b.ceiling_ms(attempt) && d <= 10_000,
                    "{attempt} {jitter} {d}"
                );
            }
        }
    }

    #[test]
    fn huge_attempts_saturate() {
        let b = Backoff {
            base_ms: u64::MAX / 2,
            cap_ms: u64::MAX,
        };
        assert_eq!(b.ceiling_ms(u32::MAX), u64::MAX);
    }
}
