//! Query-string parameters of the stats API, read strictly: an unknown or repeated
//! parameter, or a value of the wrong kind, is an error naming the parameter, so a caller
//! never gets an answer to a question they did not ask.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};

use crate::time::sql_text;

/// A parameter that was not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter {parameter}: {message}")]
pub struct ParamError {
    /// The parameter's name as sent.
    pub parameter: String,
    pub message: String,
}

impl ParamError {
    pub fn new(parameter: &str, message: impl Into<String>) -> ParamError {
        ParamError {
            parameter: parameter.to_string(),
            message: message.into(),
        }
    }
}

/// Decoded query parameters, each given at most once.
///
/// ```
/// use tds_core::query::Params;
/// let params = Params::parse("status=open&limit=20&module=items", &["status", "limit", "module"]).unwrap();
/// assert_eq!(params.one_of("status", &["open", "all"], "open").unwrap(), "open");
/// assert_eq!(params.int("limit", 50, 1, 200).unwrap(), 20);
/// assert_eq!(params.text("module"), Some("items"));
/// assert_eq!(Params::parse("colour=red", &["status"]).unwrap_err().parameter, "colour");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    values: BTreeMap<String, String>,
}

impl Params {
    /// Decodes `query` (without the `?`), allowing only the names in `allowed`. A value is
    /// taken as sent (not trimmed); an empty value or one holding NUL is an error, as
    /// `/openapi.json` says (`minLength: 1`, no `\u0000`).
    pub fn parse(query: &str, allowed: &[&str]) -> Result<Params, ParamError> {
        let mut values = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if !allowed.contains(&name.as_ref()) {
                let known = if allowed.is_empty() {
                    "this route takes no parameters".to_string()
                } else {
                    format!("unknown parameter; this route takes {}", allowed.join(", "))
                };
                return Err(ParamError::new(&name, known));
            }
            if values.contains_key(name.as_ref()) {
                return Err(ParamError::new(&name, "given more than once"));
            }
            if value.is_empty() {
                return Err(ParamError::new(
                    &name,
                    "is empty; leave the parameter out or give it a value",
                ));
            }
            if value.contains('\0') {
                return Err(ParamError::new(&name, "must not contain NUL (%00)"));
            }
            values.insert(name.into_owned(), value.into_owned());
        }
        Ok(Params { values })
    }

    /// The value of `name`, when given.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// An integer in `min..=max`, `default` when absent.
    pub fn int(&self, name: &str, default: i64, min: i64, max: i64) -> Result<i64, ParamError> {
        match self.text(name) {
            None => Ok(default),
            Some(text) => int_in_range(name, text, min, max),
        }
    }

    /// An integer in `min..=max`, when given.
    pub fn opt_int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ParamError> {
        self.text(name)
            .map(|text| int_in_range(name, text, min, max))
            .transpose()
    }

    /// One of `choices`, `default` when absent.
    pub fn one_of<'a>(
        &self,
        name: &str,
        choices: &[&'a str],
        default: &'a str,
    ) -> Result<&'a str, ParamError> {
        match self.text(name) {
            None => Ok(default),
            Some(text) => choose(name, text, choices),
        }
    }

    /// One of `choices`, when given.
    pub fn opt_one_of<'a>(
        &self,
        name: &str,
        choices: &[&'a str],
    ) -> Result<Option<&'a str>, ParamError> {
        self.text(name)
            .map(|t| choose(name, t, choices))
            .transpose()
    }

    /// A timestamp (RFC 3339, or Zoho's `2013-11-18T02:17:40-0800`), as the text
    /// PostgreSQL takes for a `timestamptz`, when given.
    pub fn time(&self, name: &str) -> Result<Option<String>, ParamError> {
        self.text(name).map(|t| timestamp(name, t)).transpose()
    }
}

/// `text` as an integer in `min..=max`, or an error naming `name`.
///
/// ```
/// assert_eq!(tds_core::query::int_in_range("limit", "5", 1, 10), Ok(5));
/// assert!(tds_core::query::int_in_range("limit", "0", 1, 10).is_err());
/// ```
pub fn int_in_range(name: &str, text: &str, min: i64, max: i64) -> Result<i64, ParamError> {
    match text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) => Err(ParamError::new(
            name,
            format!("must be between {min} and {max}, not {text}"),
        )),
        Err(_) => Err(ParamError::new(
            name,
            format!("must be a whole number, not {text:?}"),
        )),
    }
}

