//! Guest parameters as PostgreSQL values, bound as strictly as Spin binds them.
//!
//! Each `parameter-value` becomes the Rust value Spin converts it to, and is
//! accepted by exactly the placeholder types that value's tokio-postgres
//! `ToSql` accepts (`db-null` by every type). A value that is not what its
//! type claims (a bad UUID) is a `bad-parameter` before anything is sent; a
//! value of the wrong type for its placeholder fails the statement with an
//! explanation of the rule.

use std::error::Error as StdError;

use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use tokio_postgres::types::{IsNull, ToSql, Type};
use uuid::Uuid;

use crate::postgres::{Error, Interval, ParameterValue, RangeBoundKind};
use crate::wire::{Bound, Range};

type BoxError = Box<dyn StdError + Sync + Send>;

/// Declares [`Value`]: one variant per Rust type a parameter can become, with
/// the interface's name for it and the SQL type to cast a placeholder to.
macro_rules! values {
    ($($variant:ident($rust:ty) = $wit:literal as $sql:literal,)*) => {
        #[derive(Debug)]
        enum Value {
            $($variant($rust),)*
            Null,
        }

        impl Value {
            fn wit_name(&self) -> &'static str {
                match self {
                    $(Value::$variant(_) => $wit,)*
                    Value::Null => "db-null",
                }
            }

            fn sql_name(&self) -> &'static str {
                match self {
                    $(Value::$variant(_) => $sql,)*
                    Value::Null => "text",
                }
            }

            fn accepts(&self, ty: &Type) -> bool {
                match self {
                    $(Value::$variant(_) => <$rust as ToSql>::accepts(ty),)*
                    Value::Null => true,
                }
            }

            fn encode(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
                match self {
                    $(Value::$variant(value) => value.to_sql(ty, out),)*
                    Value::Null => Ok(IsNull::Yes),
                }
            }
        }
    };
}

values! {
    Bool(bool) = "boolean" as "bool",
    Char(i8) = "int8" as "\"char\"",
    Int2(i16) = "int16" as "int2",
    Int4(i32) = "int32" as "int4",
    Int8(i64) = "int64" as "int8",
    Float4(f32) = "floating32" as "float4",
    Float8(f64) = "floating64" as "float8",
    Text(String) = "str" as "text",
    Bytea(Vec<u8>) = "binary" as "bytea",
    Date(NaiveDate) = "date" as "date",
    Time(NaiveTime) = "time" as "time",
    Timestamp(NaiveDateTime) = "datetime" as "timestamp",
    Timestamptz(DateTime<Utc>) = "timestamp" as "timestamptz",
    Uuid(Uuid) = "uuid" as "uuid",
    Jsonb(serde_json::Value) = "jsonb" as "jsonb",
    Numeric(Decimal) = "decimal" as "numeric",
    Int4Range(Range<i32>) = "range-int32" as "int4range",
    Int8Range(Range<i64>) = "range-int64" as "int8range",
    NumRange(Range<Decimal>) = "range-decimal" as "numrange",
    Int4Array(Vec<Option<i32>>) = "array-int32" as "int4[]",
    Int8Array(Vec<Option<i64>>) = "array-int64" as "int8[]",
    NumericArray(Vec<Option<Decimal>>) = "array-decimal" as "numeric[]",
    TextArray(Vec<Option<String>>) = "array-str" as "text[]",
    Interval(Interval) = "interval" as "interval",
}

/// A parameter ready to bind to placeholder `$position`.
#[derive(Debug)]
pub(crate) struct Param {
    position: usize,
    value: Value,
}

/// A parameter sent to a placeholder of a type it does not bind to.
#[derive(Debug, thiserror::Error)]
#[error(
    "parameter ${position} is {wit} but PostgreSQL expects {expected} there: parameters \
     bind strictly by their placeholder's type, as in Spin; send a parameter of that \
     type or cast the placeholder in SQL (${position}::{cast})"
)]
struct Mismatch {
    position: usize,
    wit: &'static str,
    expected: Type,
    cast: &'static str,
}

impl ToSql for Param {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        self.value.encode(ty, out)
    }

    /// Every type: the check depends on the value, in `to_sql_checked`.
    fn accepts(_: &Type) -> bool {
        true
    }

    fn to_sql_checked(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        if !self.value.accepts(ty) {
            return Err(Box::new(Mismatch {
                position: self.position,
                wit: self.value.wit_name(),
                expected: ty.clone(),
                cast: self.value.sql_name(),
            }));
        }
        self.value.encode(ty, out)
    }
}

