//! A returned connection's session is reset before its next user's first statement, in
//! the same write as that statement, as Spin's pool resets it when handing it out.

use std::time::Duration;

use tds_factor_postgres::postgres::DbValue as Value;

use crate::support::Database;

/// What the server says `pid` is running or ran last.
async fn last_statement(db: &Database, pid: i32) -> String {
    db.client()
        .await
        .query_one("SELECT query FROM pg_stat_activity WHERE pid = $1", &[&pid])
        .await
        .expect("the backend is listed")
        .get(0)
}

async fn advisory_locks(db: &Database, key: i64) -> i64 {
    db.client()
        .await
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::int8::oid",
            &[&key],
        )
        .await
        .expect("pg_locks")
        .get(0)
}

#[tokio::test]
async fn a_session_left_by_plain_statements_is_reset_with_the_next_user_s_first_statement() {
    let db = Database::create().await;
    let mut first = db.guest();
    let connection = first.open(&db.address()).await.unwrap();
    let Value::Int32(pid) = first
        .value(&connection, "SELECT pg_backend_pid()", vec![])
        .await
    else {
        panic!("pg_backend_pid() is an int4");
    };
    let leave = "SELECT set_config('statement_timeout', '4321ms', false), pg_advisory_lock(4242)";
    first.query(&connection, leave, vec![]).await.unwrap();
    first.close(connection).await;

    // Returned, not reset yet: the reset has not gone out on its own.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(last_statement(&db, pid).await, leave);
    assert_eq!(advisory_locks(&db, 4242).await, 1, "held until the reset");

    let mut next = first.next_instance(&[db.allowed_entry()]);
    let connection = next.open(&db.address()).await.unwrap();
    let seen = next
        .query(
            &connection,
            "SELECT pg_backend_pid(), current_setting('statement_timeout')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        seen.rows[0][0],
        Value::Int32(pid),
        "the connection is reused"
    );
    assert_eq!(
        seen.rows[0][1],
        Value::Str("0".into()),
        "settings are reset"
    );
    assert_eq!(
        advisory_locks(&db, 4242).await,
        0,
        "the lock went with the reset"
    );
    next.close(connection).await;
}

#[tokio::test]
async fn a_connection_opened_and_returned_unused_still_owes_its_reset() {
    let db = Database::create().await;
    let mut first = db.guest();
    let connection = first.open(&db.address()).await.unwrap();
    let leave = "SELECT set_config('statement_timeout', '4321ms', false)";
    first.query(&connection, leave, vec![]).await.unwrap();
    first.close(connection).await;

    // A user that sends nothing (its ROLLBACK and BEGIN are answered by the host).
    let mut idle = first.next_instance(&[db.allowed_entry()]);
    let connection = idle.open(&db.address()).await.unwrap();
    idle.execute(&connection, "ROLLBACK", vec![]).await.unwrap();
    idle.execute(&connection, "BEGIN", vec![]).await.unwrap();
    idle.execute(&connection, "ROLLBACK", vec![]).await.unwrap();
    idle.close(connection).await;

    let mut next = first.next_instance(&[db.allowed_entry()]);
    let connection = next.open(&db.address()).await.unwrap();
    let timeout = next
        .value(
            &connection,
            "SELECT current_setting('statement_timeout')",
            vec![],
        )
        .await;
    assert_eq!(timeout, Value::Str("0".into()));
    next.close(connection).await;
}
