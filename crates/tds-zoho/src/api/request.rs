//! Building requests: list and detail URLs (paging, sorting, the `last_modified_time`
//! filter) and the refresh-token grant's form body.

use chrono::{DateTime, Utc};
use tds_core::entity::Module;

use super::{books_path, ApiError, MAX_PER_PAGE};

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

#[cfg(test)]
mod tests {
    use super::*;

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
