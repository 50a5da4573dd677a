//! Webhook intake: `POST|PUT|DELETE /webhooks/zoho/{module}` and `POST /webhooks/zoho`.
//!
//! Checks, in order (nothing is stored for a refusal, an outcome counter is):
//! route and method (404 `unknown_module`/`not_found`, 405 `method_not_allowed`), size
//! (413 `payload_too_large`: a declared `Content-Length` before any of the body is read,
//! else as soon as more than 1 MiB has arrived), a body cut short by the client (400
//! `body_incomplete`), media type (415), authenticity (401; 503 `not_configured`
//! when neither `zoho_webhook_secret` nor `webhook_key` is set), body (400, or 404 for a
//! wrapper key of a module TDS does not sync).
//!
//! An authentic, readable delivery is stored in ONE transaction: the inbox event (secret
//! headers redacted), the entity's unclaimed queue row, created or re-pointed (newest
//! version wins), and the outcome's counter – 202. A known idempotency key answers 200 with `duplicate: true`. An
//! authentic event that cannot be applied (no id…) is stored and dead-lettered at once – 202
//! with the reasons. A database failure answers 503 so Zoho delivers again.
//!
//! Variables: `database_url`, `zoho_webhook_secret`, `zoho_module_secrets` (per-module
//! secrets overriding the default), `webhook_key`, `max_attempts` (queue attempts per event,
//! default 8).

use serde_json::{json, Map, Value};
use futures::StreamExt as _;
use spin_sdk::http::{IncomingRequest, Method, Request, Response};
use spin_sdk::http_component;
use tds_core::auth::{Proof, WebhookAuth};
use tds_core::entity::Module;
use tds_core::normalize::{normalize, Delivery, Event};
use tds_core::payload::{self, BodyFormat, Payload, MAX_BODY_BYTES};
use tds_core::redact::redact_headers;
use tds_core::signature;
use tds_guest::db::{param, Db, DbError};
use tds_guest::http::{error_response, header, json_response, request_id};
use tds_guest::log::Logger;
use tds_guest::vars;
use tds_store::{inbox, queue};

const COMPONENT: &str = "intake";
const ROUTE_PREFIX: &str = "/webhooks/zoho";
const DEFAULT_MAX_ATTEMPTS: i32 = 8;
const DATABASE_UNAVAILABLE: &str = "database_unavailable";

/// A refused request: nothing stored.
struct Refusal {
    status: u16,
    code: &'static str,
    message: String,
    module: Option<Module>,
}

impl Refusal {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            code,
            message: message.into(),
            module: None,
        }
    }

    fn about(mut self, module: Option<Module>) -> Refusal {
        self.module = module;
        self
    }

    /// The intake counter's outcome: `failed` when the database could not take the event,
    /// `rejected` otherwise.
    fn outcome(&self) -> &'static str {
        if self.code == DATABASE_UNAVAILABLE {
            "failed"
        } else {
            "rejected"
        }
    }
}

/// What the store made of an authentic, readable delivery.
enum Stored {
    Accepted { event_id: i64, queued: bool },
    Invalid { event_id: i64, dead_letter_id: i64 },
    Duplicate { event_id: i64 },
}

impl Stored {
    fn outcome(&self) -> &'static str {
        match self {
            Stored::Accepted { queued: true, .. } => "accepted",
            Stored::Accepted { queued: false, .. } => "superseded",
            Stored::Invalid { .. } => "invalid",
            Stored::Duplicate { .. } => "duplicate",
        }
    }
}

#[http_component]
async fn handle(incoming: IncomingRequest) -> Response {
    let mut req = head_of(&incoming);
    let request_id = request_id(&req);
    let log = Logger::new(COMPONENT, &request_id);
    let database_url = vars::get("database_url");
    let received = match check_head(&req) {
        Ok(route_module) => match read_body(incoming).await {
            Ok(body) => {
                *req.body_mut() = body;
                receive(&req, route_module, database_url.as_deref(), &request_id, &log)
            }
            Err(refusal) => Err(refusal.about(route_module)),
        },
        Err(refusal) => Err(refusal),
    };
    match received {
        Ok(answer) => answer,
        Err(refusal) => {
            log.warn(
                "refused",
                json!({"status": refusal.status, "code": refusal.code, "reason": refusal.message}),
            );
            if let Some(url) = database_url.as_deref() {
                count_refusal(url, &refusal, &log);
            }
            error_response(refusal.status, refusal.code, &refusal.message, &request_id)
        }
    }
}

/// The request's method, URI and headers; its body is read by [`read_body`] once the head
/// has passed [`check_head`].
fn head_of(incoming: &IncomingRequest) -> Request {
    Request::builder()
        .method(incoming.method())
        .uri(incoming.uri())
        .headers(incoming.headers())
        .build()
}

