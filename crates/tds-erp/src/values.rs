//! Reading typed values out of a Zoho document, as SQL text.
//!
//! Missing fields, `null`, and blank strings (Zoho's examples show `" "`) are NULL. Every
//! other value must convert exactly or the mapping fails: a value TDS cannot read is a
//! permanent failure, dead-lettered where an operator sees it, never silently dropped.

use serde_json::{Map, Value};
use tds_core::time::{parse_zoho_timestamp, sql_text};

use crate::Kind;

/// A field that does not hold what its column needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field {field}: {problem}")]
pub struct MappingError {
    pub field: String,
    pub problem: String,
}

/// The value of `field` as SQL text for a column of `kind`.
///
/// ```
/// use tds_erp::{values::extract, Kind};
/// let doc = serde_json::json!({"rate": "120.50", "tax_percentage": "70%", "name": " ", "date": "2013-11-17"});
/// let doc = doc.as_object().unwrap();
/// assert_eq!(extract(doc, "rate", Kind::Decimal).unwrap().as_deref(), Some("120.50"));
/// assert_eq!(extract(doc, "date", Kind::Date).unwrap().as_deref(), Some("2013-11-17"));
/// assert_eq!(extract(doc, "tax_percentage", Kind::Percent).unwrap().as_deref(), Some("70"));
/// assert_eq!(extract(doc, "name", Kind::Text).unwrap(), None);
/// ```
pub fn extract(
    document: &Map<String, Value>,
    field: &str,
    kind: Kind,
) -> Result<Option<String>, MappingError> {
    let fail = |problem: String| MappingError {
        field: field.to_string(),
        problem,
    };
    let Some(scalar) = scalar_text(document.get(field)).map_err(fail)? else {
        return Ok(None);
    };
    match kind {
        Kind::Text => Ok(Some(scalar)),
        Kind::Id => id(&scalar).map(Some).map_err(fail),
        Kind::Decimal => decimal(&scalar).map(Some).map_err(fail),
        Kind::Percent => decimal(scalar.trim().trim_end_matches('%'))
            .map(Some)
            .map_err(fail),
        Kind::Integer => integer(&scalar).map(Some).map_err(fail),
        Kind::Boolean => boolean(&scalar).map(Some).map_err(fail),
        Kind::Date => date(&scalar).map(Some).map_err(fail),
        Kind::Timestamp => parse_zoho_timestamp(&scalar)
            .map(|t| Some(sql_text(&t)))
            .ok_or_else(|| fail(format!("{scalar:?} is not a timestamp"))),
    }
}

/// A scalar's text; `None` for absent, null or blank values.
fn scalar_text(value: Option<&Value>) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(Value::Array(_)) => Err("is an array, not a single value".to_string()),
        Some(Value::Object(_)) => Err("is an object, not a single value".to_string()),
    }
}

/// An exact decimal: optional sign, digits with an optional fraction, optional exponent.
/// Thousands separators, `NaN` and infinities are refused.
fn decimal(text: &str) -> Result<String, String> {
    let t = text.trim();
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let valid = digits(whole)
        && digits(fraction)
        && !(whole.is_empty() && fraction.is_empty())
        && exponent.is_none_or(|e| !e.is_empty() && digits(e));
    if valid {
        Ok(t.strip_prefix('+').unwrap_or(t).to_string())
    } else {
        Err(format!("{text:?} is not a decimal number"))
    }
}

/// A 32-bit integer written in digits (`15`, `-1`); fractions and exponents are refused.
fn integer(text: &str) -> Result<String, String> {
    let t = text.trim();
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not an integer"));
    }
    t.parse::<i32>()
        .map(|n| n.to_string())
        .map_err(|_| format!("{text:?} is out of range for an integer"))
}

/// A calendar date written `yyyy-mm-dd`, as Zoho writes document dates.
fn date(text: &str) -> Result<String, String> {
    let t = text.trim();
    let shaped = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    match shaped && chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok() {
        true => Ok(t.to_string()),
        false => Err(format!("{text:?} is not a date (yyyy-mm-dd)")),
    }
}

