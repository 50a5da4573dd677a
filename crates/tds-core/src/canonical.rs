//! Canonical JSON: object keys sorted by their bytes, no whitespace, strings escaped as
//! serde_json escapes them, numbers with their digits as written (the workspace enables
//! `arbitrary_precision`, so `10000.00` stays `10000.00`; only an exponent's sign is
//! spelled out, `1e3` → `1e+3`). Two documents with the same
//! content produce the same text whatever their key order or spacing.

use serde_json::Value;

/// The canonical text of `value`.
///
/// ```
/// let doc: serde_json::Value = serde_json::from_str(r#"{ "b": [1, 2.50], "a": {"y": null, "x": "é"} }"#).unwrap();
/// assert_eq!(tds_core::canonical::to_canonical_json(&doc), r#"{"a":{"x":"é","y":null},"b":[1,2.50]}"#);
/// ```
pub fn to_canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
