//! The Spin variables: the one registry of their names, defaults, bounds and meanings
//! ([`ALL`]), and the typed reading of a raw value ([`Declared::parse`]). Components read a
//! variable only through its entry here (`tds_guest::vars::read`), so no call site names a
//! default, and a bad value gets one answer everywhere: the [`VariableError`] naming the
//! variable, what is wrong and what to do, never a substitute.
//!
//! Two scopes ([`Scope`]):
//! - **Application** variables are spin.toml's `[variables]`, set by operators
//!   (`SPIN_VARIABLE_<NAME>`, `--variable`); each component declares those it reads as
//!   `name = "{{ name }}"` in its `[component.<id>.variables]`.
//! - **Component** variables are written as literals in one component's
//!   `[component.<id>.variables]` (the processor's `lane` and `entity_types`).
//!
//! A value is trimmed; an empty one is unset, and an unset one is the default. A required
//! variable without a value, or a value outside its bounds, is an error.
//!
//! spin.toml's and spin.http-only.toml's `[variables]` and the table in
//! docs/configuration.md are held to this registry by `host/manifest/tests/variables_registry.rs`.

use std::ops::Deref;

use crate::entity::Lane;

/// The largest whole-number variable: the statements take them as `int4`.
pub const INT4_MAX: u32 = i32::MAX as u32;

/// The data centres Zoho Books runs in, by domain suffix (`zoho_data_center`):
/// `accounts.zoho.<dc>` and `www.zohoapis.<dc>`.
pub const ZOHO_DATA_CENTERS: [&str; 9] = [
    "com", "eu", "in", "com.au", "jp", "ca", "com.cn", "sa", "uk",
];

/// Where a variable is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// spin.toml's `[variables]`, given to components as `"{{ name }}"`.
    Application,
    /// A literal in a component's `[component.<id>.variables]`.
    Component,
}

/// A variable's value when none is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// `required = true`: no default; unset is an error.
    Required,
    /// `default = "…"` (`""`: unset).
    Value(&'static str),
}

/// What a variable's value may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any text (URLs, secrets, comma-separated lists the component reads itself).
    Text,
    /// A whole number from 1 to `max`.
    Positive { max: u32 },
    /// One of these words, exactly.
    OneOf(&'static [&'static str]),
    /// One of these domain suffixes, in any case, a leading dot ignored.
    DomainSuffix(&'static [&'static str]),
    /// `true` or `false` (also `1`/`0`, `yes`/`no`, `on`/`off`), in any case.
    Boolean,
    /// An origin, `scheme://host[:port]` (http or https, no path), written out in full.
    Origin,
    /// A lane of the entity table.
    Lane,
}

/// One variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    pub name: &'static str,
    pub scope: Scope,
    pub default: DefaultValue,
    /// `secret = true`: never shown in logs, errors or answers.
    pub secret: bool,
    pub kind: Kind,
    /// One line: what it is for.
    pub meaning: &'static str,
}

/// Why a variable cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VariableError {
    /// Required, or required by another variable's value, and not set.
    #[error("variable {name} is not set: {remedy}")]
    Missing { name: &'static str, remedy: String },
    /// A value outside the variable's bounds.
    #[error("variable {name} is {value}: it must be {expected}; {remedy}")]
    Invalid {
        name: &'static str,
        /// The value as given, quoted (a secret's is not shown).
        value: String,
        expected: String,
        remedy: String,
    },
}

impl VariableError {
    /// The variable's name.
    pub fn name(&self) -> &'static str {
        match self {
            VariableError::Missing { name, .. } | VariableError::Invalid { name, .. } => name,
        }
    }
}

impl Variable {
    const fn new(
        name: &'static str,
        default: DefaultValue,
        kind: Kind,
        meaning: &'static str,
    ) -> Variable {
        Variable {
            name,
            scope: Scope::Application,
            default,
            secret: false,
            kind,
            meaning,
        }
    }

    const fn secret(mut self) -> Variable {
        self.secret = true;
        self
    }

    const fn component(mut self) -> Variable {
        self.scope = Scope::Component;
        self
    }

