//! The version-guarded statements of an ERP table and the statements writing its child
//! tables, built from its declaration.
//!
//! Parameters shared by the header statements (all text except the event id, every
//! placeholder cast as real Spin requires):
//! `$1` entity id, `$2` source version (`…::text::timestamptz`), `$3` content hash,
//! `$4` inbox event id (`bigint`); [`upsert`] takes the typed columns from `$5` on, in
//! declaration order. The row's `source_document` is copied from that inbox event in SQL
//! ([`SOURCE_DOCUMENT`]): the document PostgreSQL already holds is never sent back to it.
//!
//! A child table's rows are bound all at once: [`insert_lines`] takes the parent id and one
//! JSON text ([`lines_param`]) that `jsonb_to_recordset` turns into typed rows, so a
//! document's lines cost one statement, not one per line.
//!
//! Row images (`before`/`after` in the audit trail) are `to_jsonb(row) - 'source_document'`
//! as text: the typed columns and bookkeeping, without the document the inbox already
//! holds, plus one key per child table (its [`ChildTable::source`]) holding the child rows
//! in line order, without the parent key.

use serde_json::{Map, Value};

use crate::{ChildTable, ErpTable, MappedRow, LINE_NO};

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

/// The SQL types of [`BOOKKEEPING`], in order.
pub const BOOKKEEPING_TYPES: [&str; 7] = [
    "timestamptz",
    "text",
    "jsonb",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "bigint",
];

/// The `source_document` of a header write: the document of inbox event `$4`, the event
/// being applied.
pub const SOURCE_DOCUMENT: &str =
    "(SELECT e.document FROM tds_inbox_events e WHERE e.id = $4::bigint)";

/// The row image of the header row `t`, as the text column `image`.
fn image(table: &ErpTable) -> String {
    let mut expression = "(to_jsonb(t) - 'source_document')".to_string();
    for child in table.children {
        expression.push_str(&format!(
            " || jsonb_build_object('{source}', (SELECT coalesce(jsonb_agg(to_jsonb(c) - '{key}' ORDER BY c.{LINE_NO}), '[]'::jsonb) \
             FROM {name} c WHERE c.{key} = t.{key}))",
            source = child.source,
            name = child.name,
            key = table.key,
        ));
    }
    format!("({expression})::text AS image")
}

/// Locks the stored row and compares it with the event. Params `$1..$3`. Returns at most
/// one row: `image`, `newer_than_event` (bool: the stored version is newer), `same_content`
/// (bool), `deleted` (bool).
pub fn lock_row(table: &ErpTable) -> String {
    format!(
        "SELECT {image}, t.source_modified_at > $2::text::timestamptz AS newer_than_event, \
         t.content_hash = $3::text AS same_content, t.deleted_at IS NOT NULL AS deleted \
         FROM {name} t WHERE t.{key} = $1::text FOR UPDATE",
        image = image(table),
        name = table.name,
        key = table.key,
    )
}

/// Inserts the row, or overwrites it (un-deleting it) when the stored version is not
/// newer. Params `$1..$4`, then one per typed column. Returns the new image, or no row when
/// the guard kept a newer stored version. A table with child tables returns `written`
/// (true) instead: its child rows are written next, and the image is read once they are
/// ([`image_of`]).
pub fn upsert(table: &ErpTable) -> String {
    let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    let values: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::text::{}", i + 5, c.kind.sql_type()))
        .collect();
    let updates: Vec<String> = names
        .iter()
        .map(|n| format!("{n} = EXCLUDED.{n}"))
        .collect();
    format!(
        "INSERT INTO {name} AS t ({key}, source_modified_at, content_hash, source_document, last_inbox_event_id, {names}) \
         VALUES ($1::text, $2::text::timestamptz, $3::text, {SOURCE_DOCUMENT}, $4::bigint, {values}) \
         ON CONFLICT ({key}) DO UPDATE SET source_modified_at = EXCLUDED.source_modified_at, \
         content_hash = EXCLUDED.content_hash, source_document = EXCLUDED.source_document, \
         last_inbox_event_id = EXCLUDED.last_inbox_event_id, {updates}, deleted_at = NULL, updated_at = now() \
         WHERE t.source_modified_at <= EXCLUDED.source_modified_at \
         RETURNING {returned}",
        returned = if table.children.is_empty() {
            image(table)
        } else {
            "true AS written".to_string()
        },
        name = table.name,
        key = table.key,
        names = names.join(", "),
        values = values.join(", "),
        updates = updates.join(", "),
    )
}

