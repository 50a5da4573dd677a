//! Instances come from a fixed pool (wasmtime's pooling allocator, as in Spin): a request
//! that finds every slot taken is answered 503 `host_busy` with `Retry-After`, never left
//! waiting or answered 500, and the slot serves again once its guest is done
//! (host/tds/src/engine.rs). That a reused slot starts from a zeroed memory is held by
//! `host_isolation::every_request_gets_a_fresh_instance`.

use std::time::{Duration, Instant};

use tds_tests::probe::{probe_options, query};
use tds_tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn a_request_beyond_the_pool_is_answered_503_and_the_slot_serves_again() {
    let mut options = probe_options();
    options.pool_instances = Some(1);
    let app = TestApp::start_with(options).await;
    assert_eq!(
        app.get("/probe/headers").await.status,
        200,
        "the one slot serves"
    );

    // A guest waiting on PostgreSQL holds the only slot for five seconds.
    let holder = app.pg(vec![query("SELECT pg_sleep(5)::text AS slept", vec![])]);
    let refused = async {
        // The slot is surely taken only once the holder's query runs in PostgreSQL; a probe
        // sent before that could take the slot itself and leave the holder refused.
        let db = app.db.client().await;
        let waiting = Instant::now();
        loop {
            let running: i64 = db
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%pg_sleep(5)%'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if running > 0 {
                break;
            }
            assert!(
                waiting.elapsed() < Duration::from_secs(4),
                "the holder's query never reached PostgreSQL"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let started = Instant::now();
        loop {
            let response = app
                .client
                .get(app.url("/probe/headers"))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string);
            let text = response.text().await.unwrap();
            if status == 503 {
                return (text, retry_after);
            }
            assert_eq!(status, 200, "{text}");
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "no request was refused while the slot was held"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let (held, (refusal, retry_after)) = tokio::join!(holder, refused);
    held.ok();

    let refusal: serde_json::Value = serde_json::from_str(&refusal).expect("a JSON refusal");
    assert_eq!(refusal["error"]["code"], "host_busy", "{refusal}");
    let message = refusal["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("--instance-pool-size")
            && message.contains("SPIN_WASMTIME_INSTANCE_COUNT"),
        "the refusal says how to raise the pool: {message}"
    );
    assert_eq!(retry_after.as_deref(), Some("1"));

    for _ in 0..3 {
        let answer = app.get("/probe/counter").await;
        assert_eq!(
            answer.status, 200,
            "the freed slot serves again: {}",
            answer.text
        );
        assert_eq!(
            answer.body["requests_seen_by_this_instance"], 1,
            "{}",
            answer.text
        );
    }
}
