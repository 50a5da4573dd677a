//! The configuration registry (`tds_core::config_values::KEYS`) is the one source of the
//! `tds_config` keys: the migrations seed only registry keys, each with its default, and the
//! table in docs/configuration.md lists every registry key with its default and range.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tds_core::config_values::{
    key, validate_value, ConfigKey, DefaultValue, ValueKind, KEYS, RETIRED,
};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The default as docs/configuration.md and the migrations write it: `1000`, `0.2`,
/// `items,bills`.
fn default_text(k: &ConfigKey) -> String {
    match k.default {
        DefaultValue::Integer(n) => n.to_string(),
        DefaultValue::Number(n) => n.to_string(),
        DefaultValue::Text(t) => t.to_string(),
    }
}

/// One seed row: `(key, value, description)` of an `INSERT INTO tds_config`.
#[derive(Debug)]
struct Seed {
    file: String,
    key: String,
    value: String,
    description: String,
}

/// The SQL string literals of each parenthesised row of `values`, the text after `VALUES` up
/// to the end of the statement (`;`) or its `ON CONFLICT` clause.
fn value_rows(values: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row: Option<Vec<String>> = None;
    let mut chars = values.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => {
                let mut literal = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\'')) if chars.peek().map(|(_, c)| *c) == Some('\'') => {
                            chars.next();
                            literal.push('\'');
                        }
                        Some((_, '\'')) => break,
                        Some((_, c)) => literal.push(c),
                        None => panic!("unterminated literal in {values}"),
                    }
                }
                row.as_mut()
                    .expect("a literal inside a row of VALUES")
                    .push(literal);
            }
            '(' => {
                assert!(row.is_none(), "nested parentheses in VALUES: {values}");
                row = Some(Vec::new());
            }
            ')' => rows.push(row.take().expect("a row of VALUES")),
            ';' => break,
            _ if row.is_none() && values[i..].to_ascii_uppercase().starts_with("ON CONFLICT") => {
                break
            }
            _ => {}
        }
    }
    rows
}

/// A migration's version: `V12__pull_listing.sql` → 12.
fn version(file: &str) -> u32 {
    file.strip_prefix('V')
        .and_then(|rest| rest.split("__").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{file}: not a migration's name (V<n>__<name>.sql)"))
}

/// The key a `DELETE FROM tds_config WHERE key = '<key>'` statement names, if it is one.
fn deleted_key(statement: &str) -> Option<&str> {
    let rest = statement.strip_prefix("tds_config")?.trim_start();
    let rest = rest.strip_prefix("WHERE key = '")?;
    let end = rest.find('\'')?;
    rest[end + 1..]
        .trim_start()
        .starts_with(';')
        .then(|| &rest[..end])
}

/// Every seed row of every migration, checking that no migration updates `tds_config` rows
/// (that would change a seed this test does not read) and that a migration deletes only
/// the row of a key [`RETIRED`] names with that migration.
fn seeds() -> Vec<Seed> {
    let dir = repository().join("migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no migrations in {}", dir.display());
    let mut seeds = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let sql = std::fs::read_to_string(&path).unwrap();
        let upper = sql.to_ascii_uppercase();
        for (at, _) in upper.match_indices("TDS_CONFIG") {
            let before = upper[..at].trim_end();
            assert!(
                !before.ends_with("UPDATE"),
                "{file}: a migration changes tds_config's seeds; hold them to the registry here"
            );
            if before.ends_with("DELETE FROM") {
                let retired =
                    deleted_key(&sql[at..]).filter(|k| RETIRED.contains(&(*k, file.as_str())));
                assert!(
                    retired.is_some(),
                    "{file}: a migration deletes a tds_config row of a key RETIRED does not name with it"
                );
                continue;
            }
            if !before.ends_with("INSERT INTO") {
                continue;
            }
            let statement = &sql[at..];
            let values = statement
                .to_ascii_uppercase()
                .find("VALUES")
                .unwrap_or_else(|| panic!("{file}: an INSERT INTO tds_config without VALUES"));
            let columns: String = statement["tds_config".len()..values]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            assert_eq!(columns, "(key,value,description)", "{file}");
            for row in value_rows(&statement[values + "VALUES".len()..]) {
                let [key, value, description] = <[String; 3]>::try_from(row.clone())
                    .unwrap_or_else(|_| panic!("{file}: a seed row of three literals: {row:?}"));
                seeds.push(Seed {
                    file: file.clone(),
                    key,
                    value,
                    description,
                });
            }
        }
    }
    seeds
}

