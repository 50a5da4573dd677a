//! Reading a webhook body into one record of a known module.
//!
//! Accepted bodies (Zoho can send any of them):
//! - JSON wrapped in the module's key, `{"item": {...}}` (Zoho's default payload);
//! - a bare JSON object, `{...}`, when the route names the module;
//! - `application/x-www-form-urlencoded` with one field carrying the record as JSON,
//!   named after the wrapper key (`item=...`) or `JSONString` (Zoho's API convention);
//! - `application/x-www-form-urlencoded` flat fields, which become a record of strings,
//!   when the route names the module.
//!
//! On `POST /webhooks/zoho` (no module in the route) the module comes from the wrapper
//! key. An empty body is an empty record when the route names the module (a delete may
//! carry its id in the query alone). Bodies above [`MAX_BODY_BYTES`] are refused before
//! parsing.
//!
//! Zoho sends no event type, so an operator may name the operation next to the record:
//! a top-level `operation` (or `event_type`) beside the wrapper key of a custom JSON body
//! (`{"operation": "delete", "invoice": {...}}`), or a form field of that name beside the
//! field carrying the JSON. It becomes [`Payload::operation_hint`]; fields inside the record
//! are never read as one.

mod body;
mod format;
mod wrapper;

pub use body::{form_pairs, parse, Body};
pub use format::BodyFormat;

use serde_json::{Map, Value};

use crate::entity::Module;

/// The largest body intake reads: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Where in the body the record was found; stored with the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"item": {...}}`
    Wrapped,
    /// `{...}`
    Bare,
    /// A form field carrying the record as JSON.
    FormJson,
    /// Flat form fields.
    FormFields,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Wrapped => "wrapped",
            Shape::Bare => "bare",
            Shape::FormJson => "form_json",
            Shape::FormFields => "form_fields",
        }
    }
}

/// A parsed body: one record of one module.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    pub module: Module,
    pub document: Map<String, Value>,
    pub shape: Shape,
    /// The operation named beside the record, as written (see the module doc).
    pub operation_hint: Option<String>,
}

/// Why a body could not be read. Nothing is stored for these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("media type {0:?} is not accepted; send application/json or application/x-www-form-urlencoded")]
    UnsupportedMediaType(String),
    #[error("the body is empty")]
    Empty,
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("the body must be a JSON object, not {0}")]
    NotAnObject(&'static str),
    #[error("form field {field:?} must carry a JSON object: {reason}")]
    InvalidJsonField { field: String, reason: String },
    #[error("module {0:?} is not one TDS syncs")]
    UnknownModule(String),
    #[error("the body names no module: wrap the record in its module's key (e.g. {{\"invoice\": {{...}}}}) or post to /webhooks/zoho/{{module}}")]
    ModuleNotGiven,
    #[error("the body wraps records of several modules ({0})")]
    AmbiguousModule(String),
}
