//! Zoho data centres, as Zoho's OAuth documentation lists them: each has its own accounts
//! server (OAuth) and API root — `https://accounts.zoho.<dc>` (Canada's is
//! `https://accounts.zohocloud.ca`) and `https://www.zohoapis.<dc>/books/v3`, with
//! dc ∈ com (US), eu, in, com.au, jp, ca, com.cn, sa, uk.
//!
//! A token answer names its organisation's API domain (`api_domain`); unless the API root
//! was overridden, requests go there when it is one of Zoho's API origins
//! ([`Endpoints::api_url_for`]).

use tds_core::variables::{Declared, VariableError, ZOHO_DATA_CENTER};

/// The data centres Zoho Books runs in, by domain suffix: the values the variable
/// `zoho_data_center` takes (its registry entry holds the list).
pub const DATA_CENTERS: [&str; 9] = tds_core::variables::ZOHO_DATA_CENTERS;

/// The accounts server (OAuth) of data centre `dc`.
///
/// ```
/// use tds_zoho::region::accounts_origin;
/// assert_eq!(accounts_origin("eu"), "https://accounts.zoho.eu");
/// assert_eq!(accounts_origin("ca"), "https://accounts.zohocloud.ca");
/// ```
pub fn accounts_origin(dc: &str) -> String {
    match dc {
        "ca" => "https://accounts.zohocloud.ca".to_string(),
        _ => format!("https://accounts.zoho.{dc}"),
    }
}

/// The API origin of data centre `dc`.
///
/// ```
/// assert_eq!(tds_zoho::region::api_origin("uk"), "https://www.zohoapis.uk");
/// ```
pub fn api_origin(dc: &str) -> String {
    format!("https://www.zohoapis.{dc}")
}

/// Where one organisation's Zoho lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `https://accounts.zoho.<dc>` (no trailing slash).
    pub accounts_url: String,
    /// `https://www.zohoapis.<dc>/books/v3` (no trailing slash).
    pub api_url: String,
    /// Whether `api_url` was given (`zoho_api_url`) rather than derived: then it wins over
    /// the API domain a token names.
    pub api_url_given: bool,
}

impl Endpoints {
    /// The endpoints of data centre `dc`, the raw value of `zoho_data_center` (read by its
    /// registry entry, `tds_core::variables::ZOHO_DATA_CENTER`: its default when blank),
    /// each overridable (tests point them at a stand-in).
    ///
    /// ```
    /// use tds_zoho::region::Endpoints;
    /// let eu = Endpoints::resolve(Some("eu"), None, None).unwrap();
    /// assert_eq!(eu.accounts_url, "https://accounts.zoho.eu");
    /// assert_eq!(eu.api_url, "https://www.zohoapis.eu/books/v3");
    /// let au = Endpoints::resolve(Some(" .com.au "), None, Some("http://127.0.0.1:9/books/v3/")).unwrap();
    /// assert_eq!(au.accounts_url, "https://accounts.zoho.com.au");
    /// assert_eq!(au.api_url, "http://127.0.0.1:9/books/v3");
    /// assert_eq!(Endpoints::resolve(Some("mars"), None, None).unwrap_err().name(), "zoho_data_center");
    /// ```
    pub fn resolve(
        dc: Option<&str>,
        accounts_url: Option<&str>,
        api_url: Option<&str>,
    ) -> Result<Endpoints, VariableError> {
        let dc = ZOHO_DATA_CENTER.parse(dc)?;
        Ok(Endpoints::of(dc, accounts_url, api_url))
    }

    /// The endpoints of data centre `dc`, one of [`DATA_CENTERS`] (as
    /// `ZOHO_DATA_CENTER` reads it), each overridable.
    pub fn of(dc: &str, accounts_url: Option<&str>, api_url: Option<&str>) -> Endpoints {
        let given = |url: Option<&str>| {
            url.map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty())
        };
        let api_url = given(api_url);
        Endpoints {
            accounts_url: given(accounts_url).unwrap_or_else(|| accounts_origin(dc)),
            api_url_given: api_url.is_some(),
            api_url: api_url.unwrap_or_else(|| format!("{}/books/v3", api_origin(dc))),
        }
    }

    /// The API root to call once a token answer named `api_domain`: the given
    /// `zoho_api_url` if any, else `<api_domain>/books/v3` when `api_domain` is one of
    /// Zoho's API origins (any other value is ignored), else the data centre's.
    ///
    /// ```
    /// use tds_zoho::region::Endpoints;
    /// let com = Endpoints::resolve(Some("com"), None, None).unwrap();
    /// assert_eq!(com.api_url_for(Some("https://www.zohoapis.eu")), "https://www.zohoapis.eu/books/v3");
    /// assert_eq!(com.api_url_for(Some("https://evil.example")), "https://www.zohoapis.com/books/v3");
    /// assert_eq!(com.api_url_for(None), "https://www.zohoapis.com/books/v3");
    /// let proxied = Endpoints::resolve(Some("com"), None, Some("http://127.0.0.1:9/books/v3")).unwrap();
    /// assert_eq!(proxied.api_url_for(Some("https://www.zohoapis.eu")), "http://127.0.0.1:9/books/v3");
    /// ```
    pub fn api_url_for(&self, api_domain: Option<&str>) -> String {
        let named = api_domain
            .map(|d| d.trim().trim_end_matches('/'))
            .filter(|d| DATA_CENTERS.iter().any(|dc| api_origin(dc) == *d));
        match named {
            Some(domain) if !self.api_url_given => format!("{domain}/books/v3"),
            _ => self.api_url.clone(),
        }
    }

    /// The token endpoint: `POST <accounts>/oauth/v2/token`.
    ///
    /// ```
    /// use tds_zoho::region::Endpoints;
    /// let com = Endpoints::resolve(None, None, None).unwrap();
    /// assert_eq!(com.token_url(), "https://accounts.zoho.com/oauth/v2/token");
    /// ```
    pub fn token_url(&self) -> String {
        format!("{}/oauth/v2/token", self.accounts_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_data_center_resolves() {
        for dc in DATA_CENTERS {
            let e = Endpoints::resolve(Some(dc), None, None).unwrap();
            assert!(e
                .api_url
                .starts_with(&format!("https://www.zohoapis.{dc}/")));
            assert!(e.accounts_url.ends_with(dc));
            assert!(!e.api_url_given);
        }
        assert_eq!(
            Endpoints::resolve(Some(" "), None, None).unwrap().api_url,
            "https://www.zohoapis.com/books/v3"
        );
        assert_eq!(
            Endpoints::resolve(Some("EU"), Some("http://x:1/"), None)
                .unwrap()
                .accounts_url,
            "http://x:1"
        );
    }
}
