//! Outbound HTTP for alert webhooks: one `POST` of a JSON body through `wasi:http`
//! (spin-sdk), given up after a timeout. The host refuses destinations outside the
//! component's `allowed_outbound_hosts` before connecting; that refusal is a failed
//! delivery like any other.

use std::time::Duration;

use serde_json::Value;
use spin_sdk::http::{ErrorCode, Method, Request, SendError};
use tds_guest::outbound::send_within;

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
    let sent = send_within(request, timeout);
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
