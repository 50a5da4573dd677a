//! A private PostgreSQL server for `tds up` and the test harness.
//!
//! Behaviour and defaults:
//! - The binaries are found through `TDS_POSTGRES_BIN_DIR`, then `pg_config --bindir`,
//!   then the usual install paths (`/usr/lib/postgresql/<newest>/bin`, `/usr/local/pgsql/bin`,
//!   Homebrew's). When none is found the error says how to install PostgreSQL.
//! - The cluster lives in a data directory (`.tds/postgres` under `tds up`), is created by
//!   `initdb` on first use with a superuser named `tds` and `trust` authentication, and
//!   listens only on TCP `127.0.0.1` (Spin refuses Unix sockets, so none is created).
//! - `initdb` and `postgres` refuse to run as root: when the effective user is root they run
//!   as the unprivileged `postgres` user, and the data directory is handed to that user. If
//!   the requested directory is not reachable by that user (e.g. under `/root`), the cluster
//!   is kept under `/var/tmp/tds-postgres/` instead and the log says where.
//! - The server dies with the process that started it (Linux parent-death signal), and
//!   [`EmbeddedPostgres::stop`] shuts it down cleanly (fast shutdown).
//! - `fsync` is on unless [`EmbeddedOptions::fsync`] is false (throwaway test clusters only).

mod binaries;
mod process;

pub use binaries::PostgresBinaries;
pub use process::{EmbeddedOptions, EmbeddedPostgres, SUPERUSER};

/// What went wrong while preparing or starting the embedded server.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedPostgresError {
    #[error(
        "PostgreSQL server binaries (initdb, postgres) were not found. Install them \
         (Debian/Ubuntu: `apt-get install postgresql`, macOS: `brew install postgresql`) or \
         point TDS_POSTGRES_BIN_DIR at the folder holding `initdb` and `postgres`; or give \
         TDS a server of your own with SPIN_VARIABLE_DATABASE_URL"
    )]
    BinariesNotFound,
    #[error("running as root, but there is no unprivileged `postgres` user to run PostgreSQL as: create one (`useradd --system postgres`) or run tds as a normal user")]
    NoUnprivilegedUser,
    #[error("{command} failed ({status}); its output:\n{output}")]
    CommandFailed {
        command: String,
        status: String,
        output: String,
    },
    #[error("PostgreSQL did not accept connections on 127.0.0.1:{port} within {seconds} s; the end of its log ({log}):\n{tail}")]
    StartTimeout {
        port: u16,
        seconds: u64,
        log: String,
        tail: String,
    },
    #[error("PostgreSQL exited during start-up ({status}); the end of its log ({log}):\n{tail}")]
    ExitedEarly {
        status: String,
        log: String,
        tail: String,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("could not create database {name}: {source}")]
    CreateDatabase {
        name: String,
        #[source]
        source: tokio_postgres::Error,
    },
}

impl EmbeddedPostgresError {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }
}
