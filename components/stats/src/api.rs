//! What every route shares: the request context, answers (errors are [`HttpError`]s), the
//! database, JSON bodies and pages.

use serde_json::{json, Value};
use spin_sdk::http::{Request, Response};
use tds_core::config_values::whole_number;
use tds_core::query::{ParamError, Params};
use tds_guest::db::Db;
use tds_guest::http::{database_url, header, HttpError};

use crate::cursor::{self, Cursor, CursorError};

/// Who an operator action is recorded as when the body names no one (`"by"`).
pub const DEFAULT_ACTOR: &str = "stats-api";

/// One request being answered.
pub struct Ctx<'a> {
    pub req: &'a Request,
    pub request_id: String,
}

impl Ctx<'_> {
    /// The query parameters, allowing only `allowed`.
    pub fn params(&self, allowed: &[&str]) -> Result<Params, HttpError> {
        Ok(Params::parse(self.req.query(), allowed)?)
    }

    /// The JSON object in the body; an empty body is `{}`.
    pub fn body(&self) -> Result<serde_json::Map<String, Value>, HttpError> {
        let bytes = self.req.body();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::Map::new());
        }
        if let Some(kind) = header(self.req, "content-type") {
            if !kind.to_ascii_lowercase().starts_with("application/json") {
                return Err(HttpError::new(
                    415,
                    "unsupported_media_type",
                    format!("send the body as application/json, not {kind}"),
                ));
            }
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(HttpError::invalid_body("the body must be a JSON object")),
            Err(e) => Err(HttpError::invalid_body(format!(
                "the body is not JSON: {e}"
            ))),
        }
    }
}

/// An answer before it becomes a response.
pub enum Answer {
    Json(u16, Value),
    Static {
        content_type: &'static str,
        body: String,
    },
    Redirect(&'static str),
}

impl Answer {
    pub fn ok(body: Value) -> ApiResult {
        Ok(Answer::Json(200, body))
    }

    pub fn into_response(self, request_id: &str) -> Response {
        match self {
            Answer::Json(status, mut body) => {
                if let Value::Object(map) = &mut body {
                    map.insert("request_id".into(), json!(request_id));
                }
                tds_guest::http::json_response(status, &body, request_id)
            }
            Answer::Static { content_type, body } => Response::builder()
                .status(200)
                .header("content-type", content_type)
                .header("cache-control", "no-cache")
                .header("x-request-id", request_id)
                .body(body)
                .build(),
            Answer::Redirect(to) => Response::builder()
                .status(302)
                .header("location", to)
                .header("x-request-id", request_id)
                .build(),
        }
    }
}

pub type ApiResult = Result<Answer, HttpError>;

/// The database named by `database_url`.
pub fn db() -> Result<Db, HttpError> {
    Ok(Db::open(&database_url()?)?)
}

/// JSON text from PostgreSQL.
pub fn parse_json(text: &str) -> Result<Value, HttpError> {
    serde_json::from_str(text).map_err(|e| {
        HttpError::new(
            500,
            "internal_error",
            format!("the database returned malformed JSON: {e}"),
        )
    })
}

/// A path id: a positive whole number, else 404 (no such resource can exist).
pub fn path_id(text: &str, what: &str) -> Result<i64, HttpError> {
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| HttpError::not_found(format!("no {what} {text:?}")))
}

/// The listing's `cursor` parameter as the id to continue below: 400 for a text this API
/// never issues, 409 `cursor_out_of_scope` for a cursor of another listing or other filters.
pub fn cursor_before(params: &Params, scope: u32) -> Result<Option<i64>, HttpError> {
    params
        .text("cursor")
        .map(|text| Cursor::decode(text, scope).map(|c| c.before_id))
        .transpose()
        .map_err(|e| match e {
            CursorError::WrongScope => HttpError::conflict(
                "cursor_out_of_scope",
                format!("parameter cursor: {e}; start again without a cursor"),
            ),
            CursorError::Malformed => ParamError::new("cursor", e.to_string()).into(),
        })
}

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// The `limit` parameter.
pub fn limit(params: &Params) -> Result<i64, HttpError> {
    Ok(params.int("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)?)
}

/// One page from `(id, item)` rows fetched with `limit + 1`:
/// `{"items": […], "next_cursor": "…" | null, "limit": n}`.
pub fn page(rows: Vec<(i64, Value)>, limit: i64, scope: u32) -> Value {
    let (rows, next) = cursor::page(rows, limit as usize, scope, |r| r.0);
    json!({
        "items": rows.into_iter().map(|(_, item)| item).collect::<Vec<_>>(),
        "next_cursor": next.map(|c| c.encode()),
        "limit": limit,
    })
}

/// A listing's `(id, JSON text)` items, the JSON parsed.
pub fn json_items(
    items: impl IntoIterator<Item = (i64, String)>,
) -> Result<Vec<(i64, Value)>, HttpError> {
    items
        .into_iter()
        .map(|(id, json)| Ok((id, parse_json(&json)?)))
        .collect()
}

/// A string field of a body, as sent; `None` when absent. Another type (`null` too), an
/// empty string or a NUL character is an error naming the field.
pub fn body_text(
    body: &serde_json::Map<String, Value>,
    field: &str,
) -> Result<Option<String>, HttpError> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Err(HttpError::invalid_body(format!(
            "{field} is empty; leave it out or give it a value"
        ))),
        Some(Value::String(s)) if s.contains('\0') => Err(HttpError::invalid_body(format!(
            "{field} must not contain NUL (\\u0000)"
        ))),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(HttpError::invalid_body(format!(
            "{field} must be a string, not {other}"
        ))),
    }
}

/// A whole-number field of a body within `min..=max` (`5` and `5.0` alike, as JSON
/// Schema's `integer`), `default` when absent.
pub fn body_int(
    body: &serde_json::Map<String, Value>,
    field: &str,
    default: i64,
    (min, max): (i64, i64),
) -> Result<i64, HttpError> {
    let Some(value) = body.get(field) else {
        return Ok(default);
    };
    whole_number(value)
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            HttpError::invalid_body(format!(
                "{field} must be a whole number from {min} to {max}, not {value}"
            ))
        })
}

/// Refuses fields of `body` outside `allowed`, naming the first.
pub fn only_fields(
    body: &serde_json::Map<String, Value>,
    allowed: &[&str],
) -> Result<(), HttpError> {
    match body.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(HttpError::invalid_body(format!(
            "unknown field {k:?}; this route takes {}",
            if allowed.is_empty() {
                "no fields".to_string()
            } else {
                allowed.join(", ")
            }
        ))),
    }
}

/// Who an action is recorded as: the body's `by` (a string, trimmed), else — absent,
/// empty or blank — [`DEFAULT_ACTOR`].
pub fn actor(body: &serde_json::Map<String, Value>) -> Result<String, HttpError> {
    let by = match body.get("by") {
        Some(Value::String(s)) if s.trim().is_empty() => None,
        _ => body_text(body, "by")?,
    };
    Ok(by.map_or_else(|| DEFAULT_ACTOR.to_string(), |s| s.trim().to_string()))
}