    /// The error of this variable unset where it is needed; `remedy` says why and what to
    /// set.
    ///
    /// ```
    /// use tds_core::variables::STATS_TOKEN;
    /// assert_eq!(
    ///     STATS_TOKEN.missing("wake is \"self\": set it").to_string(),
    ///     "variable stats_token is not set: wake is \"self\": set it"
    /// );
    /// ```
    pub fn missing(&self, remedy: impl Into<String>) -> VariableError {
        VariableError::Missing {
            name: self.name,
            remedy: remedy.into(),
        }
    }

    /// The error of value `given`, outside this variable's bounds.
    pub(crate) fn invalid(&self, given: &str) -> VariableError {
        let expected = match self.kind {
            Kind::Text => "text".to_string(),
            Kind::Positive { max } => format!("a whole number from 1 to {max}"),
            Kind::OneOf(values) | Kind::DomainSuffix(values) => {
                format!("one of {}", values.join(", "))
            }
            Kind::Boolean => "true or false (or 1/0, yes/no, on/off)".to_string(),
            Kind::Origin => {
                "an origin, scheme://host[:port] written out in full (http or https, no path)"
                    .to_string()
            }
            Kind::Lane => format!("one of {}", Lane::ALL.map(Lane::as_str).join(", ")),
        };
        let remedy = match (self.scope, self.default) {
            (Scope::Component, _) => {
                "correct it in the component's [component.<id>.variables] in spin.toml".to_string()
            }
            (Scope::Application, DefaultValue::Required) => "correct it".to_string(),
            (Scope::Application, DefaultValue::Value("")) => {
                format!(
                    "correct it, or unset {} (see docs/configuration.md)",
                    self.name
                )
            }
            (Scope::Application, DefaultValue::Value(default)) => format!(
                "correct it, or unset {} for its default {default} (see docs/configuration.md)",
                self.name
            ),
        };
        VariableError::Invalid {
            name: self.name,
            value: if self.secret {
                "set to a secret value (not shown)".to_string()
            } else {
                format!("{given:?}")
            },
            expected,
            remedy,
        }
    }

    /// The value in force: `raw` trimmed, else the default (`None`: unset, no default); a
    /// required variable unset is an error.
    fn given<'a>(&self, raw: Option<&'a str>) -> Result<Option<&'a str>, VariableError> {
        match raw.map(str::trim).filter(|v| !v.is_empty()) {
            Some(value) => Ok(Some(value)),
            None => match self.default {
                DefaultValue::Value("") => Ok(None),
                DefaultValue::Value(default) => Ok(Some(default)),
                DefaultValue::Required => Err(self.missing(match self.scope {
                    Scope::Application => format!(
                        "set it (SPIN_VARIABLE_{} in the environment, or --variable {}=…)",
                        self.name.to_ascii_uppercase(),
                        self.name
                    ),
                    Scope::Component => {
                        "declare it in the component's [component.<id>.variables] in spin.toml"
                            .to_string()
                    }
                })),
            },
        }
    }
}

/// A typed registry entry: its [`Variable`] (through `Deref`) and how a raw value reads.
pub trait Declared: Deref<Target = Variable> {
    /// What the variable reads as.
    type Value;

    /// Reads `raw`, the value as the component sees it (`None`: unset or undeclared).
    fn parse(&self, raw: Option<&str>) -> Result<Self::Value, VariableError>;
}

