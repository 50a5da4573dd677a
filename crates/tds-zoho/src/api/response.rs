//! Reading answers: list pages and detail records, the verdict on an answer's status and
//! Zoho's `code`, and the token endpoint's answer.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tds_core::entity::Module;
use tds_core::normalize::EntityId;
use tds_core::time::parse_zoho_timestamp;

use tds_core::normalize::ContentHash;

use super::{
    books_path, list_keys, ApiError, CODE_INVALID_TOKEN, CODE_NOT_FOUND, RATE_LIMIT_CODES,
};

/// A record as a list shows it: its id, when it was last modified, and a fingerprint of
/// its row.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub id: EntityId,
    /// `last_modified_time`, else `updated_time`; `None` when the list shows neither.
    pub modified_at: Option<DateTime<Utc>>,
    /// [`fingerprint`] of the list row.
    pub fingerprint: String,
}

/// One list page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub records: Vec<Listed>,
    pub has_more: bool,
    /// Records without a usable id: what was wrong with each.
    pub unreadable: Vec<String>,
}

impl Page {
    /// The latest modification time on the page.
    pub fn latest(&self) -> Option<DateTime<Utc>> {
        self.records.iter().filter_map(|r| r.modified_at).max()
    }
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::NotJson(e.to_string()))
}

/// Reads a list answer of `module`, its records under any of the module's [`list_keys`].
/// Whether more pages follow is `page_context.has_more_page`; where the answer has none
/// (Zoho's documents of several lists show no `page_context`), a page filled to
/// `per_page` is taken to have more — an empty last page costs one request, a missed page
/// would cost records.
///
/// ```
/// use tds_core::entity::Module;
/// let body = br#"{"code":0,"invoices":[{"invoice_id":9007199254740993123,"last_modified_time":"2024-03-01T10:00:00+0530"}],
///                 "page_context":{"page":1,"has_more_page":true}}"#;
/// let page = tds_zoho::api::parse_list(Module::Invoices, body, 200).unwrap();
/// assert_eq!(page.records[0].id.as_str(), "9007199254740993123");
/// assert!(page.has_more);
/// let body = br#"{"code":0,"customer_payments":[{"payment_id":"7"}],"page_context":{"has_more_page":false}}"#;
/// let page = tds_zoho::api::parse_list(Module::CustomerPayments, body, 200).unwrap();
/// assert_eq!((page.records[0].id.as_str(), page.records[0].modified_at), ("7", None));
/// let no_context = br#"{"code":0,"creditnotes":[{"creditnote_id":"1"},{"creditnote_id":"2"}]}"#;
/// assert!(tds_zoho::api::parse_list(Module::CreditNotes, no_context, 2).unwrap().has_more);
/// assert!(!tds_zoho::api::parse_list(Module::CreditNotes, no_context, 3).unwrap().has_more);
/// ```
pub fn parse_list(module: Module, body: &[u8], per_page: u32) -> Result<Page, ApiError> {
    books_path(module).ok_or(ApiError::NotInBooks(module.as_str()))?;
    let value = parse_json(body)?;
    let keys = list_keys(module);
    let list = keys
        .iter()
        .find_map(|key| value.get(*key).and_then(Value::as_array))
        .ok_or_else(|| ApiError::MissingList(keys.join(" or ")))?;
    let id_field = module.spec().id_field;
    let mut records = Vec::with_capacity(list.len());
    let mut unreadable = Vec::new();
    for (i, record) in list.iter().enumerate() {
        let id = record
            .get(id_field)
            .map_or_else(|| Err("is missing".to_string()), EntityId::from_json);
        match id {
            Ok(id) => records.push(Listed {
                id,
                modified_at: modified_at(record),
                fingerprint: fingerprint(record),
            }),
            Err(why) => unreadable.push(format!("record {i}: {id_field} {why}")),
        }
    }
    let has_more = value
        .pointer("/page_context/has_more_page")
        .and_then(Value::as_bool)
        .unwrap_or(list.len() >= usize::try_from(per_page).unwrap_or(usize::MAX));
    Ok(Page {
        records,
        has_more,
        unreadable,
    })
}

/// The fingerprint of a list row: the SHA-256 of its canonical JSON without its time
/// fields ([`ContentHash`]), so a row whose fields changed has a new one even where the
/// list shows no modification time.
///
/// ```
/// use serde_json::json;
/// use tds_zoho::api::fingerprint;
/// let a = fingerprint(&json!({"payment_id": "1", "amount": 10.5, "date": "2024-01-01"}));
/// assert_eq!(a, fingerprint(&json!({"date": "2024-01-01", "amount": 10.5, "payment_id": "1"})));
/// assert_ne!(a, fingerprint(&json!({"payment_id": "1", "amount": 11, "date": "2024-01-01"})));
/// ```
pub fn fingerprint(record: &Value) -> String {
    match record.as_object() {
        Some(object) => ContentHash::of(object).as_str().to_string(),
        None => ContentHash::of(&Map::from_iter([("row".to_string(), record.clone())]))
            .as_str()
            .to_string(),
    }
}

/// `last_modified_time`, else `updated_time`, of a record.
pub fn modified_at(record: &Value) -> Option<DateTime<Utc>> {
    ["last_modified_time", "updated_time"]
        .iter()
        .find_map(|f| record.get(*f)?.as_str().and_then(parse_zoho_timestamp))
}

