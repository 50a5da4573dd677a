//! Binary wire encodings tokio-postgres has no type for: ranges, `interval`,
//! and the raw bytes of types the interface cannot represent.

use std::error::Error as StdError;
use std::fmt::Debug;

use bytes::{Buf, BufMut, BytesMut};
use postgres_protocol::types::{
    self as protocol, empty_range_to_sql, range_from_sql, range_to_sql,
};
use rust_decimal::Decimal;
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, Kind, ToSql, Type};

use crate::postgres::{Interval, RangeBoundKind};

type BoxError = Box<dyn StdError + Sync + Send>;

/// One side of a range as the interface has it: `None` is unbounded.
pub(crate) type Bound<T> = Option<(T, RangeBoundKind)>;

/// A value of a range type whose elements are `T`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Range<T> {
    Empty,
    Bounded(Bound<T>, Bound<T>),
}

/// A range element type.
pub(crate) trait Element: ToSql + for<'a> FromSql<'a> + PartialOrd + Sized {
    /// The next value of a discrete type; `None` for a continuous type (and
    /// at a discrete type's maximum).
    fn successor(&self) -> Option<Self>;
}

impl Element for i32 {
    fn successor(&self) -> Option<i32> {
        self.checked_add(1)
    }
}

impl Element for i64 {
    fn successor(&self) -> Option<i64> {
        self.checked_add(1)
    }
}

impl Element for Decimal {
    fn successor(&self) -> Option<Decimal> {
        None
    }
}

impl<T: Element> Range<T> {
    /// The range a guest sent, canonicalised as Spin does: discrete bounds
    /// become `[lower, upper)`, and bounds that enclose nothing (including a
    /// lower bound above the upper one) make the empty range.
    pub(crate) fn new(lower: Bound<T>, upper: Bound<T>) -> Range<T> {
        use RangeBoundKind::{Exclusive, Inclusive};
        let lower = lower.map(|(value, kind)| canonical(value, kind, Exclusive));
        let upper = upper.map(|(value, kind)| canonical(value, kind, Inclusive));
        if let (Some((low, low_kind)), Some((high, high_kind))) = (&lower, &upper) {
            let empty = match (low_kind, high_kind) {
                (Inclusive, Inclusive) => low > high,
                _ => low >= high,
            };
            if empty {
                return Range::Empty;
            }
        }
        Range::Bounded(lower, upper)
    }
}

/// Moves a discrete bound of kind `moved` to the next value, flipping its kind.
fn canonical<T: Element>(
    value: T,
    kind: RangeBoundKind,
    moved: RangeBoundKind,
) -> (T, RangeBoundKind) {
    if kind == moved {
        if let Some(next) = value.successor() {
            let flipped = match kind {
                RangeBoundKind::Inclusive => RangeBoundKind::Exclusive,
                RangeBoundKind::Exclusive => RangeBoundKind::Inclusive,
            };
            return (next, flipped);
        }
    }
    (value, kind)
}

fn member(ty: &Type) -> Result<&Type, BoxError> {
    match ty.kind() {
        Kind::Range(member) => Ok(member),
        _ => Err(format!("{ty} is not a range type").into()),
    }
}

impl<T: Element + Debug> ToSql for Range<T> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let member = member(ty)?;
        match self {
            Range::Empty => empty_range_to_sql(out),
            Range::Bounded(lower, upper) => range_to_sql(
                |buf| bound_to_sql(lower, member, buf),
                |buf| bound_to_sql(upper, member, buf),
                out,
            )?,
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), Kind::Range(member) if <T as ToSql>::accepts(member))
    }

    to_sql_checked!();
}

fn bound_to_sql<T: ToSql>(
    bound: &Bound<T>,
    member: &Type,
    buf: &mut BytesMut,
) -> Result<protocol::RangeBound<postgres_protocol::IsNull>, BoxError> {
    let Some((value, kind)) = bound else {
        return Ok(protocol::RangeBound::Unbounded);
    };
    let null = match value.to_sql(member, buf)? {
        IsNull::Yes => postgres_protocol::IsNull::Yes,
        IsNull::No => postgres_protocol::IsNull::No,
    };
    Ok(match kind {
        RangeBoundKind::Inclusive => protocol::RangeBound::Inclusive(null),
        RangeBoundKind::Exclusive => protocol::RangeBound::Exclusive(null),
    })
}

