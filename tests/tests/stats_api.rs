//! The stats API through the built wasm against real PostgreSQL: the bearer token on every
//! non-public route (401 whatever the path), queue figures, dead letters (filters, cursor
//! pages, show, resolve, replay one and by filter — a replay really re-queues and the
//! processor then completes it), the event trace, entity history, alerts, runs, circuit
//! breakers, replay of inbox events by time range, runtime configuration, and 404/405/400
//! answers that name what was wrong. Events arrive through intake and are processed by the
//! catalog processor's cron handler.

use serde_json::{json, Value};
use tds_core::entity::{Lane, Module};
use tds_tests::internal::drain_by_cron;
use tds_tests::stats::{
    applied_item, call, erp_item, get, get_ok, permanent_dead_letter, post,
    seed_alerts_and_circuits, start, transient_dead_letter, TOKEN, V2,
};
use tds_tests::webhooks::{item, post_item, send_item, KEY};

fn error_code(reply: &tds_tests::stats::Reply) -> &str {
    reply.body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error answer: {}", reply.text))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_wrong_token_is_401_whatever_the_path() {
    let app = start(&[]).await;
    let paths = [
        ("GET", "/metrics"),
        ("GET", "/api/queue"),
        ("GET", "/api/dead-letters"),
        ("GET", "/api/dead-letters/1"),
        ("GET", "/api/dead-letters/999999"),
        ("POST", "/api/dead-letters/1/replay"),
        ("POST", "/api/dead-letters/replay"),
        ("GET", "/api/config"),
        ("PATCH", "/api/config"),
        ("GET", "/api/no-such-route"),
        ("DELETE", "/api/queue"),
        ("GET", "/internal/anything"),
    ];
    let mut bodies = Vec::new();
    for (method, path) in paths {
        for token in [None, Some("wrong-token"), Some("")] {
            let reply = call(&app, method, path, token, None).await;
            assert_eq!(
                reply.status, 401,
                "{method} {path} with {token:?}: {}",
                reply.text
            );
            assert_eq!(error_code(&reply), "unauthorized");
            assert_eq!(
                reply.header("www-authenticate"),
                Some("Bearer realm=\"tds-stats\"")
            );
            let mut body = reply.body.clone();
            body.as_object_mut().unwrap().remove("request_id");
            bodies.push((token.is_some_and(|t| !t.is_empty()), body));
        }
    }
    for (wrong, body) in &bodies {
        let same_kind = bodies.iter().find(|(w, _)| w == wrong).unwrap();
        assert_eq!(body, &same_kind.1, "a 401 never depends on the path");
    }
    for public in [
        "/health",
        "/openapi.json",
        "/dashboard",
        "/dashboard/app.js",
        "/dashboard/app.css",
    ] {
        let reply = call(&app, "GET", public, None, None).await;
        assert_eq!(reply.status, 200, "{public}: {}", reply.text);
    }
    let root = app.client.get(app.url("/")).send().await.unwrap();
    assert!(
        root.url().path().ends_with("/dashboard"),
        "/ leads to the dashboard"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_configured_token_the_api_accepts_nothing() {
    let app = tds_tests::TestApp::start().await;
    let reply = call(&app, "GET", "/api/queue", Some("anything"), None).await;
    assert_eq!(reply.status, 503, "{}", reply.text);
    assert_eq!(error_code(&reply), "not_configured");
    assert_eq!(call(&app, "GET", "/health", None, None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_methods_and_parameters_are_named() {
    let app = start(&[]).await;
    let reply = get(&app, "/api/nothing-here").await;
    assert_eq!((reply.status, error_code(&reply)), (404, "not_found"));
    assert!(reply.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/api/nothing-here"));

    let reply = call(&app, "DELETE", "/api/queue", Some(TOKEN), None).await;
    assert_eq!(
        (reply.status, error_code(&reply)),
        (405, "method_not_allowed")
    );
    assert_eq!(reply.header("allow"), Some("GET"));
    let reply = call(&app, "PUT", "/api/config", Some(TOKEN), None).await;
    assert_eq!(reply.header("allow"), Some("GET, PATCH"));
    let reply = call(&app, "POST", "/health", None, None).await;
    assert_eq!(reply.status, 405);

    for (path, parameter) in [
        ("/api/dead-letters?colour=red", "colour"),
        ("/api/dead-letters?limit=0", "limit"),
        ("/api/dead-letters?limit=ten", "limit"),
        ("/api/dead-letters?status=closed", "status"),
        ("/api/dead-letters?module=widgets", "module"),
        ("/api/dead-letters?since=yesterday", "since"),
        ("/api/dead-letters?cursor=nonsense", "cursor"),
        ("/api/alerts?severity=huge", "severity"),
        ("/api/runs?lane=north", "lane"),
        ("/api/queue/series?minutes=0", "minutes"),
        ("/api/trace?event_id=-4", "event_id"),
        ("/api/trace?correlation_id=", "correlation_id"),
        ("/api/runs?lane=", "lane"),
        ("/api/queue/series?minutes=", "minutes"),
        ("/api/dead-letters?entity_id=a%00b", "entity_id"),
    ] {
        let reply = get(&app, path).await;
        assert_eq!(
            (reply.status, error_code(&reply)),
            (400, "invalid_parameter"),
            "{path}: {}",
            reply.text
        );
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("parameter {parameter}:")),
            "{path}: {message}"
        );
    }
    let unnamed = get(&app, "/api/trace").await;
    assert_eq!(
        (unnamed.status, error_code(&unnamed)),
        (404, "not_found"),
        "a trace names a delivery: {}",
        unnamed.text
    );
    for path in [
        "/api/dead-letters/abc",
        "/api/dead-letters/0",
        "/api/runs/999999",
        "/api/history/widgets/1",
    ] {
        let reply = get(&app, path).await;
        assert_eq!(
            (reply.status, error_code(&reply)),
            (404, "not_found"),
            "{path}: {}",
            reply.text
        );
    }
    let reply = call(
        &app,
        "POST",
        "/api/dead-letters/1/resolve",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(
        (reply.status, error_code(&reply)),
        (400, "invalid_body"),
        "{}",
        reply.text
    );
    let reply = app
        .client
        .post(app.url("/api/dead-letters/replay"))
        .bearer_auth(TOKEN)
        .header("content-type", "text/plain")
        .body("module=items")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 415);
}

#[tokio::test(flavor = "multi_thread")]
async fn queue_stats_count_by_status_lane_entity_and_priority_with_throughput_and_latency() {
    let app = start(&[]).await;
    for id in ["q1", "q2", "q3"] {
        applied_item(&app, id).await;
    }
    permanent_dead_letter(&app, "q-poison").await;
    post_item(
        &app,
        KEY,
        &item("q-waiting", "Waits", json!(1), V2),
        Some("req-waiting"),
    )
    .await;

    let stats = get_ok(&app, "/api/queue").await;
    assert_eq!(
        stats["by_status"],
        json!({"pending": 1, "processing": 0, "retry": 0, "completed": 3, "dead": 1}),
        "{stats}"
    );
    let catalog = stats["by_lane"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lane"] == "catalog")
        .unwrap();
    assert_eq!(catalog["counts"]["completed"], json!(3));
    assert_eq!(catalog["throughput"]["1h"]["completed"], json!(3));
    assert_eq!(
        stats["by_lane"].as_array().unwrap().len(),
        4,
        "every lane, busy or not"
    );
    let items = stats["by_entity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["module"] == "items")
        .unwrap();
    assert_eq!(
        (items["lane"].clone(), items["priority"].clone()),
        (json!("catalog"), json!(5))
    );
    assert_eq!(items["counts"]["dead"], json!(1));
    assert_eq!(stats["by_entity"].as_array().unwrap().len(), Module::ALL.len());
    let five = stats["by_priority"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["priority"] == 5)
        .unwrap();
    assert_eq!(five["counts"]["pending"], json!(1));
    assert_eq!(stats["throughput"]["1h"]["completed"], json!(3));
    assert_eq!(stats["throughput"]["5m"]["completed"], json!(3));
    let latency = &stats["latency_seconds"]["overall"];
    assert_eq!(latency["count"], json!(3), "{latency}");
    let (p50, p95, p99) = (
        latency["p50"].as_f64().unwrap(),
        latency["p95"].as_f64().unwrap(),
        latency["p99"].as_f64().unwrap(),
    );
    assert!(0.0 <= p50 && p50 <= p95 && p95 <= p99, "{latency}");
    assert_eq!(
        stats["latency_seconds"]["by_lane"]["catalog"]["count"],
        json!(3)
    );
    assert_eq!(
        stats["latency_seconds"]["by_lane"]["sales"]["p50"],
        Value::Null
    );
    assert_eq!(
        stats["dead_letters_open"],
        json!({"total": 1, "by_class": {"invalid": 0, "permanent": 1, "transient": 0}})
    );
    assert!(stats["oldest_pending_age_seconds"].as_f64().unwrap() >= 0.0);

    let series = get_ok(&app, "/api/queue/series?minutes=5").await;
    let points = series["points"].as_array().unwrap();
    assert_eq!(points.len(), 5);
    let total = |key: &str| points.iter().map(|p| p[key].as_i64().unwrap()).sum::<i64>();
    assert_eq!(total("completed"), 3, "{series}");
    assert_eq!(total("enqueued"), 5, "{series}");
    assert_eq!(
        points.last().unwrap()["depth"],
        json!(1),
        "the waiting row: {series}"
    );
    assert!(points
        .windows(2)
        .all(|w| w[1]["minute"].as_i64() == w[0]["minute"].as_i64().map(|m| m + 60)));
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_letters_list_in_pages_filter_show_and_resolve() {
    let app = start(&[]).await;
    let mut permanent = Vec::new();
    for i in 0..5 {
        permanent.push(permanent_dead_letter(&app, &format!("poison-{i}")).await);
    }
    let transient = transient_dead_letter(&app, "locked").await;

    let mut seen = Vec::new();
    let mut path = "/api/dead-letters?limit=2".to_string();
    let mut pages = 0;
    loop {
        let page = get_ok(&app, &path).await;
        pages += 1;
        assert_eq!(page["limit"], json!(2));
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/dead-letters?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let mut all = permanent.clone();
    all.push(transient);
    all.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(seen, all, "newest first, each once");
    assert_eq!(pages, 3);

    let first = get_ok(&app, "/api/dead-letters?limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let reply = get(
        &app,
        &format!("/api/dead-letters?limit=2&error_class=transient&cursor={cursor}"),
    )
    .await;
    assert_eq!(
        reply.status, 409,
        "a cursor is bound to its filters: {}",
        reply.text
    );

    let transient_only = get_ok(&app, "/api/dead-letters?error_class=transient").await;
    let items = transient_only["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], json!(transient));
    assert_eq!(items[0]["error_code"], json!("55P03"));
    assert_eq!(items[0]["status"], json!("open"));
    let by_entity = get_ok(
        &app,
        "/api/dead-letters?module=items&entity_id=poison-3&status=all",
    )
    .await;
    assert_eq!(by_entity["items"].as_array().unwrap().len(), 1);
    let none = get_ok(&app, "/api/dead-letters?since=2100-01-01T00:00:00Z").await;
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["next_cursor"], Value::Null);

    let shown = get_ok(&app, &format!("/api/dead-letters/{transient}")).await;
    let letter = &shown["dead_letter"];
    assert_eq!(letter["entity_id"], json!("locked"));
    assert_eq!(letter["error_class"], json!("transient"));
    assert_eq!(letter["attempts"].as_array().unwrap().len(), 1, "{letter}");
    assert_eq!(
        letter["inbox_event"]["document"]["name"],
        json!("Second"),
        "{letter}"
    );
    assert_eq!(letter["replay_queue"], Value::Null);
    assert_eq!(get(&app, "/api/dead-letters/999999").await.status, 404);

    let reply = post(
        &app,
        &format!("/api/dead-letters/{}/resolve", permanent[0]),
        &json!({}),
    )
    .await;
    assert_eq!((reply.status, error_code(&reply)), (400, "invalid_body"));
    let reply = post(
        &app,
        &format!("/api/dead-letters/{}/resolve", permanent[0]),
        &json!({"note": "fixed in Zoho", "sku": 1}),
    )
    .await;
    assert_eq!(
        reply.status, 400,
        "unknown fields are refused: {}",
        reply.text
    );
    let resolved = post(
        &app,
        &format!("/api/dead-letters/{}/resolve", permanent[0]),
        &json!({"note": "fixed in Zoho", "by": "ops@example.com"}),
    )
    .await;
    assert_eq!(resolved.status, 200, "{}", resolved.text);
    let letter = &resolved.body["dead_letter"];
    assert_eq!(
        (
            letter["status"].clone(),
            letter["resolution"].clone(),
            letter["resolved_by"].clone()
        ),
        (
            json!("resolved"),
            json!("fixed in Zoho"),
            json!("ops@example.com")
        )
    );
    let again = post(
        &app,
        &format!("/api/dead-letters/{}/resolve", permanent[0]),
        &json!({"note": "again"}),
    )
    .await;
    assert_eq!(
        (again.status, error_code(&again)),
        (409, "already_resolved")
    );
    assert_eq!(
        post(
            &app,
            "/api/dead-letters/999999/resolve",
            &json!({"note": "x"})
        )
        .await
        .status,
        404
    );
    let open = get_ok(&app, "/api/dead-letters?limit=500").await;
    assert_eq!(
        open["items"].as_array().unwrap().len(),
        5,
        "the resolved one left the open list"
    );
    let resolved_list = get_ok(&app, "/api/dead-letters?status=resolved").await;
    assert_eq!(resolved_list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_dead_letter_is_queued_again_and_completes() {
    let app = start(&[]).await;
    let dead = transient_dead_letter(&app, "replayed").await;
    assert_eq!(erp_item(&app, "replayed").await.unwrap().0, "First");

    let reply = post(
        &app,
        &format!("/api/dead-letters/{dead}/replay"),
        &json!({"by": "ops"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["outcome"], json!("queued"), "{}", reply.text);
    let queue_id = reply.body["queue_id"].as_i64().unwrap();
    let letter = &reply.body["dead_letter"];
    assert_eq!(
        (
            letter["status"].clone(),
            letter["replay_count"].clone(),
            letter["replay_queue_id"].clone()
        ),
        (json!("resolved"), json!(1), json!(queue_id))
    );
    assert!(letter["last_replayed_at"].is_string());
    let db = app.db.client().await;
    let status: String = db
        .query_one(
            "SELECT status FROM tds_sync_queue WHERE id = $1",
            &[&queue_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "pending");

    drain_by_cron(&app, Lane::Catalog).await;
    assert_eq!(
        erp_item(&app, "replayed").await,
        Some(("Second".into(), "2".into())),
        "the replayed version is applied"
    );
    let shown = get_ok(&app, &format!("/api/dead-letters/{dead}")).await;
    assert_eq!(
        shown["dead_letter"]["replay_queue"]["status"],
        json!("completed"),
        "{shown}"
    );
    let open = get_ok(&app, "/api/dead-letters").await;
    assert_eq!(open["items"], json!([]));

    let again = post(
        &app,
        &format!("/api/dead-letters/{dead}/replay"),
        &json!({}),
    )
    .await;
    assert_eq!(
        again.status, 200,
        "a resolved dead letter may be replayed again: {}",
        again.text
    );
    assert_eq!(again.body["dead_letter"]["replay_count"], json!(2));
    drain_by_cron(&app, Lane::Catalog).await;
    let (status, _) = send_item(&app, KEY, &json!({"item": {"name": "No id", "rate": 1}}), None).await;
    assert_eq!(status, 202);
    let db = app.db.client().await;
    let invalid_letter: i64 = db
        .query_one(
            "SELECT id FROM tds_dead_letters WHERE error_class = 'invalid'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let refused = post(
        &app,
        &format!("/api/dead-letters/{invalid_letter}/replay"),
        &json!({}),
    )
    .await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (409, "not_replayable"),
        "{}",
        refused.text
    );
    let gone = transient_dead_letter(&app, "gone").await;
    db.execute(
        "DELETE FROM tds_inbox_events WHERE id = (SELECT inbox_event_id FROM tds_dead_letters WHERE id = $1)",
        &[&gone],
    )
    .await
    .unwrap();
    let refused = post(
        &app,
        &format!("/api/dead-letters/{gone}/replay"),
        &json!({}),
    )
    .await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (409, "inbox_event_gone"),
        "{}",
        refused.text
    );
    let still_open = get_ok(&app, &format!("/api/dead-letters/{gone}")).await;
    assert_eq!(
        still_open["dead_letter"]["status"],
        json!("open"),
        "a refused replay changes nothing"
    );
    assert_eq!(
        post(&app, "/api/dead-letters/999999/replay", &json!({}))
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_by_filter_takes_only_matching_open_dead_letters() {
    let app = start(&[]).await;
    let a = transient_dead_letter(&app, "filter-a").await;
    let b = transient_dead_letter(&app, "filter-b").await;
    let poison = permanent_dead_letter(&app, "filter-poison").await;

    let reply = post(
        &app,
        "/api/dead-letters/replay",
        &json!({"error_class": "sometimes"}),
    )
    .await;
    assert_eq!((reply.status, error_code(&reply)), (400, "invalid_body"));
    assert!(reply.body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("error_class"));
    let reply = post(&app, "/api/dead-letters/replay", &json!({"limit": 0})).await;
    assert_eq!(reply.status, 400);

    let reply = post(
        &app,
        "/api/dead-letters/replay",
        &json!({"error_class": "transient", "limit": 1}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        (
            reply.body["matched"].clone(),
            reply.body["replayed"].clone(),
            reply.body["more"].clone()
        ),
        (json!(1), json!(1), json!(true)),
        "{}",
        reply.text
    );
    assert_eq!(reply.body["results"][0]["id"], json!(b), "newest first");
    let reply = post(
        &app,
        "/api/dead-letters/replay",
        &json!({"error_class": "transient"}),
    )
    .await;
    assert_eq!(
        reply.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].clone())
            .collect::<Vec<_>>(),
        [json!(a)]
    );
    assert_eq!(reply.body["more"], json!(false));

    drain_by_cron(&app, Lane::Catalog).await;
    assert_eq!(erp_item(&app, "filter-a").await.unwrap().0, "Second");
    assert_eq!(erp_item(&app, "filter-b").await.unwrap().0, "Second");
    let open = get_ok(&app, "/api/dead-letters").await;
    let ids: Vec<_> = open["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    assert_eq!(ids, [json!(poison)], "the permanent one was not replayed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_is_traced_from_inbox_to_audit_and_an_entity_has_a_history() {
    let app = start(&[]).await;
    let first = post_item(
        &app,
        KEY,
        &item("traced", "First", json!(1), tds_tests::stats::V1),
        Some("trace-me-1"),
    )
    .await;
    drain_by_cron(&app, Lane::Catalog).await;
    post_item(&app, KEY, &item("traced", "Second", json!(2), V2), Some("trace-me-2")).await;
    drain_by_cron(&app, Lane::Catalog).await;

    let event_id = first["event_id"].as_i64().unwrap();
    let trace = get_ok(&app, &format!("/api/trace?event_id={event_id}")).await;
    assert_eq!(
        trace["trace"],
        json!({"event_id": event_id, "correlation_id": null})
    );
    assert_eq!(
        trace["inbox_events"].as_array().unwrap().len(),
        1,
        "{trace}"
    );
    assert_eq!(
        trace["inbox_events"][0]["correlation_id"],
        json!("trace-me-1")
    );
    assert_eq!(trace["queue"][0]["status"], json!("completed"));
    assert_eq!(trace["sync_log"][0]["outcome"], json!("applied"));
    assert_eq!(trace["audit"][0]["action"], json!("insert"));
    assert_eq!(trace["dead_letters"], json!([]));

    let by_correlation = get_ok(&app, "/api/trace?correlation_id=trace-me-2").await;
    assert_eq!(
        by_correlation["inbox_events"][0]["document"]["name"],
        json!("Second")
    );
    assert_eq!(by_correlation["audit"][0]["action"], json!("update"));
    let changed = by_correlation["audit"][0]["changed_fields"]
        .as_array()
        .unwrap();
    assert!(changed.contains(&json!("name")), "{changed:?}");
    assert_eq!(
        get(&app, "/api/trace?correlation_id=never-sent")
            .await
            .status,
        404
    );
    assert_eq!(get(&app, "/api/trace?event_id=999999").await.status, 404);

    let history = get_ok(&app, "/api/history/items/traced?limit=1").await;
    assert_eq!(
        history["items"][0]["action"],
        json!("update"),
        "newest first: {history}"
    );
    assert_eq!(
        (history["module"].clone(), history["entity_id"].clone()),
        (json!("items"), json!("traced"))
    );
    let cursor = history["next_cursor"].as_str().unwrap();
    let older = get_ok(
        &app,
        &format!("/api/history/items/traced?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(older["items"][0]["action"], json!("insert"));
    assert_eq!(older["next_cursor"], Value::Null);
    let other = get(
        &app,
        &format!("/api/history/items/other?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(other.status, 409, "a cursor is bound to its entity");
    assert_eq!(error_code(&other), "cursor_out_of_scope");
    let forged = get(&app, "/api/history/items/other?cursor=c1zz").await;
    assert_eq!(
        (forged.status, error_code(&forged)),
        (400, "invalid_parameter")
    );
    assert_eq!(
        get_ok(&app, "/api/history/items/never-seen").await["items"],
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_runs_and_circuit_breakers() {
    let app = start(&[]).await;
    applied_item(&app, "ran").await;
    let [open, acknowledged, resolved] = seed_alerts_and_circuits(&app).await;

    let active = get_ok(&app, "/api/alerts").await;
    let ids: Vec<_> = active["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [acknowledged, open]);
    let all = get_ok(&app, "/api/alerts?status=all&limit=2").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let rest = get_ok(
        &app,
        &format!(
            "/api/alerts?status=all&limit=2&cursor={}",
            all["next_cursor"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(rest["items"][0]["id"], json!(open));
    assert_eq!(
        get_ok(&app, "/api/alerts?severity=critical").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let acked = post(
        &app,
        &format!("/api/alerts/{open}/acknowledge"),
        &json!({"by": "ops"}),
    )
    .await;
    assert_eq!(acked.status, 200, "{}", acked.text);
    assert_eq!(
        (
            acked.body["alert"]["status"].clone(),
            acked.body["alert"]["acknowledged_by"].clone()
        ),
        (json!("acknowledged"), json!("ops"))
    );
    let again = post(&app, &format!("/api/alerts/{open}/acknowledge"), &json!({})).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.body["alert"]["acknowledged_by"],
        json!("ops"),
        "unchanged"
    );
    let refused = post(
        &app,
        &format!("/api/alerts/{resolved}/acknowledge"),
        &json!({}),
    )
    .await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (409, "alert_resolved")
    );
    assert_eq!(
        post(&app, "/api/alerts/999999/acknowledge", &json!({}))
            .await
            .status,
        404
    );
    assert_eq!(
        get_ok(&app, "/api/alerts?status=open").await["items"],
        json!([])
    );

    let runs = get_ok(&app, "/api/runs?component=processor-catalog").await;
    let run = &runs["items"][0];
    assert_eq!(
        (
            run["lane"].clone(),
            run["status"].clone(),
            run["trigger"].clone()
        ),
        (json!("catalog"), json!("completed"), json!("cron"))
    );
    let shown = get_ok(&app, &format!("/api/runs/{}", run["id"])).await;
    assert_eq!(shown["run"]["attempts"], json!({"applied": 1}), "{shown}");
    assert_eq!(
        get_ok(&app, "/api/runs?status=failed").await["items"],
        json!([])
    );

    let circuits = get_ok(&app, "/api/circuits").await;
    let items = circuits["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|c| c["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "by name");
    let state = |name: &str| {
        items
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["state"].clone())
    };
    assert_eq!(state("outbound:alerts-webhook"), Some(json!("open")));
    assert_eq!(state("lane:inventory"), Some(json!("closed")));
    let reset = post(
        &app,
        "/api/circuits/outbound:alerts-webhook/reset",
        &json!({}),
    )
    .await;
    assert_eq!(reset.status, 200, "{}", reset.text);
    assert_eq!(
        (
            reset.body["circuit"]["state"].clone(),
            reset.body["circuit"]["consecutive_failures"].clone()
        ),
        (json!("closed"), json!(0))
    );
    assert_eq!(reset.body["circuit"]["opened_at"], Value::Null);
    let escaped = post(&app, "/api/circuits/lane%3Ainventory/reset", &json!({})).await;
    assert_eq!(
        (escaped.status, escaped.body["circuit"]["name"].clone()),
        (200, json!("lane:inventory")),
        "path segments are percent-decoded: {}",
        escaped.text
    );
    assert_eq!(
        post(&app, "/api/circuits/lane:nowhere/reset", &json!({}))
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn inbox_events_are_replayed_by_time_range_and_module() {
    let app = start(&[]).await;
    applied_item(&app, "again-1").await;
    applied_item(&app, "again-2").await;
    post_item(&app, KEY, &item("again-1", "Second", json!(2), V2), Some("again-1-v2")).await;
    drain_by_cron(&app, Lane::Catalog).await;

    let range =
        json!({"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "module": "items"});
    let mut dry = range.clone();
    dry["dry_run"] = json!(true);
    let reply = post(&app, "/api/replay", &dry).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        (
            reply.body["events_in_range"].clone(),
            reply.body["entities"].clone(),
            reply.body["considered"].clone(),
            reply.body["queued"].clone()
        ),
        (json!(3), json!(2), json!(2), json!(0)),
        "{}",
        reply.text
    );

    let reply = post(&app, "/api/replay", &range).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["queued"], json!(2), "{}", reply.text);
    let db = app.db.client().await;
    let pending: i64 = db
        .query_one(
            "SELECT count(*) FROM tds_sync_queue WHERE status = 'pending'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(pending, 2);
    drain_by_cron(&app, Lane::Catalog).await;
    let waiting: i64 = db
        .query_one(
            "SELECT count(*) FROM tds_sync_queue WHERE status IN ('pending', 'retry')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(waiting, 0, "the replayed events completed");
    assert_eq!(
        erp_item(&app, "again-1").await.unwrap().0,
        "Second",
        "the newest version was replayed"
    );

    let none = post(
        &app,
        "/api/replay",
        &json!({"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "module": "bills"}),
    )
    .await;
    assert_eq!(
        (none.body["entities"].clone(), none.body["queued"].clone()),
        (json!(0), json!(0))
    );
    for (body, field) in [
        (json!({"to": "2100-01-01T00:00:00Z"}), "from"),
        (
            json!({"from": "soon", "to": "2100-01-01T00:00:00Z"}),
            "from",
        ),
        (json!({"from": "2026-11-20", "to": "2100-01-01T00:00:00Z"}), "from"),
        (
            json!({"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "by": null}),
            "by",
        ),
        (
            json!({"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "module": "widgets"}),
            "module",
        ),
        (
            json!({"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "limit": 100000}),
            "limit",
        ),
        (
            json!({"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "dry_run": "yes"}),
            "dry_run",
        ),
    ] {
        let reply = post(&app, "/api/replay", &body).await;
        assert_eq!(
            (reply.status, error_code(&reply)),
            (400, "invalid_body"),
            "{body}: {}",
            reply.text
        );
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{body}: {message}");
    }
    let backwards = post(
        &app,
        "/api/replay",
        &json!({"from": "2100-01-01T00:00:00Z", "to": "2000-01-01T00:00:00Z", "limit": 5.0}),
    )
    .await;
    assert_eq!(backwards.status, 200, "an empty range: {}", backwards.text);
    assert_eq!(
        (&backwards.body["events_in_range"], &backwards.body["queued"]),
        (&json!(0), &json!(0))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn runtime_configuration_is_read_and_changed_with_validation() {
    let app = start(&[]).await;
    let db = app.db.client().await;
    let seeded = get_ok(&app, "/api/config").await;
    for entry in seeded["items"].as_array().unwrap() {
        assert_eq!(
            entry["known"],
            json!(true),
            "every key a migration seeds has a type and range: {entry}"
        );
    }
    db.execute("DELETE FROM tds_config WHERE key = 'lock_timeout_ms'", &[])
        .await
        .unwrap();
    let config = get_ok(&app, "/api/config").await;
    let entry = |config: &Value, key: &str| {
        config["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == key)
            .cloned()
            .unwrap()
    };
    let cap = entry(&config, "backoff_cap_ms");
    assert_eq!(
        (
            cap["value"].clone(),
            cap["type"].clone(),
            cap["stored"].clone()
        ),
        (json!(300000), json!("integer"), json!(true))
    );
    let lock = entry(&config, "lock_timeout_ms");
    assert_eq!(
        (lock["value"].clone(), lock["stored"].clone()),
        (json!(5000), json!(false)),
        "a default when not stored"
    );
    assert_eq!(
        entry(&config, "alert_failure_rate")["type"],
        json!("number")
    );

    let patch = |body: Value| {
        let app = &app;
        async move { call(app, "PATCH", "/api/config", Some(TOKEN), Some(&body)).await }
    };
    let reply = patch(json!({"backoff_base_ms": 250, "lock_timeout_ms": 1200, "alert_failure_rate": 0.35, "by": "ops"})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["changed"],
        json!(["alert_failure_rate", "backoff_base_ms", "lock_timeout_ms"])
    );
    let lock = entry(&reply.body, "lock_timeout_ms");
    assert_eq!(
        (
            lock["value"].clone(),
            lock["stored"].clone(),
            lock["updated_by"].clone()
        ),
        (json!(1200), json!(true), json!("ops"))
    );
    let db = app.db.client().await;
    let stored: String = db
        .query_one(
            "SELECT value::text FROM tds_config WHERE key = 'backoff_base_ms'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, "250");

    for (body, named) in [
        (json!({"backoff_cap_ms": "9000"}), vec!["backoff_cap_ms"]),
        (json!({"backoff_cap_ms": 1.5}), vec!["backoff_cap_ms"]),
        (
            json!({"retention_inbox_days": 0}),
            vec!["retention_inbox_days"],
        ),
        (json!({"alert_failure_rate": 2}), vec!["alert_failure_rate"]),
        (
            json!({"colour": "blue", "heal_reclaim_limit": -1}),
            vec!["colour", "heal_reclaim_limit"],
        ),
        (
            json!({"reconcile_modules": "items,widgets"}),
            vec!["reconcile_modules", "widgets"],
        ),
        (
            json!({"reconcile_modules": "items,,bills"}),
            vec!["reconcile_modules", "empty entry"],
        ),
    ] {
        let reply = patch(body.clone()).await;
        assert_eq!(
            (reply.status, error_code(&reply)),
            (400, "invalid_config"),
            "{body}: {}",
            reply.text
        );
        let message = reply.body["error"]["message"].as_str().unwrap();
        for key in named {
            assert!(message.contains(key), "{body}: {message}");
        }
    }
    let conflict = patch(json!({"backoff_base_ms": 400000})).await;
    assert_eq!(
        (conflict.status, error_code(&conflict)),
        (409, "config_conflict"),
        "a base above the cap in force: {}",
        conflict.text
    );
    let nothing = patch(json!({"by": "ops"})).await;
    assert_eq!(nothing.status, 200, "{}", nothing.text);
    assert_eq!(nothing.body["changed"], json!([]));
    let reply = patch(json!({"backoff_cap_ms": 5000, "retention_log_days": 0})).await;
    assert_eq!(reply.status, 400);
    let cap: String = db
        .query_one(
            "SELECT value::text FROM tds_config WHERE key = 'backoff_cap_ms'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(cap, "300000", "a refused change changes nothing");
}
