//! Spin's template syntax for component variables and `allowed_outbound_hosts`.
//!
//! A template is literal text with `{{ name }}` placeholders. Whitespace inside
//! the braces is optional (`{{name}}` is the same placeholder), a template may
//! hold any number of placeholders, and a lone `}}` is literal text. A `{{`
//! without a closing `}}` is an error, and so is a placeholder whose name breaks
//! the variable-name rule in [`crate::names`].

use crate::names::{check_variable_name, VariableNameError};

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(String),
}

/// What was wrong with a template, or with rendering it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A `{{` has no matching `}}`.
    #[error("template {template:?} opens `{{{{` without a closing `}}}}`")]
    Unclosed {
        /// The template text.
        template: String,
    },
    /// A placeholder names something that cannot be a variable.
    #[error(
        "template {template:?} refers to {name:?}, which is not a valid variable name: {reason}"
    )]
    InvalidName {
        /// The template text.
        template: String,
        /// The text between the braces, trimmed.
        name: String,
        /// Why the name is invalid.
        reason: VariableNameError,
    },
    /// The resolver had no value for a placeholder.
    #[error("no value for variable {name:?}")]
    Unresolved {
        /// The variable with no value.
        name: String,
    },
}

impl Template {
    /// Parses template text.
    ///
    /// ```
    /// use tds_manifest::template::Template;
    ///
    /// let template = Template::parse("postgres://{{ host }}:{{port}}").unwrap();
    /// assert_eq!(template.variable_names().collect::<Vec<_>>(), ["host", "port"]);
    /// assert!(Template::parse("{{ host").is_err());
    /// assert!(Template::parse("{{ Host }}").is_err());
    /// assert!(Template::parse("plain }} text").unwrap().is_literal());
    /// ```
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let after_open = &rest[open + 2..];
            let Some(close) = after_open.find("}}") else {
                return Err(TemplateError::Unclosed {
                    template: text.to_string(),
                });
            };
            let name = after_open[..close].trim();
            check_variable_name(name).map_err(|reason| TemplateError::InvalidName {
                template: text.to_string(),
                name: name.to_string(),
                reason,
            })?;
            parts.push(Part::Variable(name.to_string()));
            rest = &after_open[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// Whether the template has no placeholders.
    pub fn is_literal(&self) -> bool {
        self.parts
            .iter()
            .all(|part| matches!(part, Part::Literal(_)))
    }

    /// The variable names the template refers to, in order of appearance
    /// (a name used twice appears twice).
    pub fn variable_names(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::Variable(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Renders the template, asking `resolve` for each placeholder's value.
    ///
    /// ```
    /// use tds_manifest::template::{Template, TemplateError};
    ///
    /// let template = Template::parse("https://{{ host }}/{{ host }}").unwrap();
    /// let rendered = template.render(|name| (name == "host").then(|| "example.com".to_string()));
    /// assert_eq!(rendered.unwrap(), "https://example.com/example.com");
    ///
    /// let missing = Template::parse("{{ other }}").unwrap().render(|_| None);
    /// assert_eq!(missing, Err(TemplateError::Unresolved { name: "other".into() }));
    /// ```
    pub fn render(
        &self,
        resolve: impl Fn(&str) -> Option<String>,
    ) -> Result<String, TemplateError> {
        let mut rendered = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => rendered.push_str(text),
                Part::Variable(name) => {
                    let value = resolve(name)
                        .ok_or_else(|| TemplateError::Unresolved { name: name.clone() })?;
                    rendered.push_str(&value);
                }
            }
        }
        Ok(rendered)
    }
}

/// Parses and renders `text` in one step.
///
/// ```
/// let value = tds_manifest::template::render("{{user}}@db", |_| Some("app".to_string()));
/// assert_eq!(value.unwrap(), "app@db");
/// ```
pub fn render(
    text: &str,
    resolve: impl Fn(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    Template::parse(text)?.render(resolve)
}

/// The distinct variable names `text` refers to, sorted.
///
/// ```
/// let names = tds_manifest::template::variable_names("{{ b }}-{{ a }}-{{ b }}").unwrap();
/// assert_eq!(names, ["a", "b"]);
/// ```
pub fn variable_names(text: &str) -> Result<Vec<String>, TemplateError> {
    let template = Template::parse(text)?;
    let names: std::collections::BTreeSet<&str> = template.variable_names().collect();
    Ok(names.into_iter().map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_text_around_placeholders_is_kept() {
        let rendered = render("a-{{x}}-b-{{ y }}c", |name| Some(name.to_uppercase())).unwrap();
        assert_eq!(rendered, "a-X-b-Yc");
    }

    #[test]
    fn adjacent_placeholders_render_back_to_back() {
        assert_eq!(render("{{a}}{{b}}", |n| Some(n.to_string())).unwrap(), "ab");
    }

    #[test]
    fn empty_template_renders_empty() {
        assert_eq!(render("", |_| None).unwrap(), "");
        assert!(Template::parse("").unwrap().is_literal());
    }

    #[test]
    fn empty_placeholder_is_an_invalid_name() {
        let error = Template::parse("{{ }}").unwrap_err();
        assert!(matches!(
            error,
            TemplateError::InvalidName {
                reason: VariableNameError::Empty,
                ..
            }
        ));
    }

    #[test]
    fn unclosed_placeholder_after_a_good_one_is_reported() {
        let error = Template::parse("{{ a }} {{ b").unwrap_err();
        assert_eq!(
            error.to_string(),
            "template \"{{ a }} {{ b\" opens `{{` without a closing `}}`"
        );
    }
}
