//! The HTTP-only profile (`spin.http-only.toml`) for platforms without a cron trigger
//! (SpinKube, Fermyon Cloud, Akamai Functions): it is exactly what `tds profile --http-only`
//! derives from spin.toml now, it and its literal-hosts rendering pass the strict manifest
//! checks, and under `tds` an external ticker calling the drain routes with
//! `keep_going_ms` serves every lane with no cron at all. `tds profile --wake self|off`
//! swaps the wakes' service chaining for a self request to `app_origin`, or for nothing.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tds_core::entity::{Lane, Module};
use tds_manifest::profile::WakeProfile;
use tds_manifest::Manifest;
use tds_tests::internal;
use tds_tests::wait::eventually;
use tds_tests::{repo_root, scalar_i64, webhooks, TestApp, TestAppOptions};

const KEY: &str = "http-only-key-0123456789";
const TOKEN: &str = "http-only-token";
const PROFILE: &str = "spin.http-only.toml";

#[test]
fn the_checked_in_profile_is_what_the_command_derives_from_spin_toml() {
    let derived = tds::profile::profile(&repo_root().join("spin.toml"), true, false, WakeProfile::Chain, &[])
        .expect("deriving the profile");
    let checked_in = std::fs::read_to_string(repo_root().join(PROFILE)).expect("reading the profile");
    assert!(
        derived == checked_in,
        "{PROFILE} differs from what `tds profile --manifest spin.toml --http-only` derives: \
         run `tds profile --http-only -o {PROFILE}` and commit it"
    );
}

#[test]
fn the_profile_and_its_literal_rendering_pass_the_manifest_checks() {
    let manifest = Manifest::from_file(repo_root().join(PROFILE)).expect("the profile loads");
    assert!(manifest.cron_triggers.is_empty());
    assert_eq!(manifest.http_triggers.len(), 8);

    let values = [
        "database_host=db.example.com:5432".to_string(),
        "alert_webhook_origin=https://alerts.example.com".to_string(),
    ];
    let rendered = tds::profile::profile(&repo_root().join("spin.toml"), true, true, WakeProfile::Chain, &values)
        .expect("rendering the hosts");
    let path = repo_root().join("target").join("spin.http-only.rendered.toml");
    std::fs::write(&path, &rendered).expect("writing the rendered profile");
    let manifest = Manifest::from_file(&path).expect("the rendered profile loads");
    for (id, component) in &manifest.components {
        for entry in &component.allowed_outbound_hosts {
            assert!(!entry.contains("{{"), "{id}: {entry} is not literal");
        }
    }
    assert!(manifest.components["intake"]
        .allowed_outbound_hosts
        .contains(&"postgres://db.example.com:5432".to_string()));
    assert!(manifest.components["heal"]
        .allowed_outbound_hosts
        .contains(&"https://alerts.example.com".to_string()));
}

#[test]
fn the_wake_profiles_swap_chaining_for_a_self_request_or_nothing() {
    let spin_toml = repo_root().join("spin.toml");
    let chained = Manifest::from_file(&spin_toml).expect("spin.toml loads");
    assert!(chained.components["intake"]
        .allowed_outbound_hosts
        .contains(&"http://processor-sales.spin.internal".to_string()));

    let values = ["app_origin=https://tds.example.com".to_string()];
    for (wake, name) in [(WakeProfile::SelfRequest, "self"), (WakeProfile::Off, "off")] {
        let text = tds::profile::profile(&spin_toml, true, true, wake, &values).expect("deriving the profile");
        assert!(text.contains(&format!("--wake {name}")), "the heading names the command");
        let path = repo_root().join("target").join(format!("spin.wake-{name}.toml"));
        std::fs::write(&path, &text).expect("writing the profile");
        let manifest = Manifest::from_file(&path).expect("the profile loads");
        assert_eq!(manifest.variables["wake"].default.as_deref(), Some(name));
        for (id, component) in &manifest.components {
            for entry in &component.allowed_outbound_hosts {
                assert!(!entry.contains("spin.internal"), "{name}: {id} still chains: {entry}");
            }
            let origin = component.allowed_outbound_hosts.contains(&"https://tds.example.com".to_string());
            let expected = name == "self" && (id == "intake" || id.starts_with("processor-"));
            assert_eq!(origin, expected, "{name}: {id}: {:?}", component.allowed_outbound_hosts);
        }
    }
    let unrendered = tds::profile::profile(&spin_toml, true, false, WakeProfile::SelfRequest, &[]).unwrap();
    assert!(unrendered.contains("app_origin = { required = true }"), "a self profile needs the origin");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_external_ticker_with_keep_going_drains_serves_every_lane_without_cron() {
    let app = TestApp::start_with(TestAppOptions {
        manifest: PROFILE.into(),
        // No wakes: the ticker alone drains, as on a platform that allows neither chaining
        // nor self requests.
        variables: vec![format!("webhook_key={KEY}"), format!("stats_token={TOKEN}"), "wake=off".into()],
        ..TestAppOptions::default()
    })
    .await;
    // The ticker: every 2 s, one keep-going drain per lane (each serving 3 s), overlapping
    // as a scheduler's calls would.
    let ticker = tokio::spawn({
        let (client, base) = (app.client.clone(), app.url(""));
        async move {
            loop {
                for lane in Lane::ALL {
                    let path = format!("{}?keep_going_ms=3000", internal::drain_path(lane));
                    let (client, base) = (client.clone(), base.clone());
                    tokio::spawn(async move { internal::call(&client, &base, &path, TOKEN).await });
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    });

    let started = Instant::now();
    // Every lane's modules whose example can be sent under other ids as it is (the order
    // examples' line ids are unique across orders).
    let modules: Vec<Module> = Module::ALL
        .into_iter()
        .filter(|m| !matches!(m, Module::SalesOrders | Module::PurchaseOrders))
        .collect();
    let mut sent = 0;
    for i in 0..90 {
        let module = modules[i % modules.len()];
        webhooks::post_example(&app, KEY, module, &format!("ticker-{i}")).await;
        sent += 1;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let db = app.db.client().await;
    eventually(Duration::from_secs(60), "every event applied", || {
        let db = &db;
        async move {
            let done = scalar_i64(db, "SELECT count(*) FROM tds_sync_queue WHERE status = 'completed'").await;
            (done == sent).then_some(())
        }
    })
    .await;
    ticker.abort();
    let kept_going: Value = db
        .query_one(
            "SELECT count(*) FILTER (WHERE details->>'keep_going_ms' = '3000')::int8 FROM tds_sync_runs \
             WHERE component LIKE 'processor-%'",
            &[],
        )
        .await
        .map(|row| json!(row.get::<_, i64>(0)))
        .expect("reading runs");
    assert!(kept_going.as_i64().unwrap_or(0) >= 4, "keep-going runs: {kept_going}");
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM tds_dead_letters").await,
        0,
        "nothing dead-lettered"
    );
    eprintln!("http-only: {sent} events applied by ticked drains within {:.1} s", started.elapsed().as_secs_f64());
}
