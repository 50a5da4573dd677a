//! Loads and validates a Spin manifest (`spin.toml`, `spin_manifest_version = 2`)
//! with the rules Spin 4 applies, so that a manifest `tds` accepts is one Spin
//! accepts too.
//!
//! - Unknown keys are errors at the top level, in `[application]`,
//!   `[variables.<name>]`, `[component.<id>]` and `[component.<id>.build]`;
//!   `[[trigger.http]]` takes `component`, `route`, `executor` and
//!   `static_response`; `[[trigger.cron]]` takes exactly `component` and
//!   `cron_expression`. `[application.trigger.*]`, `[application.tool.*]`,
//!   `targets` and `[component.<id>.tool.*]` are accepted and ignored.
//! - Only `http` and `cron` triggers exist; a trigger must name a declared
//!   component by id.
//! - Variable names follow [`names::check_variable_name`]; component ids follow
//!   [`names::check_component_id`]. An application variable has exactly one of
//!   `default` and `required = true`.
//! - Component variable templates and `allowed_outbound_hosts` templates may
//!   only name declared application variables; an outbound host entry without
//!   a template must have a scheme (`postgres://…`, `https://…`, `*://…`).
//! - Spin features `tds` does not serve (url and registry sources, inline
//!   components, component dependencies, profiles, `allowed_http_hosts`) are
//!   reported as "unsupported by tds" rather than ignored.
//!
//! Component `source` paths are relative to the manifest's directory; use
//! [`Manifest::resolve_source`] to get the path to open.

pub mod error;
pub mod model;
pub mod names;
mod parse;
pub mod profile;
mod table;
pub mod template;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use error::{ManifestError, Problem};
pub use model::{
    Application, BuildConfig, ComponentDecl, CronTrigger, FileMount, HttpRoute, HttpTrigger,
    VariableDecl,
};

/// A validated `spin.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// `[application]`.
    pub application: Application,
    /// `[variables.<name>]`, by name.
    pub variables: BTreeMap<String, VariableDecl>,
    /// `[[trigger.http]]`, in manifest order.
    pub http_triggers: Vec<HttpTrigger>,
    /// `[[trigger.cron]]`, in manifest order.
    pub cron_triggers: Vec<CronTrigger>,
    /// `[component.<id>]`, by id.
    pub components: BTreeMap<String, ComponentDecl>,
    base_dir: PathBuf,
}

impl Manifest {
    /// Reads and validates the manifest at `path`; relative paths in it are
    /// resolved against `path`'s directory.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ManifestError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|cause| ManifestError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        let mut manifest = Self::from_str(&text, &path.display().to_string())?;
        manifest.base_dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(manifest)
    }

    /// Validates manifest text; `origin` names it in errors (usually its path).
    /// Relative paths in it are resolved against the current directory.
    ///
    /// ```
    /// let manifest = tds_manifest::Manifest::from_str(r#"
    ///     spin_manifest_version = 2
    ///     [application]
    ///     name = "demo"
    ///     [[trigger.http]]
    ///     component = "hello"
    ///     route = "/..."
    ///     [component.hello]
    ///     source = "hello.wasm"
    /// "#, "demo.toml").unwrap();
    /// assert_eq!(manifest.http_triggers[0].component, "hello");
    ///
    /// let error = tds_manifest::Manifest::from_str("spin_manifest_version = 1", "old.toml").unwrap_err();
    /// assert!(error.to_string().starts_with("old.toml: spin_manifest_version must be 2"));
    /// ```
    pub fn from_str(text: &str, origin: &str) -> Result<Self, ManifestError> {
        let root: toml::Table = text.parse().map_err(|cause| ManifestError::Toml {
            origin: origin.to_string(),
            cause,
        })?;
        let invalid = |problem| ManifestError::Invalid {
            origin: origin.to_string(),
            problem: Box::new(problem),
        };
        let document = parse::document(&root).map_err(invalid)?;
        validate::document(&document).map_err(invalid)?;
        Ok(Self {
            application: document.application,
            variables: document.variables,
            http_triggers: document.http_triggers,
            cron_triggers: document.cron_triggers,
            components: document.components,
            base_dir: PathBuf::from("."),
        })
    }

    /// The directory relative paths in the manifest are resolved against.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// The path of a component's `.wasm` file, or `None` when no
    /// `[component.<id>]` table declares `component_id`.
    pub fn resolve_source(&self, component_id: &str) -> Option<PathBuf> {
        self.components
            .get(component_id)
            .map(|component| self.base_dir.join(&component.source))
    }
}
