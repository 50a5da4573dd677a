//! Where values come from besides the manifest, and reading them.
//!
//! Defaults ([`Sources::default`]) match `spin up`: no `--variable`
//! arguments, the process environment, and `.env` in the current directory.
//! A missing `.env` file supplies nothing; an unreadable or malformed one is
//! an error.

mod command_line;
mod dotenv;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use crate::VariablesError;

/// The prefix of environment keys that carry variables.
const ENVIRONMENT_PREFIX: &str = "SPIN_VARIABLE_";

/// The environment key (also the `.env` key) that carries `name`.
///
/// ```
/// assert_eq!(tds_factor_variables::environment_key("database_url"), "SPIN_VARIABLE_DATABASE_URL");
/// ```
pub fn environment_key(name: &str) -> String {
    format!("{ENVIRONMENT_PREFIX}{}", name.to_ascii_uppercase())
}

/// The sources consulted before the manifest's defaults, highest precedence
/// first.
#[derive(Clone)]
pub struct Sources {
    /// `--variable` arguments as given: `name=value`, `name=@file`,
    /// `@file.json` or `@file.toml`; when a name is given twice the later
    /// argument wins. Relative file paths are relative to the current
    /// directory.
    pub command_line: Vec<String>,
    /// Where `SPIN_VARIABLE_<NAME>` keys are looked up.
    pub environment: Environment,
    /// The directory whose `.env` file is read; `None` reads no file.
    pub dotenv_dir: Option<PathBuf>,
}

impl Default for Sources {
    fn default() -> Self {
        Self {
            command_line: Vec::new(),
            environment: Environment::Process,
            dotenv_dir: Some(PathBuf::from(".")),
        }
    }
}

impl fmt::Debug for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arguments: Vec<&str> = self
            .command_line
            .iter()
            .map(|argument| {
                argument
                    .split_once('=')
                    .map_or(argument.as_str(), |(name, _)| name)
            })
            .collect();
        f.debug_struct("Sources")
            .field("command_line_names", &arguments)
            .field("environment", &self.environment)
            .field("dotenv_dir", &self.dotenv_dir)
            .finish()
    }
}

/// Where environment keys are looked up.
#[derive(Clone)]
pub enum Environment {
    /// The process environment.
    Process,
    /// A fixed key/value map (for tests and embedding).
    Fixed(BTreeMap<String, String>),
}

impl Environment {
    fn lookup(&self, key: &str) -> Result<Option<String>, VariablesError> {
        match self {
            Self::Process => match std::env::var(key) {
                Ok(value) => Ok(Some(value)),
                Err(std::env::VarError::NotPresent) => Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(VariablesError::EnvironmentNotUnicode {
                        key: key.to_string(),
                    })
                }
            },
            Self::Fixed(map) => Ok(map.get(key).cloned()),
        }
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Process => f.write_str("Process"),
            Self::Fixed(map) => f
                .debug_tuple("Fixed")
                .field(&map.keys().collect::<Vec<_>>())
                .finish(),
        }
    }
}

/// The sources, with files read once.
pub(crate) struct Supplied {
    command_line: BTreeMap<String, String>,
    environment: Environment,
    dotenv: BTreeMap<String, String>,
}

impl Supplied {
    /// Reads every file the sources name.
    pub(crate) fn read(sources: Sources) -> Result<Self, VariablesError> {
        Ok(Self {
            command_line: command_line::values(&sources.command_line)?,
            dotenv: match &sources.dotenv_dir {
                Some(dir) => dotenv::values(&dir.join(".env"))?,
                None => BTreeMap::new(),
            },
            environment: sources.environment,
        })
    }

    /// The value of `name` from the first source that has one.
    pub(crate) fn value(&self, name: &str) -> Result<Option<String>, VariablesError> {
        if let Some(value) = self.command_line.get(name) {
            return Ok(Some(value.clone()));
        }
        let key = environment_key(name);
        if let Some(value) = self.environment.lookup(&key)? {
            return Ok(Some(value));
        }
        Ok(self.dotenv.get(&key).cloned())
    }
}
