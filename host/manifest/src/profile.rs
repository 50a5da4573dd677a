//! Profiles of a manifest for platforms that run less than `spin up` does, derived from
//! the manifest's text so that they never drift from it (`tds profile`):
//!
//! - **HTTP-only** ([`ProfileOptions::http_only`]): every `[[trigger.cron]]` is removed.
//!   SpinKube's containerd shim, Fermyon Cloud and Akamai Functions serve HTTP triggers
//!   only (the shim refuses a manifest with a cron trigger); an external scheduler then
//!   calls the components' authenticated routes instead.
//! - **Literal outbound hosts** ([`ProfileOptions::render_hosts`]): every
//!   `allowed_outbound_hosts` entry with `{{ variable }}` expressions is rendered from the
//!   given values, falling back to the variable's `default`, for platforms that take no
//!   expressions there (Fermyon Cloud). A variable with neither is an error naming it.
//!
//! - **Wakes** ([`ProfileOptions::wake`]): how intake wakes a lane's processor
//!   (docs/design.md, "Wakes"). The manifest's own way is Spin's local service chaining
//!   (`http://<component>.spin.internal` in `allowed_outbound_hosts`).
//!   [`WakeProfile::SelfRequest`], for platforms that refuse chaining, sets the `wake`
//!   variable's default to `self`, makes `app_origin` required and puts
//!   `{{ app_origin }}` where the chaining entries were; [`WakeProfile::Off`] sets it to
//!   `off` and removes the chaining entries.
//!
//! Everything else — comments, order, layout — is kept as written (`toml_edit`), and the
//! profile starts with a comment saying how it was made.

use std::collections::BTreeMap;

use toml_edit::{DocumentMut, Item, Value};

use crate::template;

/// What to derive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileOptions {
    /// Remove every cron trigger.
    pub http_only: bool,
    /// Render `allowed_outbound_hosts` expressions with these values (by variable name);
    /// `None` keeps the expressions.
    pub render_hosts: Option<BTreeMap<String, String>>,
    /// How wakes are sent.
    pub wake: WakeProfile,
}

/// How the profile's intake wakes the processors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WakeProfile {
    /// As the manifest says (service chaining).
    #[default]
    Chain,
    /// A request to the application's own public origin (`app_origin`).
    SelfRequest,
    /// No wakes: the cron triggers (or an outside scheduler) drain alone.
    Off,
}

/// The host suffix of Spin's local service chaining.
const CHAINING_SUFFIX: &str = ".spin.internal";

/// The `allowed_outbound_hosts` entry of a self request's origin.
const APP_ORIGIN_ENTRY: &str = "{{ app_origin }}";

/// Why a profile could not be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("the manifest is not valid TOML: {0}")]
    Toml(String),
    #[error(
        "component {component}: allowed_outbound_hosts entry {entry:?} names variable \
         {variable:?}, which has no default: give it a value (--variable {variable}=…)"
    )]
    Unresolved {
        component: String,
        entry: String,
        variable: String,
    },
    #[error("component {component}: allowed_outbound_hosts entry {entry:?}: {message}")]
    BadEntry {
        component: String,
        entry: String,
        message: String,
    },
}

/// The profile of manifest `text` that `options` asks for, headed by `heading` (one or more
/// lines, written as TOML comments).
///
/// ```
/// use tds_manifest::profile::{derive, ProfileOptions};
/// let manifest = "spin_manifest_version = 2\n\
///     [variables]\nhost = { default = \"db:5432\" }\n\
///     [[trigger.cron]]\ncomponent = \"a\"\ncron_expression = \"* * * * * *\"\n\
///     [component.a]\nsource = \"a.wasm\"\nallowed_outbound_hosts = [\"postgres://{{ host }}\"]\n";
/// let options = ProfileOptions { http_only: true, render_hosts: Some(Default::default()), ..Default::default() };
/// let profile = derive(manifest, &options, "made by a doc test").unwrap();
/// assert!(profile.starts_with("# made by a doc test\n"));
/// assert!(!profile.contains("trigger.cron"));
/// assert!(profile.contains("allowed_outbound_hosts = [\"postgres://db:5432\"]"));
/// ```
pub fn derive(text: &str, options: &ProfileOptions, heading: &str) -> Result<String, ProfileError> {
    let mut document: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| ProfileError::Toml(e.to_string()))?;
    if options.http_only {
        remove_cron_triggers(&mut document);
    }
    match options.wake {
        WakeProfile::Chain => {}
        WakeProfile::SelfRequest => {
            set_variable(&mut document, "wake", "default", Value::from("self"));
            set_variable(&mut document, "app_origin", "required", Value::from(true));
            replace_chaining_hosts(&mut document, Some(APP_ORIGIN_ENTRY));
        }
        WakeProfile::Off => {
            set_variable(&mut document, "wake", "default", Value::from("off"));
            replace_chaining_hosts(&mut document, None);
        }
    }
    if let Some(values) = &options.render_hosts {
        let defaults = variable_defaults(&document);
        render_outbound_hosts(&mut document, |name| {
            values.get(name).or_else(|| defaults.get(name)).cloned()
        })?;
    }
    let heading: String = heading.lines().map(|line| format!("# {line}\n")).collect();
    Ok(format!("{heading}{document}"))
}

