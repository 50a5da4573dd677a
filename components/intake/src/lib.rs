//! Webhook intake, `POST|PUT|DELETE /webhooks/zoho/{module}` and `POST /webhooks/zoho`, as
//! docs/design.md's "Intake contract" says: a request passes its [`route`], [`body`], [`auth`]
//! and [`store`] in that order and gets an [`answer`]; a [`refusal`] stores only its count.
//! Once the answer has gone, a queued event's lane is woken ([`wake`]).

mod answer;
mod auth;
mod body;
mod refusal;
mod route;
mod store;
mod wake;

use serde_json::json;
use spin_sdk::http::{IncomingRequest, Request, Response, ResponseOutparam};
use spin_sdk::http_component;
use tds_core::entity::Module;
use tds_core::normalize::{normalize, Delivery};
use tds_core::payload::{self, BodyFormat};
use tds_core::variables::{self, VariableError};
use tds_guest::drains::Waking;
use tds_guest::http::{answer_now, header, request_id};
use tds_guest::log::Logger;
use tds_guest::vars;

use refusal::Refusal;
use wake::Wake;

const COMPONENT: &str = "intake";

#[http_component]
async fn handle(incoming: IncomingRequest, response_out: ResponseOutparam) {
    let mut req = route::head_of(&incoming);
    let request_id = request_id(&req);
    let log = Logger::new(COMPONENT, &request_id);
    let database_url = vars::read(&variables::DATABASE_URL);
    let received = match route::check_head(&req) {
        Ok(route_module) => match body::read(incoming).await {
            Ok(body) => {
                *req.body_mut() = body;
                receive(
                    &req,
                    route_module,
                    database_url.as_deref(),
                    &request_id,
                    &log,
                )
            }
            Err(error) => Err(Refusal::new(error, route_module)),
        },
        Err(refusal) => Err(refusal),
    };
    let (response, wake) = match received {
        Ok(answered) => answered,
        Err(refusal) => {
            let error = &refusal.error;
            let fields =
                json!({"status": error.status, "code": error.code, "reason": error.message});
            // A 5xx is intake's own trouble (not configured, the database unavailable).
            if error.status >= 500 {
                log.error("refused", fields);
            } else {
                log.warn("refused", fields);
            }
            if let Ok(url) = database_url.as_deref() {
                store::count_refusal(url, &refusal, &log);
            }
            (refusal.error.into_response(&request_id), None)
        }
    };
    answer_now(response_out, response).await;
    if let Some(wake) = wake {
        wake.send(&log);
    }
}

/// A request whose body has arrived: its media type, authenticity, then its payload, made
/// an event, stored and answered, with the wake its lane is due once the answer is out.
fn receive(
    req: &Request,
    route_module: Option<Module>,
    database_url: Result<&str, &VariableError>,
    request_id: &str,
    log: &Logger,
) -> Result<(Response, Option<Wake>), Refusal> {
    let body = req.body();
    let content_type = header(req, "content-type");
    let format =
        BodyFormat::detect(content_type, body).map_err(|e| Refusal::new(e, route_module))?;
    let query = payload::form_pairs(req.query().as_bytes());
    let body = payload::Body::read(format, body);
    let parsed = body.parse(route_module);
    let module = route_module.or(parsed.as_ref().ok().map(|p| p.module));
    let credential =
        auth::authenticate(req, &body, &query, module).map_err(|e| Refusal::new(e, module))?;
    let payload = parsed.map_err(|e| Refusal::new(e, module))?;
    let method = req.method().to_string();
    let event = normalize(
        &payload,
        &Delivery {
            method: &method,
            query: &query,
            operation_header: header(req, "x-webhook-operation"),
        },
    );
    let delivery = store::Received {
        req,
        method: &method,
        payload: &payload,
        credential,
        request_id,
    };
    // Where its wake goes is read before anything is stored: a bad value refuses the
    // delivery, as a bad max_attempts or database_url does (docs/configuration.md).
    let waking = Waking::read().map_err(|e| Refusal::new(e, Some(event.module)))?;
    let (stored, event, db) = store::persist(database_url, &delivery, event, log)?;
    let outcome = stored.outcome();
    log.info(outcome, json!({"module": event.module.as_str(), "entity_id": event.entity_id.as_ref().map(|i| i.as_str()), "operation": event.operation.as_str(), "idempotency_key": event.idempotency_key.as_str()}));
    let wake = Wake::after(&stored, event.module.spec().lane, db, waking);
    Ok((answer::stored(&stored, &event, request_id), wake))
}
