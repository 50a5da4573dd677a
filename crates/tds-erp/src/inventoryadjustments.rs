//! Zoho Inventory adjustments → `erp_stock_adjustments`, their `line_items` →
//! `erp_stock_adjustment_lines`.
//!
//! The id is `inventory_adjustment_id`; `created_time` becomes `source_created_at`; every
//! other column is the document field of the same name. A line carries the older
//! warehouse fields and the newer location fields of Zoho's API, whichever the document has.

use tds_core::entity::Module;

use crate::{ChildTable, Column, ErpTable, Kind};

/// The `erp_stock_adjustment_lines` table: one row per element of `line_items`.
pub static STOCK_ADJUSTMENT_LINES: ChildTable = ChildTable {
    name: "erp_stock_adjustment_lines",
    source: "line_items",
    columns: &[
        Column::new("line_item_id", Kind::Id),
        Column::new("item_id", Kind::Id),
        Column::new("name", Kind::Text),
        Column::new("description", Kind::Text),
        Column::new("unit", Kind::Text),
        Column::new("quantity_adjusted", Kind::Decimal),
        Column::new("value_adjusted", Kind::Decimal),
        Column::new("item_total", Kind::Decimal),
        Column::new("adjustment_account_id", Kind::Id),
        Column::new("adjustment_account_name", Kind::Text),
        Column::new("warehouse_id", Kind::Id),
        Column::new("warehouse_name", Kind::Text),
        Column::new("location_id", Kind::Id),
        Column::new("location_name", Kind::Text),
    ],
};

/// The `erp_stock_adjustments` table.
pub static STOCK_ADJUSTMENTS: ErpTable = ErpTable {
    module: Module::InventoryAdjustments,
    name: "erp_stock_adjustments",
    key: "inventory_adjustment_id",
    columns: &[
        Column::new("date", Kind::Date),
        Column::new("reason", Kind::Text),
        Column::new("reason_id", Kind::Id),
        Column::new("description", Kind::Text),
        Column::new("reference_number", Kind::Text),
        Column::new("adjustment_type", Kind::Text),
        Column::new("status", Kind::Text),
        Column::new("location_id", Kind::Id),
        Column::new("total", Kind::Decimal),
        Column::from("source_created_at", "created_time", Kind::Timestamp),
    ],
    children: &[&STOCK_ADJUSTMENT_LINES],
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{assert_columns, example};

    fn adjustment() -> serde_json::Map<String, serde_json::Value> {
        example(include_str!("../testdata/inventoryadjustment.json"))
    }

    #[test]
    fn zoho_example_maps() {
        let mapped = STOCK_ADJUSTMENTS.map(&adjustment()).unwrap();
        assert_columns(
            STOCK_ADJUSTMENTS.columns,
            &mapped.row,
            &[
                ("date", Some("2015-05-28")),
                ("reason", Some("Damaged goods")),
                ("reason_id", Some("4815000000044110")),
                ("reference_number", Some("REF-IA-00001")),
                ("adjustment_type", Some("quantity")),
                ("status", None),
                ("total", Some("350")),
                ("source_created_at", None),
            ],
        );
        let lines = mapped.children[0].as_ref().unwrap();
        assert_eq!(lines.len(), 1);
        assert_columns(
            STOCK_ADJUSTMENT_LINES.columns,
            &lines[0],
            &[
                ("line_item_id", Some("4815000000044897")),
                ("item_id", Some("4815000000044100")),
                ("name", Some("Laptop-white/15inch/dell")),
                ("quantity_adjusted", Some("10")),
                ("value_adjusted", None),
                ("item_total", Some("244")),
                ("unit", Some("qty")),
                ("adjustment_account_id", Some("4815000000000388")),
                ("warehouse_id", Some("4815000000000390")),
                ("warehouse_name", Some("MyWarehouse")),
                ("location_id", None),
            ],
        );
    }

    #[test]
    fn a_quantity_in_words_is_refused() {
        let mut doc = adjustment();
        doc["line_items"][0]["quantity_adjusted"] = json!("ten");
        let e = STOCK_ADJUSTMENTS.map(&doc).unwrap_err();
        assert_eq!(e.field, "line_items[0].quantity_adjusted");
    }
}