/// What can be refused before the body is read: the route and method, then a declared
/// `Content-Length` above [`MAX_BODY_BYTES`]. The route's module, if it names one.
fn check_head(req: &Request) -> Result<Option<Module>, Refusal> {
    let route_module = route(req)?;
    let declared = header(req, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(size) = declared.filter(|&size| size > MAX_BODY_BYTES as u64) {
        let message = format!("the body has {size} bytes; the limit is {MAX_BODY_BYTES}");
        return Err(Refusal::new(413, "payload_too_large", message).about(route_module));
    }
    Ok(route_module)
}

/// Reads the body as it arrives, never more than [`MAX_BODY_BYTES`] (413 once it goes
/// beyond, however it is framed); a body the client stops sending before its end (a closed
/// or reset connection, a `Content-Length` not reached) is 400 `body_incomplete`.
async fn read_body(incoming: IncomingRequest) -> Result<Vec<u8>, Refusal> {
    let mut chunks = incoming.into_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| {
            Refusal::new(
                400,
                "body_incomplete",
                format!(
                    "the body ended before it was complete ({}); send the whole request again",
                    e.to_debug_string()
                ),
            )
        })?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            let message = format!("the body has more than {MAX_BODY_BYTES} bytes, the limit");
            return Err(Refusal::new(413, "payload_too_large", message));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn receive(
    req: &Request,
    route_module: Option<Module>,
    database_url: Option<&str>,
    request_id: &str,
    log: &Logger,
) -> Result<Response, Refusal> {
    let body = req.body();
    let content_type = header(req, "content-type");
    let format = BodyFormat::detect(content_type, body)
        .map_err(|e| Refusal::new(e.http_status(), e.code(), e.to_string()).about(route_module))?;
    let query = payload::form_pairs(req.query().as_bytes());
    let parsed = payload::parse(format, body, route_module);
    let module = route_module.or(parsed.as_ref().ok().map(|p| p.module));
    authenticate(req, format, &query, module).map_err(|r| r.about(module))?;
    let payload =
        parsed.map_err(|e| Refusal::new(e.http_status(), e.code(), e.to_string()).about(module))?;
    let method = req.method().to_string();
    let event = normalize(
        &payload,
        &Delivery {
            method: &method,
            query: &query,
            operation_header: header(req, "x-webhook-operation"),
        },
    );
    let max_attempts = vars::positive("max_attempts", DEFAULT_MAX_ATTEMPTS)
        .map_err(|e| Refusal::new(503, "not_configured", e).about(Some(event.module)))?;
    let database_url = database_url.ok_or_else(|| {
        Refusal::new(503, DATABASE_UNAVAILABLE, "database_url is not set").about(Some(event.module))
    })?;
    let module = event.module;
    let unavailable = |e: DbError| {
        log.error(
            "could not store the event",
            json!({"sqlstate": e.sqlstate, "error": e.message}),
        );
        Refusal::new(
            503,
            DATABASE_UNAVAILABLE,
            format!("the event could not be stored: {}", e.message),
        )
        .about(Some(module))
    };
    let db = Db::open(database_url).map_err(unavailable)?;
    let headers = redact_headers(req.headers().filter_map(|(n, v)| Some((n, v.as_str()?))));
    let delivery = DeliveryFacts {
        method: &method,
        content_type,
        payload: &payload,
        raw_body: body,
        request_id,
        headers,
        max_attempts,
    };
    let (stored, event) = store_or_keep_raw(&db, event, &delivery, log).map_err(unavailable)?;
    let outcome = stored.outcome();
    log.info(outcome, json!({"module": event.module.as_str(), "entity_id": event.entity_id.as_ref().map(|i| i.as_str()), "operation": event.operation.as_str(), "idempotency_key": event.idempotency_key.as_str()}));
    Ok(answer(&stored, &event, request_id))
}

/// Stores the event; when PostgreSQL cannot take its parsed document (a data exception,
/// e.g. a `\u0000` in a string or a number beyond `numeric`), stores the raw body with an
/// empty document instead, dead-lettered with the reason: authentic data is never dropped.
fn store_or_keep_raw(
    db: &Db,
    event: Event,
    delivery: &DeliveryFacts<'_>,
    log: &Logger,
) -> Result<(Stored, Event), DbError> {
    let first = store(db, &event, delivery);
    // The transaction may still be open after a failure; a rollback failing too changes nothing.
    let error = match first {
        Ok(stored) => return Ok((stored, event)),
        Err(e) => {
            let _ = db.rollback();
            e
        }
    };
    if !error.is_data_exception() {
        return Err(error);
    }
    log.warn(
        "the document cannot be stored as JSON; keeping the raw body",
        json!({"sqlstate": error.sqlstate, "error": error.message}),
    );
    let mut unreadable = event;
    unreadable.invalid_reasons.push(format!(
        "the document cannot be stored as JSON ({}); the raw body is kept",
        error.message
    ));
    let kept_payload = Payload {
        document: Map::new(),
        ..delivery.payload.clone()
    };
    let kept = DeliveryFacts {
        payload: &kept_payload,
        headers: delivery.headers.clone(),
        ..*delivery
    };
    store(db, &unreadable, &kept)
        .inspect_err(|_| {
            let _ = db.rollback();
        })
        .map(|stored| (stored, unreadable))
}

/// The module the path names: `None` for the bare route.
fn route(req: &Request) -> Result<Option<Module>, Refusal> {
    let rest = req.path().strip_prefix(ROUTE_PREFIX).unwrap_or("/");
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let module = match segments.as_slice() {
        [] => None,
        [segment] => Some(Module::from_route_segment(segment).ok_or_else(|| {
            Refusal::new(
                404,
                "unknown_module",
                format!("module {segment:?} is not one TDS syncs"),
            )
        })?),
        _ => {
            return Err(Refusal::new(
                404,
                "not_found",
                format!("no route {}", req.path()),
            ))
        }
    };
    let allowed: &[Method] = if module.is_some() {
        &[Method::Post, Method::Put, Method::Delete]
    } else {
        &[Method::Post]
    };
    if !allowed.contains(req.method()) {
        let names: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        let message = format!(
            "{} is not allowed here; use {}",
            req.method(),
            names.join(", ")
        );
        return Err(Refusal::new(405, "method_not_allowed", message).about(module));
    }
    Ok(module)
}

/// The proof [`WebhookAuth`] requires of `module`'s webhooks (see `tds_core::auth`).
fn authenticate(
    req: &Request,
    format: BodyFormat,
    query: &[(String, String)],
    module: Option<Module>,
) -> Result<(), Refusal> {
    let secret = vars::get("zoho_webhook_secret");
    let module_secrets = vars::get("zoho_module_secrets");
    let key = vars::get("webhook_key");
    let auth = WebhookAuth::new(secret.as_deref(), module_secrets.as_deref(), key.as_deref())
        .map_err(|e| Refusal::new(503, "not_configured", e.to_string()))?;
    match auth.proof_for(module) {
        Proof::Signature(secret) => {
            let given = header(req, "x-zoho-webhook-signature").ok_or_else(|| {
                Refusal::new(
                    401,
                    "missing_signature",
                    "X-Zoho-Webhook-Signature is required",
                )
            })?;
            let message = match format {
                BodyFormat::Json => signature::signed_message(query, &[], Some(req.body())),
                BodyFormat::Form => {
                    signature::signed_message(query, &payload::form_pairs(req.body()), None)
                }
            };
            if signature::verify(secret, &message, given) {
                Ok(())
            } else {
                Err(Refusal::new(
                    401,
                    "invalid_signature",
                    "X-Zoho-Webhook-Signature does not match the body",
                ))
            }
        }
        Proof::Key(key) => {
            let given = header(req, "x-webhook-key")
                .or_else(|| {
                    query
                        .iter()
                        .find(|(k, _)| k == "key")
                        .map(|(_, v)| v.as_str())
                })
                .ok_or_else(|| {
                    Refusal::new(
                        401,
                        "missing_key",
                        "send the webhook key in X-Webhook-Key or ?key=",
                    )
                })?;
            if signature::keys_match(key, given) {
                Ok(())
            } else {
                Err(Refusal::new(
                    401,
                    "invalid_key",
                    "the webhook key is not valid",
                ))
            }
        }
        Proof::NotConfigured => Err(Refusal::new(
            503,
            "not_configured",
            "intake accepts nothing until zoho_webhook_secret, zoho_module_secrets or webhook_key is set",
        )),
    }
}

/// What is stored besides the normalised event.
#[derive(Clone)]
struct DeliveryFacts<'a> {
    method: &'a str,
    content_type: Option<&'a str>,
    payload: &'a Payload,
    raw_body: &'a [u8],
    request_id: &'a str,
    /// Redacted.
    headers: Map<String, Value>,
    max_attempts: i32,
}