/// Soft-deletes the row when the stored version is not newer; when no row exists, leaves a
/// tombstone so an older event arriving later cannot resurrect the record. Params
/// `$1..$4`. Returns the new image, or no row when nothing changed.
pub fn soft_delete(table: &ErpTable) -> String {
    format!(
        "INSERT INTO {name} AS t ({key}, source_modified_at, content_hash, source_document, last_inbox_event_id, deleted_at) \
         VALUES ($1::text, $2::text::timestamptz, $3::text, {SOURCE_DOCUMENT}, $4::bigint, now()) \
         ON CONFLICT ({key}) DO UPDATE SET deleted_at = now(), source_modified_at = EXCLUDED.source_modified_at, \
         content_hash = EXCLUDED.content_hash, last_inbox_event_id = EXCLUDED.last_inbox_event_id, updated_at = now() \
         WHERE t.deleted_at IS NULL AND t.source_modified_at <= EXCLUDED.source_modified_at \
         RETURNING {image}",
        image = image(table),
        name = table.name,
        key = table.key,
    )
}

/// The row image of the stored row. Param `$1`.
pub fn image_of(table: &ErpTable) -> String {
    format!(
        "SELECT {image} FROM {name} t WHERE t.{key} = $1::text",
        image = image(table),
        name = table.name,
        key = table.key,
    )
}

/// Deletes the child rows of one header row. Param `$1`, the header's id.
pub fn delete_lines(table: &ErpTable, child: &ChildTable) -> String {
    format!(
        "DELETE FROM {name} WHERE {key} = $1::text",
        name = child.name,
        key = table.key,
    )
}

/// Inserts the child rows of one header row. Params `$1`, the header's id, and `$2`, the
/// rows as [`lines_param`] encodes them; each value is typed by the record definition.
pub fn insert_lines(table: &ErpTable, child: &ChildTable) -> String {
    let names: Vec<&str> = child.columns.iter().map(|c| c.name).collect();
    let selected: Vec<String> = names.iter().map(|n| format!("r.{n}")).collect();
    let record: Vec<String> = child
        .columns
        .iter()
        .map(|c| format!("{} {}", c.name, c.kind.sql_type()))
        .collect();
    format!(
        "INSERT INTO {name} ({key}, {LINE_NO}, {names}) \
         SELECT $1::text, r.{LINE_NO}, {selected} \
         FROM jsonb_to_recordset($2::text::jsonb) AS r({LINE_NO} integer, {record})",
        name = child.name,
        key = table.key,
        names = names.join(", "),
        selected = selected.join(", "),
        record = record.join(", "),
    )
}

