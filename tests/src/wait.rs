//! Waiting for something to happen: poll a condition until it holds, with a deadline,
//! instead of sleeping for a fixed time and hoping it happened meanwhile.
//!
//! A test waits for an event it can observe (a row, a lock wait, an answer) with
//! [`eventually`], which fails the test naming what never happened; [`within`] is the same
//! poll for a caller that handles the deadline itself (a better failure message, or a wait
//! that may come to nothing). The other sleeps of the tests pace something (sending at a
//! rate, a ticker, a fault kept up for a while, a retry backoff, idle drain loops) or are
//! the interval of a poll that needs its own failure message or sampling rate.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long [`within`] and [`eventually`] wait between two checks.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Runs `check` until it returns `Some` (its value), every [`POLL_INTERVAL`]; `None` once a
/// check after `deadline` has failed. `check` runs at least once.
pub async fn within<T, F, Fut>(deadline: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if start.elapsed() > deadline {
            return None;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Runs `check` until it returns `Some` (its value), every [`POLL_INTERVAL`]; panics with
/// `what` (the awaited event, e.g. "the queue drains") once a check after `deadline` has
/// failed.
pub async fn eventually<T, F, Fut>(deadline: Duration, what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    within(deadline, check)
        .await
        .unwrap_or_else(|| panic!("{what}: not reached within {deadline:?}"))
}
