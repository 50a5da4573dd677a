//! Zoho customer payments → `erp_customer_payments`; the invoices a payment is applied to
//! (its `invoices` array) → `erp_customer_payment_allocations`.
//!
//! The id is `payment_id`; `created_time` becomes `source_created_at`; an allocation's
//! `date` (the invoice's date) becomes `invoice_date`; every other column is the document
//! field of the same name.

use tds_core::entity::Module;

use crate::{ChildTable, Column, ErpTable, Kind};

/// The `erp_customer_payment_allocations` table: one row per element of `invoices`.
pub static CUSTOMER_PAYMENT_ALLOCATIONS: ChildTable = ChildTable {
    name: "erp_customer_payment_allocations",
    source: "invoices",
    columns: &[
        Column::new("invoice_payment_id", Kind::Id),
        Column::new("invoice_id", Kind::Id),
        Column::new("invoice_number", Kind::Text),
        Column::from("invoice_date", "date", Kind::Date),
        Column::new("invoice_amount", Kind::Decimal),
        Column::new("amount_applied", Kind::Decimal),
        Column::new("balance_amount", Kind::Decimal),
    ],
};

/// The `erp_customer_payments` table.
pub static CUSTOMER_PAYMENTS: ErpTable = ErpTable {
    module: Module::CustomerPayments,
    name: "erp_customer_payments",
    key: "payment_id",
    columns: &[
        Column::new("payment_number", Kind::Text),
        Column::new("payment_mode", Kind::Text),
        Column::new("status", Kind::Text),
        Column::new("date", Kind::Date),
        Column::new("reference_number", Kind::Text),
        Column::new("description", Kind::Text),
        Column::new("customer_id", Kind::Id).refers_to(Module::Contacts),
        Column::new("customer_name", Kind::Text),
        Column::new("currency_id", Kind::Id),
        Column::new("currency_code", Kind::Text),
        Column::new("exchange_rate", Kind::Decimal),
        Column::new("amount", Kind::Decimal),
        Column::new("amount_refunded", Kind::Decimal),
        Column::new("bank_charges", Kind::Decimal),
        Column::new("unused_amount", Kind::Decimal),
        Column::new("account_id", Kind::Id),
        Column::new("location_id", Kind::Id),
        Column::from("source_created_at", "created_time", Kind::Timestamp),
    ],
    children: &[&CUSTOMER_PAYMENT_ALLOCATIONS],
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{assert_columns, example};

    fn payment() -> serde_json::Map<String, serde_json::Value> {
        example(include_str!("../testdata/customerpayment.json"))
    }

    #[test]
    fn zoho_example_maps() {
        let mapped = CUSTOMER_PAYMENTS.map(&payment()).unwrap();
        assert_columns(
            CUSTOMER_PAYMENTS.columns,
            &mapped.row,
            &[
                ("payment_mode", Some("cash")),
                ("status", Some("success")),
                ("date", Some("2016-06-05")),
                ("reference_number", Some("INV-384")),
                ("customer_id", Some("903000000000099")),
                ("customer_name", Some("Bowman Furniture")),
                ("currency_code", Some("USD")),
                ("amount", Some("450")),
                ("amount_refunded", Some("50")),
                ("bank_charges", Some("10")),
                ("unused_amount", None),
                ("location_id", Some("460000000038080")),
                ("source_created_at", None),
            ],
        );
        let allocations = mapped.children[0].as_ref().unwrap();
        assert_eq!(allocations.len(), 1);
        assert_columns(
            CUSTOMER_PAYMENT_ALLOCATIONS.columns,
            &allocations[0],
            &[
                ("invoice_payment_id", None),
                ("invoice_id", Some("90300000079426")),
                ("invoice_number", Some("INV-384")),
                ("invoice_date", Some("2016-06-05")),
                ("invoice_amount", Some("450")),
                ("amount_applied", Some("450")),
                ("balance_amount", Some("0")),
            ],
        );
    }

    #[test]
    fn allocations_must_be_an_array() {
        let mut doc = payment();
        doc["invoices"] = json!("INV-384");
        let e = CUSTOMER_PAYMENTS.map(&doc).unwrap_err();
        assert_eq!(e.to_string(), "field invoices: is not an array");
    }
}
