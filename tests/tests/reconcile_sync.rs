//! Pull sync from the Zoho Books API, against a stand-in that does what Zoho documents
//! (`reconcile_support`): no undocumented sort or filter honoured, documented list keys, no
//! modification times where the documents show none. A full sync, then a run where nothing
//! changed (list pages and the rotating re-read only), then one that reads exactly what
//! changed; a backfill larger than a day's budget, spread over simulated days with its
//! progress visible, ending with every record present and correct; runs stopped by the
//! time budget, an outage and a record deleted mid-pull, each keeping its work; and the
//! "not configured" answer.

mod reconcile_support;

use std::collections::BTreeSet;
use std::time::Duration;

use reconcile_support::{
    app, at, ids, item, live_ids, next_day, progress, read_ids, reconcile, reconcile_ok, record,
    Limits, ZohoStandIn, PATIENCE,
};
use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_tests::internal::{drain_until_idle, Via};
use tds_tests::{TestApp, TestAppOptions};

/// Small pages, a fast pace, short waits, two re-reads a run.
const FAST: [(&str, &str); 6] = [
    ("reconcile_page_size", "2"),
    ("reconcile_requests_per_minute", "6000"),
    ("reconcile_backoff_base_ms", "20"),
    ("reconcile_max_retries", "1"),
    ("reconcile_rereads_per_run", "2"),
    (
        "reconcile_modules",
        "\"items,contacts,invoices,bills,customerpayments\"",
    ),
];

fn invoice(n: u32, minute: u32) -> Value {
    record(Module::Invoices, &format!("98200000000{n:05}"), &at(minute))
}

fn payment(n: u32, amount: f64) -> Value {
    let mut doc = record(Module::CustomerPayments, &format!("7700{n}"), &at(0));
    doc["amount"] = json!(amount);
    doc
}

/// 5 items, 3 contacts, 5 invoices, 3 bills, 2 customer payments.
fn seed(zoho: &ZohoStandIn) {
    for n in 1..=5 {
        zoho.put(
            Module::Items,
            item(
                &format!("9007199254740993{n:03}"),
                &format!("SKU-{n}"),
                "10.25",
                &at(n),
            ),
        );
        zoho.put(Module::Invoices, invoice(n, 10 + n));
    }
    for n in 1..=3 {
        zoho.put(
            Module::Contacts,
            record(Module::Contacts, &format!("4600000{n}"), &at(20 + n)),
        );
        zoho.put(
            Module::Bills,
            record(Module::Bills, &format!("4700000{n}"), &at(30 + n)),
        );
    }
    for n in 1..=2 {
        zoho.put(Module::CustomerPayments, payment(n, 100.0 * f64::from(n)));
    }
}

async fn scalar(app: &TestApp, sql: &str) -> String {
    app.db
        .client()
        .await
        .query_one(&format!("SELECT ({sql})::text"), &[])
        .await
        .unwrap()
        .get(0)
}

