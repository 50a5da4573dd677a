//! Service chaining, private routes, self requests and work after the response, as Spin
//! 4.0.2 does them (docs/spin.md, "Service chaining, private routes, self requests and
//! work after the response"), observed through the probe split into components
//! (`tests/fixtures/probe_chaining.toml`).

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tds::app::{AppBuilder, AppOptions};
use tds::cron_trigger::CronHandlerError;
use tds::http_trigger::HttpTrigger;
use tds_tests::wait::eventually;
use tds_tests::{ensure_built, repo_root, TestApp, TestAppOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHAINING: &str = "tests/fixtures/probe_chaining.toml";

/// The probe split into caller, public-target, private-target and cron-only.
async fn start_chaining() -> TestApp {
    start_chaining_with(&[]).await
}

async fn start_chaining_with(variables: &[&str]) -> TestApp {
    TestApp::start_with(TestAppOptions {
        manifest: CHAINING.into(),
        variables: variables.iter().map(|v| v.to_string()).collect(),
        ..TestAppOptions::default()
    })
    .await
}

/// `POST /<prefix>/send`: the request `spec` describes, sent by the component routed at
/// `/<prefix>/...`; what it got back (`{"status", "headers", "body"}` or `{"error", "kind"}`).
async fn send_from(app: &TestApp, prefix: &str, spec: Value) -> Value {
    let answer = app.post_json(&format!("/{prefix}/send"), &spec).await;
    assert_eq!(
        answer.status, 200,
        "the sender itself answers: {}",
        answer.text
    );
    answer.body
}

/// The echo a chained or self request got back, parsed.
#[track_caller]
fn echoed(sent: &Value) -> Value {
    assert_eq!(sent["status"], 200, "{sent:#}");
    serde_json::from_str(sent["body"].as_str().expect("a body")).expect("the echo is JSON")
}

/// The host's tracing (warnings and errors) of this test binary, captured once.
fn host_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        struct Appender(Arc<Mutex<Vec<u8>>>);
        impl Write for Appender {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        let writer = log.clone();
        tracing_subscriber::fmt()
            .with_writer(move || Appender(writer.clone()))
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .try_init()
            .expect("the only tracing subscriber of this binary");
        log
    })
    .clone()
}

/// Whether the host log holds every one of `needles` (an event's message may span lines,
/// a trap's backtrace for one, with its fields after it).
fn logged(needles: &[&str]) -> bool {
    let log = host_log();
    let text = String::from_utf8_lossy(&log.lock().unwrap()).to_string();
    needles.iter().all(|needle| text.contains(needle))
}

/// Whether the probe recorded `token` in `probe_after_response`.
async fn recorded(client: &tokio_postgres::Client, token: &str) -> bool {
    match client
        .query(
            "SELECT 1 FROM probe_after_response WHERE token = $1",
            &[&token],
        )
        .await
    {
        Ok(rows) => !rows.is_empty(),
        // 42P01: no guest has created the table yet.
        Err(e) if e.code().is_some_and(|c| c.code() == "42P01") => false,
        Err(e) => panic!("reading probe_after_response: {e}"),
    }
}

fn token(label: &str) -> String {
    format!("{label}-{:08x}", rand::random::<u32>())
}

