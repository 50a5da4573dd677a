//! The runbook (docs/operations.md) names exactly the alert kinds and the dead-letter error
//! codes the code can write: every one has its own entry, and no entry names one that does
//! not exist.
//!
//! The page's convention, which this test parses:
//!
//! - Under the heading `## Alerts`, each alert kind has a `###` heading whose first
//!   backquoted word is the kind: ``### `queue_depth` — too many rows waiting``. Its text
//!   has the parts `**Meaning.**`, `**Threshold.**`, `**Check.**` and `**Do.**`. The
//!   threshold part of a heal kind documents each of its threshold keys (the only place
//!   they are documented) as `` `alert_queue_depth` (default 10000 rows, range 1–100000000) ``:
//!   the key, then in parentheses its default first and its range.
//! - Under the heading `## Dead letters by error code`, each error code has a `###` heading
//!   whose first backquoted word is the code: ``### `mapping_failed` — …``, with the parts
//!   `**Meaning.**`, `**Check.**` and `**Do.**`. PostgreSQL's SQLSTATEs, which reach dead
//!   letters as they are (`23505`, `40P01`, …), share one heading, ``### `<SQLSTATE>` — …``.
//!
//! Where the lists come from:
//!
//! - Alert kinds: heal's are `tds_core::alerts::KINDS` (checked here against what
//!   `evaluate` raises); reconcile's are string constants (`const …_KIND: &str = "…";`) in
//!   `components/reconcile/src/report.rs`, read as text because that component is a wasm
//!   crate this test cannot link. Only those two files may open alerts.
//! - Dead-letter error codes: the two statements that file a dead letter are in
//!   `crates/tds-store` (read as text: tds-store depends on tds-core, not the other way).
//!   Intake's writes its code as an SQL literal (`'invalid_payload'`); the processor's takes
//!   the code as a parameter, and the processor (the only component that files through it)
//!   makes those codes in `components/processor/src` — literals passed to
//!   `Failure::permanent` / `Failure::transient` or set as `code: "…"` — or converts a
//!   database error, whose code (`DbError::code` in `crates/tds-guest/src/db/error.rs`) is
//!   the SQLSTATE or a literal for a failure without one. All of these are read as text.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tds_core::alerts::{
    evaluate, Figure, Measurements, OpenCircuit, Reading, Thresholds, FIGURES, KINDS,
};
use tds_core::config_values::{ConfigKey, DefaultValue, ValueKind};

/// The one heading that stands for every PostgreSQL SQLSTATE.
const SQLSTATE_FAMILY: &str = "<SQLSTATE>";
const RUNBOOK: &str = "docs/operations.md";
const ALERTS_SECTION: &str = "Alerts";
const ERROR_CODES_SECTION: &str = "Dead letters by error code";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(relative: &str) -> String {
    let path = repository().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `relative`, as paths relative to the repository.
fn rust_files(relative: &str) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = repository();
    let mut found = Vec::new();
    walk(&root.join(relative), &mut found);
    let mut files: Vec<String> = found
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    files.sort();
    files
}

// ---------------------------------------------------------------------------------------
// The runbook
// ---------------------------------------------------------------------------------------

/// One `###` entry: the backquoted name in its heading, the heading, and its text.
#[derive(Debug)]
struct Entry {
    name: String,
    heading: String,
    text: String,
}

/// The text of the `## <title>` section of `page` (up to the next `## ` heading).
fn section<'a>(page: &'a str, title: &str) -> &'a str {
    page.split("\n## ")
        .skip(1)
        .find(|s| s.lines().next().is_some_and(|l| l.trim() == title))
        .unwrap_or_else(|| panic!("{RUNBOOK} has no section \"## {title}\""))
}

