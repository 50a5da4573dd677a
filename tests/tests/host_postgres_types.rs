//! Every PostgreSQL type docs/spin.md maps ("Outbound PostgreSQL", "Results"), through the real
//! `spin:postgres/postgres@4.0.0` of the host against the real server: as a parameter, as
//! a result, as NULL; and the types without a mapping (`other(name)` / `unsupported`).

use serde_json::{json, Value};
use tds::app::EmptyQueryResults;
use tds_tests::probe::{db_null, execute, hex, probe_options, query, start_probe, typed};
use tds_tests::{TestApp, TestAppOptions};
use tokio_postgres::types::{FromSql, Type};

/// One mapped type: its column type, the WIT case, a parameter, the value read back.
struct Case {
    column: &'static str,
    sql_type: &'static str,
    wit: &'static str,
    param: Value,
    expected: Value,
}

fn case(column: &'static str, sql_type: &'static str, wit: &'static str, param: Value, expected: Value) -> Case {
    Case {
        column,
        sql_type,
        wit,
        param,
        expected,
    }
}

fn same(column: &'static str, sql_type: &'static str, wit: &'static str, value: Value) -> Case {
    case(column, sql_type, wit, value.clone(), value)
}

fn cases() -> Vec<Case> {
    vec![
        same("b", "bool", "boolean", json!(true)),
        same("i2", "int2", "int16", json!(-12345)),
        same("i4", "int4", "int32", json!(2147483647)),
        same("i8", "int8", "int64", json!(9007199254740993_i64)),
        same("f4", "float4", "floating32", json!(1.5)),
        same("f8", "float8", "floating64", json!(-2.25)),
        same("t", "text", "str", json!("héllo ✓ 'quoted' \"double\"")),
        same("vc", "varchar(20)", "str", json!("varchar")),
        case("bc", "char(5)", "str", json!("ab"), json!("ab   ")),
        same("by", "bytea", "binary", json!("00ff10")),
        same("d", "date", "date", json!([2024, 2, 29])),
        same("tm", "time", "time", json!([23, 59, 58, 123456000])),
        same(
            "ts",
            "timestamp",
            "datetime",
            json!([2024, 2, 29, 13, 14, 15, 123456000]),
        ),
        same("u", "uuid", "uuid", json!("8c1d5f38-5d34-4d2c-9a4e-2b7f6e1c0a11")),
        // jsonb comes back as the server's rendering; compared as JSON below.
        same("j", "jsonb", "jsonb", json!(r#"{"a": [1, 2], "b": null, "c": "x"}"#)),
        same("n", "numeric", "decimal", json!("12345.6789")),
        // The server canonicalises an inclusive upper bound of a discrete range.
        case(
            "r4",
            "int4range",
            "range-int32",
            json!({"lower": [1, "inclusive"], "upper": [10, "inclusive"]}),
            json!({"lower": [1, "inclusive"], "upper": [11, "exclusive"]}),
        ),
        same(
            "r8",
            "int8range",
            "range-int64",
            json!({"lower": null, "upper": [100, "exclusive"]}),
        ),
        same(
            "rn",
            "numrange",
            "range-decimal",
            json!({"lower": ["1.5", "inclusive"], "upper": ["2.25", "exclusive"]}),
        ),
        same("a4", "int4[]", "array-int32", json!([1, null, 3])),
        same("a8", "int8[]", "array-int64", json!([9007199254740993_i64, null])),
        same("an", "numeric[]", "array-decimal", json!(["1.50", null, "-3"])),
        same("at", "text[]", "array-str", json!(["a", null, "c d"])),
        same(
            "iv",
            "interval",
            "interval",
            json!({"micros": 3723000004_i64, "days": 5, "months": 14}),
        ),
    ]
}

/// Compares a probe value with the expected one (jsonb as parsed JSON).
fn assert_value(case: &Case, actual: &Value) {
    assert_eq!(
        actual["type"], case.wit,
        "{} ({}): {actual:#}",
        case.column, case.sql_type
    );
    if case.wit == "jsonb" {
        let actual: Value = serde_json::from_str(actual["value"].as_str().expect("jsonb as text")).unwrap();
        let expected: Value = serde_json::from_str(case.expected.as_str().unwrap()).unwrap();
        assert_eq!(actual, expected, "{} ({})", case.column, case.sql_type);
    } else {
        assert_eq!(actual["value"], case.expected, "{} ({})", case.column, case.sql_type);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_mapped_type_round_trips_through_a_table_and_null_keeps_its_column_type() {
    let app = start_probe().await;
    let cases = cases();
    let columns: Vec<String> = cases.iter().map(|c| format!("{} {}", c.column, c.sql_type)).collect();
    let names: Vec<&str> = cases.iter().map(|c| c.column).collect();
    let placeholders: Vec<String> = (1..=cases.len()).map(|i| format!("${i}")).collect();
    let insert = format!(
        "INSERT INTO probe_types ({}) VALUES ({})",
        names.join(", "),
        placeholders.join(", ")
    );
    let run = app
        .pg(vec![
            execute(&format!("CREATE TABLE probe_types ({})", columns.join(", ")), vec![]),
            // Placeholders typed by the columns they fill.
            execute(&insert, cases.iter().map(|c| typed(c.wit, c.param.clone())).collect()),
            // db-null fits a placeholder of any type.
            execute(&insert, cases.iter().map(|_| db_null()).collect()),
            query(
                &format!("SELECT {} FROM probe_types ORDER BY i4 NULLS LAST", names.join(", ")),
                vec![],
            ),
        ])
        .await;
    let results = run.ok();
    assert_eq!(results[1]["rows_affected"], 1);
    assert_eq!(results[2]["rows_affected"], 1);

    let read = &results[3];
    let column_types: Vec<(String, String)> = read["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected_types: Vec<(String, String)> = cases
        .iter()
        .map(|c| (c.column.to_string(), c.wit.to_string()))
        .collect();
    assert_eq!(column_types, expected_types, "column names and WIT types");

    let rows = read["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for (case, value) in cases.iter().zip(rows[0].as_array().unwrap()) {
        assert_value(case, value);
    }
    for (case, value) in cases.iter().zip(rows[1].as_array().unwrap()) {
        assert_eq!(
            value,
            &db_null(),
            "NULL {} ({}) must be db-null",
            case.column,
            case.sql_type
        );
    }

    // The test's own view agrees with what the guest wrote.
    let client = app.db.client().await;
    let row = client
        .query_one(
            "SELECT t, n::text, d::text, ts::text, iv::text, r4::text FROM probe_types WHERE i4 IS NOT NULL",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "héllo ✓ 'quoted' \"double\"");
    assert_eq!(row.get::<_, String>(1), "12345.6789");
    assert_eq!(row.get::<_, String>(2), "2024-02-29");
    assert_eq!(row.get::<_, String>(3), "2024-02-29 13:14:15.123456");
    assert_eq!(row.get::<_, String>(4), "1 year 2 mons 5 days 01:02:03.000004");
    assert_eq!(row.get::<_, String>(5), "[1,11)");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_mapped_type_round_trips_through_a_cast_placeholder() {
    let app = start_probe().await;
    let cases = cases();
    let steps = cases
        .iter()
        .map(|c| {
            query(
                &format!("SELECT $1::{} AS {}", c.sql_type, c.column),
                vec![typed(c.wit, c.param.clone())],
            )
        })
        .collect();
    let run = app.pg(steps).await;
    for (index, case) in cases.iter().enumerate() {
        let result = &run.ok()[index];
        assert_eq!(result["columns"], json!([{"name": case.column, "type": case.wit}]));
        assert_value(case, run.scalar(index));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_computed_values_map_like_columns() {
    let app = start_probe().await;
    let run = app
        .pg(vec![query(
            "SELECT 10.50::numeric * 2 AS n, 'x'::varchar AS v, 3::int2 + 4::int2 AS s, \
                    NULL::int4 AS ni, NULL::numeric AS nn, NULL::jsonb AS nj, \
                    '{\"k\": 1}'::jsonb AS j, 'e4e1ad4c-0000-4000-8000-000000000001'::uuid AS u",
            vec![],
        )])
        .await;
    let result = &run.ok()[0];
    assert_eq!(
        result["columns"],
        json!([
            {"name": "n", "type": "decimal"},
            {"name": "v", "type": "str"},
            {"name": "s", "type": "int16"},
            {"name": "ni", "type": "int32"},
            {"name": "nn", "type": "decimal"},
            {"name": "nj", "type": "jsonb"},
            {"name": "j", "type": "jsonb"},
            {"name": "u", "type": "uuid"},
        ])
    );
    let row = &result["rows"][0];
    assert_eq!(
        row[0],
        typed("decimal", json!("21.00")),
        "numeric keeps its scale as text"
    );
    assert_eq!(row[1], typed("str", json!("x")));
    assert_eq!(row[2], typed("int16", json!(7)));
    assert_eq!(row[3], db_null());
    assert_eq!(row[4], db_null());
    assert_eq!(row[5], db_null());
    let j: Value = serde_json::from_str(row[6]["value"].as_str().unwrap()).unwrap();
    assert_eq!(j, json!({"k": 1}));
    assert_eq!(row[7], typed("uuid", json!("e4e1ad4c-0000-4000-8000-000000000001")));
}

/// Any value's raw binary form, as the server sends it.
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn types_without_a_mapping_come_back_as_other_and_unsupported_raw_bytes() {
    let app = start_probe().await;
    let select = "SELECT '{\"a\":1}'::json AS js, 'abc'::name AS nm, 42::oid AS o, \
                  '10.1.2.3'::inet AS ip, 12.34::money AS m, '12:34:56+02'::timetz AS tz, \
                  ARRAY[1, 2]::int2[] AS a2, NULL::json AS js_null";
    let run = app.pg(vec![query(select, vec![])]).await;
    let result = &run.ok()[0];
    assert_eq!(
        result["columns"],
        json!([
            {"name": "js", "type": "other:json"},
            {"name": "nm", "type": "other:name"},
            {"name": "o", "type": "other:oid"},
            {"name": "ip", "type": "other:inet"},
            {"name": "m", "type": "other:money"},
            {"name": "tz", "type": "other:timetz"},
            {"name": "a2", "type": "other:_int2"},
            {"name": "js_null", "type": "other:json"},
        ])
    );

    // The raw bytes are the server's binary representation, as the test's own client
    // receives them.
    let client = app.db.client().await;
    let own = client.query_one(select, &[]).await.unwrap();
    let row = result["rows"][0].as_array().unwrap();
    for (index, value) in row.iter().enumerate().take(7) {
        let Raw(raw) = own.get::<_, Raw>(index);
        assert_eq!(
            value,
            &typed("unsupported", json!(hex(&raw))),
            "column {} must be unsupported(raw bytes)",
            own.columns()[index].name()
        );
    }
    assert_eq!(
        row[0],
        typed("unsupported", json!(hex(br#"{"a":1}"#))),
        "json is sent as its text"
    );
    assert_eq!(row[1], typed("unsupported", json!(hex(b"abc"))));
    assert_eq!(row[2], typed("unsupported", json!("0000002a")));
    assert_eq!(row[7], db_null(), "a NULL of an unmapped type is db-null");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timestamp_parameter_binds_to_timestamptz_as_epoch_seconds() {
    // Spin converts `timestamp(s64)` to a UTC instant, which only a timestamptz placeholder
    // accepts; the value is read back as a number, never as a timestamptz column.
    let app = start_probe().await;
    let run = app
        .pg(vec![query(
            "SELECT extract(epoch FROM $1::timestamptz)::int8 AS epoch",
            vec![typed("timestamp", json!(1_700_000_000))],
        )])
        .await;
    assert_eq!(run.scalar(0), &typed("int64", json!(1_700_000_000)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_returning_no_rows_is_refused_naming_the_spin_defect() {
    // Spin 4.0.0-4.0.2 never answer a query without rows (spinframework/spin#3671): by
    // default the host refuses it instead, so a component that would hang there fails here.
    let app = start_probe().await;
    let run = app
        .pg(vec![
            query("SELECT 1::int4 AS one", vec![]),
            query("SELECT 1::int4 AS one WHERE false", vec![]),
        ])
        .await;
    assert_eq!(run.failed_at, Some(json!(1)));
    let error = run.err();
    assert_eq!(error["variant"], "other", "{error:#}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("spinframework/spin#3671"), "{message}");
    assert!(message.contains("SELECT 1::int4 AS one WHERE false"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_fix_switched_on_a_query_returning_no_rows_returns_no_columns_either() {
    // Spin builds the column list from the first row: no row, no columns. A component
    // that looks columns up by name before checking for rows breaks under Spin; the host
    // must not hide that.
    let app = TestApp::start_with(TestAppOptions {
        empty_query_results: EmptyQueryResults::Return,
        ..probe_options()
    })
    .await;
    let run = app
        .pg(vec![
            query("SELECT 1::int4 AS one WHERE false", vec![]),
            query("SELECT 1::int4 AS one", vec![]),
        ])
        .await;
    assert_eq!(run.ok()[0], json!({"columns": [], "rows": []}));
    assert_eq!(run.ok()[1]["columns"], json!([{"name": "one", "type": "int32"}]));
}
