//! Server errors carry their SQLSTATE and fields.

use tds_factor_postgres::postgres::{DbError, ParameterValue as Param};

use crate::support::{db_error, Database};

fn extra<'a>(error: &'a DbError, name: &str) -> Option<&'a str> {
    error
        .extras
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

#[tokio::test]
async fn a_unique_violation_is_23505_with_its_constraint() {
    let db = Database::create().await;
    db.client()
        .await
        .batch_execute("CREATE TABLE items (id int4 CONSTRAINT items_pkey PRIMARY KEY)")
        .await
        .unwrap();
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let insert = "INSERT INTO items (id) VALUES ($1)";
    guest
        .execute(&connection, insert, vec![Param::Int32(1)])
        .await
        .unwrap();

    let error = db_error(
        guest
            .execute(&connection, insert, vec![Param::Int32(1)])
            .await,
    );

    assert_eq!(error.code, "23505");
    assert_eq!(error.severity, "ERROR");
    assert!(error.message.contains("duplicate key"), "{error:?}");
    assert_eq!(
        error.detail.as_deref(),
        Some("Key (id)=(1) already exists.")
    );
    assert_eq!(extra(&error, "constraint"), Some("items_pkey"));
    assert_eq!(extra(&error, "table"), Some("items"));
    assert_eq!(extra(&error, "schema"), Some("public"));
    assert!(
        extra(&error, "file").is_some() && extra(&error, "line").is_some(),
        "{error:?}"
    );
    assert!(extra(&error, "routine").is_some(), "{error:?}");
    assert!(error.as_text.contains("duplicate key"), "{error:?}");
    assert!(
        error.as_text.contains("Key (id)=(1) already exists."),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_missing_table_is_42p01_with_its_position() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();

    for error in [
        db_error(
            guest
                .query(&connection, "SELECT * FROM missing", vec![])
                .await,
        ),
        db_error(
            guest
                .execute(&connection, "DELETE FROM missing", vec![])
                .await,
        ),
    ] {
        assert_eq!(error.code, "42P01", "{error:?}");
        assert!(error.message.contains("\"missing\""), "{error:?}");
        assert!(extra(&error, "position").is_some(), "{error:?}");
    }
    let error = db_error(
        guest
            .query(&connection, "SELECT * FROM missing", vec![])
            .await,
    );
    assert_eq!(extra(&error, "position"), Some("15"));
}

#[tokio::test]
async fn hints_and_context_are_extras() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let raise =
        "DO $$ BEGIN RAISE EXCEPTION 'custom' USING ERRCODE = 'P0001', HINT = 'try again', \
                 DETAIL = 'details'; END $$";

    let error = db_error(guest.execute(&connection, raise, vec![]).await);

    assert_eq!(error.code, "P0001");
    assert_eq!(error.message, "custom");
    assert_eq!(error.detail.as_deref(), Some("details"));
    assert_eq!(extra(&error, "hint"), Some("try again"));
    assert!(
        extra(&error, "where").is_some_and(|w| w.contains("PL/pgSQL")),
        "{error:?}"
    );
    assert!(error.as_text.contains("HINT: try again"), "{error:?}");
}

#[tokio::test]
async fn a_statement_after_an_error_in_a_transaction_is_25p02() {
    let db = Database::create().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    guest.execute(&connection, "BEGIN", vec![]).await.unwrap();
    db_error(guest.execute(&connection, "SELECT 1/0", vec![]).await);
    let error = db_error(guest.query(&connection, "SELECT 1::int4", vec![]).await);
    assert_eq!(error.code, "25P02");
    guest
        .execute(&connection, "ROLLBACK", vec![])
        .await
        .unwrap();
    guest
        .query(&connection, "SELECT 1::int4", vec![])
        .await
        .unwrap();
}
