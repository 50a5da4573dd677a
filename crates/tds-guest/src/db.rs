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
//! through [`tds_store::never_empty::wrap`], which always answers at least one row, and
//! hands back the statement's own rows (none, when that is what it found). Statements whose
//! rows nobody reads go through [`Db::execute`].

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use spin_sdk::pg4::{Connection, DbValue, ParameterValue, PgError, QueryError, RowSet};
use tds_core::failure::FailureClass;
use tds_store::{never_empty, Statement};

/// A failed database call: the statement that failed (when one did), the server's SQLSTATE
/// (when the server answered) and what went wrong, shown as
/// `queue::claim_batch: <message> (SQLSTATE 40001)`. Classified by SQLSTATE, never by the
/// message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    statement: Option<Cow<'static, str>>,
    sqlstate: Option<String>,
    message: String,
}

impl DbError {
    /// A failure without a SQLSTATE (connection, conversion, an unexpected result).
    pub fn local(message: impl Into<String>) -> DbError {
        DbError {
            statement: None,
            sqlstate: None,
            message: message.into(),
        }
    }

    /// A failure the server reported with `sqlstate`.
    pub fn server(sqlstate: impl Into<String>, message: impl Into<String>) -> DbError {
        DbError {
            statement: None,
            sqlstate: Some(sqlstate.into()),
            message: message.into(),
        }
    }

    /// `statement`, which always answers a row, answered none.
    pub fn no_row(statement: Statement) -> DbError {
        DbError::local(NO_ROW).of(statement.name.into())
    }

    /// This failure as one of `statement`.
    fn of(self, statement: Cow<'static, str>) -> DbError {
        DbError {
            statement: Some(statement),
            ..self
        }
    }

    /// The server's SQLSTATE, when the server answered.
    pub fn sqlstate(&self) -> Option<&str> {
        self.sqlstate.as_deref()
    }

    /// Transient or permanent, by SQLSTATE.
    pub fn class(&self) -> FailureClass {
        FailureClass::of_sqlstate(self.sqlstate())
    }

    /// The SQLSTATE, or `db_unavailable` when the failure had none.
    pub fn code(&self) -> &str {
        self.sqlstate().unwrap_or("db_unavailable")
    }

    /// Whether this is a unique violation (23505).
    pub fn is_unique_violation(&self) -> bool {
        self.sqlstate() == Some("23505")
    }

    /// Whether a lock wait gave up (55P03, `lock_timeout`).
    pub fn is_lock_not_available(&self) -> bool {
        self.sqlstate() == Some(tds_core::failure::LOCK_NOT_AVAILABLE)
    }

    /// Whether PostgreSQL refused a value itself (SQLSTATE class 22: a `\u0000` in JSON, a
    /// number out of range…): sending the same value again cannot succeed.
    pub fn is_data_exception(&self) -> bool {
        self.sqlstate().is_some_and(|s| s.starts_with("22"))
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(statement) = &self.statement {
            write!(f, "{statement}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(sqlstate) = &self.sqlstate {
            write!(f, " (SQLSTATE {sqlstate})")?;
        }
        Ok(())
    }
}

impl std::error::Error for DbError {}

impl From<PgError> for DbError {
    fn from(e: PgError) -> DbError {
        match e {
            PgError::QueryFailed(QueryError::DbError(d)) => {
                let message = match d.detail {
                    Some(detail) => format!("{} ({detail})", d.message),
                    None => d.message,
                };
                DbError::server(d.code, message)
            }
            PgError::QueryFailed(QueryError::Text(t)) => {
                DbError::local(format!("query failed: {}", first_line(&t)))
            }
            PgError::ConnectionFailed(t) => {
                DbError::local(format!("connection failed: {}", first_line(&t)))
            }
            PgError::BadParameter(t) => DbError::local(format!("bad parameter: {t}")),
            PgError::ValueConversionFailed(t) => {
                DbError::local(format!("value conversion failed: {t}"))
            }
            PgError::Other(t) => DbError::local(first_line(&t)),
        }
    }
}

/// Why a statement that always answers a row failed when it answered none.
const NO_ROW: &str = "the statement returned no row";

/// Non-server failures may carry a backtrace after the first line.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// The statements of a unit of work.
const BEGIN: Statement = Statement::new("db::begin", "BEGIN");
const COMMIT: Statement = Statement::new("db::commit", "COMMIT");
const ROLLBACK: Statement = Statement::new("db::rollback", "ROLLBACK");

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