/// `text` when it is one of `choices`, or an error naming `name` and the choices.
pub fn choose<'a>(name: &str, text: &str, choices: &[&'a str]) -> Result<&'a str, ParamError> {
    choices
        .iter()
        .find(|c| **c == text)
        .copied()
        .ok_or_else(|| {
            ParamError::new(
                name,
                format!("must be one of {}, not {text:?}", choices.join(", ")),
            )
        })
}

/// An RFC 3339 timestamp (OpenAPI's `date-time`) as PostgreSQL text, or an error naming
/// `name`.
///
/// ```
/// assert_eq!(
///     tds_core::query::timestamp("from", "2026-11-20T10:15:00+05:30").unwrap(),
///     "2026-11-20T04:45:00.000000Z"
/// );
/// assert!(tds_core::query::timestamp("from", "yesterday").is_err());
/// assert!(tds_core::query::timestamp("from", "2026-11-20").is_err());
/// assert_eq!(tds_core::query::timestamp("from", "0001-01-01T00:00:00+01:00").unwrap(), "-infinity");
/// assert_eq!(tds_core::query::timestamp("to", "9999-12-31T23:00:00-01:00").unwrap(), "infinity");
/// ```
pub fn timestamp(name: &str, text: &str) -> Result<String, ParamError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| match t.with_timezone(&Utc) {
            // An offset can carry 0001-01-01 or 9999-12-31 past PostgreSQL's four-digit
            // years; as a bound such an instant is before or after everything stored.
            t if t.year() < 1 => "-infinity".to_string(),
            t if t.year() > 9999 => "infinity".to_string(),
            t => sql_text(&t),
        })
        .ok()
        .ok_or_else(|| {
            ParamError::new(
                name,
                format!("must be a timestamp such as 2026-11-20T10:15:00Z, not {text:?}"),
            )
        })
}

/// Decodes the `%XX` escapes of one URL path segment (an entity id may hold any
/// character) with the `percent-encoding` crate: a `%` not followed by two hex digits stays
/// as it is (`%+f` too), and bytes that are not UTF-8 become U+FFFD.
///
/// ```
/// use tds_core::query::decode_path_segment;
/// assert_eq!(decode_path_segment("lane%3Acatalog"), "lane:catalog");
/// assert_eq!(decode_path_segment("a%20b%zz%"), "a b%zz%");
/// assert_eq!(decode_path_segment("a%+fb%-1"), "a%+fb%-1");
/// ```
pub fn decode_path_segment(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_unknown_parameters_are_named() {
        let e = Params::parse("limit=1&limit=2", &["limit"]).unwrap_err();
        assert_eq!(e.parameter, "limit");
        assert!(e.message.contains("more than once"));
        let e = Params::parse("x=1", &[]).unwrap_err();
        assert_eq!(e.to_string(), "parameter x: this route takes no parameters");
    }

    #[test]
    fn values_are_decoded_and_empty_ones_refused() {
        let p = Params::parse(
            "entity_id=%20a%20b&since=2026-01-01T00%3A00%3A00Z",
            &["module", "entity_id", "since"],
        )
        .unwrap();
        assert_eq!(p.text("module"), None);
        assert_eq!(p.text("entity_id"), Some(" a b"));
        assert_eq!(
            p.time("since").unwrap().as_deref(),
            Some("2026-01-01T00:00:00.000000Z")
        );
        for query in ["module=", "limit=", "module=a%00b"] {
            let e = Params::parse(query, &["module", "limit"]).unwrap_err();
            assert!(
                ["module", "limit"].contains(&e.parameter.as_str()),
                "{query}"
            );
        }
        assert!(Params::parse("limit=%205", &["limit"])
            .unwrap()
            .int("limit", 1, 1, 9)
            .is_err());
    }

    #[test]
    fn ranges_and_choices() {
        let p = Params::parse("limit=500&status=closed", &["limit", "status"]).unwrap();
        assert_eq!(p.int("limit", 50, 1, 200).unwrap_err().parameter, "limit");
        let e = p
            .one_of("status", &["open", "resolved"], "open")
            .unwrap_err();
        assert_eq!(e.message, "must be one of open, resolved, not \"closed\"");
        assert_eq!(p.opt_int("absent", 1, 2), Ok(None));
    }
}