macro_rules! handle {
    ($(#[$doc:meta])* $handle:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $handle(Variable);

        impl Deref for $handle {
            type Target = Variable;
            fn deref(&self) -> &Variable {
                &self.0
            }
        }
    };
}

handle!(
    /// A text variable: `None` when unset (it has no bounds, so no value is bad).
    Text
);
handle!(
    /// A required text variable.
    Required
);
handle!(
    /// A whole number from 1 to its maximum.
    Positive
);
handle!(
    /// One of a list of words (or domain suffixes), as the list writes it.
    Choice
);
handle!(
    /// A boolean.
    Flag
);
handle!(
    /// An origin, `None` when unset, without a trailing slash.
    Origin
);
handle!(
    /// A lane.
    LaneName
);

impl Text {
    /// The value; `None` when unset.
    ///
    /// ```
    /// use tds_core::variables::WEBHOOK_KEY;
    /// assert_eq!(WEBHOOK_KEY.value(Some(" k1,k2 ")).as_deref(), Some("k1,k2"));
    /// assert_eq!(WEBHOOK_KEY.value(Some("  ")), None);
    /// assert_eq!(WEBHOOK_KEY.value(None), None);
    /// ```
    pub fn value(&self, raw: Option<&str>) -> Option<String> {
        // A text variable is never required (that is [`Required`]), so `given` cannot fail.
        self.given(raw).ok().flatten().map(str::to_string)
    }
}

impl Declared for Text {
    type Value = Option<String>;
    fn parse(&self, raw: Option<&str>) -> Result<Option<String>, VariableError> {
        Ok(self.value(raw))
    }
}

impl Declared for Required {
    type Value = String;
    /// ```
    /// use tds_core::variables::{Declared, DATABASE_URL};
    /// assert_eq!(DATABASE_URL.parse(Some(" postgres://db/tds ")).unwrap(), "postgres://db/tds");
    /// assert_eq!(
    ///     DATABASE_URL.parse(Some("")).unwrap_err().to_string(),
    ///     "variable database_url is not set: set it (SPIN_VARIABLE_DATABASE_URL in the environment, or --variable database_url=…)"
    /// );
    /// ```
    fn parse(&self, raw: Option<&str>) -> Result<String, VariableError> {
        match self.given(raw)? {
            Some(value) => Ok(value.to_string()),
            None => Err(self.missing("set it")),
        }
    }
}

impl Declared for Positive {
    type Value = u32;
    /// ```
    /// use tds_core::variables::{Declared, MAX_ATTEMPTS};
    /// assert_eq!(MAX_ATTEMPTS.parse(None), Ok(8));
    /// assert_eq!(MAX_ATTEMPTS.parse(Some(" 3 ")), Ok(3));
    /// assert_eq!(
    ///     MAX_ATTEMPTS.parse(Some("0")).unwrap_err().to_string(),
    ///     "variable max_attempts is \"0\": it must be a whole number from 1 to 2147483647; \
    ///      correct it, or unset max_attempts for its default 8 (see docs/configuration.md)"
    /// );
    /// assert!(MAX_ATTEMPTS.parse(Some("eight")).is_err());
    /// assert!(MAX_ATTEMPTS.parse(Some("2147483648")).is_err());
    /// ```
    fn parse(&self, raw: Option<&str>) -> Result<u32, VariableError> {
        let Kind::Positive { max } = self.kind else {
            unreachable!("a Positive is declared by positive()")
        };
        let text = self.given(raw)?.unwrap_or_default();
        text.parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| self.invalid(text))
    }
}

impl Declared for Choice {
    type Value = &'static str;
    /// ```
    /// use tds_core::variables::{Declared, WAKE, ZOHO_DATA_CENTER};
    /// assert_eq!(WAKE.parse(None), Ok("chain"));
    /// assert_eq!(WAKE.parse(Some("off")), Ok("off"));
    /// assert!(WAKE.parse(Some("loud")).unwrap_err().to_string().contains("one of chain, self, off"));
    /// assert_eq!(ZOHO_DATA_CENTER.parse(Some(" .COM.au ")), Ok("com.au"));
    /// assert_eq!(ZOHO_DATA_CENTER.parse(Some(" ")), Ok("com"));
    /// assert!(ZOHO_DATA_CENTER.parse(Some("mars")).is_err());
    /// ```
    fn parse(&self, raw: Option<&str>) -> Result<&'static str, VariableError> {
        let text = self.given(raw)?.unwrap_or_default();
        let found = match self.kind {
            Kind::OneOf(values) => values.iter().find(|v| **v == text),
            Kind::DomainSuffix(values) => {
                let suffix = text.strip_prefix('.').unwrap_or(text);
                values.iter().find(|v| v.eq_ignore_ascii_case(suffix))
            }
            _ => unreachable!("a Choice is declared by choice() or domain_suffix()"),
        };
        found.copied().ok_or_else(|| self.invalid(text))
    }
}

impl Declared for Flag {
    type Value = bool;
    /// ```
    /// use tds_core::variables::{Declared, RECONCILE_ENQUEUE_FIXES};
    /// assert_eq!(RECONCILE_ENQUEUE_FIXES.parse(None), Ok(true));
    /// assert_eq!(RECONCILE_ENQUEUE_FIXES.parse(Some("Off")), Ok(false));
    /// assert_eq!(RECONCILE_ENQUEUE_FIXES.parse(Some("1")), Ok(true));
    /// assert!(RECONCILE_ENQUEUE_FIXES.parse(Some("maybe")).is_err());
    /// ```
    fn parse(&self, raw: Option<&str>) -> Result<bool, VariableError> {
        let text = self.given(raw)?.unwrap_or_default();
        match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(self.invalid(text)),
        }
    }
}