    /// Runs one of the store's statements; how many rows it touched.
    pub fn execute(&self, statement: Statement, params: &[ParameterValue]) -> Result<u64, DbError> {
        self.execute_built(statement.name, statement.sql, params)
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
    pub fn query(&self, statement: Statement, params: &[ParameterValue]) -> Result<Rows, DbError> {
        self.query_built(statement.name, statement.sql, params)
    }

    /// Runs `sql` built at run time (`tds_erp::sql`'s), which failures name `name`, and
    /// returns its rows as [`Db::query`] does.
    pub fn query_built(
        &self,
        name: impl Into<Cow<'static, str>>,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<Rows, DbError> {
        let name = name.into();
        self.known_idle.set(false);
        match self.conn.query(&never_empty::wrap(sql), params) {
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
        self.execute(BEGIN, &[]).map(drop)
    }

    pub fn commit(&self) -> Result<(), DbError> {
        self.execute(COMMIT, &[]).map(drop)
    }

    pub fn rollback(&self) -> Result<(), DbError> {
        self.execute(ROLLBACK, &[]).map(drop)
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

/// A result set with typed access by column index; failures to read it name its statement.
pub struct Rows {
    statement: Cow<'static, str>,
    /// The wrapped statement's answer: [`never_empty::MARKER`] first in every row.
    set: RowSet,
    /// Whether the statement itself found rows (otherwise `set` holds the one NULL row).
    found: bool,
}

impl Rows {
    /// The statement's own rows out of a [`never_empty::wrap`]ped answer.
    fn unwrap(statement: Cow<'static, str>, set: RowSet) -> Result<Rows, DbError> {
        let found = match set.rows.first().and_then(|row| row.first()) {
            Some(DbValue::Boolean(true)) => true,
            Some(DbValue::DbNull) => false,
            other => {
                let message = format!(
                    "the result lacks its {} marker column (got {other:?})",
                    never_empty::MARKER
                );
                return Err(DbError::local(message).of(statement));
            }
        };
        Ok(Rows {
            statement,
            set,
            found,
        })
    }

    pub fn is_empty(&self) -> bool {
        !self.found
    }

    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        let count = if self.found { self.set.rows.len() } else { 0 };
        self.set.rows[..count].iter().map(|r| Row {
            statement: &self.statement,
            values: &r[1..],
        })
    }

    pub fn first(&self) -> Option<Row<'_>> {
        self.iter().next()
    }

    /// The first row of a statement that always returns one (`INSERT … RETURNING id`).
    pub fn expect_row(&self) -> Result<Row<'_>, DbError> {
        self.first().ok_or_else(|| {
            DbError::local(NO_ROW).of(self.statement.clone())
        })
    }
}

/// One row; getters fail (as a [`DbError`] naming the statement) when the column holds
/// another type.
pub struct Row<'a> {
    statement: &'a Cow<'static, str>,
    values: &'a [DbValue],
}

impl Row<'_> {
    /// A value of this row its reader refuses (`message` says which and why), as a failure
    /// of the row's statement.
    pub fn invalid(&self, message: impl Into<String>) -> DbError {
        DbError::local(message).of(self.statement.clone())
    }

    fn value(&self, i: usize) -> Result<&DbValue, DbError> {
        self.values
            .get(i)
            .ok_or_else(|| self.invalid(format!("result has no column {i}")))
    }

    fn mismatch(&self, i: usize, expected: &str) -> DbError {
        self.invalid(format!(
            "column {i}: expected {expected}, got {:?}",
            self.values.get(i)
        ))
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        match self.value(i)? {
            DbValue::Str(s) => Ok(Some(s.clone())),
            DbValue::DbNull => Ok(None),
            _ => Err(self.mismatch(i, "text")),
        }
    }

    pub fn text(&self, i: usize) -> Result<String, DbError> {
        self.opt_text(i)?.ok_or_else(|| self.mismatch(i, "text"))
    }

    pub fn int8(&self, i: usize) -> Result<i64, DbError> {
        match self.value(i)? {
            DbValue::Int64(n) => Ok(*n),
            _ => Err(self.mismatch(i, "int8")),
        }
    }

    pub fn int4(&self, i: usize) -> Result<i32, DbError> {
        match self.value(i)? {
            DbValue::Int32(n) => Ok(*n),
            _ => Err(self.mismatch(i, "int4")),
        }
    }

    pub fn float8(&self, i: usize) -> Result<f64, DbError> {
        self.opt_float8(i)?.ok_or_else(|| self.mismatch(i, "float8"))
    }

    pub fn opt_float8(&self, i: usize) -> Result<Option<f64>, DbError> {
        match self.value(i)? {
            DbValue::Floating64(n) => Ok(Some(*n)),
            DbValue::DbNull => Ok(None),
            _ => Err(self.mismatch(i, "float8")),
        }
    }

    pub fn opt_int8(&self, i: usize) -> Result<Option<i64>, DbError> {
        match self.value(i)? {
            DbValue::Int64(n) => Ok(Some(*n)),
            DbValue::DbNull => Ok(None),
            _ => Err(self.mismatch(i, "int8")),
        }
    }

    pub fn opt_int4(&self, i: usize) -> Result<Option<i32>, DbError> {
        match self.value(i)? {
            DbValue::Int32(n) => Ok(Some(*n)),
            DbValue::DbNull => Ok(None),
            _ => Err(self.mismatch(i, "int4")),
        }
    }

    pub fn boolean(&self, i: usize) -> Result<bool, DbError> {
        match self.value(i)? {
            DbValue::Boolean(b) => Ok(*b),
            _ => Err(self.mismatch(i, "boolean")),
        }
    }
}

