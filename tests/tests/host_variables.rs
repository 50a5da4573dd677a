//! `fermyon:spin/variables@2.0.0` as Spin resolves it (docs/spin.md, "Variables"): a component
//! sees only the names its own `[component.x.variables]` declares, templates compose
//! application variables, `--variable` beats `.env` beats the default, and a required
//! variable without a value stops start-up.
//!
//! The process environment (`SPIN_VARIABLE_*`) is tested in `host_variables_env.rs`, alone
//! in its own test binary so that setting it races no other test.

use serde_json::json;
use tds_tests::probe::{probe_options, start_probe};
use tds_tests::{TestApp, TestAppOptions};

fn with_variables(pairs: &[(&str, &str)]) -> TestAppOptions {
    let mut options = probe_options();
    options.variables.extend(pairs.iter().map(|(k, v)| format!("{k}={v}")));
    options
}

/// A fresh folder under the system temp dir, removed by the caller.
fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tds-test-{tag}-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn declared_variables_and_templates_resolve() {
    let app = start_probe().await;
    assert_eq!(
        app.variable("probe", "greeting").await,
        json!({"ok": "hello"}),
        "the default"
    );
    assert_eq!(app.variable("probe", "composed").await, json!({"ok": "pre-hello-post"}));
    assert_eq!(app.variable("probe", "literal").await, json!({"ok": "just text"}));
    assert_eq!(app.variable("probe", "must_have").await, json!({"ok": "present"}));
    assert_eq!(app.variable("probe", "database_url").await, json!({"ok": app.db.url}));
    assert_eq!(app.variable("other", "other_greeting").await, json!({"ok": "hello"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cli_variable_overrides_the_default_everywhere_it_is_used() {
    let app = TestApp::start_with(with_variables(&[("greeting", "hi there")])).await;
    assert_eq!(app.variable("probe", "greeting").await, json!({"ok": "hi there"}));
    assert_eq!(
        app.variable("probe", "composed").await,
        json!({"ok": "pre-hi there-post"})
    );
    assert_eq!(app.variable("other", "other_greeting").await, json!({"ok": "hi there"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn names_the_component_does_not_declare_are_undefined() {
    let app = start_probe().await;
    // Declared by the application, not by the component.
    let answer = app.variable("probe", "only_app_level").await;
    assert_eq!(answer["error"]["kind"], "undefined", "{answer:#}");
    // Declared by another component of the same application.
    let answer = app.variable("other", "greeting").await;
    assert_eq!(answer["error"]["kind"], "undefined", "{answer:#}");
    let answer = app.variable("other", "database_url").await;
    assert_eq!(
        answer["error"]["kind"], "undefined",
        "a secret of another component: {answer:#}"
    );
    // Declared nowhere.
    let answer = app.variable("probe", "never_declared").await;
    assert_eq!(answer["error"]["kind"], "undefined", "{answer:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_names_are_refused_as_invalid_name() {
    let app = start_probe().await;
    for name in ["Greeting", "has-dash", "9lives", "double__under", "trailing_"] {
        let answer = app.variable("probe", name).await;
        assert_eq!(answer["error"]["kind"], "invalid-name", "{name}: {answer:#}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_required_variable_without_a_value_stops_loading_and_is_named() {
    let mut options = probe_options();
    options.variables.retain(|argument| !argument.starts_with("must_have="));
    let error = match TestApp::try_start_with(options).await {
        Ok(_) => panic!("the probe loaded without its required variable must_have"),
        Err(error) => format!("{error:#}"),
    };
    assert!(error.contains("must_have"), "the error must name the variable: {error}");
    assert!(
        !error.contains("database_url"),
        "database_url has a value and must not be blamed: {error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cli_variable_can_be_read_from_a_file() {
    let dir = temp_dir("variable-file");
    let file = dir.join("greeting.txt");
    std::fs::write(&file, "from a file").unwrap();
    let app = TestApp::start_with(with_variables(&[("greeting", &format!("@{}", file.display()))])).await;
    assert_eq!(app.variable("probe", "greeting").await, json!({"ok": "from a file"}));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn dotenv_supplies_variables_and_the_cli_beats_it() {
    let dir = temp_dir("dotenv");
    std::fs::write(
        dir.join(".env"),
        "SPIN_VARIABLE_DOTENV_ONLY=from-dotenv\nSPIN_VARIABLE_GREETING=dotenv-greeting\n",
    )
    .unwrap();
    let mut options = with_variables(&[("greeting", "cli-greeting")]);
    options.dotenv_dir = Some(dir.clone());
    let app = TestApp::start_with(options).await;
    assert_eq!(app.variable("probe", "dotenv_only").await, json!({"ok": "from-dotenv"}));
    assert_eq!(
        app.variable("probe", "greeting").await,
        json!({"ok": "cli-greeting"}),
        "--variable has precedence over .env"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn json_and_toml_files_of_variables_are_read_with_at_file() {
    let dir = temp_dir("variables-json");
    let file = dir.join("vars.json");
    std::fs::write(&file, r#"{"greeting": "from json", "must_have": "also from json"}"#).unwrap();
    let mut options = probe_options();
    options.variables.retain(|argument| !argument.starts_with("must_have="));
    options.variables.push(format!("@{}", file.display()));
    let app = TestApp::start_with(options).await;
    assert_eq!(app.variable("probe", "greeting").await, json!({"ok": "from json"}));
    assert_eq!(
        app.variable("probe", "must_have").await,
        json!({"ok": "also from json"})
    );

    let file = dir.join("vars.toml");
    std::fs::write(&file, "greeting = \"from toml\"\nmust_have = \"also from toml\"\n").unwrap();
    let mut options = probe_options();
    options.variables.retain(|argument| !argument.starts_with("must_have="));
    options.variables.push(format!("@{}", file.display()));
    let app = TestApp::start_with(options).await;
    assert_eq!(app.variable("probe", "greeting").await, json!({"ok": "from toml"}));
    assert_eq!(
        app.variable("probe", "must_have").await,
        json!({"ok": "also from toml"})
    );
    std::fs::remove_dir_all(dir).ok();
}
