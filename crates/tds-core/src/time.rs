//! Zoho timestamps: `2013-11-18T02:17:40-0800` (an offset without a colon). Also read:
//! `+08:00` offsets, `Z`, fractional seconds and a space instead of `T`.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

/// The instant a Zoho timestamp names, or `None` when `text` is not one.
///
/// ```
/// use tds_core::time::parse_zoho_timestamp;
/// let t = parse_zoho_timestamp("2013-11-18T02:17:40-0800").unwrap();
/// assert_eq!(t.to_rfc3339(), "2013-11-18T10:17:40+00:00");
/// assert!(parse_zoho_timestamp("2013-11-18").is_none());
/// ```
pub fn parse_zoho_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
    ]
    .iter()
    .find_map(|format| DateTime::<FixedOffset>::parse_from_str(text, format).ok())
    .or_else(|| DateTime::parse_from_rfc3339(text).ok())
    .map(|t| t.with_timezone(&Utc))
}

/// The text TDS hands to PostgreSQL for a `timestamptz` (`$n::text::timestamptz`):
/// RFC 3339 in UTC with microseconds, the precision PostgreSQL keeps.
///
/// ```
/// use tds_core::time::{parse_zoho_timestamp, sql_text};
/// let t = parse_zoho_timestamp("2013-11-18T02:17:40-0800").unwrap();
/// assert_eq!(sql_text(&t), "2013-11-18T10:17:40.000000Z");
/// ```
pub fn sql_text(instant: &DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_forms() {
        let expected = parse_zoho_timestamp("2013-11-18T10:17:40Z").unwrap();
        for text in [
            "2013-11-18T02:17:40-0800",
            "2013-11-18T02:17:40-08:00",
            "2013-11-18 02:17:40-0800",
            " 2013-11-18T11:17:40+0100 ",
            "2013-11-18T10:17:40.000+0000",
        ] {
            assert_eq!(parse_zoho_timestamp(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn fractions_survive() {
        let t = parse_zoho_timestamp("2024-01-02T03:04:05.123456+0530").unwrap();
        assert_eq!(sql_text(&t), "2024-01-01T21:34:05.123456Z");
    }

    #[test]
    fn not_timestamps() {
        for text in [
            "",
            "string",
            " ",
            "2013-11-18",
            "2013-11-18T02:17:40",
            "2013-13-18T02:17:40-0800",
        ] {
            assert_eq!(parse_zoho_timestamp(text), None, "{text}");
        }
    }
}
