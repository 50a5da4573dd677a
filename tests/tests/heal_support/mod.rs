//! What the heal tests share: the application with a key and token (items are posted with
//! [`KEY`] through `tds_tests::webhooks`, processor and heal run with [`TOKEN`] through
//! `tds_tests::internal`), `tds_config`, and a tiny HTTP receiver standing in for alert
//! webhooks.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tds_tests::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const KEY: &str = "heal-test-key-0123456789";
pub const TOKEN: &str = "heal-test-token";
/// How long a test waits for something that should happen promptly.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// The application with [`KEY`] and [`TOKEN`], plus `extra` variables, and no wakes: heal's
/// tests drain each lane themselves, through its route or its cron handler, and read what
/// that run did.
pub async fn app(extra: &[String]) -> TestApp {
    let mut variables = vec!["wake=off".to_string()];
    variables.extend(extra.iter().cloned());
    TestApp::start_keyed(KEY, TOKEN, &variables).await
}

pub use tds_tests::{scalar_i64, set_config};

/// A request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub content_type: Option<String>,
    pub body: Value,
}

/// An HTTP/1.1 server on 127.0.0.1 standing in for an alert webhook: records each request
/// and answers with the status currently set (200 at first).
pub struct Receiver {
    pub port: u16,
    status: Arc<AtomicU16>,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let status = Arc::new(AtomicU16::new(200));
        let connections = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (answer, count, log) = (status.clone(), connections.clone(), received.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let (answer, log) = (answer.clone(), log.clone());
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut stream).await else {
                        return;
                    };
                    let status = answer.load(Ordering::SeqCst);
                    if (200..300).contains(&status) {
                        log.lock().unwrap().push(request);
                    }
                    let response = format!(
                        "HTTP/1.1 {status} Status\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Receiver {
            port,
            status,
            connections,
            received,
            task,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The status later requests are answered with (requests answered non-2xx are not
    /// recorded as received).
    pub fn answer_with(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Requests accepted (2xx), in order.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Connections made, whatever the answer.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 8192];
    let header_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buffer[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..header_end]).to_string();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let chunked = header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let body_bytes = if chunked {
        loop {
            if let Some(body) = dechunk(&data[header_end..]) {
                break body;
            }
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => data.extend_from_slice(&buffer[..n]),
            }
        }
    } else {
        let length: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while data.len() < header_end + length {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => data.extend_from_slice(&buffer[..n]),
            }
        }
        data[header_end..header_end + length].to_vec()
    };
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let body = serde_json::from_slice(&body_bytes).unwrap_or(Value::Null);
    Some(Received {
        path,
        content_type: header("content-type"),
        body,
    })
}

/// A complete chunked body decoded, or `None` while more is to come.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        if data.len() < size + 2 {
            return None;
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// The variables pointing heal's generic and Slack webhooks at two receivers.
pub fn webhook_variables(webhook: &Receiver, slack: &Receiver) -> Vec<String> {
    vec![
        format!("alert_webhook_url={}/hooks/generic", webhook.origin()),
        format!("alert_webhook_origin={}", webhook.origin()),
        format!(
            "alert_slack_webhook_url={}/services/T000/B000/XXXX",
            slack.origin()
        ),
        format!("alert_slack_webhook_origin={}", slack.origin()),
    ]
}
