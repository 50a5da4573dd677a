//! Each physical connection keeps the statements it prepared for the guests that use it
//! next, without changing what a guest sees.

use std::time::Duration;

use tds_factor_postgres::postgres::{DbValue as Value, Error, ParameterValue as Param, QueryError};
use tds_factor_postgres::STATEMENT_REPLAN_AFTER;

use crate::support::{failure_text, Database};

async fn with_table() -> Database {
    let db = Database::create().await;
    db.client()
        .await
        .batch_execute("CREATE TABLE t (id int4); INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    db
}

const PREPARED: &str =
    "SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT id FROM t'";

#[tokio::test]
async fn the_next_guest_on_a_connection_reuses_its_prepared_statements() {
    let db = with_table().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    guest.value(&connection, "SELECT id FROM t", vec![]).await;
    guest.close(connection).await;

    let mut next = guest.next_instance(&[db.allowed_entry()]);
    let reused = next.open(&db.address()).await.unwrap();
    assert_eq!(next.value(&reused, PREPARED, vec![]).await, Value::Int64(1));
    assert_eq!(
        next.value(&reused, "SELECT id FROM t", vec![]).await,
        Value::Int32(1)
    );
    assert_eq!(
        next.value(&reused, PREPARED, vec![]).await,
        Value::Int64(1),
        "prepared once"
    );
}

#[tokio::test]
async fn a_cached_statement_checks_its_parameters_as_strictly_as_a_fresh_one() {
    let db = with_table().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let sql = "SELECT $1::int8";
    assert_eq!(
        guest.value(&connection, sql, vec![Param::Int64(7)]).await,
        Value::Int64(7)
    );
    let text = failure_text(guest.query(&connection, sql, vec![Param::Int32(7)]).await);
    assert!(text.contains("int8"), "{text}");
    let text = failure_text(
        guest
            .execute(&connection, sql, vec![Param::Str("7".into())])
            .await,
    );
    assert!(text.contains("int8"), "{text}");
}

#[tokio::test]
async fn a_guest_that_deallocates_everything_keeps_working() {
    let db = with_table().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    guest.value(&connection, "SELECT id FROM t", vec![]).await;
    for deallocate in ["DEALLOCATE ALL", "DISCARD ALL"] {
        guest
            .execute(&connection, deallocate, vec![])
            .await
            .unwrap();
        assert_eq!(
            guest.value(&connection, "SELECT id FROM t", vec![]).await,
            Value::Int32(1)
        );
    }
}

#[tokio::test]
async fn a_statement_whose_columns_another_session_changed_fails_once_then_is_prepared_again() {
    let db = with_table().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    guest.value(&connection, "SELECT * FROM t", vec![]).await;
    db.client()
        .await
        .batch_execute("ALTER TABLE t ALTER COLUMN id TYPE int8")
        .await
        .unwrap();

    match guest.query(&connection, "SELECT * FROM t", vec![]).await {
        Err(Error::QueryFailed(QueryError::DbError(error))) => assert_eq!(error.code, "0A000"),
        other => panic!("expected the cached plan's 0A000, got {other:?}"),
    }
    assert_eq!(
        guest.value(&connection, "SELECT * FROM t", vec![]).await,
        Value::Int64(1)
    );
}

#[tokio::test]
async fn a_kept_statement_is_planned_again_once_it_is_old() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let statement = "SELECT count(*) FROM pg_class WHERE relname = $1::text";
    let prepared_at =
        "SELECT prepare_time::text FROM pg_prepared_statements WHERE statement = $1::text";
    let mut when = Vec::new();
    for wait in [
        Duration::ZERO,
        Duration::from_millis(100),
        STATEMENT_REPLAN_AFTER,
    ] {
        tokio::time::sleep(wait).await;
        guest
            .value(&connection, statement, vec![Param::Str("pg_class".into())])
            .await;
        when.push(
            guest
                .value(&connection, prepared_at, vec![Param::Str(statement.into())])
                .await,
        );
    }
    assert_eq!(when[0], when[1], "kept while young");
    assert_ne!(when[1], when[2], "prepared again once old");
}
