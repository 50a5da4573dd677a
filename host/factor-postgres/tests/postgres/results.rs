//! Result columns and values, type by type.

use tds_factor_postgres::postgres::{
    Column, DbDataType as Type, DbValue as Value, Error, Interval, RangeBoundKind::*,
};

use crate::support::{failure_text, Database};

fn columns(expected: &[(&str, Type)]) -> Vec<Column> {
    expected
        .iter()
        .map(|(name, data_type)| Column {
            name: name.to_string(),
            data_type: data_type.clone(),
        })
        .collect()
}

fn some(text: &str) -> Option<String> {
    Some(text.to_string())
}

#[tokio::test]
async fn every_mapped_type_comes_back_typed_and_null_keeps_its_column_type() {
    let db = Database::create().await;
    db.client()
        .await
        .batch_execute(
            r#"
            CREATE TABLE everything (
                b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
                t text, vc varchar(10), bc char(3), bin bytea, n numeric(12, 2),
                ts timestamp, d date, tm time, u uuid, j jsonb,
                r4 int4range, r8 int8range, rn numrange,
                a4 int4[], a8 int8[], an numeric[], at text[], av varchar[], iv interval);
            INSERT INTO everything VALUES (
                true, -2, -4, -8, 1.5, -2.25,
                'text', 'varchar', 'ab', '\x00ff', 1234567890.50,
                '2024-02-29 13:14:15.123456', '2024-02-29', '23:59:58.5',
                'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{"b": [1, 2.50], "a": null}',
                '[1,5)', '[3,)', '(1.5,2.5]',
                '{1,NULL,3}', '{9000000000,NULL}', '{1.10,NULL}', '{"x",NULL,"z"}', '{"v"}',
                '1 mon 2 days 00:00:03.5');
            INSERT INTO everything DEFAULT VALUES;
            "#,
        )
        .await
        .unwrap();
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();

    let result = guest
        .query(
            &connection,
            "SELECT * FROM everything ORDER BY b NULLS LAST",
            vec![],
        )
        .await
        .unwrap();

    assert_eq!(
        result.columns,
        columns(&[
            ("b", Type::Boolean),
            ("i2", Type::Int16),
            ("i4", Type::Int32),
            ("i8", Type::Int64),
            ("f4", Type::Floating32),
            ("f8", Type::Floating64),
            ("t", Type::Str),
            ("vc", Type::Str),
            ("bc", Type::Str),
            ("bin", Type::Binary),
            ("n", Type::Decimal),
            ("ts", Type::Datetime),
            ("d", Type::Date),
            ("tm", Type::Time),
            ("u", Type::Uuid),
            ("j", Type::Jsonb),
            ("r4", Type::RangeInt32),
            ("r8", Type::RangeInt64),
            ("rn", Type::RangeDecimal),
            ("a4", Type::ArrayInt32),
            ("a8", Type::ArrayInt64),
            ("an", Type::ArrayDecimal),
            ("at", Type::ArrayStr),
            ("av", Type::ArrayStr),
            ("iv", Type::Interval),
        ])
    );
    assert_eq!(
        result.rows[0],
        vec![
            Value::Boolean(true),
            Value::Int16(-2),
            Value::Int32(-4),
            Value::Int64(-8),
            Value::Floating32(1.5),
            Value::Floating64(-2.25),
            Value::Str("text".into()),
            Value::Str("varchar".into()),
            Value::Str("ab ".into()),
            Value::Binary(vec![0x00, 0xff]),
            Value::Decimal("1234567890.50".into()),
            Value::Datetime((2024, 2, 29, 13, 14, 15, 123_456_000)),
            Value::Date((2024, 2, 29)),
            Value::Time((23, 59, 58, 500_000_000)),
            Value::Uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into()),
            Value::Jsonb(br#"{"a":null,"b":[1,2.50]}"#.to_vec()),
            Value::RangeInt32((Some((1, Inclusive)), Some((5, Exclusive)))),
            Value::RangeInt64((Some((3, Inclusive)), None)),
            Value::RangeDecimal((
                Some(("1.5".into(), Exclusive)),
                Some(("2.5".into(), Inclusive))
            )),
            Value::ArrayInt32(vec![Some(1), None, Some(3)]),
            Value::ArrayInt64(vec![Some(9_000_000_000), None]),
            Value::ArrayDecimal(vec![some("1.10"), None]),
            Value::ArrayStr(vec![some("x"), None, some("z")]),
            Value::ArrayStr(vec![some("v")]),
            Value::Interval(Interval {
                micros: 3_500_000,
                days: 2,
                months: 1
            }),
        ]
    );
    assert_eq!(result.rows[1], vec![Value::DbNull; 25]);
}

