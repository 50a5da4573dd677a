//! Every module of the entity table, end to end: Zoho's example document (from
//! `tests/fixtures/zoho-examples`, copied from `shared/zoho-examples`) is posted to intake, the module's processor lane runs from
//! its cron trigger, and the ERP rows in PostgreSQL are checked exactly. Then the record's
//! life goes on: an update that drops a line (the lines are replaced), a delete (soft: the
//! header is tombstoned, the lines stay), an older version arriving late (no change), and
//! the audit trail with the fields each change touched.

use serde_json::{json, Value};
use tds_tests::{TestApp, TestAppOptions};

const KEY: &str = "test-webhook-key-0123456789";

/// The versions the record goes through, in Zoho's timestamp form.
const CREATED: &str = "2024-03-01T10:00:00+0530";
const UPDATED: &str = "2024-03-02T10:00:00+0530";
const DELETED: &str = "2024-03-03T10:00:00+0530";
/// Newer than [`CREATED`], older than what is stored when it arrives.
const LATE: &str = "2024-03-01T12:00:00+0530";

/// A money value whose digits a float would lose.
const EXACT_MONEY: &str = "12345678901234.0123456789";
const UPDATED_MONEY: &str = "98765.4321";
/// The id, amount of the line each test adds to the example's.
const ADDED_LINE_ID: &str = "999000000000000001";
const ADDED_LINE_AMOUNT: &str = "1234.5678";

/// One module's example and what it must become.
struct Case {
    /// The intake route segment (`invoices`).
    module: &'static str,
    /// The key Zoho wraps the record in.
    wrapper: &'static str,
    example: &'static str,
    /// The processor component of the module's lane.
    processor: &'static str,
    table: &'static str,
    key: &'static str,
    /// The document field carrying the version.
    version_field: &'static str,
    /// Placeholders of Zoho's example that a real document never holds, replaced.
    fixes: &'static [(&'static str, &'static str)],
    /// Header columns (`col::text`) and their values for the example.
    header: &'static [(&'static str, Option<&'static str>)],
    /// A money column, read from the field of the same name.
    money: &'static str,
    lines: Option<Lines>,
}

/// A child table and how its rows are told apart.
struct Lines {
    table: &'static str,
    /// The document's array.
    array: &'static str,
    /// The Zoho id of a row, kept as a column of the same name.
    id: &'static str,
    /// An amount column, read from the element's field of the same name.
    amount: &'static str,
    /// The id and amount of the example's one row.
    example: (Option<&'static str>, &'static str),
}

async fn app() -> TestApp {
    TestApp::start_with(TestAppOptions {
        variables: vec![
            format!("webhook_key={KEY}"),
            "stats_token=test-stats-token".into(),
        ],
        ..TestAppOptions::default()
    })
    .await
}

fn number(text: &str) -> Value {
    serde_json::from_str(text).expect("a JSON number")
}

/// The example with its placeholders fixed, a second line, the exact money value and the
/// first version.
fn first_version(case: &Case) -> Value {
    let mut doc: Value = serde_json::from_str(case.example).expect("example document");
    for (field, value) in case.fixes {
        doc[*field] = json!(value);
    }
    doc[case.version_field] = json!(CREATED);
    doc[case.money] = number(EXACT_MONEY);
    if let Some(lines) = &case.lines {
        let mut added = doc[lines.array][0].clone();
        added[lines.id] = json!(ADDED_LINE_ID);
        added[lines.amount] = number(ADDED_LINE_AMOUNT);
        doc[lines.array]
            .as_array_mut()
            .expect("an array of lines")
            .push(added);
    }
    doc
}