#[tokio::test(flavor = "multi_thread")]
async fn chaining_reaches_a_public_route_component_with_spins_synthetic_request() {
    let app = start_chaining().await;
    let sent = send_from(
        &app,
        "probe",
        json!({
            "url": "http://public-target.spin.internal/chain/headers?x=1&y=two",
            "method": "POST",
            "headers": {"x-probe": "from-caller"},
            "body": "hello chained",
        }),
    )
    .await;
    let echo = echoed(&sent);
    assert_eq!(echo["component"], "public-target", "{echo:#}");
    assert_eq!(echo["method"], "Method::Post");
    assert_eq!(echo["body"], "hello chained", "the caller's body arrives");
    assert_eq!(
        echo["uri"],
        "http://public-target.spin.internal/chain/headers?x=1&y=two"
    );
    let headers = &echo["headers"];
    assert_eq!(headers["spin-matched-route"], "/...", "{headers:#}");
    assert_eq!(headers["spin-raw-component-route"], "/...");
    assert_eq!(headers["spin-component-route"], "");
    assert_eq!(
        headers["spin-path-info"], "/chain/headers",
        "the whole path"
    );
    assert_eq!(headers["spin-base-path"], "/");
    assert_eq!(
        headers["spin-client-addr"], "0.0.0.0:0",
        "never over the network"
    );
    assert_eq!(
        headers["spin-full-url"], "http://localhost/chain/headers?x=1&y=two",
        "Spin builds it from the (dropped) Host header, defaulting to localhost"
    );
    assert_eq!(
        sent["headers"]["content-type"], "application/json",
        "the chained response's headers"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn chaining_reaches_a_private_route_component() {
    let app = start_chaining().await;
    let sent = send_from(
        &app,
        "probe",
        json!({"url": "http://private-target.spin.internal/chain/headers"}),
    )
    .await;
    let echo = echoed(&sent);
    assert_eq!(echo["component"], "private-target", "{echo:#}");
    assert_eq!(echo["method"], "Method::Get");
    assert_eq!(echo["headers"]["spin-matched-route"], "/...");
    assert_eq!(echo["headers"]["spin-path-info"], "/chain/headers");
    assert_eq!(echo["headers"]["spin-client-addr"], "0.0.0.0:0");

    // The chained instance is as fresh as any other.
    let sent = send_from(
        &app,
        "probe",
        json!({"url": "http://private-target.spin.internal/chain/counter"}),
    )
    .await;
    assert_eq!(echoed(&sent)["requests_seen_by_this_instance"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_without_the_host_in_allowed_outbound_hosts_is_denied() {
    let app = start_chaining().await;
    // public-target lists no chaining host at all.
    for url in [
        "http://private-target.spin.internal/chain/headers",
        "http://caller.spin.internal/probe/headers",
    ] {
        let sent = send_from(&app, "chain", json!({"url": url})).await;
        assert_eq!(
            sent["kind"], "ErrorCode::HttpRequestDenied",
            "{url}: {sent:#}"
        );
    }
    // The caller lists public-target on port 80 only, and over http only.
    for url in [
        "http://public-target.spin.internal:8080/chain/headers",
        "https://public-target.spin.internal/chain/headers",
    ] {
        let sent = send_from(&app, "probe", json!({"url": url})).await;
        assert_eq!(
            sent["kind"], "ErrorCode::HttpRequestDenied",
            "{url}: {sent:#}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn chaining_from_a_cron_instance_fails_with_a_dns_error() {
    let app = start_chaining().await;
    let started = Instant::now();
    let error = app
        .run_cron("cron-only")
        .await
        .expect_err("the probe reports what its request came to");
    let reported = error
        .downcast_ref::<CronHandlerError>()
        .unwrap_or_else(|| panic!("the handler's own report, not a trap: {error:#}"));
    assert!(
        reported.message.starts_with("failed: ErrorCode::DnsError"),
        "only the HTTP trigger's instances chain; a cron instance's request goes to DNS: {}",
        reported.message
    );
    assert!(
        reported.message.contains("address not available"),
        "Spin's DNS error payload: {}",
        reported.message
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered without a lookup"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn chaining_to_a_component_without_an_http_trigger_traps_the_caller() {
    host_log();
    let app = start_chaining().await;
    let answer = app
        .post_json(
            "/probe/send",
            &json!({"url": "http://cron-only.spin.internal/chain/headers"}),
        )
        .await;
    assert_eq!(answer.status, 500, "the caller trapped: {}", answer.text);
    assert_eq!(
        answer.body["error"]["code"], "component_failed",
        "{}",
        answer.text
    );
    assert!(
        logged(&[
            "http://cron-only.spin.internal",
            "cron-only has no HTTP trigger"
        ]),
        "the host log names the component without an HTTP trigger"
    );

    // The host goes on serving, chaining included.
    let sent = send_from(
        &app,
        "probe",
        json!({"url": "http://public-target.spin.internal/chain/headers"}),
    )
    .await;
    assert_eq!(echoed(&sent)["component"], "public-target");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_route_is_never_reached_from_outside() {
    let app = start_chaining().await;
    for path in [
        "/",
        "/private-target",
        "/private-target/headers",
        "/private/headers",
    ] {
        let answer = app.get(path).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.text);
        assert_eq!(answer.text, "", "{path}: the 404 of no route");
    }
    assert_eq!(
        app.echo("/chain/headers").await["component"],
        "public-target"
    );

    // Beside a catch-all, the catch-all's component answers every path.
    let app = TestApp::start_with(TestAppOptions {
        manifest: "tests/fixtures/probe_private_catchall.toml".into(),
        ..TestAppOptions::default()
    })
    .await;
    for path in ["/", "/private-target/headers", "/chain/headers"] {
        let echo = app.echo(path).await;
        assert_eq!(echo["component"], "catch-all", "{path}: {echo:#}");
        assert_eq!(echo["headers"]["spin-matched-route"], "/...");
    }
    // ... and chaining still reaches the private component.
    let answer = app
        .get("/probe/outbound?url=http://private-target.spin.internal/x")
        .await;
    assert_eq!(answer.body["status"], 200, "{}", answer.text);
    let echo: Value = serde_json::from_str(answer.body["body"].as_str().unwrap()).unwrap();
    assert_eq!(echo["component"], "private-target", "{echo:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_request_naming_a_chaining_host_gets_no_answer() {
    let app = start_chaining().await;
    let ask = |host: &'static str, path: &'static str| {
        let address = app.address;
        async move {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            let head = format!("GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n");
            stream.write_all(head.as_bytes()).await.unwrap();
            let mut raw = Vec::new();
            tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
                .await
                .expect("the server closes the connection")
                .ok();
            String::from_utf8_lossy(&raw).to_string()
        }
    };
    assert_eq!(
        ask("public-target.spin.internal", "/chain/headers").await,
        "",
        "Spin strips the Host header and fails the request, closing the connection"
    );
    assert_eq!(ask("caller.spin.internal:3000", "/probe/headers").await, "");
    assert!(
        ask("public-target.spin.internal", "/nowhere")
            .await
            .starts_with("HTTP/1.1 404"),
        "without a matching route, the 404 comes first"
    );
    assert!(ask("127.0.0.1", "/chain/headers")
        .await
        .starts_with("HTTP/1.1 200"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_gets_the_answer_while_the_guest_goes_on_working() {
    let app = start_chaining().await;
    let client = app.db.client().await;
    let token = token("direct");
    let started = Instant::now();
    let answer = app
        .get(&format!("/chain/after-response?token={token}"))
        .await;
    let answered_in = started.elapsed();
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer.body["answered"],
        token.as_str(),
        "the whole body arrived"
    );
    assert!(
        answered_in < Duration::from_millis(500),
        "the answer came before the guest's 500 ms of work after it: {answered_in:?}"
    );
    assert!(
        !recorded(&client, &token).await,
        "the work after the response cannot be done yet"
    );
    eventually(
        Duration::from_secs(10),
        "the work after the response",
        || {
            let (client, token) = (&client, &token);
            async move { recorded(client, token).await.then_some(()) }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chained_guest_goes_on_working_after_the_caller_has_its_answer() {
    let app = start_chaining().await;
    let client = app.db.client().await;
    let token = token("chained");
    let started = Instant::now();
    let answer = app
        .get(&format!(
            "/probe/outbound?url=http://public-target.spin.internal/chain/after-response?token={token}"
        ))
        .await;
    let answered_in = started.elapsed();
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["status"], 200, "{:#}", answer.body);
    let chained: Value = serde_json::from_str(answer.body["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        chained["answered"],
        token.as_str(),
        "the caller read the chained body to its end"
    );
    assert!(
        answered_in < Duration::from_millis(500),
        "neither the caller nor the client waited for the chained guest's work: {answered_in:?}"
    );
    assert!(!recorded(&client, &token).await);
    eventually(
        Duration::from_secs(10),
        "the chained guest's work after its response",
        || {
            let (client, token) = (&client, &token);
            async move { recorded(client, token).await.then_some(()) }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trap_after_the_response_is_only_logged() {
    host_log();
    let app = start_chaining().await;
    let client = app.db.client().await;
    let token = token("trap");
    let answer = app
        .get(&format!("/chain/after-response?token={token}&then=trap"))
        .await;
    assert_eq!(
        answer.status, 200,
        "the answer was sent before the trap: {}",
        answer.text
    );
    assert_eq!(answer.body["answered"], token.as_str());
    eventually(
        Duration::from_secs(10),
        "the log of the trap after the response",
        || {
            let (client, token) = (&client, &token);
            async move {
                let logged = recorded(client, token).await
                    && logged(&[
                        "the component failed after its response was sent",
                        "public-target",
                        "/chain/after-response",
                    ]);
                logged.then_some(())
            }
        },
    )
    .await;
    assert_eq!(
        app.echo("/chain/headers").await["component"],
        "public-target"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn self_requests_go_to_the_listener_when_allowed() {
    let app = start_chaining().await;
    let address = app.address.to_string();
    for (url, reached, path) in [
        (
            "/probe/headers?via=relative",
            "caller",
            "/probe/headers?via=relative",
        ),
        (
            "http://self.alt/chain/headers",
            "public-target",
            "/chain/headers",
        ),
    ] {
        let sent = send_from(&app, "probe", json!({"url": url})).await;
        let echo = echoed(&sent);
        assert_eq!(echo["component"], reached, "{url}: {echo:#}");
        assert_eq!(
            echo["headers"]["spin-full-url"],
            format!("http://{address}{path}"),
            "{url}: sent with the origin's address as Host"
        );
        let client = echo["headers"]["spin-client-addr"].as_str().unwrap();
        assert!(
            client.starts_with("127.0.0.1:"),
            "{url}: over the network: {client}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn self_requests_are_refused_without_self_in_allowed_outbound_hosts() {
    let app = start_chaining().await;
    for url in ["/chain/headers", "http://self.alt/chain/headers"] {
        let sent = send_from(&app, "chain", json!({"url": url})).await;
        assert_eq!(
            sent["kind"], "ErrorCode::HttpRequestDenied",
            "{url}: {sent:#}"
        );
    }

    // A cron instance has no origin to send an allowed self request to.
    let app = start_chaining_with(&["cron_chain_url=/chain/headers"]).await;
    let error = app.run_cron("cron-only").await.expect_err("a report");
    let reported = error
        .downcast_ref::<CronHandlerError>()
        .expect("the handler's report");
    assert_eq!(
        reported.message, "failed: ErrorCode::HttpRequestUriInvalid",
        "{reported}"
    );
}

/// Loads `fixture` as `tds up` would (manifest, components, HTTP trigger); the error.
fn load_error(fixture: &str) -> String {
    ensure_built(&repo_root().join("tests/fixtures/probe.toml"));
    let mut options = AppOptions::new(repo_root().join("tests/fixtures").join(fixture));
    options.dotenv_dir = None;
    options.cache_dir = Some(repo_root().join("target").join("tds-test-cache"));
    let loaded = AppBuilder::new(options)
        .and_then(AppBuilder::build)
        .and_then(|app| HttpTrigger::new(app).map(drop));
    match loaded {
        Ok(()) => panic!("{fixture} loaded, but tds refuses it"),
        Err(error) => format!("{error:#}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wildcard_chaining_and_chaining_to_an_unknown_component_are_refused_at_load() {
    let error = load_error("probe_bad_wildcard_chaining.toml");
    for needle in [
        "\"probe\"",
        "http://*.spin.internal",
        "every component",
        "http://<component-id>.spin.internal",
    ] {
        assert!(
            error.contains(needle),
            "the error should mention {needle:?}: {error}"
        );
    }

    // Rendered from "http://{{ target }}.spin.internal" before the check.
    let error = load_error("probe_bad_unknown_chaining.toml");
    for needle in [
        "\"probe\"",
        "http://ghost.spin.internal",
        "[component.ghost]",
        "other, probe",
    ] {
        assert!(
            error.contains(needle),
            "the error should mention {needle:?}: {error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_route_table_other_than_private_true_is_refused() {
    let error = load_error("probe_bad_private_false.toml");
    assert!(error.contains("{ private = true }"), "{error}");
}