#[tokio::test]
async fn decimals_keep_every_digit_and_their_scale() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    for text in [
        "0",
        "-0.001",
        "12.50",
        "1234567890123456789.123456789",
        "100000000000000000000",
    ] {
        let value = guest
            .value(&connection, &format!("SELECT '{text}'::numeric"), vec![])
            .await;
        assert_eq!(value, Value::Decimal(text.into()));
    }
}

#[tokio::test]
async fn decimals_spin_cannot_represent_fail_the_query_without_a_panic() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    for special in ["NaN", "Infinity", "-Infinity"] {
        let result = guest
            .query(
                &connection,
                &format!("SELECT '{special}'::numeric AS amount"),
                vec![],
            )
            .await;
        let text = failure_text(result);
        assert!(text.contains("\"amount\""), "{text}");
    }
    let still_usable = guest.value(&connection, "SELECT 1::int4", vec![]).await;
    assert_eq!(still_usable, Value::Int32(1));
}

#[tokio::test]
async fn ranges_map_unbounded_sides_to_none_and_empty_to_none_none() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let cases = [
        (
            "'(,10]'::int4range",
            Value::RangeInt32((None, Some((11, Exclusive)))),
        ),
        ("'empty'::int4range", Value::RangeInt32((None, None))),
        ("'(,)'::int8range", Value::RangeInt64((None, None))),
        ("'empty'::numrange", Value::RangeDecimal((None, None))),
        (
            "'[0.5,0.5]'::numrange",
            Value::RangeDecimal((
                Some(("0.5".into(), Inclusive)),
                Some(("0.5".into(), Inclusive)),
            )),
        ),
    ];
    for (literal, expected) in cases {
        let value = guest
            .value(&connection, &format!("SELECT {literal}"), vec![])
            .await;
        assert_eq!(value, expected, "{literal}");
    }
}

