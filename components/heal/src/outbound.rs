//! Outbound HTTP for alert webhooks: one `POST` of a JSON body through `wasi:http`
//! (spin-sdk), given up after a timeout. The host refuses destinations outside the
//! component's `allowed_outbound_hosts` before connecting; that refusal is a failed
//! delivery like any other.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use serde_json::Value;
use spin_sdk::http::{ErrorCode, Method, Request, Response, SendError};
use wasi::clocks::monotonic_clock;

/// Where the allowed origins of the alert webhooks are set.
const ORIGIN_HINT: &str = "set alert_webhook_origin / alert_slack_webhook_origin";

/// Posts `body` to `url`; the answer's status, or why there was none.
pub fn post_json(url: &str, body: &Value, timeout: Duration) -> Result<u16, String> {
    let body = body.to_string();
    let request = Request::builder()
        .method(Method::Post)
        .uri(url)
        .header("content-type", "application/json")
        .header("content-length", body.len().to_string())
        .header("user-agent", "tds-heal")
        .body(body)
        .build();
    let sent = spin_sdk::http::run(within(
        timeout,
        spin_sdk::http::send::<_, Response>(request),
    ));
    match sent {
        None => Err(format!("no answer within {} ms", timeout.as_millis())),
        Some(Ok(response)) => Ok(*response.status()),
        Some(Err(SendError::Http(ErrorCode::HttpRequestDenied))) => Err(format!(
            "refused by the host: the origin of {url:?} is not in heal's allowed_outbound_hosts \
             ({ORIGIN_HINT})"
        )),
        // spin-sdk writes the body before it reads the answer, so a request the host refused
        // shows as a closed body stream.
        Some(Err(SendError::Io(e))) => Err(format!(
            "the request body could not be sent ({e}): the connection closed, or the host \
             refused the request because the origin of {url:?} is not in heal's \
             allowed_outbound_hosts ({ORIGIN_HINT})"
        )),
        Some(Err(e)) => Err(e.to_string()),
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
