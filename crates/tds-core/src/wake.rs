//! Where a lane's wake goes (docs/design.md, "Wakes"), from the components' `wake` and
//! `app_origin` variables:
//!
//! | `wake` | the wake is | for |
//! |---|---|---|
//! | `chain` (default) | `POST http://processor-<lane>.spin.internal/wake`, Spin's local service chaining | `spin up`, SpinKube |
//! | `self` | `POST <app_origin>/internal/drain/<lane>?wake=true` with the bearer `stats_token` | platforms that refuse chaining |
//! | `off` | not sent: the cron trigger (or an outside scheduler) is all that drains | platforms with neither |
//!
//! `app_origin` is `scheme://host[:port]` written out in full, never taken from a request's
//! `Host` header (CVE-2024-32980: a self request without an explicit authority could be
//! steered by it).

use crate::entity::Lane;

/// The path a chained wake asks for: no public route of the manifest leads it to a
/// processor, so only service chaining reaches it there.
pub const CHAINED_WAKE_PATH: &str = "/wake";

/// How wakes are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WakeRoute {
    /// Spin's local service chaining to `processor-<lane>`.
    Chain,
    /// A request to the application's own public route at this origin.
    SelfRequest { origin: String },
    /// No wakes.
    Off,
}

impl WakeRoute {
    /// Reads the variables' values (`None`: unset).
    ///
    /// ```
    /// use tds_core::wake::WakeRoute;
    /// assert_eq!(WakeRoute::parse(None, None), Ok(WakeRoute::Chain));
    /// assert_eq!(WakeRoute::parse(Some("off"), None), Ok(WakeRoute::Off));
    /// assert_eq!(
    ///     WakeRoute::parse(Some("self"), Some("https://tds.example.com/")),
    ///     Ok(WakeRoute::SelfRequest { origin: "https://tds.example.com".into() })
    /// );
    /// assert!(WakeRoute::parse(Some("self"), None).is_err());
    /// assert!(WakeRoute::parse(Some("self"), Some("tds.example.com")).is_err());
    /// assert!(WakeRoute::parse(Some("self"), Some("https://tds.example.com/api")).is_err());
    /// assert!(WakeRoute::parse(Some("loud"), None).is_err());
    /// ```
    pub fn parse(mode: Option<&str>, origin: Option<&str>) -> Result<WakeRoute, String> {
        match mode.unwrap_or("chain") {
            "chain" => Ok(WakeRoute::Chain),
            "off" => Ok(WakeRoute::Off),
            "self" => {
                let origin = origin
                    .map(|o| o.trim_end_matches('/'))
                    .filter(|o| !o.is_empty())
                    .ok_or("variable wake is \"self\" but app_origin is not set: set it to the application's public origin, e.g. https://tds.example.com")?;
                let authority = origin
                    .strip_prefix("https://")
                    .or_else(|| origin.strip_prefix("http://"))
                    .filter(|rest| !rest.is_empty() && !rest.contains('/'))
                    .ok_or_else(|| format!("variable app_origin must be scheme://host[:port] (http or https, no path), not {origin:?}"))?;
                if authority.contains(['?', '#', '@', ' ']) {
                    return Err(format!("variable app_origin must be scheme://host[:port], not {origin:?}"));
                }
                Ok(WakeRoute::SelfRequest {
                    origin: origin.to_string(),
                })
            }
            other => Err(format!(
                "variable wake must be chain, self or off, not {other:?}"
            )),
        }
    }

    /// The URL of `lane`'s wake; `None` when wakes are off.
    ///
    /// ```
    /// use tds_core::entity::Lane;
    /// use tds_core::wake::WakeRoute;
    /// assert_eq!(
    ///     WakeRoute::Chain.url(Lane::Sales).as_deref(),
    ///     Some("http://processor-sales.spin.internal/wake")
    /// );
    /// let own = WakeRoute::SelfRequest { origin: "https://tds.example.com".into() };
    /// assert_eq!(
    ///     own.url(Lane::Catalog).as_deref(),
    ///     Some("https://tds.example.com/internal/drain/catalog?wake=true")
    /// );
    /// assert_eq!(WakeRoute::Off.url(Lane::Sales), None);
    /// ```
    pub fn url(&self, lane: Lane) -> Option<String> {
        match self {
            WakeRoute::Chain => Some(format!(
                "http://processor-{lane}.spin.internal{CHAINED_WAKE_PATH}"
            )),
            WakeRoute::SelfRequest { origin } => {
                Some(format!("{origin}/internal/drain/{lane}?wake=true"))
            }
            WakeRoute::Off => None,
        }
    }

    /// Whether the wake carries the bearer `stats_token` (a public route checks it).
    pub fn needs_token(&self) -> bool {
        matches!(self, WakeRoute::SelfRequest { .. })
    }

    /// The variable's value for this route.
    pub fn as_str(&self) -> &'static str {
        match self {
            WakeRoute::Chain => "chain",
            WakeRoute::SelfRequest { .. } => "self",
            WakeRoute::Off => "off",
        }
    }
}
