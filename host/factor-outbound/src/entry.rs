//! One `allowed_outbound_hosts` entry: `<scheme>://<host>[:<port>]`, parsed into
//! patterns and matched against a destination.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::{default_port, service_chaining_target, OutboundError};

/// A parsed entry, displayed as written.
#[derive(Debug, Clone)]
pub(crate) struct AllowedHost {
    original: String,
    scheme: SchemePattern,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SchemePattern {
    Any,
    Exact(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// The suffix including its leading dot: `.example.com`.
    Subdomains(String),
    /// An IP address (as a one-address network) or a CIDR block.
    Network(IpNet),
    Exact(String),
    /// `self` or `self.alt`: the application's own origin, reached by self
    /// requests (see [`AllowedHost::allows_self`]); matches no host name.
    ToSelf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    Exact(u16),
    /// `start..end`: `start` included, `end` excluded.
    Range(u16, u16),
}

impl AllowedHost {
    pub(crate) fn parse(entry: &str) -> Result<AllowedHost, OutboundError> {
        let original = entry.trim();
        let (scheme, rest) = original
            .split_once("://")
            .filter(|(scheme, _)| !scheme.is_empty())
            .ok_or_else(|| OutboundError::MissingScheme {
                entry: original.to_string(),
            })?;
        let (host, port, path) = split_authority(rest);
        if !path.is_empty() {
            return Err(OutboundError::HasPath {
                entry: original.to_string(),
            });
        }
        Ok(AllowedHost {
            scheme: SchemePattern::parse(original, scheme)?,
            host: HostPattern::parse(original, host)?,
            port: PortPattern::parse(original, scheme, port)?,
            original: original.to_string(),
        })
    }

    /// `host` has no IPv6 brackets; `port` is `None` only for a scheme
    /// without a default port.
    pub(crate) fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        self.scheme.allows(scheme) && self.host.allows(host) && self.port.allows(port)
    }

    /// Whether the entry grants self requests (a URL without an authority, or
    /// with the host `self.alt`): its scheme admits `http` or `https` and its
    /// host is `self`, `self.alt` or `*`. The port plays no part.
    pub(crate) fn allows_self(&self) -> bool {
        (self.scheme.allows("http") || self.scheme.allows("https"))
            && matches!(self.host, HostPattern::Any | HostPattern::ToSelf)
    }

    /// The component this entry allows service chaining to (`<id>` of
    /// `http://<id>.spin.internal`), or `*` for `*.spin.internal`.
    pub(crate) fn service_chaining_target(&self) -> Option<&str> {
        match &self.host {
            HostPattern::Exact(host) => service_chaining_target(host),
            HostPattern::Subdomains(suffix) if suffix == ".spin.internal" => Some("*"),
            _ => None,
        }
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

/// Splits what follows `scheme://` into host, port and path (each possibly
/// empty, the path without its leading `/`; a bracketed IPv6 host keeps its
/// brackets). A `/` right after an IP address starts a CIDR prefix, not a
/// path, so a single trailing `/` is no path.
fn split_authority(rest: &str) -> (&str, &str, &str) {
    if rest.parse::<IpNet>().is_ok() {
        return (rest, "", "");
    }
    let (host, after_host) = if rest.starts_with('[') {
        match rest.find(']') {
            Some(close) => rest.split_at(close + 1),
            None => (rest, ""),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((host, port_and_path)) => match split_host_path(host) {
                (host, "") => (host, port_and_path),
                (host, path) => return (host, "", path),
            },
            None => {
                let (host, path) = split_host_path(rest);
                return (host, "", path);
            }
        }
    };
    let after_host = after_host.strip_prefix(':').unwrap_or(after_host);
    let (port, path) = after_host.split_once('/').unwrap_or((after_host, ""));
    (host, port, path)
}

/// `10.0.0.0/8` stays whole; `example.com/api` becomes host and `api`.
fn split_host_path(host: &str) -> (&str, &str) {
    if host.parse::<IpNet>().is_ok() {
        return (host, "");
    }
    host.split_once('/').unwrap_or((host, ""))
}

impl SchemePattern {
    fn parse(entry: &str, scheme: &str) -> Result<SchemePattern, OutboundError> {
        if scheme == "*" {
            return Ok(SchemePattern::Any);
        }
        if !scheme.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(OutboundError::InvalidScheme {
                entry: entry.to_string(),
                scheme: scheme.to_string(),
            });
        }
        Ok(SchemePattern::Exact(scheme.to_string()))
    }

    fn allows(&self, scheme: &str) -> bool {
        match self {
            SchemePattern::Any => true,
            SchemePattern::Exact(exact) => exact == scheme,
        }
    }
}

impl HostPattern {
    fn parse(entry: &str, host: &str) -> Result<HostPattern, OutboundError> {
        let invalid = |reason: &str| OutboundError::InvalidHost {
            entry: entry.to_string(),
            reason: reason.to_string(),
        };
        if host.is_empty() {
            return Err(invalid(
                "it is empty: name a host, an IP address, a CIDR block or '*'",
            ));
        }
        if host == "*" {
            return Ok(HostPattern::Any);
        }
        if host == "self" || host == "self.alt" {
            return Ok(HostPattern::ToSelf);
        }
        if let Some(domain) = host.strip_prefix("*.") {
            if domain.is_empty() || domain.contains('*') {
                return Err(invalid(
                    "a wildcard is allowed only as the whole host ('*') or as a leading \
                     '*.' before a domain (\"*.example.com\")",
                ));
            }
            return Ok(HostPattern::Subdomains(format!(".{domain}")));
        }
        if host.contains('*') {
            return Err(invalid(
                "a wildcard is allowed only as the whole host ('*') or as a leading \
                 '*.' before a domain (\"*.example.com\")",
            ));
        }
        if let Some(inside) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            return match inside.parse::<IpNet>() {
                Ok(network) => Ok(HostPattern::Network(network.trunc())),
                Err(_) => inside
                    .parse::<IpAddr>()
                    .map(|address| HostPattern::Network(IpNet::from(address)))
                    .map_err(|_| invalid("only IPv6 addresses and blocks go in brackets")),
            };
        }
        if let Ok(network) = host.parse::<IpNet>() {
            return Ok(HostPattern::Network(network.trunc()));
        }
        if let Ok(address) = host.parse::<IpAddr>() {
            return Ok(HostPattern::Network(IpNet::from(address)));
        }
        if host.contains(['[', ']', ':', '/']) {
            return Err(invalid(
                "it is neither a host name nor an IP address or CIDR block (write IPv6 \
                 addresses in brackets: \"postgres://[::1]:5432\")",
            ));
        }
        Ok(HostPattern::Exact(host.to_string()))
    }

    fn allows(&self, host: &str) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Subdomains(suffix) => host.ends_with(suffix.as_str()),
            HostPattern::Network(network) => host
                .parse::<IpAddr>()
                .is_ok_and(|address| network.contains(&address)),
            HostPattern::Exact(exact) => exact == host,
            HostPattern::ToSelf => false,
        }
    }
}

