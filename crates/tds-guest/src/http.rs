//! HTTP answers. Every answer is JSON with `content-type: application/json` and an
//! `x-request-id` header; errors have the stable shape
//! `{"error":{"code":"…","message":"…"},"request_id":"…"}`.

use serde_json::{json, Value};
use spin_sdk::http::{Method, Request, Response};

/// The longest `X-Request-Id` adopted; longer or non-printable ones are replaced.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// The request's `X-Request-Id` when it is usable (1–128 printable ASCII characters),
/// else a fresh id.
pub fn request_id(req: &Request) -> String {
    header(req, "x-request-id")
        .and_then(usable_request_id)
        .unwrap_or_else(crate::random::new_id)
}

fn usable_request_id(given: &str) -> Option<String> {
    let given = given.trim();
    let ok = !given.is_empty()
        && given.len() <= MAX_REQUEST_ID_LEN
        && given.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| given.to_string())
}

/// A header's value as text (names are case-insensitive).
pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// A JSON answer.
pub fn json_response(status: u16, body: &Value, request_id: &str) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-request-id", request_id)
        .body(body.to_string())
        .build()
}

/// The error body.
///
/// ```
/// let body = tds_guest::http::error_body("unauthorized", "bad key", "r1");
/// assert_eq!(body.to_string(), r#"{"error":{"code":"unauthorized","message":"bad key"},"request_id":"r1"}"#);
/// ```
pub fn error_body(code: &str, message: &str, request_id: &str) -> Value {
    json!({"error": {"code": code, "message": message}, "request_id": request_id})
}

/// An error answer.
pub fn error_response(status: u16, code: &str, message: &str, request_id: &str) -> Response {
    json_response(status, &error_body(code, message, request_id), request_id)
}

/// A 405 `method_not_allowed` answer with `Allow: <allow>`, as RFC 9110 requires.
pub fn method_not_allowed(allow: &str, message: &str, request_id: &str) -> Response {
    Response::builder()
        .status(405)
        .header("content-type", "application/json")
        .header("x-request-id", request_id)
        .header("allow", allow)
        .body(error_body("method_not_allowed", message, request_id).to_string())
        .build()
}

/// The answer to a request [`check_internal_post`] refused (a 405 says `Allow: POST`).
pub fn internal_refusal(refusal: Refusal, request_id: &str) -> Response {
    match refusal {
        (405, _, message) => method_not_allowed("POST", &message, request_id),
        (status, code, message) => error_response(status, code, &message, request_id),
    }
}

/// A refusal: status, code, message.
pub type Refusal = (u16, &'static str, String);

/// Checks `Authorization: Bearer <token>` against the configured token in constant time.
/// With no token configured the route accepts nothing (503 `not_configured`).
pub fn check_bearer(req: &Request, configured: Option<&str>) -> Result<(), Refusal> {
    let Some(token) = configured else {
        return Err((
            503,
            "not_configured",
            "stats_token is not set: this route accepts nothing until it is".to_string(),
        ));
    };
    let given = header(req, "authorization").and_then(|v| {
        let (scheme, credentials) = v.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| credentials.trim())
    });
    match given {
        None => Err((
            401,
            "unauthorized",
            "send Authorization: Bearer <stats_token>".to_string(),
        )),
        Some(given) if tds_core::signature::keys_match(token, given) => Ok(()),
        Some(_) => Err((
            401,
            "unauthorized",
            "the bearer token is not valid".to_string(),
        )),
    }
}

/// Admits a request to an internal route (one `POST` that runs a cycle, for platforms
/// without cron): any other method is refused with 405 saying `use POST to <purpose>`,
/// then the bearer token is checked as [`check_bearer`] does.
pub fn check_internal_post(
    req: &Request,
    purpose: &str,
    configured: Option<&str>,
) -> Result<(), Refusal> {
    if *req.method() != Method::Post {
        return Err((405, "method_not_allowed", format!("use POST to {purpose}")));
    }
    check_bearer(req, configured)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, authorization: Option<&str>) -> Request {
        let mut builder = Request::builder();
        builder.method(method).uri("/internal/heal");
        if let Some(value) = authorization {
            builder.header("authorization", value);
        }
        builder.build()
    }

    #[test]
    fn internal_posts() {
        let refusal = |method, auth: Option<&str>, token: Option<&str>| {
            check_internal_post(&request(method, auth), "run the heal cycle", token).err()
        };
        assert_eq!(
            refusal(Method::Get, Some("Bearer t"), Some("t")),
            Some((
                405,
                "method_not_allowed",
                "use POST to run the heal cycle".to_string()
            ))
        );
        assert_eq!(refusal(Method::Post, Some("Bearer t"), Some("t")), None);
        assert_eq!(refusal(Method::Post, Some("bearer  t "), Some("t")), None);
        assert_eq!(
            refusal(Method::Post, None, Some("t")).map(|r| r.0),
            Some(401)
        );
        assert_eq!(
            refusal(Method::Post, Some("Bearer u"), Some("t")).map(|r| r.0),
            Some(401)
        );
        assert_eq!(
            refusal(Method::Post, Some("Bearer t"), None).map(|r| r.0),
            Some(503)
        );
    }

    #[test]
    fn request_ids() {
        assert_eq!(usable_request_id(" abc-123 ").as_deref(), Some("abc-123"));
        assert_eq!(usable_request_id(""), None);
        assert_eq!(usable_request_id("has space"), None);
        assert_eq!(usable_request_id(&"x".repeat(129)), None);
        assert_eq!(usable_request_id("ünicode"), None);
    }
}
