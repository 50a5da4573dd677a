//! No secret value reaches the database, the answers or the logs: intake runs with a
//! default secret and a per-module secret, each mid-rotation (an old and a new value), and a
//! stats token; deliveries succeed and fail in every way that carries a secret (headers,
//! query, wrong values), and each value of a rotated secret is accepted and counted by its
//! position (`/api/intake/credentials`, `/metrics`). A second application does the same for
//! a rotated shared key. Then every table is dumped as text and the process's whole log
//! (host and guests, stderr, at debug level) is grepped.
//!
//! The only test of this binary: it points the process's stderr at a pipe
//! ([`tds_tests::capture::LogCapture`]), and the host's tracing (debug level) into the same
//! capture.

use serde_json::json;
use tds_core::entity::Module;
use tds_core::signature::{sign, signed_message};
use tds_tests::capture::LogCapture;
use tds_tests::stats::{self, Reply};
use tds_tests::webhooks::{self, example, wrapped, Delivery};
use tds_tests::{TestApp, TestAppOptions};

const OLD_DEFAULT_SECRET: &str = "OldDfltSecretRst456";
const DEFAULT_SECRET: &str = "DfltSecretAbc123xyz";
const MODULE_SECRET: &str = "BillSecretQrs789uvw";
const NEW_MODULE_SECRET: &str = "NewBillSecretCde345";
const SALES_SECRET: &str = "SalesSecretJkl901mno";
const OLD_KEY: &str = "OldSharedKeyFgh678";
const KEY: &str = "SharedKeyLmn456opq";
const STATS_TOKEN: &str = "StatsTokenHij012klm";
const WRONG: &str = "WrongGuessTuv345wxy";
const SECRETS: [&str; 9] = [
    OLD_DEFAULT_SECRET,
    DEFAULT_SECRET,
    MODULE_SECRET,
    NEW_MODULE_SECRET,
    SALES_SECRET,
    OLD_KEY,
    KEY,
    STATS_TOKEN,
    WRONG,
];

/// `GET path` with the stats token.
async fn stats_get(app: &TestApp, path: &str) -> Reply {
    stats::call(app, "GET", path, Some(STATS_TOKEN), None).await
}