/// Reads a detail answer: the record under the module's wrapper key.
///
/// ```
/// use tds_core::entity::Module;
/// let doc = tds_zoho::api::parse_detail(Module::CustomerPayments, br#"{"code":0,"payment":{"payment_id":"5"}}"#).unwrap();
/// assert_eq!(doc["payment_id"], "5");
/// ```
pub fn parse_detail(module: Module, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value = parse_json(body)?;
    module
        .spec()
        .wrapper_keys
        .iter()
        .find_map(|key| value.get(*key).and_then(Value::as_object))
        .cloned()
        .ok_or_else(|| ApiError::MissingRecord(module.spec().wrapper_keys[0].to_string()))
}

/// What an answer means for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Success: use the body.
    Ok,
    /// Over the rate limit: wait, then ask again.
    RateLimited,
    /// The access token was refused: refresh it, then ask again.
    TokenRejected,
    /// What was asked for does not exist (HTTP 404, or code 1002 under any status): for a
    /// record, deleted in Zoho.
    NotFound(String),
    /// Zoho failed in a passing way (5xx): ask again later.
    Transient(String),
    /// The request itself is wrong (4xx, or a non-zero code): asking again will not help.
    Permanent(String),
}

/// Judges an answer by its status and Zoho's `code`.
///
/// ```
/// use tds_zoho::api::{judge, Verdict};
/// assert_eq!(judge(200, br#"{"code":0,"items":[]}"#), Verdict::Ok);
/// assert_eq!(judge(429, b""), Verdict::RateLimited);
/// assert_eq!(judge(400, br#"{"code":45,"message":"limit"}"#), Verdict::RateLimited);
/// assert_eq!(judge(401, br#"{"code":57,"message":"You are not authorized"}"#), Verdict::TokenRejected);
/// assert_eq!(judge(200, br#"{"code":57,"message":"Invalid token"}"#), Verdict::TokenRejected);
/// assert!(matches!(judge(503, b"busy"), Verdict::Transient(_)));
/// assert!(matches!(judge(404, br#"{"code":1002,"message":"Invoice does not exist."}"#), Verdict::NotFound(_)));
/// assert!(matches!(judge(400, br#"{"code":1002,"message":"Invoice does not exist."}"#), Verdict::NotFound(_)));
/// assert!(matches!(judge(400, br#"{"code":2,"message":"Invalid value passed for organization_id"}"#), Verdict::Permanent(_)));
/// ```
pub fn judge(status: u16, body: &[u8]) -> Verdict {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let code = parsed
        .as_ref()
        .and_then(|v| v.get("code"))
        .and_then(Value::as_i64);
    let message = parsed
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
    let describe = || match code {
        Some(code) => format!("HTTP {status}, code {code}: {message}"),
        None => format!("HTTP {status}: {message}"),
    };
    if status == 429 || code.is_some_and(|c| RATE_LIMIT_CODES.contains(&c)) {
        Verdict::RateLimited
    } else if status == 401 || code == Some(CODE_INVALID_TOKEN) {
        Verdict::TokenRejected
    } else if status == 404 || code == Some(CODE_NOT_FOUND) {
        Verdict::NotFound(describe())
    } else if status >= 500 {
        Verdict::Transient(describe())
    } else if !(200..300).contains(&status) || code.is_some_and(|c| c != 0) {
        Verdict::Permanent(describe())
    } else {
        Verdict::Ok
    }
}

/// A fresh access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub access_token: String,
    /// Seconds it stays valid (Zoho: 3600).
    pub expires_in: i64,
    /// The API domain Zoho names for the account, when it does.
    pub api_domain: Option<String>,
}

/// Reads the token endpoint's answer; Zoho reports a refused grant as
/// `{"error": "invalid_code"}` with status 200.
///
/// ```
/// let t = tds_zoho::api::parse_token(br#"{"access_token":"1000.abc","expires_in":3600,"api_domain":"https://www.zohoapis.com"}"#).unwrap();
/// assert_eq!((t.access_token.as_str(), t.expires_in), ("1000.abc", 3600));
/// assert!(tds_zoho::api::parse_token(br#"{"error":"invalid_code"}"#).is_err());
/// ```
pub fn parse_token(body: &[u8]) -> Result<Token, ApiError> {
    let value = parse_json(body)?;
    let access_token = value
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::NoAccessToken(
                value
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("no error named")
                    .to_string(),
            )
        })?;
    Ok(Token {
        access_token: access_token.to_string(),
        expires_in: value
            .get("expires_in")
            .and_then(Value::as_i64)
            .filter(|s| *s > 0)
            .unwrap_or(3600),
        api_domain: value
            .get("api_domain")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_records_are_reported_not_dropped_silently() {
        let page = parse_list(
            Module::Items,
            br#"{"code":0,"items":[{"item_id":"1"},{"name":"x"},{"item_id":1.5}]}"#,
            200,
        )
        .unwrap();
        assert_eq!(page.records.len(), 1);
        assert_eq!(page.unreadable.len(), 2);
        assert!(!page.has_more);
        assert_eq!(page.records[0].modified_at, None);
    }

    #[test]
    fn the_latest_time_of_a_page() {
        let page = parse_list(
            Module::Bills,
            br#"{"bills":[{"bill_id":"1","last_modified_time":"2024-01-02T00:00:00+0000"},
                          {"bill_id":"2","last_modified_time":"2024-01-01T00:00:00+0000"}]}"#,
            200,
        )
        .unwrap();
        assert_eq!(
            page.latest(),
            parse_zoho_timestamp("2024-01-02T00:00:00+0000")
        );
        assert!(parse_list(Module::Bills, br#"{"code":0}"#, 200).is_err());
        assert!(parse_list(Module::Bills, b"<html>", 200).is_err());
    }
}
