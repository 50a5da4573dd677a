//! Zoho purchase orders → `erp_purchase_orders`, their `line_items` →
//! `erp_purchase_order_lines`.
//!
//! The id is `purchaseorder_id`; `created_time` becomes `source_created_at`; every other
//! column is the document field of the same name.

use tds_core::entity::Module;

use crate::{ChildTable, Column, ErpTable, Kind};

/// The `erp_purchase_order_lines` table: one row per element of `line_items`.
pub static PURCHASE_ORDER_LINES: ChildTable = ChildTable {
    name: "erp_purchase_order_lines",
    source: "line_items",
    columns: &[
        Column::new("line_item_id", Kind::Id),
        Column::new("item_id", Kind::Id).refers_to(Module::Items),
        Column::new("item_order", Kind::Integer),
        Column::new("sku", Kind::Text),
        Column::new("name", Kind::Text),
        Column::new("description", Kind::Text),
        Column::new("account_id", Kind::Id),
        Column::new("account_name", Kind::Text),
        Column::new("product_type", Kind::Text),
        Column::new("hsn_or_sac", Kind::Text),
        Column::new("unit", Kind::Text),
        Column::new("quantity", Kind::Decimal),
        Column::new("quantity_received", Kind::Decimal),
        Column::new("quantity_billed", Kind::Decimal),
        Column::new("rate", Kind::Decimal).price(),
        Column::new("bcy_rate", Kind::Decimal),
        Column::new("tax_id", Kind::Id),
        Column::new("tax_name", Kind::Text),
        Column::new("tax_percentage", Kind::Percent),
        Column::new("item_total", Kind::Decimal),
        Column::new("project_id", Kind::Id),
        Column::new("location_id", Kind::Id),
    ],
};

/// The `erp_purchase_orders` table.
pub static PURCHASE_ORDERS: ErpTable = ErpTable {
    module: Module::PurchaseOrders,
    name: "erp_purchase_orders",
    key: "purchaseorder_id",
    columns: &[
        Column::new("purchaseorder_number", Kind::Text),
        Column::new("reference_number", Kind::Text),
        Column::new("status", Kind::Text),
        Column::new("billed_status", Kind::Text),
        Column::new("received_status", Kind::Text),
        Column::new("date", Kind::Date),
        Column::new("delivery_date", Kind::Date),
        Column::new("expected_delivery_date", Kind::Date),
        Column::new("vendor_id", Kind::Id).refers_to(Module::Contacts),
        Column::new("vendor_name", Kind::Text),
        Column::new("currency_id", Kind::Id),
        Column::new("currency_code", Kind::Text),
        Column::new("exchange_rate", Kind::Decimal),
        Column::new("is_inclusive_tax", Kind::Boolean),
        Column::new("location_id", Kind::Id),
        Column::new("sub_total", Kind::Decimal),
        Column::new("tax_total", Kind::Decimal),
        Column::new("total", Kind::Decimal),
        Column::from("source_created_at", "created_time", Kind::Timestamp),
    ],
    children: &[&PURCHASE_ORDER_LINES],
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{assert_columns, example};

    /// Zoho's example, whose `expected_delivery_date` is the docs' placeholder `"string"`:
    /// a real document holds a date or a blank there.
    fn purchase_order() -> serde_json::Map<String, serde_json::Value> {
        let mut doc = example(include_str!("../testdata/purchaseorder.json"));
        assert_eq!(doc["expected_delivery_date"], json!("string"));
        doc["expected_delivery_date"] = json!("");
        doc
    }

    #[test]
    fn zoho_example_maps() {
        let mapped = PURCHASE_ORDERS.map(&purchase_order()).unwrap();
        assert_columns(
            PURCHASE_ORDERS.columns,
            &mapped.row,
            &[
                ("purchaseorder_number", Some("PO-00001")),
                ("reference_number", Some("ER/0034")),
                ("status", Some("draft")),
                ("date", Some("2014-02-10")),
                ("delivery_date", Some("2014-02-10")),
                ("expected_delivery_date", None),
                ("vendor_id", Some("460000000026049")),
                ("currency_code", Some("INR")),
                ("exchange_rate", Some("1")),
                ("sub_total", Some("40")),
                ("total", Some("40")),
                ("source_created_at", Some("2014-02-10T09:56:26.000000Z")),
            ],
        );
        let lines = mapped.children[0].as_ref().unwrap();
        assert_eq!(lines.len(), 1);
        assert_columns(
            PURCHASE_ORDER_LINES.columns,
            &lines[0],
            &[
                ("line_item_id", Some("460000000074009")),
                ("item_id", Some("460000000027009")),
                ("account_id", Some("460000000074003")),
                ("name", Some("Hard Drive")),
                ("quantity", Some("1")),
                ("quantity_received", None),
                ("rate", Some("112")),
                ("bcy_rate", Some("40")),
                ("item_total", Some("40")),
                ("unit", Some("Nos")),
            ],
        );
    }

    #[test]
    fn the_docs_placeholder_date_is_refused() {
        let doc = example(include_str!("../testdata/purchaseorder.json"));
        assert_eq!(
            PURCHASE_ORDERS.map(&doc).unwrap_err().field,
            "expected_delivery_date"
        );
    }
}