#[tokio::test]
async fn unmapped_types_come_back_as_other_with_their_raw_binary_value() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let result = guest
        .query(
            &connection,
            r#"SELECT '{"a": 1}'::json AS j, 'x'::name AS nm, 42::oid AS o,
                      '10.0.0.1'::inet AS ip, '12:00:00+02'::timetz AS tz,
                      '{1,2}'::int2[] AS a2, 'c'::"char" AS ch, 12.5::money AS m,
                      NULL::json AS nothing"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        result.columns,
        columns(&[
            ("j", Type::Other("json".into())),
            ("nm", Type::Other("name".into())),
            ("o", Type::Other("oid".into())),
            ("ip", Type::Other("inet".into())),
            ("tz", Type::Other("timetz".into())),
            ("a2", Type::Other("_int2".into())),
            ("ch", Type::Other("char".into())),
            ("m", Type::Other("money".into())),
            ("nothing", Type::Other("json".into())),
        ])
    );
    let row = &result.rows[0];
    assert_eq!(row[0], Value::Unsupported(br#"{"a": 1}"#.to_vec()));
    assert_eq!(row[1], Value::Unsupported(b"x".to_vec()));
    assert_eq!(row[2], Value::Unsupported(42_u32.to_be_bytes().to_vec()));
    assert_eq!(row[3], Value::Unsupported(vec![2, 32, 0, 4, 10, 0, 0, 1]));
    let mut timetz = (12 * 3_600_000_000_i64).to_be_bytes().to_vec();
    timetz.extend((-7200_i32).to_be_bytes());
    assert_eq!(row[4], Value::Unsupported(timetz));
    assert!(
        matches!(&row[5], Value::Unsupported(raw) if raw.len() > 20),
        "{:?}",
        row[5]
    );
    assert_eq!(row[6], Value::Unsupported(b"c".to_vec()));
    assert_eq!(row[7], Value::Unsupported(1250_i64.to_be_bytes().to_vec()));
    assert_eq!(row[8], Value::DbNull);
}

#[tokio::test]
async fn a_timestamptz_column_fails_the_whole_query() {
    let db = Database::create().await;
    db.client()
        .await
        .batch_execute("CREATE TABLE events (id int4, at timestamptz)")
        .await
        .unwrap();
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();

    let text = failure_text(
        guest
            .query(&connection, "SELECT 1::int4 AS id, now() AS at", vec![])
            .await,
    );
    assert!(
        text.contains("\"at\"") && text.contains("timestamptz"),
        "{text}"
    );

    // Even before any row exists, so the mistake shows on an empty table.
    let text = failure_text(
        guest
            .query(&connection, "SELECT id, at FROM events", vec![])
            .await,
    );
    assert!(text.contains("\"at\""), "{text}");

    // And the statement has no effect.
    let result = guest
        .query(
            &connection,
            "INSERT INTO events VALUES (1, now()) RETURNING at",
            vec![],
        )
        .await;
    failure_text(result);
    let count = guest
        .value(&connection, "SELECT count(*) FROM events", vec![])
        .await;
    assert_eq!(count, Value::Int64(0));

    // Moved as text or numbers, it works.
    let rows = guest
        .query(
            &connection,
            "SELECT '2024-01-02 03:04:05+00'::timestamptz::text AS at,
                    extract(epoch from '2024-01-02 03:04:05+00'::timestamptz)::int8 AS epoch",
            vec![],
        )
        .await
        .unwrap();
    assert!(matches!(&rows.rows[0][0], Value::Str(text) if text.starts_with("2024-01-0")));
    assert_eq!(rows.rows[0][1], Value::Int64(1_704_164_645));
}

#[tokio::test]
async fn a_query_without_rows_is_refused_as_spin_4_0_would_hang_on_it() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let result = guest
        .query(&connection, "SELECT 1::int4 AS one WHERE false", vec![])
        .await;
    match result {
        Err(Error::Other(message)) => {
            assert!(message.contains("spinframework/spin#3671"), "{message}");
            assert!(
                message.contains("SELECT 1::int4 AS one WHERE false"),
                "{message}"
            );
        }
        other => panic!("expected other(…) naming the Spin defect, got {other:?}"),
    }
    // The connection goes on working, and execute is not affected.
    let updated = guest
        .execute(&connection, "SELECT 1 WHERE false", vec![])
        .await
        .unwrap();
    assert_eq!(updated, 0);
    assert_eq!(
        guest.value(&connection, "SELECT 2::int4", vec![]).await,
        Value::Int32(2)
    );
}

#[tokio::test]
async fn with_the_fix_switched_on_a_query_without_rows_has_no_columns_either() {
    let db = Database::create().await;
    let mut guest = db.guest_answering_empty_results();
    let connection = guest.open(&db.address()).await.unwrap();
    let result = guest
        .query(&connection, "SELECT 1::int4 AS one WHERE false", vec![])
        .await
        .unwrap();
    assert!(
        result.columns.is_empty() && result.rows.is_empty(),
        "{result:?}"
    );
}

#[tokio::test]
async fn execute_returns_the_rows_affected() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let created = guest
        .execute(&connection, "CREATE TABLE t (id int4)", vec![])
        .await
        .unwrap();
    assert_eq!(created, 0);
    let inserted = guest
        .execute(
            &connection,
            "INSERT INTO t SELECT generate_series(1, 3)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(inserted, 3);
    let updated = guest
        .execute(&connection, "UPDATE t SET id = id + 1 WHERE id > 1", vec![])
        .await
        .unwrap();
    assert_eq!(updated, 2);
}
