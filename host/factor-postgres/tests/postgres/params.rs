//! Parameters of every type, bound to placeholders of their type.

use tds_factor_postgres::postgres::{
    DbDataType as Type, DbValue as Value, Error, Interval, ParameterValue as Param,
    RangeBoundKind::*,
};

use crate::support::Database;

fn some(text: &str) -> Option<String> {
    Some(text.to_string())
}

#[tokio::test]
async fn every_parameter_type_round_trips_through_its_placeholder_type() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let interval = Interval {
        micros: -3_500_000,
        days: 2,
        months: 14,
    };
    let cases = [
        ("$1::bool", Param::Boolean(true), Value::Boolean(true)),
        ("$1::int2", Param::Int16(-7), Value::Int16(-7)),
        ("$1::int4", Param::Int32(i32::MIN), Value::Int32(i32::MIN)),
        ("$1::int8", Param::Int64(i64::MAX), Value::Int64(i64::MAX)),
        (
            "$1::float4",
            Param::Floating32(1.25),
            Value::Floating32(1.25),
        ),
        (
            "$1::float8",
            Param::Floating64(-0.5),
            Value::Floating64(-0.5),
        ),
        (
            "$1::text",
            Param::Str("héllo".into()),
            Value::Str("héllo".into()),
        ),
        (
            "$1::varchar",
            Param::Str("v".into()),
            Value::Str("v".into()),
        ),
        (
            "$1",
            Param::Str("untyped is text".into()),
            Value::Str("untyped is text".into()),
        ),
        (
            "$1::bytea",
            Param::Binary(vec![0, 1, 255]),
            Value::Binary(vec![0, 1, 255]),
        ),
        (
            "$1::date",
            Param::Date((2024, 2, 29)),
            Value::Date((2024, 2, 29)),
        ),
        (
            "$1::time",
            Param::Time((1, 2, 3, 4_000)),
            Value::Time((1, 2, 3, 4_000)),
        ),
        (
            "$1::timestamp",
            Param::Datetime((1999, 12, 31, 23, 59, 59, 999_999_000)),
            Value::Datetime((1999, 12, 31, 23, 59, 59, 999_999_000)),
        ),
        (
            "extract(epoch from $1::timestamptz)::int8",
            Param::Timestamp(1_700_000_000),
            Value::Int64(1_700_000_000),
        ),
        (
            "$1::uuid",
            Param::Uuid("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11".into()),
            Value::Uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into()),
        ),
        (
            "$1::jsonb",
            Param::Jsonb(br#"{"k": [1, true, "x"], "n": 1.50}"#.to_vec()),
            Value::Jsonb(br#"{"k":[1,true,"x"],"n":1.50}"#.to_vec()),
        ),
        (
            "$1::numeric",
            Param::Decimal("-12.3400".into()),
            Value::Decimal("-12.3400".into()),
        ),
        (
            "$1::int4range",
            Param::RangeInt32((Some((1, Inclusive)), Some((5, Inclusive)))),
            Value::RangeInt32((Some((1, Inclusive)), Some((6, Exclusive)))),
        ),
        (
            "$1::int8range",
            Param::RangeInt64((None, Some((10, Exclusive)))),
            Value::RangeInt64((None, Some((10, Exclusive)))),
        ),
        (
            "$1::numrange",
            Param::RangeDecimal((Some(("1.5".into(), Exclusive)), None)),
            Value::RangeDecimal((Some(("1.5".into(), Exclusive)), None)),
        ),
        (
            "isempty($1::int4range)",
            Param::RangeInt32((Some((5, Inclusive)), Some((1, Inclusive)))),
            Value::Boolean(true),
        ),
        (
            "$1::int4[]",
            Param::ArrayInt32(vec![Some(1), None, Some(-3)]),
            Value::ArrayInt32(vec![Some(1), None, Some(-3)]),
        ),
        (
            "$1::int8[]",
            Param::ArrayInt64(vec![None, Some(1 << 40)]),
            Value::ArrayInt64(vec![None, Some(1 << 40)]),
        ),
        (
            "$1::numeric[]",
            Param::ArrayDecimal(vec![some("1.50"), None]),
            Value::ArrayDecimal(vec![some("1.50"), None]),
        ),
        (
            "$1::text[]",
            Param::ArrayStr(vec![some("a"), None, some("")]),
            Value::ArrayStr(vec![some("a"), None, some("")]),
        ),
        (
            "$1::interval",
            Param::Interval(interval),
            Value::Interval(interval),
        ),
        ("$1::int8", Param::DbNull, Value::DbNull),
    ];
    for (expression, param, expected) in cases {
        let statement = format!("SELECT {expression}");
        let value = guest.value(&connection, &statement, vec![param]).await;
        assert_eq!(value, expected, "{statement}");
    }
}

