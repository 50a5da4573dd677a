//! Spin's HTTP route matching.
//!
//! - `/...` catches every path; `/a/...` matches `/a`, `/a/` and `/a/x/y`, segment by
//!   segment (so not `/ab`).
//! - An exact route `/a` matches `/a` and `/a/`.
//! - `:name` segments match any one segment and bind it as a parameter.
//! - Matching is case-sensitive; when several routes match, the most specific wins: an
//!   exact route beats a wildcard, more literal segments beat fewer, a literal segment beats
//!   a parameter.
//! - A service chaining request gets Spin's synthetic match ([`RouteMatch::synthetic`]):
//!   route `/...`, the whole path as path info.

use std::collections::BTreeMap;

/// One route as written in `[[trigger.http]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    raw: String,
    segments: Vec<Segment>,
    wildcard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// A successful match of a request path against a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The route as written in the manifest (`spin-raw-component-route`, `spin-matched-route`).
    pub raw_route: String,
    /// The route without a trailing `/...` (`spin-component-route`).
    pub component_route: String,
    /// The part of the path after the matched prefix (`spin-path-info`).
    pub path_info: String,
    /// `:name` segments bound to their values (`spin-path-match-<name>`).
    pub params: BTreeMap<String, String>,
}

impl RouteMatch {
    /// The match Spin makes up for a service chaining request to `path`: as if the
    /// component were routed at `/...`, so the whole path is the path info and the
    /// component route is empty.
    ///
    /// ```
    /// use tds::http_trigger::routes::RouteMatch;
    /// let m = RouteMatch::synthetic("/api/items");
    /// assert_eq!((m.raw_route.as_str(), m.component_route.as_str()), ("/...", ""));
    /// assert_eq!(m.path_info, "/api/items");
    /// ```
    pub fn synthetic(path: &str) -> Self {
        Self {
            raw_route: "/...".to_string(),
            component_route: String::new(),
            path_info: path.to_string(),
            params: BTreeMap::new(),
        }
    }
}

/// A route string that Spin would not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("route {route:?} is invalid: {reason}")]
pub struct RouteError {
    pub route: String,
    pub reason: &'static str,
}

impl Route {
    /// Parses a manifest route.
    ///
    /// ```
    /// use tds::http_trigger::routes::Route;
    /// let route = Route::parse("/webhooks/zoho/...").unwrap();
    /// let m = route.matches("/webhooks/zoho/items").unwrap();
    /// assert_eq!(m.path_info, "/items");
    /// assert!(route.matches("/webhooks/zohoitems").is_none());
    /// ```
    pub fn parse(raw: &str) -> Result<Self, RouteError> {
        let error = |reason| RouteError {
            route: raw.to_string(),
            reason,
        };
        if !raw.starts_with('/') {
            return Err(error("a route must start with '/'"));
        }
        let (body, wildcard) = match raw.strip_suffix("/...") {
            Some(prefix) => (prefix, true),
            None if raw.contains("...") => return Err(error("'...' is only allowed as the last segment, after '/'")),
            None => (raw, false),
        };
        let segments = body
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix(':') {
                Some("") => Err(error("a ':' parameter needs a name")),
                Some(name) => Ok(Segment::Param(name.to_string())),
                None => Ok(Segment::Literal(s.to_string())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            raw: raw.to_string(),
            segments,
            wildcard,
        })
    }

    /// The route as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Matches a request path (without the query string).
    pub fn matches(&self, path: &str) -> Option<RouteMatch> {
        let trimmed = path.strip_prefix('/')?;
        let mut parts: Vec<&str> = if trimmed.is_empty() { Vec::new() } else { trimmed.split('/').collect() };
        if !self.wildcard && parts.last() == Some(&"") {
            parts.pop();
        }
        if parts.len() < self.segments.len() || (!self.wildcard && parts.len() != self.segments.len()) {
            return None;
        }
        let mut params = BTreeMap::new();
        for (segment, part) in self.segments.iter().zip(&parts) {
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Param(name) if !part.is_empty() => {
                    params.insert(name.clone(), (*part).to_string());
                }
                _ => return None,
            }
        }
        let path_info = if self.wildcard {
            let rest = &parts[self.segments.len()..];
            if rest.is_empty() { String::new() } else { format!("/{}", rest.join("/")) }
        } else {
            String::new()
        };
        Some(RouteMatch {
            raw_route: self.raw.clone(),
            component_route: self.raw.strip_suffix("/...").unwrap_or(&self.raw).to_string(),
            path_info,
            params,
        })
    }

    /// Orders routes by specificity: larger is more specific.
    fn specificity(&self) -> (bool, usize, usize) {
        let literals = self.segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count();
        (!self.wildcard, self.segments.len(), literals)
    }
}

