//! `tds`: a Spin-compatible host for the TDS application.
//!
//! It reads the same `spin.toml` real Spin reads and serves what the components import
//! (WASI 0.2, `wasi:http`, `spin:postgres/postgres@4.0.0`, `fermyon:spin/variables@2.0.0`)
//! and call (the HTTP trigger and `spin:cron@3.0.0`), with Spin's semantics and refusals.
//! It also starts a private PostgreSQL when no database is given and applies migrations,
//! derives profiles of the manifest ([`profile`]) and writes the lists of Zoho modules that
//! files hold as text from the module registry ([`modules`]).

pub mod app;
pub mod build_components;
pub mod cli;
pub mod cron_trigger;
pub mod embedded_postgres;
pub mod engine;
pub mod guest_output;
pub mod http_trigger;
mod linker;
pub mod modules;
pub mod outbound_http;
pub mod profile;
pub mod state;
pub mod up;

pub use app::{App, AppBuilder, AppOptions};
/// Schema migrations (the `tds-migrate` crate, shared with its small binary).
pub use tds_migrate as migrate;
