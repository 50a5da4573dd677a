//! The guest's `connection` resource: statements prepared once per physical connection
//! and kept, a due reset and a held-back `BEGIN` sent in the same write as the next
//! statement, and the connection returned to its address's idle list when dropped (see
//! the `client` module doc).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::OwnedSemaphorePermit;
use tokio_postgres::error::Severity;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

use super::address_pool::AddressPool;
use super::session::{reset, Idle, Leftovers, Session, SessionState};
use super::sql::{deallocates, is_bare_begin, is_bare_rollback};
use super::{locked, MAX_CACHED_STATEMENTS, RESET_SESSION, STATEMENT_REPLAN_AFTER};

/// A `connection` resource: one physical connection, returned to its pool
/// (after a reset) when dropped.
pub struct Connection {
    pub(super) session: Option<Session>,
    pub(super) home: Arc<AddressPool>,
    pub(super) _permit: OwnedSemaphorePermit,
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
