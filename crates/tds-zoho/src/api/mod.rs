//! Requests to the Zoho Books API and reading its answers.
//!
//! - Lists: `GET <api>/<module>?organization_id=…&page=…&per_page=…` (200 per page at most),
//!   no sort and no filter. The answer holds the records under the module's list key
//!   ([`list_keys`]) and `page_context.has_more_page`. Lists omit line items.
//! - Details: `GET <api>/<module>/<id>?organization_id=…`, the record under its wrapper key
//!   (`invoice`, `payment`, …).
//! - Every answer carries `{"code": n, "message": "…"}`; code 0 is success. HTTP 429 and
//!   code 45 (*unconfirmed*: "request limit exceeded", third-party documentation) mean the
//!   rate limit; HTTP 401 and code 57 an access token to refresh; HTTP 404, or code 1002
//!   ("does not exist") under any status, a record that is gone.

mod request;
mod response;

pub use request::{detail_url, refresh_form, ListRequest};
pub use response::{
    fingerprint, judge, modified_at, parse_detail, parse_list, parse_token, Listed, Page, Token,
    Verdict,
};

use tds_core::entity::Module;

/// The most records Zoho lists per page.
pub const MAX_PER_PAGE: u32 = 200;

/// Zoho's code for an invalid or expired access token.
pub const CODE_INVALID_TOKEN: i64 = 57;

/// Zoho's code for a record that does not exist (docs/zoho.md, "Errors": "Invoice does not
/// exist."); Zoho does not say which HTTP status comes with it.
pub const CODE_NOT_FOUND: i64 = 1002;

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

/// The module's path in the Books API (its registry entry's `books`); `None` for a
/// module Books does not serve.
///
/// ```
/// use tds_core::entity::Module;
/// use tds_zoho::api::books_path;
/// assert_eq!(books_path(Module::CustomerPayments), Some("customerpayments"));
/// assert_eq!(books_path(Module::PriceBooks), None);
/// ```
pub fn books_path(module: Module) -> Option<&'static str> {
    module.spec().books.map(|books| books.path)
}

/// The keys under which a list answer of `module` may hold its records (its registry
/// entry's `books.list_keys`): the first as Zoho's API reference pages show it, and
/// where Zoho's sources disagree, each documented form (docs/zoho.md, "Lists").
///
/// ```
/// use tds_core::entity::Module;
/// use tds_zoho::api::list_keys;
/// assert_eq!(list_keys(Module::CustomerPayments), ["customerpayments", "customer_payments"]);
/// assert_eq!(list_keys(Module::Invoices), ["invoices"]);
/// assert!(list_keys(Module::PriceBooks).is_empty());
/// ```
pub fn list_keys(module: Module) -> &'static [&'static str] {
    module.spec().books.map_or(&[], |books| books.list_keys)
}