/// The rows `statement` answers, as [`Db::query`] hands them back.
#[cfg(test)]
pub(crate) fn rows_of(statement: Statement, rows: Vec<Vec<DbValue>>) -> Rows {
    let rows = if rows.is_empty() {
        vec![vec![DbValue::DbNull]]
    } else {
        let marked = |row: Vec<DbValue>| std::iter::once(DbValue::Boolean(true)).chain(row).collect();
        rows.into_iter().map(marked).collect()
    };
    let set = RowSet {
        columns: Vec::new(),
        rows,
    };
    Rows::unwrap(Cow::Borrowed(statement.name), set).expect("a wrapped answer")
}

/// Parameter constructors, one per placeholder cast TDS uses.
pub mod param {
    use spin_sdk::pg4::ParameterValue;

    /// For `$n::text`.
    pub fn text(s: impl Into<String>) -> ParameterValue {
        ParameterValue::Str(s.into())
    }

    /// For `$n::text`, NULL when absent.
    pub fn opt_text(s: Option<impl Into<String>>) -> ParameterValue {
        s.map_or(ParameterValue::DbNull, text)
    }

    /// For `$n::bigint`.
    pub fn int8(n: i64) -> ParameterValue {
        ParameterValue::Int64(n)
    }

    /// For `$n::bigint`, NULL when absent.
    pub fn opt_int8(n: Option<i64>) -> ParameterValue {
        n.map_or(ParameterValue::DbNull, int8)
    }

    /// For `$n::int4`.
    pub fn int4(n: i32) -> ParameterValue {
        ParameterValue::Int32(n)
    }

    /// For `$n::int4` from a count, a limit or a number of seconds; saturates at `i32::MAX`.
    pub fn uint4(n: u32) -> ParameterValue {
        int4(i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// For `$n::float8`.
    pub fn float8(n: f64) -> ParameterValue {
        ParameterValue::Floating64(n)
    }

    /// For `$n::float8`, NULL when absent.
    pub fn opt_float8(n: Option<f64>) -> ParameterValue {
        n.map_or(ParameterValue::DbNull, float8)
    }

    /// For `$n::bytea`.
    pub fn bytea(bytes: Vec<u8>) -> ParameterValue {
        ParameterValue::Binary(bytes)
    }

    /// For `$n::bigint[]`.
    pub fn int8_array(items: impl IntoIterator<Item = i64>) -> ParameterValue {
        ParameterValue::ArrayInt64(items.into_iter().map(Some).collect())
    }

    /// For `$n::text[]`.
    pub fn text_array<S: Into<String>>(items: impl IntoIterator<Item = S>) -> ParameterValue {
        ParameterValue::ArrayStr(items.into_iter().map(|s| Some(s.into())).collect())
    }
}

#[cfg(test)]
mod tests {
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
        let rows = rows_of(CLAIM, vec![vec![DbValue::Int64(7)]]);
        let row = rows.expect_row().unwrap();
        assert_eq!(row.int8(0), Ok(7));
        assert_eq!(
            row.text(0).unwrap_err().to_string(),
            "queue::claim_batch: column 0: expected text, got Some(DbValue::Int64(7))"
        );
        assert_eq!(
            row.int8(1).unwrap_err().to_string(),
            "queue::claim_batch: result has no column 1"
        );
        let none = rows_of(CLAIM, Vec::new());
        assert!(none.is_empty());
        assert_eq!(
            none.expect_row().err().map(|e| e.to_string()),
            Some("queue::claim_batch: the statement returned no row".to_string())
        );
    }
}
