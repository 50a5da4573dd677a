//! One connection resource is one session; the pool never passes on an open
//! transaction or session state.

use std::time::{Duration, Instant};

use tds_factor_postgres::postgres::{DbValue as Value, ParameterValue as Param};
use tds_factor_postgres::{Connection, MAX_CONNECTIONS_PER_ADDRESS};
use wasmtime::component::Resource;

use crate::support::{db_error, Database, Guest};

async fn backend_pid(guest: &mut Guest, connection: &Resource<Connection>) -> Value {
    guest
        .value(connection, "SELECT pg_backend_pid()", vec![])
        .await
}

async fn count(guest: &mut Guest, connection: &Resource<Connection>) -> Value {
    guest
        .value(connection, "SELECT count(*) FROM t", vec![])
        .await
}

async fn in_transaction(guest: &mut Guest, connection: &Resource<Connection>) -> Value {
    guest
        .value(
            connection,
            "SELECT pg_current_xact_id_if_assigned() IS NOT NULL",
            vec![],
        )
        .await
}

async fn with_table() -> Database {
    let db = Database::create().await;
    db.client()
        .await
        .batch_execute("CREATE TABLE t (id int4)")
        .await
        .unwrap();
    db
}

#[tokio::test]
async fn a_transaction_spans_calls_on_one_connection() {
    let db = with_table().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let other = guest.open(&db.address()).await.unwrap();
    assert_ne!(
        backend_pid(&mut guest, &connection).await,
        backend_pid(&mut guest, &other).await
    );

    guest.execute(&connection, "BEGIN", vec![]).await.unwrap();
    let insert = "INSERT INTO t (id) VALUES ($1)";
    guest
        .execute(&connection, insert, vec![Param::Int32(1)])
        .await
        .unwrap();
    guest
        .execute(&connection, insert, vec![Param::Int32(2)])
        .await
        .unwrap();
    assert_eq!(count(&mut guest, &connection).await, Value::Int64(2));
    assert_eq!(count(&mut guest, &other).await, Value::Int64(0));
    guest.execute(&connection, "COMMIT", vec![]).await.unwrap();
    assert_eq!(count(&mut guest, &other).await, Value::Int64(2));

    guest.execute(&connection, "BEGIN", vec![]).await.unwrap();
    guest
        .execute(&connection, "DELETE FROM t", vec![])
        .await
        .unwrap();
    assert_eq!(count(&mut guest, &connection).await, Value::Int64(0));
    guest
        .execute(&connection, "ROLLBACK", vec![])
        .await
        .unwrap();
    assert_eq!(count(&mut guest, &connection).await, Value::Int64(2));
    assert_eq!(count(&mut guest, &other).await, Value::Int64(2));
}

#[tokio::test]
async fn a_connection_dropped_inside_a_transaction_is_rolled_back_before_reuse() {
    let db = with_table().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let pid = backend_pid(&mut guest, &connection).await;
    guest.execute(&connection, "BEGIN", vec![]).await.unwrap();
    guest
        .execute(&connection, "INSERT INTO t (id) VALUES (1)", vec![])
        .await
        .unwrap();
    guest
        .execute(&connection, "SET application_name = 'left behind'", vec![])
        .await
        .unwrap();
    assert_eq!(
        in_transaction(&mut guest, &connection).await,
        Value::Boolean(true)
    );

    guest.close(connection).await;

    let mut next = guest.next_instance(&[db.allowed_entry()]);
    let reused = next.open(&db.address()).await.unwrap();
    assert_eq!(
        backend_pid(&mut next, &reused).await,
        pid,
        "the pool reuses the connection"
    );
    assert_eq!(
        in_transaction(&mut next, &reused).await,
        Value::Boolean(false)
    );
    assert_eq!(count(&mut next, &reused).await, Value::Int64(0));
    let name = next.value(&reused, "SHOW application_name", vec![]).await;
    assert_eq!(name, Value::Str(String::new()));
}

