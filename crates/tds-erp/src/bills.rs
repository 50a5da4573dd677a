//! Zoho bills → `erp_bills`, their `line_items` → `erp_bill_lines`.
//!
//! The id is `bill_id`; `created_time` becomes `source_created_at`; every other column is
//! the document field of the same name. A line's `customer_id` and `project_id` name what
//! a billable expense is charged to.

use tds_core::entity::Module;

use crate::{ChildTable, Column, ErpTable, Kind};

/// The `erp_bill_lines` table: one row per element of `line_items`.
pub static BILL_LINES: ChildTable = ChildTable {
    name: "erp_bill_lines",
    source: "line_items",
    columns: &[
        Column::new("line_item_id", Kind::Id),
        Column::new("purchaseorder_item_id", Kind::Id),
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
        Column::new("rate", Kind::Decimal).price(),
        Column::new("bcy_rate", Kind::Decimal),
        Column::new("tax_id", Kind::Id),
        Column::new("tax_name", Kind::Text),
        Column::new("tax_percentage", Kind::Percent),
        Column::new("item_total", Kind::Decimal),
        Column::new("is_billable", Kind::Boolean),
        Column::new("customer_id", Kind::Id),
        Column::new("project_id", Kind::Id),
        Column::new("location_id", Kind::Id),
    ],
};

/// The `erp_bills` table.
pub static BILLS: ErpTable = ErpTable {
    module: Module::Bills,
    name: "erp_bills",
    key: "bill_id",
    columns: &[
        Column::new("bill_number", Kind::Text),
        Column::new("reference_number", Kind::Text),
        Column::new("status", Kind::Text),
        Column::new("date", Kind::Date),
        Column::new("due_date", Kind::Date),
        Column::new("payment_terms", Kind::Integer),
        Column::new("payment_terms_label", Kind::Text),
        Column::new("vendor_id", Kind::Id).refers_to(Module::Contacts),
        Column::new("vendor_name", Kind::Text),
        Column::new("currency_id", Kind::Id),
        Column::new("currency_code", Kind::Text),
        Column::new("exchange_rate", Kind::Decimal),
        Column::new("is_inclusive_tax", Kind::Boolean),
        Column::new("location_id", Kind::Id),
        Column::new("sub_total", Kind::Decimal),
        Column::new("tax_total", Kind::Decimal),
        Column::new("adjustment", Kind::Decimal),
        Column::new("total", Kind::Decimal),
        Column::new("payment_made", Kind::Decimal),
        Column::new("vendor_credits_applied", Kind::Decimal),
        Column::new("balance", Kind::Decimal),
        Column::from("source_created_at", "created_time", Kind::Timestamp),
    ],
    children: &[&BILL_LINES],
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{assert_columns, example};

    fn bill() -> serde_json::Map<String, serde_json::Value> {
        example(include_str!("../testdata/bill.json"))
    }

    #[test]
    fn zoho_example_maps() {
        let mapped = BILLS.map(&bill()).unwrap();
        assert_columns(
            BILLS.columns,
            &mapped.row,
            &[
                ("bill_number", Some("00454")),
                ("reference_number", Some("4321133")),
                ("status", Some("open")),
                ("date", Some("2013-09-11")),
                ("due_date", Some("2013-09-26")),
                ("payment_terms", Some("0")),
                ("payment_terms_label", Some("Due on Receipt")),
                ("vendor_id", Some("460000000038029")),
                ("currency_code", Some("INR")),
                ("exchange_rate", Some("1.23")),
                ("is_inclusive_tax", Some("false")),
                ("sub_total", Some("40")),
                ("tax_total", Some("0")),
                ("total", Some("40")),
                ("payment_made", Some("0")),
                ("balance", Some("40")),
                ("source_created_at", Some("2013-09-11T11:48:32.000000Z")),
            ],
        );
        let lines = mapped.children[0].as_ref().unwrap();
        assert_eq!(lines.len(), 1);
        assert_columns(
            BILL_LINES.columns,
            &lines[0],
            &[
                ("line_item_id", Some("460000000067009")),
                ("item_id", Some("460000000054135")),
                ("account_id", Some("460000000000403")),
                ("account_name", Some("Other Expenses")),
                ("item_order", Some("1")),
                ("quantity", Some("1")),
                ("rate", Some("10")),
                ("bcy_rate", Some("40")),
                ("tax_percentage", Some("0")),
                ("item_total", Some("40")),
                ("is_billable", Some("false")),
                ("unit", Some("kgs")),
            ],
        );
    }

    #[test]
    fn a_bad_exchange_rate_is_refused() {
        let mut doc = bill();
        doc["exchange_rate"] = json!("1.23.4");
        assert_eq!(BILLS.map(&doc).unwrap_err().field, "exchange_rate");
    }
}
