//! The `tds` binary itself, as `./scripts/up` runs it. Cargo builds it for this test with
//! the workspace's test features, so the integration tests that run the host as a child
//! process (`tds_tests::host_process`) and `./scripts/up` use this one build of it.

use std::process::Command;

fn tds() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tds"));
    command.env_remove("SPIN_VARIABLE_DATABASE_URL");
    command
}

#[test]
fn help_names_every_command() {
    let output = tds().arg("--help").output().expect("tds runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for command in ["up", "migrate", "profile", "build"] {
        assert!(
            help.lines()
                .any(|line| line.trim_start().starts_with(command)),
            "{command} in:\n{help}"
        );
    }
}

#[test]
fn migrate_without_a_database_says_what_to_give() {
    let output = tds().arg("migrate").output().expect("tds runs");
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("--database-url"), "{error}");
}
