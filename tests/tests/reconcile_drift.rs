//! Drift detection and integrity checks: after a full sync, records are made to differ in
//! known ways (an ERP row lost, an ERP version rolled back, a record deleted in Zoho
//! without a webhook, a row only the ERP has, an edit still in the queue); the report names
//! exactly those, an alert opens, a run with `fix=false` only reports them, a run as
//! configured by default enqueues the fixes, and a later run finds nothing and resolves
//! the alert. Integrity findings are checked on rows written to the
//! ERP tables directly.

mod reconcile_support;

use reconcile_support::{app, at, ids, item, live_ids, reconcile_ok, record, ZohoStandIn, PATIENCE};
use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_tests::internal::{drain_until_idle, Via};
use tds_tests::TestApp;

const CONFIG: [(&str, &str); 3] = [
    ("reconcile_page_size", "2"),
    ("reconcile_requests_per_minute", "6000"),
    ("reconcile_modules", "\"items,contacts,invoices\""),
];

async fn alert(app: &TestApp, key: &str) -> Option<(String, String)> {
    app.db
        .client()
        .await
        .query_opt(
            "SELECT kind, status FROM tds_alerts WHERE dedup_key = $1 ORDER BY id DESC LIMIT 1",
            &[&key],
        )
        .await
        .unwrap()
        .map(|r| (r.get(0), r.get(1)))
}

fn drift_ids(report: &Value, module: &str, list: &str) -> Vec<String> {
    ids(&report["drift"][module][list])
}

