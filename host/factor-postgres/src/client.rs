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

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use postgres_native_tls::MakeTlsConnector;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_postgres::config::{Config, SslMode};
use tokio_postgres::error::Severity;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row, Socket, Statement};

use crate::errors;
use crate::postgres::Error;

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

/// One physical connection and the statements prepared on it.
struct Session {
    client: Client,
    /// Each with when it was prepared.
    statements: HashMap<String, (Statement, Instant)>,
    /// What the statements run since the last reset may have left behind.
    left: Leftovers,
    /// Whether the session needs its reset, and when it goes out.
    state: SessionState,
    /// The deferred reset failed: the connection is closed, never pooled again.
    broken: bool,
    /// A statement failed other than with an SQL error (the server ended the
    /// session, the socket closed): the connection may be gone, so it is reset at
    /// once when returned, and discarded if that fails.
    doubtful: bool,
}

/// Where a session stands with its reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionState {
    /// New or just reset: nothing to undo.
    Clean,
    /// A previous user's statements ran since the last reset: the reset goes out ahead
    /// of the next statement.
    ResetDue,
    /// The current user has sent statements since the last reset.
    Used,
}

impl Session {
    fn new(client: Client) -> Session {
        Session {
            client,
            statements: HashMap::new(),
            left: Leftovers::default(),
            state: SessionState::Clean,
            broken: false,
            doubtful: false,
        }
    }
}

/// What a guest may have left on a connection, judged from its statements'
/// text; the reset undoes what may be there.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Leftovers {
    /// A transaction may be open: not after `COMMIT`/`ROLLBACK`, nor after
    /// plain queries run outside one; any other statement may have opened one.
    transaction: bool,
    /// Statements prepared in SQL: the text mentioned `prepare`.
    prepared: bool,
    /// A bare `BEGIN` the guest sent is held back, to go out with its next
    /// statement (see [`Connection::hold_begin`]); nothing to undo, since
    /// PostgreSQL has not seen it.
    begin_held: bool,
}

impl Leftovers {
    /// What may be left once `sql` has run (successfully or not).
    fn after(self, sql: &str) -> Leftovers {
        let first = first_word(sql);
        let is = |words: &[&str]| words.iter().any(|w| first.eq_ignore_ascii_case(w));
        let ends = is(&["commit", "rollback", "end", "abort"]) && !mentions(sql, "chain");
        let plain = is(&[
            "select", "insert", "update", "delete", "with", "values", "table",
        ]);
        Leftovers {
            transaction: !ends && (self.transaction || !plain),
            prepared: self.prepared || mentions(sql, "prepare"),
            begin_held: self.begin_held,
        }
    }
}

/// The first word of `sql`, as written.
fn first_word(sql: &str) -> &str {
    sql.split_whitespace().next().unwrap_or_default()
}

