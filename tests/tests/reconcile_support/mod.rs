//! What the reconcile tests share: a Zoho Books API stand-in (a real HTTP server on
//! 127.0.0.1, hyper) serving the OAuth token endpoint and the Books list and detail routes
//! with records built from `tests/fixtures/zoho-examples`, and the application pointed at
//! it through `zoho_accounts_url`, `zoho_api_url` and `zoho_custom_origin` (the
//! allow-list entry).
//!
//! The stand-in behaves as docs/zoho.md describes Zoho: `page`/`per_page` with
//! `page_context.has_more_page`, `last_modified_time` filtering on the modules that have it,
//! `sort_column=last_modified_time`, lists without line items, `{"code", "message"}`
//! answers, 401 with code 57 for a token it does not know or has expired, and 429 without
//! `Retry-After`. Faults are injected per test: a number of 429s, failures of one list page,
//! revoked tokens. Every request is logged with its arrival time, status and query.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_core::time::parse_zoho_timestamp;
use tds_tests::webhooks::{entity_id, example};
use tds_tests::{TestApp, TestAppOptions};
use tokio::net::TcpListener;

pub const TOKEN: &str = "reconcile-test-token";
/// How long a test waits for something that should happen promptly (the queue to drain).
pub const PATIENCE: Duration = Duration::from_secs(60);
pub const CLIENT_ID: &str = "1000.TESTCLIENT";
pub const CLIENT_SECRET: &str = "test-client-secret";
pub const REFRESH_TOKEN: &str = "1000.refresh.test";
pub const ORGANIZATION_ID: &str = "10234695";

/// One request the stand-in answered.
#[derive(Debug, Clone)]
pub struct Logged {
    pub at: Instant,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub status: u16,
}

impl Logged {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether this is a list request of `module`.
    pub fn lists(&self, module: Module) -> bool {
        self.method == "GET" && self.path == format!("/books/v3/{}", module.as_str())
    }

    /// Whether this is a detail request of `module`.
    pub fn reads(&self, module: Module) -> bool {
        self.method == "GET"
            && self
                .path
                .starts_with(&format!("/books/v3/{}/", module.as_str()))
    }

    pub fn is_api(&self) -> bool {
        self.path.starts_with("/books/v3/")
    }
}

#[derive(Default)]
struct State {
    /// Records by module, each the full document (lines included).
    records: BTreeMap<Module, Vec<Value>>,
    tokens: Vec<(String, Instant)>,
    token_lifetime_seconds: i64,
    issued: u32,
    log: Vec<Logged>,
    /// Answer the next n API requests with 429.
    rate_limit_next: u32,
    /// Fail (500) list requests of the module once it answered this many, this many times.
    fail_lists: Option<(Module, u32, u32)>,
    /// List requests answered per module.
    lists_answered: BTreeMap<Module, u32>,
}

