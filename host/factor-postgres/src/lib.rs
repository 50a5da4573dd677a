//! `spin:postgres/postgres@4.0.0` for guests, over tokio-postgres, behaving as
//! Spin 4.0.2 behaves, refusals included: a component that works here works
//! under Spin.
//!
//! # Connections
//! - `connection.open(address)` takes a tokio-postgres connection string
//!   (`host=… port=… user=…`) or a `postgres://` / `postgresql://` URL.
//!   Unix-socket hosts are refused ("Unix sockets are not supported on
//!   WebAssembly"). Every TCP host, as written and with its port (5432 when
//!   absent), must be granted to scheme `postgres` by the component's
//!   `allowed_outbound_hosts`; otherwise the open fails with
//!   `connection-failed("address postgres://HOST:PORT is not permitted…")`.
//! - TLS: `sslmode=disable` connects in plain text; every other mode, the
//!   default `prefer` included, uses native TLS verifying the certificate and
//!   host name against the system roots. A server that refuses TLS gets a plain
//!   connection (`prefer`), a certificate that fails verification fails the
//!   open: there is no fallback.
//! - A `connection` resource is one physical connection for its lifetime, so
//!   `BEGIN` … `COMMIT` sent as plain SQL is a transaction. Physical connections
//!   are pooled per address string in a [`PostgresPool`]; as in Spin, the host
//!   gives each component a pool of its own (at most
//!   [`MAX_CONNECTIONS_PER_ADDRESS`] in use at once per address; an open beyond
//!   that waits up to [`ACQUIRE_TIMEOUT`]); idle connections are kept. An open
//!   that finds none idle dials (at most [`MAX_DIALS_PER_ADDRESS`] at once) and
//!   takes whichever comes first, its new connection or one another guest
//!   returns; Spin's pool dials for every such open, which only costs more.
//! - A dropped resource's connection (or, after a trap, its store's) has its
//!   session reset with what `DISCARD ALL` does except deallocating the host's
//!   prepared statements. As in Spin, the reset happens when the connection is
//!   handed out again: it goes out in the same write as the next user's first
//!   statement, and a connection whose reset fails is closed. When a
//!   transaction may be open (unless its last statements were a `COMMIT` or
//!   `ROLLBACK` and plain queries after it), the connection is sent `ROLLBACK`
//!   and the reset at once instead, before the pool hands it out again; one
//!   that fails them is discarded. Each physical connection keeps the statements
//!   it prepared (by SQL text), so a statement it has seen costs one round trip
//!   (see the `client` module); each is prepared again once
//!   [`STATEMENT_REPLAN_AFTER`] old, so no plan outlives its tables' growth. Spin resets session state but
//!   does not roll back, so a guest trapped inside a transaction can hand it to
//!   the next guest there; here the rollback makes that impossible (and
//!   releases its locks at once). Components must still start every unit of
//!   work with `ROLLBACK` for Spin's sake. A bare `ROLLBACK` (or `ABORT`) sent
//!   while no transaction can be open (judged as for the reset) is answered by
//!   the host, zero rows, without a round trip: PostgreSQL would only warn that
//!   there is no transaction, in its log and to the client, once per request.
//! - A bare `BEGIN` (`BEGIN WORK`, `BEGIN TRANSACTION`, `START TRANSACTION`, no
//!   options) sent while no transaction can be open is answered at once (zero
//!   rows) and held back: it goes out in the same write as the connection's next
//!   statement, so a transaction costs one round trip fewer. PostgreSQL runs it
//!   first, as if sent alone, so a statement that fails still aborts the
//!   transaction; the one difference is that `now()` is taken with that
//!   statement instead of at the guest's `BEGIN`. A `BEGIN` followed only by
//!   `ROLLBACK`, or by the connection's end, is never sent.
//!
//! # Parameters
//! Each `parameter-value` binds only to the placeholder types tokio-postgres
//! accepts for its Rust counterpart, judged against the type the server infers
//! for the placeholder: `boolean` → `bool`, `int8` → `"char"`, `int16` → `int2`,
//! `int32` → `int4`, `int64` → `int8`, `floating32/64` → `float4/8`, `str` →
//! `text`/`varchar`/`bpchar`/`name`/untyped, `binary` → `bytea`, `date`, `time`,
//! `datetime` → `timestamp` (never `timestamptz`), `timestamp` (epoch seconds)
//! → `timestamptz` only, `uuid`, `jsonb` → `jsonb`/`json`, `decimal` →
//! `numeric`, ranges → `int4range`/`int8range`/`numrange`, arrays →
//! `int4[]`/`int8[]`/`numeric[]`/`text[]`…, `interval`, and `db-null` → any type.
//! A mismatch (`int32` for an `int8` placeholder) or a wrong parameter count
//! fails with `query-failed(text(…))`; a value that is not what its type says
//! (bad UUID, JSON, decimal or date) fails with `bad-parameter`. A range whose
//! lower bound is above its upper bound is sent as the empty range, as Spin does.
//!
//! # Results
//! Columns map by type: `bool`, `int2/4/8` → `int16/32/64`, `float4/8`,
//! `text`/`varchar`/`bpchar` → `str`, `bytea` → `binary`, `numeric` → `decimal`
//! (base-10 text, scale kept), `timestamp` → `datetime`, `date`, `time`, `uuid`,
//! `jsonb` → the JSON text as bytes, `int4range`/`int8range`/`numrange` → ranges
//! (an unbounded side is `none`; the empty range is `(none, none)`, as in Spin),
//! `int4[]`/`int8[]`/`numeric[]`/`text[]`/`varchar[]`/`bpchar[]` → arrays, and
//! `interval`. NULL is `db-null`, the column keeping its type. Anything else
//! (`json`, `"char"`, `name`, `oid`, `inet`, `money`, `timetz`, `int2[]`, …) is
//! `other(type name)` with `unsupported(raw binary value)`.
//!
//! **A query whose result has no rows fails** by default (`other(…)` naming
//! spinframework/spin#3671 and the statement's first words, logged at error
//! level), because Spin 4.0.0–4.0.2 never return from one: see
//! [`EmptyQueryResults`]. With [`EmptyQueryResults::Return`] it answers no rows
//! and no columns, as Spin releases with the fix do.
//!
//! **A `timestamptz` column fails the whole query** (`query-failed(text(…))`
//! naming the column), as in Spin 4.0.2. Spin fails only once a row comes back;
//! here the check runs on the prepared statement, before it executes, so the
//! mistake shows on an empty table too and the statement has no effect. Values
//! Spin cannot read fail the query as well (`query-failed(text(…))` naming the
//! column): `numeric` NaN or ±Infinity, numbers beyond 28 significant digits,
//! infinite timestamps, multi-dimensional arrays.
//!
//! # Errors
//! Server errors are `query-failed(db-error{…})` with the SQLSTATE in `code`,
//! the server's fields in `extras` (`hint`, `position`, `where`, `schema`,
//! `table`, `column`, `datatype`, `constraint`, `file`, `line`, `routine`, when
//! present; `internal_position` and `internal_query` for an error inside a
//! generated query) and the full error text in `as-text`; other failures carry
//! tokio-postgres's error text with its causes.
//!
//! # Beyond Spin
//! Stricter in one more place: `hostaddr=` values (the addresses tokio-postgres
//! actually dials) must be allowed too, where Spin checks only `host=`.

