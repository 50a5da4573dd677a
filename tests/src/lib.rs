//! The integration-test harness: real PostgreSQL, real wasm components, the real host.
//!
//! - One PostgreSQL per test process: `TDS_TEST_DATABASE_URL` (an admin URL to a server of
//!   your own) when set, else a throwaway embedded cluster (fsync off) that is stopped when
//!   the process exits.
//! - One migrated template database per set of migration files; every test gets its own
//!   database cloned from it ([`TestDatabase::new`]), so tests run in parallel without
//!   seeing each other's rows.
//! - Components are built when stale ([`ensure_built`] runs the manifest's build commands
//!   once per process; cargo makes that a no-op when nothing changed) and loaded through the
//!   host library exactly as `tds up` loads them ([`TestApp::start`]).
//! - The host's own behaviour is tested with a probe component ([`probe`]) that reports
//!   what the host gave it: `tests/guests/probe`, loaded from `tests/fixtures/probe.toml`.
//! - What many tests do is here once, mirroring the code it drives: posting webhooks
//!   ([`webhooks`]), writing requests by hand over TCP ([`raw_http`]), running processors
//!   and heal ([`internal`]), holding a row lock ([`locks`]), capturing the process's log
//!   ([`capture`]), moving history back in time ([`history`]), and waiting for something
//!   to happen by polling a condition rather than sleeping ([`wait`]).

mod cluster;
mod database;
pub mod browser;
pub mod capture;
pub mod gate;
pub mod history;
pub mod host_process;
pub mod internal;
pub mod locks;
pub mod probe;
pub mod pytools;
pub mod raw_http;
pub mod reliability;
pub mod stats;
mod test_app;
pub mod wait;
pub mod webhooks;

pub use cluster::{cluster, Cluster};
pub use database::{scalar_i64, set_config, TestDatabase};
pub use test_app::{ensure_built, repo_root, TestApp, TestAppOptions};
