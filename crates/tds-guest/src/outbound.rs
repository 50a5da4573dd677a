//! Outbound HTTP through `wasi:http` (spin-sdk), given up after a timeout on the monotonic
//! clock. The host refuses destinations outside the component's `allowed_outbound_hosts`
//! before connecting; callers name that in their own error messages.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use spin_sdk::http::{Request, Response, SendError};
use wasi::clocks::monotonic_clock;

/// Sends `request` and waits for its answer; `None` once `timeout` has passed (the request
/// is then dropped, which cancels it).
pub fn send_within(request: Request, timeout: Duration) -> Option<Result<Response, SendError>> {
    spin_sdk::http::run(within(
        timeout,
        spin_sdk::http::send::<_, Response>(request),
    ))
}

/// `future`'s output, or `None` once `timeout` has passed (the future is then dropped).
async fn within<F: Future>(timeout: Duration, future: F) -> Option<F::Output> {
    let nanos = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
    let deadline = monotonic_clock::now().saturating_add(nanos);
    let mut future = std::pin::pin!(future);
    let mut timer: Option<spin_executor::CancelToken> = None;
    std::future::poll_fn(move |cx| {
        if let Some(previous) = timer.take() {
            previous.cancel();
        }
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        if monotonic_clock::now() >= deadline {
            return Poll::Ready(None);
        }
        timer = Some(spin_executor::push_waker_and_get_token(
            monotonic_clock::subscribe_instant(deadline),
            cx.waker().clone(),
        ));
        Poll::Pending
    })
    .await
}