/// The `###` entries of a section; every one must name something in backquotes.
fn entries(section: &str) -> Vec<Entry> {
    section
        .split("\n### ")
        .skip(1)
        .map(|chunk| {
            let (heading, text) = chunk.split_once('\n').unwrap_or((chunk, ""));
            let name = heading
                .split('`')
                .nth(1)
                .filter(|n| !n.is_empty() && heading.matches('`').count() >= 2)
                .unwrap_or_else(|| {
                    panic!("{RUNBOOK}: \"### {heading}\" names no kind or code in backquotes")
                });
            Entry {
                name: name.to_string(),
                heading: heading.to_string(),
                text: text.to_string(),
            }
        })
        .collect()
}

/// The names of `entries`, each once, with the parts every entry must have.
fn names(entries: &[Entry], parts: &[&str]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for entry in entries {
        for part in parts {
            assert!(
                entry.text.contains(part),
                "{RUNBOOK}: \"### {}\" has no {part} part",
                entry.heading
            );
        }
        assert!(
            names.insert(entry.name.clone()),
            "{RUNBOOK}: {} has two entries",
            entry.name
        );
    }
    names
}

fn runbook_alert_kinds(page: &str) -> BTreeSet<String> {
    names(
        &entries(section(page, ALERTS_SECTION)),
        &["**Meaning.**", "**Threshold.**", "**Check.**", "**Do.**"],
    )
}

fn runbook_error_codes(page: &str) -> BTreeSet<String> {
    names(
        &entries(section(page, ERROR_CODES_SECTION)),
        &["**Meaning.**", "**Check.**", "**Do.**"],
    )
}

// ---------------------------------------------------------------------------------------
// The code
// ---------------------------------------------------------------------------------------

/// The string literal at the start of `text` (after blanks), if it starts with one.
fn leading_literal(text: &str) -> Option<String> {
    let rest = text.trim_start().strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

/// The literal first arguments of every call `<call>(` in `source`.
fn literal_arguments(source: &str, call: &str) -> Vec<String> {
    source
        .match_indices(call)
        .filter_map(|(at, _)| leading_literal(&source[at + call.len()..]))
        .collect()
}

/// The kinds reconcile opens alerts with: its `const …_KIND: &str = "…";` items.
fn reconcile_alert_kinds() -> BTreeSet<String> {
    let source = read("components/reconcile/src/report.rs");
    let kinds: BTreeSet<String> = source
        .lines()
        .filter_map(|line| {
            let (name, value) = line.trim().strip_prefix("const ")?.split_once(": &str =")?;
            name.ends_with("_KIND")
                .then(|| leading_literal(value))
                .flatten()
        })
        .collect();
    assert!(
        !kinds.is_empty(),
        "no `const …_KIND: &str` in components/reconcile/src/report.rs"
    );
    kinds
}

/// The components' `.rs` files whose text contains `call`.
fn components_calling(call: &str) -> Vec<String> {
    rust_files("components")
        .into_iter()
        .filter(|f| read(f).contains(call))
        .collect()
}

fn alert_kinds_in_code() -> BTreeSet<String> {
    // Only heal (tds_core::alerts) and reconcile open alerts; a new opener needs its kinds
    // read here.
    assert_eq!(
        components_calling("open_or_touch"),
        [
            "components/heal/src/alerts.rs",
            "components/reconcile/src/report.rs"
        ],
        "the components that open alerts changed: read the new one's kinds in this test"
    );
    let mut kinds: BTreeSet<String> = KINDS.iter().map(|k| k.name.to_string()).collect();
    kinds.extend(reconcile_alert_kinds());
    kinds
}

/// Splits `text` at commas outside parentheses and quotes, up to the `)` closing the list
/// (`VALUES (…)`) or a top-level `FROM` (`SELECT …, … FROM`).
fn top_level_items(text: &str) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut depth = 0usize;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth == 0 => break,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                items.push(String::new());
                continue;
            }
            _ if !quoted
                && depth == 0
                && c.is_whitespace()
                && text[i..].trim_start().starts_with("FROM ") =>
            {
                break
            }
            _ => {}
        }
        items.last_mut().unwrap().push(c);
    }
    items.into_iter().map(|s| s.trim().to_string()).collect()
}

