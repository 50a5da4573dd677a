//! Spin's naming rules for variables and component ids.
//!
//! - Variable names (`[variables.<name>]`, `[component.x.variables]` keys and
//!   the names a guest asks for) are lower snake case: lowercase ASCII letters,
//!   digits and single underscores between them, starting with a letter and
//!   ending with a letter or digit (`db_url`, `lease_seconds`, `a1_b2`).
//! - Component ids (`[component.<id>]`) are kebab case: words of ASCII letters
//!   and digits joined by single `-`, the first word starting with a letter,
//!   each word all lowercase or all uppercase (`intake`, `processor-sales`).

/// Why a variable name breaks Spin's rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VariableNameError {
    /// The name is the empty string.
    #[error("it is empty")]
    Empty,
    /// The name holds a character other than `a-z`, `0-9` and `_`.
    #[error(
        "it contains {0:?}; variable names may contain only lowercase ASCII letters, digits and underscores"
    )]
    InvalidCharacter(char),
    /// The first character is not a lowercase letter.
    #[error("it must start with a lowercase ASCII letter")]
    BadStart,
    /// The last character is an underscore.
    #[error("it must end with a lowercase ASCII letter or a digit")]
    BadEnd,
    /// Two underscores follow each other.
    #[error("it contains `__`; use single underscores between words")]
    DoubleUnderscore,
}

/// Checks a variable name against Spin's rule.
///
/// ```
/// use tds_manifest::names::{check_variable_name, VariableNameError};
///
/// assert!(check_variable_name("database_url").is_ok());
/// assert!(check_variable_name("a1_b2").is_ok());
/// assert_eq!(check_variable_name("DB"), Err(VariableNameError::InvalidCharacter('D')));
/// assert_eq!(check_variable_name("1db"), Err(VariableNameError::BadStart));
/// assert_eq!(check_variable_name("db_"), Err(VariableNameError::BadEnd));
/// assert_eq!(check_variable_name("db__url"), Err(VariableNameError::DoubleUnderscore));
/// assert_eq!(check_variable_name("db-url"), Err(VariableNameError::InvalidCharacter('-')));
/// ```
pub fn check_variable_name(name: &str) -> Result<(), VariableNameError> {
    let Some(first) = name.chars().next() else {
        return Err(VariableNameError::Empty);
    };
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(VariableNameError::InvalidCharacter(bad));
    }
    if !first.is_ascii_lowercase() {
        return Err(VariableNameError::BadStart);
    }
    if name.ends_with('_') {
        return Err(VariableNameError::BadEnd);
    }
    if name.contains("__") {
        return Err(VariableNameError::DoubleUnderscore);
    }
    Ok(())
}

/// Why a component id breaks Spin's kebab-case rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComponentIdError {
    /// The id is the empty string.
    #[error("it is empty")]
    Empty,
    /// The id uses `_` where Spin expects `-`.
    #[error("words must be separated with '-', not '_'")]
    Underscore,
    /// The id starts or ends with `-`, or holds `--`.
    #[error("'-'-separated words must not be empty")]
    EmptyWord,
    /// A word starts with a character that is not allowed there.
    #[error("the first word must start with an ASCII letter, later words with a letter or digit; got {0:?}")]
    BadWordStart(char),
    /// A character other than an ASCII letter or digit.
    #[error("words may contain only ASCII letters and digits; got {0:?}")]
    InvalidCharacter(char),
    /// A word mixes lowercase and uppercase letters.
    #[error("each word must be all lowercase or all UPPERCASE; got {0:?}")]
    MixedCase(String),
}

/// Checks a component id against Spin's kebab-case rule.
///
/// ```
/// use tds_manifest::names::{check_component_id, ComponentIdError};
///
/// assert!(check_component_id("processor-sales").is_ok());
/// assert!(check_component_id("api-v2").is_ok());
/// assert_eq!(check_component_id("my_comp"), Err(ComponentIdError::Underscore));
/// assert_eq!(check_component_id("a--b"), Err(ComponentIdError::EmptyWord));
/// assert_eq!(check_component_id("2fa"), Err(ComponentIdError::BadWordStart('2')));
/// assert_eq!(check_component_id("myComp"), Err(ComponentIdError::MixedCase("myComp".into())));
/// ```
pub fn check_component_id(id: &str) -> Result<(), ComponentIdError> {
    if id.is_empty() {
        return Err(ComponentIdError::Empty);
    }
    if id.contains('_') {
        return Err(ComponentIdError::Underscore);
    }
    for (index, word) in id.split('-').enumerate() {
        let mut chars = word.chars();
        let Some(first) = chars.next() else {
            return Err(ComponentIdError::EmptyWord);
        };
        if !(first.is_ascii_alphabetic() || (index > 0 && first.is_ascii_digit())) {
            return Err(ComponentIdError::BadWordStart(first));
        }
        let uppercase_word = first.is_ascii_uppercase();
        for c in chars {
            if c.is_ascii_digit() || c == ':' {
                continue;
            }
            if !c.is_ascii_alphanumeric() {
                return Err(ComponentIdError::InvalidCharacter(c));
            }
            if c.is_ascii_uppercase() != uppercase_word {
                return Err(ComponentIdError::MixedCase(word.to_string()));
            }
        }
    }
    Ok(())
}