/// Converts a statement's parameters; the first invalid one is a `bad-parameter`.
pub(crate) fn convert(params: Vec<ParameterValue>) -> Result<Vec<Param>, Error> {
    params
        .into_iter()
        .enumerate()
        .map(|(index, param)| {
            let position = index + 1;
            value(param)
                .map(|value| Param { position, value })
                .map_err(|reason| Error::BadParameter(format!("parameter ${position}: {reason}")))
        })
        .collect()
}

/// The form tokio-postgres takes parameters in.
pub(crate) fn as_sql(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|param| param as &(dyn ToSql + Sync))
        .collect()
}

fn value(param: ParameterValue) -> Result<Value, String> {
    Ok(match param {
        ParameterValue::Boolean(v) => Value::Bool(v),
        ParameterValue::Int8(v) => Value::Char(v),
        ParameterValue::Int16(v) => Value::Int2(v),
        ParameterValue::Int32(v) => Value::Int4(v),
        ParameterValue::Int64(v) => Value::Int8(v),
        ParameterValue::Floating32(v) => Value::Float4(v),
        ParameterValue::Floating64(v) => Value::Float8(v),
        ParameterValue::Str(v) => Value::Text(v),
        ParameterValue::Binary(v) => Value::Bytea(v),
        ParameterValue::Date(v) => Value::Date(date(v)?),
        ParameterValue::Time(v) => Value::Time(time(v)?),
        ParameterValue::Datetime((year, month, day, hour, minute, second, nanos)) => {
            Value::Timestamp(NaiveDateTime::new(
                date((year, month, day))?,
                time((hour, minute, second, nanos))?,
            ))
        }
        ParameterValue::Timestamp(seconds) => Value::Timestamptz(
            DateTime::from_timestamp(seconds, 0)
                .ok_or_else(|| format!("timestamp {seconds} s since the epoch is out of range"))?,
        ),
        ParameterValue::Uuid(text) => {
            Value::Uuid(Uuid::parse_str(&text).map_err(|e| format!("{text:?} is not a UUID: {e}"))?)
        }
        ParameterValue::Jsonb(bytes) => Value::Jsonb(
            serde_json::from_slice(&bytes).map_err(|e| format!("jsonb is not valid JSON: {e}"))?,
        ),
        ParameterValue::Decimal(text) => Value::Numeric(decimal(&text)?),
        ParameterValue::RangeInt32((lower, upper)) => Value::Int4Range(Range::new(lower, upper)),
        ParameterValue::RangeInt64((lower, upper)) => Value::Int8Range(Range::new(lower, upper)),
        ParameterValue::RangeDecimal((lower, upper)) => {
            Value::NumRange(Range::new(decimal_bound(lower)?, decimal_bound(upper)?))
        }
        ParameterValue::ArrayInt32(v) => Value::Int4Array(v),
        ParameterValue::ArrayInt64(v) => Value::Int8Array(v),
        ParameterValue::ArrayDecimal(v) => Value::NumericArray(
            v.iter()
                .map(|item| item.as_deref().map(decimal).transpose())
                .collect::<Result<_, _>>()?,
        ),
        ParameterValue::ArrayStr(v) => Value::TextArray(v),
        ParameterValue::Interval(v) => Value::Interval(v),
        ParameterValue::DbNull => Value::Null,
    })
}

fn date((year, month, day): (i32, u8, u8)) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(year, month.into(), day.into())
        .ok_or_else(|| format!("date {year:04}-{month:02}-{day:02} does not exist"))
}

fn time((hour, minute, second, nanos): (u8, u8, u8, u32)) -> Result<NaiveTime, String> {
    NaiveTime::from_hms_nano_opt(hour.into(), minute.into(), second.into(), nanos)
        .ok_or_else(|| format!("time {hour:02}:{minute:02}:{second:02}.{nanos:09} does not exist"))
}

fn decimal(text: &str) -> Result<Decimal, String> {
    Decimal::from_str_exact(text).map_err(|e| {
        format!("{text:?} is not a decimal number of at most 28 significant digits: {e}")
    })
}

fn decimal_bound(bound: Bound<String>) -> Result<Bound<Decimal>, String> {
    bound
        .map(|(text, kind): (String, RangeBoundKind)| Ok((decimal(&text)?, kind)))
        .transpose()
}
