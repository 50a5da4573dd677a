//! Result columns and values as the interface has them, mapped as Spin maps them.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use rust_decimal::Decimal;
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::errors;
use crate::postgres::{Column, DbDataType, DbValue, Error, Interval, QueryError};
use crate::wire::{Bound, Range, Raw};

/// The interface's column for a statement column; `timestamptz` fails the query.
pub(crate) fn column(column: &tokio_postgres::Column) -> Result<Column, Error> {
    let ty = column.type_();
    if *ty == Type::TIMESTAMPTZ {
        return Err(Error::QueryFailed(QueryError::Text(format!(
            "column {name:?} is timestamptz, which spin:postgres cannot return (Spin 4.0.2 \
             fails such a query too): select it as text ({name}::text) or as epoch seconds \
             (extract(epoch from {name}))",
            name = column.name()
        ))));
    }
    Ok(Column {
        name: column.name().to_string(),
        data_type: data_type(ty),
    })
}

fn data_type(ty: &Type) -> DbDataType {
    match *ty {
        Type::BOOL => DbDataType::Boolean,
        Type::INT2 => DbDataType::Int16,
        Type::INT4 => DbDataType::Int32,
        Type::INT8 => DbDataType::Int64,
        Type::FLOAT4 => DbDataType::Floating32,
        Type::FLOAT8 => DbDataType::Floating64,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR => DbDataType::Str,
        Type::BYTEA => DbDataType::Binary,
        Type::DATE => DbDataType::Date,
        Type::TIME => DbDataType::Time,
        Type::TIMESTAMP => DbDataType::Datetime,
        Type::UUID => DbDataType::Uuid,
        Type::JSONB => DbDataType::Jsonb,
        Type::NUMERIC => DbDataType::Decimal,
        Type::INT4_RANGE => DbDataType::RangeInt32,
        Type::INT8_RANGE => DbDataType::RangeInt64,
        Type::NUM_RANGE => DbDataType::RangeDecimal,
        Type::INT4_ARRAY => DbDataType::ArrayInt32,
        Type::INT8_ARRAY => DbDataType::ArrayInt64,
        Type::NUMERIC_ARRAY => DbDataType::ArrayDecimal,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => DbDataType::ArrayStr,
        Type::INTERVAL => DbDataType::Interval,
        _ => DbDataType::Other(ty.name().to_string()),
    }
}

/// A row's values, in column order.
pub(crate) fn row(row: &Row) -> Result<Vec<DbValue>, Error> {
    (0..row.len())
        .map(|index| {
            value(row, index).map_err(|e| {
                let column = &row.columns()[index];
                Error::QueryFailed(QueryError::Text(format!(
                    "cannot read column {:?} of type {}: {}",
                    column.name(),
                    column.type_(),
                    errors::describe(&e)
                )))
            })
        })
        .collect()
}

fn value(row: &Row, index: usize) -> Result<DbValue, tokio_postgres::Error> {
    let ty = row.columns()[index].type_();
    match data_type(ty) {
        DbDataType::Boolean => get(row, index, DbValue::Boolean),
        DbDataType::Int16 => get(row, index, DbValue::Int16),
        DbDataType::Int32 => get(row, index, DbValue::Int32),
        DbDataType::Int64 => get(row, index, DbValue::Int64),
        DbDataType::Floating32 => get(row, index, DbValue::Floating32),
        DbDataType::Floating64 => get(row, index, DbValue::Floating64),
        DbDataType::Str => get(row, index, DbValue::Str),
        DbDataType::Binary => get(row, index, DbValue::Binary),
        DbDataType::Date => get(row, index, |d: NaiveDate| DbValue::Date(date(d))),
        DbDataType::Time => get(row, index, |t: NaiveTime| DbValue::Time(time(t))),
        DbDataType::Datetime => get(row, index, |dt: NaiveDateTime| {
            let (year, month, day) = date(dt.date());
            let (hour, minute, second, nanos) = time(dt.time());
            DbValue::Datetime((year, month, day, hour, minute, second, nanos))
        }),
        DbDataType::Uuid => get(row, index, |u: Uuid| DbValue::Uuid(u.to_string())),
        DbDataType::Jsonb => get(row, index, |json: serde_json::Value| {
            DbValue::Jsonb(json.to_string().into_bytes())
        }),
        DbDataType::Decimal => get(row, index, |d: Decimal| DbValue::Decimal(d.to_string())),
        DbDataType::RangeInt32 => get(row, index, |r: Range<i32>| DbValue::RangeInt32(bounds(r))),
        DbDataType::RangeInt64 => get(row, index, |r: Range<i64>| DbValue::RangeInt64(bounds(r))),
        DbDataType::RangeDecimal => get(row, index, |r: Range<Decimal>| {
            let (lower, upper) = bounds(r);
            let text = |bound: Bound<Decimal>| bound.map(|(d, kind)| (d.to_string(), kind));
            DbValue::RangeDecimal((text(lower), text(upper)))
        }),
        DbDataType::ArrayInt32 => get(row, index, DbValue::ArrayInt32),
        DbDataType::ArrayInt64 => get(row, index, DbValue::ArrayInt64),
        DbDataType::ArrayDecimal => get(row, index, |items: Vec<Option<Decimal>>| {
            DbValue::ArrayDecimal(items.iter().map(|d| d.map(|d| d.to_string())).collect())
        }),
        DbDataType::ArrayStr => get(row, index, DbValue::ArrayStr),
        DbDataType::Interval => get(row, index, |i: Interval| DbValue::Interval(i)),
        // `data_type` never yields `int8` or `timestamp`: no column maps to them.
        DbDataType::Int8 | DbDataType::Timestamp | DbDataType::Other(_) => {
            get(row, index, |raw: Raw| DbValue::Unsupported(raw.0))
        }
    }
}

/// The value at `index` as `T`, wrapped by `wrap`; NULL is `db-null`.
fn get<'a, T: FromSql<'a>>(
    row: &'a Row,
    index: usize,
    wrap: impl FnOnce(T) -> DbValue,
) -> Result<DbValue, tokio_postgres::Error> {
    Ok(row
        .try_get::<_, Option<T>>(index)?
        .map_or(DbValue::DbNull, wrap))
}

fn date(date: NaiveDate) -> (i32, u8, u8) {
    // Month and day always fit in a u8.
    (date.year(), date.month() as u8, date.day() as u8)
}

fn time(time: NaiveTime) -> (u8, u8, u8, u32) {
    // Hour, minute and second always fit in a u8.
    (
        time.hour() as u8,
        time.minute() as u8,
        time.second() as u8,
        time.nanosecond(),
    )
}

/// A range's bounds; the empty range has none on either side, as in Spin.
fn bounds<T>(range: Range<T>) -> (Bound<T>, Bound<T>) {
    match range {
        Range::Empty => (None, None),
        Range::Bounded(lower, upper) => (lower, upper),
    }
}
