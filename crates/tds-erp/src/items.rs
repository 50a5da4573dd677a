//! Zoho items → `erp_items`. The id is `item_id`; `created_time` becomes
//! `source_created_at`; every other column is the document field of the same name.

use tds_core::entity::Module;

use crate::{Column, ErpTable, Kind};

/// The `erp_items` table.
pub static ITEMS: ErpTable = ErpTable {
    module: Module::Items,
    name: "erp_items",
    key: "item_id",
    columns: &[
        Column::new("name", Kind::Text),
        Column::new("sku", Kind::Text),
        Column::new("status", Kind::Text),
        Column::new("item_type", Kind::Text),
        Column::new("product_type", Kind::Text),
        Column::new("description", Kind::Text),
        Column::new("unit", Kind::Text),
        Column::new("rate", Kind::Decimal).price(),
        Column::new("purchase_rate", Kind::Decimal).price(),
        Column::new("purchase_description", Kind::Text),
        Column::new("tax_id", Kind::Id),
        Column::new("tax_name", Kind::Text),
        Column::new("tax_percentage", Kind::Percent),
        Column::new("tax_type", Kind::Text),
        Column::new("is_taxable", Kind::Boolean),
        Column::new("purchase_tax_rule_id", Kind::Id),
        Column::new("sales_tax_rule_id", Kind::Id),
        Column::new("hsn_or_sac", Kind::Text),
        Column::new("account_id", Kind::Id),
        Column::new("purchase_account_id", Kind::Id),
        Column::new("inventory_account_id", Kind::Id),
        Column::new("vendor_id", Kind::Id),
        Column::new("upc", Kind::Text),
        Column::new("ean", Kind::Text),
        Column::new("isbn", Kind::Text),
        Column::new("part_number", Kind::Text),
        Column::new("reorder_level", Kind::Decimal),
        Column::new("stock_on_hand", Kind::Decimal),
        Column::new("available_stock", Kind::Decimal),
        Column::new("actual_available_stock", Kind::Decimal),
        Column::from("source_created_at", "created_time", Kind::Timestamp),
    ],
    children: &[],
};

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value};

    use super::*;

    fn example() -> Map<String, Value> {
        serde_json::from_str(include_str!("../testdata/item.json")).unwrap()
    }

    fn column(row: &crate::MappedRow, name: &str) -> Option<String> {
        let i = ITEMS.columns.iter().position(|c| c.name == name).unwrap();
        row.0[i].clone()
    }

    #[test]
    fn zoho_example_maps() {
        let row = ITEMS.map(&example()).unwrap().row;
        assert_eq!(row.0.len(), ITEMS.columns.len());
        assert_eq!(column(&row, "name").as_deref(), Some("Hard Drive"));
        assert_eq!(column(&row, "rate").as_deref(), Some("120"));
        assert_eq!(column(&row, "tax_percentage").as_deref(), Some("70"));
        assert_eq!(column(&row, "tax_id").as_deref(), Some("982000000037049"));
        assert_eq!(
            column(&row, "purchase_tax_rule_id").as_deref(),
            Some("127919000000106780")
        );
        assert_eq!(column(&row, "sku").as_deref(), Some("s12345"));
        assert_eq!(column(&row, "stock_on_hand"), None);
        assert_eq!(column(&row, "source_created_at"), None);
    }

    #[test]
    fn money_is_exact_and_bad_money_fails() {
        let mut doc = example();
        doc.insert(
            "rate".into(),
            serde_json::from_str("1234567890123456789.125").unwrap(),
        );
        doc.insert("created_time".into(), json!("2013-11-18T02:17:40-0800"));
        let row = ITEMS.map(&doc).unwrap().row;
        assert_eq!(
            column(&row, "rate").as_deref(),
            Some("1234567890123456789.125")
        );
        assert_eq!(
            column(&row, "source_created_at").as_deref(),
            Some("2013-11-18T10:17:40.000000Z")
        );
        doc.insert("stock_on_hand".into(), json!("lots"));
        let e = ITEMS.map(&doc).unwrap_err();
        assert_eq!(e.field, "stock_on_hand");
    }
}
