//! Checks that span tables: triggers name declared components, templates name
//! declared application variables, and literal outbound hosts have a scheme.
//!
//! Outbound host entries holding a template are checked for a scheme only
//! after rendering (by whoever renders them), as Spin does.

use crate::error::Problem;
use crate::parse::Document;
use crate::template::Template;

/// Runs every cross-table check, reporting the first failure.
pub(crate) fn document(document: &Document) -> Result<(), Problem> {
    trigger_components(document)?;
    for (id, component) in &document.components {
        for (name, text) in &component.variables {
            template(document, id, &format!("variables.{name}"), text)?;
        }
        for entry in &component.allowed_outbound_hosts {
            let location = format!("allowed_outbound_hosts entry {entry:?}");
            if template(document, id, &location, entry)?.is_literal() && !entry.contains("://") {
                return Err(Problem::MissingScheme {
                    component: id.clone(),
                    entry: entry.clone(),
                });
            }
        }
    }
    Ok(())
}

fn trigger_components(document: &Document) -> Result<(), Problem> {
    let http = document
        .http_triggers
        .iter()
        .enumerate()
        .map(|(index, trigger)| ("http", index, &trigger.component));
    let cron = document
        .cron_triggers
        .iter()
        .enumerate()
        .map(|(index, trigger)| ("cron", index, &trigger.component));
    for (kind, index, component) in http.chain(cron) {
        if !document.components.contains_key(component) {
            return Err(Problem::UnknownComponent {
                table: format!("[[trigger.{kind}]] #{}", index + 1),
                component: component.clone(),
            });
        }
    }
    Ok(())
}

fn template(
    document: &Document,
    component: &str,
    location: &str,
    text: &str,
) -> Result<Template, Problem> {
    let template = Template::parse(text).map_err(|error| Problem::Template {
        component: component.to_string(),
        location: location.to_string(),
        error,
    })?;
    if let Some(undeclared) = template
        .variable_names()
        .find(|name| !document.variables.contains_key(*name))
    {
        return Err(Problem::UndeclaredVariable {
            component: component.to_string(),
            location: location.to_string(),
            variable: undeclared.to_string(),
        });
    }
    Ok(template)
}
