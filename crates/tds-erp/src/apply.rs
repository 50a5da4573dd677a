//! What one event does to the stored ERP row, decided from the locked row's state.
//!
//! | operation | stored row | plan |
//! |---|---|---|
//! | any | newer version than the event | [`Plan::Stale`]: nothing changes |
//! | upsert | none | [`Plan::Write`] (insert) |
//! | upsert | same content, not deleted | [`Plan::Unchanged`]: only the version moves forward |
//! | upsert | otherwise | [`Plan::Write`] (update, un-deleting) |
//! | delete | none | [`Plan::SoftDelete`] (a tombstone) |
//! | delete | already deleted | [`Plan::Unchanged`] |
//! | delete | otherwise | [`Plan::SoftDelete`] |
//!
//! "Newer" is strict: an event as new as the stored row is applied (the latest delivery of
//! the same version wins).

use serde_json::Value;
use tds_core::normalize::Operation;

/// The stored row as [`crate::sql::lock_row`] reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRow {
    pub image: Value,
    pub newer_than_event: bool,
    pub same_content: bool,
    pub deleted: bool,
}

/// What to do with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Write,
    SoftDelete,
    Unchanged,
    Stale,
}

/// The plan for `operation` against `stored`.
///
/// ```
/// use tds_erp::apply::{plan, Plan};
/// use tds_core::normalize::Operation;
/// assert_eq!(plan(Operation::Upsert, None), Plan::Write);
/// assert_eq!(plan(Operation::Delete, None), Plan::SoftDelete);
/// ```
pub fn plan(operation: Operation, stored: Option<&StoredRow>) -> Plan {
    match (operation, stored) {
        (Operation::Upsert, None) => Plan::Write,
        (Operation::Delete, None) => Plan::SoftDelete,
        (_, Some(s)) if s.newer_than_event => Plan::Stale,
        (Operation::Upsert, Some(s)) if s.same_content && !s.deleted => Plan::Unchanged,
        (Operation::Upsert, Some(_)) => Plan::Write,
        (Operation::Delete, Some(s)) if s.deleted => Plan::Unchanged,
        (Operation::Delete, Some(_)) => Plan::SoftDelete,
    }
}

/// The audit action of a change that happened.
pub fn audit_action(plan: Plan, had_row: bool) -> &'static str {
    match (plan, had_row) {
        (Plan::SoftDelete, _) => "delete",
        (_, false) => "insert",
        _ => "update",
    }
}

/// Columns whose change is bookkeeping, not content.
const NOT_CONTENT: [&str; 5] = [
    "created_at",
    "updated_at",
    "last_inbox_event_id",
    "source_modified_at",
    "content_hash",
];

/// The fields that differ between two row images, sorted; for an insert, every field with a
/// value. A changed content hash with no typed column changed reports `source_document`
/// (a field only the source document holds changed).
///
/// ```
/// use serde_json::json;
/// let before = json!({"item_id": "1", "rate": "10", "name": "a", "content_hash": "h1", "updated_at": "x"});
/// let after = json!({"item_id": "1", "rate": "12", "name": "a", "content_hash": "h2", "updated_at": "y"});
/// assert_eq!(tds_erp::apply::changed_fields(Some(&before), &after), ["rate"]);
/// ```
pub fn changed_fields(before: Option<&Value>, after: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let before_fields = before.and_then(Value::as_object).unwrap_or(&empty);
    let after_fields = after.as_object().unwrap_or(&empty);
    let mut changed: Vec<String> = after_fields
        .iter()
        .filter(|(k, _)| !NOT_CONTENT.contains(&k.as_str()))
        .filter(|(k, v)| before_fields.get(*k).unwrap_or(&Value::Null) != *v)
        .map(|(k, _)| k.clone())
        .collect();
    if changed.is_empty() && before_fields.get("content_hash") != after_fields.get("content_hash") {
        changed.push("source_document".to_string());
    }
    changed.sort();
    changed
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stored(newer: bool, same: bool, deleted: bool) -> StoredRow {
        StoredRow {
            image: json!({}),
            newer_than_event: newer,
            same_content: same,
            deleted,
        }
    }

    #[test]
    fn plans() {
        use Operation::{Delete, Upsert};
        assert_eq!(plan(Upsert, Some(&stored(true, false, false))), Plan::Stale);
        assert_eq!(plan(Delete, Some(&stored(true, false, false))), Plan::Stale);
        assert_eq!(
            plan(Upsert, Some(&stored(false, true, false))),
            Plan::Unchanged
        );
        assert_eq!(plan(Upsert, Some(&stored(false, true, true))), Plan::Write);
        assert_eq!(plan(Upsert, Some(&stored(false, false, true))), Plan::Write);
        assert_eq!(
            plan(Upsert, Some(&stored(false, false, false))),
            Plan::Write
        );
        assert_eq!(
            plan(Delete, Some(&stored(false, false, true))),
            Plan::Unchanged
        );
        assert_eq!(
            plan(Delete, Some(&stored(false, true, false))),
            Plan::SoftDelete
        );
    }

    #[test]
    fn audit_actions() {
        assert_eq!(audit_action(Plan::Write, false), "insert");
        assert_eq!(audit_action(Plan::Write, true), "update");
        assert_eq!(audit_action(Plan::SoftDelete, false), "delete");
    }

    #[test]
    fn insert_reports_fields_with_values() {
        let after = json!({"item_id": "1", "name": "a", "sku": null, "deleted_at": null, "created_at": "t", "content_hash": "h"});
        assert_eq!(changed_fields(None, &after), ["item_id", "name"]);
    }

    #[test]
    fn document_only_change_is_reported() {
        let before = json!({"item_id": "1", "content_hash": "h1", "updated_at": "a"});
        let after = json!({"item_id": "1", "content_hash": "h2", "updated_at": "b"});
        assert_eq!(changed_fields(Some(&before), &after), ["source_document"]);
        let delete = json!({"item_id": "1", "content_hash": "h3", "deleted_at": "2024-01-01"});
        assert_eq!(changed_fields(Some(&before), &delete), ["deleted_at"]);
    }
}
