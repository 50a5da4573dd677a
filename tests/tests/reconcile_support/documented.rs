//! What Zoho documents per Books module, in one table ([`DOCUMENTED`]): the list answer's
//! key, the fields of a list row, the `sort_column` values, whether `sort_order` and the
//! `last_modified_time` filter are list parameters, whether list rows and details carry a
//! modification time, and the detail's wrapper key. The stand-in ([`super`]) reads nothing
//! else about a module.
//!
//! Sources (Zoho's Books OpenAPI document, the "Download Zoho Books OpenAPI Document" link
//! of https://zoho.com/books/api, read in two public copies):
//!
//! - **OAS-old**: `fordez/zoho-books-mcp-server-openapi`, `mcp_server/openapi-all/<module>.yml`
//!   (commit c30dde8f9303b467b51f67b81ceb97ab11585071); `openapi-all/items.yml` and
//!   `openapi-all/credit-notes.yml` (commit 972c369c0c9daa75674b9660ff4abd36041d724f).
//! - **OAS-new**: `brunyeestudio/brunyee-studio-runrate`, `openapi-all/<module>.yml`
//!   (commit 194faf37c4dfac814f96f65fe85bfc302d20199e), a later copy whose `sort_column`
//!   parameters carry `enum`s; it has no customer- or vendor-payments file.
//! - **Java SDK**: Zoho's `zoho/books-java-wrappers`, `source/com/zoho/books/parser/*.java`.
//!
//! A `sort_column` value counts as documented when either copy lists it (in the description
//! or the enum). The `cf_(\w+)` pattern (custom fields) of the OAS-new enums is left out.
//! Where the sources disagree the entry says which one it follows.

use tds_core::entity::Module;

/// One module's documented facts.
#[derive(Debug)]
pub struct Documented {
    pub module: Module,
    /// The key of the list answer's array.
    pub list_key: &'static str,
    /// The key the detail answer wraps the record in.
    pub detail_key: &'static str,
    /// The record's name in the not-found message `"<thing> does not exist."`; only
    /// `"Invoice"` is documented (https://www.zoho.com/books/api/v3/errors/), the others
    /// follow its pattern.
    pub thing: &'static str,
    /// The properties of a list row (the list response schema's item properties).
    pub row_fields: &'static [&'static str],
    /// The documented `sort_column` values.
    pub sort_columns: &'static [&'static str],
    /// Whether `sort_order` (`A`/`D`) is a documented list parameter.
    pub sort_order: bool,
    /// Whether the `last_modified_time` list filter ("modified at or after") is documented.
    pub modified_filter: bool,
    /// Whether list rows carry `last_modified_time` (one of `row_fields`).
    pub rows_modified: bool,
    /// Whether the detail carries `last_modified_time`, `created_time` or `updated_time`.
    pub detail_modified: bool,
    /// Where the entry comes from.
    pub sources: &'static [&'static str],
}

