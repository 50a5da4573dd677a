//! Zoho data centres: each has its own accounts server (OAuth) and API root.
//! `accounts.zoho.<dc>` and `https://www.zohoapis.<dc>/books/v3` with
//! dc ∈ com, eu, in, com.au, jp, ca, com.cn, sa.

/// A data centre TDS does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("zoho_data_center {0:?} is not one of com, eu, in, com.au, jp, ca, com.cn, sa")]
pub struct UnknownDataCenter(pub String);

/// The data centres Zoho Books runs in, by domain suffix.
pub const DATA_CENTERS: [&str; 8] = ["com", "eu", "in", "com.au", "jp", "ca", "com.cn", "sa"];

/// Where one organisation's Zoho lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `https://accounts.zoho.<dc>` (no trailing slash).
    pub accounts_url: String,
    /// `https://www.zohoapis.<dc>/books/v3` (no trailing slash).
    pub api_url: String,
}

impl Endpoints {
    /// The endpoints of data centre `dc` (`com` when blank), each overridable (tests point
    /// them at a stand-in).
    ///
    /// ```
    /// use tds_zoho::region::Endpoints;
    /// let eu = Endpoints::resolve(Some("eu"), None, None).unwrap();
    /// assert_eq!(eu.accounts_url, "https://accounts.zoho.eu");
    /// assert_eq!(eu.api_url, "https://www.zohoapis.eu/books/v3");
    /// let au = Endpoints::resolve(Some(" .com.au "), None, Some("http://127.0.0.1:9/books/v3/")).unwrap();
    /// assert_eq!(au.accounts_url, "https://accounts.zoho.com.au");
    /// assert_eq!(au.api_url, "http://127.0.0.1:9/books/v3");
    /// assert!(Endpoints::resolve(Some("mars"), None, None).is_err());
    /// ```
    pub fn resolve(
        dc: Option<&str>,
        accounts_url: Option<&str>,
        api_url: Option<&str>,
    ) -> Result<Endpoints, UnknownDataCenter> {
        let dc = dc
            .map(|d| d.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "com".to_string());
        if !DATA_CENTERS.contains(&dc.as_str()) {
            return Err(UnknownDataCenter(dc));
        }
        let given = |url: Option<&str>| {
            url.map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty())
        };
        Ok(Endpoints {
            accounts_url: given(accounts_url)
                .unwrap_or_else(|| format!("https://accounts.zoho.{dc}")),
            api_url: given(api_url)
                .unwrap_or_else(|| format!("https://www.zohoapis.{dc}/books/v3")),
        })
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
