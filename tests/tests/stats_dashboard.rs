//! The dashboard in a real browser: headless Chromium (found as `$CHROME` or `chromium` on
//! PATH; `scripts/test` installs it) opens `/dashboard` served by the application loaded
//! through the host library exactly as `tds up` loads it (`TestApp`, HTTP on a free port),
//! signs in with the stats token once (kept in sessionStorage across a reload), sees the
//! real figures, clicks Replay on a dead letter and sees it leave the table — the event is
//! then applied by the processor — resolves another with a note, and saves a screenshot to
//! `target/dashboard.png` (a test leaves the working tree alone; copy it over
//! `docs/dashboard.png` to refresh the one docs/stats.md shows).

use serde_json::json;
use tds_tests::browser::Browser;
use tds_tests::repo_root;
use tds_core::entity::Lane;
use tds_tests::internal::drain_by_cron;
use tds_tests::stats::{
    applied_item, erp_item, get_ok, permanent_dead_letter, seed_alerts_and_circuits, start,
    transient_dead_letter, TOKEN,
};

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_real_figures_and_its_buttons_replay_and_resolve() {
    let app = start(&[]).await;
    for id in ["dash-1", "dash-2", "dash-3"] {
        applied_item(&app, id).await;
    }
    let locked = transient_dead_letter(&app, "dash-locked").await;
    let poison = permanent_dead_letter(&app, "dash-poison").await;
    seed_alerts_and_circuits(&app).await;
    let completed = get_ok(&app, "/api/queue").await["by_status"]["completed"]
        .as_i64()
        .unwrap();

    let browser = Browser::launch().await;
    let mut page = browser.page().await;
    page.viewport(1440, 1100).await;
    page.navigate(&app.url("/dashboard")).await;
    page.wait_for(
        "!document.getElementById('login').hidden",
        "the page asks for the token",
    )
    .await;
    page.type_into("#token-input", TOKEN).await;
    page.click("#token-submit").await;
    page.wait_for(
        "document.body.dataset.loaded === 'true'",
        "the dashboard loads its figures",
    )
    .await;

    let stat = |name: &str| format!("document.querySelector('[data-stat=\"{name}\"]').textContent");
    page.wait_for(
        &format!("{} === '{completed}'", stat("completed")),
        "the completed count",
    )
    .await;
    assert_eq!(page.eval(&stat("dead-open")).await, json!("2"));
    assert_eq!(page.eval(&stat("pending")).await, json!("0"));
    assert_eq!(
        page.eval("document.querySelector('#lanes tr[data-lane=\"catalog\"] td:nth-child(5)').textContent").await,
        json!(completed.to_string())
    );
    assert_eq!(page.eval("document.querySelector('#circuits tr[data-circuit=\"outbound:alerts-webhook\"] td:nth-child(2)').textContent").await, json!("open"));
    assert_eq!(
        page.eval(&stat("pull-requests")).await,
        json!("0 of 1500 requests today · 1500 left (limit 2000, reserve 500)"),
        "the pull panel: today's requests against the default budget"
    );
    assert_eq!(
        page.eval(&stat("pull-estimate")).await,
        json!("No pull has run yet (POST /internal/reconcile, or the hourly run)")
    );
    assert_eq!(
        page.eval("document.querySelectorAll('#alerts tbody tr[data-alert]').length")
            .await,
        json!(2)
    );
    assert_eq!(
        page.eval("document.querySelectorAll('#chart-queue rect').length > 0")
            .await,
        json!(true),
        "the queue chart has bars"
    );
    for id in [locked, poison] {
        assert_eq!(
            page.eval(&format!(
                "!!document.querySelector('tr[data-dead-letter=\"{id}\"]')"
            ))
            .await,
            json!(true),
            "dead letter {id} is listed"
        );
    }

    assert_eq!(
        page.eval("sessionStorage.getItem('tds-stats-token')").await,
        json!(TOKEN)
    );
    page.navigate(&app.url("/dashboard")).await;
    page.wait_for(
        "document.body.dataset.loaded === 'true'",
        "the dashboard loads again without asking",
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('login').hidden").await,
        json!(true),
        "the token is asked for once"
    );

    page.click(&format!(
        "button[data-action=\"replay\"][data-id=\"{locked}\"]"
    ))
    .await;
    page.wait_for(
        &format!("!document.querySelector('tr[data-dead-letter=\"{locked}\"]')"),
        "the replayed dead letter leaves the table",
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('action-message').textContent")
            .await,
        json!(format!("dead letter {locked} replayed"))
    );
    let letter = get_ok(&app, &format!("/api/dead-letters/{locked}")).await;
    assert_eq!(letter["dead_letter"]["replay_count"], json!(1), "{letter}");
    drain_by_cron(&app, Lane::Catalog).await;
    assert_eq!(
        erp_item(&app, "dash-locked").await.unwrap().0,
        "Second",
        "the replayed event was applied"
    );
    page.wait_for(
        &format!("{} === '{}'", stat("completed"), completed + 1),
        "the dashboard refreshes to the new completion",
    )
    .await;
    page.wait_for(
        &format!("{} === '1'", stat("dead-open")),
        "one dead letter left open",
    )
    .await;

    let screenshot = repo_root().join("target").join("dashboard.png");
    page.screenshot(&screenshot).await;
    let png = std::fs::read(&screenshot).expect("the screenshot was written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "the screenshot is a PNG");

    page.click(&format!(
        "button[data-action=\"resolve\"][data-id=\"{poison}\"]"
    ))
    .await;
    page.type_into(
        &format!("tr[data-dead-letter=\"{poison}\"] input"),
        "rate fixed in Zoho",
    )
    .await;
    page.click(&format!(
        "button[data-action=\"confirm-resolve\"][data-id=\"{poison}\"]"
    ))
    .await;
    page.wait_for(
        &format!("!document.querySelector('tr[data-dead-letter=\"{poison}\"]')"),
        "the resolved dead letter leaves the table",
    )
    .await;
    let letter = get_ok(&app, &format!("/api/dead-letters/{poison}")).await;
    assert_eq!(
        (
            letter["dead_letter"]["status"].clone(),
            letter["dead_letter"]["resolution"].clone()
        ),
        (json!("resolved"), json!("rate fixed in Zoho"))
    );
}
