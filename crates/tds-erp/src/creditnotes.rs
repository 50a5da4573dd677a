//! Zoho credit notes → `erp_credit_notes`, their `line_items` → `erp_credit_note_lines`.
//!
//! The id is `creditnote_id`; `created_time` becomes `source_created_at`; every other
//! column is the document field of the same name. A line's `discount` is kept as Zoho
//! writes it (an amount or a percentage), so it is text. The invoices a credit note is
//! applied to stay in the source document.

use tds_core::entity::Module;

use crate::{ChildTable, Column, ErpTable, Kind};

/// The `erp_credit_note_lines` table: one row per element of `line_items`.
pub static CREDIT_NOTE_LINES: ChildTable = ChildTable {
    name: "erp_credit_note_lines",
    source: "line_items",
    columns: &[
        Column::new("line_item_id", Kind::Id),
        Column::new("item_id", Kind::Id).refers_to(Module::Items),
        Column::new("item_order", Kind::Integer),
        Column::new("name", Kind::Text),
        Column::new("description", Kind::Text),
        Column::new("product_type", Kind::Text),
        Column::new("hsn_or_sac", Kind::Text),
        Column::new("unit", Kind::Text),
        Column::new("quantity", Kind::Decimal),
        Column::new("rate", Kind::Decimal).price(),
        Column::new("discount", Kind::Text),
        Column::new("tax_id", Kind::Id),
        Column::new("tax_name", Kind::Text),
        Column::new("tax_percentage", Kind::Percent),
        Column::new("item_total", Kind::Decimal),
        Column::new("account_id", Kind::Id),
        Column::new("project_id", Kind::Id),
        Column::new("location_id", Kind::Id),
    ],
};

/// The `erp_credit_notes` table.
pub static CREDIT_NOTES: ErpTable = ErpTable {
    module: Module::CreditNotes,
    name: "erp_credit_notes",
    key: "creditnote_id",
    columns: &[
        Column::new("creditnote_number", Kind::Text),
        Column::new("reference_number", Kind::Text),
        Column::new("status", Kind::Text),
        Column::new("date", Kind::Date),
        Column::new("customer_id", Kind::Id).refers_to(Module::Contacts),
        Column::new("customer_name", Kind::Text),
        Column::new("currency_id", Kind::Id),
        Column::new("currency_code", Kind::Text),
        Column::new("exchange_rate", Kind::Decimal),
        Column::new("is_inclusive_tax", Kind::Boolean),
        Column::new("location_id", Kind::Id),
        Column::new("sub_total", Kind::Decimal),
        Column::new("tax_total", Kind::Decimal),
        Column::new("total", Kind::Decimal),
        Column::new("balance", Kind::Decimal),
        Column::from("source_created_at", "created_time", Kind::Timestamp),
    ],
    children: &[&CREDIT_NOTE_LINES],
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{assert_columns, example};

    fn credit_note() -> serde_json::Map<String, serde_json::Value> {
        example(include_str!("../testdata/creditnote.json"))
    }

    #[test]
    fn zoho_example_maps() {
        let mapped = CREDIT_NOTES.map(&credit_note()).unwrap();
        assert_columns(
            CREDIT_NOTES.columns,
            &mapped.row,
            &[
                ("creditnote_number", Some("CN-29")),
                ("reference_number", Some("INV-384")),
                ("status", Some("draft")),
                ("date", Some("2016-06-05")),
                ("customer_id", Some("903000000000099")),
                ("customer_name", Some("Bowman Furniture")),
                ("currency_code", Some("USD")),
                ("exchange_rate", None),
                ("total", Some("450")),
                ("balance", Some("10")),
                ("source_created_at", Some("2016-06-05T09:30:08.000000Z")),
            ],
        );
        let lines = mapped.children[0].as_ref().unwrap();
        assert_eq!(lines.len(), 1);
        assert_columns(
            CREDIT_NOTE_LINES.columns,
            &lines[0],
            &[
                ("line_item_id", Some("903000006245")),
                ("item_id", Some("90300000081501")),
                ("account_id", Some("903000000000388")),
                ("item_order", Some("0")),
                ("name", Some("Basic Monthly")),
                ("quantity", Some("1")),
                ("rate", Some("0")),
                ("discount", Some("10")),
                ("unit", Some("kgs")),
                ("hsn_or_sac", Some("80540")),
                ("item_total", None),
            ],
        );
    }

    #[test]
    fn a_fractional_line_order_is_refused() {
        let mut doc = credit_note();
        doc["line_items"][0]["item_order"] = json!(1.5);
        let e = CREDIT_NOTES.map(&doc).unwrap_err();
        assert_eq!(e.field, "line_items[0].item_order");
    }
}