#[tokio::test(flavor = "multi_thread")]
async fn the_drift_report_names_exactly_what_was_made_to_differ() {
    let zoho = ZohoStandIn::start().await;
    for n in 1..=4 {
        zoho.put(
            Module::Items,
            item(&format!("610{n}"), &format!("D-{n}"), "5", &at(n)),
        );
        zoho.put(
            Module::Invoices,
            record(Module::Invoices, &format!("620{n}"), &at(10 + n)),
        );
    }
    for n in 1..=3 {
        zoho.put(
            Module::Contacts,
            record(Module::Contacts, &format!("630{n}"), &at(20 + n)),
        );
    }
    let app = app(&zoho, &CONFIG).await;
    reconcile_ok(&app, "").await;
    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    let report = reconcile_ok(&app, "").await;
    assert_eq!(
        report["summary"]["drift"],
        json!({"missing": 0, "extra": 0, "stale": 0, "in_flight": 0, "pending": 0}),
        "{report:#}"
    );
    assert_eq!(alert(&app, "reconcile:drift").await, None);

    let client = app.db.client().await;
    // Missing: the ERP lost item 6101 (its event stays in the inbox).
    client
        .execute("DELETE FROM erp_items WHERE item_id = '6101'", &[])
        .await
        .unwrap();
    // Stale: the ERP holds an older version of invoice 6202.
    client
        .execute(
            "UPDATE erp_invoices SET source_modified_at = source_modified_at - interval '1 day' WHERE invoice_id = '6202'",
            &[],
        )
        .await
        .unwrap();
    // Extra: contact 6302 deleted in Zoho without a webhook, and a contact only the ERP has.
    zoho.remove(Module::Contacts, "6302");
    client
        .execute(
            "INSERT INTO erp_contacts (contact_id, contact_name, source_modified_at, content_hash, source_document, last_inbox_event_id)
             VALUES ('6399', 'Only in the ERP', now(), 'x', '{}', 0)",
            &[],
        )
        .await
        .unwrap();
    // In flight, not drift: item 6104 edited in Zoho, pulled and queued, not yet applied.
    let mut edited = zoho.record(Module::Items, "6104");
    edited["rate"] = json!(6);
    edited["last_modified_time"] = json!(at(50));
    zoho.put(Module::Items, edited);

    let report = reconcile_ok(&app, "?fix=false").await;
    assert_eq!(drift_ids(&report, "items", "missing"), ["6101"]);
    assert_eq!(drift_ids(&report, "items", "in_flight"), ["6104"]);
    assert_eq!(drift_ids(&report, "invoices", "stale"), ["6202"]);
    assert_eq!(drift_ids(&report, "contacts", "extra"), ["6302", "6399"]);
    for (module, list) in [
        ("items", "extra"),
        ("items", "stale"),
        ("invoices", "missing"),
        ("invoices", "extra"),
        ("contacts", "missing"),
        ("contacts", "stale"),
    ] {
        assert!(
            drift_ids(&report, module, list).is_empty(),
            "{module} {list}: {report:#}"
        );
    }
    assert_eq!(
        report["summary"]["drift"],
        json!({"missing": 1, "extra": 2, "stale": 1, "in_flight": 1, "pending": 0})
    );
    assert_eq!(report["fixes_enqueued"], 0, "fix=false only reports");
    assert_eq!(
        alert(&app, "reconcile:drift").await,
        Some(("reconcile_drift".to_string(), "open".to_string()))
    );
    let stored: Value = serde_json::from_str(
        &client
            .query_one(
                "SELECT drift::text FROM tds_reconcile_reports WHERE id = $1",
                &[&report["id"].as_i64().unwrap()],
            )
            .await
            .unwrap()
            .get::<_, String>(0),
    )
    .unwrap();
    assert_eq!(stored, report["drift"], "the report is stored as answered");
    let run_counts: Value = serde_json::from_str(
        &client
            .query_one(
                "SELECT counts::text FROM tds_sync_runs WHERE component = 'reconcile' ORDER BY id DESC LIMIT 1",
                &[],
            )
            .await
            .unwrap()
            .get::<_, String>(0),
    )
    .unwrap();
    assert_eq!(run_counts["drift"], report["summary"]["drift"], "{run_counts}");
    assert_eq!(run_counts["fixes_enqueued"], 0);
    assert_eq!(
        run_counts["api_requests"],
        report["summary"]["requests"]["total"],
        "the run's counts are the report's"
    );

    // Fixes are enqueued by default; the extra rows are confirmed gone (404) first.
    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["fixes_enqueued"], 4, "{report:#}");
    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    assert!(live_ids(&app, "erp_items", "item_id")
        .await
        .contains(&"6101".to_string()));
    assert_eq!(
        live_ids(&app, "erp_contacts", "contact_id").await,
        ["6301", "6303"]
    );
    let report = reconcile_ok(&app, "").await;
    assert_eq!(
        report["summary"]["drift"],
        json!({"missing": 0, "extra": 0, "stale": 0, "in_flight": 0, "pending": 0}),
        "{report:#}"
    );
    assert_eq!(
        alert(&app, "reconcile:drift").await,
        Some(("reconcile_drift".to_string(), "resolved".to_string()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn integrity_checks_find_each_broken_rule() {
    let zoho = ZohoStandIn::start().await;
    let app = app(
        &zoho,
        &[
            ("reconcile_requests_per_minute", "6000"),
            ("reconcile_modules", "\"items\""),
            ("reconcile_stale_age_hours", "720"),
        ],
    )
    .await;
    let client = app.db.client().await;
    client
        .batch_execute(
            "INSERT INTO erp_items (item_id, sku, rate, stock_on_hand, source_modified_at, content_hash, source_document, last_inbox_event_id, updated_at) VALUES
                ('I1', 'A-1', -5.00, 1, now(), 'x', '{}', 0, now()),
                ('I2', 'A-2', 5.00, -3, now(), 'x', '{}', 0, now()),
                ('I3', 'DUP', 1, 1, now(), 'x', '{}', 0, now()),
                ('I4', 'dup ', 1, 1, now(), 'x', '{}', 0, now()),
                ('I5', 'A-5', 1, 1, now(), 'x', '{}', 0, now() - interval '1000 hours'),
                ('I6', 'A-6', -0.00, 0, now(), 'x', '{}', 0, now());
             INSERT INTO erp_contacts (contact_id, source_modified_at, content_hash, source_document, last_inbox_event_id)
                VALUES ('C1', now(), 'x', '{}', 0);
             INSERT INTO erp_invoices (invoice_id, customer_id, source_modified_at, content_hash, source_document, last_inbox_event_id) VALUES
                ('V1', 'C1', now(), 'x', '{}', 0),
                ('V2', 'C-GONE', now(), 'x', '{}', 0);
             INSERT INTO erp_invoice_lines (invoice_id, line_no, item_id, rate) VALUES
                ('V1', 1, 'I1', 2), ('V1', 2, 'I-GONE', 2), ('V2', 1, 'I2', -1);",
        )
        .await
        .unwrap();
    let report = reconcile_ok(&app, "").await;
    let mut found: Vec<(String, String, String)> = report["integrity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_string(),
                f["module"].as_str().unwrap().to_string(),
                f["entity_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    let expected: Vec<(String, String, String)> = [
        ("duplicate_sku", "items", "I3"),
        ("duplicate_sku", "items", "I4"),
        ("negative_price", "invoices", "V2"),
        ("negative_price", "items", "I1"),
        ("negative_stock", "items", "I2"),
        ("not_refreshed", "items", "I5"),
        ("unknown_contact", "invoices", "V2"),
        ("unknown_item", "invoices", "V1"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(found, expected, "{report:#}");
    assert_eq!(
        alert(&app, "reconcile:integrity").await,
        Some(("reconcile_integrity".to_string(), "open".to_string()))
    );
    // The ERP's items are not in Zoho (the stand-in has none): extra, as they should be.
    assert_eq!(
        drift_ids(&report, "items", "extra"),
        ["I1", "I2", "I3", "I4", "I5", "I6"]
    );
}