#![allow(
    clippy::result_large_err,
    reason = "the interface's `error` is what every host function returns to the guest"
)]

mod address;
mod client;
mod empty_results;
mod errors;
mod host;
mod params;
mod results;
mod wire;

use std::sync::Arc;

use tds_factor_outbound::AllowedHosts;
use wasmtime::component::{HasSelf, Linker, ResourceTable};

pub use client::{
    Connection, PostgresPool, ACQUIRE_TIMEOUT, MAX_CONNECTIONS_PER_ADDRESS, MAX_DIALS_PER_ADDRESS,
    STATEMENT_REPLAN_AFTER,
};
pub use empty_results::EmptyQueryResults;

/// Rust bindings of `spin:postgres/postgres@4.0.0`, generated from `wit/`.
pub mod bindings {
    wasmtime::component::bindgen!({
        inline: "
            package tds:postgres-host;

            world postgres-host {
                import spin:postgres/postgres@4.0.0;
            }
        ",
        path: "../../wit",
        imports: { default: async },
        with: {
            "spin:postgres/postgres.connection": crate::Connection,
        },
        additional_derives: [PartialEq],
    });
}

/// The interface's types and its `HostConnection` trait.
pub use bindings::spin::postgres::postgres;

/// What one store (one guest instance) needs: its component's allow-list, its
/// open connections, and the process's pool.
pub struct PostgresState {
    pool: Arc<PostgresPool>,
    allowed_hosts: Arc<AllowedHosts>,
    connections: ResourceTable,
    empty_results: EmptyQueryResults,
}

impl PostgresState {
    /// State for a new store of a component whose `allowed_outbound_hosts`
    /// parsed to `allowed_hosts`, drawing connections from `pool`.
    pub fn new(pool: Arc<PostgresPool>, allowed_hosts: Arc<AllowedHosts>) -> PostgresState {
        PostgresState {
            pool,
            allowed_hosts,
            connections: ResourceTable::new(),
            empty_results: EmptyQueryResults::default(),
        }
    }

    /// How `query` answers a result without rows (refused unless told otherwise).
    pub fn with_empty_query_results(mut self, empty_results: EmptyQueryResults) -> Self {
        self.empty_results = empty_results;
        self
    }
}

/// Serves `spin:postgres/postgres@4.0.0` to components linked by `linker`,
/// with `get` finding each store's [`PostgresState`]. The functions are
/// async: instantiate and call guests with wasmtime's `*_async` APIs, inside a
/// Tokio runtime (connections run on it, and one dropped inside a transaction is
/// rolled back on it).
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut PostgresState,
) -> wasmtime::Result<()> {
    postgres::add_to_linker::<T, HasSelf<PostgresState>>(linker, get)
}
