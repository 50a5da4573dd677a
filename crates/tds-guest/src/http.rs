//! HTTP answers. Every answer is JSON with `content-type: application/json` and an
//! `x-request-id` header; an [`HttpError`] has the stable shape
//! `{"error":{"code":"…","message":"…"},"request_id":"…"}`.

use serde_json::{json, Value};
use spin_sdk::http::{Method, OutgoingResponse, Request, Response, ResponseOutparam};
use tds_core::payload::PayloadError;
use tds_core::query::ParamError;
use tds_core::variables::{self, VariableError};

use crate::db::DbError;

/// The longest `X-Request-Id` adopted; longer or non-printable ones are replaced.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// The code of a 503 for a database that could not be reached or could not take the work.
pub const DATABASE_UNAVAILABLE: &str = "database_unavailable";

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

/// The `database_url` variable, for a route that needs the database; 503 `not_configured`
/// when it is not set.
pub fn database_url() -> Result<String, HttpError> {
    Ok(crate::vars::read(&variables::DATABASE_URL)?)
}

/// Sends `response` in full now. Spin sends an answer as soon as the handler sets it and
/// keeps the instance running until the handler returns (docs/spin.md), so work after this
/// call does not delay the caller. A failure to send is only printed: the caller is gone.
pub async fn answer_now(response_out: ResponseOutparam, mut response: Response) {
    let body = std::mem::take(response.body_mut());
    match OutgoingResponse::try_from(response) {
        Ok(outgoing) => {
            if let Err(e) = response_out.set_with_body(outgoing, body).await {
                eprintln!("could not send the answer: {e}");
            }
        }
        Err(e) => eprintln!("could not build the answer: {e}"),
    }
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

/// A refusal or failure, answered as [`error_body`] with its status.
///
/// ```
/// use tds_guest::http::HttpError;
/// let e = HttpError::new(503, "not_configured", "stats_token is not set");
/// assert_eq!((e.status, e.code, e.message.as_str()), (503, "not_configured", "stats_token is not set"));
/// assert_eq!((HttpError::not_found("no run 7").status, HttpError::not_found("").code), (404, "not_found"));
/// assert_eq!((HttpError::invalid_body("").status, HttpError::invalid_body("").code), (400, "invalid_body"));
/// assert_eq!(HttpError::conflict("already_resolved", "").status, 409);
/// assert_eq!(HttpError::database_unavailable("").code, "database_unavailable");
/// let e = HttpError::method_not_allowed("GET, PATCH", "/api/config takes GET, PATCH");
/// assert_eq!((e.status, e.code, e.allow.as_deref()), (405, "method_not_allowed", Some("GET, PATCH")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// For 405: the methods the route takes (the `Allow` header).
    pub allow: Option<String>,
    /// For 401: the `WWW-Authenticate` challenge, when the route sends one.
    pub challenge: Option<&'static str>,
}

impl HttpError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> HttpError {
        HttpError {
            status,
            code,
            message: message.into(),
            allow: None,
            challenge: None,
        }
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> HttpError {
        HttpError::new(404, "not_found", message)
    }

    /// 400 `invalid_body`.
    pub fn invalid_body(message: impl Into<String>) -> HttpError {
        HttpError::new(400, "invalid_body", message)
    }

    /// 409 with its `code`.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> HttpError {
        HttpError::new(409, code, message)
    }

    /// 503 `not_configured`: the component cannot serve the request as it is configured
    /// (`message` names the variable or setting).
    pub fn not_configured(message: impl Into<String>) -> HttpError {
        HttpError::new(503, "not_configured", message)
    }

    /// 503 [`DATABASE_UNAVAILABLE`].
    pub fn database_unavailable(message: impl Into<String>) -> HttpError {
        HttpError::new(503, DATABASE_UNAVAILABLE, message)
    }

    /// 405 `method_not_allowed` for a route taking `allow`, sent as the `Allow` header RFC
    /// 9110 requires.
    pub fn method_not_allowed(allow: impl Into<String>, message: impl Into<String>) -> HttpError {
        HttpError {
            allow: Some(allow.into()),
            ..HttpError::new(405, "method_not_allowed", message)
        }
    }

    /// Sends `WWW-Authenticate: <challenge>` if this is a 401.
    pub fn with_challenge(mut self, challenge: &'static str) -> HttpError {
        if self.status == 401 {
            self.challenge = Some(challenge);
        }
        self
    }

    /// The answer: [`error_body`] as JSON, with `Allow` and `WWW-Authenticate` when set.
    ///
    /// ```
    /// let response = tds_guest::http::HttpError::not_found("no run 7").into_response("r1");
    /// assert_eq!(*response.status(), 404);
    /// assert_eq!(
    ///     response.body(),
    ///     br#"{"error":{"code":"not_found","message":"no run 7"},"request_id":"r1"}"#
    /// );
    /// assert_eq!(response.header("content-type").and_then(|v| v.as_str()), Some("application/json"));
    /// assert_eq!(response.header("x-request-id").and_then(|v| v.as_str()), Some("r1"));
    /// ```
    pub fn into_response(self, request_id: &str) -> Response {
        let mut builder = Response::builder();
        builder
            .status(self.status)
            .header("content-type", "application/json")
            .header("x-request-id", request_id);
        if let Some(allow) = self.allow {
            builder.header("allow", allow);
        }
        if let Some(challenge) = self.challenge {
            builder.header("www-authenticate", challenge);
        }
        builder
            .body(error_body(self.code, &self.message, request_id).to_string())
            .build()
    }
}