impl PortPattern {
    fn parse(entry: &str, scheme: &str, port: &str) -> Result<PortPattern, OutboundError> {
        let invalid = || OutboundError::InvalidPort {
            entry: entry.to_string(),
            port: port.to_string(),
        };
        if port.is_empty() {
            return default_port(scheme).map(PortPattern::Exact).ok_or_else(|| {
                OutboundError::NoDefaultPort {
                    entry: entry.to_string(),
                    scheme: scheme.to_string(),
                }
            });
        }
        if port == "*" {
            return Ok(PortPattern::Any);
        }
        if let Some((start, end)) = port.split_once("..") {
            let start: u16 = start.parse().map_err(|_| invalid())?;
            let end: u16 = end.parse().map_err(|_| invalid())?;
            if start >= end {
                return Err(invalid());
            }
            return Ok(PortPattern::Range(start, end));
        }
        port.parse().map(PortPattern::Exact).map_err(|_| invalid())
    }

    fn allows(&self, port: Option<u16>) -> bool {
        match (self, port) {
            (PortPattern::Any, _) => true,
            (PortPattern::Exact(exact), Some(port)) => *exact == port,
            (PortPattern::Range(start, end), Some(port)) => (*start..*end).contains(&port),
            (_, None) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(entry: &str) -> AllowedHost {
        AllowedHost::parse(entry).unwrap_or_else(|e| panic!("{entry}: {e}"))
    }

    #[test]
    fn splits_host_port_and_path() {
        assert_eq!(split_authority("db:5432"), ("db", "5432", ""));
        assert_eq!(split_authority("db"), ("db", "", ""));
        assert_eq!(split_authority("db/"), ("db", "", ""));
        assert_eq!(split_authority("db:5432/"), ("db", "5432", ""));
        assert_eq!(split_authority("db/api"), ("db", "", "api"));
        assert_eq!(split_authority("db:443/api"), ("db", "443", "api"));
        assert_eq!(split_authority("10.0.0.0/8"), ("10.0.0.0/8", "", ""));
        assert_eq!(
            split_authority("10.0.0.0/8:5432"),
            ("10.0.0.0/8", "5432", "")
        );
        assert_eq!(split_authority("[::1]:5432"), ("[::1]", "5432", ""));
        assert_eq!(split_authority("[fd00::/8]"), ("[fd00::/8]", "", ""));
        assert_eq!(split_authority("fd00::/8"), ("fd00::/8", "", ""));
    }

    #[test]
    fn parses_patterns() {
        let entry = parsed("postgres://db.example.com");
        assert_eq!(entry.scheme, SchemePattern::Exact("postgres".into()));
        assert_eq!(entry.host, HostPattern::Exact("db.example.com".into()));
        assert_eq!(entry.port, PortPattern::Exact(5432));

        let entry = parsed("*://*.example.com:*");
        assert_eq!(entry.scheme, SchemePattern::Any);
        assert_eq!(entry.host, HostPattern::Subdomains(".example.com".into()));
        assert_eq!(entry.port, PortPattern::Any);

        let entry = parsed("http://10.1.2.3/8:3000..3010");
        assert_eq!(
            entry.host,
            HostPattern::Network("10.0.0.0/8".parse().unwrap())
        );
        assert_eq!(entry.port, PortPattern::Range(3000, 3010));
    }
}