fn entity_id(case: &Case, doc: &Value) -> String {
    match &doc[case.key] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn deliver(app: &TestApp, case: &Case, method: reqwest::Method, doc: &Value) {
    let response = app
        .client
        .request(method, app.url(&format!("/webhooks/zoho/{}", case.module)))
        .header("X-Webhook-Key", KEY)
        .json(&json!({ case.wrapper: doc }))
        .send()
        .await
        .expect("intake answers");
    let status = response.status().as_u16();
    let answer: Value = response.json().await.expect("intake answers JSON");
    assert_eq!(status, 202, "{}: {answer}", case.module);
    assert_eq!(answer["queued"], json!(true), "{}: {answer}", case.module);
    app.run_cron(case.processor)
        .await
        .expect("the processor runs");
}

async fn client(app: &TestApp) -> tokio_postgres::Client {
    let client = app.db.client().await;
    client.batch_execute("SET TIME ZONE 'UTC'").await.unwrap();
    client
}

/// The header's columns as text, or a panic naming the dead letters when it is missing.
async fn header(
    client: &tokio_postgres::Client,
    case: &Case,
    id: &str,
    columns: &[&str],
) -> Vec<Option<String>> {
    let selected: Vec<String> = columns.iter().map(|c| format!("({c})::text")).collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE {} = $1",
        selected.join(", "),
        case.table,
        case.key
    );
    let Some(row) = client.query_opt(&sql, &[&id]).await.unwrap() else {
        let dead: Vec<(String, String)> = client
            .query("SELECT error_code, reason FROM tds_dead_letters", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        panic!("{}: no row {id}; dead letters: {dead:?}", case.table);
    };
    (0..columns.len()).map(|i| row.get(i)).collect()
}

/// Line number, Zoho id and amount of each child row, in order.
async fn lines(
    client: &tokio_postgres::Client,
    case: &Case,
    id: &str,
) -> Vec<(i32, Option<String>, Option<String>)> {
    let lines = case.lines.as_ref().expect("a module with lines");
    let sql = format!(
        "SELECT line_no, {}, {}::text FROM {} WHERE {} = $1 ORDER BY line_no",
        lines.id, lines.amount, lines.table, case.key
    );
    client
        .query(&sql, &[&id])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

async fn audit(
    client: &tokio_postgres::Client,
    case: &Case,
    id: &str,
) -> Vec<(String, Vec<String>)> {
    client
        .query(
            "SELECT action, changed_fields FROM tds_audit_trail WHERE erp_table = $1 AND entity_id = $2 ORDER BY id",
            &[&case.table, &id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

async fn outcomes(client: &tokio_postgres::Client, case: &Case, id: &str) -> Vec<String> {
    client
        .query(
            "SELECT outcome FROM tds_sync_log WHERE module = $1 AND entity_id = $2 ORDER BY id",
            &[&case.module, &id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn run(case: Case) {
    let app = app().await;
    let client = client(&app).await;
    let mut doc = first_version(&case);
    let id = entity_id(&case, &doc);
    let example_lines = case.lines.as_ref().map(|l| {
        vec![
            (
                1,
                l.example.0.map(str::to_string),
                Some(l.example.1.to_string()),
            ),
            (
                2,
                Some(ADDED_LINE_ID.to_string()),
                Some(ADDED_LINE_AMOUNT.to_string()),
            ),
        ]
    });

    deliver(&app, &case, reqwest::Method::POST, &doc).await;
    let names: Vec<&str> = case.header.iter().map(|(c, _)| *c).collect();
    let expected: Vec<Option<String>> = case
        .header
        .iter()
        .map(|(_, v)| v.map(str::to_string))
        .collect();
    assert_eq!(
        header(&client, &case, &id, &names).await,
        expected,
        "{}: {names:?}",
        case.table
    );
    let bookkeeping = ["source_modified_at", "deleted_at", case.money];
    assert_eq!(
        header(&client, &case, &id, &bookkeeping).await,
        [
            Some("2024-03-01 04:30:00+00".to_string()),
            None,
            Some(EXACT_MONEY.to_string())
        ],
        "{}: version, deleted_at and money stay exact",
        case.table
    );
    if let Some(expected) = &example_lines {
        assert_eq!(
            &lines(&client, &case, &id).await,
            expected,
            "{}: lines",
            case.table
        );
    }

    doc[case.version_field] = json!(UPDATED);
    doc[case.money] = number(UPDATED_MONEY);
    if let Some(l) = &case.lines {
        doc[l.array].as_array_mut().unwrap().pop();
    }
    deliver(&app, &case, reqwest::Method::POST, &doc).await;
    assert_eq!(
        header(&client, &case, &id, &[case.money]).await,
        [Some(UPDATED_MONEY.to_string())]
    );
    let kept_lines = example_lines.map(|mut l| {
        l.truncate(1);
        l
    });
    if let Some(expected) = &kept_lines {
        assert_eq!(
            &lines(&client, &case, &id).await,
            expected,
            "{}: a line dropped",
            case.table
        );
    }

    doc[case.version_field] = json!(DELETED);
    deliver(&app, &case, reqwest::Method::DELETE, &doc).await;
    let deleted = header(&client, &case, &id, &["deleted_at IS NOT NULL", case.money]).await;
    assert_eq!(
        deleted,
        [Some("true".to_string()), Some(UPDATED_MONEY.to_string())],
        "{}: soft delete",
        case.table
    );
    if let Some(expected) = &kept_lines {
        assert_eq!(
            &lines(&client, &case, &id).await,
            expected,
            "{}: lines outlive a soft delete",
            case.table
        );
    }

    let mut late = first_version(&case);
    late[case.version_field] = json!(LATE);
    late[case.money] = number("1");
    deliver(&app, &case, reqwest::Method::POST, &late).await;
    assert_eq!(
        header(
            &client,
            &case,
            &id,
            &["deleted_at IS NOT NULL", case.money, "source_modified_at"]
        )
        .await,
        [
            Some("true".to_string()),
            Some(UPDATED_MONEY.to_string()),
            Some("2024-03-03 04:30:00+00".to_string())
        ],
        "{}: an older version changes nothing",
        case.table
    );
    if let Some(expected) = &kept_lines {
        assert_eq!(
            &lines(&client, &case, &id).await,
            expected,
            "{}: lines after a stale event",
            case.table
        );
    }
    assert_eq!(
        outcomes(&client, &case, &id).await,
        ["applied", "applied", "applied", "stale"]
    );

    let trail = audit(&client, &case, &id).await;
    let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["insert", "update", "delete"], "{}", case.table);
    assert!(
        trail[0].1.contains(&case.money.to_string()),
        "{}: {:?}",
        case.table,
        trail[0].1
    );
    let mut updated = vec![case.money.to_string()];
    if let Some(l) = &case.lines {
        updated.push(l.array.to_string());
        assert!(
            trail[0].1.contains(&l.array.to_string()),
            "{}: {:?}",
            case.table,
            trail[0].1
        );
    }
    updated.sort();
    assert_eq!(
        trail[1].1, updated,
        "{}: the update's changed fields",
        case.table
    );
    assert_eq!(
        trail[2].1,
        ["deleted_at"],
        "{}: the delete's changed fields",
        case.table
    );
    if let Some(l) = &case.lines {
        let after: Value = client
            .query_one(
                "SELECT after FROM tds_audit_trail WHERE erp_table = $1 AND entity_id = $2 AND action = 'update'",
                &[&case.table, &id],
            )
            .await
            .unwrap()
            .get(0);
        let rows = after[l.array]
            .as_array()
            .expect("the image holds the lines");
        assert_eq!(rows.len(), 1, "{}: {after}", case.table);
        assert_eq!(rows[0]["line_no"], json!(1), "{}: {after}", case.table);
        assert!(
            rows[0].get(case.key).is_none(),
            "the parent key is left out of a line image"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invoices() {
    run(Case {
        module: "invoices",
        wrapper: "invoice",
        example: include_str!("../fixtures/zoho-examples/invoice.json"),
        processor: "processor-sales",
        table: "erp_invoices",
        key: "invoice_id",
        version_field: "last_modified_time",
        fixes: &[],
        header: &[
            ("invoice_number", Some("INV-00003")),
            ("status", Some("draft")),
            ("date", Some("2013-11-17")),
            ("due_date", Some("2013-12-03")),
            ("payment_terms", Some("15")),
            ("customer_id", Some("982000000567001")),
            ("customer_name", Some("Bowman & Co")),
            ("currency_code", Some("USD")),
            ("exchange_rate", Some("1")),
            ("is_inclusive_tax", Some("false")),
            ("sub_total", Some("10000.00")),
            ("tax_total", Some("22.6")),
            ("balance", Some("40.6")),
            ("reference_number", None),
            ("salesperson_id", None),
            ("source_created_at", Some("2013-11-18 10:17:40+00")),
        ],
        money: "total",
        lines: Some(Lines {
            table: "erp_invoice_lines",
            array: "line_items",
            id: "line_item_id",
            amount: "item_total",
            example: (Some("982000000567021"), "120"),
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sales_orders() {
    run(Case {
        module: "salesorders",
        wrapper: "salesorder",
        example: include_str!("../fixtures/zoho-examples/salesorder.json"),
        processor: "processor-sales",
        table: "erp_sales_orders",
        key: "salesorder_id",
        version_field: "last_modified_time",
        fixes: &[("shipment_date", "2014-08-02")],
        header: &[
            ("salesorder_number", Some("SO-00001")),
            ("status", Some("open")),
            ("date", Some("2014-07-28")),
            ("shipment_date", Some("2014-08-02")),
            ("customer_id", Some("460000000017138")),
            ("customer_name", Some("SAF Instruments Inc")),
            ("exchange_rate", Some("1.233")),
            ("adjustment", Some("0.2")),
            ("sub_total", Some("11800")),
            ("salesperson_name", Some("John Roberts")),
        ],
        money: "total",
        lines: Some(Lines {
            table: "erp_sales_order_lines",
            array: "line_items",
            id: "line_item_id",
            amount: "rate",
            example: (None, "120"),
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn customer_payments() {
    run(Case {
        module: "customerpayments",
        wrapper: "payment",
        example: include_str!("../fixtures/zoho-examples/customerpayment.json"),
        processor: "processor-sales",
        table: "erp_customer_payments",
        key: "payment_id",
        version_field: "last_modified_time",
        fixes: &[],
        header: &[
            ("payment_mode", Some("cash")),
            ("status", Some("success")),
            ("date", Some("2016-06-05")),
            ("customer_id", Some("903000000000099")),
            ("amount_refunded", Some("50")),
            ("bank_charges", Some("10")),
            ("unused_amount", None),
        ],
        money: "amount",
        lines: Some(Lines {
            table: "erp_customer_payment_allocations",
            array: "invoices",
            id: "invoice_payment_id",
            amount: "amount_applied",
            example: (None, "450"),
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn credit_notes() {
    run(Case {
        module: "creditnotes",
        wrapper: "creditnote",
        example: include_str!("../fixtures/zoho-examples/creditnote.json"),
        processor: "processor-sales",
        table: "erp_credit_notes",
        key: "creditnote_id",
        version_field: "updated_time",
        fixes: &[],
        header: &[
            ("creditnote_number", Some("CN-29")),
            ("date", Some("2016-06-05")),
            ("customer_name", Some("Bowman Furniture")),
            ("balance", Some("10")),
            ("source_created_at", Some("2016-06-05 09:30:08+00")),
        ],
        money: "total",
        lines: Some(Lines {
            table: "erp_credit_note_lines",
            array: "line_items",
            id: "line_item_id",
            amount: "rate",
            example: (Some("903000006245"), "0"),
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn items() {
    run(Case {
        module: "items",
        wrapper: "item",
        example: include_str!("../fixtures/zoho-examples/item.json"),
        processor: "processor-catalog",
        table: "erp_items",
        key: "item_id",
        version_field: "last_modified_time",
        fixes: &[],
        header: &[
            ("name", Some("Hard Drive")),
            ("sku", Some("s12345")),
            ("tax_percentage", Some("70")),
            ("purchase_tax_rule_id", Some("127919000000106780")),
        ],
        money: "rate",
        lines: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn contacts() {
    run(Case {
        module: "contacts",
        wrapper: "contact",
        example: include_str!("../fixtures/zoho-examples/contact.json"),
        processor: "processor-catalog",
        table: "erp_contacts",
        key: "contact_id",
        version_field: "last_modified_time",
        fixes: &[],
        header: &[
            ("contact_name", Some("Bowman and Co")),
            ("contact_type", Some("customer")),
            ("payment_terms", Some("15")),
            ("is_taxable", Some("true")),
            ("tax_id", Some("11149000000061058")),
            ("unused_credits_receivable_amount", Some("1369.66")),
            ("outstanding_payable_amount", None),
        ],
        money: "credit_limit",
        lines: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bills() {
    run(Case {
        module: "bills",
        wrapper: "bill",
        example: include_str!("../fixtures/zoho-examples/bill.json"),
        processor: "processor-purchases",
        table: "erp_bills",
        key: "bill_id",
        version_field: "last_modified_time",
        fixes: &[],
        header: &[
            ("bill_number", Some("00454")),
            ("date", Some("2013-09-11")),
            ("due_date", Some("2013-09-26")),
            ("vendor_id", Some("460000000038029")),
            ("exchange_rate", Some("1.23")),
            ("balance", Some("40")),
        ],
        money: "total",
        lines: Some(Lines {
            table: "erp_bill_lines",
            array: "line_items",
            id: "line_item_id",
            amount: "item_total",
            example: (Some("460000000067009"), "40"),
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn purchase_orders() {
    run(Case {
        module: "purchaseorders",
        wrapper: "purchaseorder",
        example: include_str!("../fixtures/zoho-examples/purchaseorder.json"),
        processor: "processor-purchases",
        table: "erp_purchase_orders",
        key: "purchaseorder_id",
        version_field: "last_modified_time",
        fixes: &[("expected_delivery_date", "2014-02-20")],
        header: &[
            ("purchaseorder_number", Some("PO-00001")),
            ("date", Some("2014-02-10")),
            ("delivery_date", Some("2014-02-10")),
            ("expected_delivery_date", Some("2014-02-20")),
            ("vendor_id", Some("460000000026049")),
            ("sub_total", Some("40")),
        ],
        money: "total",
        lines: Some(Lines {
            table: "erp_purchase_order_lines",
            array: "line_items",
            id: "line_item_id",
            amount: "item_total",
            example: (Some("460000000074009"), "40"),
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn vendor_payments() {
    run(Case {
        module: "vendorpayments",
        wrapper: "vendorpayment",
        example: include_str!("../fixtures/zoho-examples/vendorpayment.json"),
        processor: "processor-purchases",
        table: "erp_vendor_payments",
        key: "payment_id",
        version_field: "last_modified_time",
        fixes: &[],
        header: &[
            ("payment_number", Some("4")),
            ("date", Some("2013-10-07")),
            ("vendor_name", Some("Bowman and Co")),
            ("balance", Some("300")),
            ("paid_through_account_id", Some("460000000000358")),
        ],
        money: "amount",
        lines: Some(Lines {
            table: "erp_vendor_payment_allocations",
            array: "bills",
            id: "bill_payment_id",
            amount: "amount_applied",
            example: (Some("460000000053221"), "150"),
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_adjustments() {
    run(Case {
        module: "inventoryadjustments",
        wrapper: "inventory_adjustment",
        example: include_str!("../fixtures/zoho-examples/inventoryadjustment.json"),
        processor: "processor-inventory",
        table: "erp_stock_adjustments",
        key: "inventory_adjustment_id",
        version_field: "last_modified_time",
        fixes: &[],
        header: &[
            ("date", Some("2015-05-28")),
            ("reason", Some("Damaged goods")),
            ("reason_id", Some("4815000000044110")),
            ("adjustment_type", Some("quantity")),
        ],
        money: "total",
        lines: Some(Lines {
            table: "erp_stock_adjustment_lines",
            array: "line_items",
            id: "line_item_id",
            amount: "item_total",
            example: (Some("4815000000044897"), "244"),
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn price_books() {
    run(Case {
        module: "pricebooks",
        wrapper: "pricebook",
        example: include_str!("../fixtures/zoho-examples/pricebook.json"),
        processor: "processor-inventory",
        table: "erp_price_lists",
        key: "pricebook_id",
        version_field: "last_modified_time",
        fixes: &[],
        header: &[
            ("name", Some("Price List 1")),
            ("pricebook_type", Some("fixed_percentage")),
            ("is_default", Some("true")),
            ("decimal_place", Some("1")),
        ],
        money: "percentage",
        lines: Some(Lines {
            table: "erp_price_list_items",
            array: "pricebook_items",
            id: "pricebook_item_id",
            amount: "pricebook_rate",
            example: (Some("17775000000227544"), "22"),
        }),
    })
    .await;
}
