//! The content hash (the canonical document without its version fields) and the
//! idempotency key that makes a redelivery a duplicate; both SHA-256 in lowercase hex.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::version::VERSION_FIELDS;
use super::{EntityId, Operation, SourceVersion};
use crate::canonical::write_object;
use crate::entity::Module;

/// SHA-256 (lowercase hex) of a document's canonical content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentHash(String);

impl ContentHash {
    /// The hash of `document` without its version fields.
    ///
    /// ```
    /// use tds_core::normalize::ContentHash;
    /// let a = serde_json::json!({"name": "Disk", "last_modified_time": "2020-01-01T00:00:00+0000"});
    /// let b = serde_json::json!({"last_modified_time": "2021-05-05T00:00:00+0000", "name": "Disk"});
    /// assert_eq!(ContentHash::of(a.as_object().unwrap()), ContentHash::of(b.as_object().unwrap()));
    /// ```
    pub fn of(document: &Map<String, Value>) -> ContentHash {
        let mut hasher = Sha256::new();
        let is_version = |key: &str| VERSION_FIELDS.iter().any(|(field, _)| *field == key);
        write_object(document, is_version, &mut hasher).expect("hashing cannot fail");
        ContentHash(hex::encode(hasher.finalize()))
    }

    /// A hash read back from the store (an inbox event's), taken as stored.
    pub fn from_stored(hash: String) -> ContentHash {
        ContentHash(hash)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key that makes a redelivery a duplicate (unique in `tds_inbox_events`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn new(
        module: Module,
        entity_id: Option<&EntityId>,
        operation: Operation,
        version: &SourceVersion,
        content_hash: &ContentHash,
    ) -> IdempotencyKey {
        let material = [
            "tds-idempotency-v1",
            module.as_str(),
            entity_id.map(EntityId::as_str).unwrap_or_default(),
            operation.as_str(),
            &version.sql_text().unwrap_or_default(),
            content_hash.as_str(),
        ]
        .join("\n");
        IdempotencyKey(sha256_hex(&material))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes stored by earlier releases must still match: a redelivery of an event stored
    /// before an upgrade is a duplicate only if its hash comes out the same.
    #[test]
    fn the_content_hash_of_a_document_is_stable_across_releases() {
        let document: Value = serde_json::from_str(
            r#"{"name": "Disk \"A\"\n", "rate": 10000.00, "big": 127919000000106780123,
                "exp": -0.5e3, "tags": ["é", null, true, {"z": 1, "a": [] }],
                "last_modified_time": "2026-11-20T10:15:00+0530",
                "updated_time": "2026-11-20T10:15:00+0530",
                "nested": {"updated_time": "kept below the top level", "b": {}, "a": "\u0001"}}"#,
        )
        .unwrap();
        let hash = ContentHash::of(document.as_object().unwrap());
        assert_eq!(
            hash.as_str(),
            "a465c5c935bde765d744cfc65715ccb17f3489b086132b53fb4d2af4f81fd905"
        );
    }
}
