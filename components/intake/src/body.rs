//! Reading the body as it arrives, within the size limit (docs/design.md, "Intake
//! contract").

use futures::StreamExt as _;
use spin_sdk::http::IncomingRequest;
use tds_core::payload::MAX_BODY_BYTES;
use tds_guest::http::HttpError;

/// How far past [`MAX_BODY_BYTES`] a body sent without a `Content-Length` is still read
/// (and dropped) before its 413 (4 MiB). A body refused while it is still arriving leaves
/// unread bytes behind when the host closes the connection, and the client's kernel may
/// then drop the answer with the reset; read to its end, the body gets its 413 intact.
/// Past this, the 413 is answered at once and may be lost: such a client is refused either
/// way, and is not read without end.
pub const READ_PAST_LIMIT_BYTES: usize = 4 * 1024 * 1024;

/// Reads the body as it arrives, never keeping more than [`MAX_BODY_BYTES`] (413 once it
/// goes beyond, however it is framed, after reading on to the body's end or to
/// [`READ_PAST_LIMIT_BYTES`] further); a body the client stops sending before its end (a
/// closed or reset connection, a `Content-Length` not reached) is 400 `body_incomplete`,
/// unless it was over the limit already.
pub async fn read(incoming: IncomingRequest) -> Result<Vec<u8>, HttpError> {
    let mut chunks = incoming.into_body_stream();
    let mut body = Vec::new();
    let mut dropped = 0usize;
    while let Some(chunk) = chunks.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(_) if dropped > 0 => break,
            Err(e) => {
                let message = format!(
                    "the body ended before it was complete ({}); send the whole request again",
                    e.to_debug_string()
                );
                return Err(HttpError::new(400, "body_incomplete", message));
            }
        };
        if dropped > 0 || body.len() + chunk.len() > MAX_BODY_BYTES {
            dropped += chunk.len();
            if dropped > READ_PAST_LIMIT_BYTES {
                break;
            }
        } else {
            body.extend_from_slice(&chunk);
        }
    }
    if dropped > 0 {
        let message = format!("the body has more than {MAX_BODY_BYTES} bytes, the limit");
        return Err(HttpError::new(413, "payload_too_large", message));
    }
    Ok(body)
}
