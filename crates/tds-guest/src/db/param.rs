//! Parameter constructors, one per placeholder cast TDS uses.

use spin_sdk::pg4::ParameterValue;

/// For `$n::text`.
pub fn text(s: impl Into<String>) -> ParameterValue {
    ParameterValue::Str(s.into())
}

/// For `$n::text`, NULL when absent.
pub fn opt_text(s: Option<impl Into<String>>) -> ParameterValue {
    s.map_or(ParameterValue::DbNull, text)
}

/// For `$n::bigint`.
pub fn int8(n: i64) -> ParameterValue {
    ParameterValue::Int64(n)
}

/// For `$n::bigint`, NULL when absent.
pub fn opt_int8(n: Option<i64>) -> ParameterValue {
    n.map_or(ParameterValue::DbNull, int8)
}

/// For `$n::int4`.
pub fn int4(n: i32) -> ParameterValue {
    ParameterValue::Int32(n)
}

/// For `$n::int4` from a count, a limit or a number of seconds; saturates at `i32::MAX`.
pub fn uint4(n: u32) -> ParameterValue {
    int4(i32::try_from(n).unwrap_or(i32::MAX))
}

/// For `$n::float8`.
pub fn float8(n: f64) -> ParameterValue {
    ParameterValue::Floating64(n)
}

/// For `$n::float8`, NULL when absent.
pub fn opt_float8(n: Option<f64>) -> ParameterValue {
    n.map_or(ParameterValue::DbNull, float8)
}

/// For `$n::bytea`.
pub fn bytea(bytes: Vec<u8>) -> ParameterValue {
    ParameterValue::Binary(bytes)
}

/// For `$n::bytea`, NULL when absent.
pub fn opt_bytea(bytes: Option<&[u8]>) -> ParameterValue {
    bytes.map_or(ParameterValue::DbNull, |b| bytea(b.to_vec()))
}

/// For `$n::bigint[]`.
pub fn int8_array(items: impl IntoIterator<Item = i64>) -> ParameterValue {
    ParameterValue::ArrayInt64(items.into_iter().map(Some).collect())
}

/// For `$n::text[]`.
pub fn text_array<S: Into<String>>(items: impl IntoIterator<Item = S>) -> ParameterValue {
    ParameterValue::ArrayStr(items.into_iter().map(|s| Some(s.into())).collect())
}