fn id(text: &str) -> Result<String, String> {
    tds_core::normalize::EntityId::from_text(text)
        .map(|id| id.as_str().to_string())
        .map_err(|why| format!("id {why}"))
}

fn boolean(text: &str) -> Result<String, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok("true".to_string()),
        "false" | "0" | "no" => Ok("false".to_string()),
        _ => Err(format!("{text:?} is not a boolean")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(value: Value, kind: Kind) -> Result<Option<String>, MappingError> {
        let doc = json!({ "f": value });
        extract(doc.as_object().unwrap(), "f", kind)
    }

    #[test]
    fn decimals_are_exact_text() {
        let parsed: Value = serde_json::from_str("10000.00").unwrap();
        assert_eq!(
            one(parsed, Kind::Decimal).unwrap().as_deref(),
            Some("10000.00")
        );
        let parsed: Value = serde_json::from_str("0.1000000000000000055511151231257827").unwrap();
        assert_eq!(
            one(parsed, Kind::Decimal).unwrap().as_deref(),
            Some("0.1000000000000000055511151231257827")
        );
        for (text, expected) in [
            ("+5", "5"),
            ("-0.5", "-0.5"),
            (".5", ".5"),
            ("5.", "5."),
            ("1e3", "1e3"),
            ("1.5E-2", "1.5E-2"),
            (" 7 ", "7"),
        ] {
            assert_eq!(
                one(json!(text), Kind::Decimal).unwrap().as_deref(),
                Some(expected),
                "{text}"
            );
        }
        for text in [
            "1,200.00", "NaN", "inf", "1e", ".", "-", "12a", "1.2.3", "string",
        ] {
            assert!(one(json!(text), Kind::Decimal).is_err(), "{text}");
        }
    }

    #[test]
    fn blanks_are_null() {
        for value in [Value::Null, json!(""), json!(" "), json!("\t")] {
            for kind in [
                Kind::Text,
                Kind::Decimal,
                Kind::Boolean,
                Kind::Timestamp,
                Kind::Id,
                Kind::Integer,
                Kind::Date,
            ] {
                assert_eq!(one(value.clone(), kind), Ok(None));
            }
        }
        assert_eq!(extract(&Map::new(), "absent", Kind::Decimal), Ok(None));
    }

    #[test]
    fn other_kinds() {
        assert_eq!(
            one(json!(true), Kind::Boolean).unwrap().as_deref(),
            Some("true")
        );
        assert_eq!(
            one(json!("No"), Kind::Boolean).unwrap().as_deref(),
            Some("false")
        );
        assert!(one(json!("maybe"), Kind::Boolean).is_err());
        assert_eq!(
            one(json!(15), Kind::Integer).unwrap().as_deref(),
            Some("15")
        );
        assert_eq!(
            one(json!("-2"), Kind::Integer).unwrap().as_deref(),
            Some("-2")
        );
        for bad in [json!(1.5), json!("1e3"), json!("3000000000"), json!("x")] {
            assert!(one(bad.clone(), Kind::Integer).is_err(), "{bad}");
        }
        assert_eq!(
            one(json!("2013-11-17"), Kind::Date).unwrap().as_deref(),
            Some("2013-11-17")
        );
        for bad in [
            "string",
            "2013-02-30",
            "2013-1-05",
            "19 Jan 2017",
            "2013-11-18T02:17:40-0800",
        ] {
            assert!(one(json!(bad), Kind::Date).is_err(), "{bad}");
        }
        assert_eq!(
            one(json!("2013-11-18T02:17:40-0800"), Kind::Timestamp)
                .unwrap()
                .as_deref(),
            Some("2013-11-18T10:17:40.000000Z")
        );
        assert_eq!(
            one(json!("12.5 %"), Kind::Percent).unwrap().as_deref(),
            Some("12.5")
        );
        let big: Value = serde_json::from_str("127919000000106780").unwrap();
        assert_eq!(
            one(big, Kind::Id).unwrap().as_deref(),
            Some("127919000000106780")
        );
        assert_eq!(one(json!(12), Kind::Text).unwrap().as_deref(), Some("12"));
        let e = one(json!([1]), Kind::Text).unwrap_err();
        assert_eq!(e.to_string(), "field f: is an array, not a single value");
    }
}
