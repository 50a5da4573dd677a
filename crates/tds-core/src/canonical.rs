//! Canonical JSON: object keys sorted by their bytes, no whitespace, strings escaped as
//! serde_json escapes them, numbers with their digits as written (the workspace enables
//! `arbitrary_precision`, so `10000.00` stays `10000.00`; only an exponent's sign is
//! spelled out, `1e3` → `1e+3`). Two documents with the same
//! content produce the same text whatever their key order or spacing.

use std::io::{self, Write};

use serde_json::{Map, Value};

/// Writes the canonical text of `object`, without the top-level keys `leave_out` accepts,
/// to `out` as it goes: a hash of it needs neither a copy of the object nor the whole text
/// in memory.
///
/// ```
/// let doc: serde_json::Value = serde_json::from_str(r#"{"b": {"v": 1}, "v": 2, "a": 3}"#).unwrap();
/// let mut out = Vec::new();
/// tds_core::canonical::write_object(doc.as_object().unwrap(), |key| key == "v", &mut out).unwrap();
/// assert_eq!(out, br#"{"a":3,"b":{"v":1}}"#);
/// ```
pub fn write_object(
    object: &Map<String, Value>,
    leave_out: impl Fn(&str) -> bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut entries: Vec<_> = object.iter().filter(|(key, _)| !leave_out(key)).collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.write_all(b"{")?;
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, key)?;
        out.write_all(b":")?;
        write_value(value, out)?;
    }
    out.write_all(b"}")
}

fn write_value(value: &Value, out: &mut impl Write) -> io::Result<()> {
    match value {
        Value::Object(map) => write_object(map, |_| false, out),
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_value(item, out)?;
            }
            out.write_all(b"]")
        }
        scalar => Ok(serde_json::to_writer(&mut *out, scalar)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The canonical text of `value`.
    fn to_canonical_json(value: &Value) -> String {
        let mut out = Vec::new();
        write_value(value, &mut out).expect("writing to memory cannot fail");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    #[test]
    fn keys_sort_by_their_bytes_and_numbers_keep_their_digits() {
        let doc: Value =
            serde_json::from_str(r#"{ "b": [1, 2.50], "a": {"y": null, "x": "é"} }"#).unwrap();
        assert_eq!(
            to_canonical_json(&doc),
            r#"{"a":{"x":"é","y":null},"b":[1,2.50]}"#
        );
    }

    #[test]
    fn key_order_and_spacing_do_not_matter() {
        let a: Value = serde_json::from_str(r#"{"x":1,"y":{"b":true,"a":"q\"uote"}}"#).unwrap();
        let b: Value =
            serde_json::from_str("{ \"y\" : { \"a\" : \"q\\\"uote\", \"b\" : true }, \"x\" : 1 }")
                .unwrap();
        assert_eq!(to_canonical_json(&a), to_canonical_json(&b));
        assert_eq!(
            to_canonical_json(&a),
            r#"{"x":1,"y":{"a":"q\"uote","b":true}}"#
        );
    }

    #[test]
    fn big_numbers_are_kept_verbatim() {
        let v: Value =
            serde_json::from_str(r#"[127919000000106780123, 10000.00, -0.5e3]"#).unwrap();
        assert_eq!(
            to_canonical_json(&v),
            "[127919000000106780123,10000.00,-0.5e+3]"
        );
    }
}