fn api_requests(zoho: &ZohoStandIn) -> usize {
    zoho.log().iter().filter(|l| l.is_api()).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_sync_then_a_quiet_run_then_exactly_what_changed() {
    let zoho = ZohoStandIn::start().await;
    seed(&zoho);
    let app = app(&zoho, &FAST).await;

    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    for (module, listed) in [
        ("items", 5),
        ("contacts", 3),
        ("invoices", 5),
        ("bills", 3),
        ("customerpayments", 2),
    ] {
        let pull = &report["pull"][module];
        assert_eq!(pull["complete"], true, "{module}: {pull}");
        assert_eq!(pull["listed"], listed, "{module}: {pull}");
        assert_eq!(pull["read"], listed, "{module}: {pull}");
        assert_eq!(pull["stored"]["queued"], listed, "{module}: {pull}");
    }
    // Queued, not yet applied: in flight, not drift.
    assert_eq!(
        report["summary"]["drift"],
        json!({"missing": 0, "extra": 0, "stale": 0, "in_flight": 18, "pending": 0})
    );
    let log = zoho.log();
    assert_eq!(zoho.tokens_issued(), 1);
    let lists = log
        .iter()
        .filter(|l| l.is_api() && l.path.matches('/').count() == 3);
    for list in lists {
        let names: BTreeSet<&str> = list.query.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            BTreeSet::from(["organization_id", "page", "per_page"]),
            "a list asks for no sort and no filter: {list:?}"
        );
    }
    for module in [
        Module::Items,
        Module::Contacts,
        Module::Invoices,
        Module::Bills,
        Module::CustomerPayments,
    ] {
        let read = read_ids(&log, module);
        let distinct: BTreeSet<&String> = read.iter().collect();
        assert_eq!(distinct.len(), read.len(), "{module} read twice: {read:?}");
    }

    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    let items: Vec<String> = (1..=5).map(|n| format!("9007199254740993{n:03}")).collect();
    assert_eq!(live_ids(&app, "erp_items", "item_id").await, items);
    assert_eq!(live_ids(&app, "erp_contacts", "contact_id").await.len(), 3);
    assert_eq!(live_ids(&app, "erp_invoices", "invoice_id").await.len(), 5);
    assert_eq!(live_ids(&app, "erp_bills", "bill_id").await.len(), 3);
    assert_eq!(
        live_ids(&app, "erp_customer_payments", "payment_id").await,
        ["77001", "77002"]
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(DISTINCT invoice_id) FROM erp_invoice_lines"
        )
        .await,
        "5",
        "the lines came from the detail reads"
    );

    // Nothing changed: the list pages (3 + 2 + 3 + 2 + 1) and the two re-reads of records
    // whose rows show no time (items, customer payments), which store nothing.
    zoho.clear_log();
    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    assert_eq!(api_requests(&zoho), 11 + 2, "{report:#}");
    assert_eq!(report["summary"]["requests"]["total"], 13);
    let log = zoho.log();
    let reread =
        read_ids(&log, Module::Items).len() + read_ids(&log, Module::CustomerPayments).len();
    assert_eq!(reread, 2);
    let unchanged: u64 = ["items", "customerpayments"]
        .iter()
        .map(|m| report["pull"][m]["stored"]["unchanged"].as_u64().unwrap())
        .sum();
    assert_eq!(unchanged, 2, "{report:#}");
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM tds_inbox_events").await,
        "18",
        "a quiet run stores nothing"
    );
    assert_eq!(zoho.tokens_issued(), 1, "the stored token is still valid");

    // Changes: an invoice edited, one created, an item's rate and a payment's amount changed
    // (neither row shows a time: their fingerprints change). Customer payments now come
    // under the SDKs' list key, the other documented form.
    let mut edited = invoice(2, 100);
    edited["total"] = json!(4321.5);
    zoho.put(Module::Invoices, edited);
    zoho.put(Module::Invoices, invoice(6, 101));
    let mut repriced = zoho.record(Module::Items, "9007199254740993001");
    repriced["rate"] = json!(11.75);
    zoho.put(Module::Items, repriced);
    zoho.put(Module::CustomerPayments, payment(1, 150.0));
    zoho.use_list_key(Module::CustomerPayments, "customerpayments");
    zoho.clear_log();

    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    let log = zoho.log();
    let mut invoices = read_ids(&log, Module::Invoices);
    invoices.sort();
    assert_eq!(invoices, ["9820000000000002", "9820000000000006"]);
    assert!(
        read_ids(&log, Module::Contacts).is_empty() && read_ids(&log, Module::Bills).is_empty()
    );
    assert_eq!(read_ids(&log, Module::Items)[0], "9007199254740993001");
    assert_eq!(read_ids(&log, Module::CustomerPayments)[0], "77001");
    let reads = log.iter().filter(|l| l.is_api()).count() - 11;
    assert_eq!(
        reads,
        4 + 2,
        "the four changed records and the two re-reads"
    );

    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    assert_eq!(
        scalar(
            &app,
            "SELECT total FROM erp_invoices WHERE invoice_id = '9820000000000002'"
        )
        .await,
        "4321.5"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT rate FROM erp_items WHERE item_id = '9007199254740993001'"
        )
        .await,
        "11.75"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT amount = 150 FROM erp_customer_payments WHERE payment_id = '77001'"
        )
        .await,
        "true"
    );
    assert_eq!(live_ids(&app, "erp_invoices", "invoice_id").await.len(), 6);
}

