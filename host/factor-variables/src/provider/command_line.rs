//! `--variable` arguments, in Spin's four forms.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::VariablesError;

/// Merges every argument's values; a later argument overrides an earlier one
/// for the same name.
pub(super) fn values(arguments: &[String]) -> Result<BTreeMap<String, String>, VariablesError> {
    let mut merged = BTreeMap::new();
    for argument in arguments {
        merged.extend(argument_values(argument)?);
    }
    Ok(merged)
}

fn argument_values(argument: &str) -> Result<BTreeMap<String, String>, VariablesError> {
    if let Some(path) = argument.strip_prefix('@') {
        let path = Path::new(path);
        return match path.extension().and_then(|extension| extension.to_str()) {
            Some("json") => json_file(path),
            Some("toml") => toml_file(path),
            _ => Err(VariablesError::VariablesFileExtension {
                path: path.to_path_buf(),
            }),
        };
    }
    let Some((name, value)) = argument.split_once('=') else {
        return Err(VariablesError::CommandLineSyntax {
            argument: argument.to_string(),
        });
    };
    let value = match value.strip_prefix('@') {
        Some(path) => read(Path::new(path))?,
        None => value.to_string(),
    };
    Ok(BTreeMap::from([(name.to_string(), value)]))
}

fn read(path: &Path) -> Result<String, VariablesError> {
    std::fs::read_to_string(path).map_err(|cause| VariablesError::ReadFile {
        path: path.to_path_buf(),
        cause,
    })
}

fn contents_error(path: &Path, problem: String) -> VariablesError {
    VariablesError::FileContents {
        path: PathBuf::from(path),
        problem,
    }
}

/// A JSON object of strings. Errors give positions and keys, never values.
fn json_file(path: &Path) -> Result<BTreeMap<String, String>, VariablesError> {
    let text = read(path)?;
    let document: serde_json::Value = serde_json::from_str(&text).map_err(|error| {
        contents_error(
            path,
            format!(
                "not valid JSON at line {}, column {}",
                error.line(),
                error.column()
            ),
        )
    })?;
    let serde_json::Value::Object(object) = document else {
        return Err(contents_error(
            path,
            "must be a JSON object of names to strings".to_string(),
        ));
    };
    object
        .into_iter()
        .map(|(name, value)| match value {
            serde_json::Value::String(text) => Ok((name, text)),
            _ => Err(contents_error(
                path,
                format!("the value of {name:?} must be a string"),
            )),
        })
        .collect()
}

/// A flat TOML table of strings. Errors give positions and keys, never values.
fn toml_file(path: &Path) -> Result<BTreeMap<String, String>, VariablesError> {
    let text = read(path)?;
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
        let line = error
            .span()
            .map(|span| text[..span.start].matches('\n').count() + 1)
            .unwrap_or(1);
        contents_error(path, format!("not valid TOML at line {line}"))
    })?;
    table
        .into_iter()
        .map(|(name, value)| match value {
            toml::Value::String(text) => Ok((name, text)),
            _ => Err(contents_error(
                path,
                format!("the value of {name:?} must be a string"),
            )),
        })
        .collect()
}
