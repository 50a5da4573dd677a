//! No secret value reaches the database or the logs: intake runs with a default secret,
//! a per-module secret, a shared key and a stats token; deliveries succeed and fail in every
//! way that carries a secret (headers, query, wrong values); then every table is dumped as
//! text and the process's whole log (host and guests, stderr, at debug level) is grepped.
//!
//! The only test of this binary: it points the process's stderr at a pipe
//! ([`tds_tests::capture::LogCapture`]), and the host's tracing (debug level) into the same
//! capture.

use tds_core::entity::Module;
use tds_core::signature::{sign, signed_message};
use tds_tests::capture::LogCapture;
use tds_tests::webhooks::{example, wrapped, Delivery};
use tds_tests::{TestApp, TestAppOptions};

const DEFAULT_SECRET: &str = "DfltSecretAbc123xyz";
const MODULE_SECRET: &str = "BillSecretQrs789uvw";
const KEY: &str = "SharedKeyLmn456opq";
const STATS_TOKEN: &str = "StatsTokenHij012klm";
const WRONG: &str = "WrongGuessTuv345wxy";

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_appears_in_the_database_or_the_logs() {
    let capture = LogCapture::start_with_tracing(tracing::Level::DEBUG);

    let app = TestApp::start_with(TestAppOptions {
        variables: vec![
            format!("zoho_webhook_secret={DEFAULT_SECRET}"),
            format!("zoho_module_secrets=bills={MODULE_SECRET}"),
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
    let deliveries = [
        Delivery::json("/webhooks/zoho/items", &item)
            .header("x-zoho-webhook-signature", signed(DEFAULT_SECRET, &item)),
        Delivery::json("/webhooks/zoho/bills", &bill)
            .header("x-zoho-webhook-signature", signed(MODULE_SECRET, &bill)),
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
    for delivery in deliveries {
        statuses.push(delivery.send(&app).await.status);
    }
    assert_eq!(
        statuses,
        [202, 202, 401, 401, 401],
        "the query pairs are signed too"
    );
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
    let raw_bodies: Vec<Vec<u8>> = client
        .query("SELECT raw_body FROM tds_inbox_events", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        dump.contains("[redacted]"),
        "the signature header was kept, redacted"
    );
    assert!(!raw_bodies.is_empty());

    let logged = capture.finish();
    assert!(
        logged.contains("[intake]"),
        "the guests' log was captured:\n{logged}"
    );
    for secret in [DEFAULT_SECRET, MODULE_SECRET, KEY, STATS_TOKEN, WRONG] {
        assert!(!dump.contains(secret), "{secret} is in the database");
        for body in &raw_bodies {
            assert!(
                !String::from_utf8_lossy(body).contains(secret),
                "{secret} is in a raw body"
            );
        }
        assert!(!logged.contains(secret), "{secret} is in the log");
    }
}
