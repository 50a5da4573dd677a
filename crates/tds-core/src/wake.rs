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
use crate::variables::{self, Declared, VariableError};

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
    /// Reads the variables' raw values (`None`: unset) through the registry
    /// ([`variables::WAKE`], [`variables::APP_ORIGIN`]).
    ///
    /// ```
    /// use tds_core::wake::WakeRoute;
    /// assert_eq!(WakeRoute::parse(None, None), Ok(WakeRoute::Chain));
    /// assert_eq!(WakeRoute::parse(Some("off"), None), Ok(WakeRoute::Off));
    /// assert_eq!(
    ///     WakeRoute::parse(Some("self"), Some("https://tds.example.com/")),
    ///     Ok(WakeRoute::SelfRequest { origin: "https://tds.example.com".into() })
    /// );
    /// assert_eq!(WakeRoute::parse(Some("self"), None).unwrap_err().name(), "app_origin");
    /// assert!(WakeRoute::parse(Some("self"), Some("tds.example.com")).is_err());
    /// assert!(WakeRoute::parse(Some("self"), Some("https://tds.example.com/api")).is_err());
    /// assert_eq!(WakeRoute::parse(Some("loud"), None).unwrap_err().name(), "wake");
    /// ```
    pub fn parse(mode: Option<&str>, origin: Option<&str>) -> Result<WakeRoute, VariableError> {
        WakeRoute::new(
            variables::WAKE.parse(mode)?,
            variables::APP_ORIGIN.parse(origin)?,
        )
    }

    /// The route of `wake`'s value and `app_origin`'s, as the registry reads them: `self`
    /// needs the origin.
    pub fn new(mode: &str, origin: Option<String>) -> Result<WakeRoute, VariableError> {
        match mode {
            "chain" => Ok(WakeRoute::Chain),
            "off" => Ok(WakeRoute::Off),
            "self" => origin
                .map(|origin| WakeRoute::SelfRequest { origin })
                .ok_or_else(|| {
                    variables::APP_ORIGIN.missing(
                        "wake is \"self\", which sends each wake to it: set it to the \
                         application's public origin, e.g. https://tds.example.com",
                    )
                }),
            other => Err(variables::WAKE.invalid(other)),
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
