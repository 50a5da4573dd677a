//! Pull sync from the Zoho Books API (a stand-in served by the test): a full initial sync
//! of swept and incremental modules, an incremental sync after changes, a sync resumed
//! after Zoho failed mid-pull (the cursor never passes a page that was not stored), and
//! the "not configured" answer.

mod reconcile_support;

use reconcile_support::{
    app, at, item, live_ids, reconcile, reconcile_ok, record, ZohoStandIn, PATIENCE,
};
use serde_json::json;
use tds_core::entity::Module;
use tds_tests::internal::{drain_until_idle, Via};
use tds_tests::{TestApp, TestAppOptions};

/// Small pages, a fast pace, short waits.
const FAST: [(&str, &str); 5] = [
    ("reconcile_page_size", "2"),
    ("reconcile_requests_per_minute", "6000"),
    ("reconcile_backoff_base_ms", "20"),
    ("reconcile_max_retries", "1"),
    ("reconcile_modules", "\"items,contacts,invoices,bills\""),
];

fn invoice(n: u32, minute: u32) -> serde_json::Value {
    record(Module::Invoices, &format!("98200000000{n:05}"), &at(minute))
}

/// 5 items, 3 contacts, 5 invoices, 3 bills, every one modified at its own minute.
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
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.db
        .client()
        .await
        .query_one(sql, &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_sync_then_an_incremental_one() {
    let zoho = ZohoStandIn::start().await;
    seed(&zoho);
    let app = app(&zoho, &FAST).await;

    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    for (module, listed) in [("items", 5), ("contacts", 3), ("invoices", 5), ("bills", 3)] {
        let pull = &report["pull"][module];
        assert_eq!(pull["complete"], true, "{module}: {pull}");
        assert_eq!(pull["stored"]["queued"], listed, "{module}: {pull}");
        assert_eq!(pull["fetched"], listed, "{module}: {pull}");
    }
    // Queued, not yet applied: in flight, not drift.
    assert_eq!(
        report["summary"]["drift"],
        json!({"missing": 0, "extra": 0, "stale": 0, "in_flight": 16})
    );
    let log = zoho.log();
    assert_eq!(zoho.tokens_issued(), 1);
    // Every record read by id exactly once, though incremental pages overlap at their edges.
    for module in [
        Module::Items,
        Module::Contacts,
        Module::Invoices,
        Module::Bills,
    ] {
        let mut read: Vec<&str> = log
            .iter()
            .filter(|l| l.reads(module))
            .map(|l| l.path.as_str())
            .collect();
        let total = read.len();
        read.sort_unstable();
        read.dedup();
        assert_eq!(read.len(), total, "{module} read twice");
    }
    // The pull's list requests come first, the drift check's (every page, no filter) after.
    let invoice_lists: Vec<_> = log.iter().filter(|l| l.lists(Module::Invoices)).collect();
    assert!(invoice_lists
        .iter()
        .all(|l| l.param("organization_id") == Some(reconcile_support::ORGANIZATION_ID)));
    let pull_pages = report["pull"]["invoices"]["pages"].as_u64().unwrap() as usize;
    let (pulled, compared) = invoice_lists.split_at(pull_pages);
    assert_eq!(
        pulled[0].param("last_modified_time"),
        None,
        "the first pull has no filter"
    );
    let filters: Vec<_> = pulled[1..]
        .iter()
        .map(|l| l.param("last_modified_time").unwrap())
        .collect();
    assert_eq!(
        filters,
        [
            "2026-01-01T00:12:00+0000",
            "2026-01-01T00:13:00+0000",
            "2026-01-01T00:14:00+0000"
        ],
        "the filter moves to each stored page's newest record"
    );
    assert!(compared
        .iter()
        .all(|l| l.param("last_modified_time").is_none()));

    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    let items: Vec<String> = (1..=5).map(|n| format!("9007199254740993{n:03}")).collect();
    assert_eq!(live_ids(&app, "erp_items", "item_id").await, items);
    assert_eq!(live_ids(&app, "erp_contacts", "contact_id").await.len(), 3);
    assert_eq!(live_ids(&app, "erp_invoices", "invoice_id").await.len(), 5);
    assert_eq!(live_ids(&app, "erp_bills", "bill_id").await.len(), 3);
    assert_eq!(
        count(
            &app,
            "SELECT count(DISTINCT invoice_id) FROM erp_invoice_lines"
        )
        .await,
        5,
        "the lines came from the detail reads"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM tds_inbox_events WHERE source = 'zoho_pull'"
        )
        .await,
        16
    );

    // Changes in Zoho: two invoices edited, one created, one item's rate changed.
    let mut edited = invoice(2, 100);
    edited["total"] = json!(4321.5);
    zoho.put(Module::Invoices, edited);
    zoho.put(Module::Invoices, invoice(6, 101));
    let mut repriced = zoho.record(Module::Items, "9007199254740993001");
    repriced["rate"] = json!(11.75);
    repriced["last_modified_time"] = json!(at(102));
    zoho.put(Module::Items, repriced);
    zoho.clear_log();

    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    let log = zoho.log();
    let first_list = log
        .iter()
        .find(|l| l.lists(Module::Invoices))
        .expect("invoices listed");
    assert_eq!(
        first_list.param("last_modified_time"),
        Some("2026-01-01T00:14:00+0000"),
        "an incremental pass starts one overlap (60 s) before the last stored record"
    );
    let read = |module| -> Vec<String> {
        log.iter()
            .filter(|l| l.reads(module))
            .map(|l| l.path.rsplit('/').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        read(Module::Invoices),
        ["9820000000000002", "9820000000000006"]
    );
    assert_eq!(read(Module::Items), ["9007199254740993001"]);
    assert!(read(Module::Contacts).is_empty() && read(Module::Bills).is_empty());
    assert_eq!(zoho.tokens_issued(), 1, "the stored token is still valid");

    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    let client = app.db.client().await;
    let total: String = client
        .query_one(
            "SELECT total::text FROM erp_invoices WHERE invoice_id = '9820000000000002'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(total, "4321.5");
    let rate: String = client
        .query_one(
            "SELECT rate::text FROM erp_items WHERE item_id = '9007199254740993001'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(rate, "11.75");
    assert_eq!(live_ids(&app, "erp_invoices", "invoice_id").await.len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_resumes_where_zoho_failed() {
    let zoho = ZohoStandIn::start().await;
    for n in 1..=7 {
        zoho.put(
            Module::Items,
            item(&format!("5100{n}"), &format!("R-{n}"), "1", &at(n)),
        );
        zoho.put(Module::Invoices, invoice(n, 10 + n));
    }
    let app = app(&zoho, &FAST).await;
    reconcile_support::set_config(&app, &[("reconcile_modules", "\"items,invoices\"")]).await;

    // Items (swept): two pages stored, then Zoho fails (500) past the retries.
    zoho.fail_lists_after(Module::Items, 2, 2);
    let (status, body) = reconcile(&app, "").await;
    assert_eq!(status, 502, "{body:#}");
    assert_eq!(body["error"]["code"], "zoho_api_failed");
    let items_pull = &body["report"]["pull"]["items"];
    assert_eq!(
        (items_pull["pages"].clone(), items_pull["complete"].clone()),
        (json!(2), json!(false))
    );
    assert_eq!(items_pull["cursor"]["page"], 3);
    assert!(
        body["report"]["pull"]["invoices"].is_null(),
        "the API work stopped at the outage"
    );
    let client = app.db.client().await;
    let stored: i64 = client
        .query_one(
            "SELECT count(*) FROM tds_inbox_events WHERE module = 'items'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 4, "exactly the two stored pages");

    // The next run resumes items at page 3; invoices fail after two stored pages.
    zoho.clear_log();
    zoho.fail_lists_after(Module::Invoices, 2, 2);
    let (status, body) = reconcile(&app, "").await;
    assert_eq!(status, 502, "{body:#}");
    let log = zoho.log();
    let first_items = log.iter().find(|l| l.lists(Module::Items)).unwrap();
    assert_eq!(first_items.param("page"), Some("3"));
    assert_eq!(body["report"]["pull"]["items"]["complete"], true);
    let invoices_pull = &body["report"]["pull"]["invoices"];
    assert_eq!(invoices_pull["pages"], 2);
    // Pages overlap at the filter's edge: 1–2, then 2–3.
    assert_eq!(invoices_pull["fetched"], 3);

    zoho.clear_log();
    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    let log = zoho.log();
    let first_invoices = log.iter().find(|l| l.lists(Module::Invoices)).unwrap();
    assert_eq!(
        (
            first_invoices.param("page"),
            first_invoices.param("last_modified_time")
        ),
        (Some("1"), Some("2026-01-01T00:13:00+0000")),
        "resumed from the last stored page's newest record, not from the start"
    );
    let invoice_reads = log.iter().filter(|l| l.reads(Module::Invoices)).count();
    assert_eq!(invoice_reads, 4, "only the invoices not stored before");

    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    assert_eq!(live_ids(&app, "erp_items", "item_id").await.len(), 7);
    assert_eq!(live_ids(&app, "erp_invoices", "invoice_id").await.len(), 7);
    let duplicated: i64 = client
        .query_one(
            "SELECT count(*) FROM (SELECT entity_id FROM tds_inbox_events GROUP BY module, entity_id HAVING count(*) > 1) d",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(duplicated, 0, "no record was stored twice");
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
    assert_eq!(statuses, ["not_configured", "not_configured"]);
    let (status, _) = {
        let response = app
            .client
            .get(app.url("/internal/reconcile"))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), ())
    };
    assert_eq!(status, 405);
    let response = app
        .client
        .post(app.url("/internal/reconcile"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_cut_short_by_its_time_budget_resumes() {
    let zoho = ZohoStandIn::start().await;
    for n in 1..=8 {
        zoho.put(
            Module::Items,
            item(&format!("520{n}"), &format!("B-{n}"), "1", &at(n)),
        );
    }
    // One request every 200 ms and one second to spend: the pull cannot finish.
    let app = app(
        &zoho,
        &[
            ("reconcile_page_size", "2"),
            ("reconcile_requests_per_minute", "300"),
            ("reconcile_time_budget_ms", "1000"),
            ("reconcile_modules", "\"items\""),
        ],
    )
    .await;
    let first = reconcile_ok(&app, "").await;
    assert_eq!(first["status"], "partial", "{first:#}");
    let pull = &first["pull"]["items"];
    assert_eq!(pull["complete"], false);
    assert_eq!(first["summary"]["drift_unchecked"], json!(["items"]));
    let resume_at = pull["cursor"]["page"].as_u64().unwrap().to_string();
    let stored_pages = pull["pages"].as_u64().unwrap();
    assert_eq!(pull["stored"]["queued"].as_u64().unwrap(), stored_pages * 2);

    reconcile_support::set_config(&app, &[("reconcile_time_budget_ms", "240000")]).await;
    zoho.clear_log();
    let second = reconcile_ok(&app, "").await;
    assert_eq!(second["status"], "completed", "{second:#}");
    let log = zoho.log();
    let first_list = log.iter().find(|l| l.lists(Module::Items)).unwrap();
    assert_eq!(first_list.param("page"), Some(resume_at.as_str()));
    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    assert_eq!(live_ids(&app, "erp_items", "item_id").await.len(), 8);
    let events: i64 = app
        .db
        .client()
        .await
        .query_one("SELECT count(*) FROM tds_inbox_events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(events, 8, "every record stored once across the two runs");
}
