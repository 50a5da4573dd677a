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
//! - **Self requests** (a URL without an authority, or with the host `self.alt`) are
//!   granted by an `http` or `https` entry whose host is `self`, `self.alt` or `*`
//!   ([`AllowedHosts::allows_self_requests`]); `self` matches no real host name.
//! - **Service chaining**: `http://<component-id>.spin.internal` grants requests to
//!   that component ([`service_chaining_target`]). [`AllowedHosts::check_service_chaining`]
//!   refuses `http://*.spin.internal` and an id naming no component of the application,
//!   as Spin does whenever an application is split across hosts.
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

    /// Whether self requests are granted: requests whose URL has no authority or
    /// has the host `self.alt`, which the host sends to the application's own origin.
    ///
    /// ```
    /// use tds_factor_outbound::AllowedHosts;
    ///
    /// let parse = |e: &str| AllowedHosts::parse(&[e.to_string()]).unwrap();
    /// assert!(parse("http://self").allows_self_requests());
    /// assert!(parse("https://self.alt").allows_self_requests());
    /// assert!(parse("*://*:*").allows_self_requests());
    /// assert!(!parse("http://localhost:3000").allows_self_requests());
    /// assert!(!parse("postgres://self").allows_self_requests());
    /// // `self` is not a host name.
    /// assert!(!parse("http://self").allows("http", "self", None));
    /// ```
    pub fn allows_self_requests(&self) -> bool {
        self.entries.iter().any(AllowedHost::allows_self)
    }

    /// Refuses entries that chain to every component (`http://*.spin.internal`) or to
    /// an id that is not among `components`, the application's component ids.
    ///
    /// ```
    /// use tds_factor_outbound::{AllowedHosts, OutboundError};
    ///
    /// let parse = |e: &str| AllowedHosts::parse(&[e.to_string()]).unwrap();
    /// let components = ["sales", "web"];
    /// assert!(parse("http://sales.spin.internal").check_service_chaining(&components).is_ok());
    /// assert!(matches!(
    ///     parse("http://ghost.spin.internal").check_service_chaining(&components),
    ///     Err(OutboundError::UnknownChainingTarget { .. })
    /// ));
    /// assert!(matches!(
    ///     parse("http://*.spin.internal").check_service_chaining(&components),
    ///     Err(OutboundError::WildcardServiceChaining { .. })
    /// ));
    /// ```
    pub fn check_service_chaining<S: AsRef<str>>(
        &self,
        components: &[S],
    ) -> Result<(), OutboundError> {
        for entry in &self.entries {
            match entry.service_chaining_target() {
                Some("*") => {
                    return Err(OutboundError::WildcardServiceChaining {
                        entry: entry.to_string(),
                    })
                }
                Some(target) if !components.iter().any(|c| c.as_ref() == target) => {
                    let known: Vec<&str> = components.iter().map(AsRef::as_ref).collect();
                    return Err(OutboundError::UnknownChainingTarget {
                        entry: entry.to_string(),
                        component: target.to_string(),
                        known: known.join(", "),
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The domain of service chaining hosts: `<component-id>.spin.internal`.
pub const SERVICE_CHAINING_DOMAIN: &str = "spin.internal";

/// The component a service chaining host names: `sales` for `sales.spin.internal`
/// (a `:port` is ignored). Only one label before the domain counts, as in Spin.
///
/// ```
/// use tds_factor_outbound::service_chaining_target;
///
/// assert_eq!(service_chaining_target("sales.spin.internal"), Some("sales"));
/// assert_eq!(service_chaining_target("sales.spin.internal:8080"), Some("sales"));
/// assert_eq!(service_chaining_target("a.b.spin.internal"), None);
/// assert_eq!(service_chaining_target("spin.internal"), None);
/// assert_eq!(service_chaining_target("example.com"), None);
/// ```
pub fn service_chaining_target(host: &str) -> Option<&str> {
    let host = host.trim();
    let host = host.rsplit_once(':').map_or(host, |(host, _)| host);
    let (first, rest) = host.split_once('.')?;
    (rest == SERVICE_CHAINING_DOMAIN).then_some(first)
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