/// A set of routes, each leading to a value (the component it serves).
#[derive(Debug, Clone)]
pub struct Router<T> {
    routes: Vec<(Route, T)>,
}

impl<T> Router<T> {
    /// Builds a router; a route declared twice is an error, as in Spin.
    pub fn new(routes: impl IntoIterator<Item = (Route, T)>) -> Result<Self, RouteError> {
        let mut collected: Vec<(Route, T)> = Vec::new();
        for (route, value) in routes {
            if collected.iter().any(|(r, _)| r.segments == route.segments && r.wildcard == route.wildcard) {
                return Err(RouteError {
                    route: route.raw,
                    reason: "the same route is declared twice",
                });
            }
            collected.push((route, value));
        }
        collected.sort_by_key(|b| std::cmp::Reverse(b.0.specificity()));
        Ok(Self { routes: collected })
    }

    /// The most specific route matching `path`.
    pub fn route(&self, path: &str) -> Option<(RouteMatch, &T)> {
        self.routes
            .iter()
            .find_map(|(route, value)| route.matches(path).map(|m| (m, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[&str]) -> Router<String> {
        Router::new(routes.iter().map(|r| (Route::parse(r).unwrap(), r.to_string()))).unwrap()
    }

    fn winner(router: &Router<String>, path: &str) -> Option<String> {
        router.route(path).map(|(_, v)| v.clone())
    }

    #[test]
    fn catch_all_matches_everything() {
        let r = router(&["/..."]);
        assert_eq!(winner(&r, "/"), Some("/...".into()));
        assert_eq!(winner(&r, "/a/b/c"), Some("/...".into()));
        assert_eq!(r.route("/a/b").unwrap().0.path_info, "/a/b");
    }

    #[test]
    fn prefix_wildcard_matches_per_segment() {
        let r = router(&["/a/..."]);
        for path in ["/a", "/a/", "/a/x/y"] {
            assert!(winner(&r, path).is_some(), "{path}");
        }
        assert!(winner(&r, "/ab").is_none());
        assert_eq!(r.route("/a/x/y").unwrap().0.path_info, "/x/y");
        assert_eq!(r.route("/a").unwrap().0.path_info, "");
    }

    #[test]
    fn exact_route_also_matches_trailing_slash() {
        let r = router(&["/health"]);
        assert!(winner(&r, "/health").is_some());
        assert!(winner(&r, "/health/").is_some());
        assert!(winner(&r, "/health/x").is_none());
        assert!(winner(&r, "/Health").is_none(), "matching is case-sensitive");
    }

    #[test]
    fn most_specific_wins() {
        let r = router(&["/...", "/api/...", "/api/health", "/api/:thing"]);
        assert_eq!(winner(&r, "/api/health"), Some("/api/health".into()));
        assert_eq!(winner(&r, "/api/queue"), Some("/api/:thing".into()));
        assert_eq!(winner(&r, "/api/queue/x"), Some("/api/...".into()));
        assert_eq!(winner(&r, "/other"), Some("/...".into()));
    }

    #[test]
    fn params_are_bound() {
        let r = router(&["/webhooks/:source/:module"]);
        let (m, _) = r.route("/webhooks/zoho/items").unwrap();
        assert_eq!(m.params["source"], "zoho");
        assert_eq!(m.params["module"], "items");
        assert!(r.route("/webhooks/zoho").is_none());
    }

    #[test]
    fn component_route_drops_the_wildcard() {
        let r = router(&["/webhooks/zoho/..."]);
        let (m, _) = r.route("/webhooks/zoho/items").unwrap();
        assert_eq!(m.component_route, "/webhooks/zoho");
        assert_eq!(m.raw_route, "/webhooks/zoho/...");
    }

    #[test]
    fn invalid_routes_are_refused() {
        assert!(Route::parse("health").is_err());
        assert!(Route::parse("/a/.../b").is_err());
        assert!(Route::parse("/a/:").is_err());
        assert!(Router::new([("/a", 1), ("/a", 2)].map(|(r, v)| (Route::parse(r).unwrap(), v))).is_err());
    }
}
