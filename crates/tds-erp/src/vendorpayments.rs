//! Zoho vendor payments → `erp_vendor_payments`; the bills a payment is applied to (its
//! `bills` array) → `erp_vendor_payment_allocations`.
//!
//! The id is `payment_id`; `created_time` becomes `source_created_at`; an allocation's
//! `date` (the bill's date) becomes `bill_date`; every other column is the document field
//! of the same name.

use tds_core::entity::Module;

use crate::{ChildTable, Column, ErpTable, Kind};

/// The `erp_vendor_payment_allocations` table: one row per element of `bills`.
pub static VENDOR_PAYMENT_ALLOCATIONS: ChildTable = ChildTable {
    name: "erp_vendor_payment_allocations",
    source: "bills",
    columns: &[
        Column::new("bill_payment_id", Kind::Id),
        Column::new("bill_id", Kind::Id),
        Column::new("bill_number", Kind::Text),
        Column::from("bill_date", "date", Kind::Date),
        Column::new("amount_applied", Kind::Decimal),
    ],
};

/// The `erp_vendor_payments` table.
pub static VENDOR_PAYMENTS: ErpTable = ErpTable {
    module: Module::VendorPayments,
    name: "erp_vendor_payments",
    key: "payment_id",
    columns: &[
        Column::new("payment_number", Kind::Text),
        Column::new("payment_mode", Kind::Text),
        Column::new("date", Kind::Date),
        Column::new("reference_number", Kind::Text),
        Column::new("description", Kind::Text),
        Column::new("vendor_id", Kind::Id).refers_to(Module::Contacts),
        Column::new("vendor_name", Kind::Text),
        Column::new("currency_id", Kind::Id),
        Column::new("currency_code", Kind::Text),
        Column::new("exchange_rate", Kind::Decimal),
        Column::new("amount", Kind::Decimal),
        Column::new("balance", Kind::Decimal),
        Column::new("paid_through_account_id", Kind::Id),
        Column::new("paid_through_account_name", Kind::Text),
        Column::new("location_id", Kind::Id),
        Column::from("source_created_at", "created_time", Kind::Timestamp),
    ],
    children: &[&VENDOR_PAYMENT_ALLOCATIONS],
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{assert_columns, example};

    fn payment() -> serde_json::Map<String, serde_json::Value> {
        example(include_str!("../testdata/vendorpayment.json"))
    }

    #[test]
    fn zoho_example_maps() {
        let mapped = VENDOR_PAYMENTS.map(&payment()).unwrap();
        assert_columns(
            VENDOR_PAYMENTS.columns,
            &mapped.row,
            &[
                ("payment_number", Some("4")),
                ("payment_mode", Some("Stripe")),
                ("date", Some("2013-10-07")),
                ("reference_number", Some("REF#912300")),
                ("vendor_id", Some("460000000026049")),
                ("vendor_name", Some("Bowman and Co")),
                ("currency_id", Some("460000000000099")),
                ("exchange_rate", Some("1")),
                ("amount", Some("500")),
                ("balance", Some("300")),
                ("paid_through_account_id", Some("460000000000358")),
                ("paid_through_account_name", Some("Undeposited Funds")),
                ("source_created_at", Some("2016-12-16T05:18:42.000000Z")),
            ],
        );
        let allocations = mapped.children[0].as_ref().unwrap();
        assert_eq!(allocations.len(), 1);
        assert_columns(
            VENDOR_PAYMENT_ALLOCATIONS.columns,
            &allocations[0],
            &[
                ("bill_payment_id", Some("460000000053221")),
                ("bill_id", Some("460000000053199")),
                ("bill_number", None),
                ("bill_date", None),
                ("amount_applied", Some("150")),
            ],
        );
    }

    #[test]
    fn an_allocation_that_is_not_an_object_is_refused() {
        let mut doc = payment();
        doc["bills"] = json!(["460000000053199"]);
        assert_eq!(VENDOR_PAYMENTS.map(&doc).unwrap_err().field, "bills[0]");
    }
}
