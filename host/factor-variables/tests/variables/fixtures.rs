//! Shared fixtures: a manifest declaring a spread of variables, and scratch
//! directories under Cargo's per-target temporary directory.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tds_factor_variables::{Environment, Sources};
use tds_manifest::Manifest;

pub const MANIFEST: &str = r#"
spin_manifest_version = 2

[application]
name = "vars"

[variables]
database_url = { required = true, secret = true }
stats_token = { required = true, secret = true }
lease_seconds = { default = "30" }
region = { default = "eu" }
host = { default = "db.internal" }

[[trigger.http]]
component = "web"
route = "/..."

[component.web]
source = "web.wasm"
allowed_outbound_hosts = ["postgres://{{ host }}:5432"]

[component.web.variables]
database_url = "{{ database_url }}"
lease = "{{ lease_seconds }}s in {{region}}"

[component.bare]
source = "bare.wasm"
"#;

pub fn manifest() -> Manifest {
    Manifest::from_str(MANIFEST, "vars.toml").unwrap()
}

/// Sources with no command line, a fixed environment and no `.env` file.
pub fn sources(environment: &[(&str, &str)]) -> Sources {
    Sources {
        command_line: Vec::new(),
        environment: Environment::Fixed(
            environment
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect::<BTreeMap<_, _>>(),
        ),
        dotenv_dir: None,
    }
}

/// An empty directory unique to `test`.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("tds-factor-variables")
        .join(test);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
