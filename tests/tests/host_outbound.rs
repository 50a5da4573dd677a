//! Outbound HTTP from a guest (`wasi:http/outgoing-handler` via spin-sdk), allowed only to
//! the component's `allowed_outbound_hosts` (docs/design.md, "The host"), refused before any connection
//! otherwise.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tds_tests::probe::probe_options;
use tds_tests::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A minimal HTTP/1.1 server on 127.0.0.1 that counts connections and records request lines.
struct TestServer {
    port: u16,
    connections: Arc<AtomicUsize>,
    request_lines: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let request_lines = Arc::new(Mutex::new(Vec::new()));
        let (count, lines) = (connections.clone(), request_lines.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let lines = lines.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&request);
                    lines
                        .lock()
                        .unwrap()
                        .push(text.lines().next().unwrap_or_default().to_string());
                    let body = "from-test-server";
                    let response = format!(
                        "HTTP/1.1 202 Accepted\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self {
            port,
            connections,
            request_lines,
            task,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The probe allowed to reach `127.0.0.1:<port>` over http, and nothing else.
async fn probe_allowing(port: u16) -> TestApp {
    probe_allowing_entry(&format!("127.0.0.1:{port}")).await
}

/// The probe allowed to reach `http://<host_and_port>` (an allowed_outbound_hosts pattern).
async fn probe_allowing_entry(host_and_port: &str) -> TestApp {
    let mut options = probe_options();
    options.variables.push(format!("outbound_http_host={host_and_port}"));
    TestApp::start_with(options).await
}

/// Whether the probe reached `127.0.0.1:<port>` (else it must have been denied).
async fn reaches(app: &TestApp, port: u16) -> bool {
    let answer = app.get(&format!("/probe/outbound?url=http://127.0.0.1:{port}/")).await;
    match answer.body.get("status") {
        Some(status) => {
            assert_eq!(status, 202, "{:#}", answer.body);
            true
        }
        None => {
            assert_eq!(answer.body["kind"], "ErrorCode::HttpRequestDenied", "{:#}", answer.body);
            false
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_to_an_allowed_destination_is_made() {
    let server = TestServer::start().await;
    let app = probe_allowing(server.port).await;
    let answer = app
        .get(&format!(
            "/probe/outbound?url=http://127.0.0.1:{}/hello/there",
            server.port
        ))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["status"], 202, "{:#}", answer.body);
    assert_eq!(answer.body["body"], "from-test-server");
    assert_eq!(server.connections(), 1);
    assert_eq!(
        server.request_lines.lock().unwrap().as_slice(),
        ["GET /hello/there HTTP/1.1".to_string()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_outside_allowed_outbound_hosts_are_refused_before_connecting() {
    let allowed = TestServer::start().await;
    let forbidden = TestServer::start().await;
    let app = probe_allowing(allowed.port).await;

    let refused = [
        // Another port of the allowed host.
        format!("/probe/outbound?url=http://127.0.0.1:{}/", forbidden.port),
        // The allowed port by another name: no DNS, localhost is not 127.0.0.1.
        format!("/probe/outbound?url=http://localhost:{}/", allowed.port),
        // The allowed host and port with another scheme.
        format!("/probe/outbound?url=https://127.0.0.1:{}/", allowed.port),
        // A component without allowed_outbound_hosts.
        format!("/other/outbound?url=http://127.0.0.1:{}/", allowed.port),
    ];
    for path in &refused {
        let answer = app.get(path).await;
        assert_eq!(answer.status, 200, "{path}: the guest itself answers: {}", answer.text);
        assert!(
            answer.body.get("status").is_none(),
            "{path}: must not be reached: {:#}",
            answer.body
        );
        assert_eq!(
            answer.body["kind"], "ErrorCode::HttpRequestDenied",
            "{path}: the guest sees HTTP-request-denied: {:#}",
            answer.body
        );
    }
    assert_eq!(forbidden.connections(), 0, "nothing reached the forbidden server");
    assert_eq!(allowed.connections(), 0, "nothing reached the allowed server either");

    // The allowed destination still works from the same app.
    let answer = app
        .get(&format!("/probe/outbound?url=http://127.0.0.1:{}/ok", allowed.port))
        .await;
    assert_eq!(answer.body["status"], 202, "{:#}", answer.body);
    assert_eq!(allowed.connections(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn port_ranges_wildcards_and_cidr_blocks_apply_to_real_requests() {
    let a = TestServer::start().await;
    let b = TestServer::start().await;
    let (p, q) = (a.port, b.port);

    // start..end includes start and excludes end.
    let app = probe_allowing_entry(&format!("127.0.0.1:{p}..{}", p + 1)).await;
    assert!(reaches(&app, p).await, "{p} is the range's start");
    assert_eq!(reaches(&app, q).await, q == p, "{q} is outside {p}..{}", p + 1);
    if let Ok(next) = std::net::TcpListener::bind(("127.0.0.1", p + 1)) {
        drop(next);
        assert!(!reaches(&app, p + 1).await, "the range's end is excluded");
    }
    let below = p.min(q);
    let above = p.max(q);
    let app = probe_allowing_entry(&format!("127.0.0.1:{below}..{}", above + 1)).await;
    assert!(
        reaches(&app, p).await && reaches(&app, q).await,
        "both inside {below}..={above}"
    );

    // `*` for the port.
    let app = probe_allowing_entry("127.0.0.1:*").await;
    assert!(reaches(&app, p).await && reaches(&app, q).await);

    // A CIDR block matches the IP literals inside it, on the given port only.
    let app = probe_allowing_entry(&format!("127.0.0.0/8:{p}")).await;
    assert!(reaches(&app, p).await);
    assert!(!reaches(&app, q).await);
    let app = probe_allowing_entry(&format!("10.0.0.0/8:{p}")).await;
    assert!(!reaches(&app, p).await, "127.0.0.1 is not inside 10.0.0.0/8");

    assert_eq!(
        a.connections() + b.connections(),
        6,
        "exactly the allowed requests connected"
    );
}
