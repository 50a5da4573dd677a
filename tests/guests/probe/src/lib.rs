//! The probe component of the host's integration tests (`tests/fixtures/probe.toml`).
//!
//! It does nothing of its own: every route reports, as JSON, exactly what the host gave it
//! or answered, so a test can assert the host's behaviour from outside.
//!
//! HTTP (the path after `/probe/`, `/other/` or `/chain/`; any other path echoes the
//! request):
//! - `GET  /headers` (and any unknown path): `{"uri", "path", "query", "method",
//!   "headers": {spin-*}, "body": <text>, "component": <the variable `whoami`, or null>}`.
//! - `GET  /variables/<name>`: `{"ok": value}` or `{"error": {"kind", "message"}}`.
//! - `POST /pg` `{"address", "steps": [{"op": "query"|"execute", "sql", "params": [...]}]}`:
//!   runs every step on one connection, stopping at the first error:
//!   `{"results": [...], "error": null|{...}, "failed_at": null|"open"|index}`.
//! - `POST /trap-in-transaction` `{"address", "table"}`: `BEGIN`, inserts
//!   `(id, note) = (1, 'uncommitted')` into `table`, then panics.
//! - `GET  /outbound?url=<url>`: `{"status", "body"}` or `{"error", "kind"}`; `<url>` is
//!   the rest of the query, unescaped (so it may carry a query of its own).
//! - `POST /send` `{"url", "method"?, "headers"?: {name: value}, "body"?: text}`: sends
//!   that request with spin-sdk, answers `{"status", "headers", "body"}` or
//!   `{"error", "kind"}`.
//! - `GET  /after-response?token=<t>[&then=trap]`: answers `{"answered": <t>}` in full,
//!   then, still running, sleeps 500 ms, inserts `<t>` into
//!   `probe_after_response(token text, at timestamptz)` of `database_url`, and with
//!   `then=trap` panics.
//! - `GET  /panic`: panics. `GET /spin-forever`: never returns; with `?mark`, it first
//!   inserts a row into `probe_spinning(since timestamptz)` of `database_url`, so a test
//!   can wait until the guest runs.
//! - `GET  /stdout`: two lines on stdout, one on stderr.
//! - `GET  /counter`: how many requests this instance has served (1 with fresh instances).
//!
//! Cron (`spin:cron@3.0.0`): inserts the event's timestamp into
//! `probe_cron_runs(fired_at_epoch bigint)` of `database_url`; with the variable
//! `cron_mode` = `fail` it returns `error::other`, with `trap` it panics, with `spin` it
//! never returns; with `chain` it sends `GET` to the variable `chain_url` and reports the
//! outcome as `error::other` (`"sent: <status>"` or `"failed: <error kind>"`).
//!
//! Value encoding (parameters and results): `{"type": <WIT case name>, "value": ...}`;
//! binary and unsupported as lowercase hex, jsonb as JSON text, decimal as text, date
//! `[y,m,d]`, time `[h,m,s,ns]`, datetime `[y,m,d,h,mi,s,ns]`, ranges
//! `{"lower": [v, "inclusive"|"exclusive"]|null, "upper": ...}`, arrays with `null`s,
//! interval `{"micros", "days", "months"}`, `{"type": "db-null"}`.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Map, Number, Value};
use spin_sdk::http::{Method, OutgoingResponse, Request, Response, ResponseOutparam};
use spin_sdk::pg4::{
    Connection, DbDataType, DbValue, Interval, ParameterValue, PgError, QueryError, RangeBoundKind, RowSet,
};

wit_bindgen::generate!({
    world: "tds:host/cron-guest",
    path: "../../../wit",
    generate_all,
});

// The world `use`s the cron types, so `Metadata` and `Error` are in scope already.
type CronError = Error;

struct Cron;

impl Guest for Cron {
    async fn handle_cron_event(metadata: Metadata) -> Result<(), CronError> {
        match spin_sdk::variables::get("cron_mode").as_deref() {
            Ok("fail") => return Err(CronError::Other("the probe was asked to fail".into())),
            Ok("trap") => panic!("the probe was asked to trap in its cron handler"),
            Ok("spin") => spin_forever(),
            Ok("chain") => return Err(CronError::Other(chain_from_cron())),
            _ => {}
        }
        record_cron_run(metadata.timestamp).map_err(CronError::Other)
    }
}

export!(Cron);