fn remove_cron_triggers(document: &mut DocumentMut) {
    let Some(triggers) = document.get_mut("trigger").and_then(Item::as_table_like_mut) else {
        return;
    };
    triggers.remove("cron");
}

/// Declares application variable `name` as `{ <key> = value }`, keeping its comments.
fn set_variable(document: &mut DocumentMut, name: &str, key: &str, value: Value) {
    let mut declaration = toml_edit::InlineTable::new();
    declaration.insert(key, value);
    let variables = document["variables"].or_insert(toml_edit::table());
    match variables.get_mut(name) {
        Some(existing) if existing.is_value() => {
            let decor = existing.as_value().map(|v| v.decor().clone());
            *existing = Item::Value(Value::InlineTable(declaration));
            if let (Some(decor), Some(value)) = (decor, existing.as_value_mut()) {
                *value.decor_mut() = decor;
            }
        }
        _ => variables[name] = Item::Value(Value::InlineTable(declaration)),
    }
}

/// Removes every service-chaining entry from each component's `allowed_outbound_hosts`,
/// adding `replacement` once where any was removed.
fn replace_chaining_hosts(document: &mut DocumentMut, replacement: Option<&str>) {
    let edited: Result<(), std::convert::Infallible> = each_outbound_hosts(document, |_, hosts| {
        let before = hosts.len();
        hosts.retain(|entry| !entry.as_str().is_some_and(is_chaining_entry));
        let removed = hosts.len() < before;
        if let Some(replacement) = replacement.filter(|_| removed) {
            if !hosts.iter().any(|entry| entry.as_str() == Some(replacement)) {
                hosts.push(replacement);
            }
        }
        Ok(())
    });
    let Ok(()) = edited;
}

/// Calls `edit` with each component's id and `allowed_outbound_hosts` array (components
/// without one are skipped); the first error stops it.
fn each_outbound_hosts<E>(
    document: &mut DocumentMut,
    mut edit: impl FnMut(&str, &mut toml_edit::Array) -> Result<(), E>,
) -> Result<(), E> {
    let Some(components) = document.get_mut("component").and_then(Item::as_table_like_mut) else {
        return Ok(());
    };
    for (id, component) in components.iter_mut() {
        let hosts = component
            .as_table_like_mut()
            .and_then(|c| c.get_mut("allowed_outbound_hosts"))
            .and_then(Item::as_array_mut);
        if let Some(hosts) = hosts {
            edit(id.get(), hosts)?;
        }
    }
    Ok(())
}

/// `http://<component>.spin.internal`.
fn is_chaining_entry(entry: &str) -> bool {
    entry
        .split_once("://")
        .is_some_and(|(_, host)| host.trim_end_matches('/').ends_with(CHAINING_SUFFIX))
}

/// `[variables]` entries' `default` values.
fn variable_defaults(document: &DocumentMut) -> BTreeMap<String, String> {
    let Some(variables) = document.get("variables").and_then(Item::as_table_like) else {
        return BTreeMap::new();
    };
    variables
        .iter()
        .filter_map(|(name, declaration)| {
            let default = declaration.as_table_like()?.get("default")?.as_str()?;
            Some((name.to_string(), default.to_string()))
        })
        .collect()
}

