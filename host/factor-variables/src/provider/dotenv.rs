//! The `.env` file: `KEY=value` lines as `dotenvy` reads them (quotes,
//! comments and `${OTHER}` substitution included).

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::Path;

use crate::VariablesError;

/// Every key in the file at `path`; nothing when the file does not exist.
pub(super) fn values(path: &Path) -> Result<BTreeMap<String, String>, VariablesError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(cause) => {
            return Err(VariablesError::ReadFile {
                path: path.to_path_buf(),
                cause,
            })
        }
    };
    dotenvy::from_read_iter(text.as_bytes())
        .map(|entry| entry.map_err(|error| malformed(path, &text, error)))
        .collect()
}

/// Describes a parse failure by line number only: the offending line may
/// hold a secret.
fn malformed(path: &Path, text: &str, error: dotenvy::Error) -> VariablesError {
    let problem = match error {
        dotenvy::Error::LineParse(line, _) => match text.find(&line) {
            Some(offset) => format!(
                "line {} is not KEY=value",
                text[..offset].matches('\n').count() + 1
            ),
            None => "a line is not KEY=value".to_string(),
        },
        dotenvy::Error::EnvVar(_) => {
            "a ${...} substitution names an environment variable that is not UTF-8".to_string()
        }
        other => other.to_string(),
    };
    VariablesError::FileContents {
        path: path.to_path_buf(),
        problem,
    }
}
