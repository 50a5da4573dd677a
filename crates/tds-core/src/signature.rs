//! Webhook authenticity: Zoho's `X-Zoho-Webhook-Signature` and the shared key.
//!
//! Zoho signs the query-string pairs and the form-body pairs together, sorted by key,
//! each written as key immediately followed by its (URL-decoded) value, then the raw
//! JSON body exactly as received. The MAC is HMAC-SHA256 keyed with the webhook's
//! secret token, in hex; either case is accepted. Every comparison is constant-time.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The byte string Zoho signs.
///
/// ```
/// use tds_core::signature::signed_message;
/// let query = [("subscription_id".to_string(), "90343".to_string()), ("name".to_string(), "basic".to_string())];
/// let body = br#"{"created_date":"2019-03-06","event_id":"5675"}"#;
/// assert_eq!(
///     signed_message(&query, &[], Some(body)),
///     br#"namebasicsubscription_id90343{"created_date":"2019-03-06","event_id":"5675"}"#.to_vec()
/// );
/// ```
pub fn signed_message(
    query: &[(String, String)],
    form: &[(String, String)],
    json_body: Option<&[u8]>,
) -> Vec<u8> {
    let mut pairs: Vec<&(String, String)> = query.iter().chain(form).collect();
    pairs.sort();
    let mut message = Vec::new();
    for (key, value) in pairs {
        message.extend_from_slice(key.as_bytes());
        message.extend_from_slice(value.as_bytes());
    }
    message.extend_from_slice(json_body.unwrap_or_default());
    message
}

/// HMAC-SHA256 of `message` keyed with `secret`, lowercase hex.
///
/// ```
/// use tds_core::signature::sign;
/// let message = br#"namebasicsubscription_id90343{"created_date":"2019-03-06","event_id":"5675"}"#;
/// assert_eq!(sign("abcdefghijkl123", message), "81e88c57216247cd3da7050564943fcfa8faac70df40f397b49e148ad946d3e5");
/// ```
pub fn sign(secret: &str, message: &[u8]) -> String {
    hex::encode(mac(secret, message))
}

/// Whether `signature` (hex, either case, surrounding whitespace ignored) is the MAC of
/// `message` under `secret`.
pub fn verify(secret: &str, message: &[u8], signature: &str) -> bool {
    let Ok(given) = hex::decode(signature.trim()) else {
        return false;
    };
    let expected = mac(secret, message);
    given.len() == expected.len() && bool::from(expected.ct_eq(&given))
}

/// Whether a presented shared key equals the configured one, in constant time (lengths
/// included: both sides are hashed first).
///
/// ```
/// use tds_core::signature::keys_match;
/// assert!(keys_match("s3cret-key", "s3cret-key"));
/// assert!(!keys_match("s3cret-key", "s3cret-kex"));
/// ```
pub fn keys_match(expected: &str, given: &str) -> bool {
    let expected = Sha256::digest(expected.as_bytes());
    let given = Sha256::digest(given.as_bytes());
    bool::from(expected.ct_eq(&given))
}

fn mac(secret: &str, message: &[u8]) -> Vec<u8> {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "abcdefghijkl123";
    const VECTOR: &str = "81e88c57216247cd3da7050564943fcfa8faac70df40f397b49e148ad946d3e5";

    fn zoho_example() -> Vec<u8> {
        let query = [
            ("subscription_id".into(), "90343".into()),
            ("name".into(), "basic".into()),
        ];
        signed_message(
            &query,
            &[],
            Some(br#"{"created_date":"2019-03-06","event_id":"5675"}"#),
        )
    }

    #[test]
    fn worked_vector_verifies_in_either_case() {
        let message = zoho_example();
        assert!(verify(SECRET, &message, VECTOR));
        assert!(verify(SECRET, &message, &VECTOR.to_uppercase()));
        assert!(verify(SECRET, &message, &format!(" {VECTOR}\n")));
    }

    #[test]
    fn wrong_secret_body_or_signature_fails() {
        let message = zoho_example();
        assert!(!verify("abcdefghijkl124", &message, VECTOR));
        assert!(!verify(SECRET, b"other", VECTOR));
        assert!(!verify(SECRET, &message, &VECTOR[..62]));
        assert!(!verify(SECRET, &message, "not hex"));
        assert!(!verify(SECRET, &message, ""));
    }

    #[test]
    fn query_and_form_pairs_sort_together() {
        let query = [("b".into(), "2".into())];
        let form = [("a".into(), "1".into()), ("c".into(), "3".into())];
        assert_eq!(signed_message(&query, &form, None), b"a1b2c3");
    }
}
