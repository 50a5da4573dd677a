//! `SPIN_VARIABLE_<UPPER_NAME>` in the process environment (docs/spin.md, "Variables"): it
//! beats `.env` and the default, and `--variable` beats it.
//!
//! The only test of this binary, so that setting the process environment races nothing.

use serde_json::json;
use tds_tests::probe::probe_options;
use tds_tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn the_environment_sits_between_the_cli_and_dotenv() {
    // Set before any app is loaded; the host reads the environment when it loads one.
    std::env::set_var("SPIN_VARIABLE_ENV_ONLY", "from-env");

    let dir = std::env::temp_dir().join(format!("tds-test-env-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".env"), "SPIN_VARIABLE_ENV_ONLY=from-dotenv\n").unwrap();

    let mut options = probe_options();
    options.dotenv_dir = Some(dir.clone());
    let app = TestApp::start_with(options.clone()).await;
    assert_eq!(
        app.variable("probe", "env_only").await,
        json!({"ok": "from-env"}),
        "SPIN_VARIABLE_ENV_ONLY beats .env and the default"
    );

    options.variables.push("env_only=from-cli".into());
    let app = TestApp::start_with(options).await;
    assert_eq!(
        app.variable("probe", "env_only").await,
        json!({"ok": "from-cli"}),
        "--variable beats the environment"
    );

    std::fs::remove_dir_all(dir).ok();
}
