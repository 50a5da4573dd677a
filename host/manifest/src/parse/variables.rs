//! `[variables.<name>]`.

use std::collections::BTreeMap;

use toml::{Table, Value};

use crate::error::Problem;
use crate::model::VariableDecl;
use crate::names::check_variable_name;
use crate::table::TableReader;

/// Reads every application variable; each needs exactly one of `default` and
/// `required = true`.
pub(crate) fn variables(table: &Table) -> Result<BTreeMap<String, VariableDecl>, Problem> {
    table
        .iter()
        .map(|(name, value)| {
            check_variable_name(name).map_err(|reason| Problem::InvalidVariableName {
                table: "[variables]".to_string(),
                name: name.clone(),
                reason,
            })?;
            let Value::Table(entry) = value else {
                return Err(Problem::WrongType {
                    table: "[variables]".to_string(),
                    key: name.clone(),
                    expected: "a table ([variables.<name>] with default or required)",
                });
            };
            Ok((name.clone(), variable(name, entry)?))
        })
        .collect()
}

fn variable(name: &str, table: &Table) -> Result<VariableDecl, Problem> {
    let reader = TableReader::new(
        table,
        format!("[variables.{name}]"),
        &["description", "default", "required", "secret"],
    )?;
    let declaration = VariableDecl {
        description: reader.optional_string("description")?,
        default: reader.optional_string("default")?,
        required: reader.flag("required")?,
        secret: reader.flag("secret")?,
    };
    match (declaration.required, declaration.default.is_some()) {
        (true, true) => Err(Problem::RequiredWithDefault {
            name: name.to_string(),
        }),
        (false, false) => Err(Problem::NoDefaultNotRequired {
            name: name.to_string(),
        }),
        _ => Ok(declaration),
    }
}
