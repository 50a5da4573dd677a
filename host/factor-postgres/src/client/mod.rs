//! Physical PostgreSQL connections: dialling (with or without TLS) and the
//! process-wide pool they return to.
//!
//! One [`AddressPool`] per distinct address string. A [`Connection`] holds one
//! of its permits (at most [`MAX_CONNECTIONS_PER_ADDRESS`] in use per address)
//! and returns its connection to the idle list when dropped. Idle connections
//! are kept until the server closes them.
//!
//! # Reset
//! A returned connection's session is reset ([`RESET_SESSION`]) before its next
//! user's first statement runs, as Spin's pool resets it when handing it out:
//! the reset goes out in the same write as that statement (and a held-back
//! `BEGIN`), so it costs PostgreSQL no wake-up and round trip of its own, and a
//! reset that fails fails that statement and closes the connection. Measured on
//! intake (8 in flight): a reset as its own round trip took 0.028 ms of
//! PostgreSQL and 0.015 ms of the host per request. A connection whose user
//! may have left a transaction open or statements prepared in SQL, or saw a
//! statement fail other than with an SQL error (the session may be gone), is
//! instead reset at once on the Tokio runtime (`ROLLBACK`, the reset, the deallocation),
//! so an abandoned transaction's locks go with it; the next open prefers such a
//! connection once its reset is done and otherwise waits for the newest one, and
//! a connection that is closed or failed its reset is discarded.
//!
//! # Dialling
//! An open that finds no idle connection dials a new one, but at most
//! [`MAX_DIALS_PER_ADDRESS`] dials per address are under way at once, and the
//! open takes whichever comes first: its dial, or a connection another guest
//! returns (the dial then finishes on its own and its connection waits in the
//! idle list). An open that finds every dial slot taken waits for a returned
//! or dialled connection. A request holds a connection for a few milliseconds,
//! while a new server process costs PostgreSQL a fork, its caches filled
//! again and each statement planned afresh; dialling for every request that
//! arrives during a short stall (a slow commit flush) started dozens of
//! backends at once on a 2-core machine, each of them slowing the rest, and
//! turned a 35 ms flush into a 300 ms stall. While dials fail (the server is
//! down or refuses), every open dials on its own and answers its own error.
//!
//! # Prepared statements
//! Each physical connection keeps the statements it has prepared, keyed by
//! their SQL text (at most [`MAX_CACHED_STATEMENTS`]; the cache is emptied when
//! full), across the guests that use it: a statement costs one round trip
//! (bind and execute) instead of two (prepare, then bind and execute) once the
//! connection has seen it. The reset therefore does what `DISCARD ALL` does
//! except deallocate those statements or drop their plans (PostgreSQL plans a
//! statement again by itself when a table it uses changes); a guest's own SQL
//! `PREPARE`s are deallocated, when it may have made any. Parameters are still
//! checked against the types the server inferred, exactly as when every
//! statement was prepared afresh. A
//! guest's own `DEALLOCATE` or `DISCARD` empties the cache, and so does a
//! failure saying a cached statement no longer exists or no longer returns the
//! columns it did (SQLSTATE 26000, or 0A000 after another session altered a
//! table): that one statement fails, the next use prepares it again.
//!
//! A kept statement is prepared again once it is [`STATEMENT_REPLAN_AFTER`] old,
//! so its plan follows the tables' growth. PostgreSQL replans a kept statement
//! only when a table's statistics change, and a plan made while a table was
//! empty (a fresh install's first sync) scans it in full at every use until
//! autovacuum analyzes it, which may take a minute; Spin, which prepares every
//! statement afresh, never keeps such a plan. Measured: the first drain of
//! 20,000 items into an empty ERP table ran at 313 events/s with the plan kept
//! for good (the row lock scanning the table each time), against 820–870 for
//! the later drains.
//!
//! The parts: [`sql`] reads what a guest's statement is (a bare `BEGIN`, a bare
//! `ROLLBACK`, a deallocation), [`session`] keeps one physical connection's state and
//! resets it, [`connection`] is the guest's `connection` resource, [`address_pool`] the
//! idle list and the dials of one address.

mod address_pool;
mod connection;
mod session;
mod sql;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio_postgres::config::Config;

use crate::postgres::Error;
use address_pool::AddressPool;
pub use connection::Connection;

/// Connections one address may have in use at once, as in Spin.
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 64;

/// How long an open waits for one of its address's connections to come free.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Dials one address may have under way at once while dialling succeeds.
pub const MAX_DIALS_PER_ADDRESS: usize = 2;

/// How long a kept statement is used before it is prepared (and planned) again.
pub const STATEMENT_REPLAN_AFTER: Duration = Duration::from_secs(10);

/// Prepared statements one physical connection keeps; the cache is emptied
/// when a new statement would exceed it.
pub const MAX_CACHED_STATEMENTS: usize = 512;

/// Run when a connection returns to the pool (after `ROLLBACK` when a
/// transaction may be open): what `DISCARD ALL` does except deallocating
/// prepared statements and dropping their plans, so those the host prepared
/// for guests survive.
pub const RESET_SESSION: &str = "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; \
UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES";

/// Run too when a guest may have prepared statements in SQL (`PREPARE`, also
/// from a `DO` block): deallocates those, and only those.
pub const DEALLOCATE_GUEST_STATEMENTS: &str = "DO $$DECLARE name text; BEGIN \
FOR name IN SELECT p.name FROM pg_prepared_statements p WHERE p.from_sql LOOP \
EXECUTE format('DEALLOCATE %I', name); END LOOP; END$$";

/// The connections of one host process, pooled per address string. Create one
/// per process and share it (`Arc`) between every store's `PostgresState`.
#[derive(Default)]
pub struct PostgresPool {
    addresses: Mutex<HashMap<String, Arc<AddressPool>>>,
}

impl PostgresPool {
    /// An empty pool; connections are dialled on first use.
    pub fn new() -> PostgresPool {
        PostgresPool::default()
    }

    /// A connection to `address` (whose parsed form is `config`), reused or new.
    pub(crate) async fn get(&self, address: &str, config: Config) -> Result<Connection, Error> {
        let pool = {
            let mut addresses = locked(&self.addresses);
            match addresses.get(address) {
                Some(pool) => Arc::clone(pool),
                None => {
                    let pool = Arc::new(AddressPool::new(config)?);
                    addresses.insert(address.to_string(), Arc::clone(&pool));
                    pool
                }
            }
        };
        pool.get().await
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
