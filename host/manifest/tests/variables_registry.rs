//! The registry of Spin variables (`tds_core::variables::ALL`) is the one source of the
//! variables: spin.toml and the checked-in spin.http-only.toml declare in `[variables]`
//! exactly the registry's application variables, each with its default, `required` and
//! `secret`; a wake profile `tds profile` derives differs only where the profile code sets
//! a variable (`wake`'s default, `app_origin` required), with a value the registry accepts;
//! every component variable is a registry variable (an application one passed as
//! `"{{ name }}"`, a component one written as a value the registry accepts); and the table
//! of variables in docs/configuration.md lists every application variable with its default.
//! Pure file parsing: nothing runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tds_core::variables::{accepts, find, DefaultValue, Scope, Variable, ALL};
use tds_manifest::profile::{derive, ProfileOptions, WakeProfile};
use tds_manifest::{Manifest, VariableDecl};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(file: &str) -> String {
    let path = repository().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn application_variables() -> impl Iterator<Item = &'static Variable> {
    ALL.into_iter().filter(|v| v.scope == Scope::Application)
}

/// The declaration `[variables]` should hold for `variable`.
fn declaration(variable: &Variable) -> VariableDecl {
    let (default, required) = match variable.default {
        DefaultValue::Required => (None, true),
        DefaultValue::Value(value) => (Some(value.to_string()), false),
    };
    VariableDecl {
        description: None,
        default,
        required,
        secret: variable.secret,
    }
}

/// `[variables]` of `manifest` against the registry: the names declared differently, each
/// with what the manifest says (`None`: not declared), and the names the manifest declares
/// that are no application variable of the registry.
fn differences(manifest: &Manifest) -> (BTreeMap<&'static str, Option<VariableDecl>>, Vec<String>) {
    let mut differ = BTreeMap::new();
    for variable in application_variables() {
        let declared = manifest.variables.get(variable.name);
        let expected = declaration(variable);
        let same = declared.is_some_and(|d| {
            (&d.default, d.required, d.secret)
                == (&expected.default, expected.required, expected.secret)
        });
        if !same {
            differ.insert(variable.name, declared.cloned());
        }
    }
    let unknown = manifest
        .variables
        .keys()
        .filter(|name| find(name).is_none_or(|v| v.scope != Scope::Application))
        .cloned()
        .collect();
    (differ, unknown)
}

fn assert_matches_registry(manifest: &Manifest, file: &str) {
    let (differ, unknown) = differences(manifest);
    assert!(
        differ.is_empty(),
        "{file}'s [variables] differ from the registry (tds_core::variables): {differ:#?}"
    );
    assert!(
        unknown.is_empty(),
        "{file} declares variables the registry (tds_core::variables::ALL) does not hold as \
         application variables: {unknown:?}"
    );
}

/// Every component variable is in the registry: an application variable passed through as
/// `"{{ name }}"`, or a component variable set to a value the registry accepts; every
/// component variable of the registry is set by some component.
fn assert_component_variables(manifest: &Manifest, file: &str) {
    let mut set = Vec::new();
    for (id, component) in &manifest.components {
        for (name, value) in &component.variables {
            let variable = find(name).unwrap_or_else(|| {
                panic!("{file}: component {id} declares {name}, which is not in the registry (tds_core::variables::ALL)")
            });
            match variable.scope {
                Scope::Application => assert_eq!(
                    value.as_str(),
                    format!("{{{{ {name} }}}}"),
                    "{file}: component {id} sets application variable {name} itself"
                ),
                Scope::Component => {
                    assert!(
                        accepts(variable, value),
                        "{file}: component {id} sets {name} = {value:?}, which the registry refuses"
                    );
                    set.push(variable.name);
                }
            }
        }
    }
    for variable in ALL.into_iter().filter(|v| v.scope == Scope::Component) {
        assert!(
            set.contains(&variable.name),
            "{file}: no component sets component variable {}",
            variable.name
        );
    }
}

#[test]
fn spin_toml_declares_every_registry_variable_with_its_default() {
    let manifest = Manifest::from_file(repository().join("spin.toml")).expect("spin.toml loads");
    assert_matches_registry(&manifest, "spin.toml");
    assert_component_variables(&manifest, "spin.toml");
}

#[test]
fn the_http_only_profile_declares_every_registry_variable_with_its_default() {
    let file = "spin.http-only.toml";
    let manifest = Manifest::from_file(repository().join(file)).expect("the profile loads");
    assert_matches_registry(&manifest, file);
    assert_component_variables(&manifest, file);
}

/// A variable a profile declares differently: its name, default and `required`.
type Changed = (&'static str, Option<&'static str>, bool);