/// `GET chain_url` from the cron handler: what came of it.
fn chain_from_cron() -> String {
    let url = match spin_sdk::variables::get("chain_url") {
        Ok(url) => url,
        Err(e) => return format!("failed: chain_url: {e}"),
    };
    let request = Request::builder().method(Method::Get).uri(url).build();
    match spin_sdk::http::run(spin_sdk::http::send::<_, Response>(request)) {
        Ok(response) => format!("sent: {}", response.status()),
        Err(error) => format!("failed: {}", send_error_kind(&error)),
    }
}

fn record_cron_run(timestamp: u64) -> Result<(), String> {
    let url = spin_sdk::variables::get("database_url").map_err(|e| format!("database_url: {e}"))?;
    let db = Connection::open(&url).map_err(|e| format!("open: {e:?}"))?;
    db.execute(
        "CREATE TABLE IF NOT EXISTS probe_cron_runs (fired_at_epoch bigint NOT NULL)",
        &[],
    )
    .map_err(|e| format!("create: {e:?}"))?;
    db.execute(
        "INSERT INTO probe_cron_runs (fired_at_epoch) VALUES ($1::bigint)",
        &[ParameterValue::Int64(timestamp as i64)],
    )
    .map_err(|e| format!("insert: {e:?}"))?;
    Ok(())
}

/// Requests this instance has served: always 1 when every request gets a fresh instance.
static REQUESTS_SEEN: AtomicU64 = AtomicU64::new(0);

#[spin_sdk::http_component]
async fn handle(request: Request, response_out: ResponseOutparam) {
    let path = request.path().to_string();
    let action = ["/probe/", "/other/", "/chain/"]
        .iter()
        .find_map(|prefix| path.strip_prefix(prefix))
        .unwrap_or("");
    if let (Method::Get, "after-response") = (request.method(), action) {
        return after_response(request.query(), response_out).await;
    }
    let (status, body) = answer(&request, action).await;
    let response = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build();
    send_response(response_out, response).await;
}

/// Sets `response` and writes its body in full (the body ends when its sink is dropped).
async fn send_response(response_out: ResponseOutparam, mut response: Response) {
    let body = std::mem::take(response.body_mut());
    match OutgoingResponse::try_from(response) {
        Ok(response) => {
            if let Err(e) = response_out.set_with_body(response, body).await {
                eprintln!("the probe could not send its response: {e}");
            }
        }
        Err(e) => eprintln!("the probe could not convert its response: {e}"),
    }
}

/// Answers, then goes on working: sleeps, records the token, maybe traps.
async fn after_response(query: &str, response_out: ResponseOutparam) {
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or_default()
            .to_string()
    };
    let (token, then) = (param("token"), param("then"));
    let response = Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(json!({"answered": token}).to_string())
        .build();
    send_response(response_out, response).await;
    std::thread::sleep(std::time::Duration::from_millis(500));
    if let Err(e) = record_after_response(&token) {
        eprintln!("the probe could not record its work after the response: {e}");
    }
    if then == "trap" {
        panic!("the probe traps after its response, as asked (token {token})");
    }
}

fn record_after_response(token: &str) -> Result<(), String> {
    let url = spin_sdk::variables::get("database_url").map_err(|e| format!("database_url: {e}"))?;
    let db = Connection::open(&url).map_err(|e| format!("open: {e:?}"))?;
    db.execute(
        "CREATE TABLE IF NOT EXISTS probe_after_response (token text NOT NULL, at timestamptz NOT NULL DEFAULT now())",
        &[],
    )
    .map_err(|e| format!("create: {e:?}"))?;
    db.execute(
        "INSERT INTO probe_after_response (token) VALUES ($1::text)",
        &[ParameterValue::Str(token.to_string())],
    )
    .map_err(|e| format!("insert: {e:?}"))?;
    Ok(())
}

