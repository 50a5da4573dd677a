//! tokio-postgres failures as the interface's `error`.

use std::error::Error as StdError;

use tokio_postgres::error::{DbError as ServerError, ErrorPosition};

use crate::postgres::{DbError, Error, QueryError};

/// A failed statement: `db-error` with the server's fields when the server
/// reported it, `text` otherwise.
pub(crate) fn query_failed(error: tokio_postgres::Error) -> Error {
    let query_error = match error.as_db_error() {
        Some(server) => QueryError::DbError(DbError {
            as_text: describe(&error),
            severity: server.severity().to_string(),
            code: server.code().code().to_string(),
            message: server.message().to_string(),
            detail: server.detail().map(str::to_string),
            extras: extras(server),
        }),
        None => QueryError::Text(describe(&error)),
    };
    Error::QueryFailed(query_error)
}

/// An error and the chain of its causes, `: `-separated (tokio-postgres keeps
/// the cause out of its own message).
pub(crate) fn describe(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

/// The optional fields the server sent, named as in the protocol docs.
fn extras(server: &ServerError) -> Vec<(String, String)> {
    let position = server.position().map(|position| match position {
        ErrorPosition::Original(at) => ("position", at.to_string()),
        ErrorPosition::Internal { position, .. } => ("internal_position", position.to_string()),
    });
    let internal_query = match server.position() {
        Some(ErrorPosition::Internal { query, .. }) => Some(("internal_query", query.clone())),
        _ => None,
    };
    let text = |name: &'static str, value: Option<&str>| value.map(|v| (name, v.to_string()));
    [
        text("hint", server.hint()),
        position,
        internal_query,
        text("where", server.where_()),
        text("schema", server.schema()),
        text("table", server.table()),
        text("column", server.column()),
        text("datatype", server.datatype()),
        text("constraint", server.constraint()),
        text("file", server.file()),
        server.line().map(|line| ("line", line.to_string())),
        text("routine", server.routine()),
    ]
    .into_iter()
    .flatten()
    .map(|(name, value)| (name.to_string(), value))
    .collect()
}
