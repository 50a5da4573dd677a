//! Component variables (`[component.x.variables]` in spin.toml). A component sees only
//! the names it declares; an undeclared or empty variable reads as unset.

use std::str::FromStr;

/// The trimmed value of `name`, or `None` when it is unset, empty or undeclared.
pub fn get(name: &str) -> Option<String> {
    spin_sdk::variables::get(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The trimmed value of `name`, or an error naming it when it is unset, empty or
/// undeclared.
pub fn required(name: &str) -> Result<String, String> {
    get(name).ok_or_else(|| format!("variable {name} is not set"))
}

/// `name` parsed as a number, `default` when unset; an unparsable or non-positive value is
/// an error naming the variable.
pub fn positive<T>(name: &str, default: T) -> Result<T, String>
where
    T: FromStr + PartialOrd + Default,
{
    match get(name) {
        None => Ok(default),
        Some(text) => match text.parse::<T>() {
            Ok(n) if n > T::default() => Ok(n),
            _ => Err(format!(
                "variable {name} must be a positive number, not {text:?}"
            )),
        },
    }
}