/// The facts of every Books module the stand-in serves.
pub static DOCUMENTED: [Documented; 9] = [
    Documented {
        module: Module::Items,
        list_key: "items",
        detail_key: "item",
        thing: "Item",
        row_fields: &[
            "item_id",
            "name",
            "status",
            "description",
            "rate",
            "unit",
            "tax_id",
            "purchase_tax_rule_id",
            "sales_tax_rule_id",
            "tax_name",
            "tax_percentage",
            "tax_type",
            "sku",
            "product_type",
            "sat_item_key_code",
            "unitkey_code",
            "custom_fields",
        ],
        // "Sort items. Allowed Values: `name`, `rate` and `tax_name`".
        sort_columns: &["name", "rate", "tax_name"],
        sort_order: false,
        modified_filter: false,
        // The string `last_modified_time` occurs nowhere in OAS-new items.yml; neither the
        // rows nor `get-an-item-response` have created_time either.
        rows_modified: false,
        detail_modified: false,
        sources: &[
            "OAS-old openapi-all/items.yml",
            "OAS-new openapi-all/items.yml",
            "https://www.zohohelp.com/books/api/v3/items (attribute sample)",
        ],
    },
    Documented {
        module: Module::Contacts,
        list_key: "contacts",
        detail_key: "contact",
        thing: "Contact",
        row_fields: &[
            "contact_id",
            "contact_name",
            "company_name",
            "contact_type",
            "status",
            "payment_terms",
            "payment_terms_label",
            "currency_id",
            "currency_code",
            "outstanding_receivable_amount",
            "unused_credits_receivable_amount",
            "first_name",
            "last_name",
            "email",
            "phone",
            "mobile",
            "created_time",
            "last_modified_time",
        ],
        sort_columns: &[
            "contact_name",
            "first_name",
            "last_name",
            "email",
            "outstanding_receivable_amount",
            "created_time",
            "last_modified_time",
        ],
        sort_order: false,
        modified_filter: false,
        rows_modified: true,
        detail_modified: true,
        sources: &[
            "OAS-old mcp_server/openapi-all/contacts.yml",
            "OAS-new openapi-all/contacts.yml",
        ],
    },
    Documented {
        module: Module::Invoices,
        list_key: "invoices",
        detail_key: "invoice",
        thing: "Invoice",
        row_fields: &[
            "invoice_id",
            "ach_payment_initiated",
            "customer_name",
            "customer_id",
            "status",
            "invoice_number",
            "reference_number",
            "date",
            "due_date",
            "due_days",
            "currency_id",
            "schedule_time",
            "currency_code",
            "is_viewed_by_client",
            "has_attachment",
            "client_viewed_time",
            "total",
            "balance",
            "created_time",
            "last_modified_time",
            "is_emailed",
            "reminders_sent",
            "last_reminder_sent_date",
            "payment_expected_date",
            "last_payment_date",
            "custom_fields",
            "documents",
            "location_id",
            "location_name",
            "salesperson_id",
            "salesperson_name",
            "shipping_charge",
            "adjustment",
            "write_off_amount",
            "exchange_rate",
        ],
        // Both copies: "Allowed values: customer_name, invoice_number, date, due_date,
        // total, balance and created_time" — not last_modified_time.
        sort_columns: &[
            "customer_name",
            "invoice_number",
            "date",
            "due_date",
            "total",
            "balance",
            "created_time",
        ],
        sort_order: false,
        // "Search invoices modified after a specific time".
        modified_filter: true,
        rows_modified: true,
        detail_modified: true,
        sources: &[
            "OAS-old mcp_server/openapi-all/invoices.yml",
            "OAS-new openapi-all/invoices.yml",
        ],
    },
    Documented {
        module: Module::Bills,
        list_key: "bills",
        detail_key: "bill",
        thing: "Bill",
        row_fields: &[
            "bill_id",
            "vendor_id",
            "vendor_name",
            "status",
            "bill_number",
            "reference_number",
            "date",
            "due_date",
            "due_days",
            "currency_id",
            "currency_code",
            "price_precision",
            "exchange_rate",
            "total",
            "balance",
            "location_id",
            "location_name",
            "created_time",
            "last_modified_time",
            "attachment_name",
            "has_attachment",
            "is_tds_applied",
            "is_abn_quoted",
        ],
        // The description's seven, plus the OAS-new enum's last three.
        sort_columns: &[
            "vendor_name",
            "bill_number",
            "date",
            "due_date",
            "total",
            "balance",
            "created_time",
            "last_modified_time",
            "txn_value_date",
            "total_retention_amount",
        ],
        // "Use `A` for ascending order … or `D` for descending order": bills only.
        sort_order: true,
        // OAS-old: "to find bills modified at or after a specific time".
        modified_filter: true,
        rows_modified: true,
        detail_modified: true,
        sources: &[
            "OAS-old mcp_server/openapi-all/bills.yml",
            "OAS-new openapi-all/bills.yml",
        ],
    },
    Documented {
        module: Module::CreditNotes,
        list_key: "creditnotes",
        detail_key: "creditnote",
        thing: "Credit Note",
        row_fields: &[
            "creditnote_id",
            "creditnote_number",
            "status",
            "reference_number",
            "date",
            "total",
            "balance",
            "location_id",
            "location_name",
            "customer_id",
            "customer_name",
            "currency_id",
            "currency_code",
            "created_time",
            "last_modified_time",
            "is_emailed",
        ],
        sort_columns: &[
            "customer_name",
            "creditnote_number",
            "balance",
            "total",
            "date",
            "txn_posting_date",
            "created_time",
            "last_modified_time",
        ],
        sort_order: false,
        // OAS-new only ("Search credit notes modified after a specific time").
        modified_filter: true,
        rows_modified: true,
        // Disagreement: the OAS detail shows `created_time` and `updated_time`, the Java SDK
        // (CreditNoteParser.java) reads `last_modified_time`. The stand-in keeps whatever
        // the stored record has.
        detail_modified: true,
        sources: &[
            "OAS-old openapi-all/credit-notes.yml",
            "OAS-new openapi-all/credit-notes.yml",
            "Java SDK source/com/zoho/books/parser/CreditNoteParser.java",
        ],
    },
    Documented {
        module: Module::SalesOrders,
        list_key: "salesorders",
        detail_key: "salesorder",
        thing: "Sales Order",
        row_fields: &[
            "salesorder_id",
            "zcrm_potential_id",
            "zcrm_potential_name",
            "customer_name",
            "customer_id",
            "status",
            "salesorder_number",
            "reference_number",
            "date",
            "shipment_date",
            "shipment_days",
            "currency_id",
            "currency_code",
            "total",
            "sub_total",
            "bcy_total",
            "created_time",
            "last_modified_time",
            "is_emailed",
            "has_attachment",
            "custom_fields",
        ],
        sort_columns: &[
            "customer_name",
            "salesorder_number",
            "shipment_date",
            "last_modified_time",
            "reference_number",
            "total",
            "date",
            "created_time",
            "subscription_number",
            "first_name",
            "company_name",
        ],
        sort_order: false,
        // "Last Modified time of the Sales Order".
        modified_filter: true,
        rows_modified: true,
        // Disagreement: the GET inline schema stops before the timestamps; the
        // `salesorder-response` schema and the Java SDK (SalesOrderParser.java) have
        // `last_modified_time`. The stand-in keeps it.
        detail_modified: true,
        sources: &[
            "OAS-old mcp_server/openapi-all/sales-order.yml",
            "OAS-new openapi-all/sales-order.yml",
            "Java SDK source/com/zoho/books/parser/SalesOrderParser.java",
        ],
    },
    Documented {
        module: Module::PurchaseOrders,
        list_key: "purchaseorders",
        detail_key: "purchaseorder",
        thing: "Purchase Order",
        row_fields: &[
            "purchaseorder_id",
            "vendor_id",
            "vendor_name",
            "status",
            "purchaseorder_number",
            "reference_number",
            "date",
            "delivery_date",
            "currency_id",
            "currency_code",
            "price_precision",
            "total",
            "has_attachment",
            "created_time",
            "last_modified_time",
            "custom_fields",
        ],
        sort_columns: &[
            "vendor_name",
            "purchaseorder_number",
            "date",
            "delivery_date",
            "expected_delivery_date",
            "total",
            "created_time",
            "last_modified_time",
        ],
        sort_order: false,
        // "Search purchase order by last modified time".
        modified_filter: true,
        rows_modified: true,
        detail_modified: true,
        sources: &[
            "OAS-old mcp_server/openapi-all/purchase-order.yml",
            "OAS-new openapi-all/purchase-order.yml",
        ],
    },
    Documented {
        module: Module::CustomerPayments,
        // Disagreement: the OAS `list-customer-payments-response` says `customer_payments`,
        // the Java SDK (CustomerPaymentParser.java) `customerpayments`. The stand-in answers
        // under the OAS key unless told otherwise (`ZohoStandIn::use_list_key`).
        list_key: "customer_payments",
        detail_key: "payment",
        thing: "Payment",
        row_fields: &[
            "payment_id",
            "payment_number",
            "invoice_number",
            "date",
            "payment_mode",
            "amount",
            "bcy_amount",
            "location_id",
            "location_name",
        ],
        // `sort_column` has no description and no allowed values (only `example:
        // created_time`): none documented.
        sort_columns: &[],
        sort_order: false,
        modified_filter: false,
        rows_modified: false,
        // `retrieve-a-payment-response` has no timestamp; `last_modified_time` occurs
        // nowhere in the file.
        detail_modified: false,
        sources: &[
            "OAS-old mcp_server/openapi-all/customer-payments.yml",
            "Java SDK source/com/zoho/books/parser/CustomerPaymentParser.java",
        ],
    },
    Documented {
        module: Module::VendorPayments,
        list_key: "vendorpayments",
        // The OAS and the Java SDK (VendorPaymentParser.java) agree.
        detail_key: "vendorpayment",
        thing: "Vendor Payment",
        row_fields: &[
            "payment_id",
            "vendor_id",
            "vendor_name",
            "bill_numbers",
            "payment_mode",
            "payment_number",
            "description",
            "date",
            "reference_number",
            "exchange_rate",
            "amount",
            "bcy_amount",
            "paid_through_account_id",
            "paid_through_account_name",
            "balance",
            "bcy_balance",
            "created_time",
            "last_modified_time",
            "is_paid_via_print_check",
            "has_attachment",
            "is_ach_payment",
            "ach_payment_status",
            "ach_gw_transaction_id",
            "check_details",
        ],
        // "Allowed Values: vendor_name, date, reference_number, amount and balance".
        sort_columns: &[
            "vendor_name",
            "date",
            "reference_number",
            "amount",
            "balance",
        ],
        sort_order: false,
        // "Search with the Last Modified Time of the Vendor Payment".
        modified_filter: true,
        rows_modified: true,
        detail_modified: true,
        sources: &[
            "OAS-old mcp_server/openapi-all/vendor-payments.yml",
            "Java SDK source/com/zoho/books/parser/VendorPaymentParser.java",
        ],
    },
];

/// The documented facts of `module`; `None` for modules that are not Books modules
/// (inventory adjustments and price books are Zoho Inventory's).
pub fn facts_of(module: Module) -> Option<&'static Documented> {
    DOCUMENTED.iter().find(|d| d.module == module)
}

/// The table agrees with itself: a row carries `last_modified_time` exactly when
/// `rows_modified` says so, and every row has the module's id field.
#[test]
fn the_documented_table_is_consistent() {
    for facts in &DOCUMENTED {
        assert_eq!(
            facts.row_fields.contains(&"last_modified_time"),
            facts.rows_modified,
            "{:?}",
            facts.module
        );
        assert!(
            facts.row_fields.contains(&facts.module.spec().id_field),
            "{:?}",
            facts.module
        );
    }
}
