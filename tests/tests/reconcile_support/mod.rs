//! What the reconcile tests share: a Zoho Books API stand-in (a real HTTP server on
//! 127.0.0.1, hyper) serving Zoho Accounts' token endpoint and the Books list and detail
//! routes with records built from `tests/fixtures/zoho-examples`, and the application
//! pointed at it through `zoho_accounts_url`, `zoho_api_url` and `zoho_custom_origin` (the
//! allow-list entry).
//!
//! The stand-in does what Zoho **documents**, not what TDS expects; where Zoho's documents
//! say nothing it makes the choice stated below ("Not documented"). The per-module facts
//! (list key, row fields, `sort_column` values, `sort_order`, the `last_modified_time`
//! filter, modification times in rows and details, detail wrapper key) are one table,
//! [`documented::DOCUMENTED`], with its sources: Zoho's Books OpenAPI document (the
//! "Download Zoho Books OpenAPI Document" link of https://zoho.com/books/api), read
//! in the public copies `fordez/zoho-books-mcp-server-openapi` (`mcp_server/openapi-all/`,
//! `openapi-all/`) and `brunyeestudio/brunyee-studio-runrate` (`openapi-all/`), and Zoho's
//! Java SDK `zoho/books-java-wrappers` (`source/com/zoho/books/parser/`).
//!
//! # Lists: `GET /books/v3/<module>`
//!
//! - Query parameters honoured: `organization_id` (required: another answers 400, code
//!   6041), `page` (default 1), `per_page` (default 200, at most 200: "Maximum value is
//!   200", invoices), the `last_modified_time` filter where documented (records modified at
//!   or after it: OAS-old bills.yml "to find bills modified at or after a specific time"),
//!   `sort_column` with a value documented for the module, and `sort_order` (`A`/`D`) for
//!   bills only. Any other parameter, or an undocumented value (`sort_column=
//!   last_modified_time` on invoices, items, customer payments or vendor payments, say), is
//!   ignored silently, as by an API that does not know it. Not documented, chosen here: a
//!   `per_page` over 200 is taken as 200 (OAS-new gives several modules a default of 10;
//!   the stand-in keeps OAS-old's 200 everywhere), the filter includes records modified at
//!   the instant itself (OAS-new says "modified after"), and a documented `sort_column`
//!   without an applicable `sort_order` sorts ascending (`A`, as in OAS-new items.yml's
//!   `page_context` example).
//! - Order without a documented sort: newest created first. Each module numbers its records
//!   as they are created ([`ZohoStandIn::put`] of a new id takes the next number, of a known
//!   id keeps it), and `created_time` sorts by that number; so records created during a
//!   paged listing shift the later pages, as in a real API. Ties of any sort keep that order.
//! - Rows hold only the documented row properties the stored record has: no line items, no
//!   arrays the rows do not document, and for items and customer payments no
//!   `last_modified_time`, `created_time` or `updated_time`.
//! - The array's key as documented; for customer payments `customer_payments` (the OAS key)
//!   unless [`ZohoStandIn::use_list_key`] names another (`customerpayments`, the Java SDK's).
//! - `page_context`: `{page, per_page, has_more_page, sort_column, sort_order}`, the sort as
//!   applied or the defaults `created_time`/`D` (the `page_context` schemas of OAS-old
//!   invoices.yml, contacts.yml and bills.yml; there is no cursor).
//!
//! # Details: `GET /books/v3/<module>/<id>`
//!
//! The whole stored record (line items included) under the documented wrapper key with
//! `{"code": 0, "message": "success"}`; items and customer payments without
//! `last_modified_time`, `created_time` and `updated_time` (not in `get-an-item-response`
//! nor in `retrieve-a-payment-response`). An unknown id: `{"code": 1002, "message":
//! "<Thing> does not exist."}` (https://www.zoho.com/books/api/v3/errors/: "Invoice does not
//! exist."), with HTTP 404 (not documented: the page does not say which status goes with
//! code 1002).
//!
//! # Limits
//!
//! - Per day, by plan (https://www.zoho.com/ke/books/kb/automation/per-day-api-limit.md:
//!   "Free - 1000 API calls/day, Standard - 2000, …"): the API requests answered since the
//!   last [`ZohoStandIn::new_day`]; past the limit, 429 with code 45 and "You have reached
//!   the maximum number of API calls allowed for the day." A refused request does not count.
//! - Per minute: 100 requests a minute per organisation (Zoho's API introduction
//!   https://zoho.com/books/api, as quoted by
//!   https://docs.databricks.com/aws/en/ingestion/lakeflow-connect/zoho-books-troubleshoot):
//!   a sliding 60-second window over the API requests the limits let through; over it, 429
//!   with code 45 and "You have made too many requests continuously. Please try again after
//!   some time."
//! - HTTP 429 is "Rate Limit Exceeded (API usage limit exceeded)" on the errors page. Not
//!   documented: the body's code 45 and its messages (a third-party guide's), `Retry-After`
//!   (never sent), and whether refused requests count (here they do not).
//! - [`ZohoStandIn::start`] keeps no limits; [`ZohoStandIn::start_with`] takes [`Limits`].
//!   Every API request (under `/books/v3/`) passes the limits first, before its token is
//!   checked, so 401s count toward them.
//!
//! # OAuth: `POST /oauth/v2/token`
//!
//! - `grant_type=refresh_token`, `client_id`, `client_secret`, `refresh_token`, documented
//!   as query parameters (https://zoho.com/accounts/protocol/oauth/web-apps/access-token-expiry.html);
//!   also read from an `application/x-www-form-urlencoded` body. Answer: `access_token`,
//!   `expires_in` (3600: "valid for 1 hour"), `api_domain`, `token_type`.
//! - "A total of 10 access token requests can be made within 10 minutes"
//!   (https://www.zoho.com/accounts/protocol/oauth/token-limits.html), per refresh token,
//!   failed ones included: the 11th within ten minutes gets `{"error_description": "Token
//!   creation throttle limit reached. Please reuse the valid tokens you currently have.",
//!   "error": "Access Denied"}` (same page), with HTTP 400 (not documented). A throttled
//!   request does not count.
//! - Not documented: a request with a body but no valid `Content-Length` (sent chunked, say)
//!   is answered 400 `{"error": "invalid_request"}`; wrong parameters 200 `{"error":
//!   "invalid_code"}`; [`ZohoStandIn::refuse_refreshes`] 400 `{"error": "invalid_client"}`.
//! - An API request without a token it issued, or with an expired one: 401, code 57 (not
//!   documented by Zoho; a third-party guide's code).
//!
//! # Faults and the log
//!
//! Faults are injected per test: a number of 429s ([`ZohoStandIn::rate_limit_next`]),
//! failures of list requests ([`ZohoStandIn::fail_lists_after`]), revoked tokens, refused
//! refreshes, a record deleted between its listing and its detail request
//! ([`ZohoStandIn::delete_after_listing`]). Every request (API and token) is logged with its
//! arrival time, method, path, query, status and its `Content-Length`, `Transfer-Encoding`
//! and `Content-Type` headers.