fn render_outbound_hosts(
    document: &mut DocumentMut,
    resolve: impl Fn(&str) -> Option<String>,
) -> Result<(), ProfileError> {
    each_outbound_hosts(document, |id, hosts| {
        for entry in hosts.iter_mut() {
            let Some(text) = entry.as_str() else { continue };
            let rendered = template::render(text, &resolve).map_err(|e| match e {
                template::TemplateError::Unresolved { name } => ProfileError::Unresolved {
                    component: id.to_string(),
                    entry: text.to_string(),
                    variable: name,
                },
                other => ProfileError::BadEntry {
                    component: id.to_string(),
                    entry: text.to_string(),
                    message: other.to_string(),
                },
            })?;
            if rendered != text {
                let decor = entry.decor().clone();
                *entry = Value::from(rendered);
                *entry.decor_mut() = decor;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"spin_manifest_version = 2
# the variables
[variables]
host = { default = "db:5432" }
origin = { required = true }

[[trigger.http]]
route = "/..."
component = "a"

[[trigger.cron]]
component = "a"
cron_expression = "* * * * * *"

[component.a]
source = "a.wasm"
allowed_outbound_hosts = ["postgres://{{ host }}", "{{ origin }}", "https://fixed.example"]
"#;

    #[test]
    fn http_only_keeps_everything_but_the_cron_triggers() {
        let options = ProfileOptions {
            http_only: true,
            ..ProfileOptions::default()
        };
        let profile = derive(MANIFEST, &options, "generated").unwrap();
        assert!(!profile.contains("cron"), "{profile}");
        assert!(profile.contains("# the variables"), "{profile}");
        assert!(profile.contains("[[trigger.http]]"), "{profile}");
        assert!(profile.contains("\"{{ origin }}\""), "{profile}");
    }

    #[test]
    fn rendering_uses_given_values_then_defaults_and_names_what_is_missing() {
        let mut values = BTreeMap::new();
        let options = |values: &BTreeMap<String, String>| ProfileOptions {
            render_hosts: Some(values.clone()),
            ..ProfileOptions::default()
        };
        let error = derive(MANIFEST, &options(&values), "x").unwrap_err();
        assert!(error.to_string().contains("\"origin\""), "{error}");
        values.insert("origin".into(), "https://api.example".into());
        let profile = derive(MANIFEST, &options(&values), "x").unwrap();
        assert!(profile.contains(
            r#"allowed_outbound_hosts = ["postgres://db:5432", "https://api.example", "https://fixed.example"]"#
        ), "{profile}");
        assert!(profile.contains("[[trigger.cron]]"), "{profile}");
    }

    const CHAINING: &str = r#"spin_manifest_version = 2
[variables]
# how wakes go
wake = { default = "chain" }
app_origin = { default = "" }

[component.intake]
source = "i.wasm"
allowed_outbound_hosts = [
    "postgres://db",
    # wakes
    "http://processor-a.spin.internal",
    "http://processor-b.spin.internal",
]

[component.stats]
source = "s.wasm"
allowed_outbound_hosts = ["postgres://db"]
"#;

    fn with_wake(wake: WakeProfile) -> String {
        let options = ProfileOptions {
            wake,
            ..ProfileOptions::default()
        };
        derive(CHAINING, &options, "x").unwrap()
    }

    #[test]
    fn a_self_wake_profile_asks_for_the_origin_instead_of_chaining() {
        let profile = with_wake(WakeProfile::SelfRequest);
        assert!(!profile.contains("spin.internal"), "{profile}");
        assert!(profile.contains("# how wakes go\nwake = { default = \"self\" }"), "{profile}");
        assert!(profile.contains("app_origin = { required = true }"), "{profile}");
        let document: DocumentMut = profile.parse().unwrap();
        let hosts = |id: &str| -> Vec<String> {
            document["component"][id]["allowed_outbound_hosts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(hosts("intake"), ["postgres://db", "{{ app_origin }}"]);
        assert_eq!(hosts("stats"), ["postgres://db"], "no chaining, nothing added");
    }

    #[test]
    fn a_profile_without_wakes_drops_the_chaining_hosts() {
        let profile = with_wake(WakeProfile::Off);
        assert!(!profile.contains("spin.internal"), "{profile}");
        assert!(!profile.contains("{{ app_origin }}"), "{profile}");
        assert!(profile.contains("wake = { default = \"off\" }"), "{profile}");
        assert_eq!(with_wake(WakeProfile::Chain), format!("# x\n{CHAINING}"));
    }
}