/// As the stats API answers a database failure: 503 [`DATABASE_UNAVAILABLE`] when the
/// server did not answer, else 500 `database_error`; the message names the statement and
/// the SQLSTATE (`DbError`'s display). (The internal routes and intake answer every
/// failure with [`HttpError::database_unavailable`].)
impl From<DbError> for HttpError {
    fn from(e: DbError) -> HttpError {
        match e.sqlstate() {
            None => HttpError::database_unavailable(e.to_string()),
            Some(_) => HttpError::new(500, "database_error", e.to_string()),
        }
    }
}

/// 400 `invalid_parameter`.
impl From<ParamError> for HttpError {
    fn from(e: ParamError) -> HttpError {
        HttpError::new(400, "invalid_parameter", e.to_string())
    }
}

/// A variable the route needs, unset where it is required or outside its bounds: 503
/// `not_configured`, the message naming the variable and what to do (the one answer of an
/// HTTP route to a bad variable; `crate::vars`).
///
/// ```
/// use tds_core::variables::{Declared, MAX_ATTEMPTS};
/// use tds_guest::http::HttpError;
/// let e = HttpError::from(MAX_ATTEMPTS.parse(Some("0")).unwrap_err());
/// assert_eq!((e.status, e.code), (503, "not_configured"));
/// assert!(e.message.starts_with("variable max_attempts is \"0\""), "{}", e.message);
/// ```
impl From<VariableError> for HttpError {
    fn from(e: VariableError) -> HttpError {
        HttpError::not_configured(e.to_string())
    }
}

/// A body intake cannot read: 415 for its media type, 404 for a module TDS does not sync,
/// else 400, each with the error's own code.
impl From<PayloadError> for HttpError {
    fn from(e: PayloadError) -> HttpError {
        let (status, code) = match &e {
            PayloadError::UnsupportedMediaType(_) => (415, "unsupported_media_type"),
            PayloadError::Empty => (400, "empty_body"),
            PayloadError::InvalidJson(_) | PayloadError::InvalidJsonField { .. } => {
                (400, "invalid_json")
            }
            PayloadError::NotAnObject(_) => (400, "not_an_object"),
            PayloadError::UnknownModule(_) => (404, "unknown_module"),
            PayloadError::ModuleNotGiven => (400, "module_not_given"),
            PayloadError::AmbiguousModule(_) => (400, "ambiguous_module"),
        };
        HttpError::new(status, code, e.to_string())
    }
}

/// Checks `Authorization: Bearer <token>` against the configured token in constant time.
/// With no token configured the route accepts nothing (503 `not_configured`).
pub fn check_bearer(req: &Request, configured: Option<&str>) -> Result<(), HttpError> {
    let Some(token) = configured else {
        return Err(HttpError::new(
            503,
            "not_configured",
            "stats_token is not set: this route accepts nothing until it is",
        ));
    };
    let given = header(req, "authorization").and_then(|v| {
        let (scheme, credentials) = v.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| credentials.trim())
    });
    match given {
        None => Err(HttpError::new(
            401,
            "unauthorized",
            "send Authorization: Bearer <stats_token>",
        )),
        Some(given) if tds_core::signature::keys_match(token, given) => Ok(()),
        Some(_) => Err(HttpError::new(
            401,
            "unauthorized",
            "the bearer token is not valid",
        )),
    }
}

