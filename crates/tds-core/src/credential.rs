//! Which configured secret or key proved a webhook authentic, named by its variable and
//! its 1-based position in that variable's comma-separated list, never by its value.
//!
//! `zoho_webhook_secret` and `webhook_key` each hold one or more values separated by
//! commas; `zoho_module_secrets` holds `module=secret` entries separated by commas, where a
//! module may be named more than once. While a secret is rotated both the old and the new
//! value are configured, and intake counts each authentic delivery under the credential
//! that proved it (`tds_intake_outcomes.credential`, as [`CredentialRef::label`]), so the
//! stats API (`GET /api/intake/credentials`) and `/metrics` show when the old one stopped
//! being used.

use std::fmt;

use crate::variables;

/// The variables that hold webhook credentials, declared (and so ordered) as intake consults
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CredentialVariable {
    /// Per-module secret tokens, `module=secret` entries.
    ZohoModuleSecrets,
    /// Zoho's secret token for every module without its own (HMAC-SHA256 signature).
    ZohoWebhookSecret,
    /// TDS's shared key (`X-Webhook-Key` or `?key=`).
    WebhookKey,
}

impl CredentialVariable {
    /// Every credential variable, in order.
    pub const ALL: [CredentialVariable; 3] = [
        CredentialVariable::ZohoModuleSecrets,
        CredentialVariable::ZohoWebhookSecret,
        CredentialVariable::WebhookKey,
    ];

    /// The Spin variable's name, as its registry entry (`crate::variables`) declares it.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialVariable::ZohoWebhookSecret => variables::ZOHO_WEBHOOK_SECRET.name,
            CredentialVariable::ZohoModuleSecrets => variables::ZOHO_MODULE_SECRETS.name,
            CredentialVariable::WebhookKey => variables::WEBHOOK_KEY.name,
        }
    }

    /// The variable named `name`, if it holds credentials.
    pub fn from_name(name: &str) -> Option<CredentialVariable> {
        Self::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

/// One configured credential: its variable and its 1-based position among the variable's
/// non-blank entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CredentialRef {
    pub variable: CredentialVariable,
    pub position: u16,
}

impl CredentialRef {
    /// The text stored with intake's outcome counts: `variable#position`.
    ///
    /// ```
    /// use tds_core::credential::{CredentialRef, CredentialVariable};
    /// let old = CredentialRef { variable: CredentialVariable::ZohoWebhookSecret, position: 1 };
    /// assert_eq!(old.label(), "zoho_webhook_secret#1");
    /// assert_eq!(CredentialRef::parse_label("zoho_webhook_secret#1"), Some(old));
    /// assert_eq!(CredentialRef::parse_label("webhook_key#0"), None);
    /// assert_eq!(CredentialRef::parse_label("stats_token#1"), None);
    /// assert_eq!(CredentialRef::parse_label(""), None);
    /// ```
    pub fn label(&self) -> String {
        self.to_string()
    }

    /// A label written by [`CredentialRef::label`]; `None` for anything else.
    pub fn parse_label(label: &str) -> Option<CredentialRef> {
        let (name, position) = label.split_once('#')?;
        let position: u16 = position.parse().ok().filter(|p| *p >= 1)?;
        Some(CredentialRef {
            variable: CredentialVariable::from_name(name)?,
            position,
        })
    }
}

impl fmt::Display for CredentialRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.variable.as_str(), self.position)
    }
}

/// The non-blank, trimmed values of a comma-separated variable, each with its 1-based
/// position. Zoho's secret tokens are letters and digits only, so a comma never occurs
/// inside one.
///
/// ```
/// use tds_core::credential::listed_values;
/// assert_eq!(listed_values(" OldSecret1 , ,NewSecret2,"), vec![(1, "OldSecret1"), (2, "NewSecret2")]);
/// assert!(listed_values("  ").is_empty());
/// ```
pub fn listed_values(text: &str) -> Vec<(u16, &str)> {
    text.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .zip(1u16..)
        .map(|(value, position)| (position, value))
        .collect()
}
