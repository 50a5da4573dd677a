//! Required variables, per-component visibility, guest-facing errors, templates
//! and redaction of secrets.

use crate::fixtures::{manifest, sources};
use tds_factor_variables::{GuestError, Resolver, VariablesError};

fn supplied() -> Resolver {
    Resolver::new(
        &manifest(),
        sources(&[
            ("SPIN_VARIABLE_DATABASE_URL", "postgres://app:pw@db/tds"),
            ("SPIN_VARIABLE_STATS_TOKEN", "tok-123"),
        ]),
    )
    .unwrap()
}

#[test]
fn missing_required_variables_are_all_named() {
    let resolver = Resolver::new(&manifest(), sources(&[])).unwrap();
    let error = resolver.validate_required().unwrap_err();
    assert!(
        matches!(&error, VariablesError::MissingRequired { names } if names == &["database_url", "stats_token"])
    );
    assert_eq!(
        error.to_string(),
        "required variables have no value: database_url, stats_token; supply each with --variable <name>=<value> or the environment variable SPIN_VARIABLE_<NAME> (e.g. SPIN_VARIABLE_DATABASE_URL)"
    );
    supplied().validate_required().unwrap();
}

#[test]
fn a_fallback_satisfies_a_required_variable() {
    let mut resolver =
        Resolver::new(&manifest(), sources(&[("SPIN_VARIABLE_STATS_TOKEN", "t")])).unwrap();
    resolver.set_fallback("database_url", "postgres://127.0.0.1:5433/tds");
    resolver.validate_required().unwrap();
}

#[test]
fn a_component_reads_its_rendered_variables() {
    let variables = supplied().component(&manifest(), "web").unwrap();
    assert_eq!(variables.component_id(), "web");
    assert_eq!(
        variables.lookup("database_url").unwrap(),
        "postgres://app:pw@db/tds"
    );
    assert_eq!(variables.lookup("lease").unwrap(), "30s in eu");
}

#[test]
fn names_the_component_does_not_declare_are_undefined() {
    let variables = supplied().component(&manifest(), "web").unwrap();
    assert_eq!(
        variables.lookup("stats_token"),
        Err(GuestError::Undefined(
            "no variable \"stats_token\" in [component.web.variables]".into()
        ))
    );
    let bare = supplied().component(&manifest(), "bare").unwrap();
    assert!(matches!(
        bare.lookup("database_url"),
        Err(GuestError::Undefined(_))
    ));
}

#[test]
fn names_breaking_the_rule_are_invalid() {
    let variables = supplied().component(&manifest(), "web").unwrap();
    for name in [
        "",
        "Database_url",
        "1abc",
        "db-url",
        "db__url",
        "db_",
        "_db",
    ] {
        assert!(
            matches!(variables.lookup(name), Err(GuestError::InvalidName(_))),
            "{name:?} must be invalid"
        );
    }
    assert_eq!(
        variables.lookup("DB"),
        Err(GuestError::InvalidName(
            "\"DB\": it contains 'D'; variable names may contain only lowercase ASCII letters, digits and underscores"
                .into()
        ))
    );
}

#[test]
fn rendering_a_component_with_a_required_variable_missing_fails() {
    let resolver = Resolver::new(&manifest(), sources(&[])).unwrap();
    assert_eq!(
        resolver.component(&manifest(), "web").unwrap_err().to_string(),
        "variable `database_url` is required and has no value; supply it with --variable database_url=<value> or SPIN_VARIABLE_DATABASE_URL"
    );
}

#[test]
fn unknown_components_are_reported() {
    assert_eq!(
        supplied()
            .component(&manifest(), "nope")
            .unwrap_err()
            .to_string(),
        "the manifest has no [component.nope] table"
    );
}

#[test]
fn other_templates_render_over_application_variables() {
    let resolver = supplied();
    let entry = &manifest().components["web"].allowed_outbound_hosts[0];
    assert_eq!(
        resolver.render(entry).unwrap(),
        "postgres://db.internal:5432"
    );
    assert_eq!(
        resolver.render("{{ nope }}").unwrap_err().to_string(),
        "variable `nope` is not declared in the manifest's [variables]"
    );
    assert!(matches!(
        resolver.render("{{ host"),
        Err(VariablesError::Template(_))
    ));
}

#[test]
fn debug_output_redacts_secrets() {
    let resolver = supplied();
    let debug = format!("{resolver:?}");
    assert!(
        !debug.contains("app:pw") && !debug.contains("tok-123"),
        "{debug}"
    );
    assert!(
        debug.contains("<redacted>") && debug.contains("db.internal"),
        "{debug}"
    );

    let variables = resolver.component(&manifest(), "web").unwrap();
    let debug = format!("{variables:?}");
    assert!(!debug.contains("app:pw"), "{debug}");
    assert!(
        debug.contains("<redacted>") && debug.contains("30s in eu"),
        "{debug}"
    );

    let mut given = sources(&[("SPIN_VARIABLE_STATS_TOKEN", "tok-123")]);
    given.command_line = vec!["database_url=postgres://app:pw@db/tds".into()];
    let debug = format!("{given:?}");
    assert!(
        !debug.contains("app:pw") && !debug.contains("tok-123"),
        "{debug}"
    );
}
