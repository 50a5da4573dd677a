//! What real Spin 4.0.2 refuses in `spin:postgres/postgres@4.0.0` (docs/spin.md, "Outbound
//! PostgreSQL"), refused the same way by the host: strictly typed parameters, no
//! `timestamptz` results or datetime parameters for `timestamptz`, no Unix sockets,
//! addresses outside `allowed_outbound_hosts`; and server errors carrying their SQLSTATE.

use serde_json::{json, Value};
use tds_tests::cluster;
use tds_tests::probe::{execute, query, start_probe, typed, PgRun};

/// Asserts a client-side refusal of the statement (no server error attached).
#[track_caller]
fn assert_refused_without_db_error(run: &PgRun, what: &str) {
    let error = run.err();
    assert_eq!(error["variant"], "query-failed", "{what}: {error:#}");
    assert!(
        error.get("db_error").is_none(),
        "{what}: the server never saw it: {error:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn parameters_must_match_the_placeholder_type_exactly() {
    let app = start_probe().await;

    // int32 into an int8 placeholder.
    let run = app
        .pg(vec![query("SELECT $1::int8 AS v", vec![typed("int32", json!(1))])])
        .await;
    assert_refused_without_db_error(&run, "int32 for int8");
    let run = app
        .pg(vec![query("SELECT $1::int8 AS v", vec![typed("int64", json!(1))])])
        .await;
    assert_eq!(run.scalar(0), &typed("int64", json!(1)), "int64 for int8 is fine");

    // int64 into an int4 placeholder, int16 into int4.
    let run = app
        .pg(vec![query("SELECT $1::int4 AS v", vec![typed("int64", json!(1))])])
        .await;
    assert_refused_without_db_error(&run, "int64 for int4");
    let run = app
        .pg(vec![query("SELECT $1::int4 AS v", vec![typed("int16", json!(1))])])
        .await;
    assert_refused_without_db_error(&run, "int16 for int4");

    // str into an int4 placeholder; text cast explicitly in SQL is the way.
    let run = app
        .pg(vec![query("SELECT $1::int4 AS v", vec![typed("str", json!("5"))])])
        .await;
    assert_refused_without_db_error(&run, "str for int4");
    let run = app
        .pg(vec![query(
            "SELECT $1::text::int4 AS v",
            vec![typed("str", json!("5"))],
        )])
        .await;
    assert_eq!(run.scalar(0), &typed("int32", json!(5)));

    // An untyped placeholder is text: str fits, int32 does not.
    let run = app
        .pg(vec![query("SELECT $1 AS v", vec![typed("str", json!("plain"))])])
        .await;
    assert_eq!(run.scalar(0), &typed("str", json!("plain")));
    let run = app
        .pg(vec![query("SELECT $1 AS v", vec![typed("int32", json!(1))])])
        .await;
    assert_refused_without_db_error(&run, "int32 for an untyped (text) placeholder");

    // A column's type decides too: float64 into a numeric column, str into a uuid column.
    let run = app
        .pg(vec![
            execute("CREATE TABLE strict_types (n numeric, u uuid)", vec![]),
            execute(
                "INSERT INTO strict_types (n) VALUES ($1)",
                vec![typed("floating64", json!(1.5))],
            ),
        ])
        .await;
    assert_eq!(run.failed_at, Some(json!(1)));
    assert_refused_without_db_error(&run, "float64 for numeric");
    let run = app
        .pg(vec![execute(
            "INSERT INTO strict_types (u) VALUES ($1)",
            vec![typed("str", json!("8c1d5f38-5d34-4d2c-9a4e-2b7f6e1c0a11"))],
        )])
        .await;
    assert_refused_without_db_error(&run, "str for uuid");

    // Nothing was written by the refused statements.
    let client = app.db.client().await;
    let count: i64 = client
        .query_one("SELECT count(*) FROM strict_types", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn timestamptz_never_crosses_the_interface() {
    let app = start_probe().await;
    let datetime = typed("datetime", json!([2024, 1, 2, 3, 4, 5, 0]));

    // A datetime cannot bind to a timestamptz placeholder…
    let run = app
        .pg(vec![query("SELECT $1::timestamptz::text AS v", vec![datetime.clone()])])
        .await;
    assert_refused_without_db_error(&run, "datetime for timestamptz");
    // …but does bind to timestamp.
    let run = app
        .pg(vec![query("SELECT $1::timestamp::text AS v", vec![datetime])])
        .await;
    assert_eq!(run.scalar(0), &typed("str", json!("2024-01-02 03:04:05")));

    // A timestamptz column in a result fails the whole query, whatever else it holds.
    let run = app.pg(vec![query("SELECT 1 AS one, now() AS at", vec![])]).await;
    let error = run.err();
    assert_eq!(error["variant"], "query-failed", "{error:#}");
    assert!(run.results.is_empty(), "no partial result: {:#?}", run.results);

    // Tables may hold timestamptz; statements move it as text or numbers.
    let run = app
        .pg(vec![
            execute("CREATE TABLE events (id int PRIMARY KEY, at timestamptz NOT NULL)", vec![]),
            execute(
                "INSERT INTO events (id, at) VALUES (1, $1::text::timestamptz)",
                vec![typed("str", json!("2024-01-02T03:04:05Z"))],
            ),
            query(
                "SELECT extract(epoch FROM at)::int8 AS epoch, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS utc FROM events",
                vec![],
            ),
            query("SELECT * FROM events", vec![]),
        ])
        .await;
    assert_eq!(run.failed_at, Some(json!(3)), "SELECT * returns the timestamptz column");
    assert_eq!(
        run.rows(2)[0],
        json!([
            typed("int64", json!(1704164645)),
            typed("str", json!("2024-01-02 03:04:05"))
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_carry_their_sqlstate() {
    let app = start_probe().await;
    let run = app
        .pg(vec![
            execute("CREATE TABLE uniq (id int PRIMARY KEY)", vec![]),
            execute("INSERT INTO uniq (id) VALUES (1)", vec![]),
            execute("INSERT INTO uniq (id) VALUES (1)", vec![]),
        ])
        .await;
    assert_eq!(run.failed_at, Some(json!(2)));
    let error = run.err();
    assert_eq!(error["variant"], "query-failed", "{error:#}");
    let db = &error["db_error"];
    assert_eq!(db["code"], "23505", "unique violation: {error:#}");
    assert_eq!(db["severity"], "ERROR");
    assert_eq!(db["detail"], "Key (id)=(1) already exists.");
    assert!(db["message"].as_str().unwrap().contains("uniq_pkey"), "{db:#}");
    let extras = db["extras"].as_array().unwrap();
    assert!(
        extras.contains(&json!(["constraint", "uniq_pkey"])) && extras.contains(&json!(["table", "uniq"])),
        "the constraint and table are among the extras: {extras:#?}"
    );

    let run = app.pg(vec![query("SELECT * FROM no_such_table", vec![])]).await;
    assert_eq!(run.err()["db_error"]["code"], "42P01", "{:#}", run.err());
    assert_eq!(run.err()["db_error"]["detail"], Value::Null);

    let run = app.pg(vec![query("SELEC 1", vec![])]).await;
    assert_eq!(run.err()["db_error"]["code"], "42601", "{:#}", run.err());
}

/// `open` failed with `connection-failed` whose message contains `needle`.
#[track_caller]
fn assert_open_refused(run: &PgRun, needle: &str) {
    assert_eq!(run.failed_at, Some(json!("open")), "{:#?}", run.error);
    let error = run.err();
    assert_eq!(error["variant"], "connection-failed", "{error:#}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains(needle), "{message:?} should contain {needle:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unix_sockets_are_refused() {
    let app = start_probe().await;
    let run = app
        .pg_at(
            "probe",
            "host=/var/run/postgresql user=postgres dbname=postgres",
            vec![query("SELECT 1", vec![])],
        )
        .await;
    assert_open_refused(&run, "not supported on WebAssembly");
    let run = app
        .pg_at(
            "probe",
            "postgresql://postgres@%2Ftmp/postgres",
            vec![query("SELECT 1", vec![])],
        )
        .await;
    assert_open_refused(&run, "not supported on WebAssembly");
}

#[tokio::test(flavor = "multi_thread")]
async fn addresses_outside_allowed_outbound_hosts_are_refused() {
    let app = start_probe().await;
    let host_port = cluster().host_port();
    let (host, port) = host_port.rsplit_once(':').unwrap();

    // The allowed address works (a control for the refusals below).
    let run = app.pg(vec![query("SELECT 1::int4 AS one", vec![])]).await;
    assert_eq!(run.scalar(0), &typed("int32", json!(1)));

    // Another port of the same host.
    let other_port = app.db.url.replace(host_port, &format!("{host}:1"));
    let run = app.pg_at("probe", &other_port, vec![query("SELECT 1", vec![])]).await;
    assert_open_refused(&run, &format!("address postgres://{host}:1 is not permitted"));

    // The same server by another name: no DNS, `localhost` is not `127.0.0.1`.
    let alias = match host {
        "127.0.0.1" => "localhost",
        _ => "127.0.0.1",
    };
    let renamed = app.db.url.replace(host_port, &format!("{alias}:{port}"));
    let run = app.pg_at("probe", &renamed, vec![query("SELECT 1", vec![])]).await;
    assert_open_refused(&run, &format!("address postgres://{alias}:{port} is not permitted"));

    // The key=value form is checked the same way.
    let keyword = format!(
        "host={alias} port={port} user=postgres dbname={} sslmode=disable",
        app.db.name
    );
    let run = app.pg_at("probe", &keyword, vec![query("SELECT 1", vec![])]).await;
    assert_open_refused(&run, "is not permitted");

    // A component without allowed_outbound_hosts reaches nothing, not even the right server.
    let run = app.pg_at("other", &app.db.url, vec![query("SELECT 1", vec![])]).await;
    assert_open_refused(&run, &format!("address postgres://{host_port} is not permitted"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_that_is_not_what_its_type_says_fails_before_the_statement_runs() {
    // Spin converts parameters before sending anything: the conversion failure is
    // `bad-parameter` from `query` but `value-conversion-failed` from `execute`
    // (spin factor-outbound-pg, client.rs). Components classifying errors by variant see
    // exactly these.
    let app = start_probe().await;
    let client = app.db.client().await;
    client
        .batch_execute("CREATE TABLE conv (u uuid, j jsonb, n numeric, d date)")
        .await
        .unwrap();
    let bad_values = [
        ("u", typed("uuid", json!("not-a-uuid"))),
        ("j", typed("jsonb", json!("{not json"))),
        ("n", typed("decimal", json!("1.2.3"))),
        ("d", typed("date", json!([2023, 2, 30]))),
    ];
    for (column, value) in bad_values {
        let run = app
            .pg(vec![query(
                &format!("SELECT $1::{} AS v", sql_type_of(column)),
                vec![value.clone()],
            )])
            .await;
        assert_eq!(
            run.err()["variant"],
            "bad-parameter",
            "query with a bad {column}: {:#}",
            run.err()
        );

        let run = app
            .pg(vec![execute(
                &format!("INSERT INTO conv ({column}) VALUES ($1)"),
                vec![value],
            )])
            .await;
        assert_eq!(
            run.err()["variant"],
            "value-conversion-failed",
            "execute with a bad {column}: {:#}",
            run.err()
        );
    }
    let count: i64 = client.query_one("SELECT count(*) FROM conv", &[]).await.unwrap().get(0);
    assert_eq!(count, 0);
}

fn sql_type_of(column: &str) -> &'static str {
    match column {
        "u" => "uuid",
        "j" => "jsonb",
        "n" => "numeric",
        _ => "date",
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_number_of_parameters_fails_the_statement() {
    let app = start_probe().await;
    let run = app.pg(vec![query("SELECT $1::int4 AS v", vec![])]).await;
    assert_refused_without_db_error(&run, "no parameter for $1");
    let run = app
        .pg(vec![query(
            "SELECT $1::int4 AS v",
            vec![typed("int32", json!(1)), typed("int32", json!(2))],
        )])
        .await;
    assert_refused_without_db_error(&run, "two parameters for $1");
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_modes_follow_tokio_postgres() {
    // `prefer` (the default) falls back to plain text only when the server offers no TLS;
    // `require` never does.
    let app = start_probe().await;
    let client = app.db.client().await;
    let ssl: String = client.query_one("SHOW ssl", &[]).await.unwrap().get(0);
    assert_eq!(
        ssl, "off",
        "this test expects the test server without TLS (the embedded one)"
    );

    let base = app.db.url.split('?').next().unwrap().to_string();
    let run = app
        .pg_at("probe", &base, vec![query("SELECT 1::int4 AS one", vec![])])
        .await;
    assert_eq!(
        run.scalar(0),
        &typed("int32", json!(1)),
        "prefer without server TLS is plain"
    );

    let run = app
        .pg_at(
            "probe",
            &format!("{base}?sslmode=require"),
            vec![query("SELECT 1", vec![])],
        )
        .await;
    assert_eq!(run.failed_at, Some(json!("open")), "{:#?}", run.error);
    assert_eq!(run.err()["variant"], "connection-failed", "{:#}", run.err());
}
