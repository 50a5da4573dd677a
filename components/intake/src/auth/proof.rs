//! Which proof a webhook must carry, from intake's configuration.
//!
//! - A module with its own secrets (`zoho_module_secrets`, e.g.
//!   `invoices=Abc123def456,items=Xyz789uvw012`) needs a valid `X-Zoho-Webhook-Signature`
//!   made with one of them: each Zoho webhook has its own secret token, so a workflow per
//!   module can each keep theirs.
//! - Otherwise, when `zoho_webhook_secret` is set, a signature made with one of its secrets.
//! - Otherwise, when `webhook_key` is set, one of its shared keys (`X-Webhook-Key` or `?key=`).
//! - With none of them, nothing is accepted: intake is secure by default.
//!
//! Each variable may hold several values, comma-separated, and a module may be named more
//! than once in `zoho_module_secrets`: while a secret is rotated the old and the new one
//! are both accepted, and the [`CredentialRef`] that proved a delivery is counted with it.
//!
//! Errors name the variable and the entry at fault, never a secret's value.

use tds_core::credential::{listed_values, CredentialRef, CredentialVariable};
use tds_core::entity::Module;

/// One accepted value and the credential it is.
pub type Accepted<'a> = (CredentialRef, &'a str);

/// The proof a delivery must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof<'a> {
    /// `X-Zoho-Webhook-Signature`, HMAC-SHA256 with any one of these secrets.
    Signature(Vec<Accepted<'a>>),
    /// Any one of these shared keys.
    Key(Vec<Accepted<'a>>),
    /// Nothing is configured: refuse.
    NotConfigured,
}

/// A malformed `zoho_module_secrets`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthConfigError {
    #[error("zoho_module_secrets entry {position} is not module=secret; write e.g. invoices=Abc123def456,items=Xyz789uvw012")]
    NotAPair { position: u16 },
    #[error(
        "zoho_module_secrets entry {position} names {name:?}, which is not a module TDS syncs"
    )]
    UnknownModule { position: u16, name: String },
}

/// A module's own secret: its entry's position in `zoho_module_secrets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleSecret {
    pub module: Module,
    pub position: u16,
    pub secret: String,
}

/// Intake's authentication settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookAuth {
    default_secrets: Vec<(u16, String)>,
    module_secrets: Vec<ModuleSecret>,
    keys: Vec<(u16, String)>,
}

impl WebhookAuth {
    /// Settings from the three variables (blank values and entries count as unset); the
    /// tests below are its examples (a cdylib runs no doc tests).
    pub fn new(
        default_secrets: Option<&str>,
        module_secrets: Option<&str>,
        keys: Option<&str>,
    ) -> Result<WebhookAuth, AuthConfigError> {
        let listed = |v: Option<&str>| {
            listed_values(v.unwrap_or_default())
                .into_iter()
                .map(|(position, value)| (position, value.to_string()))
                .collect()
        };
        Ok(WebhookAuth {
            default_secrets: listed(default_secrets),
            module_secrets: parse_module_secrets(module_secrets.unwrap_or_default())?,
            keys: listed(keys),
        })
    }

    /// The proof required of a delivery for `module` (`None`: not known yet).
    pub fn proof_for(&self, module: Option<Module>) -> Proof<'_> {
        let own = self
            .module_secrets
            .iter()
            .filter(|s| Some(s.module) == module)
            .map(|s| (s.position, s.secret.as_str()));
        let own = accepted(CredentialVariable::ZohoModuleSecrets, own);
        if !own.is_empty() {
            return Proof::Signature(own);
        }
        if !self.default_secrets.is_empty() {
            let secrets = listed(&self.default_secrets);
            return Proof::Signature(accepted(CredentialVariable::ZohoWebhookSecret, secrets));
        }
        if !self.keys.is_empty() {
            return Proof::Key(accepted(CredentialVariable::WebhookKey, listed(&self.keys)));
        }
        Proof::NotConfigured
    }
}

/// A variable's listed values, borrowed.
fn listed(values: &[(u16, String)]) -> impl Iterator<Item = (u16, &str)> {
    values
        .iter()
        .map(|(position, value)| (*position, value.as_str()))
}