/// A derived wake profile differs from the registry only in what `tds profile` sets for it
/// (host/manifest/src/profile.rs), and only to values the registry accepts.
#[test]
fn wake_profiles_change_only_the_variables_the_profile_sets() {
    let spin_toml = read("spin.toml");
    let wake = find("wake").expect("wake is a registry variable");
    let cases: [(WakeProfile, &[Changed]); 3] = [
        (WakeProfile::Chain, &[]),
        (
            WakeProfile::SelfRequest,
            &[("app_origin", None, true), ("wake", Some("self"), false)],
        ),
        (WakeProfile::Off, &[("wake", Some("off"), false)]),
    ];
    for (profile, set) in cases {
        let options = ProfileOptions {
            http_only: true,
            wake: profile,
            ..ProfileOptions::default()
        };
        let text = derive(&spin_toml, &options, "a test").expect("deriving the profile");
        let manifest = Manifest::from_str(&text, "profile").expect("the profile loads");
        let (differ, unknown) = differences(&manifest);
        assert!(unknown.is_empty(), "{profile:?}: {unknown:?}");
        let changed: Vec<(&str, Option<&str>, bool)> = differ
            .iter()
            .map(|(name, declared)| {
                let declared = declared
                    .as_ref()
                    .unwrap_or_else(|| panic!("{profile:?} drops {name}"));
                (*name, declared.default.as_deref(), declared.required)
            })
            .collect();
        assert_eq!(
            changed, set,
            "{profile:?}: variables changed from the registry's"
        );
        for (name, default, _) in set {
            if let Some(value) = default {
                let variable = find(name).unwrap();
                assert!(accepts(variable, value), "{profile:?}: {name} = {value:?}");
            }
        }
        assert_component_variables(&manifest, &format!("{profile:?} profile"));
    }
    assert!(accepts(wake, "chain") && accepts(wake, "self") && accepts(wake, "off"));
}

/// The cells of a Markdown table row, split at `|` not escaped as `\|`.
fn cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.trim().trim_start_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_string()),
            _ => cell.push(c),
        }
    }
    if !cell.trim().is_empty() {
        cells.push(cell.trim().to_string());
    }
    cells
}

/// A documented default: `required …`, `empty …` or a `literal`.
fn documented_default(cell: &str) -> DefaultValue {
    if cell.starts_with("required") {
        DefaultValue::Required
    } else if cell.starts_with("empty") {
        DefaultValue::Value("")
    } else {
        let literal = cell
            .strip_prefix('`')
            .and_then(|rest| rest.split('`').next())
            .unwrap_or_else(|| panic!("a default is `required`, `empty` or a `literal`: {cell}"));
        DefaultValue::Value(Box::leak(literal.to_string().into_boxed_str()))
    }
}

#[test]
fn the_documented_table_lists_every_variable_with_its_default() {
    const PAGE: &str = "docs/configuration.md";
    let page = read(PAGE);
    let section = page
        .split("\n## ")
        .find(|s| s.starts_with("Variables"))
        .expect("docs/configuration.md has a section \"## Variables\"");
    let mut lines = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'));
    let header = lines.next().expect("a table in the Variables section");
    assert_eq!(cells(header), ["variable", "default", "meaning"]);
    assert!(lines.next().is_some_and(|l| l.starts_with("|---")));
    let mut listed = BTreeMap::new();
    for row in lines.map(cells) {
        assert_eq!(row.len(), 3, "{PAGE}: {row:?}");
        assert!(!row[2].is_empty(), "{PAGE}: no meaning for {}", row[0]);
        for name in row[0].split(", ") {
            let name = name.trim_matches('`');
            let variable = find(name)
                .filter(|v| v.scope == Scope::Application)
                .unwrap_or_else(|| {
                    panic!("{PAGE} lists {name}, no application variable of the registry")
                });
            assert_eq!(
                documented_default(&row[1]),
                variable.default,
                "{PAGE}'s default of {name}"
            );
            assert!(
                listed.insert(name.to_string(), ()).is_none(),
                "{PAGE} lists {name} twice"
            );
        }
    }
    let missing: Vec<&str> = application_variables()
        .map(|v| v.name)
        .filter(|name| !listed.contains_key(*name))
        .collect();
    assert!(missing.is_empty(), "{PAGE} does not list {missing:?}");
}

#[test]
fn the_table_parser_reads_escaped_bars_and_defaults() {
    assert_eq!(
        cells("| `wake` | `chain` | `self\\|off` |"),
        ["`wake`", "`chain`", "`self|off`"]
    );
    assert_eq!(
        documented_default("required (`tds up`: private server)"),
        DefaultValue::Required
    );
    assert_eq!(
        documented_default("empty (`tds up`: generated)"),
        DefaultValue::Value("")
    );
    assert_eq!(documented_default("`60`"), DefaultValue::Value("60"));
}
