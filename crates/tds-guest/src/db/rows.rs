//! [`Rows`] and [`Row`]: a statement's answer, read by column with typed getters.

use std::borrow::Cow;

use spin_sdk::pg4::{Column, DbValue, RowSet};
use tds_store::never_empty;

use super::error::{DbError, NO_ROW};

/// A result set with typed access by column name; failures to read it name its statement.
pub struct Rows {
    statement: Cow<'static, str>,
    /// The wrapped statement's answer: [`never_empty::MARKER`] first in every row.
    set: RowSet,
    /// Whether the statement itself found rows (otherwise `set` holds the one NULL row).
    found: bool,
}

impl Rows {
    /// The statement's own rows out of a [`never_empty::wrap`]ped answer.
    pub(super) fn unwrap(statement: Cow<'static, str>, set: RowSet) -> Result<Rows, DbError> {
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
        let columns = self.set.columns.get(1..).unwrap_or_default();
        self.set.rows[..count].iter().map(move |r| Row {
            statement: &self.statement,
            columns,
            values: &r[1..],
        })
    }

    pub fn first(&self) -> Option<Row<'_>> {
        self.iter().next()
    }

    /// The first row of a statement that always returns one (`INSERT … RETURNING id`).
    pub fn expect_row(&self) -> Result<Row<'_>, DbError> {
        self.first()
            .ok_or_else(|| DbError::local(NO_ROW).of(self.statement.clone()))
    }
}

/// One row; getters fail (as a [`DbError`] naming the statement) when the column holds
/// another type.
pub struct Row<'a> {
    statement: &'a Cow<'static, str>,
    /// The statement's columns (the marker column left out), as `values` holds them.
    columns: &'a [Column],
    values: &'a [DbValue],
}

impl Row<'_> {
    /// A value of this row its reader refuses (`message` says which and why), as a failure
    /// of the row's statement.
    pub fn invalid(&self, message: impl Into<String>) -> DbError {
        DbError::local(message).of(self.statement.clone())
    }

    /// Where `column` is in the row.
    fn index(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == column)
    }

    fn value(&self, column: &str) -> Result<&DbValue, DbError> {
        self.index(column)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| self.invalid(format!("result has no column {column}")))
    }

    fn mismatch(&self, column: &str, expected: &str) -> DbError {
        let got = self.index(column).and_then(|i| self.values.get(i));
        self.invalid(format!("column {column}: expected {expected}, got {got:?}"))
    }

    pub fn opt_text(&self, i: &str) -> Result<Option<String>, DbError> {
        match self.value(i)? {
            DbValue::Str(s) => Ok(Some(s.clone())),
            DbValue::DbNull => Ok(None),
            _ => Err(self.mismatch(i, "text")),
        }
    }

    pub fn text(&self, i: &str) -> Result<String, DbError> {
        self.opt_text(i)?.ok_or_else(|| self.mismatch(i, "text"))
    }

    pub fn int8(&self, i: &str) -> Result<i64, DbError> {
        match self.value(i)? {
            DbValue::Int64(n) => Ok(*n),
            _ => Err(self.mismatch(i, "int8")),
        }
    }

    pub fn int4(&self, i: &str) -> Result<i32, DbError> {
        match self.value(i)? {
            DbValue::Int32(n) => Ok(*n),
            _ => Err(self.mismatch(i, "int4")),
        }
    }

    pub fn float8(&self, i: &str) -> Result<f64, DbError> {
        self.opt_float8(i)?
            .ok_or_else(|| self.mismatch(i, "float8"))
    }

    pub fn opt_float8(&self, i: &str) -> Result<Option<f64>, DbError> {
        match self.value(i)? {
            DbValue::Floating64(n) => Ok(Some(*n)),
            DbValue::DbNull => Ok(None),
            _ => Err(self.mismatch(i, "float8")),
        }
    }

    pub fn opt_int8(&self, i: &str) -> Result<Option<i64>, DbError> {
        match self.value(i)? {
            DbValue::Int64(n) => Ok(Some(*n)),
            DbValue::DbNull => Ok(None),
            _ => Err(self.mismatch(i, "int8")),
        }
    }

    pub fn opt_int4(&self, i: &str) -> Result<Option<i32>, DbError> {
        match self.value(i)? {
            DbValue::Int32(n) => Ok(Some(*n)),
            DbValue::DbNull => Ok(None),
            _ => Err(self.mismatch(i, "int4")),
        }
    }

    pub fn boolean(&self, i: &str) -> Result<bool, DbError> {
        match self.value(i)? {
            DbValue::Boolean(b) => Ok(*b),
            _ => Err(self.mismatch(i, "boolean")),
        }
    }
}

/// The rows `statement` answers in `columns`, as [`Db::query`] hands them back.
#[cfg(test)]
pub(crate) fn rows_of(
    statement: tds_store::Statement,
    columns: &[&str],
    rows: Vec<Vec<DbValue>>,
) -> Rows {
    let rows = if rows.is_empty() {
        vec![vec![DbValue::DbNull]]
    } else {
        let marked =
            |row: Vec<DbValue>| std::iter::once(DbValue::Boolean(true)).chain(row).collect();
        rows.into_iter().map(marked).collect()
    };
    let column = |name: &str| Column {
        name: name.to_string(),
        data_type: spin_sdk::pg4::DbDataType::Other(String::new()),
    };
    let columns = std::iter::once(never_empty::MARKER)
        .chain(columns.iter().copied())
        .map(column)
        .collect();
    let set = RowSet { columns, rows };
    Rows::unwrap(Cow::Borrowed(statement.name), set).expect("a wrapped answer")
}
