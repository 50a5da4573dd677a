//! Manifests Spin 4.0.2 refuses are refused by the host, with a message naming the
//! problem (docs/spin.md, "Manifest"): unknown keys, outbound hosts without a scheme (literal or
//! once rendered), triggers naming unknown components, unknown trigger keys, templates
//! naming undeclared variables.

use tds::app::{AppBuilder, AppOptions};
use tds::http_trigger::HttpTrigger;
use tds_tests::{ensure_built, repo_root};

/// Loads `fixture` as `tds up` would (manifest, variables, components, both triggers) and
/// returns the error text.
fn load_error(fixture: &str) -> String {
    ensure_built(&repo_root().join("tests/fixtures/probe.toml"));
    let mut options = AppOptions::new(repo_root().join("tests/fixtures").join(fixture));
    options.dotenv_dir = None;
    options.cache_dir = Some(repo_root().join("target").join("tds-test-cache"));
    let loaded = AppBuilder::new(options).and_then(AppBuilder::build).and_then(|app| {
        tds::cron_trigger::jobs(&app)?;
        HttpTrigger::new(app)?;
        Ok(())
    });
    match loaded {
        Ok(()) => panic!("{fixture} loaded, but Spin refuses it"),
        Err(error) => format!("{error:#}"),
    }
}

#[track_caller]
fn assert_mentions(error: &str, needles: &[&str]) {
    for needle in needles {
        assert!(error.contains(needle), "the error should mention {needle:?}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_keys_are_refused_naming_key_and_table() {
    let error = load_error("bad_unknown_key.toml");
    assert_mentions(&error, &["enviroment", "[component.probe]", "bad_unknown_key.toml"]);
    let error = load_error("bad_unknown_top_level_key.toml");
    assert_mentions(&error, &["runtime", "top level"]);
    let error = load_error("bad_cron_key.toml");
    assert_mentions(&error, &["timezone", "[[trigger.cron]]"]);
    let error = load_error("bad_http_key.toml");
    assert_mentions(&error, &["methods", "[[trigger.http]]"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outbound_host_without_a_scheme_is_refused() {
    let error = load_error("bad_missing_scheme.toml");
    assert_mentions(&error, &["db.example.com:5432", "scheme"]);
    // A template that renders to an entry without a scheme is refused once rendered.
    let error = load_error("bad_missing_scheme_template.toml");
    assert_mentions(&error, &["127.0.0.1:5432", "scheme"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trigger_naming_an_unknown_component_is_refused() {
    let error = load_error("bad_unknown_component.toml");
    assert_mentions(&error, &["ghost", "[[trigger.http]]"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_template_naming_an_undeclared_variable_is_refused() {
    let error = load_error("bad_undeclared_variable.toml");
    assert_mentions(&error, &["secret_api_key", "[component.probe]"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_probe_manifest_itself_loads() {
    // The control for the refusals above: the same loader accepts a valid manifest.
    ensure_built(&repo_root().join("tests/fixtures/probe.toml"));
    let mut options = AppOptions::new(repo_root().join("tests/fixtures/probe.toml"));
    options.dotenv_dir = None;
    options.cache_dir = Some(repo_root().join("target").join("tds-test-cache"));
    options.variables = vec![
        "database_url=postgres://nobody@127.0.0.1:1/none".into(),
        "must_have=present".into(),
    ];
    let app = AppBuilder::new(options)
        .and_then(AppBuilder::build)
        .expect("probe.toml loads");
    assert_eq!(tds::cron_trigger::jobs(&app).unwrap().len(), 1);
    HttpTrigger::new(app.clone()).expect("its routes are valid");
    let components: Vec<&String> = app.manifest().components.keys().collect();
    assert_eq!(components, ["other", "probe"]);
    assert_eq!(app.manifest().http_triggers.len(), 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_and_build_tables_are_accepted_and_ignored_by_the_runtime() {
    ensure_built(&repo_root().join("tests/fixtures/probe.toml"));
    let mut options = AppOptions::new(repo_root().join("tests/fixtures/ok_tool_and_build_tables.toml"));
    options.dotenv_dir = None;
    options.cache_dir = Some(repo_root().join("target").join("tds-test-cache"));
    let app = AppBuilder::new(options)
        .and_then(AppBuilder::build)
        .unwrap_or_else(|e| panic!("a manifest Spin accepts was refused: {e:#}"));
    let jobs = tds::cron_trigger::jobs(&app).expect("a 7-field cron expression (with a year) is valid");
    assert_eq!(jobs.len(), 1);
    HttpTrigger::new(app.clone()).expect("the route is valid");
    let build = app.manifest().components["probe"]
        .build
        .as_ref()
        .expect("the build table is kept for `tds build`");
    assert_eq!(build.commands, ["echo first", "echo second"]);
}