impl Declared for Origin {
    type Value = Option<String>;
    /// ```
    /// use tds_core::variables::{Declared, APP_ORIGIN};
    /// assert_eq!(APP_ORIGIN.parse(None), Ok(None));
    /// assert_eq!(
    ///     APP_ORIGIN.parse(Some("https://tds.example.com:8443/")),
    ///     Ok(Some("https://tds.example.com:8443".to_string()))
    /// );
    /// assert!(APP_ORIGIN.parse(Some("tds.example.com")).is_err());
    /// assert!(APP_ORIGIN.parse(Some("https://tds.example.com/api")).is_err());
    /// assert!(APP_ORIGIN.parse(Some("https://user@tds.example.com")).is_err());
    /// ```
    fn parse(&self, raw: Option<&str>) -> Result<Option<String>, VariableError> {
        let Some(text) = self.given(raw)? else {
            return Ok(None);
        };
        let origin = text.trim_end_matches('/');
        let authority = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        match authority {
            Some(a) if !a.is_empty() && !a.contains(['/', '?', '#', '@', ' ']) => {
                Ok(Some(origin.to_string()))
            }
            _ => Err(self.invalid(text)),
        }
    }
}

impl Declared for LaneName {
    type Value = Lane;
    /// ```
    /// use tds_core::entity::Lane;
    /// use tds_core::variables::{Declared, LANE};
    /// assert_eq!(LANE.parse(Some("catalog")), Ok(Lane::Catalog));
    /// assert!(LANE.parse(None).is_err());
    /// assert!(LANE.parse(Some("billing")).is_err());
    /// ```
    fn parse(&self, raw: Option<&str>) -> Result<Lane, VariableError> {
        let text = self.given(raw)?.unwrap_or_default();
        Lane::from_name(text).ok_or_else(|| self.invalid(text))
    }
}

const fn text(name: &'static str, default: &'static str, meaning: &'static str) -> Text {
    Text(Variable::new(
        name,
        DefaultValue::Value(default),
        Kind::Text,
        meaning,
    ))
}

/// A secret text variable, empty by default.
const fn secret(name: &'static str, meaning: &'static str) -> Text {
    Text(Variable::new(name, DefaultValue::Value(""), Kind::Text, meaning).secret())
}

const fn positive(name: &'static str, default: &'static str, meaning: &'static str) -> Positive {
    let kind = Kind::Positive { max: INT4_MAX };
    Positive(Variable::new(
        name,
        DefaultValue::Value(default),
        kind,
        meaning,
    ))
}

const fn origin(name: &'static str, default: &'static str, meaning: &'static str) -> Origin {
    Origin(Variable::new(
        name,
        DefaultValue::Value(default),
        Kind::Origin,
        meaning,
    ))
}

// The registry, in spin.toml's order. Add a variable here, to `ALL`, to spin.toml's
// `[variables]` (and the components that read it) and to docs/configuration.md's table.

