//! Application variable values, resolved once at start-up.

use std::collections::BTreeMap;
use std::fmt;

use tds_manifest::template::{Template, TemplateError};
use tds_manifest::{Manifest, VariableDecl};

use crate::component::{ComponentVariables, RenderedValue};
use crate::provider::{Sources, Supplied};
use crate::VariablesError;

/// The value of every application variable that has one, by the precedence
/// in the crate documentation. Values are read once, when the resolver is
/// built; later changes to the environment or files are not seen.
#[derive(Clone)]
pub struct Resolver {
    declarations: BTreeMap<String, VariableDecl>,
    values: BTreeMap<String, String>,
    fallbacks: BTreeMap<String, String>,
}

impl Resolver {
    /// Resolves every variable `manifest` declares from `sources`, then the
    /// manifest defaults. Names the sources supply that the manifest does not
    /// declare are ignored, as Spin ignores them.
    pub fn new(manifest: &Manifest, sources: Sources) -> Result<Self, VariablesError> {
        let supplied = Supplied::read(sources)?;
        let mut values = BTreeMap::new();
        for name in manifest.variables.keys() {
            if let Some(value) = supplied.value(name)? {
                values.insert(name.clone(), value);
            }
        }
        Ok(Self {
            declarations: manifest.variables.clone(),
            values,
            fallbacks: BTreeMap::new(),
        })
    }

    /// Supplies `value` for `name` when no source (command line, environment,
    /// `.env`) did; it wins over the manifest default, as a Spin runtime-config
    /// provider does (`tds up` fills `database_url` with its private server and
    /// generates a local `webhook_key` this way). A later call for the same
    /// name replaces the earlier fallback. Has no effect for names the manifest
    /// does not declare.
    pub fn set_fallback(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.fallbacks.insert(name.into(), value.into());
    }

    /// The value of an application variable, or `None` when the manifest does
    /// not declare it or nothing supplied a value.
    pub fn app_value(&self, name: &str) -> Option<String> {
        self.value_of(name).cloned()
    }

    /// Fails naming every `required = true` variable that has no value (Spin
    /// refuses to start in that case).
    pub fn validate_required(&self) -> Result<(), VariablesError> {
        let names: Vec<String> = self
            .declarations
            .iter()
            .filter(|(name, declaration)| declaration.required && self.app_value(name).is_none())
            .map(|(name, _)| name.clone())
            .collect();
        if names.is_empty() {
            Ok(())
        } else {
            Err(VariablesError::MissingRequired { names })
        }
    }

    /// Renders a template over application variables, e.g. an
    /// `allowed_outbound_hosts` entry.
    pub fn render(&self, template: &str) -> Result<String, VariablesError> {
        self.render_parsed(&Template::parse(template).map_err(VariablesError::Template)?)
    }

    /// Renders `[component.<id>.variables]` of `component_id` in `manifest`,
    /// so that each guest `get` is a map read. A value built from a `secret`
    /// variable stays redacted in `Debug` output.
    pub fn component(
        &self,
        manifest: &Manifest,
        component_id: &str,
    ) -> Result<ComponentVariables, VariablesError> {
        let declaration = manifest.components.get(component_id).ok_or_else(|| {
            VariablesError::UnknownComponent {
                id: component_id.to_string(),
            }
        })?;
        let mut values = BTreeMap::new();
        for (name, text) in &declaration.variables {
            let template = Template::parse(text).map_err(VariablesError::Template)?;
            let secret = template
                .variable_names()
                .any(|used| self.declarations.get(used).is_some_and(|d| d.secret));
            let value = self.render_parsed(&template)?;
            values.insert(name.clone(), RenderedValue { value, secret });
        }
        Ok(ComponentVariables::new(component_id.to_string(), values))
    }

    fn render_parsed(&self, template: &Template) -> Result<String, VariablesError> {
        template
            .render(|name| self.app_value(name))
            .map_err(|error| match error {
                TemplateError::Unresolved { name } if self.declarations.contains_key(&name) => {
                    VariablesError::NoValue { name }
                }
                TemplateError::Unresolved { name } => VariablesError::Undeclared { name },
                other => VariablesError::Template(other),
            })
    }
}

impl Resolver {
    /// A source's value, else the host's fallback, else the manifest default.
    fn value_of(&self, name: &str) -> Option<&String> {
        let declaration = self.declarations.get(name)?;
        self.values
            .get(name)
            .or_else(|| self.fallbacks.get(name))
            .or(declaration.default.as_ref())
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: BTreeMap<&str, Option<&str>> = self
            .declarations
            .iter()
            .map(|(name, declaration)| {
                let value = match self.value_of(name) {
                    Some(_) if declaration.secret => Some("<redacted>"),
                    other => other.map(String::as_str),
                };
                (name.as_str(), value)
            })
            .collect();
        f.debug_struct("Resolver").field("values", &shown).finish()
    }
}