#[tokio::test]
async fn a_trapped_guest_s_connections_are_rolled_back_before_reuse() {
    let db = with_table().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let pid = backend_pid(&mut guest, &connection).await;
    guest.execute(&connection, "BEGIN", vec![]).await.unwrap();
    guest
        .execute(&connection, "INSERT INTO t (id) VALUES (1)", vec![])
        .await
        .unwrap();
    guest
        .execute(&connection, "CREATE TEMP TABLE scratch (x int4)", vec![])
        .await
        .unwrap();
    guest.execute(&connection, "COMMIT", vec![]).await.unwrap();
    guest.execute(&connection, "BEGIN", vec![]).await.unwrap();
    guest
        .execute(&connection, "INSERT INTO t (id) VALUES (2)", vec![])
        .await
        .unwrap();
    guest
        .execute(&connection, "SELECT id FROM t FOR UPDATE", vec![])
        .await
        .unwrap();

    // A trap drops the store without the guest dropping its resources.
    let mut next = guest.next_instance(&[db.allowed_entry()]);
    drop(guest);

    // The row lock goes with the rollback, at once.
    let mut other = db.client().await;
    let locked = tokio::time::timeout(Duration::from_secs(10), other.transaction())
        .await
        .unwrap()
        .unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        locked.execute("SELECT id FROM t FOR UPDATE", &[]),
    )
    .await
    .expect("the dropped connection's row lock was released")
    .unwrap();
    locked.rollback().await.unwrap();

    let reused = next.open(&db.address()).await.unwrap();
    assert_eq!(backend_pid(&mut next, &reused).await, pid);
    assert_eq!(
        in_transaction(&mut next, &reused).await,
        Value::Boolean(false)
    );
    assert_eq!(count(&mut next, &reused).await, Value::Int64(1));
    let temp_tables = next
        .value(
            &reused,
            "SELECT count(*) FROM pg_class WHERE relname = 'scratch'",
            vec![],
        )
        .await;
    assert_eq!(temp_tables, Value::Int64(0));
}

#[tokio::test]
async fn a_broken_connection_is_discarded() {
    let db = with_table().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let Value::Int32(pid) = backend_pid(&mut guest, &connection).await else {
        panic!("pg_backend_pid() is an int4");
    };
    db.client()
        .await
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap();
    assert!(guest
        .query(&connection, "SELECT 1::int4", vec![])
        .await
        .is_err());
    guest.close(connection).await;

    let fresh = guest.open(&db.address()).await.unwrap();
    assert_ne!(backend_pid(&mut guest, &fresh).await, Value::Int32(pid));
    assert_eq!(count(&mut guest, &fresh).await, Value::Int64(0));
}

#[tokio::test]
async fn an_open_beyond_the_per_address_limit_waits_for_a_connection_to_come_back() {
    let db = with_table().await;
    let mut guest = db.guest();
    let mut connections = Vec::new();
    for _ in 0..MAX_CONNECTIONS_PER_ADDRESS {
        connections.push(guest.open(&db.address()).await.unwrap());
    }
    let last = connections.pop().unwrap();
    let pid = backend_pid(&mut guest, &last).await;
    let mut waiting = guest.next_instance(&[db.allowed_entry()]);
    let address = db.address();

    let started = Instant::now();
    let (opened, ()) = tokio::join!(waiting.open(&address), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        guest.close(last).await;
    });

    assert!(started.elapsed() >= Duration::from_millis(300));
    let opened = opened.unwrap();
    assert_eq!(backend_pid(&mut waiting, &opened).await, pid);
}

#[tokio::test]
async fn a_rollback_rolls_back_whatever_opened_the_transaction_and_is_free_when_none_can_be_open() {
    let db = with_table().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    for idle in ["ROLLBACK", "rollback;", "  Abort "] {
        assert_eq!(guest.execute(&connection, idle, vec![]).await.unwrap(), 0);
    }
    for opening in [
        "BEGIN",
        "START TRANSACTION",
        "/* opened */ BEGIN ISOLATION LEVEL SERIALIZABLE",
    ] {
        guest.execute(&connection, opening, vec![]).await.unwrap();
        guest
            .execute(&connection, "INSERT INTO t (id) VALUES (1)", vec![])
            .await
            .unwrap();
        assert_eq!(
            in_transaction(&mut guest, &connection).await,
            Value::Boolean(true)
        );
        assert_eq!(
            guest
                .execute(&connection, "rollback", vec![])
                .await
                .unwrap(),
            0
        );
        assert_eq!(count(&mut guest, &connection).await, Value::Int64(0));
        assert_eq!(
            in_transaction(&mut guest, &connection).await,
            Value::Boolean(false)
        );
    }
}

