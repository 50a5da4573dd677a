//! Typed reads from one TOML table, with errors that name the table and key.

use std::collections::BTreeMap;

use toml::{Table, Value};

use crate::error::Problem;

/// One TOML table whose keys have been checked against an allow-list.
pub(crate) struct TableReader<'a> {
    table: &'a Table,
    name: String,
}

impl<'a> TableReader<'a> {
    /// Accepts `table` (called `name` in errors) if every key is in `allowed`.
    pub(crate) fn new(
        table: &'a Table,
        name: impl Into<String>,
        allowed: &[&str],
    ) -> Result<Self, Problem> {
        let name = name.into();
        if let Some(key) = table.keys().find(|key| !allowed.contains(&key.as_str())) {
            return Err(Problem::UnknownKey {
                table: name,
                key: key.clone(),
                allowed: allowed.join(", "),
            });
        }
        Ok(Self { table, name })
    }

    /// The table's name as used in errors.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The raw value of `key`, if present.
    pub(crate) fn value(&self, key: &str) -> Option<&'a Value> {
        self.table.get(key)
    }

    pub(crate) fn wrong_type(&self, key: &str, expected: &'static str) -> Problem {
        Problem::WrongType {
            table: self.name.clone(),
            key: key.to_string(),
            expected,
        }
    }

    pub(crate) fn missing(&self, key: &str) -> Problem {
        Problem::MissingKey {
            table: self.name.clone(),
            key: key.to_string(),
        }
    }

    /// A string that must be present.
    pub(crate) fn required_string(&self, key: &str) -> Result<String, Problem> {
        self.optional_string(key)?.ok_or_else(|| self.missing(key))
    }

    /// A string that may be absent.
    pub(crate) fn optional_string(&self, key: &str) -> Result<Option<String>, Problem> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(self.wrong_type(key, "a string")),
        }
    }

    /// A boolean, `false` when absent.
    pub(crate) fn flag(&self, key: &str) -> Result<bool, Problem> {
        match self.value(key) {
            None => Ok(false),
            Some(Value::Boolean(flag)) => Ok(*flag),
            Some(_) => Err(self.wrong_type(key, "true or false")),
        }
    }

    /// An array of strings, empty when absent.
    pub(crate) fn string_list(&self, key: &str) -> Result<Vec<String>, Problem> {
        match self.value(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| self.wrong_type(key, "an array of strings")),
            Some(_) => Err(self.wrong_type(key, "an array of strings")),
        }
    }

    /// A table of string values, empty when absent.
    pub(crate) fn string_map(&self, key: &str) -> Result<BTreeMap<String, String>, Problem> {
        let Some(table) = self.optional_table(key)? else {
            return Ok(BTreeMap::new());
        };
        table
            .iter()
            .map(|(name, value)| match value {
                Value::String(text) => Ok((name.clone(), text.clone())),
                _ => Err(Problem::WrongType {
                    table: self.name.clone(),
                    key: format!("{key}.{name}"),
                    expected: "a string",
                }),
            })
            .collect()
    }

    /// A sub-table that may be absent.
    pub(crate) fn optional_table(&self, key: &str) -> Result<Option<&'a Table>, Problem> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Table(table)) => Ok(Some(table)),
            Some(_) => Err(self.wrong_type(key, "a table")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        text.parse().unwrap()
    }

    #[test]
    fn unknown_key_names_table_key_and_allowed_keys() {
        let table = table("a = 1\nz = 2");
        let error = TableReader::new(&table, "[x]", &["a", "b"]).err().unwrap();
        assert_eq!(
            error.to_string(),
            "unknown key `z` in [x]; allowed keys are: a, b"
        );
    }

    #[test]
    fn typed_reads_report_the_expected_type() {
        let table = table("s = 1\nl = [\"a\", 2]\nm = { k = true }");
        let reader = TableReader::new(&table, "[x]", &["s", "l", "m"]).unwrap();
        assert_eq!(
            reader.optional_string("s").unwrap_err().to_string(),
            "`s` in [x] must be a string"
        );
        assert_eq!(
            reader.string_list("l").unwrap_err().to_string(),
            "`l` in [x] must be an array of strings"
        );
        assert_eq!(
            reader.string_map("m").unwrap_err().to_string(),
            "`m.k` in [x] must be a string"
        );
        assert_eq!(
            reader.required_string("t").unwrap_err().to_string(),
            "missing key `t` in [x]"
        );
    }
}