/// The `$2` of [`insert_lines`]: a JSON array with one object per row, holding its line
/// number (position from 1) and each column's SQL text or `null`.
///
/// ```
/// use tds_erp::{sql::lines_param, pricebooks::PRICE_LIST_ITEMS, MappedRow};
/// let row = MappedRow(vec![Some("9".into()), Some("17".into()), Some("22.50".into())]);
/// let param: serde_json::Value = serde_json::from_str(&lines_param(&PRICE_LIST_ITEMS, &[row])).unwrap();
/// assert_eq!(
///     param,
///     serde_json::json!([{"line_no": 1, "pricebook_item_id": "9", "item_id": "17", "pricebook_rate": "22.50"}])
/// );
/// ```
pub fn lines_param(child: &ChildTable, rows: &[MappedRow]) -> String {
    let rows: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut object = Map::new();
            object.insert(LINE_NO.to_string(), Value::from(i + 1));
            for (column, value) in child.columns.iter().zip(&row.0) {
                object.insert(
                    column.name.to_string(),
                    value.clone().map_or(Value::Null, Value::String),
                );
            }
            Value::Object(object)
        })
        .collect();
    Value::Array(rows).to_string()
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
    use crate::invoices::{INVOICES, INVOICE_LINES};
    use crate::items::ITEMS;
    use crate::TABLES;

    fn statements() -> Vec<String> {
        let mut all = Vec::new();
        for table in TABLES {
            all.extend([
                lock_row(table),
                upsert(table),
                soft_delete(table),
                advance_version(table),
                image_of(table),
            ]);
            for child in table.children {
                all.extend([delete_lines(table, child), insert_lines(table, child)]);
            }
        }
        all
    }

    #[test]
    fn every_placeholder_is_cast_and_numbered_without_gaps() {
        for sql in statements() {
            assert_eq!(
                tds_store::uncast_placeholders(&sql),
                Vec::<String>::new(),
                "{sql}"
            );
            assert!(tds_store::placeholders_without_gaps(&sql), "{sql}");
        }
    }

    #[test]
    fn upsert_binds_every_column_once() {
        let sql = upsert(&ITEMS);
        let last = ITEMS.columns.len() + 4;
        assert!(sql.contains(&format!("${last}::text::")));
        assert!(!sql.contains(&format!("${}::", last + 1)));
        assert!(sql.contains("rate = EXCLUDED.rate"));
        assert!(
            sql.contains("$12::text::numeric"),
            "rate is the 8th column: {sql}"
        );
        assert!(sql.contains("WHERE t.source_modified_at <= EXCLUDED.source_modified_at"));
        assert!(sql.contains(&format!("$3::text, {SOURCE_DOCUMENT}, $4::bigint")));
        assert!(
            sql.ends_with("RETURNING ((to_jsonb(t) - 'source_document'))::text AS image"),
            "{sql}"
        );
    }

    #[test]
    fn a_header_with_children_is_imaged_once_its_lines_are_written() {
        let sql = upsert(&INVOICES);
        assert!(sql.ends_with("RETURNING true AS written"), "{sql}");
        assert!(!sql.contains("jsonb_agg"));
        assert!(image_of(&INVOICES).contains("jsonb_agg"));
    }

    #[test]
    fn images_carry_the_child_rows() {
        assert!(!lock_row(&ITEMS).contains("jsonb_agg"));
        let sql = lock_row(&INVOICES);
        assert!(
            sql.contains("jsonb_build_object('line_items', (SELECT coalesce(jsonb_agg(to_jsonb(c) - 'invoice_id' ORDER BY c.line_no)"),
            "{sql}"
        );
        assert!(sql.contains("FROM erp_invoice_lines c WHERE c.invoice_id = t.invoice_id"));
    }

    #[test]
    fn lines_are_typed_by_the_record_definition() {
        let sql = insert_lines(&INVOICES, &INVOICE_LINES);
        assert!(
            sql.starts_with("INSERT INTO erp_invoice_lines (invoice_id, line_no, line_item_id, ")
        );
        assert!(sql.contains("SELECT $1::text, r.line_no, r.line_item_id, "));
        assert!(sql.contains(
            "jsonb_to_recordset($2::text::jsonb) AS r(line_no integer, line_item_id text, "
        ));
        assert!(sql.contains(", quantity numeric, "));
        assert_eq!(
            delete_lines(&INVOICES, &INVOICE_LINES),
            "DELETE FROM erp_invoice_lines WHERE invoice_id = $1::text"
        );
    }

    #[test]
    fn lines_param_numbers_rows_and_keeps_nulls() {
        let rows = [
            MappedRow(vec![
                Some("1".into()),
                None,
                Some("1234567890.123456789".into()),
            ]),
            MappedRow(vec![Some("2".into()), Some("5".into()), None]),
        ];
        let param: Value =
            serde_json::from_str(&lines_param(&crate::pricebooks::PRICE_LIST_ITEMS, &rows))
                .unwrap();
        assert_eq!(
            param,
            serde_json::json!([
                {"line_no": 1, "pricebook_item_id": "1", "item_id": null, "pricebook_rate": "1234567890.123456789"},
                {"line_no": 2, "pricebook_item_id": "2", "item_id": "5", "pricebook_rate": null}
            ])
        );
    }
}
