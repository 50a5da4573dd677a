//! The guest-facing `fermyon:spin/variables@2.0.0` `get`.

use crate::bindings::fermyon::spin::variables::{Error, Host};
use crate::component::ComponentVariables;

impl Host for ComponentVariables {
    /// `invalid-name` when `name` breaks Spin's variable-name rule,
    /// `undefined` when this component's `[component.<id>.variables]` does not
    /// list it, the rendered value otherwise.
    fn get(&mut self, name: String) -> Result<String, Error> {
        self.lookup(&name)
    }
}