pub const DATABASE_URL: Required = Required(
    Variable::new(
        "database_url",
        DefaultValue::Required,
        Kind::Text,
        "PostgreSQL URL (TCP; real Spin refuses Unix sockets).",
    )
    .secret(),
);
pub const DATABASE_HOST: Text = text(
    "database_host",
    "127.0.0.1:5432",
    "host:port of that database, for the components' allowed_outbound_hosts.",
);
pub const ZOHO_WEBHOOK_SECRET: Text = secret(
    "zoho_webhook_secret",
    "Zoho's webhook secret tokens, comma-separated; set, a valid signature is required.",
);
pub const ZOHO_MODULE_SECRETS: Text = secret(
    "zoho_module_secrets",
    "Per-module secrets overriding zoho_webhook_secret: module=secret, comma-separated.",
);
pub const WEBHOOK_KEY: Text = secret(
    "webhook_key",
    "Shared keys intake accepts in X-Webhook-Key or ?key=, comma-separated.",
);
pub const STATS_TOKEN: Text = secret(
    "stats_token",
    "Bearer token of the stats API and the internal routes; unset, they accept nothing.",
);
pub const LEASE_SECONDS: Positive = positive(
    "lease_seconds",
    "60",
    "How long a processor owns a claimed batch before heal may reclaim it.",
);
pub const BATCH_SIZE: Positive = positive("batch_size", "50", "Events claimed per transaction.");
pub const MAX_ATTEMPTS: Positive = positive(
    "max_attempts",
    "8",
    "Attempts before an event is dead-lettered.",
);
pub const TIME_BUDGET_MS: Positive = positive(
    "time_budget_ms",
    "25000",
    "How long one processor invocation keeps claiming.",
);
pub const WAKE: Choice = Choice(Variable::new(
    "wake",
    DefaultValue::Value("chain"),
    Kind::OneOf(&["chain", "self", "off"]),
    "How intake wakes a lane's processor: service chaining, a request to app_origin, or none.",
));
pub const APP_ORIGIN: Origin = origin(
    "app_origin",
    "",
    "The application's public origin, for wake = \"self\".",
);
pub const ALERT_WEBHOOK_URL: Text = secret(
    "alert_webhook_url",
    "Heal posts alert openings and resolutions here as JSON; unset, alerts are only stored.",
);
pub const ALERT_SLACK_WEBHOOK_URL: Text = secret(
    "alert_slack_webhook_url",
    "The same events as a Slack-compatible {\"text\": …}.",
);
pub const ALERT_WEBHOOK_ORIGIN: Origin = origin(
    "alert_webhook_origin",
    "https://alerts.invalid",
    "The origin of alert_webhook_url, for heal's allowed_outbound_hosts.",
);
pub const ALERT_SLACK_WEBHOOK_ORIGIN: Origin = origin(
    "alert_slack_webhook_origin",
    "https://hooks.slack.com",
    "The origin of alert_slack_webhook_url, for heal's allowed_outbound_hosts.",
);
pub const ZOHO_CLIENT_ID: Text = text(
    "zoho_client_id",
    "",
    "The Zoho OAuth client's id, for pull sync and reconciliation.",
);
pub const ZOHO_CLIENT_SECRET: Text =
    secret("zoho_client_secret", "The Zoho OAuth client's secret.");
pub const ZOHO_REFRESH_TOKEN: Text = secret("zoho_refresh_token", "The Zoho OAuth refresh token.");
pub const ZOHO_ORGANIZATION_ID: Text = text(
    "zoho_organization_id",
    "",
    "The Zoho Books organisation every API call names.",
);
pub const ZOHO_DATA_CENTER: Choice = Choice(Variable::new(
    "zoho_data_center",
    DefaultValue::Value("com"),
    Kind::DomainSuffix(&ZOHO_DATA_CENTERS),
    "Zoho's data centre: its accounts server and API.",
));
pub const ZOHO_ACCOUNTS_URL: Text = text(
    "zoho_accounts_url",
    "",
    "Override of the Zoho accounts server (unset: from zoho_data_center).",
);
pub const ZOHO_API_URL: Text = text(
    "zoho_api_url",
    "",
    "Override of the Zoho Books API root (unset: from zoho_data_center).",
);
pub const ZOHO_CUSTOM_ORIGIN: Origin = origin(
    "zoho_custom_origin",
    "https://zoho.invalid",
    "The origin of those overrides, for reconcile's allowed_outbound_hosts.",
);
pub const RECONCILE_ENQUEUE_FIXES: Flag = Flag(Variable::new(
    "reconcile_enqueue_fixes",
    DefaultValue::Value("true"),
    Kind::Boolean,
    "Whether every reconciliation enqueues the fixes of the drift it finds.",
));
pub const LANE: LaneName = LaneName(
    Variable::new(
        "lane",
        DefaultValue::Required,
        Kind::Lane,
        "The lane a processor component drains.",
    )
    .component(),
);
pub const ENTITY_TYPES: Text = Text(
    Variable::new(
        "entity_types",
        DefaultValue::Value(""),
        Kind::Text,
        "The modules of its lane a processor drains, comma-separated (unset: all of them).",
    )
    .component(),
);

