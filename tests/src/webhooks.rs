//! Sending webhooks the way Zoho does, and reading what intake stored.
//!
//! Zoho's documented example records (`tests/fixtures/zoho-examples/`, copied from
//! `shared/zoho-examples/`) stand in for real deliveries; [`example`] returns one per module.

use serde_json::{json, Value};
use tds_core::entity::Module;

use crate::TestApp;

/// The shared key the intake tests configure.
pub const KEY: &str = "intake-test-key-0123456789";

/// Zoho's example record of `module`, bare (no wrapper key): the file named after the
/// module in the singular (`salesorders` → `salesorder.json`).
pub fn example(module: Module) -> Value {
    let name = module.as_str();
    let file = format!("{}.json", name.strip_suffix('s').unwrap_or(name));
    let path = crate::repo_root()
        .join("tests/fixtures/zoho-examples")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("Zoho's example of {module} ({}): {e}", path.display()));
    serde_json::from_str(&text).expect("a Zoho example is JSON")
}

/// The example as Zoho's default payload: wrapped in the module's first wrapper key.
pub fn wrapped(module: Module, record: Value) -> Value {
    json!({ module.spec().wrapper_keys[0]: record })
}

/// The id field's value of `record`, as text.
pub fn entity_id(module: Module, record: &Value) -> String {
    match &record[module.spec().id_field] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An HTTP answer: status, `x-request-id` header and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub request_id: Option<String>,
    pub body: Value,
}

/// One request to build and send.
pub struct Delivery<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Vec<u8>,
}

impl<'a> Delivery<'a> {
    /// A POST of `body` as JSON to `path`, authenticated with [`KEY`].
    pub fn json(path: &'a str, body: &Value) -> Self {
        Self {
            method: "POST",
            path,
            headers: vec![
                ("content-type", "application/json".into()),
                ("x-webhook-key", KEY.into()),
            ],
            body: body.to_string().into_bytes(),
        }
    }

    /// A POST of form pairs to `path`, authenticated with [`KEY`].
    pub fn form(path: &'a str, pairs: &[(&str, &str)]) -> Self {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        Self {
            method: "POST",
            path,
            headers: vec![
                ("content-type", "application/x-www-form-urlencoded".into()),
                ("x-webhook-key", KEY.into()),
            ],
            body: body.into_bytes(),
        }
    }

    pub fn method(mut self, method: &'a str) -> Self {
        self.method = method;
        self
    }

    /// Sets a header, replacing one of the same name.
    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name, value.into()));
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    pub async fn send(self, app: &TestApp) -> Answer {
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("a method");
        let mut request = app
            .client
            .request(method, app.url(self.path))
            .body(self.body);
        for (name, value) in self.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("intake answers");
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("status {status}: the body is not JSON ({e}): {text:?}"));
        Answer {
            status,
            request_id,
            body,
        }
    }
}

/// The items route intake serves.
pub const ITEMS_ROUTE: &str = "/webhooks/zoho/items";

/// A minimal items webhook body (Zoho's default payload, wrapped in `item`): an active
/// item `id` called `name` at `rate`, last modified at `modified` (Zoho's
/// `2026-03-01T10:00:00+0000` form).
pub fn item(id: &str, name: &str, rate: Value, modified: &str) -> Value {
    json!({"item": {"item_id": id, "name": name, "rate": rate, "status": "active", "last_modified_time": modified}})
}

/// Posts `body` as JSON to the items route with `key` in `X-Webhook-Key` (and
/// `request_id` in `X-Request-Id` when given); intake's status and JSON answer, whatever
/// they are.
pub async fn send_item(
    app: &TestApp,
    key: &str,
    body: &Value,
    request_id: Option<&str>,
) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url(ITEMS_ROUTE))
        .header("X-Webhook-Key", key)
        .json(body);
    if let Some(request_id) = request_id {
        request = request.header("X-Request-Id", request_id);
    }
    let response = request.send().await.expect("intake answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("intake answers JSON"))
}

/// Like [`send_item`], but expects the event accepted and queued (202, `"queued": true`);
/// intake's answer.
pub async fn post_item(app: &TestApp, key: &str, body: &Value, request_id: Option<&str>) -> Value {
    let (status, answer) = send_item(app, key, body, request_id).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["queued"], json!(true), "{answer}");
    answer
}

/// Posts Zoho's documented example of `module` under entity id `id`, wrapped as Zoho sends
/// it, to the module's route with `key`; expects it accepted (202).
pub async fn post_example(app: &TestApp, key: &str, module: Module, id: &str) {
    let mut record = example(module);
    record[module.spec().id_field] = json!(id);
    let response = app
        .client
        .post(app.url(&format!("/webhooks/zoho/{}", module.spec().name)))
        .header("X-Webhook-Key", key)
        .json(&wrapped(module, record))
        .send()
        .await
        .expect("intake answers");
    let status = response.status().as_u16();
    assert_eq!(status, 202, "{module:?} {id}: {:?}", response.text().await);
}

/// Rows in `table`.
pub async fn count(app: &TestApp, table: &str) -> i64 {
    let client = app.db.client().await;
    client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .expect("count")
        .get(0)
}

/// The intake counts as `(outcome, module, reason, count)`, sorted: the per-minute
/// counters plus the appended outcomes heal has not folded into them yet.
pub async fn intake_counters(app: &TestApp) -> Vec<(String, String, String, i64)> {
    let client = app.db.client().await;
    client
        .query(
            "SELECT outcome, module, reason, sum(count)::bigint FROM ( \
                 SELECT outcome, module, reason, count FROM tds_intake_counters \
                 UNION ALL SELECT outcome, module, reason, 1 FROM tds_intake_outcomes) c \
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            &[],
        )
        .await
        .expect("counters")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}
