//! `[component.<id>]` and `[component.<id>.build]`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use toml::{Table, Value};

use crate::error::Problem;
use crate::model::{BuildConfig, ComponentDecl, FileMount};
use crate::names::{check_component_id, check_variable_name};
use crate::table::TableReader;

const ALLOWED_KEYS: &[&str] = &[
    "source",
    "description",
    "variables",
    "environment",
    "files",
    "exclude_files",
    "allowed_outbound_hosts",
    "key_value_stores",
    "sqlite_databases",
    "ai_models",
    "build",
    "tool",
];

/// Keys Spin accepts in a component that `tds` does not implement, with what
/// to do instead.
const UNSUPPORTED_KEYS: &[(&str, &str)] = &[
    (
        "allowed_http_hosts",
        "this key is deprecated in Spin; list the hosts in allowed_outbound_hosts as \"https://host\"",
    ),
    (
        "dependencies",
        "compose the dependencies into the component before running it (e.g. with wac)",
    ),
    (
        "dependencies_inherit_configuration",
        "component dependencies are not served; remove this key",
    ),
    ("profile", "build profiles are not served; point source at the .wasm to run"),
];

/// Reads every `[component.<id>]` table.
pub(crate) fn components(table: &Table) -> Result<BTreeMap<String, ComponentDecl>, Problem> {
    table
        .iter()
        .map(|(id, value)| {
            check_component_id(id).map_err(|reason| Problem::InvalidComponentId {
                id: id.clone(),
                reason,
            })?;
            let Value::Table(entry) = value else {
                return Err(Problem::WrongType {
                    table: "[component]".to_string(),
                    key: id.clone(),
                    expected: "a table ([component.<id>])",
                });
            };
            Ok((id.clone(), component(id, entry)?))
        })
        .collect()
}

fn component(id: &str, table: &Table) -> Result<ComponentDecl, Problem> {
    let name = format!("[component.{id}]");
    if let Some((key, hint)) = UNSUPPORTED_KEYS
        .iter()
        .find(|(key, _)| table.contains_key(*key))
    {
        return Err(Problem::Unsupported {
            table: name,
            key: key.to_string(),
            hint,
        });
    }
    let reader = TableReader::new(table, name, ALLOWED_KEYS)?;
    if let Some(tool) = reader.optional_table("tool")? {
        if let Some((tool_name, _)) = tool.iter().find(|(_, value)| !value.is_table()) {
            return Err(reader.wrong_type(&format!("tool.{tool_name}"), "a table"));
        }
    }
    Ok(ComponentDecl {
        source: source(id, &reader)?,
        description: reader.optional_string("description")?,
        variables: component_variables(id, &reader)?,
        environment: reader.string_map("environment")?,
        files: files(&reader)?,
        exclude_files: reader.string_list("exclude_files")?,
        allowed_outbound_hosts: reader.string_list("allowed_outbound_hosts")?,
        key_value_stores: reader.string_list("key_value_stores")?,
        sqlite_databases: reader.string_list("sqlite_databases")?,
        ai_models: reader.string_list("ai_models")?,
        build: match reader.optional_table("build")? {
            Some(table) => Some(build(id, table)?),
            None => None,
        },
    })
}

fn source(id: &str, reader: &TableReader<'_>) -> Result<PathBuf, Problem> {
    match reader.value("source") {
        Some(Value::String(path)) => Ok(PathBuf::from(path)),
        Some(Value::Table(table)) => {
            let kind = if table.contains_key("url") {
                "url"
            } else {
                "registry"
            };
            Err(Problem::UnsupportedSource {
                component: id.to_string(),
                kind,
            })
        }
        Some(_) => Err(reader.wrong_type("source", "a path to a .wasm file")),
        None => Err(reader.missing("source")),
    }
}

fn component_variables(
    id: &str,
    reader: &TableReader<'_>,
) -> Result<BTreeMap<String, String>, Problem> {
    let variables = reader.string_map("variables")?;
    for name in variables.keys() {
        check_variable_name(name).map_err(|reason| Problem::InvalidVariableName {
            table: format!("[component.{id}.variables]"),
            name: name.clone(),
            reason,
        })?;
    }
    Ok(variables)
}

fn files(reader: &TableReader<'_>) -> Result<Vec<FileMount>, Problem> {
    const EXPECTED: &str =
        "an array of glob strings and { source = \"...\", destination = \"/...\" } tables";
    let Some(value) = reader.value("files") else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = value else {
        return Err(reader.wrong_type("files", EXPECTED));
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(pattern) => Ok(FileMount::Pattern(pattern.clone())),
            Value::Table(table) => {
                let placement = TableReader::new(
                    table,
                    format!("a `files` entry of {}", reader.name()),
                    &["source", "destination"],
                )?;
                Ok(FileMount::Placement {
                    source: placement.required_string("source")?,
                    destination: placement.required_string("destination")?,
                })
            }
            _ => Err(reader.wrong_type("files", EXPECTED)),
        })
        .collect()
}

fn build(id: &str, table: &Table) -> Result<BuildConfig, Problem> {
    let reader = TableReader::new(
        table,
        format!("[component.{id}.build]"),
        &["command", "workdir", "watch"],
    )?;
    let commands = match reader.value("command") {
        Some(Value::String(command)) => vec![command.clone()],
        Some(Value::Array(_)) => reader.string_list("command")?,
        Some(_) => return Err(reader.wrong_type("command", "a string or an array of strings")),
        None => return Err(reader.missing("command")),
    };
    Ok(BuildConfig {
        commands,
        workdir: reader.optional_string("workdir")?.map(PathBuf::from),
        watch: reader.string_list("watch")?,
    })
}