#![allow(dead_code)]

pub mod documented;

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
use serde_json::{json, Map, Value};
use tds_core::entity::Module;
use tds_core::time::parse_zoho_timestamp;
use tds_tests::webhooks::{entity_id, example};
use tds_tests::{TestApp, TestAppOptions};
use tokio::net::TcpListener;

use documented::{facts_of, Documented};

pub const TOKEN: &str = "reconcile-test-token";
/// How long a test waits for something that should happen promptly (the queue to drain).
pub const PATIENCE: Duration = Duration::from_secs(60);
pub const CLIENT_ID: &str = "1000.TESTCLIENT";
pub const CLIENT_SECRET: &str = "test-client-secret";
pub const REFRESH_TOKEN: &str = "1000.refresh.test";
pub const ORGANIZATION_ID: &str = "10234695";

/// The most records a list page holds, and the default.
pub const MAX_PER_PAGE: usize = 200;
/// The per-minute limit's window.
pub const MINUTE: Duration = Duration::from_secs(60);
/// Token requests allowed per refresh token within [`TOKEN_WINDOW`].
pub const TOKEN_REQUESTS_PER_WINDOW: usize = 10;
pub const TOKEN_WINDOW: Duration = Duration::from_secs(600);
pub const MINUTE_LIMIT_MESSAGE: &str =
    "You have made too many requests continuously. Please try again after some time.";
