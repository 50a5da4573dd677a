//! The cron trigger: `handle-cron-event` of `spin:cron@3.0.0` called on the
//! `[[trigger.cron]]` schedule (docs/spin.md, "Cron trigger"), with spin-sdk's pg4 and
//! variables usable inside it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tds::cron_trigger::CronHandlerError;
use tds_tests::probe::{probe_options, start_probe};
use tds_tests::wait::eventually;
use tds_tests::{TestApp, TestAppOptions};

fn now_epoch() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn fired_at(client: &tokio_postgres::Client) -> Vec<i64> {
    match client
        .query(
            "SELECT fired_at_epoch FROM probe_cron_runs ORDER BY fired_at_epoch",
            &[],
        )
        .await
    {
        Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
        // 42P01: the handler has not created its table yet.
        Err(e) if e.code().is_some_and(|c| c.code() == "42P01") => Vec::new(),
        Err(e) => panic!("reading probe_cron_runs: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_cron_run_writes_its_row_with_the_event_timestamp() {
    let app = start_probe().await;
    let before = now_epoch();
    app.run_cron("probe").await.expect("the cron handler succeeds");
    let after = now_epoch();
    let client = app.db.client().await;
    let fired = fired_at(&client).await;
    assert_eq!(fired.len(), 1, "one run, one row: {fired:?}");
    assert!(
        (before..=after).contains(&fired[0]),
        "metadata.timestamp is the time of the run in Unix seconds: {} not in {before}..={after}",
        fired[0]
    );

    app.run_cron("probe").await.expect("a second run");
    assert_eq!(fired_at(&client).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_schedule_fires_every_second() {
    let app = start_probe().await;
    let client = app.db.client().await;
    client
        .batch_execute("CREATE TABLE probe_cron_runs (fired_at_epoch bigint NOT NULL)")
        .await
        .unwrap();
    let jobs = tds::cron_trigger::jobs(&app.app).expect("the probe's cron trigger is valid");
    assert_eq!(jobs.len(), 1);
    let schedules: Vec<_> = jobs
        .into_iter()
        .map(|job| tokio::spawn(job.run_schedule(app.app.clone())))
        .collect();

    // `*/1 * * * * *`: the first tick is at most a second away.
    let first = eventually(Duration::from_secs(3), "the first scheduled run", || {
        let client = &client;
        async move { fired_at(client).await.first().copied() }
    })
    .await;
    let fired = eventually(Duration::from_secs(4), "a second scheduled run", || {
        let client = &client;
        async move {
            let fired = fired_at(client).await;
            (fired.len() >= 2).then_some(fired)
        }
    })
    .await;
    for schedule in schedules {
        schedule.abort();
    }
    assert!(fired[1] > first, "each tick carries its own time: {fired:?}");
    assert!((now_epoch() - first).abs() <= 5, "{first} is now-ish");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_error_and_a_trap_are_reported_and_the_host_goes_on() {
    let mut options = probe_options();
    options.variables.push("cron_mode=fail".into());
    let app = TestApp::start_with(options).await;
    let error = app
        .run_cron("probe")
        .await
        .expect_err("the handler returns error::other");
    let handler_error = error
        .downcast_ref::<CronHandlerError>()
        .unwrap_or_else(|| panic!("not a CronHandlerError: {error:#}"));
    assert_eq!(handler_error.component, "probe");
    assert_eq!(handler_error.message, "the probe was asked to fail");
    assert_eq!(app.get("/probe/headers").await.status, 200, "HTTP still served");

    let mut options = probe_options();
    options.variables.push("cron_mode=trap".into());
    let app = TestApp::start_with(options).await;
    let error = app.run_cron("probe").await.expect_err("the handler traps");
    assert!(
        error.downcast_ref::<CronHandlerError>().is_none(),
        "a trap is not error::other"
    );
    assert!(format!("{error:#}").contains("trapped"), "{error:#}");
    let error = app
        .run_cron("probe")
        .await
        .expect_err("every run gets a fresh instance, and traps again");
    assert!(format!("{error:#}").contains("trapped"), "{error:#}");
    assert_eq!(app.get("/probe/headers").await.status, 200, "HTTP still served");
}

/// The error loading fixture `manifest` (its components built from `built_from`) fails with.
async fn load_error(manifest: &str, built_from: &str) -> String {
    tds_tests::ensure_built(&tds_tests::repo_root().join(built_from));
    let options = TestAppOptions {
        manifest: manifest.into(),
        serve_http: false,
        ..TestAppOptions::default()
    };
    match TestApp::try_start_with(options).await {
        Ok(_) => panic!("{manifest} was accepted"),
        Err(error) => format!("{error:#}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_five_field_expression_is_refused_naming_the_component() {
    let error = load_error("tests/fixtures/bad_cron_five_fields.toml", "tests/fixtures/probe.toml").await;
    assert!(error.contains("*/5 * * * *"), "{error}");
    assert!(error.contains("probe"), "{error}");
    assert!(error.contains("6 or 7"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cron_component_without_the_cron_export_is_refused_naming_it() {
    // Spin's cron plugin schedules such a component and then never runs it, silently.
    let error = load_error("tests/fixtures/bad_cron_without_handler.toml", "spin.toml").await;
    assert!(error.contains("\"intake\""), "{error}");
    assert!(error.contains("spin:cron@3.0.0"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runaway_cron_handler_is_stopped_at_the_deadline() {
    let limit = Duration::from_secs(1);
    let mut options = probe_options();
    options.variables.push("cron_mode=spin".into());
    options.max_execution_time = Some(limit);
    let app = TestApp::start_with(options).await;
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(30), app.run_cron("probe"))
        .await
        .expect("the deadline must stop the cron handler");
    let elapsed = started.elapsed();
    let error = outcome.expect_err("a handler cut off at the deadline fails");
    assert!(elapsed >= limit, "stopped only at the deadline ({elapsed:?})");
    assert!(
        elapsed < limit + Duration::from_secs(5),
        "stopped soon after it ({elapsed:?})"
    );
    assert!(error.downcast_ref::<CronHandlerError>().is_none(), "{error:#}");
    assert_eq!(app.get("/probe/headers").await.status, 200, "HTTP still served");
}
