//! One guest's failure is its own: a trap answers 500 and the next request is served, a
//! runaway guest is cut off by the epoch deadline while others keep being served, and every
//! request gets a fresh instance (docs/spin.md, "HTTP trigger"; docs/design.md, "The host").

use std::time::{Duration, Instant};

use tds_tests::probe::{probe_options, start_probe};
use tds_tests::wait::eventually;
use tds_tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn a_trapping_guest_gets_a_json_500_and_the_next_request_is_served() {
    let app = start_probe().await;
    for _ in 0..3 {
        let answer = app.get("/probe/panic").await;
        assert_eq!(answer.status, 500);
        assert_eq!(answer.content_type.as_deref(), Some("application/json"));
        let message = answer.body["error"]["message"].as_str().unwrap_or_else(|| {
            panic!("the body is the host's JSON error: {:?}", answer.text);
        });
        assert!(message.contains("probe"), "the error names the component: {message}");
        assert!(
            !answer.text.contains("asked to panic"),
            "the guest's panic message stays in the log: {}",
            answer.text
        );

        let answer = app.get("/probe/headers").await;
        assert_eq!(answer.status, 200, "the next request is served: {}", answer.text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_gets_a_fresh_instance() {
    let app = start_probe().await;
    for _ in 0..5 {
        let answer = app.get("/probe/counter").await;
        assert_eq!(answer.body["requests_seen_by_this_instance"], 1, "{}", answer.text);
    }
    // Overlapping requests do not share an instance either.
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let (client, url) = (app.client.clone(), app.url("/probe/counter"));
            tokio::spawn(async move {
                client
                    .get(url)
                    .send()
                    .await
                    .unwrap()
                    .json::<serde_json::Value>()
                    .await
                    .unwrap()
            })
        })
        .collect();
    for request in requests {
        let body = request.await.unwrap();
        assert_eq!(body["requests_seen_by_this_instance"], 1, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runaway_guest_is_stopped_at_the_deadline_and_the_host_keeps_serving() {
    let limit = Duration::from_secs(2);
    let mut options = probe_options();
    options.max_execution_time = Some(limit);
    let app = TestApp::start_with(options).await;

    let started = Instant::now();
    let runaway = {
        let client = app.client.clone();
        // `mark`: the guest records in `probe_spinning` that it runs, just before its loop.
        let url = app.url("/probe/spin-forever?mark");
        tokio::spawn(async move {
            let response = client
                .get(url)
                .timeout(Duration::from_secs(60))
                .send()
                .await
                .expect("the runaway request gets an answer");
            (
                response.status().as_u16(),
                started.elapsed(),
                response.text().await.unwrap_or_default(),
            )
        })
    };

    // While the runaway spins, other requests are answered promptly.
    let db = app.db.client().await;
    eventually(Duration::from_secs(30), "the runaway guest runs", || {
        let db = &db;
        async move {
            let marked = db.query_opt("SELECT 1 FROM probe_spinning", &[]).await;
            marked.ok().flatten().map(|_| ())
        }
    })
    .await;
    for _ in 0..3 {
        let asked = Instant::now();
        let answer = app.get("/probe/headers").await;
        assert_eq!(answer.status, 200);
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "a spinning guest must not hold up others ({:?})",
            asked.elapsed()
        );
    }
    assert!(
        !runaway.is_finished(),
        "the runaway is still running before its deadline"
    );

    let (status, elapsed, body) = runaway.await.unwrap();
    assert_eq!(status, 500, "{body}");
    assert!(elapsed >= limit, "stopped only at the deadline ({elapsed:?})");
    assert!(
        elapsed < limit + Duration::from_secs(5),
        "stopped soon after the deadline ({elapsed:?})"
    );
    assert!(body.contains("error"), "the host's JSON error: {body}");

    let answer = app.get("/probe/headers").await;
    assert_eq!(answer.status, 200, "the host keeps serving after cutting a guest off");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guest_within_the_deadline_is_not_cut_off() {
    let mut options = probe_options();
    options.max_execution_time = Some(Duration::from_secs(2));
    let app = TestApp::start_with(options).await;
    // pg_sleep keeps the guest waiting on the host (not running) for less than the limit.
    let run = app
        .pg(vec![tds_tests::probe::query(
            "SELECT pg_sleep(0.5)::text AS slept",
            vec![],
        )])
        .await;
    run.ok();
}