/// One transaction: the inbox event, then the queue row (or, for an invalid event, a dead
/// letter), then the outcome's counter.
fn store(db: &Db, event: &Event, delivery: &DeliveryFacts<'_>) -> Result<Stored, DbError> {
    let spec = event.module.spec();
    let entity_id = event.entity_id.as_ref().map(|id| id.as_str());
    db.begin()?;
    let inserted = db.query(
        inbox::INSERT_EVENT,
        &[
            param::text(delivery.request_id),
            param::text(event.module.as_str()),
            param::opt_text(entity_id),
            param::text(event.operation.as_str()),
            param::text(delivery.method),
            param::opt_text(delivery.content_type),
            param::text(delivery.payload.shape.as_str()),
            param::bytea(delivery.raw_body.to_vec()),
            param::text(Value::Object(delivery.payload.document.clone()).to_string()),
            param::text(Value::Object(delivery.headers.clone()).to_string()),
            param::opt_text(event.version.sql_text()),
            param::text(event.version.source.as_str()),
            param::text(event.content_hash.as_str()),
            param::text(event.idempotency_key.as_str()),
            param::text(if event.is_valid() {
                "accepted"
            } else {
                "invalid"
            }),
            param::text_array(event.invalid_reasons.iter().cloned()),
        ],
    )?;
    let Some(row) = inserted.first() else {
        let existing = db.query(
            inbox::FIND_BY_IDEMPOTENCY_KEY,
            &[param::text(event.idempotency_key.as_str())],
        )?;
        let stored = Stored::Duplicate {
            event_id: existing.expect_row()?.int8(0)?,
        };
        count_in(db, &stored, event.module)?;
        db.commit()?;
        return Ok(stored);
    };
    let event_id = row.int8(0)?;
    let version = row.text(1)?;
    let stored = match entity_id.filter(|_| event.is_valid()) {
        Some(entity_id) => {
            let queued = db.query(
                queue::ENQUEUE_OR_REPOINT,
                &[
                    param::text(event.module.as_str()),
                    param::text(entity_id),
                    param::text(spec.lane.as_str()),
                    param::int4(spec.priority),
                    param::text(event.operation.as_str()),
                    param::int8(event_id),
                    param::text(version),
                    param::int4(delivery.max_attempts),
                    param::text(delivery.request_id),
                ],
            )?;
            if queued.is_empty() {
                db.execute(inbox::MARK_SUPERSEDED, &[param::int8(event_id)])?;
            }
            Stored::Accepted {
                event_id,
                queued: !queued.is_empty(),
            }
        }
        None => {
            let dead = db.query(
                inbox::DEAD_LETTER_INVALID,
                &[
                    param::int8(event_id),
                    param::text(event.module.as_str()),
                    param::opt_text(entity_id),
                    param::text(spec.lane.as_str()),
                    param::text(event.operation.as_str()),
                    param::text(event.invalid_reasons.join("; ")),
                    param::text(delivery.request_id),
                ],
            )?;
            let dead_letter_id = dead.expect_row()?.int8(0)?;
            Stored::Invalid {
                event_id,
                dead_letter_id,
            }
        }
    };
    count_in(db, &stored, event.module)?;
    db.commit()?;
    Ok(stored)
}