/// Nine modules of 250 records, a day's share of 600 requests: four days. Every record
/// must arrive once, correct, no day may spend more than its share, and the progress
/// route must show where the backfill stands.
#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_larger_than_a_days_budget_goes_on_the_next_day() {
    let zoho = ZohoStandIn::start_with(Limits {
        per_minute: None,
        per_day: Some(2000),
    })
    .await;
    let modules = [
        Module::Items,
        Module::Contacts,
        Module::Invoices,
        Module::Bills,
        Module::CreditNotes,
        Module::SalesOrders,
        Module::PurchaseOrders,
        Module::CustomerPayments,
        Module::VendorPayments,
    ];
    for (m, module) in modules.iter().enumerate() {
        for n in 1..=250u32 {
            let id = format!("{}{n:04}", 31 + m);
            let mut doc = record(*module, &id, &at(n));
            match module {
                Module::Items => doc["rate"] = json!(n),
                Module::Invoices => doc["total"] = json!(n),
                Module::Contacts => doc["contact_name"] = json!(format!("Contact {n}")),
                // Zoho's examples write "string" for these dates.
                Module::SalesOrders => doc["shipment_date"] = json!("2014-08-02"),
                Module::PurchaseOrders => doc["expected_delivery_date"] = json!("2014-02-20"),
                _ => {}
            }
            zoho.put(*module, doc);
        }
    }
    let app = app(
        &zoho,
        &[
            ("reconcile_requests_per_minute", "10000"),
            ("reconcile_time_budget_ms", "3600000"),
            ("reconcile_daily_request_limit", "800"),
            ("reconcile_daily_request_reserve", "200"),
        ],
    )
    .await;

    let mut days = 0;
    loop {
        days += 1;
        assert!(days <= 6, "the backfill should end on its fourth day");
        let report = reconcile_ok(&app, "").await;
        let spent = zoho.requests_today();
        assert!(
            spent <= 600,
            "day {days}: {spent} requests, the share is 600"
        );
        let seen = progress(&app).await;
        assert_eq!(seen["requests"]["today"], spent, "{seen:#}");
        assert_eq!(seen["requests"]["budget"], 600, "{seen:#}");
        assert_eq!(seen["totals"]["listed"], 2250, "day {days}: {seen:#}");
        if report["status"] == "completed" {
            assert_eq!(seen["caught_up"], true, "{seen:#}");
            assert_eq!(seen["totals"]["to_read"], 0);
            break;
        }
        assert_eq!(report["status"], "partial", "{report:#}");
        assert_eq!(
            report["summary"]["stopped"], "today's request budget (600 requests) is spent",
            "{report:#}"
        );
        assert_eq!(spent, 600, "day {days} spends its whole share");
        // Each day lists the nine modules again (18 pages) and reads the rest of its share.
        let to_read = 2250 - days * (600 - 18);
        assert_eq!(seen["totals"]["to_read"], to_read, "day {days}: {seen:#}");
        assert_eq!(seen["caught_up"], false);
        let days_left = (to_read as u64).div_ceil(600 - 18);
        assert_eq!(
            seen["estimate"]["days_after_today"], days_left,
            "day {days}: {seen:#}"
        );
        assert!(seen["estimate"]["finish_date"].is_string(), "{seen:#}");
        next_day(&app, &zoho).await;
    }
    assert_eq!(days, 4);

    drain_until_idle(&app, Via::Cron, Duration::from_secs(300)).await;
    for (m, (table, key)) in [
        ("erp_items", "item_id"),
        ("erp_contacts", "contact_id"),
        ("erp_invoices", "invoice_id"),
        ("erp_bills", "bill_id"),
        ("erp_credit_notes", "creditnote_id"),
        ("erp_sales_orders", "salesorder_id"),
        ("erp_purchase_orders", "purchaseorder_id"),
        ("erp_customer_payments", "payment_id"),
        ("erp_vendor_payments", "payment_id"),
    ]
    .iter()
    .enumerate()
    {
        let expected: Vec<String> = (1..=250).map(|n| format!("{}{n:04}", 31 + m)).collect();
        assert_eq!(live_ids(&app, table, key).await, expected, "{table}");
    }
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM erp_items WHERE rate::text::numeric = right(item_id, 4)::numeric"
        )
        .await,
        "250",
        "every item's rate as Zoho holds it"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM erp_invoices WHERE total = right(invoice_id, 4)::numeric"
        )
        .await,
        "250"
    );
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM erp_contacts WHERE contact_name = 'Contact ' || right(contact_id, 4)::int").await,
        "250"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(DISTINCT invoice_id) FROM erp_invoice_lines"
        )
        .await,
        "250"
    );
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM tds_inbox_events").await,
        "2250",
        "every record stored exactly once"
    );
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM tds_dead_letters").await,
        "0"
    );

    // The next day, nothing changed: the list pages, the re-reads, no more.
    next_day(&app, &zoho).await;
    zoho.clear_log();
    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    let spent = api_requests(&zoho);
    assert!(spent <= 40, "a quiet run cost {spent} requests: {report:#}");
    assert_eq!(spent, 18 + 10, "18 list pages and the 10 re-reads");
    assert_eq!(report["summary"]["drift"]["missing"], 0, "{report:#}");
    assert_eq!(report["summary"]["drift"]["stale"], 0, "{report:#}");
    assert_eq!(report["summary"]["drift"]["extra"], 0, "{report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_stopped_by_its_time_budget_keeps_what_it_read() {
    let zoho = ZohoStandIn::start().await;
    for n in 1..=8 {
        zoho.put(
            Module::Items,
            item(&format!("520{n}"), &format!("B-{n}"), "1", &at(n)),
        );
    }
    // One request every 200 ms and one second to spend: one list page, then a few reads.
    let app = app(
        &zoho,
        &[
            ("reconcile_requests_per_minute", "300"),
            ("reconcile_time_budget_ms", "1000"),
            ("reconcile_rereads_per_run", "0"),
            ("reconcile_modules", "\"items\""),
        ],
    )
    .await;
    let first = reconcile_ok(&app, "").await;
    assert_eq!(first["status"], "partial", "{first:#}");
    let pull = &first["pull"]["items"];
    let read = pull["read"].as_u64().unwrap();
    assert!((1..8).contains(&read), "{first:#}");
    assert_eq!(pull["stored"]["queued"].as_u64(), Some(read));
    assert_eq!(pull["to_read"].as_u64(), Some(8 - read));
    assert_eq!(pull["complete"], false);
    let read_first: Vec<String> = read_ids(&zoho.log(), Module::Items);

    reconcile_support::set_config(&app, &[("reconcile_time_budget_ms", "240000")]).await;
    zoho.clear_log();
    let second = reconcile_ok(&app, "").await;
    assert_eq!(second["status"], "completed", "{second:#}");
    let read_second = read_ids(&zoho.log(), Module::Items);
    assert_eq!(
        read_second.len() as u64,
        8 - read,
        "only what the first run did not read"
    );
    assert!(read_second.iter().all(|id| !read_first.contains(id)));
    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    assert_eq!(live_ids(&app, "erp_items", "item_id").await.len(), 8);
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM tds_inbox_events").await,
        "8",
        "every record stored once across the two runs"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_resumes_at_the_page_after_an_outage() {
    let zoho = ZohoStandIn::start().await;
    for n in 1..=7 {
        zoho.put(
            Module::Items,
            item(&format!("5100{n}"), &format!("R-{n}"), "1", &at(n)),
        );
    }
    let app = app(&zoho, &FAST).await;
    reconcile_support::set_config(&app, &[("reconcile_modules", "\"items\"")]).await;

    // Two pages listed, then Zoho fails (500) past the retries.
    zoho.fail_lists_after(Module::Items, 2, 2);
    let (status, body) = reconcile(&app, "").await;
    assert_eq!(status, 502, "{body:#}");
    assert_eq!(body["error"]["code"], "zoho_api_failed");
    let pull = &body["report"]["pull"]["items"];
    assert_eq!(
        (pull["pages"].clone(), pull["complete"].clone()),
        (json!(2), json!(false))
    );
    assert_eq!(pull["cursor"]["page"], 3);

    zoho.clear_log();
    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    let log = zoho.log();
    let first = log.iter().find(|l| l.lists(Module::Items)).unwrap();
    assert_eq!(
        first.param("page"),
        Some("3"),
        "resumed after the stored pages"
    );
    assert_eq!(
        read_ids(&log, Module::Items).len(),
        7,
        "each record read once"
    );
    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    assert_eq!(live_ids(&app, "erp_items", "item_id").await.len(), 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_deleted_between_list_and_read_is_deleted_and_the_pull_goes_on() {
    let zoho = ZohoStandIn::start().await;
    for n in 1..=5 {
        zoho.put(Module::Invoices, invoice(n, n));
    }
    let app = app(&zoho, &FAST).await;
    reconcile_support::set_config(&app, &[("reconcile_modules", "\"invoices\"")]).await;
    reconcile_ok(&app, "").await;
    drain_until_idle(&app, Via::Cron, PATIENCE).await;

    // Invoices 2 and 4 edited; 2 is deleted once listed, before its detail is asked for.
    zoho.put(Module::Invoices, invoice(2, 50));
    let mut edited = invoice(4, 51);
    edited["total"] = json!(77.5);
    zoho.put(Module::Invoices, edited);
    zoho.delete_after_listing(Module::Invoices, "9820000000000002");
    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    let pull = &report["pull"]["invoices"];
    assert_eq!(pull["read"], 2, "{pull}");
    assert!(pull["errors"].as_array().unwrap().is_empty(), "{pull}");
    // Zoho lists newest first, two a page: [5, 4], [3, 2], [1]. Deleting 2 once its page
    // was answered moved 1 onto that page, so the pass did not show 1 either: 2 answered
    // 404, and 1 is gone from the listing. Drift finds 1 extra, reads it, and as it
    // answers, queues it again rather than deleting it.
    assert_eq!(pull["gone"], 2, "{pull}");
    assert_eq!(
        ids(&report["drift"]["invoices"]["extra"]),
        ["9820000000000001"]
    );
    assert_eq!(
        report["drift"]["invoices"]["fixes"]["requeued"], 1,
        "{report:#}"
    );

    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    assert_eq!(
        live_ids(&app, "erp_invoices", "invoice_id").await,
        [
            "9820000000000001",
            "9820000000000003",
            "9820000000000004",
            "9820000000000005"
        ]
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT total FROM erp_invoices WHERE invoice_id = '9820000000000004'"
        )
        .await,
        "77.5"
    );
    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["summary"]["drift"]["extra"], 0, "{report:#}");
    assert_eq!(report["summary"]["drift"]["missing"], 0, "{report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_credentials_nothing_is_done() {
    let app = TestApp::start_with(TestAppOptions {
        variables: vec![format!("stats_token={}", reconcile_support::TOKEN)],
        ..TestAppOptions::default()
    })
    .await;
    let (status, body) = reconcile(&app, "").await;
    assert_eq!(status, 503, "{body:#}");
    assert_eq!(body["error"]["code"], "not_configured");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("zoho_client_id") && message.contains("zoho_refresh_token"),
        "{message}"
    );
    app.run_cron("reconcile")
        .await
        .expect("the cron never fails for it");
    let client = app.db.client().await;
    let statuses: Vec<String> = client
        .query("SELECT status FROM tds_reconcile_reports ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        statuses,
        ["not_configured"],
        "the hourly cron writes nothing while Zoho is not configured"
    );
    let response = app
        .client
        .get(app.url("/internal/reconcile"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    let response = app
        .client
        .post(app.url("/internal/reconcile"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

async fn written(app: &TestApp) -> (i64, i64) {
    let client = app.db.client().await;
    let count = |sql: &'static str| {
        let client = &client;
        async move { client.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) }
    };
    (
        count("SELECT count(*) FROM tds_reconcile_reports").await,
        count("SELECT count(*) FROM tds_sync_runs WHERE component = 'reconcile'").await,
    )
}

/// The hourly cron does what is due: a first listing, what is left to read once a new day
/// brings budget, nothing (and writes nothing) while every listing is fresh, and a new
/// listing once the last is `reconcile_check_interval_hours` old.
#[tokio::test(flavor = "multi_thread")]
async fn the_hourly_cron_does_only_what_is_due() {
    let zoho = ZohoStandIn::start().await;
    for n in 1..=5 {
        zoho.put(
            Module::Items,
            item(&format!("530{n}"), &format!("H-{n}"), "1", &at(n)),
        );
    }
    let app = app(
        &zoho,
        &[
            ("reconcile_requests_per_minute", "6000"),
            ("reconcile_modules", "\"items\""),
            ("reconcile_daily_request_limit", "4"),
            ("reconcile_daily_request_reserve", "0"),
        ],
    )
    .await;

    // Never listed: due. One list page and three reads spend the day's four requests.
    app.run_cron("reconcile").await.expect("the cron runs");
    assert_eq!(api_requests(&zoho), 4);
    assert_eq!(written(&app).await, (1, 1));
    // The same day: the budget is spent, so nothing is due and nothing is written.
    app.run_cron("reconcile").await.expect("the cron runs");
    assert_eq!((api_requests(&zoho), written(&app).await), (4, (1, 1)));
    let (status, body) = reconcile(&app, "?only_if_due=true").await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["report"], Value::Null, "{body:#}");
    assert_eq!(
        body["skipped"],
        "today's request budget (4 requests) is spent"
    );

    // The next day: the listing is fresh, so only the two records left are read.
    next_day(&app, &zoho).await;
    zoho.clear_log();
    app.run_cron("reconcile").await.expect("the cron runs");
    let log = zoho.log();
    assert!(!log.iter().any(|l| l.lists(Module::Items)), "no listing");
    assert_eq!(read_ids(&log, Module::Items).len(), 2);
    assert_eq!(written(&app).await, (2, 2));

    // Caught up and listed less than a day ago: nothing due, nothing written.
    zoho.clear_log();
    app.run_cron("reconcile").await.expect("the cron runs");
    assert_eq!((api_requests(&zoho), written(&app).await), (0, (2, 2)));

    // A day after the last listing: listed again.
    app.db
        .client()
        .await
        .execute(
            "UPDATE tds_cursors SET details = jsonb_set(details, '{last_pass_ended_at}',
                 to_jsonb(to_char((now() - interval '25 hours') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')))
             WHERE name = 'zoho_listing:items'",
            &[],
        )
        .await
        .unwrap();
    next_day(&app, &zoho).await;
    app.run_cron("reconcile").await.expect("the cron runs");
    assert!(zoho.log().iter().any(|l| l.lists(Module::Items)));
    assert_eq!(written(&app).await, (3, 3));
    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    assert_eq!(live_ids(&app, "erp_items", "item_id").await.len(), 5);
}

/// One run at a time: while another run holds the lease, a call is answered 409 and the
/// cron writes nothing; a run gives the lease back when it ends, and an expired lease is
/// taken over.
#[tokio::test(flavor = "multi_thread")]
async fn one_run_at_a_time() {
    let zoho = ZohoStandIn::start().await;
    seed(&zoho);
    let app = app(&zoho, &FAST).await;
    let client = app.db.client().await;
    client
        .execute(
            "INSERT INTO tds_cursors (name, position, position_at) VALUES ('reconcile:run', 'another-run', now() + interval '1 hour')",
            &[],
        )
        .await
        .unwrap();

    let (status, body) = reconcile(&app, "").await;
    assert_eq!(status, 409, "{body:#}");
    assert_eq!(body["error"]["code"], "already_running");
    assert_eq!(body["report"], Value::Null);
    app.run_cron("reconcile").await.expect("the cron runs");
    assert_eq!((api_requests(&zoho), written(&app).await), (0, (0, 0)));

    // The other run died: once its lease has expired, the next run takes it over.
    client
        .execute(
            "UPDATE tds_cursors SET position_at = now() - interval '1 second' WHERE name = 'reconcile:run'",
            &[],
        )
        .await
        .unwrap();
    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    let free: bool = client
        .query_one(
            "SELECT position_at <= now() FROM tds_cursors WHERE name = 'reconcile:run'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(free, "the run gave its lease back");
    let (status, _) = reconcile(&app, "").await;
    assert_eq!(status, 200, "the next call runs");
}
