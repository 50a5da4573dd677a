//! Zoho contacts → `erp_contacts`: customers and vendors in one table, told apart by
//! `contact_type`.
//!
//! The id is `contact_id`; `created_time` becomes `source_created_at`; every other column
//! is the document field of the same name. Addresses, contact persons and custom fields
//! stay in the source document.

use tds_core::entity::Module;

use crate::{Column, ErpTable, Kind};

/// The `erp_contacts` table.
pub static CONTACTS: ErpTable = ErpTable {
    module: Module::Contacts,
    name: "erp_contacts",
    key: "contact_id",
    columns: &[
        Column::new("contact_name", Kind::Text),
        Column::new("company_name", Kind::Text),
        Column::new("contact_type", Kind::Text),
        Column::new("customer_sub_type", Kind::Text),
        Column::new("status", Kind::Text),
        Column::new("contact_number", Kind::Text),
        Column::new("email", Kind::Text),
        Column::new("website", Kind::Text),
        Column::new("payment_terms", Kind::Integer),
        Column::new("payment_terms_label", Kind::Text),
        Column::new("currency_id", Kind::Id),
        Column::new("currency_code", Kind::Text),
        Column::new("credit_limit", Kind::Decimal),
        Column::new("is_taxable", Kind::Boolean),
        Column::new("tax_id", Kind::Id),
        Column::new("tax_name", Kind::Text),
        Column::new("tax_percentage", Kind::Percent),
        Column::new("tax_treatment", Kind::Text),
        Column::new("gst_no", Kind::Text),
        Column::new("gst_treatment", Kind::Text),
        Column::new("place_of_contact", Kind::Text),
        Column::new("pricebook_id", Kind::Id),
        Column::new("owner_id", Kind::Id),
        Column::new("primary_contact_id", Kind::Id),
        Column::new("outstanding_receivable_amount", Kind::Decimal),
        Column::new("unused_credits_receivable_amount", Kind::Decimal),
        Column::new("outstanding_payable_amount", Kind::Decimal),
        Column::new("unused_credits_payable_amount", Kind::Decimal),
        Column::from("source_created_at", "created_time", Kind::Timestamp),
    ],
    children: &[],
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{assert_columns, example};

    fn contact() -> serde_json::Map<String, serde_json::Value> {
        example(include_str!("../testdata/contact.json"))
    }

    #[test]
    fn zoho_example_maps() {
        let mapped = CONTACTS.map(&contact()).unwrap();
        assert!(mapped.children.is_empty());
        assert_columns(
            CONTACTS.columns,
            &mapped.row,
            &[
                ("contact_name", Some("Bowman and Co")),
                ("contact_type", Some("customer")),
                ("customer_sub_type", Some("business")),
                ("status", Some("active")),
                ("contact_number", Some("CNT-001234")),
                ("payment_terms", Some("15")),
                ("currency_id", Some("460000000000097")),
                ("credit_limit", Some("1000")),
                ("is_taxable", Some("true")),
                ("tax_id", Some("11149000000061058")),
                ("tax_percentage", Some("12")),
                ("pricebook_id", Some("460000000000123")),
                ("outstanding_receivable_amount", Some("250")),
                ("unused_credits_receivable_amount", Some("1369.66")),
                ("outstanding_payable_amount", None),
                ("email", None),
                ("source_created_at", Some("2013-08-05T06:36:10.000000Z")),
            ],
        );
    }

    #[test]
    fn a_non_boolean_flag_is_refused() {
        let mut doc = contact();
        doc["is_taxable"] = json!("sometimes");
        assert_eq!(CONTACTS.map(&doc).unwrap_err().field, "is_taxable");
    }
}
