//! The configuration registry (`tds_core::config_values::KEYS`) is the one source of the
//! `tds_config` keys: the migrations seed only registry keys, and leave each at its default
//! where no operator set it (a changed default is moved by a migration calling
//! `tds_config_new_default`); the table in docs/configuration.md lists every registry key
//! with its default and range, except the alert thresholds, which the runbook documents with
//! their alerts (`tests/runbook.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tds_core::alerts::THRESHOLD_KEYS;
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

/// The migration that defines how a default evolves: the `set_by_operator` column and
/// `tds_config_new_default`. It is the only one that may update `tds_config` rows itself.
const DEFAULTS_MIGRATION: &str = "V15__config_defaults.sql";

/// The call a migration moves a key's default with: `tds_config_new_default('<key>',
/// '<old default>', '<new default>')`.
const NEW_DEFAULT_CALL: &str = "tds_config_new_default(";

/// A key's row as the migrations leave it where no operator set the key, which is also how a
/// new database holds it.
#[derive(Debug)]
struct Seeded {
    /// The migration that seeded it.
    file: String,
    /// Its value (JSON text), and the migration that wrote it (the seed's, or the last
    /// that moved its default).
    value: String,
    written_by: String,
    description: String,
}

/// The SQL string literals of `text` up to the first `)` or `;` outside them: the
/// arguments of a call.
fn call_literals(text: &str) -> Vec<String> {
    let mut literals = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let mut literal = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            literal.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => literal.push(c),
                        None => panic!("unterminated literal in {text}"),
                    }
                }
                literals.push(literal);
            }
            ')' | ';' => break,
            _ => {}
        }
    }
    literals
}

/// Whether two JSON texts hold the same value for `key`, as the registry normalises it.
fn same_value(key: &str, a: &str, b: &str) -> bool {
    let normal = |text: &str| {
        serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| validate_value(key, &v).ok())
    };
    match (normal(a), normal(b)) {
        (Some(a), Some(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
        _ => false,
    }
}

/// The `tds_config` rows `migrations` (file name and SQL, in any order) leave where no
/// operator set a key: each seed (`INSERT INTO tds_config (key, value, description)`),
/// moved by every later `tds_config_new_default` call of its key. Checks the rules that make
/// this what both a new database and an old one hold: a seed is a registry key seeded once,
/// with a value and a description the registry accepts; a call names a key seeded before
/// and, as its old default, the value that key holds then; only [`DEFAULTS_MIGRATION`]
/// updates `tds_config` rows itself; and a migration deletes only the row of a key
/// [`RETIRED`] names with that migration.
fn seeded(migrations: &[(&str, &str)]) -> BTreeMap<String, Seeded> {
    let mut ordered = migrations.to_vec();
    ordered.sort_by_key(|(file, _)| version(file));
    let mut rows: BTreeMap<String, Seeded> = BTreeMap::new();
    for (file, sql) in ordered {
        // Whole-line comments may describe statements; they are not statements.
        let sql: String = sql
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .map(|l| format!("{l}\n"))
            .collect();
        let upper = sql.to_ascii_uppercase();
        for (at, _) in upper.match_indices("TDS_CONFIG") {
            let before = upper[..at].trim_end();
            let statement = &sql[at..];
            if let Some(arguments) = statement.strip_prefix(NEW_DEFAULT_CALL) {
                if file == DEFAULTS_MIGRATION {
                    continue;
                }
                let [key, old, new] = <[String; 3]>::try_from(call_literals(arguments))
                    .unwrap_or_else(|args| {
                        panic!("{file}: {NEW_DEFAULT_CALL}…) takes three literals, not {args:?}")
                    });
                let row = rows.get_mut(&key).unwrap_or_else(|| {
                    panic!("{file} moves the default of {key}, which no earlier migration seeds")
                });
                assert!(
                    same_value(&key, &old, &row.value),
                    "{file} moves {key} from {old}, but a database where no operator set it holds {} ({}): name the default it had until then",
                    row.value,
                    row.written_by
                );
                validate_value(
                    &key,
                    &serde_json::from_str(&new)
                        .unwrap_or_else(|e| panic!("{file}: {new:?} is not JSON: {e}")),
                )
                .unwrap_or_else(|e| {
                    panic!("{file}: {key}'s new default is refused by the registry: {e}")
                });
                row.value = new;
                row.written_by = file.to_string();
                continue;
            }
            if before.ends_with("UPDATE") {
                assert_eq!(
                    file, DEFAULTS_MIGRATION,
                    "{file} updates tds_config rows: change a default through {NEW_DEFAULT_CALL}…), which keeps the values operators set"
                );
                continue;
            }
            if before.ends_with("DELETE FROM") {
                let retired = deleted_key(statement).filter(|k| RETIRED.contains(&(*k, file)));
                assert!(
                    retired.is_some(),
                    "{file}: a migration deletes a tds_config row of a key RETIRED does not name with it"
                );
                continue;
            }
            if !before.ends_with("INSERT INTO") {
                continue;
            }
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
                let [name, value, description] = <[String; 3]>::try_from(row.clone())
                    .unwrap_or_else(|_| panic!("{file}: a seed row of three literals: {row:?}"));
                let at = format!("{file} seeds {name}");
                if let Some((_, retired_by)) = RETIRED.iter().find(|(k, _)| *k == name) {
                    assert!(key(&name).is_none(), "{at}: retired, yet in the registry");
                    assert!(
                        version(file) < version(retired_by),
                        "{at}: seeded after {retired_by} retired it"
                    );
                    continue;
                }
                let spec = key_spec(&name, &at);
                let parsed: Value = serde_json::from_str(&value)
                    .unwrap_or_else(|e| panic!("{at}: {value:?} is not JSON: {e}"));
                validate_value(spec.key, &parsed)
                    .unwrap_or_else(|e| panic!("{at}: a value the registry refuses: {e}"));
                assert!(!description.trim().is_empty(), "{at}: no description");
                if let Some(first) = rows.get(&name) {
                    panic!("{at}: seeded before, by {}", first.file);
                }
                rows.insert(
                    name,
                    Seeded {
                        file: file.to_string(),
                        value,
                        written_by: file.to_string(),
                        description,
                    },
                );
            }
        }
    }
    rows
}