/// Every variable, application variables first in spin.toml's order.
pub const ALL: [&Variable; 27] = [
    &DATABASE_URL.0,
    &DATABASE_HOST.0,
    &ZOHO_WEBHOOK_SECRET.0,
    &ZOHO_MODULE_SECRETS.0,
    &WEBHOOK_KEY.0,
    &STATS_TOKEN.0,
    &LEASE_SECONDS.0,
    &BATCH_SIZE.0,
    &MAX_ATTEMPTS.0,
    &TIME_BUDGET_MS.0,
    &WAKE.0,
    &APP_ORIGIN.0,
    &ALERT_WEBHOOK_URL.0,
    &ALERT_SLACK_WEBHOOK_URL.0,
    &ALERT_WEBHOOK_ORIGIN.0,
    &ALERT_SLACK_WEBHOOK_ORIGIN.0,
    &ZOHO_CLIENT_ID.0,
    &ZOHO_CLIENT_SECRET.0,
    &ZOHO_REFRESH_TOKEN.0,
    &ZOHO_ORGANIZATION_ID.0,
    &ZOHO_DATA_CENTER.0,
    &ZOHO_ACCOUNTS_URL.0,
    &ZOHO_API_URL.0,
    &ZOHO_CUSTOM_ORIGIN.0,
    &RECONCILE_ENQUEUE_FIXES.0,
    &LANE.0,
    &ENTITY_TYPES.0,
];

/// The variable named `name`.
///
/// ```
/// use tds_core::variables::{find, DefaultValue};
/// assert_eq!(find("max_attempts").unwrap().default, DefaultValue::Value("8"));
/// assert!(find("colour").is_none());
/// ```
pub fn find(name: &str) -> Option<&'static Variable> {
    ALL.into_iter().find(|v| v.name == name)
}

/// Whether `value` is one variable `variable` accepts (a check of a literal, such as a
/// manifest's default, against the registry's bounds).
///
/// ```
/// use tds_core::variables::{accepts, find};
/// assert!(accepts(find("wake").unwrap(), "self"));
/// assert!(!accepts(find("wake").unwrap(), "loud"));
/// assert!(accepts(find("database_host").unwrap(), "db.example.com:5432"));
/// ```
pub fn accepts(variable: &Variable, value: &str) -> bool {
    let raw = Some(value);
    match variable.kind {
        Kind::Text => true,
        Kind::Positive { .. } => Positive(*variable).parse(raw).is_ok(),
        Kind::OneOf(_) | Kind::DomainSuffix(_) => Choice(*variable).parse(raw).is_ok(),
        Kind::Boolean => Flag(*variable).parse(raw).is_ok(),
        Kind::Origin => Origin(*variable).parse(raw).is_ok(),
        Kind::Lane => LaneName(*variable).parse(raw).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lowercase_spin_names() {
        for (i, v) in ALL.iter().enumerate() {
            assert!(
                v.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    && v.name.as_bytes()[0].is_ascii_lowercase(),
                "{}: Spin variable names are lowercase letters, digits and _",
                v.name
            );
            assert!(
                ALL[..i].iter().all(|w| w.name != v.name),
                "{} is declared twice",
                v.name
            );
            assert!(
                !v.meaning.is_empty() && !v.meaning.contains('\n'),
                "{}",
                v.name
            );
        }
    }

    #[test]
    fn every_default_is_a_value_its_variable_accepts() {
        for v in ALL {
            if let DefaultValue::Value(default) = v.default {
                assert!(
                    default.is_empty() || accepts(v, default),
                    "{}: default {default:?} is outside its bounds",
                    v.name
                );
                if default.is_empty() {
                    assert!(
                        matches!(v.kind, Kind::Text | Kind::Origin),
                        "{}: only text and origins may default to unset",
                        v.name
                    );
                }
            }
        }
    }

    #[test]
    fn secrets_are_never_shown_in_errors() {
        let hidden = Positive(
            Variable::new(
                "pin",
                DefaultValue::Value("1"),
                Kind::Positive { max: 9 },
                "m",
            )
            .secret(),
        );
        let message = hidden.parse(Some("hunter2")).unwrap_err().to_string();
        assert!(!message.contains("hunter2"), "{message}");
        assert!(
            message.starts_with("variable pin is set to a secret value"),
            "{message}"
        );
    }

    #[test]
    fn a_component_variable_says_where_it_is_set() {
        let message = LANE.parse(None).unwrap_err().to_string();
        assert!(message.contains("[component.<id>.variables]"), "{message}");
        assert_eq!(LANE.parse(None).unwrap_err().name(), "lane");
    }
}
