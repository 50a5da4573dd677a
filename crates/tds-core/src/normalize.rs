//! From a parsed payload and the request it came in to one inbox event: the entity id,
//! the operation, the source version, the content hash and the idempotency key, plus the
//! reasons an authentic event cannot be applied (those are stored and dead-lettered).
//!
//! - Entity id: the module's id field, as text. JSON numbers keep every digit (ids above
//!   2^53 appear); strings are trimmed. When the document lacks the field, a query
//!   parameter of the same name (`?item_id=…`) supplies it.
//! - Operation: the first of `?operation=`, the `X-Webhook-Operation` header and an
//!   operation named beside the record in the body ([`Payload::operation_hint`]); else the
//!   method (DELETE → delete, POST/PUT → upsert). Names: `delete`/`deleted` → delete;
//!   `create`, `created`, `update`, `updated`, `edit`, `edited`, `upsert`, `create_or_edit`
//!   → upsert; also as the last part of an event name (`invoice.deleted`, `item_created`).
//!   An unknown name makes the event invalid (stored and dead-lettered with the reason).
//! - Source version: `last_modified_time`, else `updated_time`, else the receipt time
//!   (ordering is then by arrival); [`VersionSource`] records which.
//! - Content hash: SHA-256 of the canonical document without its version fields, so a
//!   re-save that changes nothing hashes the same.
//! - Idempotency key: SHA-256 over module, entity id, operation, the document's version
//!   (empty when the version is the receipt time) and the content hash. A redelivery of
//!   the same record is a duplicate. For records without a modification time, a revert to
//!   an exact earlier state is indistinguishable from a redelivery and is treated as one.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::canonical::to_canonical_json;
use crate::entity::Module;
use crate::payload::Payload;
use crate::time::{parse_zoho_timestamp, sql_text};

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

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Create or update the record.
    Upsert,
    /// Soft-delete the record.
    Delete,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Upsert => "upsert",
            Operation::Delete => "delete",
        }
    }

    /// ```
    /// use tds_core::normalize::Operation;
    /// assert_eq!(Operation::from_name("delete"), Some(Operation::Delete));
    /// assert_eq!(Operation::from_name("upsert"), Some(Operation::Upsert));
    /// ```
    pub fn from_name(name: &str) -> Option<Operation> {
        let name = name.trim().to_ascii_lowercase();
        let exact = |word: &str| match word {
            "delete" | "deleted" => Some(Operation::Delete),
            "upsert" | "create" | "created" | "update" | "updated" | "edit" | "edited"
            | "create_or_edit" => Some(Operation::Upsert),
            _ => None,
        };
        exact(&name).or_else(|| {
            let (_, last) = name.rsplit_once(['.', '_', '-', ' ', ':'])?;
            exact(last)
        })
    }

    /// The operation a request asks for: `named` (the first of the query parameter, the
    /// header and the body's hint) when given — an unknown name is an error — else the
    /// method.
    ///
    /// ```
    /// use tds_core::normalize::Operation;
    /// assert_eq!(Operation::from_request("POST", Some("invoice.deleted")), Ok(Operation::Delete));
    /// assert_eq!(Operation::from_request("DELETE", None), Ok(Operation::Delete));
    /// assert!(Operation::from_request("POST", Some("approved")).is_err());
    /// ```
    pub fn from_request(method: &str, named: Option<&str>) -> Result<Operation, String> {
        match named {
            Some(name) => Operation::from_name(name)
                .ok_or_else(|| format!("operation {name:?} is neither an upsert nor a delete")),
            None if method.eq_ignore_ascii_case("DELETE") => Ok(Operation::Delete),
            None => Ok(Operation::Upsert),
        }
    }
}

/// Where an event's source version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSource {
    LastModifiedTime,
    UpdatedTime,
    /// No usable time in the document: the receipt time, so ordering is by arrival.
    ReceivedAt,
}

/// Document fields that carry a version, in order of preference. They are left out of the
/// content hash.
const VERSION_FIELDS: [(&str, VersionSource); 2] = [
    ("last_modified_time", VersionSource::LastModifiedTime),
    ("updated_time", VersionSource::UpdatedTime),
];

impl VersionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionSource::LastModifiedTime => "last_modified_time",
            VersionSource::UpdatedTime => "updated_time",
            VersionSource::ReceivedAt => "received_at",
        }
    }
}

