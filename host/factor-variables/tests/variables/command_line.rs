//! `--variable` in its four forms: `k=v`, `k=@file`, `@file.json`, `@file.toml`.

use crate::fixtures::{manifest, scratch_dir, sources};
use tds_factor_variables::Resolver;

fn resolve(arguments: &[String]) -> Result<Resolver, tds_factor_variables::VariablesError> {
    let mut given = sources(&[]);
    given.command_line = arguments.to_vec();
    Resolver::new(&manifest(), given)
}

#[test]
fn literal_values_keep_everything_after_the_first_equals_sign() {
    let resolver = resolve(&["database_url=postgres://u:p@h/db?sslmode=disable".into()]).unwrap();
    assert_eq!(
        resolver.app_value("database_url").as_deref(),
        Some("postgres://u:p@h/db?sslmode=disable")
    );
}

#[test]
fn at_file_reads_the_whole_file() {
    let dir = scratch_dir("at-file");
    let token = dir.join("token.txt");
    std::fs::write(&token, "s3cret\n").unwrap();
    let resolver = resolve(&[format!("stats_token=@{}", token.display())]).unwrap();
    assert_eq!(
        resolver.app_value("stats_token").as_deref(),
        Some("s3cret\n")
    );
}

#[test]
fn json_and_toml_files_supply_flat_tables() {
    let dir = scratch_dir("tables");
    let json = dir.join("vars.json");
    let toml = dir.join("vars.toml");
    std::fs::write(&json, r#"{ "region": "us", "stats_token": "t" }"#).unwrap();
    std::fs::write(&toml, "region = \"ap\"\nlease_seconds = \"5\"\n").unwrap();
    let resolver = resolve(&[
        format!("@{}", json.display()),
        format!("@{}", toml.display()),
    ])
    .unwrap();
    assert_eq!(resolver.app_value("region").as_deref(), Some("ap"));
    assert_eq!(resolver.app_value("stats_token").as_deref(), Some("t"));
    assert_eq!(resolver.app_value("lease_seconds").as_deref(), Some("5"));
}

#[test]
fn malformed_arguments_are_rejected() {
    assert_eq!(
        resolve(&["region".into()]).unwrap_err().to_string(),
        "--variable \"region\" is not name=value, name=@file, @file.json or @file.toml"
    );
    assert_eq!(
        resolve(&["@vars.yaml".into()]).unwrap_err().to_string(),
        "--variable @vars.yaml: variable files must end in .json or .toml"
    );
    let missing = resolve(&["region=@/nonexistent/region.txt".into()])
        .unwrap_err()
        .to_string();
    assert!(
        missing.starts_with("cannot read variable file /nonexistent/region.txt: "),
        "{missing}"
    );
}

#[test]
fn non_string_values_name_the_key_not_the_value() {
    let dir = scratch_dir("non-string");
    let json = dir.join("vars.json");
    std::fs::write(&json, r#"{ "stats_token": 12345 }"#).unwrap();
    let message = resolve(&[format!("@{}", json.display())])
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        format!(
            "variable file {}: the value of \"stats_token\" must be a string",
            json.display()
        )
    );
    assert!(!message.contains("12345"));

    let toml = dir.join("vars.toml");
    std::fs::write(&toml, "region = \"ok\"\nstats_token = secret-unquoted\n").unwrap();
    let message = resolve(&[format!("@{}", toml.display())])
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        format!("variable file {}: not valid TOML at line 2", toml.display())
    );
}
