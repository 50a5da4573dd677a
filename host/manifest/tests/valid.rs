//! A manifest using every key `tds` reads loads into the expected model.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tds_manifest::{BuildConfig, FileMount, HttpRoute, Manifest, VariableDecl};

const FULL: &str = r#"
spin_manifest_version = 2

[application]
name = "tds"
version = "0.1.0"
description = "Zoho to ERP sync"
authors = ["Ops <ops@example.com>"]
targets = ["spin-up:3.4"]

[application.trigger.http]
base = "/"

[application.tool.lint]
level = "strict"

[variables]
database_url = { required = true, secret = true }
webhook_key = { default = "", secret = true, description = "shared intake key" }
lease_seconds = { default = "30" }
db_host = { default = "localhost" }

[[trigger.http]]
component = "intake"
route = "/webhooks/..."

[[trigger.http]]
component = "stats"
route = { private = true }
executor = { type = "spin" }

[[trigger.http]]
component = "stats"
route = "/health"
static_response = { status_code = 200, body = "ok" }

[[trigger.cron]]
component = "heal"
cron_expression = "*/2 * * * * *"

[component.intake]
source = "target/wasm32-wasip2/release/intake.wasm"
description = "webhook intake"
allowed_outbound_hosts = ["postgres://{{ db_host }}:5432", "https://*.zoho.com", "*://localhost:*"]
environment = { RUST_LOG = "info" }
files = ["static/*.html", { source = "assets", destination = "/assets" }]
exclude_files = ["static/secret.html"]
key_value_stores = ["default"]
sqlite_databases = ["default"]
ai_models = ["llama2-chat"]

[component.intake.variables]
database_url = "{{ database_url }}"
webhook_key = "{{webhook_key}}"
summary = "lease={{ lease_seconds }}s"

[component.intake.build]
command = "cargo build --release -p intake"
workdir = "components/intake"
watch = ["src/**/*.rs"]

[component.intake.tool.spin-test]
source = "tests.wasm"

[component.stats]
source = "stats.wasm"

[component.stats.build]
command = ["echo one", "echo two"]

[component.heal]
source = "heal.wasm"
"#;

fn load() -> Manifest {
    Manifest::from_str(FULL, "full.toml").expect("the full manifest is valid")
}

#[test]
fn application_table_is_read() {
    let manifest = load();
    assert_eq!(manifest.application.name, "tds");
    assert_eq!(manifest.application.version.as_deref(), Some("0.1.0"));
    assert_eq!(
        manifest.application.description.as_deref(),
        Some("Zoho to ERP sync")
    );
    assert_eq!(manifest.application.authors, ["Ops <ops@example.com>"]);
}

#[test]
fn variables_are_read_with_flags() {
    let manifest = load();
    assert_eq!(
        manifest.variables["database_url"],
        VariableDecl {
            description: None,
            default: None,
            required: true,
            secret: true
        }
    );
    assert_eq!(
        manifest.variables["lease_seconds"].default.as_deref(),
        Some("30")
    );
    assert_eq!(
        manifest.variables["webhook_key"].description.as_deref(),
        Some("shared intake key")
    );
}

#[test]
fn triggers_are_read_in_order() {
    let manifest = load();
    let http: Vec<_> = manifest
        .http_triggers
        .iter()
        .map(|t| (t.component.as_str(), t.route.clone()))
        .collect();
    assert_eq!(
        http,
        [
            ("intake", HttpRoute::Path("/webhooks/...".into())),
            ("stats", HttpRoute::Private),
            ("stats", HttpRoute::Path("/health".into())),
        ]
    );
    assert!(manifest.http_triggers[1].executor.is_some());
    assert!(manifest.http_triggers[2].static_response.is_some());
    assert_eq!(manifest.cron_triggers.len(), 1);
    assert_eq!(manifest.cron_triggers[0].component, "heal");
    assert_eq!(manifest.cron_triggers[0].cron_expression, "*/2 * * * * *");
}

#[test]
fn component_tables_are_read() {
    let manifest = load();
    let intake = &manifest.components["intake"];
    assert_eq!(
        intake.source,
        PathBuf::from("target/wasm32-wasip2/release/intake.wasm")
    );
    assert_eq!(intake.description.as_deref(), Some("webhook intake"));
    assert_eq!(
        intake.variables,
        BTreeMap::from([
            ("database_url".to_string(), "{{ database_url }}".to_string()),
            (
                "summary".to_string(),
                "lease={{ lease_seconds }}s".to_string()
            ),
            ("webhook_key".to_string(), "{{webhook_key}}".to_string()),
        ])
    );
    assert_eq!(intake.allowed_outbound_hosts.len(), 3);
    assert_eq!(intake.environment["RUST_LOG"], "info");
    assert_eq!(
        intake.files,
        [
            FileMount::Pattern("static/*.html".into()),
            FileMount::Placement {
                source: "assets".into(),
                destination: "/assets".into()
            },
        ]
    );
    assert_eq!(intake.exclude_files, ["static/secret.html"]);
    assert_eq!(intake.key_value_stores, ["default"]);
    assert_eq!(intake.sqlite_databases, ["default"]);
    assert_eq!(intake.ai_models, ["llama2-chat"]);
    assert_eq!(
        intake.build,
        Some(BuildConfig {
            commands: vec!["cargo build --release -p intake".into()],
            workdir: Some("components/intake".into()),
            watch: vec!["src/**/*.rs".into()],
        })
    );
    let stats_build = manifest.components["stats"].build.as_ref().unwrap();
    assert_eq!(stats_build.commands, ["echo one", "echo two"]);
    assert!(manifest.components["heal"].build.is_none());
}

#[test]
fn a_manifest_with_no_variables_components_or_triggers_loads() {
    let manifest = Manifest::from_str(
        "spin_manifest_version = 2\n[application]\nname = \"x\"\n[trigger]\n",
        "empty.toml",
    )
    .unwrap();
    assert!(manifest.variables.is_empty());
    assert!(manifest.components.is_empty());
    assert!(manifest.http_triggers.is_empty());
}

#[test]
fn sources_resolve_against_the_manifest_directory() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tds-manifest-valid");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("spin.toml");
    std::fs::write(&path, FULL).unwrap();

    let manifest = Manifest::from_file(&path).unwrap();
    assert_eq!(manifest.base_dir(), dir);
    assert_eq!(manifest.resolve_source("heal"), Some(dir.join("heal.wasm")));
    assert_eq!(manifest.resolve_source("absent"), None);
}

#[test]
fn strings_loaded_without_a_file_resolve_against_the_current_directory() {
    assert_eq!(
        load().resolve_source("stats"),
        Some(PathBuf::from("./stats.wasm"))
    );
}

#[test]
fn debug_output_redacts_secret_defaults() {
    let manifest = load();
    let debug = format!("{:?}", manifest.variables["webhook_key"]);
    assert!(debug.contains("<redacted>"), "{debug}");
    let plain = format!("{:?}", manifest.variables["lease_seconds"]);
    assert!(plain.contains("\"30\""), "{plain}");
}