/// An event's version: when the source last changed the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceVersion {
    pub source: VersionSource,
    /// `None` for [`VersionSource::ReceivedAt`]: the database's receipt time stands in.
    pub at: Option<DateTime<Utc>>,
}

impl SourceVersion {
    /// The first version field of `document` that holds a Zoho timestamp.
    pub fn of_document(document: &Map<String, Value>) -> SourceVersion {
        VERSION_FIELDS
            .iter()
            .find_map(|(field, source)| {
                let at = document
                    .get(*field)?
                    .as_str()
                    .and_then(parse_zoho_timestamp)?;
                Some(SourceVersion {
                    source: *source,
                    at: Some(at),
                })
            })
            .unwrap_or(SourceVersion {
                source: VersionSource::ReceivedAt,
                at: None,
            })
    }

    /// The version as text for `$n::text::timestamptz`; `None` means "the receipt time".
    pub fn sql_text(&self) -> Option<String> {
        self.at.as_ref().map(sql_text)
    }
}

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
        let mut content = document.clone();
        for (field, _) in VERSION_FIELDS {
            content.remove(field);
        }
        ContentHash(sha256_hex(&to_canonical_json(&Value::Object(content))))
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

/// The request facts normalisation reads besides the body.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub method: &'a str,
    /// The URL-decoded query pairs.
    pub query: &'a [(String, String)],
    /// The `X-Webhook-Operation` header.
    pub operation_header: Option<&'a str>,
}

impl Delivery<'_> {
    fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One webhook delivery, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub module: Module,
    pub entity_id: Option<EntityId>,
    pub operation: Operation,
    pub version: SourceVersion,
    pub content_hash: ContentHash,
    pub idempotency_key: IdempotencyKey,
    /// Why the event cannot be applied; empty when it can.
    pub invalid_reasons: Vec<String>,
}

impl Event {
    pub fn is_valid(&self) -> bool {
        self.invalid_reasons.is_empty()
    }
}