impl<'a, T: Element> FromSql<'a> for Range<T> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Range<T>, BoxError> {
        let member = member(ty)?;
        Ok(match range_from_sql(raw)? {
            protocol::Range::Empty => Range::Empty,
            protocol::Range::Nonempty(lower, upper) => Range::Bounded(
                bound_from_sql(lower, member)?,
                bound_from_sql(upper, member)?,
            ),
        })
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), Kind::Range(member) if <T as FromSql>::accepts(member))
    }
}

fn bound_from_sql<T: Element>(
    bound: protocol::RangeBound<Option<&[u8]>>,
    member: &Type,
) -> Result<Bound<T>, BoxError> {
    let (raw, kind) = match bound {
        protocol::RangeBound::Unbounded => return Ok(None),
        protocol::RangeBound::Inclusive(raw) => (raw, RangeBoundKind::Inclusive),
        protocol::RangeBound::Exclusive(raw) => (raw, RangeBoundKind::Exclusive),
    };
    let raw = raw.ok_or("a range bound is NULL")?;
    Ok(Some((T::from_sql(member, raw)?, kind)))
}

/// `interval`: microseconds, days and months, in that order on the wire.
impl ToSql for Interval {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        out.put_i64(self.micros);
        out.put_i32(self.days);
        out.put_i32(self.months);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INTERVAL
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Interval {
    fn from_sql(_: &Type, mut raw: &'a [u8]) -> Result<Interval, BoxError> {
        if raw.len() != 16 {
            return Err(format!("an interval is 16 bytes, not {}", raw.len()).into());
        }
        Ok(Interval {
            micros: raw.get_i64(),
            days: raw.get_i32(),
            months: raw.get_i32(),
        })
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INTERVAL
    }
}

/// The binary value of any type, uninterpreted.
pub(crate) struct Raw(pub(crate) Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Raw, BoxError> {
        Ok(Raw(raw.to_vec()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeBoundKind::{Exclusive, Inclusive};

    #[test]
    fn discrete_ranges_are_canonical() {
        assert_eq!(
            Range::new(Some((1, Exclusive)), Some((5, Inclusive))),
            Range::Bounded(Some((2, Inclusive)), Some((6, Exclusive)))
        );
        assert_eq!(
            Range::new(Some((1_i64, Inclusive)), None),
            Range::Bounded(Some((1, Inclusive)), None)
        );
    }

    #[test]
    fn ranges_enclosing_nothing_are_empty() {
        assert_eq!(
            Range::new(Some((5, Inclusive)), Some((1, Inclusive))),
            Range::Empty
        );
        assert_eq!(
            Range::new(Some((3, Exclusive)), Some((4, Exclusive))),
            Range::Empty
        );
        assert_eq!(
            Range::new(Some((3, Inclusive)), Some((3, Exclusive))),
            Range::Empty
        );
        let one = Decimal::ONE;
        assert_eq!(
            Range::new(Some((one, Inclusive)), Some((one, Inclusive))),
            Range::Bounded(Some((one, Inclusive)), Some((one, Inclusive)))
        );
        assert_eq!(
            Range::new(Some((one, Exclusive)), Some((one, Inclusive))),
            Range::Empty
        );
    }

    #[test]
    fn ranges_round_trip_on_the_wire() {
        let range = Range::Bounded(Some((-3, Inclusive)), None);
        let mut buf = BytesMut::new();
        range.to_sql(&Type::INT4_RANGE, &mut buf).unwrap();
        assert_eq!(
            Range::<i32>::from_sql(&Type::INT4_RANGE, &buf).unwrap(),
            range
        );

        let mut buf = BytesMut::new();
        Range::<i64>::Empty
            .to_sql(&Type::INT8_RANGE, &mut buf)
            .unwrap();
        assert_eq!(
            Range::<i64>::from_sql(&Type::INT8_RANGE, &buf).unwrap(),
            Range::Empty
        );
    }

    #[test]
    fn intervals_round_trip_on_the_wire() {
        let interval = Interval {
            micros: -1,
            days: 2,
            months: -3,
        };
        let mut buf = BytesMut::new();
        interval.to_sql(&Type::INTERVAL, &mut buf).unwrap();
        assert_eq!(Interval::from_sql(&Type::INTERVAL, &buf).unwrap(), interval);
    }
}
