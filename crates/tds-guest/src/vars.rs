//! Component variables (`[component.x.variables]` in spin.toml), read only through their
//! entries in the registry `tds_core::variables`, which holds each one's default and
//! bounds: no call site names a default. A component sees only the names it declares; an
//! undeclared or empty variable reads as unset, that is as its default.
//!
//! A bad value (or a required variable unset) is never replaced: [`read`] returns the
//! [`VariableError`] naming the variable and saying what to do, and the component refuses
//! the work that needs it, one way per kind of entry point (docs/configuration.md, "A bad
//! value"):
//! - an HTTP route answers 503 `not_configured` with the error as its message
//!   (`HttpError::from`), logged as an error (`internal::serve`, the stats router,
//!   intake's refusal);
//! - a cron invocation logs the error as "not configured", naming the variable, and fails
//!   ([`crate::internal::configured`]).

use tds_core::variables::{Declared, Text, VariableError};

/// The raw value of variable `name` as Spin gives it (`None`: undeclared).
fn raw(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}

/// Variable `variable`, read by its registry entry: its typed value, its default when
/// unset, or the error naming it when its value is bad or it is required and unset.
pub fn read<V: Declared>(variable: &V) -> Result<V::Value, VariableError> {
    variable.parse(raw(variable.name).as_deref())
}

/// Text variable `variable` (no value is bad): its trimmed value, `None` when unset.
pub fn text(variable: &Text) -> Option<String> {
    variable.value(raw(variable.name).as_deref())
}
