//! The interface's host side: `connection.open`, `query`, `execute` and drop.

use wasmtime::component::Resource;

use crate::client::Connection;
use crate::postgres::{Error, Host, HostConnection, ParameterValue, RowSet};
use crate::{address, empty_results, errors, params, results, EmptyQueryResults, PostgresState};

impl PostgresState {
    fn connection(&mut self, connection: &Resource<Connection>) -> Result<&mut Connection, Error> {
        self.connections
            .get_mut(connection)
            .map_err(|e| Error::ConnectionFailed(format!("no such connection: {e}")))
    }
}

impl Host for PostgresState {}

impl HostConnection for PostgresState {
    async fn open(&mut self, address: String) -> Result<Resource<Connection>, Error> {
        let config = address::vet(&address, &self.allowed_hosts)?;
        let connection = self.pool.get(&address, config).await?;
        self.connections
            .push(connection)
            .map_err(|e| Error::ConnectionFailed(format!("cannot keep another connection: {e}")))
    }

    async fn query(
        &mut self,
        connection: Resource<Connection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> Result<RowSet, Error> {
        let params = params::convert(params)?;
        let connection = self.connection(&connection)?;
        let prepared = connection.prepare(&statement).await;
        if prepared.is_err() {
            connection.after(&statement, &prepared);
        }
        let prepared = prepared.map_err(errors::query_failed)?;
        let columns = prepared
            .columns()
            .iter()
            .map(results::column)
            .collect::<Result<Vec<_>, _>>()?;
        let rows = connection.query(&prepared, &params::as_sql(&params)).await;
        connection.after(&statement, &rows);
        let rows = rows.map_err(errors::query_failed)?;
        if rows.is_empty() {
            return match self.empty_results {
                EmptyQueryResults::Refuse => Err(empty_results::refusal(&statement)),
                EmptyQueryResults::Return => Ok(RowSet {
                    columns: Vec::new(),
                    rows: Vec::new(),
                }),
            };
        }
        let rows = rows.iter().map(results::row).collect::<Result<_, _>>()?;
        Ok(RowSet { columns, rows })
    }

    async fn execute(
        &mut self,
        connection: Resource<Connection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> Result<u64, Error> {
        // Spin reports a parameter that is not what its own type says as
        // `value-conversion-failed` from `execute` (and `bad-parameter` from `query`).
        let params = params::convert(params).map_err(|error| match error {
            Error::BadParameter(message) => Error::ValueConversionFailed(message),
            other => other,
        })?;
        let connection = self.connection(&connection)?;
        if params.is_empty()
            && (connection.rollback_is_idle(&statement) || connection.hold_begin(&statement))
        {
            return Ok(0);
        }
        let prepared = connection.prepare(&statement).await;
        let done = match prepared {
            Ok(prepared) => {
                connection
                    .execute(&prepared, &params::as_sql(&params))
                    .await
            }
            Err(error) => Err(error),
        };
        connection.after(&statement, &done);
        done.map_err(errors::query_failed)
    }

    async fn drop(&mut self, connection: Resource<Connection>) -> wasmtime::Result<()> {
        self.connections.delete(connection)?;
        Ok(())
    }
}