/// The registry entry of `name`, which `at` names.
fn key_spec(name: &str, at: &str) -> &'static ConfigKey {
    key(name).unwrap_or_else(|| panic!("{at}: not a registry key (tds_core::config_values::KEYS)"))
}

/// Every migration of `migrations/`: file name and SQL.
fn migration_files() -> Vec<(String, String)> {
    let dir = repository().join("migrations");
    let files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .map(|p| {
            let sql = std::fs::read_to_string(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().to_string(), sql)
        })
        .collect();
    assert!(!files.is_empty(), "no migrations in {}", dir.display());
    assert!(
        files.iter().any(|(file, _)| file == DEFAULTS_MIGRATION),
        "{DEFAULTS_MIGRATION} is not in {}",
        dir.display()
    );
    files
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

/// What a new database holds, and an old one where no operator set the key, is the
/// registry's default: a changed default needs a migration that moves it.
#[test]
fn the_migrations_leave_every_seeded_key_at_its_registry_default() {
    let files = migration_files();
    let migrations: Vec<(&str, &str)> = files
        .iter()
        .map(|(f, s)| (f.as_str(), s.as_str()))
        .collect();
    let rows = seeded(&migrations);
    assert!(!rows.is_empty(), "no INSERT INTO tds_config in migrations/");
    for (name, row) in &rows {
        let spec = key_spec(name, &row.file);
        let default = spec.default.to_json().to_string();
        assert!(
            same_value(name, &row.value, &default),
            "{name} = {} after the migrations ({}), but the registry's default is {default}: \
             seed the default, and move a changed one in a new migration calling \
             {NEW_DEFAULT_CALL}'{name}', '<old>', '<new>')",
            row.value,
            row.written_by
        );
    }
}

/// A changed default: the seed's migration, then one moving the default.
const SEED: (&str, &str) = (
    "V1__init.sql",
    "INSERT INTO tds_config (key, value, description) VALUES\n    ('heal_reclaim_limit', '400', 'Heal: the most expired leases.'),\n    ('retention_log_days', '90', 'Retention: -- not a comment.');",
);

#[test]
fn a_migration_moving_a_default_gives_the_value_new_and_untouched_databases_hold() {
    let moved = seeded(&[
        ("V20__more.sql", "-- SELECT tds_config_new_default('heal_reclaim_limit', '1', '2');\nSELECT tds_config_new_default('heal_reclaim_limit', '400', '500');\nSELECT tds_config_new_default('heal_reclaim_limit', '500.0', '600');"),
        SEED,
        (DEFAULTS_MIGRATION, "UPDATE tds_config SET set_by_operator = true WHERE updated_by IS NOT NULL;"),
    ]);
    let row = &moved["heal_reclaim_limit"];
    assert_eq!(
        (
            row.value.as_str(),
            row.written_by.as_str(),
            row.file.as_str()
        ),
        ("600", "V20__more.sql", "V1__init.sql")
    );
    assert_eq!(moved["retention_log_days"].value, "90");
    assert_eq!(
        moved["retention_log_days"].description,
        "Retention: -- not a comment."
    );
}

#[test]
fn a_default_moved_from_another_value_by_hand_or_before_its_seed_is_refused() {
    let refused = |later: &'static str| {
        std::panic::catch_unwind(|| seeded(&[SEED, ("V20__more.sql", later)]))
            .err()
            .and_then(|e| e.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| panic!("accepted: {later}"))
    };
    let message = refused("SELECT tds_config_new_default('heal_reclaim_limit', '300', '500');");
    assert!(
        message.contains("name the default it had until then"),
        "{message}"
    );
    let message = refused("UPDATE tds_config SET value = '500' WHERE key = 'heal_reclaim_limit';");
    assert!(
        message.contains("keeps the values operators set"),
        "{message}"
    );
    let message = refused("SELECT tds_config_new_default('backoff_cap_ms', '300000', '9000');");
    assert!(
        message.contains("which no earlier migration seeds"),
        "{message}"
    );
    let message = refused("SELECT tds_config_new_default('heal_reclaim_limit', '400', '0');");
    assert!(message.contains("refused by the registry"), "{message}");
}

/// Whether `name` is an alert threshold, declared with its alert kind and documented with
/// it in the runbook instead of the configuration page.
fn is_alert_threshold(name: &str) -> bool {
    THRESHOLD_KEYS.iter().any(|k| k.key == name)
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
            !is_alert_threshold(name),
            "{CONFIGURATION_PAGE} lists {name}, an alert threshold: those are documented with their alerts in the runbook (tests/runbook.rs)"
        );
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
        .filter(|k| !listed.contains_key(k) && !is_alert_threshold(k))
        .collect();
    assert!(
        missing.is_empty(),
        "{CONFIGURATION_PAGE} does not list {missing:?}"
    );
}
