//! PostgreSQL through `spin:postgres/postgres@4.0.0`.
//!
//! Real Spin pools connections and does not roll back an open transaction when it
//! recycles one, so a guest that trapped mid-transaction can hand it to the next guest.
//! [`Db::open`] therefore rolls back whatever it inherited, and [`Db::begin`] starts every
//! unit of work with `ROLLBACK` (harmless when idle; skipped when nothing ran since the
//! open), then `BEGIN`. Failures keep their SQLSTATE so they are classified by code
//! ([`DbError::class`]), never by message.
//!
//! Spin 4.0.0–4.0.2 never return from a `query` whose result has no rows
//! (spinframework/spin#3671, docs/spin.md): [`Db::query`] therefore sends every statement
//! through [`tds_store::never_empty::wrap`], which always answers at least one row, and
//! hands back the statement's own rows (none, when that is what it found). Statements whose
//! rows nobody reads go through [`Db::execute`].

use std::cell::Cell;

use spin_sdk::pg4::{Connection, DbValue, ParameterValue, PgError, QueryError, RowSet};
use tds_core::failure::FailureClass;
use tds_store::never_empty;

/// A failed database call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DbError {
    /// The server's SQLSTATE, when the server answered.
    pub sqlstate: Option<String>,
    pub message: String,
}

impl DbError {
    /// A failure without a SQLSTATE (connection, conversion, an unexpected result).
    pub fn local(message: String) -> DbError {
        DbError {
            sqlstate: None,
            message,
        }
    }

    /// Transient or permanent, by SQLSTATE.
    pub fn class(&self) -> FailureClass {
        FailureClass::of_sqlstate(self.sqlstate.as_deref())
    }

    /// The SQLSTATE, or `db_unavailable` when the failure had none.
    pub fn code(&self) -> &str {
        self.sqlstate.as_deref().unwrap_or("db_unavailable")
    }

    /// Whether this is a unique violation (23505).
    pub fn is_unique_violation(&self) -> bool {
        self.sqlstate.as_deref() == Some("23505")
    }

    /// Whether a lock wait gave up (55P03, `lock_timeout`).
    pub fn is_lock_not_available(&self) -> bool {
        self.sqlstate.as_deref() == Some(tds_core::failure::LOCK_NOT_AVAILABLE)
    }

    /// Whether PostgreSQL refused a value itself (SQLSTATE class 22: a `\u0000` in JSON, a
    /// number out of range…): sending the same value again cannot succeed.
    pub fn is_data_exception(&self) -> bool {
        self.sqlstate.as_deref().is_some_and(|s| s.starts_with("22"))
    }
}

impl From<PgError> for DbError {
    fn from(e: PgError) -> DbError {
        match e {
            PgError::QueryFailed(QueryError::DbError(d)) => {
                let message = match d.detail {
                    Some(detail) => format!("{} ({detail})", d.message),
                    None => d.message,
                };
                DbError {
                    sqlstate: Some(d.code),
                    message,
                }
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
            PgError::Other(t) => DbError::local(first_line(&t).to_string()),
        }
    }
}

/// Non-server failures may carry a backtrace after the first line.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
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

    pub fn execute(&self, sql: &str, params: &[ParameterValue]) -> Result<u64, DbError> {
        self.known_idle.set(false);
        Ok(self.conn.execute(sql, params)?)
    }

    /// Runs `sql` and returns its rows; never sends Spin a query that could answer none.
    pub fn query(&self, sql: &str, params: &[ParameterValue]) -> Result<Rows, DbError> {
        self.known_idle.set(false);
        let wrapped = self.conn.query(&never_empty::wrap(sql), params)?;
        Rows::unwrap(wrapped)
    }

    /// Starts a unit of work: `ROLLBACK` (skipped when nothing ran since [`Db::open`]'s),
    /// then `BEGIN`.
    pub fn begin(&self) -> Result<(), DbError> {
        if !self.known_idle.get() {
            self.rollback()?;
        }
        self.execute("BEGIN", &[]).map(drop)
    }

    pub fn commit(&self) -> Result<(), DbError> {
        self.execute("COMMIT", &[]).map(drop)
    }

    pub fn rollback(&self) -> Result<(), DbError> {
        self.execute("ROLLBACK", &[]).map(drop)
    }

    pub fn savepoint(&self, name: &str) -> Result<(), DbError> {
        self.execute(&format!("SAVEPOINT {name}"), &[]).map(drop)
    }

    pub fn rollback_to(&self, name: &str) -> Result<(), DbError> {
        self.execute(&format!("ROLLBACK TO SAVEPOINT {name}"), &[])
            .map(drop)
    }

    pub fn release(&self, name: &str) -> Result<(), DbError> {
        self.execute(&format!("RELEASE SAVEPOINT {name}"), &[])
            .map(drop)
    }
}

/// A result set with typed access by column index.
pub struct Rows {
    /// The wrapped statement's answer: [`never_empty::MARKER`] first in every row.
    set: RowSet,
    /// Whether the statement itself found rows (otherwise `set` holds the one NULL row).
    found: bool,
}

impl Rows {
    /// The statement's own rows out of a [`never_empty::wrap`]ped answer.
    fn unwrap(set: RowSet) -> Result<Rows, DbError> {
        let found = match set.rows.first().and_then(|row| row.first()) {
            Some(DbValue::Boolean(true)) => true,
            Some(DbValue::DbNull) => false,
            other => {
                return Err(DbError::local(format!(
                    "the result lacks its {} marker column (got {other:?})",
                    never_empty::MARKER
                )))
            }
        };
        Ok(Rows { set, found })
    }

    pub fn is_empty(&self) -> bool {
        !self.found
    }

    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        let count = if self.found { self.set.rows.len() } else { 0 };
        self.set.rows[..count].iter().map(|r| Row(&r[1..]))
    }

    pub fn first(&self) -> Option<Row<'_>> {
        self.iter().next()
    }

    /// The first row of a statement that always returns one (`INSERT … RETURNING id`).
    pub fn expect_row(&self) -> Result<Row<'_>, DbError> {
        self.first()
            .ok_or_else(|| DbError::local("the statement returned no row".to_string()))
    }
}

/// One row; getters fail (as a [`DbError`]) when the column holds another type.
pub struct Row<'a>(&'a [DbValue]);

impl Row<'_> {
    fn value(&self, i: usize) -> Result<&DbValue, DbError> {
        self.0
            .get(i)
            .ok_or_else(|| DbError::local(format!("result has no column {i}")))
    }

    fn mismatch(&self, i: usize, expected: &str) -> DbError {
        DbError::local(format!(
            "column {i}: expected {expected}, got {:?}",
            self.0.get(i)
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
