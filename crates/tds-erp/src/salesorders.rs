//! Zoho sales orders → `erp_sales_orders`, their `line_items` → `erp_sales_order_lines`.
//!
//! The id is `salesorder_id`; `created_time` becomes `source_created_at`; every other
//! column is the document field of the same name. A line's `discount` is kept as Zoho writes
//! it (an amount or a percentage), so it is text.

use tds_core::entity::Module;

use crate::{ChildTable, Column, ErpTable, Kind};

/// The `erp_sales_order_lines` table: one row per element of `line_items`.
pub static SALES_ORDER_LINES: ChildTable = ChildTable {
    name: "erp_sales_order_lines",
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
        Column::new("discount", Kind::Text),
        Column::new("tax_id", Kind::Id),
        Column::new("tax_name", Kind::Text),
        Column::new("tax_percentage", Kind::Percent),
        Column::new("item_total", Kind::Decimal),
        Column::new("quantity_invoiced", Kind::Decimal),
        Column::new("quantity_shipped", Kind::Decimal),
        Column::new("project_id", Kind::Id),
        Column::new("location_id", Kind::Id),
    ],
};

/// The `erp_sales_orders` table.
pub static SALES_ORDERS: ErpTable = ErpTable {
    module: Module::SalesOrders,
    name: "erp_sales_orders",
    key: "salesorder_id",
    columns: &[
        Column::new("salesorder_number", Kind::Text),
        Column::new("reference_number", Kind::Text),
        Column::new("status", Kind::Text),
        Column::new("invoiced_status", Kind::Text),
        Column::new("paid_status", Kind::Text),
        Column::new("shipped_status", Kind::Text),
        Column::new("date", Kind::Date),
        Column::new("shipment_date", Kind::Date),
        Column::new("customer_id", Kind::Id).refers_to(Module::Contacts),
        Column::new("customer_name", Kind::Text),
        Column::new("currency_id", Kind::Id),
        Column::new("currency_code", Kind::Text),
        Column::new("exchange_rate", Kind::Decimal),
        Column::new("is_inclusive_tax", Kind::Boolean),
        Column::new("delivery_method", Kind::Text),
        Column::new("location_id", Kind::Id),
        Column::new("salesperson_id", Kind::Id),
        Column::new("salesperson_name", Kind::Text),
        Column::new("sub_total", Kind::Decimal),
        Column::new("discount_amount", Kind::Decimal),
        Column::new("tax_total", Kind::Decimal),
        Column::new("shipping_charge", Kind::Decimal),
        Column::new("adjustment", Kind::Decimal),
        Column::new("total", Kind::Decimal),
        Column::from("source_created_at", "created_time", Kind::Timestamp),
    ],
    children: &[&SALES_ORDER_LINES],
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{assert_columns, example};

    /// Zoho's example, whose `shipment_date` is the docs' placeholder `"string"`: a real
    /// document holds a date or a blank there.
    fn sales_order() -> serde_json::Map<String, serde_json::Value> {
        let mut doc = example(include_str!("../testdata/salesorder.json"));
        assert_eq!(doc["shipment_date"], json!("string"));
        doc["shipment_date"] = json!("2014-08-02");
        doc
    }

    #[test]
    fn zoho_example_maps() {
        let mapped = SALES_ORDERS.map(&sales_order()).unwrap();
        assert_columns(
            SALES_ORDERS.columns,
            &mapped.row,
            &[
                ("salesorder_number", Some("SO-00001")),
                ("reference_number", Some("REF-001")),
                ("status", Some("open")),
                ("date", Some("2014-07-28")),
                ("shipment_date", Some("2014-08-02")),
                ("customer_id", Some("460000000017138")),
                ("customer_name", Some("SAF Instruments Inc")),
                ("exchange_rate", Some("1.233")),
                ("delivery_method", Some("Air")),
                ("salesperson_name", Some("John Roberts")),
                ("sub_total", Some("11800")),
                ("discount_amount", Some("0")),
                ("tax_total", Some("600")),
                ("shipping_charge", Some("2")),
                ("adjustment", Some("0.2")),
                ("total", Some("12400")),
                ("invoiced_status", None),
                ("source_created_at", Some("2014-07-28T02:59:07.000000Z")),
            ],
        );
        let lines = mapped.children[0].as_ref().unwrap();
        assert_eq!(lines.len(), 1);
        assert_columns(
            SALES_ORDER_LINES.columns,
            &lines[0],
            &[
                ("line_item_id", None),
                ("item_id", Some("460000000017088")),
                ("item_order", Some("0")),
                ("quantity", Some("40")),
                ("rate", Some("120")),
                ("unit", Some("Nos")),
                ("hsn_or_sac", Some("80540")),
                ("tax_id", Some("460000000017094")),
                ("item_total", None),
            ],
        );
    }

    #[test]
    fn the_docs_placeholder_date_is_refused() {
        let doc = example(include_str!("../testdata/salesorder.json"));
        let e = SALES_ORDERS.map(&doc).unwrap_err();
        assert_eq!(e.field, "shipment_date");
        assert_eq!(e.problem, r#""string" is not a date (yyyy-mm-dd)"#);
    }
}
