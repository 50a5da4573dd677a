//! Normalisation end to end: ids, operations, versions, content hashes and idempotency
//! keys as [`normalize`] derives them from a payload and its delivery.

use serde_json::{json, Value};

use super::*;
use crate::entity::Module;
use crate::payload::{Payload, Shape};

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
