//! The module a body names by its wrapper key (`{"invoice": {...}}`), for the route that
//! names no module.

use serde_json::{Map, Value};

use super::PayloadError;
use crate::entity::Module;

/// The one known module whose wrapper key holds an object in `object`.
pub(super) fn module_of_wrapped(object: &Map<String, Value>) -> Result<Module, PayloadError> {
    let mut found: Vec<Module> = object
        .iter()
        .filter(|(_, v)| v.is_object())
        .filter_map(|(k, _)| Module::from_wrapper_key(k))
        .collect();
    found.dedup();
    match found.as_slice() {
        [module] => Ok(*module),
        [] => match object.iter().next() {
            Some((key, Value::Object(_))) if object.len() == 1 => {
                Err(PayloadError::UnknownModule(key.clone()))
            }
            _ => Err(PayloadError::ModuleNotGiven),
        },
        several => Err(PayloadError::AmbiguousModule(
            several
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{parse, BodyFormat, Payload};

    fn json(body: &str, module: Option<Module>) -> Result<Payload, PayloadError> {
        parse(BodyFormat::Json, body.as_bytes(), module)
    }

    #[test]
    fn bare_route_names_unknown_and_ambiguous_modules() {
        assert_eq!(
            json(r#"{"widget": {"widget_id": 1}}"#, None),
            Err(PayloadError::UnknownModule("widget".into()))
        );
        let e = json(r#"{"item": {}, "bill": {}}"#, None).unwrap_err();
        assert!(matches!(e, PayloadError::AmbiguousModule(_)));
    }

    #[test]
    fn payment_wrappers_pick_their_module() {
        assert_eq!(
            json(r#"{"payment": {"payment_id": "1"}}"#, None)
                .unwrap()
                .module,
            Module::CustomerPayments
        );
        assert_eq!(
            json(r#"{"vendorpayment": {"payment_id": "1"}}"#, None)
                .unwrap()
                .module,
            Module::VendorPayments
        );
    }
}
