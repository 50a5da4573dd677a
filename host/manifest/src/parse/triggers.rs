//! `[[trigger.http]]` and `[[trigger.cron]]`.

use toml::{Table, Value};

use crate::error::Problem;
use crate::model::{CronTrigger, HttpRoute, HttpTrigger};
use crate::table::TableReader;

/// Reads every trigger; `http` and `cron` are the only types `tds` serves.
pub(crate) fn triggers(table: &Table) -> Result<(Vec<HttpTrigger>, Vec<CronTrigger>), Problem> {
    let mut http = Vec::new();
    let mut cron = Vec::new();
    for (kind, value) in table {
        let entries = entries(kind, value)?;
        match kind.as_str() {
            "http" => {
                for (index, entry) in entries.into_iter().enumerate() {
                    http.push(http_trigger(entry, index)?);
                }
            }
            "cron" => {
                for (index, entry) in entries.into_iter().enumerate() {
                    cron.push(cron_trigger(entry, index)?);
                }
            }
            _ => return Err(Problem::UnknownTriggerType { kind: kind.clone() }),
        }
    }
    Ok((http, cron))
}

fn entries<'a>(kind: &str, value: &'a Value) -> Result<Vec<&'a Table>, Problem> {
    let wrong_type = || Problem::WrongType {
        table: "the top level".to_string(),
        key: format!("trigger.{kind}"),
        expected: "an array of tables (write [[trigger.<type>]])",
    };
    let Value::Array(items) = value else {
        return Err(wrong_type());
    };
    items
        .iter()
        .map(|item| item.as_table().ok_or_else(wrong_type))
        .collect()
}

fn http_trigger(table: &Table, index: usize) -> Result<HttpTrigger, Problem> {
    let reader = TableReader::new(
        table,
        format!("[[trigger.http]] #{}", index + 1),
        &["component", "route", "executor", "static_response"],
    )?;
    Ok(HttpTrigger {
        component: component_reference(&reader)?,
        route: route(&reader)?,
        executor: reader.value("executor").cloned(),
        static_response: reader.optional_table("static_response")?.cloned(),
    })
}

fn cron_trigger(table: &Table, index: usize) -> Result<CronTrigger, Problem> {
    let reader = TableReader::new(
        table,
        format!("[[trigger.cron]] #{}", index + 1),
        &["component", "cron_expression"],
    )?;
    Ok(CronTrigger {
        component: component_reference(&reader)?,
        cron_expression: reader.required_string("cron_expression")?,
    })
}

fn component_reference(reader: &TableReader<'_>) -> Result<String, Problem> {
    match reader.value("component") {
        Some(Value::String(id)) => Ok(id.clone()),
        Some(Value::Table(_)) => Err(Problem::Unsupported {
            table: reader.name().to_string(),
            key: "component".to_string(),
            hint: "inline components are not served; declare a [component.<id>] table and write component = \"<id>\"",
        }),
        Some(_) => Err(reader.wrong_type("component", "a component id string")),
        None => Err(reader.missing("component")),
    }
}

fn route(reader: &TableReader<'_>) -> Result<HttpRoute, Problem> {
    match reader.value("route") {
        Some(Value::String(path)) => Ok(HttpRoute::Path(path.clone())),
        Some(Value::Table(table)) => {
            let private =
                TableReader::new(table, format!("`route` of {}", reader.name()), &["private"])?;
            match private.value("private") {
                Some(Value::Boolean(true)) => Ok(HttpRoute::Private),
                _ => Err(Problem::InvalidRoute {
                    table: reader.name().to_string(),
                }),
            }
        }
        Some(_) => Err(reader.wrong_type("route", "a path string or { private = true }")),
        None => Err(reader.missing("route")),
    }
}
