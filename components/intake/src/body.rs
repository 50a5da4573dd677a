//! Reading the body as it arrives, within the size limit (docs/design.md, "Intake
//! contract").

use futures::StreamExt as _;
use spin_sdk::http::IncomingRequest;
use tds_core::payload::MAX_BODY_BYTES;
use tds_guest::http::HttpError;

/// Reads the body as it arrives, never more than [`MAX_BODY_BYTES`] (413 once it goes
/// beyond, however it is framed); a body the client stops sending before its end (a closed
/// or reset connection, a `Content-Length` not reached) is 400 `body_incomplete`.
pub async fn read(incoming: IncomingRequest) -> Result<Vec<u8>, HttpError> {
    let mut chunks = incoming.into_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| {
            HttpError::new(
                400,
                "body_incomplete",
                format!(
                    "the body ended before it was complete ({}); send the whole request again",
                    e.to_debug_string()
                ),
            )
        })?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            let message = format!("the body has more than {MAX_BODY_BYTES} bytes, the limit");
            return Err(HttpError::new(413, "payload_too_large", message));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
