//! Requests per minute and waits after rate-limited answers.
//!
//! Requests are spread evenly: one every `60 s / limit` and a millisecond, so no minute,
//! even one closed at both ends, holds more than the limit (Zoho documents about 100 per
//! minute per organisation). A rate-limited answer (HTTP 429, which carries no
//! `Retry-After`) holds every request back for an exponential
//! delay (`base · 2^(n-1)`, capped), `n` counting the consecutive rate-limited answers.
//! Times are milliseconds of a monotonic clock the caller reads.

use tds_core::backoff::Backoff;

/// The pacing of one run's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacer {
    interval_ms: u64,
    next_at_ms: u64,
    backoff: Backoff,
    rate_limited_in_a_row: u32,
}

impl Pacer {
    /// At most `per_minute` requests a minute (at least 1), waiting per `backoff` after a
    /// rate-limited answer.
    ///
    /// ```
    /// use tds_zoho::pacing::Pacer;
    /// use tds_core::backoff::Backoff;
    /// let mut p = Pacer::new(100, Backoff { base_ms: 1000, cap_ms: 8000 });
    /// assert_eq!(p.interval_ms(), 601);
    /// assert_eq!(p.wait_ms(0), 0);
    /// p.sent(0);
    /// assert_eq!(p.wait_ms(100), 501);
    /// p.sent(601);
    /// assert_eq!(p.rate_limited(700), 1000);
    /// assert_eq!(p.wait_ms(700), 1000);
    /// assert_eq!(p.rate_limited(1700), 2000);
    /// p.succeeded();
    /// assert_eq!(p.rate_limited(5000), 1000);
    /// ```
    pub fn new(per_minute: u32, backoff: Backoff) -> Pacer {
        Pacer {
            interval_ms: 60_000 / u64::from(per_minute.max(1)) + 1,
            next_at_ms: 0,
            backoff,
            rate_limited_in_a_row: 0,
        }
    }

    /// The spacing between two requests.
    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
    }

    /// How long to wait at `now_ms` before the next request may go.
    pub fn wait_ms(&self, now_ms: u64) -> u64 {
        self.next_at_ms.saturating_sub(now_ms)
    }

    /// A request went at `at_ms`.
    pub fn sent(&mut self, at_ms: u64) {
        self.next_at_ms = self.next_at_ms.max(at_ms.saturating_add(self.interval_ms));
    }

    /// A rate-limited answer came at `now_ms`: the delay every request is now held back.
    pub fn rate_limited(&mut self, now_ms: u64) -> u64 {
        self.rate_limited_in_a_row = self.rate_limited_in_a_row.saturating_add(1);
        let delay = self.backoff.ceiling_ms(self.rate_limited_in_a_row);
        self.next_at_ms = self.next_at_ms.max(now_ms.saturating_add(delay));
        delay
    }

    /// An answer that was not rate-limited: the backoff starts over.
    pub fn succeeded(&mut self) {
        self.rate_limited_in_a_row = 0;
    }

    /// Consecutive rate-limited answers so far.
    pub fn rate_limited_in_a_row(&self) -> u32 {
        self.rate_limited_in_a_row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_minute_holds_more_than_the_limit() {
        for limit in [7, 100] {
            holds(limit);
        }
    }

    /// No closed 60-second window, edges included, holds more than `limit` requests.
    fn holds(limit: u32) {
        let mut p = Pacer::new(limit, Backoff::default());
        let mut now = 0;
        let mut sent = Vec::new();
        for _ in 0..3 * limit {
            now += p.wait_ms(now);
            p.sent(now);
            sent.push(now);
        }
        for (i, start) in sent.iter().enumerate() {
            let in_minute = sent[i..].iter().filter(|t| **t <= start + 60_000).count();
            assert!(
                in_minute <= limit as usize,
                "{in_minute} requests in the minute from {start}"
            );
        }
    }

    #[test]
    fn the_hold_is_capped() {
        let mut p = Pacer::new(
            100,
            Backoff {
                base_ms: 10,
                cap_ms: 50,
            },
        );
        let delays: Vec<u64> = (0..5).map(|_| p.rate_limited(0)).collect();
        assert_eq!(delays, [10, 20, 40, 50, 50]);
        assert_eq!(p.rate_limited_in_a_row(), 5);
        assert_eq!(Pacer::new(0, Backoff::default()).interval_ms(), 60_001);
    }
}
