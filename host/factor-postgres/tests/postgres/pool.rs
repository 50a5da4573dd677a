//! The pool's dialling: a burst of opens waits for returned connections rather than
//! starting a server process for each, and still answers every open.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use tds_factor_postgres::postgres::DbValue as Value;
use tds_factor_postgres::PostgresPool;
use tokio::task::JoinSet;

use crate::support::{connection_failure, Database, Guest};

/// Opens at once, each from a guest instance of its own sharing one pool.
const BURST: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_opens_shares_returned_connections_instead_of_dialling_each() {
    let db = Database::create().await;
    let first = db.guest();
    let mut opens = JoinSet::new();
    for _ in 0..BURST {
        let mut guest = first.next_instance(&[db.allowed_entry()]);
        let address = db.address();
        opens.spawn(async move {
            let connection = guest.open(&address).await.expect("an open in the burst");
            let pid = guest
                .value(&connection, "SELECT pg_backend_pid()", vec![])
                .await;
            guest.close(connection).await;
            pid
        });
    }
    let mut backends = HashSet::new();
    while let Some(pid) = opens.join_next().await {
        let Value::Int32(pid) = pid.expect("an open's task") else {
            panic!("pg_backend_pid() is an int4");
        };
        backends.insert(pid);
    }

    assert!(
        backends.len() < BURST,
        "{BURST} opens at once used {} server processes: each dialled its own",
        backends.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opens_to_a_server_that_refuses_each_answer_the_refusal_at_once() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let pool = Arc::new(PostgresPool::new());
    let allowed = [format!("postgres://127.0.0.1:{port}")];
    let mut opens = JoinSet::new();
    for _ in 0..BURST {
        let mut guest = Guest::new(Arc::clone(&pool), &allowed);
        let address = format!("host=127.0.0.1 port={port} user=tds dbname=tds");
        opens.spawn(async move { connection_failure(guest.open(&address).await) });
    }

    let answers = tokio::time::timeout(Duration::from_secs(20), opens.join_all())
        .await
        .expect("every open answers while the server refuses");
    assert_eq!(answers.len(), BURST);
    for message in answers {
        assert!(message.contains("refused"), "{message}");
    }
}