async fn answer(request: &Request, action: &str) -> (u16, Value) {
    match (request.method(), action) {
        (Method::Get, "panic") => panic!("the probe was asked to panic"),
        (Method::Get, "spin-forever") => {
            if request.query().split('&').any(|pair| pair == "mark") {
                if let Err(e) = mark_spinning() {
                    eprintln!("the probe could not mark its spin: {e}");
                }
            }
            spin_forever()
        }
        (Method::Get, "counter") => {
            let seen = REQUESTS_SEEN.fetch_add(1, Ordering::SeqCst) + 1;
            (200, json!({"requests_seen_by_this_instance": seen}))
        }
        (Method::Get, "stdout") => {
            println!("probe stdout line one");
            println!("probe stdout line two");
            eprintln!("probe stderr line");
            (200, json!({"printed": 3}))
        }
        (Method::Get, action) if action.starts_with("variables/") => (200, variable(&action["variables/".len()..])),
        (Method::Post, "pg") => match serde_json::from_slice::<Value>(request.body()) {
            Ok(body) => (200, run_pg(&body)),
            Err(e) => (400, json!({"bad_request": e.to_string()})),
        },
        (Method::Post, "trap-in-transaction") => match serde_json::from_slice::<Value>(request.body()) {
            Ok(body) => trap_in_transaction(&body),
            Err(e) => (400, json!({"bad_request": e.to_string()})),
        },
        (Method::Get, "outbound") => (200, outbound(request.query()).await),
        (Method::Post, "send") => match serde_json::from_slice::<Value>(request.body()) {
            Ok(body) => (200, send(&body).await),
            Err(e) => (400, json!({"bad_request": e.to_string()})),
        },
        _ => (200, echo(request)),
    }
}

/// Records in `probe_spinning` of `database_url` that a runaway is about to spin.
fn mark_spinning() -> Result<(), String> {
    let url = spin_sdk::variables::get("database_url").map_err(|e| format!("database_url: {e}"))?;
    let db = Connection::open(&url).map_err(|e| format!("open: {e:?}"))?;
    db.execute(
        "CREATE TABLE IF NOT EXISTS probe_spinning (since timestamptz NOT NULL DEFAULT now())",
        &[],
    )
    .map_err(|e| format!("create: {e:?}"))?;
    db.execute("INSERT INTO probe_spinning DEFAULT VALUES", &[])
        .map_err(|e| format!("insert: {e:?}"))?;
    Ok(())
}

