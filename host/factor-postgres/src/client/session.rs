//! One physical connection's state: the statements prepared on it, what its users may
//! have left behind ([`Leftovers`], judged from their statements' text), where it stands
//! with its reset ([`SessionState`]), and the immediate reset of one that may hold an open
//! transaction ([`reset`]); the idle list's entries ([`Idle`]).

use std::collections::HashMap;
use std::time::Instant;

use tokio::task::JoinHandle;
use tokio_postgres::{Client, Statement};

use super::sql::{first_word, mentions};
use super::{DEALLOCATE_GUEST_STATEMENTS, RESET_SESSION};
use crate::errors;

/// One physical connection and the statements prepared on it.
pub(super) struct Session {
    pub(super) client: Client,
    /// Each with when it was prepared.
    pub(super) statements: HashMap<String, (Statement, Instant)>,
    /// What the statements run since the last reset may have left behind.
    pub(super) left: Leftovers,
    /// Whether the session needs its reset, and when it goes out.
    pub(super) state: SessionState,
    /// The deferred reset failed: the connection is closed, never pooled again.
    pub(super) broken: bool,
    /// A statement failed other than with an SQL error (the server ended the
    /// session, the socket closed): the connection may be gone, so it is reset at
    /// once when returned, and discarded if that fails.
    pub(super) doubtful: bool,
}

/// Where a session stands with its reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SessionState {
    /// New or just reset: nothing to undo.
    Clean,
    /// A previous user's statements ran since the last reset: the reset goes out ahead
    /// of the next statement.
    ResetDue,
    /// The current user has sent statements since the last reset.
    Used,
}

impl Session {
    pub(super) fn new(client: Client) -> Session {
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
pub(super) struct Leftovers {
    /// A transaction may be open: not after `COMMIT`/`ROLLBACK`, nor after
    /// plain queries run outside one; any other statement may have opened one.
    pub(super) transaction: bool,
    /// Statements prepared in SQL: the text mentioned `prepare`.
    pub(super) prepared: bool,
    /// A bare `BEGIN` the guest sent is held back, to go out with its next
    /// statement (see [`super::Connection::hold_begin`]); nothing to undo, since
    /// PostgreSQL has not seen it.
    pub(super) begin_held: bool,
}

impl Leftovers {
    /// What may be left once `sql` has run (successfully or not).
    pub(super) fn after(self, sql: &str) -> Leftovers {
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

/// Rolls back whatever the last user may have left open and resets the
/// session at once; `None` when the connection is broken.
pub(super) async fn reset(mut session: Session) -> Option<Session> {
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
pub(super) enum Idle {
    /// Its reset, if due, goes out with its next statement.
    Ready(Box<Session>),
    /// Its reset (or its dial) is under way on its own task, or done.
    Resetting(JoinHandle<Option<Session>>),
}

impl Idle {
    pub(super) fn is_ready(&self) -> bool {
        match self {
            Idle::Ready(_) => true,
            Idle::Resetting(task) => task.is_finished(),
        }
    }

    pub(super) async fn session(self) -> Option<Session> {
        match self {
            Idle::Ready(session) => Some(*session),
            Idle::Resetting(task) => task.await.ok().flatten(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Leftovers;

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
}
