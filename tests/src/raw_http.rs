//! Requests written by hand over TCP, for what an HTTP client library will not send: a
//! body cut short, chunks without end, a head that stalls. Every request asks the server
//! to close the connection after its answer, so an answer is read to the close.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _};

/// A request line and headers, written by hand (`Host` and `Connection: close` added).
pub fn request_head(method: &str, path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// One chunk of a chunked body.
pub fn chunk(data: &[u8]) -> Vec<u8> {
    [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat()
}

/// The last chunk, which ends a chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// The status and text of an answer read until the server closes, or `None` when none
/// came within `limit`.
pub async fn read_answer(
    stream: &mut (impl AsyncRead + Unpin),
    limit: Duration,
) -> Option<(u16, String)> {
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    Some((status, text))
}