pub const DAY_LIMIT_MESSAGE: &str =
    "You have reached the maximum number of API calls allowed for the day.";
pub const THROTTLE_DESCRIPTION: &str =
    "Token creation throttle limit reached. Please reuse the valid tokens you currently have.";
/// The order an explicit `sort_column` takes when no `sort_order` applies (not documented;
/// OAS-new items.yml's `page_context` example shows `"A"`).
pub const EXPLICIT_SORT_ORDER: &str = "A";
/// Timestamps that details and rows documented without them do not carry.
const TIMESTAMP_FIELDS: [&str; 3] = ["last_modified_time", "created_time", "updated_time"];

/// The documented API limits the stand-in enforces; `None` keeps none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// API requests in any 60 seconds (Zoho: 100 per organisation).
    pub per_minute: Option<u32>,
    /// API requests since the last [`ZohoStandIn::new_day`] (Zoho: 1000 to 10000 by plan).
    pub per_day: Option<u32>,
}

/// One request the stand-in answered.
#[derive(Debug, Clone)]
pub struct Logged {
    pub at: Instant,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub status: u16,
    /// The request's `Content-Length` header.
    pub content_length: Option<String>,
    /// The request's `Transfer-Encoding` header.
    pub transfer_encoding: Option<String>,
    /// The request's `Content-Type` header.
    pub content_type: Option<String>,
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

    /// Whether this is a request to the token endpoint.
    pub fn is_token(&self) -> bool {
        self.path == "/oauth/v2/token"
    }
}

/// A stored record and its creation number within its module.
#[derive(Debug, Clone)]
struct Stored {
    created: u64,
    doc: Value,
}

#[derive(Default)]
struct State {
    /// Records by module, each the full document (lines included).
    records: BTreeMap<Module, Vec<Stored>>,
    /// The last creation number given per module.
    created: BTreeMap<Module, u64>,
    /// List keys replacing the documented one.
    list_keys: BTreeMap<Module, String>,
    /// Records to delete once a list page showing them has been answered.
    delete_after_listing: Vec<(Module, String)>,
    tokens: Vec<(String, Instant)>,
    token_lifetime_seconds: i64,
    issued: u32,
    /// Requests to the token endpoint, whatever their outcome.
    token_requests: u32,
    /// Token requests counted toward the throttle: refresh token presented, arrival.
    token_window: Vec<(String, Instant)>,
    refuse_refreshes: bool,
    limits: Limits,
    /// API requests counted toward the limits since the last `new_day`.
    today: u32,
    /// Arrivals of API requests counted toward the per-minute limit (the last minute's).
    minute: Vec<Instant>,
    log: Vec<Logged>,
    /// Answer the next n API requests with 429.
    rate_limit_next: u32,
    /// Fail (500) list requests of the module once it answered this many, this many times.
    fail_lists: Option<(Module, u32, u32)>,
    /// List requests answered per module.
    lists_answered: BTreeMap<Module, u32>,
}

impl State {
    fn remove(&mut self, module: Module, id: &str) {
        if let Some(list) = self.records.get_mut(&module) {
            list.retain(|s| entity_id(module, &s.doc) != id);
        }
    }
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
    /// A stand-in without API limits.
    pub async fn start() -> ZohoStandIn {
        ZohoStandIn::start_with(Limits::default()).await
    }

