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
}

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
/// let options = ProfileOptions { http_only: true, render_hosts: Some(Default::default()) };
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
    let Some(components) = document.get_mut("component").and_then(Item::as_table_like_mut) else {
        return Ok(());
    };
    for (id, component) in components.iter_mut() {
        let Some(hosts) = component
            .as_table_like_mut()
            .and_then(|c| c.get_mut("allowed_outbound_hosts"))
            .and_then(Item::as_array_mut)
        else {
            continue;
        };
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
    }
    Ok(())
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
            render_hosts: None,
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
            http_only: false,
            render_hosts: Some(values.clone()),
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
}