/// The stand-in, served until dropped.
pub struct ZohoStandIn {
    pub port: u16,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ZohoStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ZohoStandIn {
    pub async fn start() -> ZohoStandIn {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            token_lifetime_seconds: 3600,
            ..State::default()
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(state.clone(), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        ZohoStandIn { port, state, task }
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The variables pointing the application at the stand-in.
    pub fn variables(&self) -> Vec<String> {
        vec![
            format!("stats_token={TOKEN}"),
            format!("zoho_client_id={CLIENT_ID}"),
            format!("zoho_client_secret={CLIENT_SECRET}"),
            format!("zoho_refresh_token={REFRESH_TOKEN}"),
            format!("zoho_organization_id={ORGANIZATION_ID}"),
            format!("zoho_accounts_url={}", self.origin()),
            format!("zoho_api_url={}/books/v3", self.origin()),
            format!("zoho_custom_origin={}", self.origin()),
        ]
    }

    /// Adds or replaces (same id) a record of `module`.
    pub fn put(&self, module: Module, record: Value) {
        let id = entity_id(module, &record);
        let mut state = self.state.lock().unwrap();
        let list = state.records.entry(module).or_default();
        list.retain(|r| entity_id(module, r) != id);
        list.push(record);
    }

    /// Removes a record (deleted in Zoho, no webhook sent).
    pub fn remove(&self, module: Module, id: &str) {
        let mut state = self.state.lock().unwrap();
        if let Some(list) = state.records.get_mut(&module) {
            list.retain(|r| entity_id(module, r) != id);
        }
    }

    pub fn record(&self, module: Module, id: &str) -> Value {
        let state = self.state.lock().unwrap();
        state.records[&module]
            .iter()
            .find(|r| entity_id(module, r) == id)
            .cloned()
            .expect("a record of the stand-in")
    }

    pub fn rate_limit_next(&self, n: u32) {
        self.state.lock().unwrap().rate_limit_next = n;
    }

    /// Once `module` has answered `after` list requests (from now on), its next `times` list
    /// requests fail with 500 — as if Zoho went down in the middle of a pull.
    pub fn fail_lists_after(&self, module: Module, after: u32, times: u32) {
        let mut state = self.state.lock().unwrap();
        state.lists_answered.insert(module, 0);
        state.fail_lists = Some((module, after, times));
    }

    /// Forgets every access token it issued (as when they expire at Zoho).
    pub fn revoke_tokens(&self) {
        self.state.lock().unwrap().tokens.clear();
    }

    /// Access tokens issued through the refresh grant.
    pub fn tokens_issued(&self) -> u32 {
        self.state.lock().unwrap().issued
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }
}

fn json_answer(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json;charset=UTF-8")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

async fn answer(
    state: Arc<Mutex<State>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let at = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut state = state.lock().unwrap();
    let (status, body) = route(&mut state, &method, &path, &query, authorization, &body);
    state.log.push(Logged {
        at,
        method,
        path,
        query,
        status,
    });
    Ok(json_answer(status, body))
}

fn route(
    state: &mut State,
    method: &str,
    path: &str,
    query: &[(String, String)],
    authorization: Option<String>,
    body: &[u8],
) -> (u16, Value) {
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if method == "POST" && path == "/oauth/v2/token" {
        let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
        let get = |k: &str| form.get(k).map(String::as_str);
        if get("grant_type") != Some("refresh_token")
            || get("client_id") != Some(CLIENT_ID)
            || get("client_secret") != Some(CLIENT_SECRET)
            || get("refresh_token") != Some(REFRESH_TOKEN)
        {
            return (200, json!({"error": "invalid_code"}));
        }
        state.issued += 1;
        let token = format!("1000.access.{}", state.issued);
        let lifetime = state.token_lifetime_seconds;
        state.tokens.push((
            token.clone(),
            Instant::now() + Duration::from_secs(lifetime.unsigned_abs()),
        ));
        return (
            200,
            json!({"access_token": token, "expires_in": lifetime, "api_domain": "https://www.zohoapis.com", "token_type": "Bearer"}),
        );
    }
    let Some(rest) = path.strip_prefix("/books/v3/") else {
        return (404, json!({"code": 5, "message": "Invalid URL Passed"}));
    };
    let presented = authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Zoho-oauthtoken "));
    let valid = presented.is_some_and(|t| {
        state
            .tokens
            .iter()
            .any(|(known, until)| known == t && *until > Instant::now())
    });
    if !valid {
        return (
            401,
            json!({"code": 57, "message": "You are not authorized to perform this operation"}),
        );
    }
    if state.rate_limit_next > 0 {
        state.rate_limit_next -= 1;
        return (
            429,
            json!({"code": 45, "message": "You have made too many requests continuously. Please try again after some time."}),
        );
    }
    if param("organization_id") != Some(ORGANIZATION_ID) {
        return (
            400,
            json!({"code": 6041, "message": "This user is not associated with the organization"}),
        );
    }
    let mut parts = rest.splitn(2, '/');
    let module_name = parts.next().unwrap_or_default();
    let Some(module) = Module::from_name(module_name) else {
        return (404, json!({"code": 5, "message": "Invalid URL Passed"}));
    };
    let records = state.records.get(&module).cloned().unwrap_or_default();
    match parts.next() {
        Some(id) => match records.iter().find(|r| entity_id(module, r) == id) {
            Some(record) => (
                200,
                json!({"code": 0, "message": "success", module.spec().wrapper_keys[0]: record}),
            ),
            None => (
                404,
                json!({"code": 1002, "message": format!("{} does not exist.", module.spec().id_field)}),
            ),
        },
        None => {
            let page: usize = param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let answered = state.lists_answered.get(&module).copied().unwrap_or(0);
            if let Some((failing, after, times)) = state.fail_lists {
                if failing == module && answered == after && times > 0 {
                    state.fail_lists = Some((failing, after, times - 1));
                    return (500, json!({"code": 5, "message": "Internal error"}));
                }
            }
            state.lists_answered.insert(module, answered + 1);
            list(module, records, page, param)
        }
    }
}

/// Modules whose list takes the `last_modified_time` filter (docs/zoho.md, "REST API").
fn filters(module: Module) -> bool {
    matches!(
        module,
        Module::Invoices
            | Module::Bills
            | Module::SalesOrders
            | Module::PurchaseOrders
            | Module::VendorPayments
    )
}

fn list<'a>(
    module: Module,
    mut records: Vec<Value>,
    page: usize,
    param: impl Fn(&str) -> Option<&'a str>,
) -> (u16, Value) {
    let per_page: usize = param("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(200)
        .clamp(1, 200);
    let modified = |r: &Value| {
        r["last_modified_time"]
            .as_str()
            .and_then(parse_zoho_timestamp)
    };
    if filters(module) {
        if let Some(since) = param("last_modified_time").and_then(parse_zoho_timestamp) {
            records.retain(|r| modified(r).is_some_and(|m| m >= since));
        }
    }
    if param("sort_column") == Some("last_modified_time") {
        records.sort_by_key(|r| (modified(r), entity_id(module, r)));
        if param("sort_order") == Some("D") {
            records.reverse();
        }
    }
    let start = (page.max(1) - 1) * per_page;
    let has_more = records.len() > start + per_page;
    let shown: Vec<Value> = records
        .into_iter()
        .skip(start)
        .take(per_page)
        .map(|mut r| {
            if let Some(object) = r.as_object_mut() {
                for key in [
                    "line_items",
                    "invoices",
                    "bills",
                    "pricebook_items",
                    "contact_persons",
                ] {
                    object.remove(key);
                }
            }
            r
        })
        .collect();
    (
        200,
        json!({"code": 0, "message": "success", module.as_str(): shown,
               "page_context": {"page": page, "per_page": per_page, "has_more_page": has_more}}),
    )
}

/// Zoho's example record of `module` with id `id`, modified at `modified`.
pub fn record(module: Module, id: &str, modified: &str) -> Value {
    let mut doc = example(module);
    doc[module.spec().id_field] = json!(id);
    doc["last_modified_time"] = json!(modified);
    doc
}

/// An item with a name, SKU and rate.
pub fn item(id: &str, sku: &str, rate: &str, modified: &str) -> Value {
    let mut doc = record(Module::Items, id, modified);
    doc["sku"] = json!(sku);
    doc["rate"] = serde_json::from_str(rate).unwrap();
    doc["name"] = json!(format!("Item {id}"));
    doc
}

/// A Zoho timestamp `minutes` (less than 28 days' worth) after 2026-01-01T00:00:00+0000.
pub fn at(minutes: u32) -> String {
    format!(
        "2026-01-{:02}T{:02}:{:02}:00+0000",
        1 + minutes / 1440,
        (minutes / 60) % 24,
        minutes % 60
    )
}

/// The application pointed at `zoho`, with `config` written to `tds_config` first.
pub async fn app(zoho: &ZohoStandIn, config: &[(&str, &str)]) -> TestApp {
    let app = TestApp::start_with(TestAppOptions {
        variables: zoho.variables(),
        ..TestAppOptions::default()
    })
    .await;
    set_config(&app, config).await;
    app
}

pub async fn set_config(app: &TestApp, config: &[(&str, &str)]) {
    let client = app.db.client().await;
    for (key, value) in config {
        tds_tests::set_config(&client, key, value).await;
    }
}

/// `POST /internal/reconcile` (with `query`, e.g. `?fix=true`): status and body.
pub async fn reconcile(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/internal/reconcile{query}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("reconcile answers");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON answer");
    (status, body)
}

/// Runs reconcile and expects a report with `status`.
pub async fn reconcile_ok(app: &TestApp, query: &str) -> Value {
    let (status, body) = reconcile(app, query).await;
    assert_eq!(status, 200, "{body:#}");
    body["report"].clone()
}

/// Ids of `table`'s live rows, sorted.
pub async fn live_ids(app: &TestApp, table: &str, key: &str) -> Vec<String> {
    let client = app.db.client().await;
    client
        .query(
            &format!("SELECT {key} FROM {table} WHERE deleted_at IS NULL ORDER BY {key}"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Ids in a report list as strings.
pub fn ids(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