/// Admits a request to an internal route (one `POST` that runs a cycle, for platforms
/// without cron): any other method is refused with 405 saying `use POST to <purpose>`
/// (`Allow: POST`), then the bearer token is checked as [`check_bearer`] does.
pub fn check_internal_post(
    req: &Request,
    purpose: &str,
    configured: Option<&str>,
) -> Result<(), HttpError> {
    if *req.method() != Method::Post {
        return Err(HttpError::method_not_allowed(
            "POST",
            format!("use POST to {purpose}"),
        ));
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

    fn header_of<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
        response.header(name).and_then(|v| v.as_str())
    }

    #[test]
    fn internal_posts() {
        let refusal = |method, auth: Option<&str>, token: Option<&str>| {
            check_internal_post(&request(method, auth), "run the heal cycle", token).err()
        };
        assert_eq!(
            refusal(Method::Get, Some("Bearer t"), Some("t")),
            Some(HttpError::method_not_allowed(
                "POST",
                "use POST to run the heal cycle"
            ))
        );
        assert_eq!(refusal(Method::Post, Some("Bearer t"), Some("t")), None);
        assert_eq!(refusal(Method::Post, Some("bearer  t "), Some("t")), None);
        assert_eq!(
            refusal(Method::Post, None, Some("t")).map(|r| r.status),
            Some(401)
        );
        assert_eq!(
            refusal(Method::Post, Some("Bearer u"), Some("t")).map(|r| r.status),
            Some(401)
        );
        assert_eq!(
            refusal(Method::Post, Some("Bearer t"), None).map(|r| r.status),
            Some(503)
        );
    }

    #[test]
    fn a_405_names_the_methods_in_allow() {
        let response = HttpError::method_not_allowed("GET, PATCH", "/api/config takes GET, PATCH")
            .into_response("r1");
        assert_eq!(*response.status(), 405);
        assert_eq!(header_of(&response, "allow"), Some("GET, PATCH"));
        assert_eq!(
            header_of(&response, "content-type"),
            Some("application/json")
        );
        assert_eq!(
            response.body(),
            br#"{"error":{"code":"method_not_allowed","message":"/api/config takes GET, PATCH"},"request_id":"r1"}"#
        );
        let response = HttpError::not_found("no run 7").into_response("r1");
        assert_eq!(header_of(&response, "allow"), None);
    }

    #[test]
    fn a_401_carries_its_challenge_only_when_given_one() {
        let challenge = "Bearer realm=\"tds-stats\"";
        let refused = |token| check_bearer(&request(Method::Get, None), token).unwrap_err();
        let response = refused(Some("t")).into_response("r1");
        assert_eq!(*response.status(), 401);
        assert_eq!(header_of(&response, "www-authenticate"), None);
        let response = refused(Some("t"))
            .with_challenge(challenge)
            .into_response("r1");
        assert_eq!(header_of(&response, "www-authenticate"), Some(challenge));
        assert_eq!(
            response.body(),
            br#"{"error":{"code":"unauthorized","message":"send Authorization: Bearer <stats_token>"},"request_id":"r1"}"#
        );
        let response = refused(None).with_challenge(challenge).into_response("r1");
        assert_eq!(*response.status(), 503);
        assert_eq!(header_of(&response, "www-authenticate"), None);
    }

    #[test]
    fn errors_convert_as_their_routes_answer_them() {
        let local = HttpError::from(DbError::local("connection refused"));
        assert_eq!((local.status, local.code), (503, DATABASE_UNAVAILABLE));
        let server = HttpError::from(DbError::server("23505", "duplicate key"));
        assert_eq!(
            (server.status, server.code, server.message.as_str()),
            (500, "database_error", "duplicate key (SQLSTATE 23505)")
        );
        let param = HttpError::from(ParamError::new("limit", "must be a whole number"));
        assert_eq!(
            (param.status, param.code, param.message.as_str()),
            (
                400,
                "invalid_parameter",
                "parameter limit: must be a whole number"
            )
        );
        let payload = |e: PayloadError| {
            let e = HttpError::from(e);
            (e.status, e.code)
        };
        assert_eq!(
            payload(PayloadError::UnsupportedMediaType("text/plain".into())),
            (415, "unsupported_media_type")
        );
        assert_eq!(
            payload(PayloadError::UnknownModule("journals".into())),
            (404, "unknown_module")
        );
        assert_eq!(payload(PayloadError::Empty), (400, "empty_body"));
        assert_eq!(
            payload(PayloadError::ModuleNotGiven),
            (400, "module_not_given")
        );
        let ambiguous = PayloadError::AmbiguousModule("bill, invoice".into());
        assert_eq!(
            HttpError::from(ambiguous.clone()),
            HttpError::new(400, "ambiguous_module", ambiguous.to_string())
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
