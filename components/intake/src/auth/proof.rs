//! Which proof a webhook must carry, from intake's configuration.
//!
//! - A module with its own secret (`zoho_module_secrets`, e.g.
//!   `invoices=Abc123def456,items=Xyz789uvw012`) needs a valid `X-Zoho-Webhook-Signature`
//!   made with that secret: each Zoho webhook has its own secret token, so a workflow per
//!   module can each keep theirs.
//! - Otherwise, when `zoho_webhook_secret` is set, a signature made with it.
//! - Otherwise, when `webhook_key` is set, the shared key (`X-Webhook-Key` or `?key=`).
//! - With none of them, nothing is accepted: intake is secure by default.
//!
//! Errors name the variable and the entry at fault, never a secret's value.

use tds_core::entity::Module;

/// The proof a delivery must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof<'a> {
    /// `X-Zoho-Webhook-Signature`, HMAC-SHA256 with this secret.
    Signature(&'a str),
    /// The shared key.
    Key(&'a str),
    /// Nothing is configured: refuse.
    NotConfigured,
}

/// A malformed `zoho_module_secrets`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthConfigError {
    #[error("zoho_module_secrets entry {position} is not module=secret; write e.g. invoices=Abc123def456,items=Xyz789uvw012")]
    NotAPair { position: usize },
    #[error(
        "zoho_module_secrets entry {position} names {name:?}, which is not a module TDS syncs"
    )]
    UnknownModule { position: usize, name: String },
    #[error("zoho_module_secrets names {0} twice")]
    Repeated(Module),
}

/// Intake's authentication settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookAuth {
    default_secret: Option<String>,
    module_secrets: Vec<(Module, String)>,
    key: Option<String>,
}

impl WebhookAuth {
    /// Settings from the three variables (blank values count as unset).
    ///
    /// ```ignore
    /// use crate::auth::proof::{Proof, WebhookAuth};
    /// use tds_core::entity::Module;
    /// let auth = WebhookAuth::new(None, Some("invoices=Abc123def456"), Some("shared-key")).unwrap();
    /// assert_eq!(auth.proof_for(Some(Module::Invoices)), Proof::Signature("Abc123def456"));
    /// assert_eq!(auth.proof_for(Some(Module::Items)), Proof::Key("shared-key"));
    /// assert_eq!(auth.proof_for(None), Proof::Key("shared-key"));
    /// ```
    pub fn new(
        default_secret: Option<&str>,
        module_secrets: Option<&str>,
        key: Option<&str>,
    ) -> Result<WebhookAuth, AuthConfigError> {
        let set = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(String::from);
        Ok(WebhookAuth {
            default_secret: set(default_secret),
            module_secrets: parse_module_secrets(module_secrets.unwrap_or_default())?,
            key: set(key),
        })
    }

    /// The proof required of a delivery for `module` (`None`: not known yet).
    pub fn proof_for(&self, module: Option<Module>) -> Proof<'_> {
        let own = module.and_then(|m| {
            self.module_secrets
                .iter()
                .find(|(candidate, _)| *candidate == m)
                .map(|(_, secret)| secret.as_str())
        });
        match (own, &self.default_secret, &self.key) {
            (Some(secret), _, _) => Proof::Signature(secret),
            (None, Some(secret), _) => Proof::Signature(secret),
            (None, None, Some(key)) => Proof::Key(key),
            (None, None, None) => Proof::NotConfigured,
        }
    }
}

/// `module=secret` pairs separated by commas (blank entries skipped). A module may be
/// named as in the routes: `invoices` or `invoice`.
///
/// ```ignore
/// use crate::auth::proof::parse_module_secrets;
/// use tds_core::entity::Module;
/// let pairs = parse_module_secrets(" invoice = Abc123def456 , items=Xyz789uvw012,").unwrap();
/// assert_eq!(pairs, vec![(Module::Invoices, "Abc123def456".to_string()), (Module::Items, "Xyz789uvw012".to_string())]);
/// assert!(parse_module_secrets("items").is_err());
/// ```
pub fn parse_module_secrets(text: &str) -> Result<Vec<(Module, String)>, AuthConfigError> {
    let mut pairs: Vec<(Module, String)> = Vec::new();
    let entries = text.split(',').map(str::trim).filter(|e| !e.is_empty());
    for (index, entry) in entries.enumerate() {
        let position = index + 1;
        let (name, secret) = entry
            .split_once('=')
            .map(|(n, s)| (n.trim(), s.trim()))
            .filter(|(n, s)| !n.is_empty() && !s.is_empty())
            .ok_or(AuthConfigError::NotAPair { position })?;
        let module =
            Module::from_route_segment(name).ok_or_else(|| AuthConfigError::UnknownModule {
                position,
                name: name.to_string(),
            })?;
        if pairs.iter().any(|(m, _)| *m == module) {
            return Err(AuthConfigError::Repeated(module));
        }
        pairs.push((module, secret.to_string()));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The doc examples (a cdylib runs no doc tests).
    #[test]
    fn example_of_new() {
        use crate::auth::proof::{Proof, WebhookAuth};
        use tds_core::entity::Module;
        let auth =
            WebhookAuth::new(None, Some("invoices=Abc123def456"), Some("shared-key")).unwrap();
        assert_eq!(
            auth.proof_for(Some(Module::Invoices)),
            Proof::Signature("Abc123def456")
        );
        assert_eq!(
            auth.proof_for(Some(Module::Items)),
            Proof::Key("shared-key")
        );
        assert_eq!(auth.proof_for(None), Proof::Key("shared-key"));
    }

    #[test]
    fn example_of_parse_module_secrets() {
        use crate::auth::proof::parse_module_secrets;
        use tds_core::entity::Module;
        let pairs = parse_module_secrets(" invoice = Abc123def456 , items=Xyz789uvw012,").unwrap();
        assert_eq!(
            pairs,
            vec![
                (Module::Invoices, "Abc123def456".to_string()),
                (Module::Items, "Xyz789uvw012".to_string())
            ]
        );
        assert!(parse_module_secrets("items").is_err());
    }

    #[test]
    fn precedence() {
        let auth = WebhookAuth::new(
            Some("DefaultSecret1"),
            Some("bills=BillSecret12"),
            Some("k"),
        )
        .unwrap();
        assert_eq!(
            auth.proof_for(Some(Module::Bills)),
            Proof::Signature("BillSecret12")
        );
        assert_eq!(
            auth.proof_for(Some(Module::Items)),
            Proof::Signature("DefaultSecret1")
        );
        assert_eq!(auth.proof_for(None), Proof::Signature("DefaultSecret1"));
        let none = WebhookAuth::new(Some("  "), None, Some("")).unwrap();
        assert_eq!(none.proof_for(Some(Module::Items)), Proof::NotConfigured);
    }

    #[test]
    fn errors_never_show_the_secret() {
        for text in [
            "items=",
            "=Secret123456",
            "estimates=Secret123456",
            "items=Secret123456,item=Other1234567",
        ] {
            let e = parse_module_secrets(text).unwrap_err().to_string();
            assert!(
                !e.contains("Secret123456") && !e.contains("Other1234567"),
                "{e}"
            );
        }
        assert_eq!(
            parse_module_secrets("items=a,bills").unwrap_err(),
            AuthConfigError::NotAPair { position: 2 }
        );
    }
}
