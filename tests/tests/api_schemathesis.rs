//! The whole HTTP API against its own document: schemathesis (pinned in
//! `scripts/requirements-test.txt`) reads `/openapi.json` from the running application and
//! sends generated requests to every documented operation — schema-valid ones, which must be
//! accepted, and schema-violating ones, which must be refused — with every check it has
//! (`--checks all`: no 5xx, documented statuses, content types and headers, response
//! bodies valid against their schemas, authentication not ignored, …) and its stateful
//! phase following the document's links. Any failure fails this test with schemathesis'
//! report.
//!
//! Left out of the generated traffic, and covered by their own tests: `/internal/drain/*`
//! (a schema-valid `keep_going_ms` keeps one request busy for up to ten minutes) and
//! `/internal/reconcile` (it calls Zoho).

use std::process::Stdio;

use tds_core::entity::Module;
use tds_tests::{pytools, webhooks, TestApp};

const KEY: &str = "schemathesis-key-0123456789";
const TOKEN: &str = "schemathesis-token-0123456789";

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_difference_between_the_api_and_its_document() {
    let st = pytools::tool("st");
    let app = TestApp::start_keyed(KEY, TOKEN, &[]).await;
    // Something to list, show and follow links to: events of every module, drained.
    for module in Module::ALL {
        webhooks::post_example(&app, KEY, module, &format!("st-{}", module.spec().name)).await;
    }
    for lane in ["sales", "catalog", "purchases", "inventory"] {
        app.run_cron(&format!("processor-{lane}"))
            .await
            .expect("a drain runs");
    }

    let report = std::env::temp_dir().join(format!("tds-schemathesis-{}", std::process::id()));
    // schemathesis keeps caches in its working directory: the report folder, not the tree.
    std::fs::create_dir_all(&report).expect("a report folder");
    let output = tokio::process::Command::new(&st)
        .current_dir(&report)
        .arg("run")
        .arg(app.url("/openapi.json"))
        .args(["--checks", "all"])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(["--header", &format!("X-Webhook-Key: {KEY}")])
        .args(["--exclude-path-regex", "^/internal/(drain|reconcile)"])
        .args(["--max-examples", "25", "--seed", "20261202", "--workers", "2"])
        .args(["--request-timeout", "30", "--no-color", "--generation-database", "none"])
        .arg("--report-dir")
        .arg(&report)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis found differences between the API and /openapi.json \
         (exit {:?}):\n{stdout}\n{stderr}",
        output.status.code()
    );
    assert!(
        stdout.contains("Tested:"),
        "schemathesis ran no operation:\n{stdout}"
    );
    let summary: Vec<&str> = stdout.lines().rev().take(20).collect();
    eprintln!("{}", summary.into_iter().rev().collect::<Vec<_>>().join("\n"));
    let _ = std::fs::remove_dir_all(&report);
}
