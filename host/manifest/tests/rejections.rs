//! Every rule Spin enforces at load time rejects a manifest with a message
//! naming the file, the table and the key.

use tds_manifest::Manifest;

const HEAD: &str = "spin_manifest_version = 2\n[application]\nname = \"app\"\n";

/// A minimal valid manifest with `extra` appended.
fn with(extra: &str) -> String {
    format!(
        "{HEAD}[variables]\ndb = {{ default = \"x\" }}\n[[trigger.http]]\ncomponent = \"web\"\nroute = \"/...\"\n[component.web]\nsource = \"web.wasm\"\n{extra}"
    )
}

fn error(text: &str) -> String {
    Manifest::from_str(text, "spin.toml")
        .expect_err("manifest must be rejected")
        .to_string()
}

#[test]
fn the_baseline_is_valid() {
    Manifest::from_str(&with(""), "spin.toml").unwrap();
}

#[test]
fn missing_file_is_named() {
    let message = Manifest::from_file("/nonexistent/spin.toml")
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("cannot read manifest /nonexistent/spin.toml: "),
        "{message}"
    );
}

#[test]
fn invalid_toml_is_reported_with_origin() {
    assert!(error("spin_manifest_version = ").starts_with("spin.toml is not valid TOML: "));
}

#[test]
fn version_must_be_two() {
    assert_eq!(
        error("spin_manifest_version = \"1\""),
        "spin.toml: spin_manifest_version must be 2, found \"1\"; tds reads version 2 manifests only"
    );
    assert_eq!(
        error("[application]\nname = \"x\""),
        "spin.toml: missing key `spin_manifest_version` in the top level"
    );
}

#[test]
fn unknown_top_level_key() {
    assert_eq!(
        error(&format!("extra = 1\n{}", with(""))),
        "spin.toml: unknown key `extra` in the top level; allowed keys are: spin_manifest_version, application, variables, trigger, component"
    );
}

#[test]
fn unknown_application_key() {
    let text = with("").replace("name = \"app\"", "name = \"app\"\nowner = \"me\"");
    assert_eq!(
        error(&text),
        "spin.toml: unknown key `owner` in [application]; allowed keys are: name, version, description, authors, targets, trigger, tool"
    );
}

#[test]
fn application_and_trigger_tables_are_required() {
    assert_eq!(
        error("spin_manifest_version = 2"),
        "spin.toml: missing key `application` in the top level"
    );
    assert_eq!(
        error(HEAD),
        "spin.toml: missing key `trigger` in the top level"
    );
}

#[test]
fn unknown_variable_key() {
    let text = with("").replace(
        "db = { default = \"x\" }",
        "db = { default = \"x\", sensitive = true }",
    );
    assert_eq!(
        error(&text),
        "spin.toml: unknown key `sensitive` in [variables.db]; allowed keys are: description, default, required, secret"
    );
}

#[test]
fn unknown_component_key() {
    assert_eq!(
        error(&with("sourc = \"typo.wasm\"")),
        "spin.toml: unknown key `sourc` in [component.web]; allowed keys are: source, description, variables, environment, files, exclude_files, allowed_outbound_hosts, key_value_stores, sqlite_databases, ai_models, build, tool"
    );
}

#[test]
fn unknown_build_key() {
    assert_eq!(
        error(&with("[component.web.build]\ncommand = \"make\"\ndir = \"x\"")),
        "spin.toml: unknown key `dir` in [component.web.build]; allowed keys are: command, workdir, watch"
    );
}

#[test]
fn unknown_http_trigger_key() {
    assert_eq!(
        error(&with("[[trigger.http]]\ncomponent = \"web\"\nroute = \"/a\"\nmethod = \"GET\"")),
        "spin.toml: unknown key `method` in [[trigger.http]] #2; allowed keys are: component, route, executor, static_response"
    );
}

#[test]
fn cron_trigger_takes_exactly_component_and_expression() {
    assert_eq!(
        error(&with("[[trigger.cron]]\ncomponent = \"web\"\ncron_expression = \"* * * * * *\"\nid = \"x\"")),
        "spin.toml: unknown key `id` in [[trigger.cron]] #1; allowed keys are: component, cron_expression"
    );
    assert_eq!(
        error(&with("[[trigger.cron]]\ncomponent = \"web\"")),
        "spin.toml: missing key `cron_expression` in [[trigger.cron]] #1"
    );
}

#[test]
fn unknown_trigger_type_is_named() {
    assert_eq!(
        error(&with("[[trigger.redis]]\ncomponent = \"web\"\nchannel = \"x\"")),
        "spin.toml: unknown trigger type `redis` in [[trigger.redis]]; tds serves `http` and `cron` triggers"
    );
}

#[test]
fn trigger_table_must_be_an_array() {
    let text = with("").replace("[[trigger.http]]", "[trigger.http]");
    assert_eq!(
        error(&text),
        "spin.toml: `trigger.http` in the top level must be an array of tables (write [[trigger.<type>]])"
    );
}

#[test]
fn private_route_must_be_true() {
    assert_eq!(
        error(&with(
            "[[trigger.http]]\ncomponent = \"web\"\nroute = { private = false }"
        )),
        "spin.toml: `route` in [[trigger.http]] #2 must be a path (\"/...\") or { private = true }"
    );
}

