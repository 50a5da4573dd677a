//! Helpers for the mappers' tests: Zoho's example documents (copied verbatim from
//! `/work/shared/zoho-examples` into `testdata/`) and column values by name.

use serde_json::{Map, Value};

use crate::{Column, MappedRow};

/// An example document.
pub fn example(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).expect("an example document is a JSON object")
}

/// The value of column `name` in `row`, mapped with `columns`.
pub fn column(columns: &[Column], row: &MappedRow, name: &str) -> Option<String> {
    let i = columns
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    row.0[i].clone()
}

/// Asserts that each named column of `row` holds the expected value.
pub fn assert_columns(columns: &[Column], row: &MappedRow, expected: &[(&str, Option<&str>)]) {
    assert_eq!(row.0.len(), columns.len());
    for (name, value) in expected {
        assert_eq!(
            column(columns, row, name).as_deref(),
            *value,
            "column {name}"
        );
    }
}