#[tokio::test]
async fn int8_binds_to_the_char_type_which_comes_back_unsupported() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let result = guest
        .query(
            &connection,
            "SELECT $1::\"char\" AS c",
            vec![Param::Int8(65)],
        )
        .await
        .unwrap();
    assert_eq!(result.columns[0].data_type, Type::Other("char".into()));
    assert_eq!(result.rows[0][0], Value::Unsupported(vec![65]));
}

#[tokio::test]
async fn parameters_take_the_type_of_the_column_they_are_stored_in() {
    let db = Database::create().await;
    db.client()
        .await
        .batch_execute("CREATE TABLE t (n int8, s text, j jsonb, d numeric(8, 2), at timestamp)")
        .await
        .unwrap();
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let inserted = guest
        .execute(
            &connection,
            "INSERT INTO t (n, s, j, d, at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                Param::Int64(5),
                Param::Str("five".into()),
                Param::Jsonb(b"[5]".to_vec()),
                Param::Decimal("5.5".into()),
                Param::Datetime((2025, 5, 5, 5, 5, 5, 0)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(inserted, 1);
    let rows = guest
        .query(&connection, "SELECT n, s, j, d, at FROM t", vec![])
        .await
        .unwrap();
    assert_eq!(
        rows.rows[0],
        vec![
            Value::Int64(5),
            Value::Str("five".into()),
            Value::Jsonb(b"[5]".to_vec()),
            Value::Decimal("5.50".into()),
            Value::Datetime((2025, 5, 5, 5, 5, 5, 0)),
        ]
    );
}

#[tokio::test]
async fn db_null_binds_to_any_type() {
    let db = Database::create().await;
    db.client()
        .await
        .batch_execute("CREATE TABLE t (n int8, s text, j jsonb)")
        .await
        .unwrap();
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let inserted = guest
        .execute(
            &connection,
            "INSERT INTO t (n, s, j) VALUES ($1, $2, $3)",
            vec![Param::DbNull, Param::DbNull, Param::DbNull],
        )
        .await
        .unwrap();
    assert_eq!(inserted, 1);
    let rows = guest
        .query(&connection, "SELECT n, s, j FROM t", vec![])
        .await
        .unwrap();
    let types: Vec<Type> = rows.columns.iter().map(|c| c.data_type.clone()).collect();
    assert_eq!(types, vec![Type::Int64, Type::Str, Type::Jsonb]);
    assert_eq!(rows.rows, vec![vec![Value::DbNull; 3]]);
}

#[tokio::test]
async fn values_that_are_not_what_their_type_says_are_bad_parameters() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let cases = [
        ("$1::uuid", Param::Uuid("not-a-uuid".into()), "UUID"),
        ("$1::jsonb", Param::Jsonb(b"{oops".to_vec()), "JSON"),
        ("$1::numeric", Param::Decimal("1.2.3".into()), "decimal"),
        ("$1::date", Param::Date((2023, 2, 29)), "2023-02-29"),
        ("$1::time", Param::Time((24, 0, 0, 0)), "24:00:00"),
        (
            "$1::timestamp",
            Param::Datetime((2023, 13, 1, 0, 0, 0, 0)),
            "2023-13-01",
        ),
        (
            "$1::numeric[]",
            Param::ArrayDecimal(vec![some("1"), some("x")]),
            "\"x\"",
        ),
        (
            "$1::numrange",
            Param::RangeDecimal((None, Some(("y".into(), Inclusive)))),
            "\"y\"",
        ),
        (
            "$1::timestamptz",
            Param::Timestamp(i64::MAX),
            "out of range",
        ),
    ];
    for (expression, param, mentioned) in cases {
        let statement = format!("SELECT $1::int4, {}", expression.replace("$1", "$2"));
        let result = guest
            .query(&connection, &statement, vec![Param::Int32(1), param])
            .await;
        match result {
            Err(Error::BadParameter(message)) => {
                assert!(message.contains("$2"), "{statement}: {message}");
                assert!(message.contains(mentioned), "{statement}: {message}");
            }
            other => panic!("{statement}: expected bad-parameter, got {other:?}"),
        }
    }
}