/// The credentials `/api/intake/credentials` lists, as `(variable, position, deliveries)`,
/// and the answer's text.
async fn credentials_used(app: &TestApp) -> (Vec<(String, u64, u64)>, String) {
    let Reply {
        status,
        body: answer,
        text,
        ..
    } = stats_get(app, "/api/intake/credentials?hours=1").await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(answer["window_hours"], json!(1), "{answer}");
    let used = answer["credentials"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            assert!(
                c["last_used_at"].as_str().is_some_and(|t| t.ends_with('Z')),
                "{c}"
            );
            let variable = c["variable"].as_str().expect("a variable").to_string();
            (
                variable,
                c["position"].as_u64().unwrap(),
                c["deliveries"].as_u64().unwrap(),
            )
        })
        .collect();
    (used, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_appears_in_the_database_or_the_logs() {
    let capture = LogCapture::start_with_tracing(tracing::Level::DEBUG);

    let app = TestApp::start_with(TestAppOptions {
        variables: vec![
            format!("zoho_webhook_secret={OLD_DEFAULT_SECRET}, {DEFAULT_SECRET}"),
            format!("zoho_module_secrets=bills={MODULE_SECRET},salesorders={SALES_SECRET},bills={NEW_MODULE_SECRET}"),
            format!("webhook_key={KEY}"),
            format!("stats_token={STATS_TOKEN}"),
        ],
        ..TestAppOptions::default()
    })
    .await;
    let item = wrapped(Module::Items, example(Module::Items));
    let bill = wrapped(Module::Bills, example(Module::Bills));
    let signed = |secret: &str, body: &serde_json::Value| {
        sign(
            secret,
            &signed_message(&[], &[], Some(body.to_string().as_bytes())),
        )
    };
    let old_item = wrapped(Module::Invoices, example(Module::Invoices));
    let deliveries = [
        Delivery::json("/webhooks/zoho/invoices", &old_item).header(
            "x-zoho-webhook-signature",
            signed(OLD_DEFAULT_SECRET, &old_item),
        ),
        Delivery::json("/webhooks/zoho/items", &item)
            .header("x-zoho-webhook-signature", signed(DEFAULT_SECRET, &item)),
        Delivery::json("/webhooks/zoho/bills", &bill)
            .header("x-zoho-webhook-signature", signed(MODULE_SECRET, &bill)),
        Delivery::json("/webhooks/zoho/bills", &bill)
            .header("x-zoho-webhook-signature", signed(NEW_MODULE_SECRET, &bill)),
        Delivery::json("/webhooks/zoho/bills", &bill)
            .header("x-zoho-webhook-signature", signed(DEFAULT_SECRET, &bill)),
        Delivery::json("/webhooks/zoho/bills", &bill)
            .header("x-zoho-webhook-signature", signed(WRONG, &bill)),
        Delivery::json("/webhooks/zoho/items", &item).header("x-zoho-webhook-signature", WRONG),
        Delivery::json(
            "/webhooks/zoho/items?key=SharedKeyLmn456opq&token=StatsTokenHij012klm",
            &item,
        )
        .header("x-zoho-webhook-signature", signed(DEFAULT_SECRET, &item))
        .header("authorization", format!("Bearer {STATS_TOKEN}")),
    ];
    let mut statuses = Vec::new();
    let mut answers = String::new();
    for delivery in deliveries {
        let answer = delivery.send(&app).await;
        statuses.push(answer.status);
        answers.push_str(&answer.body.to_string());
    }
    assert_eq!(
        statuses,
        [202, 202, 202, 200, 401, 401, 401, 401],
        "either value of a rotated secret proves a delivery (the bill again is a duplicate); \
         a module with its own secrets takes no other; the query pairs are signed too"
    );
    let (used, listed) = credentials_used(&app).await;
    assert_eq!(
        used,
        [
            ("zoho_module_secrets".to_string(), 1, 1),
            ("zoho_module_secrets".to_string(), 3, 1),
            ("zoho_webhook_secret".to_string(), 1, 1),
            ("zoho_webhook_secret".to_string(), 2, 1),
        ],
        "each delivery is counted under the position that proved it, the duplicate too: {listed}"
    );
    answers.push_str(&listed);
    let Reply {
        status,
        text: metrics,
        ..
    } = stats_get(&app, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains(
            "tds_intake_credential_deliveries{variable=\"zoho_webhook_secret\",position=\"1\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("tds_intake_credential_last_used_timestamp_seconds{"),
        "{metrics}"
    );
    answers.push_str(&metrics);
    for path in ["/internal/drain/catalog", "/internal/heal"] {
        for token in [STATS_TOKEN, WRONG] {
            app.client
                .post(app.url(path))
                .bearer_auth(token)
                .send()
                .await
                .expect("answers");
        }
    }
    app.run_cron("processor-catalog")
        .await
        .expect("the catalog lane runs");
    app.run_cron("processor-purchases")
        .await
        .expect("the purchases lane runs");
    app.run_cron("heal").await.expect("heal runs");

    let mut dump = dump_tables(&app).await;
    let mut raw_bodies = raw_bodies_of(&app).await;

    let keyed = TestApp::start_with(TestAppOptions {
        variables: vec![
            format!("webhook_key={OLD_KEY},{KEY}"),
            format!("stats_token={STATS_TOKEN}"),
        ],
        ..TestAppOptions::default()
    })
    .await;
    let mut statuses = Vec::new();
    for (n, key) in [OLD_KEY, KEY, WRONG].into_iter().enumerate() {
        let body = webhooks::item(
            &format!("key-{n}"),
            "Keyed",
            json!(1),
            "2026-03-01T10:00:00+0000",
        );
        let answer = Delivery::json("/webhooks/zoho/items", &body)
            .header("x-webhook-key", key.to_string())
            .send(&keyed)
            .await;
        statuses.push(answer.status);
        answers.push_str(&answer.body.to_string());
    }
    assert_eq!(
        statuses,
        [202, 202, 401],
        "either key of a rotated webhook_key"
    );
    let (used, listed) = credentials_used(&keyed).await;
    assert_eq!(
        used,
        [
            ("webhook_key".to_string(), 1, 1),
            ("webhook_key".to_string(), 2, 1)
        ],
        "{listed}"
    );
    answers.push_str(&listed);
    dump.push_str(&dump_tables(&keyed).await);
    raw_bodies.extend(raw_bodies_of(&keyed).await);

    let logged = capture.finish();
    assert!(
        logged.contains("[intake]"),
        "the guests' log was captured:\n{logged}"
    );
    assert!(
        dump.contains("[redacted]"),
        "the signature header was kept, redacted"
    );
    assert!(!raw_bodies.is_empty());
    for secret in SECRETS {
        assert!(!dump.contains(secret), "{secret} is in the database");
        for body in &raw_bodies {
            assert!(
                !String::from_utf8_lossy(body).contains(secret),
                "{secret} is in a raw body"
            );
        }
        assert!(!logged.contains(secret), "{secret} is in the log");
        assert!(!answers.contains(secret), "{secret} is in an answer");
    }
}

/// Every row of every table in the application's database, as text.
async fn dump_tables(app: &TestApp) -> String {
    let client = app.db.client().await;
    let tables = client
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .await
        .unwrap();
    let mut dump = String::new();
    for table in &tables {
        let name: &str = table.get(0);
        for row in client
            .query(&format!("SELECT t::text FROM {name} t"), &[])
            .await
            .unwrap()
        {
            dump.push_str(row.get::<_, &str>(0));
            dump.push('\n');
        }
    }
    dump
}

/// What every inbox event keeps of its body: the raw body of an invalid one, the document
/// of the others.
async fn raw_bodies_of(app: &TestApp) -> Vec<Vec<u8>> {
    let client = app.db.client().await;
    client
        .query(
            "SELECT coalesce(raw_body, convert_to(document::text, 'UTF8')) FROM tds_inbox_events",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}
