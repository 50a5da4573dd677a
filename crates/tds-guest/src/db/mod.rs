//! PostgreSQL through `spin:postgres/postgres@4.0.0`.
//!
//! Real Spin pools connections and does not roll back an open transaction when it
//! recycles one, so a guest that trapped mid-transaction can hand it to the next guest.
//! [`Db::open`] therefore rolls back whatever it inherited, and [`Db::begin`] starts every
//! unit of work with `ROLLBACK` (harmless when idle; skipped when nothing ran since the
//! open), then `BEGIN`. Failures name their statement (a [`Statement`] of `tds_store`, or
//! SQL built at run time under a name of its own: [`Db::query_built`]) and keep their
//! SQLSTATE, so they are classified by code ([`DbError::class`]), never by message.
//!
//! Spin 4.0.0–4.0.2 never return from a `query` whose result has no rows
//! (spinframework/spin#3671, docs/spin.md): [`Db::query`] therefore sends every statement
//! through [`tds_store::never_empty::wrap`] (for the store's statements
//! [`tds_store::never_empty::wrap_statement`], the same text found faster), which always
//! answers at least one row, and
//! hands back the statement's own rows (none, when that is what it found). Statements whose
//! rows nobody reads go through [`Db::execute`].

mod bind;
mod error;
pub mod param;
mod rows;

use std::borrow::Cow;
use std::cell::Cell;

use spin_sdk::pg4::{Connection, ParameterValue};
use tds_store::{never_empty, statement, Statement};

use crate::bind;

pub use bind::{bind, Binding};
pub use error::DbError;
#[cfg(test)]
pub(crate) use rows::rows_of;
pub use rows::{Row, Rows};

/// The statements of a unit of work.
const BEGIN: Statement = statement!("db::begin", "BEGIN");
const COMMIT: Statement = statement!("db::commit", "COMMIT");
const ROLLBACK: Statement = statement!("db::rollback", "ROLLBACK");

/// `params` checked against `statement`'s parameters, in position order; a mismatch is a
/// failure of the statement, sent nowhere.
fn bound(
    statement: &Statement,
    params: impl IntoIterator<Item = Binding>,
) -> Result<Vec<ParameterValue>, DbError> {
    bind(statement, params)
        .map_err(|e| DbError::local(format!("binding: {e}")).of(statement.name.into()))
}

/// One connection for the invocation's lifetime.
pub struct Db {
    conn: Connection,
    /// Nothing has run since the `ROLLBACK` of [`Db::open`]: the session is known idle, so
    /// [`Db::begin`] need not roll back again (one round trip fewer per unit of work).
    known_idle: Cell<bool>,
}

impl Db {
    /// Connects and rolls back any transaction a previous guest left on the pooled
    /// connection.
    pub fn open(url: &str) -> Result<Db, DbError> {
        let db = Db {
            conn: Connection::open(url)?,
            known_idle: Cell::new(false),
        };
        db.rollback()?;
        db.known_idle.set(true);
        Ok(db)
    }

    /// Runs one of the store's statements with `params` bound by name ([`bind`]); how many
    /// rows it touched.
    pub fn execute(
        &self,
        statement: Statement,
        params: impl IntoIterator<Item = Binding>,
    ) -> Result<u64, DbError> {
        let values = bound(&statement, params)?;
        self.execute_built(statement.name, statement.sql, &values)
    }

    /// Runs `sql` built at run time (`tds_erp::sql`'s, a savepoint's), which failures name
    /// `name`; how many rows it touched.
    pub fn execute_built(
        &self,
        name: impl Into<Cow<'static, str>>,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<u64, DbError> {
        self.known_idle.set(false);
        self.conn
            .execute(sql, params)
            .map_err(|e| DbError::from(e).of(name.into()))
    }

