//! Outbound HTTP through `wasi:http` (spin-sdk): one request, given up after a timeout, and
//! a blocking sleep on the monotonic clock. The host refuses destinations outside the
//! component's `allowed_outbound_hosts` before connecting.

use std::time::Duration;

use spin_sdk::http::{Method, Request};
use tds_guest::outbound::send_within;
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
    let sent = send_within(request, timeout);
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