#[tokio::test]
async fn a_bare_begin_goes_out_with_the_next_statement_and_behaves_as_if_sent_alone() {
    let db = with_table().await;
    let mut guest = db.guest();
    let connection = guest.open(&db.address()).await.unwrap();
    let other = guest.open(&db.address()).await.unwrap();

    // Held back: the transaction starts with the statement that follows, not before.
    assert_eq!(
        guest.execute(&connection, "begin;", vec![]).await.unwrap(),
        0
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started_late = guest
        .value(
            &connection,
            "SELECT clock_timestamp() - now() < interval '150 milliseconds'",
            vec![],
        )
        .await;
    assert_eq!(started_late, Value::Boolean(true));
    guest
        .execute(&connection, "INSERT INTO t (id) VALUES (1)", vec![])
        .await
        .unwrap();
    assert_eq!(count(&mut guest, &other).await, Value::Int64(0));
    guest.execute(&connection, "COMMIT", vec![]).await.unwrap();
    assert_eq!(count(&mut guest, &other).await, Value::Int64(1));

    // A statement that fails to prepare still fails inside the transaction, aborting it.
    guest
        .execute(&connection, "START TRANSACTION", vec![])
        .await
        .unwrap();
    let misspelt = guest
        .execute(&connection, "INSERT INTO nowhere VALUES (1)", vec![])
        .await;
    assert_eq!(db_error(misspelt).code, "42P01");
    let aborted = guest.query(&connection, "SELECT 1", vec![]).await;
    assert_eq!(db_error(aborted).code, "25P02");
    assert_eq!(
        guest
            .execute(&connection, "ROLLBACK", vec![])
            .await
            .unwrap(),
        0
    );

    // `BEGIN` then `ROLLBACK` leaves nothing open: the next insert commits on its own.
    guest
        .execute(&connection, "BEGIN WORK", vec![])
        .await
        .unwrap();
    guest
        .execute(&connection, "rollback", vec![])
        .await
        .unwrap();
    guest
        .execute(&connection, "INSERT INTO t (id) VALUES (2)", vec![])
        .await
        .unwrap();
    assert_eq!(count(&mut guest, &other).await, Value::Int64(2));

    // A second `BEGIN` is sent, and PostgreSQL only warns, as it would.
    guest.execute(&connection, "BEGIN", vec![]).await.unwrap();
    guest.execute(&connection, "BEGIN", vec![]).await.unwrap();
    assert_eq!(
        in_transaction(&mut guest, &connection).await,
        Value::Boolean(false),
        "no statement has written yet"
    );
    guest
        .execute(&connection, "INSERT INTO t (id) VALUES (3)", vec![])
        .await
        .unwrap();
    assert_eq!(
        in_transaction(&mut guest, &connection).await,
        Value::Boolean(true)
    );
    assert_eq!(count(&mut guest, &other).await, Value::Int64(2));
    let pid = backend_pid(&mut guest, &connection).await;

    // A connection dropped with its transaction open, or with a `BEGIN` held back, comes
    // back to the next guest with no transaction.
    guest.close(connection).await;
    let mut next = guest.next_instance(&[db.allowed_entry()]);
    let reused = next.open(&db.address()).await.unwrap();
    assert_eq!(backend_pid(&mut next, &reused).await, pid);
    assert_eq!(count(&mut next, &reused).await, Value::Int64(2));
    next.execute(&reused, "BEGIN", vec![]).await.unwrap();
    next.close(reused).await;
    let mut last = next.next_instance(&[db.allowed_entry()]);
    let reused = last.open(&db.address()).await.unwrap();
    last.execute(&reused, "INSERT INTO t (id) VALUES (4)", vec![])
        .await
        .unwrap();
    assert_eq!(count(&mut guest, &other).await, Value::Int64(3));
}
