//! Building requests: list and detail URLs and the refresh-token grant's form body.
//!
//! A list request names only `organization_id`, `page` and `per_page`, which Zoho documents
//! for every module's list. It asks for no sort and no filter: Zoho documents
//! `sort_column=last_modified_time` for two modules, `sort_order` for one and a
//! `last_modified_time` filter for none of the lists alike (docs/zoho.md, "Lists"), and an
//! API that ignores an undocumented parameter answers as if it were not there. The pull
//! walks every page instead and decides from each row what changed.

use tds_core::entity::Module;

use super::{books_path, ApiError, MAX_PER_PAGE};

/// One list page to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub module: Module,
    pub page: u32,
    pub per_page: u32,
}

impl ListRequest {
    /// The URL under `api_url` for organisation `organization_id`.
    ///
    /// ```
    /// use tds_core::entity::Module;
    /// use tds_zoho::api::ListRequest;
    /// let r = ListRequest { module: Module::Invoices, page: 2, per_page: 500 };
    /// assert_eq!(
    ///     r.url("https://www.zohoapis.com/books/v3", "42").unwrap(),
    ///     "https://www.zohoapis.com/books/v3/invoices?organization_id=42&page=2&per_page=200"
    /// );
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
        };
        assert_eq!(
            r.url("https://x", "1"),
            Err(ApiError::NotInBooks("inventoryadjustments"))
        );
    }
}