#[test]
fn the_seed_parser_reads_literals_rows_and_stops_at_the_conflict_clause() {
    let rows = value_rows(
        " ('a', '1', 'it''s'),\n ('b', '\"x,y\"', '(c)') ON CONFLICT (key) DO NOTHING; ('z')",
    );
    assert_eq!(
        rows,
        [
            vec!["a".to_string(), "1".into(), "it's".into()],
            vec!["b".into(), "\"x,y\"".into(), "(c)".into()],
        ]
    );
}

#[test]
fn migrations_seed_registry_keys_with_their_defaults() {
    let seeds = seeds();
    assert!(
        !seeds.is_empty(),
        "no INSERT INTO tds_config in migrations/"
    );
    let mut seen = BTreeMap::new();
    for seed in &seeds {
        let at = format!("{} seeds {}", seed.file, seed.key);
        if let Some((_, retired_by)) = RETIRED.iter().find(|(k, _)| *k == seed.key) {
            assert!(
                key(&seed.key).is_none(),
                "{at}: retired, yet in the registry"
            );
            assert!(
                version(&seed.file) < version(retired_by),
                "{at}: seeded after {retired_by} retired it"
            );
            continue;
        }
        let spec = key(&seed.key)
            .unwrap_or_else(|| panic!("{at}: not a registry key (tds_core::config_values::KEYS)"));
        if let Some(first) = seen.insert(seed.key.as_str(), seed.file.as_str()) {
            panic!("{at}: seeded before, by {first}");
        }
        let value: Value = serde_json::from_str(&seed.value)
            .unwrap_or_else(|e| panic!("{at}: {:?} is not JSON: {e}", seed.value));
        let stored = validate_value(spec.key, &value)
            .unwrap_or_else(|e| panic!("{at}: a value the registry refuses: {e}"));
        let default = validate_value(spec.key, &spec.default.to_json()).unwrap();
        let same = match (stored.as_f64(), default.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => stored == default,
        };
        assert!(same, "{at} = {stored}, the registry's default is {default}");
        assert!(!seed.description.trim().is_empty(), "{at}: no description");
    }
}

/// The page that documents the `tds_config` keys.
const CONFIGURATION_PAGE: &str = "docs/configuration.md";

/// The rows of docs/configuration.md's table of `tds_config` keys: the first table after the
/// heading `## Runtime configuration`, as cells.
fn documented_rows() -> Vec<Vec<String>> {
    let path = repository().join(CONFIGURATION_PAGE);
    let page = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let section = page
        .split("\n## ")
        .find(|s| s.starts_with("Runtime configuration"))
        .expect("docs/configuration.md has a section \"## Runtime configuration\"");
    let mut lines = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'));
    let header = lines
        .next()
        .expect("a table in docs/configuration.md's Runtime configuration");
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_string())
            .collect()
    };
    assert_eq!(cells(header), ["key", "default", "range", "meaning"]);
    assert!(lines.next().is_some_and(|l| l.starts_with("|---")));
    lines.map(cells).collect()
}

#[test]
fn the_documented_table_lists_every_registry_key_with_its_default_and_range() {
    let rows = documented_rows();
    let mut listed = BTreeMap::new();
    for row in &rows {
        assert_eq!(row.len(), 4, "{row:?}");
        let name = row[0].trim_matches('`');
        let spec = key(name).unwrap_or_else(|| {
            panic!("{CONFIGURATION_PAGE} lists {name}, not a registry key (tds_core::config_values::KEYS)")
        });
        assert!(
            listed.insert(name, ()).is_none(),
            "{CONFIGURATION_PAGE} lists {name} twice"
        );
        assert_eq!(
            row[1].trim_matches('`'),
            default_text(spec),
            "{CONFIGURATION_PAGE}'s default of {name}"
        );
        match spec.kind {
            ValueKind::Integer { min, max } => {
                assert_eq!(
                    row[2],
                    format!("{min}–{max}"),
                    "{CONFIGURATION_PAGE}'s range of {name}"
                )
            }
            ValueKind::Number { min, max } => assert!(
                row[2].starts_with(&format!("{min}–{max}")),
                "{CONFIGURATION_PAGE}'s range of {name}: {}",
                row[2]
            ),
            ValueKind::ModuleList => {}
        }
        assert!(
            !row[3].is_empty(),
            "{CONFIGURATION_PAGE}'s meaning of {name}"
        );
    }
    let missing: Vec<&str> = KEYS
        .iter()
        .map(|k| k.key)
        .filter(|k| !listed.contains_key(k))
        .collect();
    assert!(
        missing.is_empty(),
        "{CONFIGURATION_PAGE} does not list {missing:?}"
    );
}