/// What one `INSERT INTO tds_dead_letters` writes as `error_code`: `Ok(code)` for an SQL
/// literal, `Err(parameter)` for a parameter the caller binds.
fn dead_letter_code(insert: &str) -> Result<String, String> {
    let open = insert.find('(').expect("a column list");
    let close = open + insert[open..].find(')').expect("the column list's end");
    let columns: Vec<&str> = insert[open + 1..close].split(',').map(str::trim).collect();
    let at = columns
        .iter()
        .position(|c| *c == "error_code")
        .unwrap_or_else(|| panic!("no error_code column in {insert:.200}"));
    let rest = &insert[close + 1..];
    let values = match (rest.find("VALUES"), rest.find("SELECT")) {
        (Some(v), s) if s.is_none_or(|s| v < s) => {
            let list = &rest[v..];
            &list[list.find('(').expect("VALUES (") + 1..]
        }
        (_, Some(s)) => &rest[s + "SELECT".len()..],
        _ => panic!("neither VALUES nor SELECT after {insert:.200}"),
    };
    let items = top_level_items(values);
    assert_eq!(
        items.len(),
        columns.len(),
        "columns {columns:?} and values {items:?} differ in number"
    );
    let value = &items[at];
    if let Some(literal) = value.strip_prefix('\'') {
        Ok(literal[..literal.find('\'').unwrap()].to_string())
    } else if value.starts_with('$') {
        Err(value.clone())
    } else {
        panic!("error_code is neither a literal nor a parameter: {value}")
    }
}

/// The codes the processor files dead letters with, besides database errors' codes.
fn processor_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for file in rust_files("components/processor/src") {
        let source = read(&file);
        for call in ["Failure::permanent(", "Failure::transient(", "code: "] {
            codes.extend(literal_arguments(&source, call));
        }
    }
    assert!(
        !codes.is_empty(),
        "no failure codes found in components/processor/src"
    );
    let apply = read("components/processor/src/apply.rs");
    assert!(
        apply.contains("code: e.code().to_string()"),
        "the processor no longer takes a database error's code from DbError::code: read its codes here"
    );
    codes
}

/// `DbError::code`'s literals (the code of a failure without a SQLSTATE), after checking
/// that it otherwise answers the SQLSTATE.
fn database_error_codes() -> BTreeSet<String> {
    let source = read("crates/tds-guest/src/db/error.rs");
    let start = source
        .find("pub fn code(&self)")
        .expect("DbError::code in crates/tds-guest/src/db/error.rs");
    let body = &source[start..start + source[start..].find("\n    }").expect("its end")];
    assert!(
        body.contains("self.sqlstate()"),
        "DbError::code no longer answers the SQLSTATE: {body}"
    );
    let codes: BTreeSet<String> = body
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    assert!(!codes.is_empty(), "DbError::code has no literal: {body}");
    codes
}

fn error_codes_in_code() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let mut parameterised = Vec::new();
    for file in rust_files("crates/tds-store/src") {
        let source = read(&file);
        for (at, _) in source.match_indices("INSERT INTO tds_dead_letters") {
            match dead_letter_code(&source[at..]) {
                Ok(code) => {
                    codes.insert(code);
                }
                Err(parameter) => parameterised.push(format!("{file} ({parameter})")),
            }
        }
    }
    assert!(
        !codes.is_empty(),
        "no dead letter with a literal error code in crates/tds-store"
    );
    // The one statement taking its code as a parameter is the processor's
    // (`queue::DEAD_LETTER`, filed through `tds_guest::queue::dead_letter`), and only the
    // processor calls that.
    assert_eq!(
        parameterised,
        ["crates/tds-store/src/queue.rs ($error_code::text)"],
        "the statements filing dead letters with a caller's code changed: read their callers' codes here"
    );
    assert_eq!(
        components_calling("queue::dead_letter("),
        ["components/processor/src/outcome.rs"],
        "the components filing dead letters changed: read their codes here"
    );
    codes.extend(processor_codes());
    codes.extend(database_error_codes());
    codes.insert(SQLSTATE_FAMILY.to_string());
    codes
}

