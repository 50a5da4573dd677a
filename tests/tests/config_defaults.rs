//! Defaults that evolve (`tds_core::config_values`, "Defaults that evolve";
//! docs/configuration.md) against a migrated database: a new database holds every seeded key
//! at its registry default, none of them set by an operator; `PATCH /api/config` marks what it
//! writes as the operator's; and the call a release's migration makes when a default changes,
//! `tds_config_new_default(key, old, new)`, moves the keys no operator set (seeded, or written
//! by hand in SQL and still at the old default) while the values operators set through the
//! API, even one equal to the old default, and a different hand-written value are kept. The
//! components read what it leaves: the stats API's pull progress reads the request budget
//! through the same statement and registry as reconcile.

use serde_json::{json, Value};
use tds_core::config_values::{key, validate_value};
use tds_tests::set_config;
use tds_tests::stats::{call, get_ok, start, TOKEN};

/// Whether two JSON values are the same value (`10000` and `10000.0` alike).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The value in force of `name` that `GET /api/config` shows.
async fn in_force(app: &tds_tests::TestApp, name: &str) -> Value {
    let config = get_ok(app, "/api/config").await;
    config["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == name)
        .map(|e| e["value"].clone())
        .unwrap_or_else(|| panic!("GET /api/config lists no {name}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_default_reaches_the_keys_no_operator_set_and_no_other() {
    let app = start(&[]).await;
    let db = app.db.client().await;

    let seeded = db
        .query(
            "SELECT key, value::text, set_by_operator FROM tds_config",
            &[],
        )
        .await
        .unwrap();
    assert!(!seeded.is_empty(), "the migrations seed tds_config");
    for row in &seeded {
        let (name, value, by_operator): (String, String, bool) =
            (row.get(0), row.get(1), row.get(2));
        let spec = key(&name).unwrap_or_else(|| panic!("{name} is seeded but not a registry key"));
        let stored = validate_value(&name, &serde_json::from_str(&value).unwrap()).unwrap();
        assert!(
            same(&stored, &spec.default.to_json()),
            "a new database holds {name} = {value}, not its default {}",
            spec.default.to_json()
        );
        assert!(
            !by_operator,
            "{name} is seeded as a default, not an operator's value"
        );
    }

    // An operator sets two keys through the API, one of them to its default as it is now.
    let reply = call(
        &app,
        "PATCH",
        "/api/config",
        Some(TOKEN),
        Some(&json!({"alert_queue_depth": 10000, "reconcile_daily_request_reserve": 500, "heal_reclaim_limit": 250, "by": "ops"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Two more are written by hand in SQL: one to another value, one to the default.
    set_config(&db, "retention_log_days", "30").await;
    set_config(&db, "retention_inbox_days", "7").await;
    let marked: Vec<String> = db
        .query(
            "SELECT key FROM tds_config WHERE set_by_operator ORDER BY key",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        marked,
        [
            "alert_queue_depth",
            "heal_reclaim_limit",
            "reconcile_daily_request_reserve"
        ],
        "only the API marks a value as the operator's"
    );

    // A release changes six defaults; its migration moves each from the old one.
    for (name, old, new) in [
        ("alert_queue_depth", "10000", "20000"),
        ("reconcile_daily_request_reserve", "500", "600"),
        ("heal_reclaim_limit", "500", "750"),
        ("retention_log_days", "90", "120"),
        ("retention_inbox_days", "7", "14"),
        ("reconcile_daily_request_limit", "2000", "3000"),
    ] {
        db.execute(
            "SELECT tds_config_new_default($1, $2::text::jsonb, $3::text::jsonb)",
            &[&name, &old, &new],
        )
        .await
        .unwrap_or_else(|e| panic!("moving {name}'s default: {e}"));
    }

    for (name, expected, why) in [
        (
            "alert_queue_depth",
            json!(10000),
            "set through the API to the old default: kept",
        ),
        (
            "reconcile_daily_request_reserve",
            json!(500),
            "set through the API to the old default: kept",
        ),
        (
            "heal_reclaim_limit",
            json!(250),
            "set through the API: kept",
        ),
        (
            "retention_log_days",
            json!(30),
            "written by hand to another value: kept",
        ),
        (
            "retention_inbox_days",
            json!(14),
            "written by hand as the old default: moved",
        ),
        (
            "reconcile_daily_request_limit",
            json!(3000),
            "never set: moved",
        ),
        (
            "backoff_cap_ms",
            json!(300000),
            "a default no migration moved: as seeded",
        ),
    ] {
        let value = in_force(&app, name).await;
        assert!(
            same(&value, &expected),
            "{name} = {value}, expected {expected}: {why}"
        );
    }
    let progress = get_ok(&app, "/api/reconcile/progress").await;
    assert_eq!(
        (
            &progress["requests"]["limit"],
            &progress["requests"]["reserve"]
        ),
        (&json!(3000), &json!(500)),
        "the components read the moved default and the operator's value: {progress}"
    );

    // The moved default stays a default: the next release moves it again, unless an
    // operator has set it meanwhile.
    let reply = call(
        &app,
        "PATCH",
        "/api/config",
        Some(TOKEN),
        Some(&json!({"retention_inbox_days": 14})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    for (name, old, new) in [
        ("reconcile_daily_request_limit", "3000", "5000"),
        ("retention_inbox_days", "14", "21"),
    ] {
        db.execute(
            "SELECT tds_config_new_default($1, $2::text::jsonb, $3::text::jsonb)",
            &[&name, &old, &new],
        )
        .await
        .unwrap();
    }
    assert!(same(
        &in_force(&app, "reconcile_daily_request_limit").await,
        &json!(5000)
    ));
    assert!(same(
        &in_force(&app, "retention_inbox_days").await,
        &json!(14)
    ));
}
