//! The validated contents of a manifest.
//!
//! Optional keys that are absent become `None`, `false` or an empty collection;
//! nothing else is defaulted. Maps are ordered by key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// `[application]`. Spin's `[application.trigger.*]`, `[application.tool.*]`
/// and `targets` are accepted and not kept: they do not change how the
/// application runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// `name`, required.
    pub name: String,
    /// `version`.
    pub version: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `authors`.
    pub authors: Vec<String>,
}

/// One `[variables.<name>]` table: exactly one of `default` and
/// `required = true` is set.
#[derive(Clone, PartialEq, Eq)]
pub struct VariableDecl {
    /// `description`.
    pub description: Option<String>,
    /// `default`: the value when no provider supplies one.
    pub default: Option<String>,
    /// `required`: start-up fails when no provider supplies a value.
    pub required: bool,
    /// `secret`: the value is never shown in logs, errors or `Debug` output.
    pub secret: bool,
}

impl fmt::Debug for VariableDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let default = match (&self.default, self.secret) {
            (Some(_), true) => Some("<redacted>"),
            (Some(value), false) => Some(value.as_str()),
            (None, _) => None,
        };
        f.debug_struct("VariableDecl")
            .field("description", &self.description)
            .field("default", &default)
            .field("required", &self.required)
            .field("secret", &self.secret)
            .finish()
    }
}

/// One `[[trigger.http]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpTrigger {
    /// `component`: the id of a `[component.<id>]` table.
    pub component: String,
    /// `route`.
    pub route: HttpRoute,
    /// `executor`, as written (Spin's default executor when absent).
    pub executor: Option<toml::Value>,
    /// `static_response`, as written.
    pub static_response: Option<toml::Table>,
}

/// The `route` of an HTTP trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpRoute {
    /// `route = "/path"`, `"/prefix/..."` or `"/..."`.
    Path(String),
    /// `route = { private = true }`: a private endpoint, reachable only
    /// through service chaining, never from outside.
    Private,
}

/// One `[[trigger.cron]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronTrigger {
    /// `component`: the id of a `[component.<id>]` table.
    pub component: String,
    /// `cron_expression`: six or seven fields, seconds first.
    pub cron_expression: String,
}

/// One `[component.<id>]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentDecl {
    /// `source`, as written: a path relative to the manifest's directory (see
    /// [`crate::Manifest::resolve_source`]).
    pub source: PathBuf,
    /// `description`.
    pub description: Option<String>,
    /// `variables`: the names this component may read, each mapped to a
    /// template over application variables (usually `"{{ app_var }}"`).
    pub variables: BTreeMap<String, String>,
    /// `environment`: environment variables for the guest.
    pub environment: BTreeMap<String, String>,
    /// `files`.
    pub files: Vec<FileMount>,
    /// `exclude_files`.
    pub exclude_files: Vec<String>,
    /// `allowed_outbound_hosts`: `scheme://host[:port]` entries, possibly with
    /// `{{ variable }}` templates.
    pub allowed_outbound_hosts: Vec<String>,
    /// `key_value_stores`.
    pub key_value_stores: Vec<String>,
    /// `sqlite_databases`.
    pub sqlite_databases: Vec<String>,
    /// `ai_models`.
    pub ai_models: Vec<String>,
    /// `[component.<id>.build]`.
    pub build: Option<BuildConfig>,
}

/// One entry of a component's `files`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileMount {
    /// `"assets/**/*.png"`: a glob pattern relative to the manifest's directory.
    Pattern(String),
    /// `{ source = "dir", destination = "/guest/dir" }`.
    Placement {
        /// The host directory.
        source: String,
        /// The absolute path inside the guest.
        destination: String,
    },
}

/// `[component.<id>.build]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildConfig {
    /// `command`: one string or an array, run in order.
    pub commands: Vec<String>,
    /// `workdir`, relative to the manifest's directory (the manifest's
    /// directory itself when absent).
    pub workdir: Option<PathBuf>,
    /// `watch`: glob patterns relative to the working directory.
    pub watch: Vec<String>,
}