/// `documented` holds exactly `in_code`, or the message says what differs.
fn same(what: &str, in_code: &BTreeSet<String>, documented: &BTreeSet<String>) {
    let missing: Vec<&String> = in_code.difference(documented).collect();
    let unknown: Vec<&String> = documented.difference(in_code).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "{RUNBOOK}: {what} the code has but the runbook does not: {missing:?}; \
         named in the runbook but not in the code: {unknown:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn the_runbook_has_an_entry_for_every_alert_kind_and_no_other() {
    let page = read(RUNBOOK);
    same(
        "alert kinds",
        &alert_kinds_in_code(),
        &runbook_alert_kinds(&page),
    );
}

#[test]
fn the_runbook_has_an_entry_for_every_dead_letter_error_code_and_no_other() {
    let page = read(RUNBOOK);
    same(
        "dead-letter error codes",
        &error_codes_in_code(),
        &runbook_error_codes(&page),
    );
}

#[test]
fn heal_raises_exactly_the_kinds_listed_in_tds_core() {
    let mut everything =
        FIGURES
            .into_iter()
            .fold(Measurements::default(), |m, figure| match figure {
                Figure::Count(column) => m.with(column, Reading::Count(1_000_000_000)),
                Figure::Seconds(column) => m.with(column, Reading::Seconds(1e12)),
            });
    everything.open_circuits.push(OpenCircuit {
        name: "lane:sales".into(),
        state: "open".into(),
        consecutive_failures: 5,
        last_error: None,
    });
    let raised: BTreeSet<&str> = evaluate(&everything, &Thresholds::default())
        .iter()
        .map(|f| f.kind)
        .collect();
    assert_eq!(
        raised,
        KINDS.iter().map(|k| k.name).collect::<BTreeSet<_>>()
    );
}

/// The default as the runbook writes it: `10000`, `0.2`.
fn default_text(key: &ConfigKey) -> String {
    match key.default {
        DefaultValue::Integer(n) => n.to_string(),
        DefaultValue::Number(n) => n.to_string(),
        DefaultValue::Text(t) => t.to_string(),
    }
}

/// What is wrong with how `text` (a kind's runbook entry) documents `key`, if anything:
/// `` `key` (default <default>…, range <min>–<max>…)``.
fn threshold_documentation_error(text: &str, key: &ConfigKey) -> Option<String> {
    let threshold = text
        .split("**Threshold.**")
        .nth(1)
        .map(|rest| rest.split("**Check.**").next().unwrap_or(rest))
        .unwrap_or_default();
    let opening = format!("`{}` (", key.key);
    let Some(at) = threshold.find(&opening) else {
        return Some(format!("its **Threshold.** part does not name {opening}…)"));
    };
    let inside = &threshold[at + opening.len()..];
    let inside = &inside[..inside.find(')').unwrap_or(inside.len())];
    let default = format!("default {}", default_text(key));
    let range = match key.kind {
        ValueKind::Integer { min, max } => format!("range {min}–{max}"),
        ValueKind::Number { min, max } => format!("range {min}–{max}"),
        ValueKind::ModuleList => return Some("a module list is no alert threshold".into()),
    };
    let starts_with_default = inside
        .strip_prefix(&default)
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit() || c == '.'));
    (!starts_with_default || !inside.contains(&range)).then(|| {
        format!(
            "{} should read ({default}…, {range}…), not ({inside})",
            key.key
        )
    })
}