/// Whether `sql` contains `word` (lowercase ASCII) in any case, without copying it: this
/// runs for every statement a guest sends.
fn mentions(sql: &str, word: &str) -> bool {
    sql.as_bytes()
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// A `connection` resource: one physical connection, returned to its pool
/// (after a reset) when dropped.
pub struct Connection {
    session: Option<Session>,
    home: Arc<AddressPool>,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    fn session(&mut self) -> &mut Session {
        self.session
            .as_mut()
            .expect("a connection keeps its session until it is dropped")
    }

    fn client(&self) -> &Client {
        &self
            .session
            .as_ref()
            .expect("a connection keeps its session until it is dropped")
            .client
    }

    /// `sql` prepared on this connection: from the cache, or prepared now.
    pub(crate) async fn prepare(&mut self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        let session = self.session();
        match session.statements.get(sql) {
            Some((statement, prepared)) if prepared.elapsed() < STATEMENT_REPLAN_AFTER => {
                return Ok(statement.clone());
            }
            _ => {}
        }
        let ahead = self.release_ahead();
        let session = self.session();
        let prepared = send_after(&session.client, ahead, session.client.prepare(sql)).await;
        let statement = self.kept(prepared)?;
        let session = self.session();
        if session.statements.len() >= MAX_CACHED_STATEMENTS {
            session.statements.clear();
        }
        session
            .statements
            .insert(sql.to_string(), (statement.clone(), Instant::now()));
        Ok(statement)
    }

    /// Whether `sql` is a plain `ROLLBACK` (or `ABORT`) while no transaction can be
    /// open on this connection: PostgreSQL would only warn that there is none, so the
    /// host answers it (zero rows) without a round trip. Components start every unit of
    /// work with `ROLLBACK` for Spin's sake, and on a connection the host has reset that
    /// costs a round trip and a warning in the server's log per request.
    pub(crate) fn rollback_is_idle(&mut self, sql: &str) -> bool {
        if !is_bare_rollback(sql) {
            return false;
        }
        let left = &mut self.session().left;
        // `BEGIN` then `ROLLBACK`, with nothing between: neither needs to be sent.
        std::mem::take(&mut left.begin_held) || !left.transaction
    }

    /// Whether `sql` is a bare `BEGIN` (or `START TRANSACTION`) the host holds back,
    /// answering it (zero rows) at once: no transaction can be open, so it cannot fail
    /// or warn. It goes out in the same write as the guest's next statement (or that
    /// statement's prepare), which saves a round trip per transaction; PostgreSQL runs
    /// it first, as if sent alone. Dropped unsent if nothing follows it but `ROLLBACK`
    /// or the end of the connection.
    pub(crate) fn hold_begin(&mut self, sql: &str) -> bool {
        let left = &mut self.session().left;
        let held = is_bare_begin(sql) && !left.transaction && !left.begin_held;
        left.begin_held |= held;
        held
    }

    /// Takes what goes out ahead of the statement about to be sent: a previous
    /// user's due reset and a held-back `BEGIN` (from here on a transaction may be
    /// open).
    fn release_ahead(&mut self) -> Ahead {
        let session = self.session();
        let state = std::mem::replace(&mut session.state, SessionState::Used);
        let ahead = Ahead {
            reset: state == SessionState::ResetDue,
            begin: std::mem::take(&mut session.left.begin_held),
        };
        if ahead.begin {
            session.left = session.left.after("BEGIN");
        }
        ahead
    }

    /// The outcome of a statement sent by [`send_after`]; when the reset sent ahead of
    /// it failed, the connection is closed for good, whatever the statement did.
    fn kept<T>(&mut self, outcome: Result<T, AheadFailed>) -> Result<T, tokio_postgres::Error> {
        outcome.map_err(|failed| {
            self.session().broken |= failed.reset;
            failed.error
        })
    }

    /// Runs a prepared statement (sending a due reset and a held-back `BEGIN` ahead
    /// of it); its rows.
    pub(crate) async fn query(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let ahead = self.release_ahead();
        let client = self.client();
        let rows = send_after(client, ahead, client.query(statement, params)).await;
        self.kept(rows)
    }

    /// Runs a prepared statement (sending a due reset and a held-back `BEGIN` ahead
    /// of it); the rows it touched.
    pub(crate) async fn execute(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, tokio_postgres::Error> {
        let ahead = self.release_ahead();
        let client = self.client();
        let touched = send_after(client, ahead, client.execute(statement, params)).await;
        self.kept(touched)
    }

    /// Keeps track of what `sql` may leave for the reset, and keeps the cache true
    /// to the server after `sql` ran with `outcome`: empties it when the guest
    /// deallocated statements itself, or when the server no longer knows a cached
    /// statement or its result columns changed.
    pub(crate) fn after<T>(&mut self, sql: &str, outcome: &Result<T, tokio_postgres::Error>) {
        let session = self.session();
        session.left = session.left.after(sql);
        if let Err(error) = outcome {
            session.doubtful |= !is_sql_error(error);
        }
        let stale = match outcome {
            Ok(_) => deallocates(sql),
            Err(error) => error
                .code()
                .is_some_and(|code| code.code() == "26000" || code.code() == "0A000"),
        };
        if stale {
            self.session().statements.clear();
        }
    }
}

/// Whether `error` is the server refusing a statement on a session that goes on (an
/// `ERROR`), rather than the session or the connection ending.
fn is_sql_error(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_some_and(|db| {
        !matches!(
            db.parsed_severity(),
            Some(Severity::Fatal | Severity::Panic)
        ) && !matches!(db.severity(), "FATAL" | "PANIC")
    })
}

/// What goes out ahead of a statement, in this order.
#[derive(Debug, Clone, Copy)]
struct Ahead {
    /// [`RESET_SESSION`], due since the previous user returned the connection.
    reset: bool,
    /// A held-back `BEGIN`.
    begin: bool,
}

/// The first failure among a statement and what went out ahead of it.
struct AheadFailed {
    error: tokio_postgres::Error,
    /// It was the reset's.
    reset: bool,
}

/// Awaits `statement` with what `ahead` says sent ahead of it: the futures are polled
/// at once, in order (`biased`), and each queues its request on its first poll, so
/// tokio-postgres writes them all, in that order, before reading any answer, and
/// PostgreSQL runs them in that order. A failure ahead fails the statement too.
async fn send_after<T>(
    client: &Client,
    ahead: Ahead,
    statement: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, AheadFailed> {
    let failed = |reset| move |error| AheadFailed { error, reset };
    if !ahead.reset && !ahead.begin {
        return statement.await.map_err(failed(false));
    }
    let reset = async {
        match ahead.reset {
            true => client.batch_execute(RESET_SESSION).await,
            false => Ok(()),
        }
    };
    let begin = async {
        match ahead.begin {
            true => client.batch_execute("BEGIN").await,
            false => Ok(()),
        }
    };
    let (reset, begun, done) = tokio::join!(biased; reset, begin, statement);
    reset.map_err(failed(true))?;
    begun.map_err(failed(false))?;
    done.map_err(failed(false))
}

/// Whether `sql`, without a trailing `;` and in any case, is exactly one of `forms`
/// (written in lowercase, words separated by single spaces).
fn is_bare(sql: &str, forms: &[&str]) -> bool {
    let written = sql.trim().trim_end_matches(';');
    forms.iter().any(|form| {
        let mut words = written.split_whitespace();
        form.split(' ').all(|expected| {
            words
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(expected))
        }) && words.next().is_none()
    })
}

/// Whether `sql` is `ROLLBACK` or `ABORT` alone, or with `WORK` or `TRANSACTION` (any
/// case, an optional `;`).
fn is_bare_rollback(sql: &str) -> bool {
    is_bare(
        sql,
        &[
            "rollback",
            "rollback work",
            "rollback transaction",
            "abort",
            "abort work",
            "abort transaction",
        ],
    )
}

/// Whether `sql` starts a transaction with no options: `BEGIN`, `BEGIN TRANSACTION`,
/// `BEGIN WORK` or `START TRANSACTION` (any case, an optional `;`).
fn is_bare_begin(sql: &str) -> bool {
    is_bare(
        sql,
        &[
            "begin",
            "begin transaction",
            "begin work",
            "start transaction",
        ],
    )
}

/// Whether `sql` deallocates prepared statements (`DEALLOCATE …`, `DISCARD …`).
fn deallocates(sql: &str) -> bool {
    let first = first_word(sql);
    first.eq_ignore_ascii_case("DEALLOCATE") || first.eq_ignore_ascii_case("DISCARD")
}

impl Drop for Connection {
    fn drop(&mut self) {
        let Some(mut session) = self.session.take() else {
            return;
        };
        if session.client.is_closed() || session.broken {
            return;
        }
        let left = session.left;
        let idle = if left.transaction || left.prepared || session.doubtful {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return;
            };
            Idle::Resetting(runtime.spawn(reset(session)))
        } else {
            if session.state == SessionState::Used {
                session.state = SessionState::ResetDue;
            }
            session.left = Leftovers::default();
            Idle::Ready(Box::new(session))
        };
        locked(&self.home.idle).push(idle);
        self.home.returned.notify_one();
    }
}

/// Rolls back whatever the last user may have left open and resets the
/// session at once; `None` when the connection is broken.
async fn reset(mut session: Session) -> Option<Session> {
    session.state = SessionState::Clean;
    session.doubtful = false;
    let left = std::mem::take(&mut session.left);
    let statements = [
        left.transaction.then_some("ROLLBACK"),
        Some(RESET_SESSION),
        left.prepared.then_some(DEALLOCATE_GUEST_STATEMENTS),
    ];
    for statement in statements.into_iter().flatten() {
        if let Err(error) = session.client.batch_execute(statement).await {
            let error = errors::describe(&error);
            tracing::debug!(
                error,
                statement,
                "discarding a PostgreSQL connection that failed its reset"
            );
            return None;
        }
    }
    Some(session)
}

/// A connection in the idle list.
enum Idle {
    /// Its reset, if due, goes out with its next statement.
    Ready(Box<Session>),
    /// Its reset (or its dial) is under way on its own task, or done.
    Resetting(JoinHandle<Option<Session>>),
}

impl Idle {
    fn is_ready(&self) -> bool {
        match self {
            Idle::Ready(_) => true,
            Idle::Resetting(task) => task.is_finished(),
        }
    }

    async fn session(self) -> Option<Session> {
        match self {
            Idle::Ready(session) => Some(*session),
            Idle::Resetting(task) => task.await.ok().flatten(),
        }
    }
}

enum Tls {
    Disabled,
    Native(MakeTlsConnector),
}

struct AddressPool {
    config: Config,
    tls: Tls,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Idle>>,
    /// Signalled when a connection joins the idle list or a dial ends.
    returned: Notify,
    /// One permit per dial allowed under way ([`MAX_DIALS_PER_ADDRESS`]).
    dials: Arc<Semaphore>,
    /// The last dial failed: opens dial on their own until one succeeds.
    dials_failing: AtomicBool,
}

/// A dial under way on its own task.
type Dial = JoinHandle<Result<Client, Error>>;

impl AddressPool {
    fn new(config: Config) -> Result<AddressPool, Error> {
        let tls = match config.get_ssl_mode() {
            SslMode::Disable => Tls::Disabled,
            _ => {
                let connector = native_tls::TlsConnector::new().map_err(|e| {
                    Error::ConnectionFailed(format!(
                        "cannot set up TLS for PostgreSQL: {e} (sslmode=disable connects \
                         without TLS)"
                    ))
                })?;
                Tls::Native(MakeTlsConnector::new(connector))
            }
        };
        Ok(AddressPool {
            config,
            tls,
            permits: Arc::new(Semaphore::new(MAX_CONNECTIONS_PER_ADDRESS)),
            idle: Mutex::new(Vec::new()),
            returned: Notify::new(),
            dials: Arc::new(Semaphore::new(MAX_DIALS_PER_ADDRESS)),
            dials_failing: AtomicBool::new(false),
        })
    }

    async fn get(self: Arc<Self>) -> Result<Connection, Error> {
        let free = Arc::clone(&self.permits).acquire_owned();
        let Ok(Ok(permit)) = tokio::time::timeout(ACQUIRE_TIMEOUT, free).await else {
            return Err(Error::ConnectionFailed(format!(
                "all {MAX_CONNECTIONS_PER_ADDRESS} connections to this address stayed in use \
                 for {} s: close connections sooner or open fewer at once",
                ACQUIRE_TIMEOUT.as_secs()
            )));
        };
        let session = self.take_or_dial().await?;
        Ok(Connection {
            session: Some(session),
            home: self,
            _permit: permit,
        })
    }

    /// An idle connection, or the first of a new one and a returned one (see the
    /// module doc, "Dialling").
    async fn take_or_dial(self: &Arc<Self>) -> Result<Session, Error> {
        if let Some(session) = self.take_idle().await {
            return Ok(session);
        }
        loop {
            // Listening before looking again, so a connection returned in between wakes it.
            let returned = self.returned.notified();
            tokio::pin!(returned);
            returned.as_mut().enable();
            if let Some(session) = self.take_idle().await {
                return Ok(session);
            }
            if self.dials_failing.load(Ordering::Acquire) {
                return self.connect().await.map(Session::new);
            }
            let Some(mut dial) = self.start_dial() else {
                returned.await;
                continue;
            };
            tokio::select! {
                biased;
                dialled = &mut dial => return joined(dialled).map(Session::new),
                () = &mut returned => self.park(dial),
            }
        }
    }

    /// A dial on its own task, when fewer than [`MAX_DIALS_PER_ADDRESS`] are under way.
    fn start_dial(self: &Arc<Self>) -> Option<Dial> {
        let slot = Arc::clone(&self.dials).try_acquire_owned().ok()?;
        let pool = Arc::clone(self);
        Some(tokio::spawn(async move {
            let dialled = pool.connect().await;
            drop(slot);
            if dialled.is_err() {
                pool.returned.notify_waiters();
            }
            pool.returned.notify_one();
            dialled
        }))
    }

    /// Parks a dial its open no longer waits for at the far end of the idle list, so
    /// a returned connection is taken before it.
    fn park(&self, dial: Dial) {
        let dialled = tokio::spawn(async move { joined(dial.await).ok().map(Session::new) });
        locked(&self.idle).insert(0, Idle::Resetting(dialled));
        self.returned.notify_one();
    }

    /// An idle connection (not one whose reset failed), if any: the newest ready,
    /// else the newest.
    async fn take_idle(&self) -> Option<Session> {
        loop {
            let idle = {
                let mut idle = locked(&self.idle);
                let newest_ready = idle.iter().rposition(Idle::is_ready);
                let index = newest_ready.or(idle.len().checked_sub(1))?;
                idle.remove(index)
            };
            if let Some(session) = idle.session().await {
                if !session.client.is_closed() {
                    return Some(session);
                }
            }
        }
    }

    /// A new connection; whether it failed is kept in `dials_failing`.
    async fn connect(&self) -> Result<Client, Error> {
        let connected = match &self.tls {
            Tls::Disabled => dial(&self.config, NoTls).await,
            Tls::Native(connector) => dial(&self.config, connector.clone()).await,
        };
        self.dials_failing
            .store(connected.is_err(), Ordering::Release);
        connected.map_err(|e| Error::ConnectionFailed(errors::describe(&e)))
    }
}

/// A dial's outcome once its task has ended.
fn joined(ended: Result<Result<Client, Error>, tokio::task::JoinError>) -> Result<Client, Error> {
    ended.map_err(|e| Error::ConnectionFailed(format!("the dial did not finish: {e}")))?
}

/// Connects and drives the connection on its own task.
async fn dial<T>(config: &Config, tls: T) -> Result<Client, tokio_postgres::Error>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            let error = errors::describe(&error);
            tracing::debug!(error, "PostgreSQL connection ended");
        }
    });
    Ok(client)
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::{deallocates, is_bare_begin, is_bare_rollback, Leftovers};

    #[test]
    fn only_a_bare_begin_is_held_back() {
        for bare in [
            "BEGIN",
            "begin;",
            " Begin Work ; ",
            "START TRANSACTION",
            "begin transaction",
        ] {
            assert!(is_bare_begin(bare), "{bare}");
        }
        for not in [
            "BEGIN ISOLATION LEVEL SERIALIZABLE",
            "START TRANSACTION READ ONLY",
            "BEGIN; SELECT 1",
            "/* c */ BEGIN",
            "START",
            "",
        ] {
            assert!(!is_bare_begin(not), "{not}");
        }
    }

    #[test]
    fn only_a_bare_rollback_can_be_answered_by_the_host() {
        for bare in [
            "ROLLBACK",
            "rollback;",
            " Abort ; ",
            "ABORT",
            "rollback work",
            "ABORT TRANSACTION",
        ] {
            assert!(is_bare_rollback(bare), "{bare}");
        }
        for not in [
            "ROLLBACK TO SAVEPOINT a",
            "ROLLBACK AND CHAIN",
            "ROLLBACK PREPARED 'x'",
            "COMMIT",
            "",
        ] {
            assert!(!is_bare_rollback(not), "{not}");
        }
    }

    fn after(statements: &[&str]) -> Leftovers {
        statements
            .iter()
            .fold(Leftovers::default(), |left, sql| left.after(sql))
    }

    #[test]
    fn a_transaction_may_be_open_unless_the_last_one_ended_and_only_plain_queries_followed() {
        assert!(!after(&[]).transaction);
        assert!(!after(&["SELECT 1", "INSERT INTO t VALUES (1)"]).transaction);
        assert!(after(&["BEGIN", "INSERT INTO t VALUES (1)"]).transaction);
        assert!(!after(&["BEGIN", "INSERT INTO t VALUES (1)", "COMMIT"]).transaction);
        assert!(!after(&["ROLLBACK", "BEGIN", "rollback", "UPDATE t SET x = 1"]).transaction);
        assert!(after(&["BEGIN", "COMMIT AND CHAIN"]).transaction);
        assert!(after(&["/* a comment */ BEGIN"]).transaction);
        assert!(
            after(&["SET x = 1"]).transaction,
            "anything else may open one"
        );
        assert!(after(&["COMMIT", "START TRANSACTION", "SELECT 1"]).transaction);
    }

    #[test]
    fn statements_mentioning_prepare_may_have_prepared_some() {
        assert!(!after(&["SELECT 1", "COMMIT"]).prepared);
        assert!(after(&["PREPARE s AS SELECT 1", "COMMIT"]).prepared);
        assert!(after(&["DO $$BEGIN EXECUTE 'prepare s AS SELECT 1'; END$$"]).prepared);
    }

    #[test]
    fn deallocating_statements_are_recognised_by_their_first_word() {
        assert!(deallocates("  discard all"));
        assert!(deallocates("DEALLOCATE s1"));
        assert!(!deallocates("SELECT 'DISCARD'"));
        assert!(!deallocates(""));
    }
}
