//! Load errors. Every message names the manifest, the table and the key at
//! fault, and says what to write instead.

use std::path::PathBuf;

use crate::names::{ComponentIdError, VariableNameError};
use crate::template::TemplateError;

/// Why a manifest could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read manifest {}: {cause}", path.display())]
    Read {
        /// The manifest path.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The text is not TOML.
    #[error("{origin} is not valid TOML: {cause}")]
    Toml {
        /// The manifest path or description given by the caller.
        origin: String,
        /// The parser's error, with line and column.
        cause: toml::de::Error,
    },
    /// The TOML breaks a manifest rule.
    #[error("{origin}: {problem}")]
    Invalid {
        /// The manifest path or description given by the caller.
        origin: String,
        /// The rule that was broken.
        problem: Box<Problem>,
    },
}

/// A manifest rule that was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A key no version 2 manifest may have in that table.
    #[error("unknown key `{key}` in {table}; allowed keys are: {allowed}")]
    UnknownKey {
        /// The table, as written in TOML (`[component.intake]`).
        table: String,
        /// The unknown key.
        key: String,
        /// The keys that table accepts, comma-separated.
        allowed: String,
    },
    /// A key Spin accepts that `tds` does not implement.
    #[error("unsupported by tds: `{key}` in {table}; {hint}")]
    Unsupported {
        /// The table.
        table: String,
        /// The key.
        key: String,
        /// What to do instead.
        hint: &'static str,
    },
    /// A `source` form Spin accepts that `tds` cannot load.
    #[error(
        "unsupported by tds: {kind} sources (`source` in [component.{component}]); download or build the .wasm file and write source = \"path/to/component.wasm\""
    )]
    UnsupportedSource {
        /// The component.
        component: String,
        /// `url` or `registry`.
        kind: &'static str,
    },
    /// A required key is absent.
    #[error("missing key `{key}` in {table}")]
    MissingKey {
        /// The table.
        table: String,
        /// The absent key.
        key: String,
    },
    /// A key holds the wrong kind of TOML value.
    #[error("`{key}` in {table} must be {expected}")]
    WrongType {
        /// The table.
        table: String,
        /// The key.
        key: String,
        /// What the key must hold.
        expected: &'static str,
    },
    /// `spin_manifest_version` is not 2.
    #[error("spin_manifest_version must be 2, found {found}; tds reads version 2 manifests only")]
    UnsupportedVersion {
        /// The value found, as TOML.
        found: String,
    },
    /// A variable name breaks Spin's rule.
    #[error("invalid variable name {name:?} in {table}: {reason}")]
    InvalidVariableName {
        /// The table holding the name.
        table: String,
        /// The name.
        name: String,
        /// Why it is invalid.
        reason: VariableNameError,
    },
    /// A component id breaks Spin's rule.
    #[error("invalid component id {id:?}: {reason}")]
    InvalidComponentId {
        /// The id.
        id: String,
        /// Why it is invalid.
        reason: ComponentIdError,
    },
    /// An application variable is both required and defaulted.
    #[error("[variables.{name}] sets both `required = true` and a `default`; keep one of them")]
    RequiredWithDefault {
        /// The variable.
        name: String,
    },
    /// An application variable has neither a default nor `required = true`.
    #[error("[variables.{name}] needs a `default` or `required = true`")]
    NoDefaultNotRequired {
        /// The variable.
        name: String,
    },
    /// A trigger type other than `http` and `cron`.
    #[error("unknown trigger type `{kind}` in [[trigger.{kind}]]; tds serves `http` and `cron` triggers")]
    UnknownTriggerType {
        /// The trigger type.
        kind: String,
    },
    /// A trigger names a component no `[component.<id>]` table declares.
    #[error(
        "{table} refers to component `{component}`, but there is no [component.{component}] table"
    )]
    UnknownComponent {
        /// The trigger, e.g. `[[trigger.http]] #2`.
        table: String,
        /// The component id it names.
        component: String,
    },
    /// A `route = { private = ... }` that is not `{ private = true }`.
    #[error("`route` in {table} must be a path (\"/...\") or {{ private = true }}")]
    InvalidRoute {
        /// The trigger.
        table: String,
    },
    /// An `allowed_outbound_hosts` entry without `scheme://`.
    #[error(
        "allowed_outbound_hosts entry {entry:?} in [component.{component}] has no scheme; write it as scheme://host[:port], e.g. \"postgres://db.example.com:5432\", \"https://api.example.com\" or \"*://localhost:*\""
    )]
    MissingScheme {
        /// The component.
        component: String,
        /// The entry as written.
        entry: String,
    },
    /// A template that does not parse.
    #[error("{location} in [component.{component}]: {error}")]
    Template {
        /// The component.
        component: String,
        /// Where the template is, e.g. `variables.db_url`.
        location: String,
        /// What is wrong with it.
        error: TemplateError,
    },
    /// A template names a variable `[variables]` does not declare.
    #[error(
        "{location} in [component.{component}] refers to {{{{ {variable} }}}}, but [variables] declares no `{variable}`; add [variables.{variable}] or fix the name"
    )]
    UndeclaredVariable {
        /// The component.
        component: String,
        /// Where the template is, e.g. `variables.db_url`.
        location: String,
        /// The undeclared name.
        variable: String,
    },
}
