//! The entity id: a record's id in its module, as text, read from a JSON string or an
//! integer number (every digit kept) or from query text.

use std::fmt;

use serde_json::Value;

/// The longest entity id accepted.
pub const MAX_ENTITY_ID_LEN: usize = 128;

/// A record's id in its module, as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(String);

impl EntityId {
    /// The id a JSON value holds: a string, or an integer number written in digits.
    ///
    /// ```
    /// use tds_core::normalize::EntityId;
    /// let big: serde_json::Value = serde_json::from_str("127919000000106780").unwrap();
    /// assert_eq!(EntityId::from_json(&big).unwrap().as_str(), "127919000000106780");
    /// assert!(EntityId::from_json(&serde_json::json!(1.5)).is_err());
    /// ```
    pub fn from_json(value: &Value) -> Result<EntityId, String> {
        match value {
            Value::String(s) => EntityId::from_text(s),
            Value::Number(n) => {
                let digits = n.to_string();
                if digits.bytes().all(|b| b.is_ascii_digit()) {
                    EntityId::from_text(&digits)
                } else {
                    Err(format!("is the number {digits}, not an integer id"))
                }
            }
            Value::Null => Err("is null".to_string()),
            other => Err(format!(
                "is {}, not a string or number",
                if other.is_object() {
                    "an object"
                } else {
                    "not a scalar"
                }
            )),
        }
    }

    /// The id `text` holds once trimmed: non-empty, at most [`MAX_ENTITY_ID_LEN`]
    /// characters, no control characters.
    pub fn from_text(text: &str) -> Result<EntityId, String> {
        let text = text.trim();
        if text.is_empty() {
            Err("is blank".to_string())
        } else if text.chars().count() > MAX_ENTITY_ID_LEN {
            Err(format!("is longer than {MAX_ENTITY_ID_LEN} characters"))
        } else if text.chars().any(char::is_control) {
            Err("contains control characters".to_string())
        } else {
            Ok(EntityId(text.to_string()))
        }
    }

    /// An id read back from the store (a queue row's), taken as stored: it was built here
    /// when its event came in, and must keep naming the row it names.
    pub fn from_stored(text: String) -> EntityId {
        EntityId(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
