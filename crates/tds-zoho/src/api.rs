//! Requests to the Zoho Books API and reading its answers.
//!
//! - Lists: `GET <api>/<module>?organization_id=…&page=…&per_page=…` (200 per page at most),
//!   sorted by `last_modified_time` ascending where Zoho allows it, optionally filtered
//!   with `last_modified_time=<since>`. The answer holds the records under the module's name
//!   and `page_context.has_more_page`. Lists omit line items.
//! - Details: `GET <api>/<module>/<id>?organization_id=…`, the record under its wrapper key
//!   (`invoice`, `payment`, …).
//! - Every answer carries `{"code": n, "message": "…"}`; code 0 is success. HTTP 429 and
//!   code 45 (*unconfirmed*: "request limit exceeded", third-party documentation) mean the
//!   rate limit; HTTP 401 and code 57 an access token to refresh.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tds_core::entity::Module;
use tds_core::normalize::EntityId;
use tds_core::time::parse_zoho_timestamp;

/// The most records Zoho lists per page.
pub const MAX_PER_PAGE: u32 = 200;

/// Zoho's code for an invalid or expired access token.
pub const CODE_INVALID_TOKEN: i64 = 57;

/// Zoho codes that mean the rate limit was hit (*unconfirmed*, see the module doc).
pub const RATE_LIMIT_CODES: [i64; 1] = [45];

/// Why an answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("the answer is not JSON: {0}")]
    NotJson(String),
    #[error("the answer has no {0:?} list")]
    MissingList(String),
    #[error("the answer has no {0:?} record")]
    MissingRecord(String),
    #[error("the token answer has no access_token ({0})")]
    NoAccessToken(String),
    #[error("module {0} is not served by the Zoho Books API")]
    NotInBooks(&'static str),
}

/// The module's path in the Books API, which is also the key its list answers use;
/// `None` for modules of Zoho Inventory.
///
/// ```
/// use tds_core::entity::Module;
/// use tds_zoho::api::books_path;
/// assert_eq!(books_path(Module::CustomerPayments), Some("customerpayments"));
/// assert_eq!(books_path(Module::PriceBooks), None);
/// ```
pub fn books_path(module: Module) -> Option<&'static str> {
    match module {
        Module::InventoryAdjustments | Module::PriceBooks => None,
        other => Some(other.as_str()),
    }
}

/// Whether the module's list takes the `last_modified_time` filter (docs/zoho.md, "REST API": invoices,
/// bills, sales orders, purchase orders, vendor payments); others are swept whole.
pub fn filters_by_modified_time(module: Module) -> bool {
    matches!(
        module,
        Module::Invoices
            | Module::Bills
            | Module::SalesOrders
            | Module::PurchaseOrders
            | Module::VendorPayments
    )
}

/// A Zoho timestamp for a query: UTC with a `+0000` offset.
///
/// ```
/// let t = tds_core::time::parse_zoho_timestamp("2024-03-01T10:00:00+0530").unwrap();
/// assert_eq!(tds_zoho::api::zoho_time(&t), "2024-03-01T04:30:00+0000");
/// ```
pub fn zoho_time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

/// One list page to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub module: Module,
    pub page: u32,
    pub per_page: u32,
    /// Only records modified at or after this time (modules that filter by it).
    pub since: Option<DateTime<Utc>>,
}

impl ListRequest {
    /// The URL under `api_url` for organisation `organization_id`.
    ///
    /// ```
    /// use tds_core::entity::Module;
    /// use tds_zoho::api::ListRequest;
    /// let since = tds_core::time::parse_zoho_timestamp("2024-03-01T00:00:00+0000");
    /// let r = ListRequest { module: Module::Invoices, page: 2, per_page: 500, since };
    /// assert_eq!(
    ///     r.url("https://www.zohoapis.com/books/v3", "42").unwrap(),
    ///     "https://www.zohoapis.com/books/v3/invoices?organization_id=42&page=2&per_page=200\
    ///      &sort_column=last_modified_time&sort_order=A&last_modified_time=2024-03-01T00%3A00%3A00%2B0000"
    /// );
    /// let items = ListRequest { module: Module::Items, page: 1, per_page: 50, since };
    /// assert!(!items.url("https://x/books/v3", "42").unwrap().contains("last_modified_time="));
    /// ```
    pub fn url(&self, api_url: &str, organization_id: &str) -> Result<String, ApiError> {
        let path = books_path(self.module).ok_or(ApiError::NotInBooks(self.module.as_str()))?;
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("organization_id", organization_id)
            .append_pair("page", &self.page.max(1).to_string())
            .append_pair(
                "per_page",
                &self.per_page.clamp(1, MAX_PER_PAGE).to_string(),
            );
        if self.module != Module::Items {
            query
                .append_pair("sort_column", "last_modified_time")
                .append_pair("sort_order", "A");
        }
        if let Some(since) = self.since.filter(|_| filters_by_modified_time(self.module)) {
            query.append_pair("last_modified_time", &zoho_time(&since));
        }
        Ok(format!(
            "{}/{path}?{}",
            api_url.trim_end_matches('/'),
            query.finish()
        ))
    }
}