/// Each `(position, value)` of `variable` as the credential it is.
fn accepted<'a>(
    variable: CredentialVariable,
    values: impl Iterator<Item = (u16, &'a str)>,
) -> Vec<Accepted<'a>> {
    values
        .map(|(position, value)| (CredentialRef { variable, position }, value))
        .collect()
}

/// `module=secret` entries separated by commas (blank entries skipped), each with its
/// 1-based position. A module may be named as in the routes (`invoices` or `invoice`), and
/// more than once: each entry adds a secret it accepts.
pub fn parse_module_secrets(text: &str) -> Result<Vec<ModuleSecret>, AuthConfigError> {
    listed_values(text)
        .into_iter()
        .map(|(position, entry)| {
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
            Ok(ModuleSecret {
                module,
                position,
                secret: secret.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(variable: CredentialVariable, position: u16) -> CredentialRef {
        CredentialRef { variable, position }
    }

    // The doc examples (a cdylib runs no doc tests).
    #[test]
    fn example_of_new() {
        let auth =
            WebhookAuth::new(None, Some("invoices=Abc123def456"), Some("OldKey,NewKey")).unwrap();
        assert_eq!(
            auth.proof_for(Some(Module::Invoices)),
            Proof::Signature(vec![(
                of(CredentialVariable::ZohoModuleSecrets, 1),
                "Abc123def456"
            )])
        );
        let keys = Proof::Key(vec![
            (of(CredentialVariable::WebhookKey, 1), "OldKey"),
            (of(CredentialVariable::WebhookKey, 2), "NewKey"),
        ]);
        assert_eq!(auth.proof_for(Some(Module::Items)), keys);
        assert_eq!(auth.proof_for(None), keys);
    }

    #[test]
    fn example_of_parse_module_secrets() {
        let pairs =
            parse_module_secrets(" invoice = Abc123def456 , items=Xyz789uvw012,invoices=New1")
                .unwrap();
        let expected = [
            (Module::Invoices, 1, "Abc123def456"),
            (Module::Items, 2, "Xyz789uvw012"),
            (Module::Invoices, 3, "New1"),
        ]
        .map(|(module, position, secret)| ModuleSecret {
            module,
            position,
            secret: secret.to_string(),
        });
        assert_eq!(pairs, expected);
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
            Proof::Signature(vec![(
                of(CredentialVariable::ZohoModuleSecrets, 1),
                "BillSecret12"
            )])
        );
        let default = Proof::Signature(vec![(
            of(CredentialVariable::ZohoWebhookSecret, 1),
            "DefaultSecret1",
        )]);
        assert_eq!(auth.proof_for(Some(Module::Items)), default);
        assert_eq!(auth.proof_for(None), default);
        let none = WebhookAuth::new(Some("  , "), None, Some("")).unwrap();
        assert_eq!(none.proof_for(Some(Module::Items)), Proof::NotConfigured);
    }

    #[test]
    fn a_rotated_secret_accepts_both_values_by_position() {
        let auth = WebhookAuth::new(
            Some("OldSecret1, NewSecret2"),
            Some("bills=OldBill1,items=ItemSecret,bills=NewBill2"),
            None,
        )
        .unwrap();
        assert_eq!(
            auth.proof_for(Some(Module::Invoices)),
            Proof::Signature(vec![
                (of(CredentialVariable::ZohoWebhookSecret, 1), "OldSecret1"),
                (of(CredentialVariable::ZohoWebhookSecret, 2), "NewSecret2"),
            ])
        );
        assert_eq!(
            auth.proof_for(Some(Module::Bills)),
            Proof::Signature(vec![
                (of(CredentialVariable::ZohoModuleSecrets, 1), "OldBill1"),
                (of(CredentialVariable::ZohoModuleSecrets, 3), "NewBill2"),
            ])
        );
    }

    #[test]
    fn errors_never_show_the_secret() {
        for text in ["items=", "=Secret123456", "widgets=Secret123456"] {
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