    /// A stand-in enforcing `limits`.
    pub async fn start_with(limits: Limits) -> ZohoStandIn {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            token_lifetime_seconds: 3600,
            limits,
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

    /// Adds (created now: the newest) or replaces (same id, creation kept) a record of
    /// `module`.
    pub fn put(&self, module: Module, record: Value) {
        let id = entity_id(module, &record);
        let mut guard = self.state.lock().unwrap();
        let state = &mut *guard;
        let list = state.records.entry(module).or_default();
        match list.iter().position(|s| entity_id(module, &s.doc) == id) {
            Some(i) => list[i].doc = record,
            None => {
                let counter = state.created.entry(module).or_insert(0);
                *counter += 1;
                list.push(Stored {
                    created: *counter,
                    doc: record,
                });
            }
        }
    }

    /// Removes a record (deleted in Zoho, no webhook sent).
    pub fn remove(&self, module: Module, id: &str) {
        self.state.lock().unwrap().remove(module, id);
    }

    /// The stored record (whole, as `put`), panicking if there is none.
    pub fn record(&self, module: Module, id: &str) -> Value {
        let state = self.state.lock().unwrap();
        state
            .records
            .get(&module)
            .and_then(|list| list.iter().find(|s| entity_id(module, &s.doc) == id))
            .map(|s| s.doc.clone())
            .expect("a record of the stand-in")
    }

    /// Answers list requests of `module` under `key` instead of the documented key (e.g.
    /// `customerpayments` for customer payments, the Java SDK's key).
    pub fn use_list_key(&self, module: Module, key: &str) {
        self.state
            .lock()
            .unwrap()
            .list_keys
            .insert(module, key.to_string());
    }

    /// Deletes the record right after the first list page showing it has been answered (as
    /// if deleted in Zoho between the listing and the detail request): its detail answers 404.
    pub fn delete_after_listing(&self, module: Module, id: &str) {
        self.state
            .lock()
            .unwrap()
            .delete_after_listing
            .push((module, id.to_string()));
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

    /// While set, token requests are answered 400 `{"error": "invalid_client"}`.
    pub fn refuse_refreshes(&self, refuse: bool) {
        self.state.lock().unwrap().refuse_refreshes = refuse;
    }

    /// Access tokens issued through the refresh grant.
    pub fn tokens_issued(&self) -> u32 {
        self.state.lock().unwrap().issued
    }

    /// Requests to the token endpoint, whatever their outcome.
    /// Ten minutes pass for the token throttle: the requests counted so far no longer count.
    pub fn pass_token_window(&self) {
        self.state.lock().unwrap().token_window.clear();
    }

    pub fn token_requests(&self) -> u32 {
        self.state.lock().unwrap().token_requests
    }

    /// Starts a new day: the day's count of API requests goes back to 0.
    pub fn new_day(&self) {
        self.state.lock().unwrap().today = 0;
    }

    /// API requests answered since the last [`new_day`](Self::new_day) (or the start), any
    /// status but the limits' refusals (documented limits and [`rate_limit_next`](Self::rate_limit_next)).
    pub fn requests_today(&self) -> u32 {
        self.state.lock().unwrap().today
    }

    /// The most API requests (refused ones included) that arrived within any 60 seconds, by
    /// the log (since it was last cleared).
    pub fn max_requests_in_any_minute(&self) -> u32 {
        let state = self.state.lock().unwrap();
        let mut arrivals: Vec<Instant> = state
            .log
            .iter()
            .filter(|l| l.is_api())
            .map(|l| l.at)
            .collect();
        arrivals.sort();
        let mut most = 0usize;
        let mut first = 0usize;
        for last in 0..arrivals.len() {
            while arrivals[last].saturating_duration_since(arrivals[first]) >= MINUTE {
                first += 1;
            }
            most = most.max(last - first + 1);
        }
        most as u32
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }
}

/// What the stand-in reads of a request.
struct Received {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    authorization: Option<String>,
    content_length: Option<String>,
    transfer_encoding: Option<String>,
    content_type: Option<String>,
    body: Bytes,
}

fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
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
    let (authorization, content_length, transfer_encoding, content_type) = {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        (
            header("authorization"),
            header("content-length"),
            header("transfer-encoding"),
            header("content-type"),
        )
    };
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let received = Received {
        method,
        path,
        query,
        authorization,
        content_length,
        transfer_encoding,
        content_type,
        body,
    };
    let mut guard = state.lock().unwrap();
    let state = &mut *guard;
    let (status, answered) = route(state, at, &received);
    state.log.push(Logged {
        at,
        method: received.method,
        path: received.path,
        query: received.query,
        status,
        content_length: received.content_length,
        transfer_encoding: received.transfer_encoding,
        content_type: received.content_type,
    });
    Ok(json_answer(status, answered))
}

fn route(state: &mut State, at: Instant, r: &Received) -> (u16, Value) {
    if r.path == "/oauth/v2/token" {
        return token(state, at, r);
    }
    if r.path.starts_with("/books/v3/") {
        return api(state, at, r);
    }
    (404, json!({"code": 5, "message": "Invalid URL Passed"}))
}

/// Zoho Accounts' token endpoint, refresh grant.
fn token(state: &mut State, at: Instant, r: &Received) -> (u16, Value) {
    state.token_requests += 1;
    if r.method != "POST" {
        return (405, json!({"error": "invalid_request"}));
    }
    let has_body = !r.body.is_empty() || r.transfer_encoding.is_some();
    let sized = r
        .content_length
        .as_deref()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|n| n == r.body.len());
    if has_body && !sized {
        return (400, json!({"error": "invalid_request"}));
    }
    let mut params: BTreeMap<String, String> = r.query.iter().cloned().collect();
    let form = r.content_type.as_deref().is_some_and(|t| {
        t.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    if form {
        params.extend(form_urlencoded::parse(&r.body).into_owned());
    }
    let get = |k: &str| params.get(k).map(String::as_str);

    let refresh_token = get("refresh_token").unwrap_or_default().to_string();
    state
        .token_window
        .retain(|(_, t)| at.saturating_duration_since(*t) < TOKEN_WINDOW);
    let recent = state
        .token_window
        .iter()
        .filter(|(presented, _)| *presented == refresh_token)
        .count();
    if recent >= TOKEN_REQUESTS_PER_WINDOW {
        return (
            400,
            json!({"error_description": THROTTLE_DESCRIPTION, "error": "Access Denied"}),
        );
    }
    state.token_window.push((refresh_token, at));

    if state.refuse_refreshes {
        return (400, json!({"error": "invalid_client"}));
    }
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
    (
        200,
        json!({"access_token": token, "expires_in": lifetime, "api_domain": "https://www.zohoapis.com", "token_type": "Bearer"}),
    )
}

/// The refusal of a request over a documented limit, or `None` (the request is counted).
fn over_limit(state: &mut State, at: Instant) -> Option<(u16, Value)> {
    if let Some(per_day) = state.limits.per_day {
        if state.today >= per_day {
            return Some((429, json!({"code": 45, "message": DAY_LIMIT_MESSAGE})));
        }
    }
    if let Some(per_minute) = state.limits.per_minute {
        state
            .minute
            .retain(|t| at.saturating_duration_since(*t) < MINUTE);
        if state.minute.len() >= per_minute as usize {
            return Some((429, json!({"code": 45, "message": MINUTE_LIMIT_MESSAGE})));
        }
        state.minute.push(at);
    }
    None
}

/// The Books API.
fn api(state: &mut State, at: Instant, r: &Received) -> (u16, Value) {
    if state.rate_limit_next > 0 {
        state.rate_limit_next -= 1;
        return (429, json!({"code": 45, "message": MINUTE_LIMIT_MESSAGE}));
    }
    if let Some(refusal) = over_limit(state, at) {
        return refusal;
    }
    state.today += 1;

    let presented = r
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Zoho-oauthtoken "));
    let now = Instant::now();
    let valid = presented.is_some_and(|t| {
        state
            .tokens
            .iter()
            .any(|(known, until)| known == t && *until > now)
    });
    if !valid {
        return (
            401,
            json!({"code": 57, "message": "You are not authorized to perform this operation"}),
        );
    }
    if param(&r.query, "organization_id") != Some(ORGANIZATION_ID) {
        return (
            400,
            json!({"code": 6041, "message": "This user is not associated with the organization"}),
        );
    }
    let rest = r.path.strip_prefix("/books/v3/").unwrap_or_default();
    let (module_name, id) = match rest.split_once('/') {
        Some((name, id)) => (name, Some(id)),
        None => (rest, None),
    };
    let found = Module::from_name(module_name).and_then(|m| facts_of(m).map(|f| (m, f)));
    let Some((module, facts)) = found else {
        return (404, json!({"code": 5, "message": "Invalid URL Passed"}));
    };
    if id.is_some_and(|id| id.is_empty() || id.contains('/')) {
        return (404, json!({"code": 5, "message": "Invalid URL Passed"}));
    }
    if r.method != "GET" {
        return (
            405,
            json!({"code": 5, "message": "Method you have called is not supported for the invoked API"}),
        );
    }
    match id {
        Some(id) => detail(state, module, facts, id),
        None => {
            let answered = state.lists_answered.get(&module).copied().unwrap_or(0);
            if let Some((failing, after, times)) = state.fail_lists {
                if failing == module && answered == after && times > 0 {
                    state.fail_lists = Some((failing, after, times - 1));
                    return (500, json!({"code": 5, "message": "Internal error"}));
                }
            }
            state.lists_answered.insert(module, answered + 1);
            list(state, module, facts, &r.query)
        }
    }
}

/// `GET /books/v3/<module>/<id>`.
fn detail(state: &State, module: Module, facts: &Documented, id: &str) -> (u16, Value) {
    let stored = state
        .records
        .get(&module)
        .and_then(|list| list.iter().find(|s| entity_id(module, &s.doc) == id));
    let Some(stored) = stored else {
        return (
            404,
            json!({"code": 1002, "message": format!("{} does not exist.", facts.thing)}),
        );
    };
    let mut doc = stored.doc.clone();
    if !facts.detail_modified {
        if let Some(object) = doc.as_object_mut() {
            for field in TIMESTAMP_FIELDS {
                object.remove(field);
            }
        }
    }
    let mut body = json!({"code": 0, "message": "success"});
    body[facts.detail_key] = doc;
    (200, body)
}

/// A value to sort rows by.
#[derive(PartialEq, PartialOrd)]
enum SortKey {
    Missing,
    Number(f64),
    Text(String),
}

fn sort_key(stored: &Stored, column: &str) -> SortKey {
    if column == "created_time" {
        return SortKey::Number(stored.created as f64);
    }
    match &stored.doc[column] {
        Value::Null => SortKey::Missing,
        Value::Number(n) => n.as_f64().map_or(SortKey::Missing, SortKey::Number),
        Value::String(s) => {
            let time = if column.ends_with("_time") {
                parse_zoho_timestamp(s)
            } else {
                None
            };
            match time {
                Some(t) => SortKey::Number(t.timestamp_millis() as f64),
                None => SortKey::Text(s.to_lowercase()),
            }
        }
        other => SortKey::Text(other.to_string()),
    }
}

/// The documented fields of a list row that `doc` has.
fn row(facts: &Documented, doc: &Value) -> Value {
    let mut fields = Map::new();
    for field in facts.row_fields {
        if !facts.rows_modified && TIMESTAMP_FIELDS.contains(field) {
            continue;
        }
        if let Some(value) = doc.get(*field) {
            fields.insert(field.to_string(), value.clone());
        }
    }
    Value::Object(fields)
}

/// `GET /books/v3/<module>`.
fn list(
    state: &mut State,
    module: Module,
    facts: &Documented,
    query: &[(String, String)],
) -> (u16, Value) {
    let page: usize = param(query, "page")
        .and_then(|p| p.trim().parse::<usize>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let per_page: usize = param(query, "per_page")
        .and_then(|p| p.trim().parse::<usize>().ok())
        .filter(|n| *n >= 1)
        .map(|n| n.min(MAX_PER_PAGE))
        .unwrap_or(MAX_PER_PAGE);

    let mut records: Vec<Stored> = state.records.get(&module).cloned().unwrap_or_default();
    if facts.modified_filter {
        if let Some(since) = param(query, "last_modified_time").and_then(parse_zoho_timestamp) {
            records.retain(|s| {
                s.doc["last_modified_time"]
                    .as_str()
                    .and_then(parse_zoho_timestamp)
                    .is_some_and(|modified| modified >= since)
            });
        }
    }

    let column = param(query, "sort_column").filter(|c| facts.sort_columns.contains(c));
    let order = if facts.sort_order {
        param(query, "sort_order").filter(|o| *o == "A" || *o == "D")
    } else {
        None
    };
    let (sort_column, sort_order) = match column {
        Some(column) => (column, order.unwrap_or(EXPLICIT_SORT_ORDER)),
        None => ("created_time", order.unwrap_or("D")),
    };
    // Zoho's own order first (newest created first); the sort keeps it among ties.
    records.sort_by_key(|r| std::cmp::Reverse(r.created));
    records.sort_by(|a, b| {
        let ascending = sort_key(a, sort_column)
            .partial_cmp(&sort_key(b, sort_column))
            .unwrap_or(std::cmp::Ordering::Equal);
        if sort_order == "D" {
            ascending.reverse()
        } else {
            ascending
        }
    });

    let start = (page - 1).saturating_mul(per_page);
    let has_more = records.len() > start.saturating_add(per_page);
    let shown: Vec<&Stored> = records.iter().skip(start).take(per_page).collect();
    let rows: Vec<Value> = shown.iter().map(|s| row(facts, &s.doc)).collect();
    let shown_ids: Vec<String> = shown.iter().map(|s| entity_id(module, &s.doc)).collect();

    // Records deleted in Zoho right after this page was answered.
    let doomed: Vec<String> = state
        .delete_after_listing
        .iter()
        .filter(|(m, id)| *m == module && shown_ids.contains(id))
        .map(|(_, id)| id.clone())
        .collect();
    state
        .delete_after_listing
        .retain(|(m, id)| !(*m == module && doomed.contains(id)));
    for id in &doomed {
        state.remove(module, id);
    }

    let key = state
        .list_keys
        .get(&module)
        .cloned()
        .unwrap_or_else(|| facts.list_key.to_string());
    let mut body = json!({
        "code": 0,
        "message": "success",
        "page_context": {
            "page": page,
            "per_page": per_page,
            "has_more_page": has_more,
            "sort_column": sort_column,
            "sort_order": sort_order,
        },
    });
    body[key.as_str()] = Value::Array(rows);
    (200, body)
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

/// `GET /api/reconcile/progress`: the pull's progress.
pub async fn progress(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/api/reconcile/progress"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("the progress route answers");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("a JSON answer")
}

/// The next UTC day, for the application and the stand-in: today's request count becomes
/// yesterday's (older days are dropped), and the stand-in's day count starts again.
pub async fn next_day(app: &TestApp, zoho: &ZohoStandIn) {
    let client = app.db.client().await;
    client
        .batch_execute(
            "DELETE FROM tds_zoho_request_days WHERE day < (now() AT TIME ZONE 'UTC')::date;
             UPDATE tds_zoho_request_days SET day = day - 1;",
        )
        .await
        .unwrap();
    zoho.new_day();
}

/// The ids of `module` the log shows read by id, in order.
pub fn read_ids(log: &[Logged], module: Module) -> Vec<String> {
    log.iter()
        .filter(|l| l.reads(module))
        .map(|l| l.path.rsplit('/').next().unwrap_or_default().to_string())
        .collect()
}