/// Counts what `store` made of a delivery, inside its transaction: the count commits with
/// the event or not at all.
fn count_in(db: &Db, stored: &Stored, module: Module) -> Result<(), DbError> {
    let params = [
        param::text(stored.outcome()),
        param::text(module.as_str()),
        param::text(""),
    ];
    db.execute(inbox::COUNT_OUTCOME, &params).map(drop)
}

fn answer(stored: &Stored, event: &Event, request_id: &str) -> Response {
    let key = event.idempotency_key.as_str();
    let entity_id = event.entity_id.as_ref().map(|id| id.as_str());
    let module = event.module.as_str();
    match stored {
        Stored::Accepted { event_id, queued } => json_response(
            202,
            &json!({"status": "accepted", "event_id": event_id, "idempotency_key": key, "queued": queued,
                    "superseded": !queued, "duplicate": false, "module": module, "entity_id": entity_id,
                    "request_id": request_id}),
            request_id,
        ),
        Stored::Invalid {
            event_id,
            dead_letter_id,
        } => json_response(
            202,
            &json!({"status": "invalid", "event_id": event_id, "idempotency_key": key, "queued": false,
                    "duplicate": false, "dead_letter_id": dead_letter_id, "reasons": event.invalid_reasons,
                    "module": module, "entity_id": entity_id, "request_id": request_id}),
            request_id,
        ),
        Stored::Duplicate { event_id } => json_response(
            200,
            &json!({"status": "duplicate", "event_id": event_id, "idempotency_key": key, "queued": false,
                    "duplicate": true, "module": module, "entity_id": entity_id, "request_id": request_id}),
            request_id,
        ),
    }
}

/// Counts a refusal on a fresh connection (refusals happen before one is needed); a
/// failure is logged, never answered.
fn count_refusal(database_url: &str, refusal: &Refusal, log: &Logger) {
    let params = [
        param::text(refusal.outcome()),
        param::text(refusal.module.map(Module::as_str).unwrap_or_default()),
        param::text(refusal.code),
    ];
    if let Err(e) = Db::open(database_url).and_then(|db| db.execute(inbox::COUNT_OUTCOME, &params)) {
        log.warn(
            "could not count the refusal",
            json!({"outcome": refusal.outcome(), "sqlstate": e.sqlstate, "error": e.message}),
        );
    }
}
