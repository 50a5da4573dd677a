//! Authenticity: Zoho's signature or the shared key, as the variables `zoho_webhook_secret`,
//! `zoho_module_secrets` and `webhook_key` require (docs/design.md, "Intake contract"). Every
//! configured value is tried, so a delivery proved by any one of a rotated variable's values
//! is accepted, and the credential that proved it is returned to be counted.

mod proof;

use spin_sdk::http::Request;
use tds_core::credential::CredentialRef;
use tds_core::entity::Module;
use tds_core::payload::{Body, BodyFormat};
use tds_core::signature;
use tds_core::variables;
use tds_guest::http::{header, HttpError};
use tds_guest::vars;

use proof::{Proof, WebhookAuth};

/// Checks the proof [`WebhookAuth`] requires of `module`'s webhooks (see [`proof`]) and
/// answers which configured credential it was.
pub fn authenticate(
    req: &Request,
    body: &Body<'_>,
    query: &[(String, String)],
    module: Option<Module>,
) -> Result<CredentialRef, HttpError> {
    let secret = vars::text(&variables::ZOHO_WEBHOOK_SECRET);
    let module_secrets = vars::text(&variables::ZOHO_MODULE_SECRETS);
    let key = vars::text(&variables::WEBHOOK_KEY);
    let auth = WebhookAuth::new(secret.as_deref(), module_secrets.as_deref(), key.as_deref())
        .map_err(|e| HttpError::not_configured(e.to_string()))?;
    match auth.proof_for(module) {
        Proof::Signature(secrets) => {
            let given = header(req, "x-zoho-webhook-signature").ok_or_else(|| {
                HttpError::new(
                    401,
                    "missing_signature",
                    "X-Zoho-Webhook-Signature is required",
                )
            })?;
            let message = match body.format() {
                BodyFormat::Json => signature::signed_message(query, &[], Some(body.bytes())),
                BodyFormat::Form => signature::signed_message(query, body.form_pairs(), None),
            };
            let signed_with = |secret: &str| signature::verify(secret, &message, given);
            first_match(&secrets, signed_with).ok_or_else(|| {
                HttpError::new(
                    401,
                    "invalid_signature",
                    "X-Zoho-Webhook-Signature does not match the body",
                )
            })
        }
        Proof::Key(keys) => {
            let given = header(req, "x-webhook-key")
                .or_else(|| {
                    query
                        .iter()
                        .find(|(k, _)| k == "key")
                        .map(|(_, v)| v.as_str())
                })
                .ok_or_else(|| {
                    HttpError::new(
                        401,
                        "missing_key",
                        "send the webhook key in X-Webhook-Key or ?key=",
                    )
                })?;
            first_match(&keys, |key| signature::keys_match(key, given))
                .ok_or_else(|| HttpError::new(401, "invalid_key", "the webhook key is not valid"))
        }
        Proof::NotConfigured => Err(HttpError::not_configured(
            "intake accepts nothing until zoho_webhook_secret, zoho_module_secrets or webhook_key is set",
        )),
    }
}

/// The credential of the first value `proves` accepts. Every value is checked, so the time
/// taken does not tell which one matched.
fn first_match(
    candidates: &[proof::Accepted<'_>],
    proves: impl Fn(&str) -> bool,
) -> Option<CredentialRef> {
    candidates.iter().fold(None, |found, (credential, value)| {
        let matches = proves(value);
        found.or(matches.then_some(*credential))
    })
}