fn spin_forever() -> ! {
    let mut counter: u64 = 0;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

fn echo(request: &Request) -> Value {
    let mut headers = Map::new();
    for (name, value) in request.headers() {
        let name = name.to_ascii_lowercase();
        if name.starts_with("spin-") {
            headers.insert(name, Value::from(value.as_str().unwrap_or("<not utf-8>")));
        }
    }
    json!({
        "uri": request.uri(),
        "path": request.path(),
        "query": request.query(),
        "method": format!("{:?}", request.method()),
        "headers": headers,
        "body": String::from_utf8_lossy(request.body()),
        "component": spin_sdk::variables::get("whoami").ok(),
    })
}

fn variable(name: &str) -> Value {
    use spin_sdk::variables::Error;
    match spin_sdk::variables::get(name) {
        Ok(value) => json!({"ok": value}),
        Err(error) => {
            let (kind, message) = match error {
                Error::InvalidName(m) => ("invalid-name", m),
                Error::Undefined(m) => ("undefined", m),
                Error::Provider(m) => ("provider", m),
                Error::Other(m) => ("other", m),
            };
            json!({"error": {"kind": kind, "message": message}})
        }
    }
}

async fn outbound(query: &str) -> Value {
    let url = match query.strip_prefix("url=") {
        Some(url) => url,
        None => match query.split_once("&url=") {
            Some((_, url)) => url,
            None => return json!({"error": "no url= in the query", "kind": "bad-request"}),
        },
    };
    let request = Request::builder().method(Method::Get).uri(url).build();
    match spin_sdk::http::send::<_, Response>(request).await {
        Ok(response) => json!({
            "status": *response.status(),
            "body": String::from_utf8_lossy(response.body()),
        }),
        Err(error) => json!({"error": error.to_string(), "kind": send_error_kind(&error)}),
    }
}

/// `POST /send`: the request the body describes, and what came back.
async fn send(spec: &Value) -> Value {
    let Some(url) = spec["url"].as_str() else {
        return json!({"error": "no \"url\"", "kind": "bad-request"});
    };
    let method = match spec["method"].as_str().unwrap_or("GET") {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        other => Method::Other(other.to_string()),
    };
    let mut builder = Request::builder();
    builder.method(method).uri(url);
    if let Some(headers) = spec["headers"].as_object() {
        for (name, value) in headers {
            builder.header(name.as_str(), value.as_str().unwrap_or_default());
        }
    }
    builder.body(spec["body"].as_str().unwrap_or_default().as_bytes().to_vec());
    match spin_sdk::http::send::<_, Response>(builder.build()).await {
        Ok(response) => {
            let headers: Map<String, Value> = response
                .headers()
                .map(|(name, value)| (name.to_string(), Value::from(value.as_str().unwrap_or("<not utf-8>"))))
                .collect();
            json!({
                "status": *response.status(),
                "headers": headers,
                "body": String::from_utf8_lossy(response.body()),
            })
        }
        Err(error) => json!({"error": error.to_string(), "kind": send_error_kind(&error)}),
    }
}

fn send_error_kind(error: &spin_sdk::http::SendError) -> String {
    match error {
        spin_sdk::http::SendError::Http(code) => format!("{code:?}"),
        other => format!("{other:?}"),
    }
}

fn trap_in_transaction(body: &Value) -> (u16, Value) {
    let address = body["address"].as_str().unwrap_or_default();
    let table = body["table"].as_str().unwrap_or_default();
    let db = match Connection::open(address) {
        Ok(db) => db,
        Err(e) => return (500, json!({"error": pg_error(&e)})),
    };
    if let Err(e) = db.execute("BEGIN", &[]) {
        return (500, json!({"error": pg_error(&e)}));
    }
    let insert = format!("INSERT INTO {table} (id, note) VALUES (1, 'uncommitted')");
    if let Err(e) = db.execute(&insert, &[]) {
        return (500, json!({"error": pg_error(&e)}));
    }
    panic!("the probe traps inside an open transaction");
}

// ---------------------------------------------------------------- spin:postgres

fn run_pg(body: &Value) -> Value {
    let address = body["address"].as_str().unwrap_or_default();
    let db = match Connection::open(address) {
        Ok(db) => db,
        Err(e) => return json!({"results": [], "error": pg_error(&e), "failed_at": "open"}),
    };
    let mut results = Vec::new();
    let steps = body["steps"].as_array().cloned().unwrap_or_default();
    for (index, step) in steps.iter().enumerate() {
        let sql = step["sql"].as_str().unwrap_or_default();
        let params = match step["params"]
            .as_array()
            .map(|ps| ps.iter().map(param).collect::<Result<Vec<_>, _>>())
            .unwrap_or(Ok(Vec::new()))
        {
            Ok(params) => params,
            Err(message) => {
                let error = json!({"variant": "probe-bad-request", "message": message});
                return json!({"results": results, "error": error, "failed_at": index});
            }
        };
        let outcome = match step["op"].as_str() {
            Some("execute") => db.execute(sql, &params).map(|n| json!({"rows_affected": n})),
            _ => db.query(sql, &params).map(|rows| row_set(&rows)),
        };
        match outcome {
            Ok(result) => results.push(result),
            Err(e) => return json!({"results": results, "error": pg_error(&e), "failed_at": index}),
        }
    }
    json!({"results": results, "error": null, "failed_at": null})
}

fn pg_error(error: &PgError) -> Value {
    match error {
        PgError::ConnectionFailed(m) => json!({"variant": "connection-failed", "message": m}),
        PgError::BadParameter(m) => json!({"variant": "bad-parameter", "message": m}),
        PgError::QueryFailed(QueryError::Text(m)) => json!({"variant": "query-failed", "message": m}),
        PgError::QueryFailed(QueryError::DbError(db)) => json!({
            "variant": "query-failed",
            "message": db.message,
            "db_error": {
                "as_text": db.as_text,
                "severity": db.severity,
                "code": db.code,
                "message": db.message,
                "detail": db.detail,
                "extras": db.extras.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            },
        }),
        PgError::ValueConversionFailed(m) => json!({"variant": "value-conversion-failed", "message": m}),
        PgError::Other(m) => json!({"variant": "other", "message": m}),
    }
}

fn row_set(rows: &RowSet) -> Value {
    json!({
        "columns": rows.columns.iter().map(|c| json!({"name": c.name, "type": type_name(&c.data_type)})).collect::<Vec<_>>(),
        "rows": rows.rows.iter().map(|row| row.iter().map(db_value).collect::<Vec<_>>()).collect::<Vec<_>>(),
    })
}

fn type_name(data_type: &DbDataType) -> String {
    match data_type {
        DbDataType::Boolean => "boolean".into(),
        DbDataType::Int8 => "int8".into(),
        DbDataType::Int16 => "int16".into(),
        DbDataType::Int32 => "int32".into(),
        DbDataType::Int64 => "int64".into(),
        DbDataType::Floating32 => "floating32".into(),
        DbDataType::Floating64 => "floating64".into(),
        DbDataType::Str => "str".into(),
        DbDataType::Binary => "binary".into(),
        DbDataType::Date => "date".into(),
        DbDataType::Time => "time".into(),
        DbDataType::Datetime => "datetime".into(),
        DbDataType::Timestamp => "timestamp".into(),
        DbDataType::Uuid => "uuid".into(),
        DbDataType::Jsonb => "jsonb".into(),
        DbDataType::Decimal => "decimal".into(),
        DbDataType::RangeInt32 => "range-int32".into(),
        DbDataType::RangeInt64 => "range-int64".into(),
        DbDataType::RangeDecimal => "range-decimal".into(),
        DbDataType::ArrayInt32 => "array-int32".into(),
        DbDataType::ArrayInt64 => "array-int64".into(),
        DbDataType::ArrayDecimal => "array-decimal".into(),
        DbDataType::ArrayStr => "array-str".into(),
        DbDataType::Interval => "interval".into(),
        DbDataType::Other(name) => format!("other:{name}"),
    }
}

fn typed(kind: &str, value: Value) -> Value {
    json!({"type": kind, "value": value})
}

fn float(value: f64) -> Value {
    Number::from_f64(value)
        .map(Value::Number)
        .unwrap_or_else(|| Value::from(value.to_string()))
}

fn bound_kind(kind: RangeBoundKind) -> &'static str {
    match kind {
        RangeBoundKind::Inclusive => "inclusive",
        RangeBoundKind::Exclusive => "exclusive",
    }
}