    /// Runs one of the store's statements and returns its rows; never sends Spin a query
    /// that could answer none.
    pub fn query(
        &self,
        statement: Statement,
        params: impl IntoIterator<Item = Binding>,
    ) -> Result<Rows, DbError> {
        let values = bound(&statement, params)?;
        self.query_wrapped(
            statement.name.into(),
            &never_empty::wrap_statement(&statement),
            &values,
        )
    }

    /// Runs `sql` built at run time (`tds_erp::sql`'s), which failures name `name`, and
    /// returns its rows as [`Db::query`] does.
    pub fn query_built(
        &self,
        name: impl Into<Cow<'static, str>>,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<Rows, DbError> {
        self.query_wrapped(name.into(), &never_empty::wrap(sql), params)
    }

    fn query_wrapped(
        &self,
        name: Cow<'static, str>,
        wrapped_sql: &str,
        params: &[ParameterValue],
    ) -> Result<Rows, DbError> {
        self.known_idle.set(false);
        match self.conn.query(wrapped_sql, params) {
            Ok(wrapped) => Rows::unwrap(name, wrapped),
            Err(e) => Err(DbError::from(e).of(name)),
        }
    }

    /// Starts a unit of work: `ROLLBACK` (skipped when nothing ran since [`Db::open`]'s),
    /// then `BEGIN`.
    pub fn begin(&self) -> Result<(), DbError> {
        if !self.known_idle.get() {
            self.rollback()?;
        }
        self.execute(BEGIN, bind!(BEGIN {})).map(drop)
    }

    pub fn commit(&self) -> Result<(), DbError> {
        self.execute(COMMIT, bind!(COMMIT {})).map(drop)
    }

    pub fn rollback(&self) -> Result<(), DbError> {
        self.execute(ROLLBACK, bind!(ROLLBACK {})).map(drop)
    }

    pub fn savepoint(&self, name: &str) -> Result<(), DbError> {
        self.execute_built("db::savepoint", &format!("SAVEPOINT {name}"), &[])
            .map(drop)
    }

    pub fn rollback_to(&self, name: &str) -> Result<(), DbError> {
        self.execute_built(
            "db::rollback_to",
            &format!("ROLLBACK TO SAVEPOINT {name}"),
            &[],
        )
        .map(drop)
    }

    pub fn release(&self, name: &str) -> Result<(), DbError> {
        self.execute_built("db::release", &format!("RELEASE SAVEPOINT {name}"), &[])
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use spin_sdk::pg4::DbValue;

    use super::*;

    const CLAIM: Statement = tds_store::queue::CLAIM_BATCH;

    #[test]
    fn a_failure_shows_its_statement_and_sqlstate() {
        let server = DbError::server("40001", "could not serialize access").of(CLAIM.name.into());
        assert_eq!(
            server.to_string(),
            "queue::claim_batch: could not serialize access (SQLSTATE 40001)"
        );
        assert_eq!(server.code(), "40001");
        let local = DbError::local("connection failed: refused").of("db::begin".into());
        assert_eq!(local.to_string(), "db::begin: connection failed: refused");
        assert_eq!(local.code(), "db_unavailable");
        let bare = DbError::local("variable database_url is not set");
        assert_eq!(bare.to_string(), "variable database_url is not set");
    }

    #[test]
    fn reading_a_row_wrongly_names_the_statement() {
        let rows = rows_of(CLAIM, &["id"], vec![vec![DbValue::Int64(7)]]);
        let row = rows.expect_row().unwrap();
        assert_eq!(row.int8("id"), Ok(7));
        assert_eq!(
            row.text("id").unwrap_err().to_string(),
            "queue::claim_batch: column id: expected text, got Some(DbValue::Int64(7))"
        );
        assert_eq!(
            row.int8("module").unwrap_err().to_string(),
            "queue::claim_batch: result has no column module"
        );
        let none = rows_of(CLAIM, &["id"], Vec::new());
        assert!(none.is_empty());
        assert_eq!(
            none.expect_row().err().map(|e| e.to_string()),
            Some("queue::claim_batch: the statement returned no row".to_string())
        );
    }
}
