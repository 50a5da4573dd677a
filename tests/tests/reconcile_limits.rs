//! The Zoho API's limits, kept: requests paced to the configured per-minute limit (checked
//! on what the stand-in received, not on wall-clock speed), rate-limited answers (429)
//! waited out with a growing delay, the access token refreshed when it expires and when
//! the API refuses it (401, code 57), the refresh sent as a url-encoded form with its
//! length, and refused refreshes counted toward Zoho's 10 per 10 minutes; and every Zoho
//! data centre reachable from the reconcile component's allow-list.

mod reconcile_support;

use std::time::Duration;

use reconcile_support::{
    app, at, item, live_ids, reconcile, reconcile_ok, Limits, ZohoStandIn, PATIENCE,
};
use tds_core::entity::Module;
use tds_tests::internal::{drain_until_idle, Via};

fn seed_items(zoho: &ZohoStandIn, n: u32) {
    for i in 1..=n {
        zoho.put(
            Module::Items,
            item(&format!("700{i}"), &format!("L-{i}"), "3", &at(i)),
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_keep_to_the_configured_rate() {
    // Zoho (here) enforces 300 a minute, and the pull is paced to 300 a minute: one request
    // every 200 ms, never refused.
    let zoho = ZohoStandIn::start_with(Limits {
        per_minute: Some(300),
        per_day: None,
    })
    .await;
    seed_items(&zoho, 6);
    let app = app(
        &zoho,
        &[
            ("reconcile_page_size", "2"),
            ("reconcile_requests_per_minute", "300"),
            ("reconcile_modules", "\"items\""),
        ],
    )
    .await;
    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    let api: Vec<_> = zoho.log().into_iter().filter(|l| l.is_api()).collect();
    // 3 pages listed, 6 records read (drift compares the listing: no requests of its own).
    assert_eq!(api.len(), 9);
    assert!(api.iter().all(|l| l.status == 200));
    assert_eq!(report["api_requests"], 9);
    assert!(zoho.max_requests_in_any_minute() <= 300);
    for (i, first) in api.iter().enumerate() {
        let within_a_second = api[i..]
            .iter()
            .filter(|l| l.at.duration_since(first.at) < Duration::from_secs(1))
            .count();
        assert!(
            within_a_second <= 6,
            "{within_a_second} requests arrived within one second of request {i}; the limit allows 5 (+1 at the edge)"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limited_answers_are_waited_out() {
    let zoho = ZohoStandIn::start().await;
    seed_items(&zoho, 3);
    let app = app(
        &zoho,
        &[
            ("reconcile_page_size", "2"),
            ("reconcile_requests_per_minute", "6000"),
            ("reconcile_backoff_base_ms", "300"),
            ("reconcile_modules", "\"items\""),
        ],
    )
    .await;
    zoho.rate_limit_next(2);
    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    assert_eq!(report["summary"]["requests"]["rate_limited"], 2);
    let api: Vec<_> = zoho.log().into_iter().filter(|l| l.is_api()).collect();
    let statuses: Vec<u16> = api.iter().map(|l| l.status).take(3).collect();
    assert_eq!(statuses, [429, 429, 200]);
    assert_eq!(
        api[0].path, api[2].path,
        "the refused request is asked again"
    );
    // No Retry-After from Zoho: the waits double, 300 ms then 600 ms.
    assert!(api[1].at.duration_since(api[0].at) >= Duration::from_millis(300));
    assert!(api[2].at.duration_since(api[1].at) >= Duration::from_millis(600));
    drain_until_idle(&app, Via::Cron, PATIENCE).await;
    assert_eq!(
        live_ids(&app, "erp_items", "item_id").await,
        ["7001", "7002", "7003"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_is_refreshed_when_expired_or_refused() {
    let zoho = ZohoStandIn::start().await;
    seed_items(&zoho, 1);
    let app = app(
        &zoho,
        &[
            ("reconcile_requests_per_minute", "6000"),
            ("reconcile_modules", "\"items\""),
        ],
    )
    .await;
    let client = app.db.client().await;
    let stored_token = || async {
        let row = client
            .query_one(
                "SELECT access_token, expires_at > now() + interval '50 minutes' FROM tds_zoho_tokens WHERE name = 'books'",
                &[],
            )
            .await
            .unwrap();
        (row.get::<_, String>(0), row.get::<_, bool>(1))
    };

    reconcile_ok(&app, "").await;
    assert_eq!(zoho.tokens_issued(), 1);
    assert_eq!(stored_token().await, ("1000.access.1".to_string(), true));
    reconcile_ok(&app, "").await;
    assert_eq!(zoho.tokens_issued(), 1, "a valid stored token is reused");

    // Expired by its time: refreshed before any request is refused.
    client
        .execute(
            "UPDATE tds_zoho_tokens SET expires_at = now() - interval '1 second'",
            &[],
        )
        .await
        .unwrap();
    zoho.clear_log();
    let report = reconcile_ok(&app, "").await;
    assert_eq!(zoho.tokens_issued(), 2);
    assert_eq!(report["summary"]["requests"]["token_refreshes"], 1);
    assert!(zoho.log().iter().all(|l| l.status != 401));
    assert_eq!(stored_token().await.0, "1000.access.2");

    // Refused by the API (it forgot the token): code 57, refreshed once, asked again.
    zoho.revoke_tokens();
    zoho.clear_log();
    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    assert_eq!(zoho.tokens_issued(), 3);
    let log = zoho.log();
    let sequence: Vec<(String, u16)> = log
        .iter()
        .take(3)
        .map(|l| (l.path.clone(), l.status))
        .collect();
    assert_eq!(
        sequence,
        [
            ("/books/v3/items".to_string(), 401),
            ("/oauth/v2/token".to_string(), 200),
            ("/books/v3/items".to_string(), 200),
        ]
    );
    assert_eq!(log.iter().filter(|l| l.status == 401).count(), 1);
    assert_eq!(stored_token().await, ("1000.access.3".to_string(), true));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_grant_is_a_form_with_its_length_and_refused_grants_count() {
    let zoho = ZohoStandIn::start().await;
    seed_items(&zoho, 2);
    let app = app(
        &zoho,
        &[
            ("reconcile_requests_per_minute", "6000"),
            ("reconcile_modules", "\"items,invoices,bills\""),
        ],
    )
    .await;
    zoho.refuse_refreshes(true);
    let (status, body) = reconcile(&app, "").await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["report"]["status"], "partial", "{body:#}");
    assert_eq!(
        zoho.token_requests(),
        1,
        "a refused grant is not asked again in the same run"
    );
    let grant = zoho.log().into_iter().find(|l| l.is_token()).unwrap();
    assert_eq!(
        grant.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert!(grant.content_length.is_some(), "{grant:?}");
    assert_eq!(grant.transfer_encoding, None, "{grant:?}");
    assert!(
        grant.query.is_empty(),
        "the secret is in the body, not the URL"
    );

    // Zoho counts every token request: twelve more runs ask nine more times, then wait.
    for _ in 0..12 {
        reconcile(&app, "").await;
    }
    assert_eq!(zoho.token_requests(), 10);
    let client = app.db.client().await;
    let counted: i32 = client
        .query_one(
            "SELECT refresh_window_count FROM tds_zoho_tokens WHERE name = 'books'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(counted, 10);

    // The window over (ten minutes later) and the client repaired: one grant, and the pull.
    zoho.refuse_refreshes(false);
    zoho.pass_token_window();
    client
        .execute(
            "UPDATE tds_zoho_tokens SET refresh_window_started_at = now() - interval '11 minutes'",
            &[],
        )
        .await
        .unwrap();
    let report = reconcile_ok(&app, "").await;
    assert_eq!(report["status"], "completed", "{report:#}");
    assert_eq!((zoho.token_requests(), zoho.tokens_issued()), (11, 1));
    let grant = zoho.log().into_iter().rfind(|l| l.is_token()).unwrap();
    assert_eq!(grant.status, 200);
}

#[test]
fn every_zoho_data_centre_is_in_reconciles_allowed_outbound_hosts() {
    use tds_zoho::region::{accounts_origin, api_origin, DATA_CENTERS};
    let manifest = tds_manifest::Manifest::from_file(tds_tests::repo_root().join("spin.toml"))
        .expect("spin.toml loads");
    let allowed = &manifest.components["reconcile"].allowed_outbound_hosts;
    for dc in DATA_CENTERS {
        for origin in [accounts_origin(dc), api_origin(dc)] {
            assert!(allowed.contains(&origin), "{origin} ({dc}) is not allowed: {allowed:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_circuit_keeps_the_run_off_the_api() {
    let zoho = ZohoStandIn::start().await;
    seed_items(&zoho, 2);
    let app = app(
        &zoho,
        &[
            ("reconcile_requests_per_minute", "6000"),
            ("reconcile_modules", "\"items\""),
        ],
    )
    .await;
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO tds_circuit_breakers (name, state, consecutive_failures, last_error, opened_at, next_probe_at)
             VALUES ('outbound:zoho_api', 'open', 5, 'Zoho down', now(), now() + interval '1 hour')",
            &[],
        )
        .await
        .unwrap();
    let (status, body) = reconcile(&app, "").await;
    assert_eq!(status, 502, "{body:#}");
    assert_eq!(body["error"]["code"], "zoho_api_failed");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("circuit outbound:zoho_api is open")),
        "{body:#}"
    );
    assert_eq!(body["report"]["status"], "failed");
    assert_eq!(zoho.log().len(), 0, "no request reached Zoho");
}
