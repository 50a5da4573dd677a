//! Every statement that returns rows, wrapped as `tds_guest::db::Db::query` sends it
//! (`tds_store::never_empty::wrap`), is one PostgreSQL accepts on the migrated schema and
//! answers the statement's own columns behind the marker: the store's statements family by
//! family (`tds_store::all_statements`), the ERP statements of every table that go
//! through `query`, and the integrity checks built from the tables (`tds_erp::integrity`).
//! Statements without result columns go through `execute` and are left as they are.

use tds_store::never_empty::{wrap, MARKER};
use tds_tests::TestDatabase;
use tokio_postgres::types::Type;

/// Checks one statement; whether it returns rows (and so was wrapped).
async fn check(db: &tokio_postgres::Client, name: &str, sql: &str) -> bool {
    let plain = db
        .prepare(sql)
        .await
        .unwrap_or_else(|e| panic!("{name} does not prepare: {e}"));
    if plain.columns().is_empty() {
        return false;
    }
    let wrapped = db
        .prepare(&wrap(sql))
        .await
        .unwrap_or_else(|e| panic!("{name} does not prepare once wrapped: {e}"));
    let columns = wrapped.columns();
    assert_eq!(columns[0].name(), MARKER, "{name}");
    assert_eq!(columns[0].type_(), &Type::BOOL, "{name}");
    let kept: Vec<(&str, &Type)> = columns[1..].iter().map(|c| (c.name(), c.type_())).collect();
    let original: Vec<(&str, &Type)> = plain.columns().iter().map(|c| (c.name(), c.type_())).collect();
    assert_eq!(kept, original, "{name} keeps its columns");
    assert_eq!(wrapped.params(), plain.params(), "{name} keeps its parameters");
    true
}

#[tokio::test(flavor = "multi_thread")]
async fn every_statement_returning_rows_prepares_wrapped_with_its_own_columns() {
    let db = TestDatabase::new().await.client().await;
    let mut wrapped = 0;
    for statement in tds_store::all_statements() {
        wrapped += usize::from(check(&db, statement.name, statement.sql).await);
    }
    for table in tds_erp::TABLES {
        let queried = [
            ("lock_row", tds_erp::sql::lock_row(table)),
            ("upsert", tds_erp::sql::upsert(table)),
            ("soft_delete", tds_erp::sql::soft_delete(table)),
            ("image_of", tds_erp::sql::image_of(table)),
        ];
        for (name, sql) in queried {
            let name = format!("{}::{name}", table.name);
            assert!(check(&db, &name, &sql).await, "{name} returns rows");
            wrapped += 1;
        }
    }
    let integrity = [
        ("integrity::negative_prices", tds_erp::integrity::negative_prices()),
        ("integrity::unknown_items", tds_erp::integrity::unknown_references(&tds_erp::items::ITEMS)),
        ("integrity::unknown_contacts", tds_erp::integrity::unknown_references(&tds_erp::contacts::CONTACTS)),
    ];
    for (name, sql) in integrity {
        assert!(check(&db, name, &sql).await, "{name} returns rows");
        wrapped += 1;
    }
    assert!(wrapped > 60, "{wrapped} statements checked wrapped");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrapped_statement_answers_its_rows_in_order_or_one_marker_row() {
    let db = TestDatabase::new().await.client().await;
    let sql = "SELECT n::int8 FROM generate_series(1, $1::int4) n ORDER BY n DESC";
    let rows = db.query(&wrap(sql), &[&3i32]).await.unwrap();
    let got: Vec<(Option<bool>, Option<i64>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(got, [(Some(true), Some(3)), (Some(true), Some(2)), (Some(true), Some(1))]);
    let rows = db.query(&wrap(sql), &[&0i32]).await.unwrap();
    let got: Vec<(Option<bool>, Option<i64>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(got, [(None, None)], "an empty result is one row of NULLs");
}

/// The type PostgreSQL reads a parameter cast to `cast` as.
fn type_of_cast(cast: &str) -> Type {
    match cast {
        "text" => Type::TEXT,
        "bigint" | "int8" => Type::INT8,
        "int4" => Type::INT4,
        "float8" => Type::FLOAT8,
        "bytea" => Type::BYTEA,
        "boolean" => Type::BOOL,
        "bigint[]" | "int8[]" => Type::INT8_ARRAY,
        "text[]" => Type::TEXT_ARRAY,
        other => panic!("no binder value is cast to {other}: add it to tds_guest::db::bind's fits"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_named_parameter_is_the_type_postgresql_reads() {
    let db = TestDatabase::new().await.client().await;
    for statement in tds_store::all_statements() {
        let prepared = db
            .prepare(statement.sql)
            .await
            .unwrap_or_else(|e| panic!("{} does not prepare: {e}", statement.name));
        let declared: Vec<(&str, Type)> =
            statement.params.iter().map(|p| (p.name, type_of_cast(p.cast))).collect();
        let read: Vec<(&str, Type)> = statement
            .params
            .iter()
            .zip(prepared.params())
            .map(|(p, t)| (p.name, t.clone()))
            .collect();
        assert_eq!(prepared.params().len(), statement.params.len(), "{}", statement.name);
        assert_eq!(read, declared, "{}", statement.name);
    }
}
