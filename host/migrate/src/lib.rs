//! Schema migrations: the SQL files of `migrations/`, embedded at build time. Used by
//! `tds migrate` and `tds up`, and by the small `tds-migrate` binary, which an operator can
//! build and run from CI or a Kubernetes Job without building the host (no wasmtime): the
//! same files, the same history table and the same lock.
//!
//! Behaviour: applied in version order by refinery, each once and in its own transaction,
//! with its checksum recorded in `refinery_schema_history`; a migration whose file changed
//! after it was applied, or a database that has a version this binary does not know, stops
//! the run with an error instead of guessing. Two hosts starting at once cannot race: the
//! run holds a PostgreSQL advisory lock for its whole duration (the host is not a Spin
//! guest, so session locks are fine here).

use tokio_postgres::Client;

mod embedded {
    refinery::embed_migrations!("../../migrations");
}

/// Key of the advisory lock serialising migration runs (`hashtext('tds:migrations')` is not
/// stable across versions, so a fixed number is used).
const MIGRATION_LOCK_KEY: i64 = 0x7464_735f_6d69_6772;

/// A failed migration run.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("could not set up TLS for the database connection: {0}")]
    Tls(#[source] native_tls::Error),
    #[error("could not connect to the database to migrate it: {0}")]
    Connect(#[source] tokio_postgres::Error),
    #[error("could not take the migration lock: {0}")]
    Lock(#[source] tokio_postgres::Error),
    #[error("migration failed: {0}")]
    Refinery(#[from] refinery::Error),
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Names of the migrations applied by this run, in order (`V1__init`, …).
    pub applied: Vec<String>,
}

/// Connects to `database_url` and migrates it. TLS follows the URL's `sslmode` as for the
/// components: `disable` is plain, otherwise the server's certificate is verified.
pub async fn migrate_url(database_url: &str) -> Result<MigrationReport, MigrateError> {
    let connector = native_tls::TlsConnector::new().map_err(MigrateError::Tls)?;
    let tls = postgres_native_tls::MakeTlsConnector::new(connector);
    let (mut client, connection) = tokio_postgres::connect(database_url, tls)
        .await
        .map_err(MigrateError::Connect)?;
    let driver = tokio::spawn(connection);
    let report = migrate(&mut client).await;
    drop(client);
    let _ = driver.await;
    report
}

/// Applies every pending migration on `client` under the migration lock.
pub async fn migrate(client: &mut Client) -> Result<MigrationReport, MigrateError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK_KEY])
        .await
        .map_err(MigrateError::Lock)?;
    let outcome = embedded::migrations::runner()
        .set_abort_divergent(true)
        .set_abort_missing(true)
        .run_async(client)
        .await;
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK_KEY])
        .await;
    let report = outcome?;
    Ok(MigrationReport {
        applied: report
            .applied_migrations()
            .iter()
            .map(|m| format!("V{}__{}", m.version(), m.name()))
            .collect(),
    })
}

/// The `tds-migrate` command line: `tds-migrate [--database-url URL]`, the URL otherwise
/// from `SPIN_VARIABLE_DATABASE_URL` or `DATABASE_URL`. Prints what it applied; the error,
/// if any, is returned for the caller to print.
pub async fn run_cli(args: impl IntoIterator<Item = String>) -> Result<MigrationReport, String> {
    let mut args = args.into_iter();
    let mut url = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--database-url" => url = args.next(),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let url = url
        .or_else(|| std::env::var("SPIN_VARIABLE_DATABASE_URL").ok())
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .filter(|url| !url.is_empty())
        .ok_or_else(|| format!("no database URL given\n{USAGE}"))?;
    let report = migrate_url(&url).await.map_err(|e| e.to_string())?;
    if report.applied.is_empty() {
        eprintln!("tds-migrate: the database is up to date");
    }
    for name in &report.applied {
        eprintln!("tds-migrate: applied migration {name}");
    }
    Ok(report)
}

const USAGE: &str = "usage: tds-migrate [--database-url postgres://user:pass@host:5432/db?sslmode=require]
  (or SPIN_VARIABLE_DATABASE_URL / DATABASE_URL in the environment)
Applies TDS's pending migrations under the same advisory lock and history as `tds migrate`.";
