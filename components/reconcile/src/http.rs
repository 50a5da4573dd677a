//! Outbound HTTP through `wasi:http` (spin-sdk): one request, given up after a timeout, and
//! a blocking sleep on the monotonic clock. The host refuses destinations outside the
//! component's `allowed_outbound_hosts` before connecting.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use spin_sdk::http::{Method, Request, Response};
use wasi::clocks::monotonic_clock;

/// An answer: status and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Sends `method url` with `headers` and `body`; the answer, or why there was none.
pub fn send(
    method: Method,
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<Answer, String> {
    let mut builder = Request::builder();
    builder.method(method).uri(url);
    for (name, value) in headers {
        builder.header(*name, value.as_str());
    }
    let request = builder.body(body).build();
    let sent = spin_sdk::http::run(within(
        timeout,
        spin_sdk::http::send::<_, Response>(request),
    ));
    match sent {
        None => Err(format!("no answer within {} ms", timeout.as_millis())),
        Some(Ok(response)) => Ok(Answer {
            status: *response.status(),
            body: response.into_body(),
        }),
        Some(Err(e)) => Err(e.to_string()),
    }
}

/// Milliseconds on the monotonic clock.
pub fn now_ms() -> u64 {
    monotonic_clock::now() / 1_000_000
}

/// Blocks for `ms` milliseconds.
pub fn sleep_ms(ms: u64) {
    if ms > 0 {
        monotonic_clock::subscribe_duration(ms.saturating_mul(1_000_000)).block();
    }
}

/// `future`'s output, or `None` once `timeout` has passed (the future is then dropped,
/// which cancels the request).
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
