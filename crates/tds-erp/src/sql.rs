//! The version-guarded statements of an ERP table, built from its declaration.
//!
//! Parameters shared by every statement (all text except the event id, every placeholder
//! cast as real Spin requires):
//! `$1` entity id, `$2` source version (`…::text::timestamptz`), `$3` content hash,
//! `$4` source document (`…::text::jsonb`), `$5` inbox event id (`bigint`);
//! [`upsert`] takes the typed columns from `$6` on, in declaration order.
//!
//! Row images (`before`/`after` in the audit trail) are `to_jsonb(row) - 'source_document'`
//! as text: the typed columns and bookkeeping, without the document the inbox already holds.

use crate::ErpTable;

/// Bookkeeping columns every ERP table has besides its key and typed columns.
pub const BOOKKEEPING: [&str; 7] = [
    "source_modified_at",
    "content_hash",
    "source_document",
    "deleted_at",
    "created_at",
    "updated_at",
    "last_inbox_event_id",
];

const IMAGE: &str = "(to_jsonb(t) - 'source_document')::text";

/// Locks the stored row and compares it with the event. Params `$1..$3`. Returns at most
/// one row: image, stored version newer than the event (bool), same content (bool),
/// deleted (bool).
pub fn lock_row(table: &ErpTable) -> String {
    format!(
        "SELECT {IMAGE}, t.source_modified_at > $2::text::timestamptz, t.content_hash = $3::text, t.deleted_at IS NOT NULL \
         FROM {name} t WHERE t.{key} = $1::text FOR UPDATE",
        name = table.name,
        key = table.key,
    )
}

/// Inserts the row, or overwrites it (un-deleting it) when the stored version is not
/// newer. Params `$1..$5`, then one per typed column. Returns the new image, or no row
/// when the guard kept a newer stored version.
pub fn upsert(table: &ErpTable) -> String {
    let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    let values: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::text::{}", i + 6, c.kind.sql_type()))
        .collect();
    let updates: Vec<String> = names
        .iter()
        .map(|n| format!("{n} = EXCLUDED.{n}"))
        .collect();
    format!(
        "INSERT INTO {name} AS t ({key}, source_modified_at, content_hash, source_document, last_inbox_event_id, {names}) \
         VALUES ($1::text, $2::text::timestamptz, $3::text, $4::text::jsonb, $5::bigint, {values}) \
         ON CONFLICT ({key}) DO UPDATE SET source_modified_at = EXCLUDED.source_modified_at, \
         content_hash = EXCLUDED.content_hash, source_document = EXCLUDED.source_document, \
         last_inbox_event_id = EXCLUDED.last_inbox_event_id, {updates}, deleted_at = NULL, updated_at = now() \
         WHERE t.source_modified_at <= EXCLUDED.source_modified_at \
         RETURNING {IMAGE}",
        name = table.name,
        key = table.key,
        names = names.join(", "),
        values = values.join(", "),
        updates = updates.join(", "),
    )
}

/// Soft-deletes the row when the stored version is not newer; when no row exists, leaves a
/// tombstone so an older event arriving later cannot resurrect the record. Params
/// `$1..$5`. Returns the new image, or no row when nothing changed.
pub fn soft_delete(table: &ErpTable) -> String {
    format!(
        "INSERT INTO {name} AS t ({key}, source_modified_at, content_hash, source_document, last_inbox_event_id, deleted_at) \
         VALUES ($1::text, $2::text::timestamptz, $3::text, $4::text::jsonb, $5::bigint, now()) \
         ON CONFLICT ({key}) DO UPDATE SET deleted_at = now(), source_modified_at = EXCLUDED.source_modified_at, \
         content_hash = EXCLUDED.content_hash, last_inbox_event_id = EXCLUDED.last_inbox_event_id, updated_at = now() \
         WHERE t.deleted_at IS NULL AND t.source_modified_at <= EXCLUDED.source_modified_at \
         RETURNING {IMAGE}",
        name = table.name,
        key = table.key,
    )
}

/// Moves the stored version forward for an event whose content is unchanged, so a later
/// but older event cannot overwrite it. Params `$1`, `$2`.
pub fn advance_version(table: &ErpTable) -> String {
    format!(
        "UPDATE {name} SET source_modified_at = $2::text::timestamptz \
         WHERE {key} = $1::text AND source_modified_at < $2::text::timestamptz",
        name = table.name,
        key = table.key,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::ITEMS;

    #[test]
    fn every_placeholder_is_cast() {
        for sql in [
            lock_row(&ITEMS),
            upsert(&ITEMS),
            soft_delete(&ITEMS),
            advance_version(&ITEMS),
        ] {
            assert_eq!(
                tds_store::uncast_placeholders(&sql),
                Vec::<String>::new(),
                "{sql}"
            );
        }
    }

    #[test]
    fn upsert_binds_every_column_once() {
        let sql = upsert(&ITEMS);
        let last = ITEMS.columns.len() + 5;
        assert!(sql.contains(&format!("${last}::text::")));
        assert!(!sql.contains(&format!("${}::", last + 1)));
        assert!(sql.contains("rate = EXCLUDED.rate"));
        assert!(
            sql.contains("$13::text::numeric"),
            "rate is the 8th column: {sql}"
        );
        assert!(sql.contains("WHERE t.source_modified_at <= EXCLUDED.source_modified_at"));
    }
}