/// The URL of one record with its lines.
///
/// ```
/// use tds_core::entity::Module;
/// assert_eq!(
///     tds_zoho::api::detail_url("https://a/books/v3", Module::Items, "7", "901").unwrap(),
///     "https://a/books/v3/items/901?organization_id=7"
/// );
/// ```
pub fn detail_url(
    api_url: &str,
    module: Module,
    organization_id: &str,
    id: &str,
) -> Result<String, ApiError> {
    let path = books_path(module).ok_or(ApiError::NotInBooks(module.as_str()))?;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("organization_id", organization_id)
        .finish();
    let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    Ok(format!(
        "{}/{path}/{id}?{query}",
        api_url.trim_end_matches('/')
    ))
}

/// A record as a list shows it: its id and when it was last modified.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub id: EntityId,
    /// `last_modified_time`, else `updated_time`; `None` when the list shows neither.
    pub modified_at: Option<DateTime<Utc>>,
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

/// Reads a list answer of `module`.
///
/// ```
/// use tds_core::entity::Module;
/// let body = br#"{"code":0,"invoices":[{"invoice_id":9007199254740993123,"last_modified_time":"2024-03-01T10:00:00+0530"}],
///                 "page_context":{"page":1,"has_more_page":true}}"#;
/// let page = tds_zoho::api::parse_list(Module::Invoices, body).unwrap();
/// assert_eq!(page.records[0].id.as_str(), "9007199254740993123");
/// assert!(page.has_more);
/// ```
pub fn parse_list(module: Module, body: &[u8]) -> Result<Page, ApiError> {
    let path = books_path(module).ok_or(ApiError::NotInBooks(module.as_str()))?;
    let value = parse_json(body)?;
    let list = value
        .get(path)
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::MissingList(path.to_string()))?;
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
            }),
            Err(why) => unreadable.push(format!("record {i}: {id_field} {why}")),
        }
    }
    let has_more = value
        .pointer("/page_context/has_more_page")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(Page {
        records,
        has_more,
        unreadable,
    })
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
/// assert!(matches!(judge(404, br#"{"code":2,"message":"Invalid ID"}"#), Verdict::Permanent(_)));
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
    } else if status >= 500 {
        Verdict::Transient(describe())
    } else if !(200..300).contains(&status) || code.is_some_and(|c| c != 0) {
        Verdict::Permanent(describe())
    } else {
        Verdict::Ok
    }
}

/// The form body of a refresh-token grant.
///
/// ```
/// assert_eq!(
///     tds_zoho::api::refresh_form("id", "s&cret", "r"),
///     "grant_type=refresh_token&client_id=id&client_secret=s%26cret&refresh_token=r"
/// );
/// ```
pub fn refresh_form(client_id: &str, client_secret: &str, refresh_token: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "refresh_token")
        .append_pair("client_id", client_id)
        .append_pair("client_secret", client_secret)
        .append_pair("refresh_token", refresh_token)
        .finish()
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
        )
        .unwrap();
        assert_eq!(
            page.latest(),
            parse_zoho_timestamp("2024-01-02T00:00:00+0000")
        );
        assert!(parse_list(Module::Bills, br#"{"code":0}"#).is_err());
        assert!(parse_list(Module::Bills, b"<html>").is_err());
    }

    #[test]
    fn inventory_modules_are_not_in_books() {
        let r = ListRequest {
            module: Module::InventoryAdjustments,
            page: 1,
            per_page: 10,
            since: None,
        };
        assert_eq!(
            r.url("https://x", "1"),
            Err(ApiError::NotInBooks("inventoryadjustments"))
        );
    }
}
