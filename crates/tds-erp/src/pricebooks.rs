//! Zoho Inventory price lists (price books) → `erp_price_lists`, their `pricebook_items` →
//! `erp_price_list_items`.
//!
//! The id is `pricebook_id`; `created_time` becomes `source_created_at`; every other column
//! is the document field of the same name. A `fixed_percentage` list marks every item up or
//! down (`is_increase`) by `percentage`; a `per_item` list names each item's rate.

use tds_core::entity::Module;

use crate::{ChildTable, Column, ErpTable, Kind};

/// The `erp_price_list_items` table: one row per element of `pricebook_items`.
pub static PRICE_LIST_ITEMS: ChildTable = ChildTable {
    name: "erp_price_list_items",
    source: "pricebook_items",
    columns: &[
        Column::new("pricebook_item_id", Kind::Id),
        Column::new("item_id", Kind::Id),
        Column::new("pricebook_rate", Kind::Decimal).price(),
    ],
};

/// The `erp_price_lists` table.
pub static PRICE_LISTS: ErpTable = ErpTable {
    module: Module::PriceBooks,
    name: "erp_price_lists",
    key: "pricebook_id",
    columns: &[
        Column::new("name", Kind::Text),
        Column::new("description", Kind::Text),
        Column::new("status", Kind::Text),
        Column::new("pricebook_type", Kind::Text),
        Column::new("sales_or_purchase_type", Kind::Text),
        Column::new("currency_id", Kind::Id),
        Column::new("currency_code", Kind::Text),
        Column::new("is_default", Kind::Boolean),
        Column::new("is_increase", Kind::Boolean),
        Column::new("percentage", Kind::Percent),
        Column::new("rounding_type", Kind::Text),
        Column::new("decimal_place", Kind::Integer),
        Column::from("source_created_at", "created_time", Kind::Timestamp),
    ],
    children: &[&PRICE_LIST_ITEMS],
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{assert_columns, example};

    fn price_list() -> serde_json::Map<String, serde_json::Value> {
        example(include_str!("../testdata/pricebook.json"))
    }

    #[test]
    fn zoho_example_maps() {
        let mapped = PRICE_LISTS.map(&price_list()).unwrap();
        assert_columns(
            PRICE_LISTS.columns,
            &mapped.row,
            &[
                ("name", Some("Price List 1")),
                ("description", Some("Flash sale")),
                ("status", Some("active")),
                ("pricebook_type", Some("fixed_percentage")),
                ("sales_or_purchase_type", Some("sales")),
                ("currency_id", Some("982000000000190")),
                ("is_default", Some("true")),
                ("is_increase", Some("true")),
                ("percentage", Some("4")),
                ("rounding_type", Some("round_to_dollar_minus_01")),
                ("decimal_place", Some("1")),
            ],
        );
        let items = mapped.children[0].as_ref().unwrap();
        assert_eq!(items.len(), 1);
        assert_columns(
            PRICE_LIST_ITEMS.columns,
            &items[0],
            &[
                ("pricebook_item_id", Some("17775000000227544")),
                ("item_id", Some("17775000000227648")),
                ("pricebook_rate", Some("22")),
            ],
        );
    }

    #[test]
    fn a_bad_rate_is_refused() {
        let mut doc = price_list();
        doc["pricebook_items"][0]["pricebook_rate"] = json!(true);
        let e = PRICE_LISTS.map(&doc).unwrap_err();
        assert_eq!(e.field, "pricebook_items[0].pricebook_rate");
    }
}