fn range<T>((lower, upper): &(Bound<T>, Bound<T>), show: impl Fn(&T) -> Value) -> Value {
    let bound = |b: &Bound<T>| match b {
        Some((v, k)) => json!([show(v), bound_kind(*k)]),
        None => Value::Null,
    };
    json!({"lower": bound(lower), "upper": bound(upper)})
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn db_value(value: &DbValue) -> Value {
    match value {
        DbValue::Boolean(v) => typed("boolean", json!(v)),
        DbValue::Int8(v) => typed("int8", json!(v)),
        DbValue::Int16(v) => typed("int16", json!(v)),
        DbValue::Int32(v) => typed("int32", json!(v)),
        DbValue::Int64(v) => typed("int64", json!(v)),
        DbValue::Floating32(v) => typed("floating32", float(*v as f64)),
        DbValue::Floating64(v) => typed("floating64", float(*v)),
        DbValue::Str(v) => typed("str", json!(v)),
        DbValue::Binary(v) => typed("binary", json!(hex(v))),
        DbValue::Date((y, m, d)) => typed("date", json!([y, m, d])),
        DbValue::Time((h, m, s, ns)) => typed("time", json!([h, m, s, ns])),
        DbValue::Datetime((y, mo, d, h, mi, s, ns)) => typed("datetime", json!([y, mo, d, h, mi, s, ns])),
        DbValue::Timestamp(v) => typed("timestamp", json!(v)),
        DbValue::Uuid(v) => typed("uuid", json!(v)),
        DbValue::Jsonb(v) => typed("jsonb", json!(String::from_utf8_lossy(v))),
        DbValue::Decimal(v) => typed("decimal", json!(v)),
        DbValue::RangeInt32(r) => typed("range-int32", range(r, |v| json!(v))),
        DbValue::RangeInt64(r) => typed("range-int64", range(r, |v| json!(v))),
        DbValue::RangeDecimal(r) => typed("range-decimal", range(r, |v| json!(v))),
        DbValue::ArrayInt32(v) => typed("array-int32", json!(v)),
        DbValue::ArrayInt64(v) => typed("array-int64", json!(v)),
        DbValue::ArrayDecimal(v) => typed("array-decimal", json!(v)),
        DbValue::ArrayStr(v) => typed("array-str", json!(v)),
        DbValue::Interval(i) => typed(
            "interval",
            json!({"micros": i.micros, "days": i.days, "months": i.months}),
        ),
        DbValue::DbNull => json!({"type": "db-null"}),
        DbValue::Unsupported(bytes) => typed("unsupported", json!(hex(bytes))),
    }
}

// ------------------------------------------------------------ JSON → parameters

fn param(spec: &Value) -> Result<ParameterValue, String> {
    let kind = spec["type"].as_str().ok_or("a parameter needs a \"type\"")?;
    let v = &spec["value"];
    let bad = || format!("bad value for a {kind} parameter: {v}");
    let int =
        |min: i64, max: i64| -> Result<i64, String> { v.as_i64().filter(|n| (min..=max).contains(n)).ok_or_else(bad) };
    let text = || v.as_str().map(str::to_string).ok_or_else(bad);
    let tuple = |len: usize| -> Result<Vec<i64>, String> {
        let items = v.as_array().filter(|a| a.len() == len).ok_or_else(bad)?;
        items.iter().map(|i| i.as_i64().ok_or_else(bad)).collect()
    };
    Ok(match kind {
        "boolean" => ParameterValue::Boolean(v.as_bool().ok_or_else(bad)?),
        "int8" => ParameterValue::Int8(int(i8::MIN.into(), i8::MAX.into())? as i8),
        "int16" => ParameterValue::Int16(int(i16::MIN.into(), i16::MAX.into())? as i16),
        "int32" => ParameterValue::Int32(int(i32::MIN.into(), i32::MAX.into())? as i32),
        "int64" => ParameterValue::Int64(v.as_i64().ok_or_else(bad)?),
        "floating32" => ParameterValue::Floating32(v.as_f64().ok_or_else(bad)? as f32),
        "floating64" => ParameterValue::Floating64(v.as_f64().ok_or_else(bad)?),
        "str" => ParameterValue::Str(text()?),
        "binary" => ParameterValue::Binary(unhex(&text()?).ok_or_else(bad)?),
        "date" => {
            let t = tuple(3)?;
            ParameterValue::Date((t[0] as i32, t[1] as u8, t[2] as u8))
        }
        "time" => {
            let t = tuple(4)?;
            ParameterValue::Time((t[0] as u8, t[1] as u8, t[2] as u8, t[3] as u32))
        }
        "datetime" => {
            let t = tuple(7)?;
            ParameterValue::Datetime((
                t[0] as i32,
                t[1] as u8,
                t[2] as u8,
                t[3] as u8,
                t[4] as u8,
                t[5] as u8,
                t[6] as u32,
            ))
        }
        "timestamp" => ParameterValue::Timestamp(v.as_i64().ok_or_else(bad)?),
        "uuid" => ParameterValue::Uuid(text()?),
        "jsonb" => ParameterValue::Jsonb(text()?.into_bytes()),
        "decimal" => ParameterValue::Decimal(text()?),
        "range-int32" => ParameterValue::RangeInt32(
            parse_range(v, |b| b.as_i64().and_then(|n| i32::try_from(n).ok())).ok_or_else(bad)?,
        ),
        "range-int64" => ParameterValue::RangeInt64(parse_range(v, Value::as_i64).ok_or_else(bad)?),
        "range-decimal" => {
            ParameterValue::RangeDecimal(parse_range(v, |b| b.as_str().map(str::to_string)).ok_or_else(bad)?)
        }
        "array-int32" => ParameterValue::ArrayInt32(
            parse_array(v, |i| i.as_i64().and_then(|n| i32::try_from(n).ok())).ok_or_else(bad)?,
        ),
        "array-int64" => ParameterValue::ArrayInt64(parse_array(v, Value::as_i64).ok_or_else(bad)?),
        "array-decimal" => {
            ParameterValue::ArrayDecimal(parse_array(v, |i| i.as_str().map(str::to_string)).ok_or_else(bad)?)
        }
        "array-str" => ParameterValue::ArrayStr(parse_array(v, |i| i.as_str().map(str::to_string)).ok_or_else(bad)?),
        "interval" => ParameterValue::Interval(Interval {
            micros: v["micros"].as_i64().ok_or_else(bad)?,
            days: v["days"].as_i64().and_then(|n| i32::try_from(n).ok()).ok_or_else(bad)?,
            months: v["months"]
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(bad)?,
        }),
        "db-null" => ParameterValue::DbNull,
        other => return Err(format!("unknown parameter type {other:?}")),
    })
}

type Bound<T> = Option<(T, RangeBoundKind)>;

fn parse_range<T>(v: &Value, item: impl Fn(&Value) -> Option<T>) -> Option<(Bound<T>, Bound<T>)> {
    let bound = |b: &Value| -> Option<Bound<T>> {
        if b.is_null() {
            return Some(None);
        }
        let pair = b.as_array().filter(|a| a.len() == 2)?;
        let kind = match pair[1].as_str()? {
            "inclusive" => RangeBoundKind::Inclusive,
            "exclusive" => RangeBoundKind::Exclusive,
            _ => return None,
        };
        Some(Some((item(&pair[0])?, kind)))
    };
    Some((bound(&v["lower"])?, bound(&v["upper"])?))
}

fn parse_array<T>(v: &Value, item: impl Fn(&Value) -> Option<T>) -> Option<Vec<Option<T>>> {
    v.as_array()?
        .iter()
        .map(|i| if i.is_null() { Some(None) } else { item(i).map(Some) })
        .collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}
