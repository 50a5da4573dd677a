//! Turns a TOML document into the manifest model, table by table.
//!
//! Each table's keys are checked against what Spin accepts there before any
//! value is read, so a misspelt key is reported rather than ignored. Keys Spin
//! accepts but `tds` does not implement are reported as unsupported.

mod application;
mod component;
mod triggers;
mod variables;

use std::collections::BTreeMap;

use toml::{Table, Value};

use crate::error::Problem;
use crate::model::{Application, ComponentDecl, CronTrigger, HttpTrigger, VariableDecl};
use crate::table::TableReader;

const TOP_LEVEL: &str = "the top level";

/// Everything a manifest declares, before cross-references are checked.
pub(crate) struct Document {
    pub(crate) application: Application,
    pub(crate) variables: BTreeMap<String, VariableDecl>,
    pub(crate) http_triggers: Vec<HttpTrigger>,
    pub(crate) cron_triggers: Vec<CronTrigger>,
    pub(crate) components: BTreeMap<String, ComponentDecl>,
}

/// Reads every table of a version 2 manifest.
pub(crate) fn document(root: &Table) -> Result<Document, Problem> {
    check_version(root)?;
    let top = TableReader::new(
        root,
        TOP_LEVEL,
        &[
            "spin_manifest_version",
            "application",
            "variables",
            "trigger",
            "component",
        ],
    )?;
    let application = match top.value("application") {
        Some(Value::Table(table)) => application::application(table)?,
        Some(_) => return Err(top.wrong_type("application", "a table ([application])")),
        None => return Err(top.missing("application")),
    };
    let variables = match top.optional_table("variables")? {
        Some(table) => variables::variables(table)?,
        None => BTreeMap::new(),
    };
    let components = match top.optional_table("component")? {
        Some(table) => component::components(table)?,
        None => BTreeMap::new(),
    };
    let (http_triggers, cron_triggers) = match top.value("trigger") {
        Some(Value::Table(table)) => triggers::triggers(table)?,
        Some(_) => {
            return Err(top.wrong_type("trigger", "a table of trigger arrays ([[trigger.http]])"))
        }
        None => return Err(top.missing("trigger")),
    };
    Ok(Document {
        application,
        variables,
        http_triggers,
        cron_triggers,
        components,
    })
}

fn check_version(root: &Table) -> Result<(), Problem> {
    match root.get("spin_manifest_version") {
        Some(Value::Integer(2)) => Ok(()),
        Some(other) => Err(Problem::UnsupportedVersion {
            found: other.to_string(),
        }),
        None => Err(Problem::MissingKey {
            table: TOP_LEVEL.to_string(),
            key: "spin_manifest_version".to_string(),
        }),
    }
}