#[test]
fn inline_trigger_components_are_unsupported() {
    assert_eq!(
        error(&with("[[trigger.http]]\ncomponent = { source = \"x.wasm\" }\nroute = \"/x\"")),
        "spin.toml: unsupported by tds: `component` in [[trigger.http]] #2; inline components are not served; declare a [component.<id>] table and write component = \"<id>\""
    );
}

#[test]
fn invalid_variable_names_are_rejected() {
    let app = with("").replace("db = {", "Db = {");
    assert_eq!(
        error(&app),
        "spin.toml: invalid variable name \"Db\" in [variables]: it contains 'D'; variable names may contain only lowercase ASCII letters, digits and underscores"
    );
    assert_eq!(
        error(&with("variables = { _db = \"x\" }")),
        "spin.toml: invalid variable name \"_db\" in [component.web.variables]: it must start with a lowercase ASCII letter"
    );
    assert_eq!(
        error(&with("variables = { db__url = \"x\" }")),
        "spin.toml: invalid variable name \"db__url\" in [component.web.variables]: it contains `__`; use single underscores between words"
    );
}

#[test]
fn invalid_component_ids_are_rejected() {
    let text = with("")
        .replace("component.web]", "component.web_app]")
        .replace("\"web\"", "\"web_app\"");
    assert_eq!(
        error(&text),
        "spin.toml: invalid component id \"web_app\": words must be separated with '-', not '_'"
    );
}

#[test]
fn required_variable_cannot_have_a_default() {
    let text = with("").replace(
        "db = { default = \"x\" }",
        "db = { default = \"x\", required = true }",
    );
    assert_eq!(
        error(&text),
        "spin.toml: [variables.db] sets both `required = true` and a `default`; keep one of them"
    );
}

#[test]
fn variable_needs_a_default_or_required() {
    let text = with("").replace("db = { default = \"x\" }", "db = { secret = true }");
    assert_eq!(
        error(&text),
        "spin.toml: [variables.db] needs a `default` or `required = true`"
    );
}

#[test]
fn trigger_component_must_exist() {
    assert_eq!(
        error(&with("[[trigger.cron]]\ncomponent = \"heal\"\ncron_expression = \"* * * * * *\"")),
        "spin.toml: [[trigger.cron]] #1 refers to component `heal`, but there is no [component.heal] table"
    );
}

#[test]
fn outbound_hosts_need_a_scheme() {
    assert_eq!(
        error(&with("allowed_outbound_hosts = [\"https://ok.example.com\", \"db.example.com:5432\"]")),
        "spin.toml: allowed_outbound_hosts entry \"db.example.com:5432\" in [component.web] has no scheme; write it as scheme://host[:port], e.g. \"postgres://db.example.com:5432\", \"https://api.example.com\" or \"*://localhost:*\""
    );
}

#[test]
fn templated_outbound_hosts_must_name_declared_variables() {
    Manifest::from_str(
        &with("allowed_outbound_hosts = [\"{{ db }}\"]"),
        "spin.toml",
    )
    .unwrap();
    assert_eq!(
        error(&with("allowed_outbound_hosts = [\"postgres://{{ db_host }}\"]")),
        "spin.toml: allowed_outbound_hosts entry \"postgres://{{ db_host }}\" in [component.web] refers to {{ db_host }}, but [variables] declares no `db_host`; add [variables.db_host] or fix the name"
    );
}

#[test]
fn component_variable_templates_must_name_declared_variables() {
    assert_eq!(
        error(&with("variables = { url = \"{{ database_url }}\" }")),
        "spin.toml: variables.url in [component.web] refers to {{ database_url }}, but [variables] declares no `database_url`; add [variables.database_url] or fix the name"
    );
}

#[test]
fn malformed_templates_are_rejected() {
    assert_eq!(
        error(&with("variables = { url = \"{{ db \" }")),
        "spin.toml: variables.url in [component.web]: template \"{{ db \" opens `{{` without a closing `}}`"
    );
}

#[test]
fn url_sources_are_unsupported() {
    let text = with("").replace(
        "source = \"web.wasm\"",
        "source = { url = \"https://example.com/web.wasm\", digest = \"sha256:00\" }",
    );
    assert_eq!(
        error(&text),
        "spin.toml: unsupported by tds: url sources (`source` in [component.web]); download or build the .wasm file and write source = \"path/to/component.wasm\""
    );
}

#[test]
fn spin_component_features_tds_lacks_are_unsupported() {
    assert_eq!(
        error(&with("allowed_http_hosts = [\"example.com\"]")),
        "spin.toml: unsupported by tds: `allowed_http_hosts` in [component.web]; this key is deprecated in Spin; list the hosts in allowed_outbound_hosts as \"https://host\""
    );
    assert!(
        error(&with("[component.web.dependencies]\n\"a:b/c\" = \"1.0\""))
            .starts_with("spin.toml: unsupported by tds: `dependencies` in [component.web]")
    );
}

#[test]
fn wrong_value_types_are_named() {
    assert_eq!(
        error(&with("allowed_outbound_hosts = \"https://x\"")),
        "spin.toml: `allowed_outbound_hosts` in [component.web] must be an array of strings"
    );
    let text = with("").replace("db = { default = \"x\" }", "db = { default = 5 }");
    assert_eq!(
        error(&text),
        "spin.toml: `default` in [variables.db] must be a string"
    );
}