#[test]
fn the_runbook_documents_every_alert_threshold_with_its_default_and_range() {
    let page = read(RUNBOOK);
    let entries = entries(section(&page, ALERTS_SECTION));
    for kind in &KINDS {
        let entry = entries
            .iter()
            .find(|e| e.name == kind.name)
            .unwrap_or_else(|| panic!("{RUNBOOK} has no entry for {}", kind.name));
        for key in kind.thresholds {
            if let Some(error) = threshold_documentation_error(&entry.text, key) {
                panic!("{RUNBOOK}, \"### {}\": {error}", entry.heading);
            }
        }
    }
}

#[test]
fn a_threshold_documented_with_another_default_or_range_is_refused() {
    let key = &ConfigKey {
        key: "alert_queue_depth",
        kind: ValueKind::Integer {
            min: 1,
            max: 100_000_000,
        },
        default: DefaultValue::Integer(10_000),
        description: "Alert when more rows than this wait in the queue.",
    };
    let entry = |threshold: &str| {
        format!("- **Meaning.** m\n- **Threshold.** {threshold}\n- **Check.** `alert_queue_depth` (default 1)\n")
    };
    let good = entry("`alert_queue_depth` (default 10000 rows, range 1–100000000).");
    assert_eq!(threshold_documentation_error(&good, key), None);
    for bad in [
        "`alert_queue_depth` (default 100000 rows, range 1–100000000).",
        "`alert_queue_depth` (default 1000 rows, range 1–100000000).",
        "`alert_queue_depth` (default 10000 rows).",
        "`alert_queue_depth` (range 1–100000000, default 10000).",
        "`alert_queue_depth`, default 10000, range 1–100000000.",
    ] {
        assert!(
            threshold_documentation_error(&entry(bad), key).is_some(),
            "{bad}"
        );
    }
}

#[test]
fn the_page_parser_reads_entries_and_refuses_a_missing_one() {
    let page = "# Runbook\n\n## Alerts\n\nIntro.\n\n### `queue_depth` — deep\n\n- **Meaning.** m\n- **Threshold.** t\n- **Check.** c\n- **Do.** d\n\n## Dead letters by error code\n\n### `<SQLSTATE>` — PostgreSQL\n\n- **Meaning.** m\n- **Check.** c\n- **Do.** d\n\n## Other\n\n### `not_a_code`\n";
    assert_eq!(
        runbook_alert_kinds(page),
        BTreeSet::from(["queue_depth".to_string()])
    );
    assert_eq!(
        runbook_error_codes(page),
        BTreeSet::from([SQLSTATE_FAMILY.to_string()])
    );
    let in_code = BTreeSet::from(["queue_depth".to_string(), "failure_rate".to_string()]);
    let removed =
        std::panic::catch_unwind(|| same("alert kinds", &in_code, &runbook_alert_kinds(page)));
    assert!(
        removed.is_err(),
        "a kind missing from the runbook must fail"
    );
    let without_do = page.replace("- **Do.** d\n\n## Dead", "\n## Dead");
    assert!(std::panic::catch_unwind(|| runbook_alert_kinds(&without_do)).is_err());
}

#[test]
fn the_sql_reader_finds_literal_and_parameter_codes() {
    let literal = "INSERT INTO tds_dead_letters (inbox_event_id, reason, error_code, error_class)\nVALUES ($1::bigint, $2::text, 'invalid_payload', 'invalid')\nRETURNING id";
    assert_eq!(dead_letter_code(literal), Ok("invalid_payload".to_string()));
    let selected = "INSERT INTO tds_dead_letters (queue_id, reason, error_code, attempts)\nSELECT m.id, $3::text, $4::text,\n    (SELECT coalesce(jsonb_agg(jsonb_build_object('a', l.attempt)), '[]'::jsonb) FROM tds_sync_log l)\nFROM moved m\nRETURNING id";
    assert_eq!(dead_letter_code(selected), Err("$4::text".to_string()));
}
