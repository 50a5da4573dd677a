//! Transactions in plain SQL over one `connection` (docs/spin.md: one pooled client per
//! connection resource for its lifetime; docs/design.md, "The host": a connection left inside a
//! transaction is never reused as is).

use std::time::Duration;

use serde_json::json;
use tds_tests::probe::{db_null, execute, query, start_probe, typed};
use tds_tests::wait::eventually;

#[tokio::test(flavor = "multi_thread")]
async fn one_connection_carries_a_transaction_rollback_discards_commit_persists() {
    let app = start_probe().await;
    let client = app.db.client().await;
    client
        .batch_execute("CREATE TABLE tx_probe (id int PRIMARY KEY, note text NOT NULL)")
        .await
        .unwrap();

    let run = app
        .pg(vec![
            query("SELECT pg_backend_pid() AS pid", vec![]),
            execute("BEGIN", vec![]),
            execute("INSERT INTO tx_probe (id, note) VALUES (1, 'rolled back')", vec![]),
            query("SELECT count(*) AS n FROM tx_probe", vec![]),
            query(
                "SELECT txid_current_if_assigned()::text IS NOT NULL AS in_tx, pg_backend_pid() AS pid",
                vec![],
            ),
            execute("ROLLBACK", vec![]),
            query("SELECT count(*) AS n FROM tx_probe", vec![]),
            query("SELECT txid_current_if_assigned()::text IS NULL AS idle", vec![]),
        ])
        .await;
    assert_eq!(
        run.scalar(3),
        &typed("int64", json!(1)),
        "the transaction sees its own row"
    );
    assert_eq!(
        run.rows(4)[0][0],
        typed("boolean", json!(true)),
        "the insert is inside a transaction"
    );
    assert_eq!(
        run.rows(4)[0][1],
        run.rows(0)[0][0],
        "every step ran on the same server session"
    );
    assert_eq!(run.scalar(6), &typed("int64", json!(0)), "ROLLBACK discarded the row");
    assert_eq!(run.scalar(7), &typed("boolean", json!(true)));

    let run = app
        .pg(vec![
            execute("BEGIN", vec![]),
            execute("INSERT INTO tx_probe (id, note) VALUES (2, 'committed')", vec![]),
            execute(
                "INSERT INTO tx_probe (id, note) VALUES ($1::int4, $2::text)",
                vec![typed("int32", json!(3)), typed("str", json!("also committed"))],
            ),
            execute("COMMIT", vec![]),
        ])
        .await;
    run.ok();
    let rows = client
        .query("SELECT id, note FROM tx_probe ORDER BY id", &[])
        .await
        .unwrap();
    let seen: Vec<(i32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        seen,
        vec![(2, "committed".to_string()), (3, "also committed".to_string())]
    );

    // A failed statement aborts the transaction, as on any PostgreSQL session; ROLLBACK
    // recovers the same connection.
    let run = app
        .pg(vec![
            execute("BEGIN", vec![]),
            execute("INSERT INTO tx_probe (id, note) VALUES (2, 'duplicate')", vec![]),
        ])
        .await;
    assert_eq!(run.err()["db_error"]["code"], "23505");
    let run = app
        .pg(vec![
            execute("BEGIN", vec![]),
            execute("INSERT INTO tx_probe (id, note) VALUES (4, 'x')", vec![]),
            query("SELECT 1/0 AS boom", vec![]),
        ])
        .await;
    assert_eq!(run.err()["db_error"]["code"], "22012");
    let count: i64 = client
        .query_one("SELECT count(*) FROM tx_probe", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 2, "the aborted transactions left nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guest_that_traps_inside_a_transaction_leaves_nothing_behind() {
    let app = start_probe().await;
    let client = app.db.client().await;
    client
        .batch_execute("CREATE TABLE trap_probe (id int PRIMARY KEY, note text NOT NULL)")
        .await
        .unwrap();

    let answer = app
        .post_json(
            "/probe/trap-in-transaction",
            &json!({"address": app.db.url, "table": "trap_probe"}),
        )
        .await;
    assert_eq!(answer.status, 500, "the guest trapped: {}", answer.text);
    assert!(
        answer.body.get("error").is_some(),
        "the host answers with its JSON error, not a guest answer: {}",
        answer.text
    );

    // The uncommitted row never appears.
    let count: i64 = client
        .query_one("SELECT count(*) FROM trap_probe", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0);

    // The next requests' connections (same address, so the same pool) start outside any
    // transaction, and the trapped transaction's row lock is gone: inserting the same key
    // succeeds instead of waiting on it (lock_timeout turns a wait into error 55P03).
    for round in 0..3 {
        let run = app
            .pg(vec![
                query("SELECT txid_current_if_assigned() AS txid", vec![]),
                execute("SET lock_timeout = '5s'", vec![]),
                execute(
                    "INSERT INTO trap_probe (id, note) VALUES ($1::int4, 'after the trap') ON CONFLICT (id) DO NOTHING",
                    vec![typed("int32", json!(1))],
                ),
            ])
            .await;
        let results = run.ok();
        assert_eq!(
            run.scalar(0),
            &db_null(),
            "round {round}: the connection must not be inside the trapped transaction"
        );
        assert_eq!(
            results[2]["rows_affected"],
            if round == 0 { 1 } else { 0 },
            "round {round}"
        );
    }

    // Exactly the committed row; the trapped one never surfaced.
    let rows = client.query("SELECT id, note FROM trap_probe", &[]).await.unwrap();
    let seen: Vec<(i32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(seen, vec![(1, "after the trap".to_string())]);

    // No session of this database is left idle inside a transaction.
    let name = app.db.name.clone();
    eventually(Duration::from_secs(5), "no session idle in transaction", || {
        let client = &client;
        let name = name.clone();
        async move {
            let stuck: i64 = client
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
                    &[&name],
                )
                .await
                .unwrap()
                .get(0);
            (stuck == 0).then_some(())
        }
    })
    .await;

    // The host keeps serving.
    assert_eq!(app.get("/probe/headers").await.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn session_state_does_not_leak_to_the_next_invocation() {
    // Spin's pool resets a connection's session before handing it out again; so does the
    // host's. The next invocations reuse the physical connection (same backend pid) yet see
    // none of the first one's settings, temporary tables or prepared statements.
    let app = start_probe().await;
    let run = app
        .pg(vec![
            query("SELECT pg_backend_pid() AS pid", vec![]),
            execute("SET statement_timeout = '4321ms'", vec![]),
            execute("CREATE TEMP TABLE leak_probe (x int)", vec![]),
            execute("PREPARE leak_statement AS SELECT 1", vec![]),
            query("SHOW statement_timeout", vec![]),
        ])
        .await;
    let first_pid = run.scalar(0).clone();
    assert_eq!(run.scalar(4), &typed("str", json!("4321ms")));

    let mut reused = false;
    for round in 0..3 {
        let run = app
            .pg(vec![
                query("SELECT pg_backend_pid() AS pid", vec![]),
                query("SHOW statement_timeout", vec![]),
                query("SELECT to_regclass('pg_temp.leak_probe')::text IS NULL AS gone", vec![]),
                query(
                    "SELECT count(*) AS n FROM pg_prepared_statements WHERE name = 'leak_statement'",
                    vec![],
                ),
            ])
            .await;
        reused |= run.scalar(0) == &first_pid;
        assert_eq!(
            run.scalar(1),
            &typed("str", json!("0")),
            "round {round}: settings are reset"
        );
        assert_eq!(
            run.scalar(2),
            &typed("boolean", json!(true)),
            "round {round}: temp tables are gone"
        );
        assert_eq!(
            run.scalar(3),
            &typed("int64", json!(0)),
            "round {round}: prepared statements are gone"
        );
    }
    assert!(
        reused,
        "sequential invocations on one address reuse a pooled connection"
    );
}
