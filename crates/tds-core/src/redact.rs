//! What intake may keep of a request's headers: never a secret, a signature or a key.
//!
//! A header is redacted when its name contains `authorization`, `cookie`, `secret`,
//! `token`, `signature`, `password` or `key` (so `X-Zoho-Webhook-Signature` and
//! `X-Webhook-Key`). Headers carrying the request URL (`spin-full-url`, `referer`) keep it
//! with the values of sensitive query parameters (`key`, `token`, `secret`, `signature`,
//! `password`, `access_token`) replaced.

use serde_json::{Map, Value};

/// What a redacted value becomes.
pub const REDACTED: &str = "[redacted]";

const SENSITIVE_NAME_PARTS: [&str; 7] = [
    "authorization",
    "cookie",
    "secret",
    "token",
    "signature",
    "password",
    "key",
];
const SENSITIVE_QUERY_PARAMS: [&str; 6] = [
    "key",
    "token",
    "secret",
    "signature",
    "password",
    "access_token",
];
const URL_HEADERS: [&str; 2] = ["spin-full-url", "referer"];

/// The headers as a JSON object (names lowercased, repeated headers joined with `, `),
/// secrets redacted.
///
/// ```
/// let kept = tds_core::redact::redact_headers([("X-Webhook-Key", "k"), ("content-type", "application/json")]);
/// assert_eq!(kept["x-webhook-key"], "[redacted]");
/// assert_eq!(kept["content-type"], "application/json");
/// ```
pub fn redact_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Map<String, Value> {
    let mut kept: Map<String, Value> = Map::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        let value = if is_sensitive(&name) {
            REDACTED.to_string()
        } else if URL_HEADERS.contains(&name.as_str()) {
            redact_url(value)
        } else {
            value.to_string()
        };
        match kept.get_mut(&name) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                kept.insert(name, Value::String(value));
            }
        }
    }
    kept
}

/// Whether a (lowercased) header name contains one of [`SENSITIVE_NAME_PARTS`]. Compared
/// byte by byte: `str::contains` sets up a substring searcher per call, and this runs for
/// every part of every header of every request.
fn is_sensitive(name: &str) -> bool {
    let name = name.as_bytes();
    SENSITIVE_NAME_PARTS
        .iter()
        .any(|part| name.windows(part.len()).any(|w| w == part.as_bytes()))
}

/// `url` with the values of sensitive query parameters redacted.
///
/// ```
/// use tds_core::redact::redact_url;
/// assert_eq!(redact_url("https://h/webhooks/zoho/items?key=abc&operation=delete"), "https://h/webhooks/zoho/items?key=[redacted]&operation=delete");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_sensitive_param(name) => format!("{name}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect();
    let mut out = format!("{base}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

fn is_sensitive_param(name: &str) -> bool {
    let decoded: String = form_urlencoded::parse(name.as_bytes())
        .map(|(k, _)| k.into_owned())
        .collect();
    SENSITIVE_QUERY_PARAMS.contains(&decoded.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_sensitive_when_any_part_appears_anywhere_in_it() {
        for name in [
            "proxy-authorization",
            "set-cookie",
            "x-client-secret",
            "x-token",
            "x-zoho-webhook-signature",
            "password",
            "x-api-key-2",
        ] {
            assert!(is_sensitive(name), "{name}");
        }
        for name in ["x-request-id", "content-type", "x-ke-y", "k"] {
            assert!(!is_sensitive(name), "{name}");
        }
    }

    #[test]
    fn secrets_never_survive() {
        let kept = redact_headers([
            ("x-zoho-webhook-signature", "abc123"),
            ("Authorization", "Bearer t"),
            ("cookie", "a=b"),
            ("x-api-token", "t"),
            (
                "spin-full-url",
                "http://127.0.0.1:3000/webhooks/zoho?Key=s3cret&token=t2&module=items",
            ),
            ("x-request-id", "req-1"),
            ("accept", "a"),
            ("accept", "b"),
        ]);
        let text = Value::Object(kept.clone()).to_string();
        for secret in ["abc123", "Bearer", "a=b", "s3cret", "t2"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(
            kept["spin-full-url"],
            "http://127.0.0.1:3000/webhooks/zoho?Key=[redacted]&token=[redacted]&module=items"
        );
        assert_eq!(kept["x-request-id"], "req-1");
        assert_eq!(kept["accept"], "a, b");
    }

    #[test]
    fn urls_without_secrets_are_unchanged() {
        for url in [
            "http://h/a",
            "http://h/a?x=1&y",
            "http://h/a?x=1#frag",
            "http://h/a?",
        ] {
            assert_eq!(redact_url(url), url);
        }
        assert_eq!(
            redact_url("http://h/a?key=1#f"),
            "http://h/a?key=[redacted]#f"
        );
    }
}
