//! Driving the probe component (`tests/guests/probe`, `tests/fixtures/probe.toml`) from
//! the host's integration tests: loading it, calling its routes, building its PostgreSQL
//! steps and reading its answers.

use serde_json::{json, Value};

use crate::test_app::{TestApp, TestAppOptions};

/// The probe's manifest, relative to the repository root.
pub const PROBE_MANIFEST: &str = "tests/fixtures/probe.toml";

/// Options loading the probe with every required variable set (`must_have` = `present`).
pub fn probe_options() -> TestAppOptions {
    TestAppOptions {
        manifest: PROBE_MANIFEST.into(),
        variables: vec!["must_have=present".to_string()],
        ..TestAppOptions::default()
    }
}

/// The probe with its own database, served on a free port.
pub async fn start_probe() -> TestApp {
    TestApp::start_with(probe_options()).await
}

/// A status and the JSON body (`Value::Null` when the body is empty, a string when it is
/// not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub content_type: Option<String>,
}

impl TestApp {
    /// `GET path`.
    pub async fn get(&self, path: &str) -> Answer {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        answer(response).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Answer {
        let response = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        answer(response).await
    }

    /// The `spin-*` headers (and URI) the probe received for `GET path`; panics unless 200.
    pub async fn echo(&self, path: &str) -> Value {
        let answer = self.get(path).await;
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.text);
        answer.body
    }

    /// The probe's `spin_sdk::variables::get(name)`, as `{"ok": …}` or `{"error": …}`.
    pub async fn variable(&self, component_prefix: &str, name: &str) -> Value {
        let answer = self.get(&format!("/{component_prefix}/variables/{name}")).await;
        assert_eq!(answer.status, 200, "variable {name}: {}", answer.text);
        answer.body
    }

    /// Runs `steps` on one connection to this test's database.
    pub async fn pg(&self, steps: Vec<Value>) -> PgRun {
        self.pg_at("probe", &self.db.url, steps).await
    }

    /// Runs `steps` on one connection to `address`, from component `/<prefix>/...`.
    pub async fn pg_at(&self, prefix: &str, address: &str, steps: Vec<Value>) -> PgRun {
        let answer = self
            .post_json(&format!("/{prefix}/pg"), &json!({"address": address, "steps": steps}))
            .await;
        assert_eq!(
            answer.status, 200,
            "the probe's /pg answered {}: {}",
            answer.status, answer.text
        );
        PgRun {
            results: answer.body["results"].as_array().cloned().unwrap_or_default(),
            error: Some(answer.body["error"].clone()).filter(|e| !e.is_null()),
            failed_at: Some(answer.body["failed_at"].clone()).filter(|e| !e.is_null()),
        }
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = response.text().await.expect("reading the body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
    };
    Answer {
        status,
        body,
        text,
        content_type,
    }
}

/// What `/pg` answered: the results of the steps that ran, and the error that stopped it.
#[derive(Debug, Clone)]
pub struct PgRun {
    pub results: Vec<Value>,
    pub error: Option<Value>,
    /// `"open"` or the index of the failed step.
    pub failed_at: Option<Value>,
}

impl PgRun {
    /// The results; panics with the error when a step failed.
    #[track_caller]
    pub fn ok(&self) -> &[Value] {
        if let Some(error) = &self.error {
            panic!("step {:?} failed: {error:#}", self.failed_at);
        }
        &self.results
    }

    /// The error; panics when every step succeeded.
    #[track_caller]
    pub fn err(&self) -> &Value {
        self.error
            .as_ref()
            .unwrap_or_else(|| panic!("expected an error, got results {:#?}", self.results))
    }

    /// The rows of query step `index` (which must have succeeded; later steps may not have).
    #[track_caller]
    pub fn rows(&self, index: usize) -> &Vec<Value> {
        let Some(result) = self.results.get(index) else {
            panic!(
                "step {index} did not run: step {:?} failed: {:#?}",
                self.failed_at, self.error
            );
        };
        result["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("step {index} is not a query: {result:#}"))
    }

    /// The single value of query step `index` (first row, first column).
    #[track_caller]
    pub fn scalar(&self, index: usize) -> &Value {
        &self.rows(index)[0][0]
    }
}

/// A query step.
pub fn query(sql: &str, params: Vec<Value>) -> Value {
    json!({"op": "query", "sql": sql, "params": params})
}

/// An execute step.
pub fn execute(sql: &str, params: Vec<Value>) -> Value {
    json!({"op": "execute", "sql": sql, "params": params})
}

/// A typed value (parameter or expected result): `{"type": kind, "value": value}`.
pub fn typed(kind: &str, value: Value) -> Value {
    json!({"type": kind, "value": value})
}

/// `db-null`.
pub fn db_null() -> Value {
    json!({"type": "db-null"})
}

/// Lowercase hex of `bytes`, as the probe encodes binary and unsupported values.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
