//! Errors from reading variable sources and resolving values. Messages name
//! variables, files and environment keys, never values.

use std::path::PathBuf;

use tds_manifest::template::TemplateError;

/// Why variables could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum VariablesError {
    /// A `--variable` argument in none of the accepted forms.
    #[error("--variable {argument:?} is not name=value, name=@file, @file.json or @file.toml")]
    CommandLineSyntax {
        /// The argument as given.
        argument: String,
    },
    /// `--variable @file` where the file is neither `.json` nor `.toml`.
    #[error("--variable @{}: variable files must end in .json or .toml", path.display())]
    VariablesFileExtension {
        /// The file.
        path: PathBuf,
    },
    /// A file named on the command line or the `.env` file could not be read.
    #[error("cannot read variable file {}: {cause}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// A `@file.json`, `@file.toml` or `.env` file that is not a flat table
    /// of string values.
    #[error("variable file {}: {problem}", path.display())]
    FileContents {
        /// The file.
        path: PathBuf,
        /// What is wrong, by position or key.
        problem: String,
    },
    /// `SPIN_VARIABLE_<NAME>` is set to bytes that are not UTF-8.
    #[error("environment variable {key} is not valid UTF-8; set it to text")]
    EnvironmentNotUnicode {
        /// The environment key.
        key: String,
    },
    /// Required variables that no source supplied.
    #[error(
        "required variables have no value: {}; supply each with --variable <name>=<value> or the environment variable SPIN_VARIABLE_<NAME> (e.g. {})",
        names.join(", "),
        names.first().map(|name| crate::provider::environment_key(name)).unwrap_or_default()
    )]
    MissingRequired {
        /// The variables, sorted.
        names: Vec<String>,
    },
    /// A template uses a required variable that has no value.
    #[error(
        "variable `{name}` is required and has no value; supply it with --variable {name}=<value> or {}",
        crate::provider::environment_key(name)
    )]
    NoValue {
        /// The variable.
        name: String,
    },
    /// A template names a variable the manifest does not declare.
    #[error("variable `{name}` is not declared in the manifest's [variables]")]
    Undeclared {
        /// The variable.
        name: String,
    },
    /// A template that does not parse.
    #[error(transparent)]
    Template(TemplateError),
    /// The manifest has no such component.
    #[error("the manifest has no [component.{id}] table")]
    UnknownComponent {
        /// The component id asked for.
        id: String,
    },
}
