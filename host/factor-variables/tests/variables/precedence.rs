//! Values come from the command line, then the environment, then `.env`,
//! then a host fallback, then the manifest default.

use crate::fixtures::{manifest, scratch_dir, sources};
use tds_factor_variables::Resolver;

/// Every source supplies `region`; each step removes the winning source.
#[test]
fn each_source_yields_to_the_one_above_it() {
    let dir = scratch_dir("precedence");
    std::fs::write(dir.join(".env"), "SPIN_VARIABLE_REGION=from-dotenv\n").unwrap();
    let manifest = manifest();

    let mut all = sources(&[("SPIN_VARIABLE_REGION", "from-env")]);
    all.dotenv_dir = Some(dir.clone());
    all.command_line = vec!["region=from-cli".into()];
    let resolver = Resolver::new(&manifest, all.clone()).unwrap();
    assert_eq!(resolver.app_value("region").as_deref(), Some("from-cli"));

    let mut without_cli = all.clone();
    without_cli.command_line.clear();
    let resolver = Resolver::new(&manifest, without_cli.clone()).unwrap();
    assert_eq!(resolver.app_value("region").as_deref(), Some("from-env"));

    let mut dotenv_only = sources(&[]);
    dotenv_only.dotenv_dir = Some(dir);
    let resolver = Resolver::new(&manifest, dotenv_only).unwrap();
    assert_eq!(resolver.app_value("region").as_deref(), Some("from-dotenv"));

    let mut resolver = Resolver::new(&manifest, sources(&[])).unwrap();
    assert_eq!(resolver.app_value("region").as_deref(), Some("eu"));
    resolver.set_fallback("region", "from-fallback");
    assert_eq!(resolver.app_value("region").as_deref(), Some("from-fallback"));
}

#[test]
fn fallback_applies_only_when_nothing_else_supplied_a_value() {
    let manifest = manifest();
    let mut resolver = Resolver::new(&manifest, sources(&[])).unwrap();
    assert_eq!(resolver.app_value("database_url"), None);
    resolver.set_fallback("database_url", "postgres://127.0.0.1:5433/tds");
    assert_eq!(
        resolver.app_value("database_url").as_deref(),
        Some("postgres://127.0.0.1:5433/tds")
    );

    let mut supplied = Resolver::new(
        &manifest,
        sources(&[("SPIN_VARIABLE_DATABASE_URL", "postgres://prod/tds")]),
    )
    .unwrap();
    supplied.set_fallback("database_url", "postgres://127.0.0.1:5433/tds");
    assert_eq!(
        supplied.app_value("database_url").as_deref(),
        Some("postgres://prod/tds")
    );
}

#[test]
fn fallback_for_an_undeclared_name_has_no_effect() {
    let mut resolver = Resolver::new(&manifest(), sources(&[])).unwrap();
    resolver.set_fallback("not_declared", "x");
    assert_eq!(resolver.app_value("not_declared"), None);
}

#[test]
fn later_command_line_arguments_win() {
    let mut given = sources(&[]);
    given.command_line = vec!["region=first".into(), "region=second".into()];
    let resolver = Resolver::new(&manifest(), given).unwrap();
    assert_eq!(resolver.app_value("region").as_deref(), Some("second"));
}

#[test]
fn environment_keys_are_the_uppercased_name() {
    let resolver = Resolver::new(
        &manifest(),
        sources(&[
            ("SPIN_VARIABLE_lease_seconds", "1"),
            ("SPIN_VARIABLE_LEASE_SECONDS", "90"),
        ]),
    )
    .unwrap();
    assert_eq!(resolver.app_value("lease_seconds").as_deref(), Some("90"));
}

#[test]
fn undeclared_names_from_sources_are_ignored() {
    let mut given = sources(&[("SPIN_VARIABLE_EXTRA", "x")]);
    given.command_line = vec!["other=y".into()];
    let resolver = Resolver::new(&manifest(), given).unwrap();
    assert_eq!(resolver.app_value("extra"), None);
    assert_eq!(resolver.app_value("other"), None);
}

#[test]
fn a_missing_dotenv_file_supplies_nothing() {
    let mut given = sources(&[]);
    given.dotenv_dir = Some(scratch_dir("no-dotenv"));
    let resolver = Resolver::new(&manifest(), given).unwrap();
    assert_eq!(resolver.app_value("region").as_deref(), Some("eu"));
}

#[test]
fn a_malformed_dotenv_file_is_reported_by_line_without_its_content() {
    let dir = scratch_dir("bad-dotenv");
    std::fs::write(
        dir.join(".env"),
        "SPIN_VARIABLE_REGION=ok\nhunter2 secret line\n",
    )
    .unwrap();
    let mut given = sources(&[]);
    given.dotenv_dir = Some(dir.clone());
    let message = Resolver::new(&manifest(), given).unwrap_err().to_string();
    assert_eq!(
        message,
        format!(
            "variable file {}: line 2 is not KEY=value",
            dir.join(".env").display()
        )
    );
}
