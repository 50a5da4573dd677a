//! Zoho invoices → `erp_invoices`, their `line_items` → `erp_invoice_lines`.
//!
//! The id is `invoice_id`; `created_time` becomes `source_created_at`; every other column is
//! the document field of the same name. A line's `discount` is kept as Zoho writes it
//! (an amount, or a percentage like `"10%"`), so it is text.

use tds_core::entity::Module;

use crate::{ChildTable, Column, ErpTable, Kind};

/// The `erp_invoice_lines` table: one row per element of `line_items`.
pub static INVOICE_LINES: ChildTable = ChildTable {
    name: "erp_invoice_lines",
    source: "line_items",
    columns: &[
        Column::new("line_item_id", Kind::Id),
        Column::new("item_id", Kind::Id).refers_to(Module::Items),
        Column::new("item_order", Kind::Integer),
        Column::new("name", Kind::Text),
        Column::new("description", Kind::Text),
        Column::new("sku", Kind::Text),
        Column::new("product_type", Kind::Text),
        Column::new("hsn_or_sac", Kind::Text),
        Column::new("unit", Kind::Text),
        Column::new("quantity", Kind::Decimal),
        Column::new("rate", Kind::Decimal).price(),
        Column::new("bcy_rate", Kind::Decimal),
        Column::new("discount", Kind::Text),
        Column::new("discount_amount", Kind::Decimal),
        Column::new("tax_id", Kind::Id),
        Column::new("tax_name", Kind::Text),
        Column::new("tax_type", Kind::Text),
        Column::new("tax_percentage", Kind::Percent),
        Column::new("item_total", Kind::Decimal),
        Column::new("account_id", Kind::Id),
        Column::new("project_id", Kind::Id),
        Column::new("location_id", Kind::Id),
    ],
};

/// The `erp_invoices` table.
pub static INVOICES: ErpTable = ErpTable {
    module: Module::Invoices,
    name: "erp_invoices",
    key: "invoice_id",
    columns: &[
        Column::new("invoice_number", Kind::Text),
        Column::new("reference_number", Kind::Text),
        Column::new("status", Kind::Text),
        Column::new("date", Kind::Date),
        Column::new("due_date", Kind::Date),
        Column::new("payment_terms", Kind::Integer),
        Column::new("payment_terms_label", Kind::Text),
        Column::new("customer_id", Kind::Id).refers_to(Module::Contacts),
        Column::new("customer_name", Kind::Text),
        Column::new("currency_id", Kind::Id),
        Column::new("currency_code", Kind::Text),
        Column::new("exchange_rate", Kind::Decimal),
        Column::new("is_inclusive_tax", Kind::Boolean),
        Column::new("location_id", Kind::Id),
        Column::new("location_name", Kind::Text),
        Column::new("salesperson_id", Kind::Id),
        Column::new("salesperson_name", Kind::Text),
        Column::new("sub_total", Kind::Decimal),
        Column::new("tax_total", Kind::Decimal),
        Column::new("shipping_charge", Kind::Decimal),
        Column::new("adjustment", Kind::Decimal),
        Column::new("total", Kind::Decimal),
        Column::new("payment_made", Kind::Decimal),
        Column::new("credits_applied", Kind::Decimal),
        Column::new("write_off_amount", Kind::Decimal),
        Column::new("balance", Kind::Decimal),
        Column::new("last_payment_date", Kind::Date),
        Column::from("source_created_at", "created_time", Kind::Timestamp),
    ],
    children: &[&INVOICE_LINES],
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{assert_columns, example};

    fn invoice() -> serde_json::Map<String, serde_json::Value> {
        example(include_str!("../testdata/invoice.json"))
    }

    #[test]
    fn zoho_example_maps() {
        let mapped = INVOICES.map(&invoice()).unwrap();
        assert_columns(
            INVOICES.columns,
            &mapped.row,
            &[
                ("invoice_number", Some("INV-00003")),
                ("reference_number", None),
                ("status", Some("draft")),
                ("date", Some("2013-11-17")),
                ("due_date", Some("2013-12-03")),
                ("payment_terms", Some("15")),
                ("customer_id", Some("982000000567001")),
                ("customer_name", Some("Bowman & Co")),
                ("currency_code", Some("USD")),
                ("exchange_rate", Some("1")),
                ("is_inclusive_tax", Some("false")),
                ("salesperson_id", None),
                ("sub_total", Some("10000.00")),
                ("tax_total", Some("22.6")),
                ("total", Some("10000.00")),
                ("payment_made", Some("26.91")),
                ("credits_applied", Some("22.43")),
                ("balance", Some("40.6")),
                ("last_payment_date", None),
                ("source_created_at", Some("2013-11-18T10:17:40.000000Z")),
            ],
        );
        let lines = mapped.children[0].as_ref().unwrap();
        assert_eq!(lines.len(), 1);
        assert_columns(
            INVOICE_LINES.columns,
            &lines[0],
            &[
                ("line_item_id", Some("982000000567021")),
                ("item_id", Some("982000000030049")),
                ("item_order", Some("1")),
                ("name", Some("Hard Drive")),
                ("unit", None),
                ("quantity", Some("1")),
                ("rate", Some("120")),
                ("discount", Some("0")),
                ("tax_id", Some("982000000557028")),
                ("tax_percentage", Some("12.5")),
                ("item_total", Some("120")),
                ("project_id", Some("90300000087378")),
            ],
        );
    }

    #[test]
    fn a_bad_line_amount_fails_the_document() {
        let mut doc = invoice();
        doc["line_items"][0]["item_total"] = json!("120,00");
        let e = INVOICES.map(&doc).unwrap_err();
        assert_eq!(e.field, "line_items[0].item_total");
        let mut doc = invoice();
        doc["due_date"] = json!("03/12/2013");
        assert_eq!(INVOICES.map(&doc).unwrap_err().field, "due_date");
    }
}