/// Normalises `payload` as delivered by `delivery`.
pub fn normalize(payload: &Payload, delivery: &Delivery<'_>) -> Event {
    let mut invalid_reasons = Vec::new();
    let id_field = payload.module.spec().id_field;
    let id = match (
        payload.document.get(id_field),
        delivery.query_value(id_field),
    ) {
        (Some(value), _) => EntityId::from_json(value),
        (None, Some(text)) => EntityId::from_text(text),
        (None, None) => Err("is missing".to_string()),
    };
    let entity_id = id
        .map_err(|why| invalid_reasons.push(format!("{id_field} {why}")))
        .ok();
    let named = delivery
        .query_value("operation")
        .or(delivery.operation_header)
        .or(payload.operation_hint.as_deref());
    let operation = Operation::from_request(delivery.method, named).unwrap_or_else(|why| {
        invalid_reasons.push(why);
        Operation::from_request(delivery.method, None).unwrap_or(Operation::Upsert)
    });
    let version = SourceVersion::of_document(&payload.document);
    let content_hash = ContentHash::of(&payload.document);
    let idempotency_key = IdempotencyKey::new(
        payload.module,
        entity_id.as_ref(),
        operation,
        &version,
        &content_hash,
    );
    Event {
        module: payload.module,
        entity_id,
        operation,
        version,
        content_hash,
        idempotency_key,
        invalid_reasons,
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::payload::Shape;

    fn payload(document: Value) -> Payload {
        Payload {
            module: Module::Items,
            document: document.as_object().unwrap().clone(),
            shape: Shape::Bare,
            operation_hint: None,
        }
    }

    fn post(document: Value) -> Event {
        normalize(
            &payload(document),
            &Delivery {
                method: "POST",
                query: &[],
                operation_header: None,
            },
        )
    }

    #[test]
    fn item_normalises() {
        let doc: Value =
            serde_json::from_str(r#"{"item_id": 45667789900, "name": "Hard Drive", "rate": 120}"#)
                .unwrap();
        let e = post(doc);
        assert!(e.is_valid(), "{:?}", e.invalid_reasons);
        assert_eq!(e.entity_id.unwrap().as_str(), "45667789900");
        assert_eq!(e.operation, Operation::Upsert);
        assert_eq!(e.version.source, VersionSource::ReceivedAt);
        assert_eq!(e.content_hash.as_str().len(), 64);
    }

    #[test]
    fn id_above_2_pow_53_keeps_its_digits() {
        let doc: Value = serde_json::from_str(r#"{"item_id": 9007199254740993123}"#).unwrap();
        assert_eq!(post(doc).entity_id.unwrap().as_str(), "9007199254740993123");
    }

    #[test]
    fn missing_or_bad_ids_make_the_event_invalid() {
        assert_eq!(
            post(json!({"name": "x"})).invalid_reasons,
            ["item_id is missing"]
        );
        assert_eq!(
            post(json!({"item_id": " "})).invalid_reasons,
            ["item_id is blank"]
        );
        assert_eq!(
            post(json!({"item_id": -4})).invalid_reasons,
            ["item_id is the number -4, not an integer id"]
        );
        assert!(!post(json!({"item_id": {"a": 1}})).is_valid());
        assert!(!post(json!({"item_id": "x".repeat(129)})).is_valid());
    }

    #[test]
    fn id_may_come_from_the_query() {
        let query = [("item_id".to_string(), "77".to_string())];
        let e = normalize(
            &payload(json!({})),
            &Delivery {
                method: "DELETE",
                query: &query,
                operation_header: None,
            },
        );
        assert!(e.is_valid());
        assert_eq!(
            (e.entity_id.unwrap().as_str(), e.operation),
            ("77", Operation::Delete)
        );
    }

    #[test]
    fn operation_from_query_or_method() {
        let doc = json!({"item_id": "1"});
        let query = [("operation".to_string(), "deleted".to_string())];
        assert_eq!(
            normalize(
                &payload(doc.clone()),
                &Delivery {
                    method: "POST",
                    query: &query,
                    operation_header: None,
                }
            )
            .operation,
            Operation::Delete
        );
        assert_eq!(
            normalize(
                &payload(doc.clone()),
                &Delivery {
                    method: "PUT",
                    query: &[],
                    operation_header: None,
                }
            )
            .operation,
            Operation::Upsert
        );
        let query = [("operation".to_string(), "archive".to_string())];
        let e = normalize(
            &payload(doc),
            &Delivery {
                method: "DELETE",
                query: &query,
                operation_header: None,
            },
        );
        assert_eq!(e.operation, Operation::Delete);
        assert_eq!(
            e.invalid_reasons,
            [r#"operation "archive" is neither an upsert nor a delete"#]
        );
    }

    #[test]
    fn version_prefers_last_modified_time() {
        let e = post(
            json!({"item_id": "1", "updated_time": "2020-01-01T00:00:00+0000", "last_modified_time": "2013-11-18T02:17:40-0800"}),
        );
        assert_eq!(e.version.source, VersionSource::LastModifiedTime);
        assert_eq!(e.version.sql_text().unwrap(), "2013-11-18T10:17:40.000000Z");
        let e = post(
            json!({"item_id": "1", "last_modified_time": "string", "updated_time": "2020-01-01T00:00:00+0000"}),
        );
        assert_eq!(e.version.source, VersionSource::UpdatedTime);
        let e = post(json!({"item_id": "1", "last_modified_time": "string"}));
        assert_eq!(
            (e.version.source, e.version.sql_text()),
            (VersionSource::ReceivedAt, None)
        );
    }

    #[test]
    fn idempotency_key_tracks_version_content_and_operation() {
        let a = post(
            json!({"item_id": "1", "name": "a", "last_modified_time": "2020-01-01T00:00:00+0000"}),
        );
        let same = post(
            json!({"name": "a", "item_id": "1", "last_modified_time": "2020-01-01T00:00:00+0000"}),
        );
        let newer = post(
            json!({"item_id": "1", "name": "a", "last_modified_time": "2020-01-01T00:00:01+0000"}),
        );
        let other = post(
            json!({"item_id": "1", "name": "b", "last_modified_time": "2020-01-01T00:00:00+0000"}),
        );
        assert_eq!(a.idempotency_key, same.idempotency_key);
        assert_eq!(a.content_hash, newer.content_hash);
        assert_ne!(a.idempotency_key, newer.idempotency_key);
        assert_ne!(a.idempotency_key, other.idempotency_key);
        let deleted = normalize(
            &payload(
                json!({"item_id": "1", "name": "a", "last_modified_time": "2020-01-01T00:00:00+0000"}),
            ),
            &Delivery {
                method: "DELETE",
                query: &[],
                operation_header: None,
            },
        );
        assert_ne!(a.idempotency_key, deleted.idempotency_key);
    }
}
