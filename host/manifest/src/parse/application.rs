//! `[application]`.

use toml::Table;

use crate::error::Problem;
use crate::model::Application;
use crate::table::TableReader;

/// Reads `[application]`. `trigger`, `tool` and `targets` are accepted and
/// dropped: Spin's runtime does not use them to run the application either.
pub(crate) fn application(table: &Table) -> Result<Application, Problem> {
    let reader = TableReader::new(
        table,
        "[application]",
        &[
            "name",
            "version",
            "description",
            "authors",
            "targets",
            "trigger",
            "tool",
        ],
    )?;
    for ignored_table in ["trigger", "tool"] {
        reader.optional_table(ignored_table)?;
    }
    Ok(Application {
        name: reader.required_string("name")?,
        version: reader.optional_string("version")?,
        description: reader.optional_string("description")?,
        authors: reader.string_list("authors")?,
    })
}
