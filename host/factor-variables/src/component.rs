//! One component's view of the variables: the names in its own
//! `[component.<id>.variables]`, already rendered.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use tds_manifest::names::check_variable_name;

use crate::GuestError;

/// The rendered `[component.<id>.variables]` of one component. Cloning is
/// cheap (the map is shared), so the host can clone one per request.
#[derive(Clone)]
pub struct ComponentVariables {
    component_id: String,
    values: Arc<BTreeMap<String, RenderedValue>>,
}

#[derive(Clone)]
pub(crate) struct RenderedValue {
    pub(crate) value: String,
    /// Built from at least one `secret` application variable.
    pub(crate) secret: bool,
}

impl ComponentVariables {
    pub(crate) fn new(component_id: String, values: BTreeMap<String, RenderedValue>) -> Self {
        Self {
            component_id,
            values: Arc::new(values),
        }
    }

    /// The component these values belong to.
    pub fn component_id(&self) -> &str {
        &self.component_id
    }

    /// What a guest's `get(name)` returns: `invalid-name` for a name that
    /// breaks Spin's rule, `undefined` for a name this component does not
    /// declare, the value otherwise.
    pub fn lookup(&self, name: &str) -> Result<String, GuestError> {
        check_variable_name(name)
            .map_err(|reason| GuestError::InvalidName(format!("{name:?}: {reason}")))?;
        self.values
            .get(name)
            .map(|rendered| rendered.value.clone())
            .ok_or_else(|| {
                GuestError::Undefined(format!(
                    "no variable {name:?} in [component.{}.variables]",
                    self.component_id
                ))
            })
    }
}

impl fmt::Debug for ComponentVariables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values: BTreeMap<&str, &str> = self
            .values
            .iter()
            .map(|(name, rendered)| {
                let shown = if rendered.secret {
                    "<redacted>"
                } else {
                    rendered.value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("ComponentVariables")
            .field("component_id", &self.component_id)
            .field("values", &values)
            .finish()
    }
}
