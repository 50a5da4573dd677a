//! `allowed_outbound_hosts`: which network destinations a component may reach.
//!
//! A component's manifest lists entries such as `postgres://db.example.com:5432`
//! or `https://*.slack.com`; every outbound PostgreSQL connection and HTTP request
//! is checked against them. The rules are Spin's (4.0.2), so an application that
//! works here works under Spin:
//!
//! - **Scheme** is required (`postgres://`, `https://`, …, or `*://` for any); an
//!   entry without one fails to parse. Schemes are letters only and compared
//!   exactly: `postgresql://db` does not grant a PostgreSQL connection, which is
//!   always checked as scheme `postgres`.
//! - **Host** is compared as written, with no DNS: `localhost` is not
//!   `127.0.0.1`. `*` matches every host, `*.example.com` every subdomain of
//!   `example.com` (but not `example.com` itself), and an IP address or CIDR block
//!   (`10.0.0.0/8`, `[fd00::/8]`) matches IP literals inside it.
//! - **Port** defaults to the scheme's well-known port when absent (see
//!   [`default_port`]); `*` matches any port and `start..end` a range that, as in
//!   Spin, includes `start` and excludes `end`. An entry with no port whose scheme
//!   has no default (`*://example.com`) is an error.
//! - **No paths**: `https://example.com/api` is an error (a trailing `/` is fine).
//!
//! Entries arrive already template-rendered (`{{ db_host }}` resolved by the
//! caller). Two refusals go beyond Spin's parser, both at load time so nothing
//! fails later at run time: an empty or inverted port range (`5500..5400`, which
//! Spin accepts and then never matches) and an empty scheme (`://host`).

mod entry;
mod error;

use std::fmt;

pub use error::OutboundError;

use entry::AllowedHost;

/// The parsed `allowed_outbound_hosts` of one component.
///
/// ```
/// use tds_factor_outbound::AllowedHosts;
///
/// let hosts = AllowedHosts::parse(&[
///     "postgres://db.example.com".to_string(),
///     "https://*.slack.com".to_string(),
/// ])?;
/// assert!(hosts.allows("postgres", "db.example.com", Some(5432)));
/// assert!(hosts.allows("postgres", "db.example.com", None));
/// assert!(!hosts.allows("postgres", "db.example.com", Some(6543)));
/// assert!(hosts.allows("https", "hooks.slack.com", None));
/// assert!(!hosts.allows("https", "slack.com", None));
/// # Ok::<(), tds_factor_outbound::OutboundError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    entries: Vec<AllowedHost>,
}

impl AllowedHosts {
    /// Parses a component's entries; the first invalid one is the error.
    pub fn parse(entries: &[String]) -> Result<AllowedHosts, OutboundError> {
        if let [only] = entries {
            if only.trim() == "insecure:allow-all" {
                return Err(OutboundError::InsecureAllowAll);
            }
        }
        let entries = entries
            .iter()
            .map(|entry| AllowedHost::parse(entry))
            .collect::<Result<_, _>>()?;
        Ok(AllowedHosts { entries })
    }

    /// Allows nothing: a component without `allowed_outbound_hosts`.
    ///
    /// ```
    /// use tds_factor_outbound::AllowedHosts;
    ///
    /// assert!(!AllowedHosts::none().allows("https", "example.com", None));
    /// ```
    pub fn none() -> AllowedHosts {
        AllowedHosts::default()
    }

    /// Whether any entry grants `scheme://host:port`.
    ///
    /// `host` is the name as the component wrote it (IPv6 literals with or
    /// without brackets); `port` `None` means the scheme's default port, and a
    /// scheme without one is then only granted by an entry with port `*`.
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port = port.or_else(|| default_port(scheme));
        self.entries
            .iter()
            .any(|entry| entry.allows(scheme, host, port))
    }
}

/// Lists the entries as the manifest wrote them, or `(none)`.
impl fmt::Display for AllowedHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.entries.is_empty() {
            return f.write_str("(none)");
        }
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            fmt::Display::fmt(entry, f)?;
        }
        Ok(())
    }
}

/// The port a scheme uses when an entry or a destination names none (Spin's list).
///
/// ```
/// use tds_factor_outbound::default_port;
///
/// assert_eq!(default_port("postgres"), Some(5432));
/// assert_eq!(default_port("https"), Some(443));
/// assert_eq!(default_port("*"), None);
/// ```
pub fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}
