//! [`DbError`]: a failed database call, naming its statement and keeping its SQLSTATE.

use std::borrow::Cow;
use std::fmt;

use spin_sdk::pg4::{PgError, QueryError};
use tds_core::failure::FailureClass;
use tds_store::Statement;

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
    pub(crate) fn of(self, statement: Cow<'static, str>) -> DbError {
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
pub(super) const NO_ROW: &str = "the statement returned no row";

/// Non-server failures may carry a backtrace after the first line.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}
