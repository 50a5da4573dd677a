//! Maps a request to its handler: public routes first, then the bearer token for every
//! other path (before looking the path up, so a 401 says nothing about what exists), then
//! 404 for an unknown path and 405 (with `Allow`) for a known path and another method.

use spin_sdk::http::{Method, Request, Response};
use tds_core::query::decode_path_segment;
use tds_core::variables;
use tds_guest::http::{check_bearer, request_id, HttpError};
use tds_guest::log::Logger;
use tds_guest::vars;

use crate::api::{ApiResult, Ctx};
use crate::{
    alerts, circuits, config, credentials, dashboard, dead_letters, health, history, metrics,
    openapi, pull_progress, queue, reconcile, replay, runs, trace,
};

/// What a 401 asks for (`WWW-Authenticate`).
const CHALLENGE: &str = "Bearer realm=\"tds-stats\"";

type Handler<'a> = Box<dyn Fn(&Ctx) -> ApiResult + 'a>;

/// The methods a path takes, each with its handler.
type Methods<'a> = Vec<(Method, Handler<'a>)>;

fn h<'a>(f: impl Fn(&Ctx) -> ApiResult + 'a) -> Handler<'a> {
    Box::new(f)
}

/// Routes anyone may call.
fn public(segments: &[&str]) -> Option<Methods<'static>> {
    Some(match segments {
        [] => vec![(Method::Get, h(dashboard::root))],
        ["health"] => vec![(Method::Get, h(health::get))],
        ["openapi.json"] => vec![(Method::Get, h(openapi::get))],
        ["dashboard"] => vec![(Method::Get, h(dashboard::page))],
        ["dashboard", asset] => {
            let asset = asset.to_string();
            vec![(Method::Get, h(move |c| dashboard::asset(c, &asset)))]
        }
        _ => return None,
    })
}

/// Routes behind the token.
fn protected<'a>(segments: &[&'a str]) -> Option<Methods<'a>> {
    Some(match *segments {
        ["metrics"] => vec![(Method::Get, h(metrics::get))],
        ["api", "queue"] => vec![(Method::Get, h(queue::stats))],
        ["api", "queue", "series"] => vec![(Method::Get, h(queue::series))],
        ["api", "dead-letters"] => vec![(Method::Get, h(dead_letters::list))],
        ["api", "dead-letters", "replay"] => vec![(Method::Post, h(dead_letters::replay_matching))],
        ["api", "dead-letters", id] => vec![(Method::Get, h(move |c| dead_letters::show(c, id)))],
        ["api", "dead-letters", id, "replay"] => {
            vec![(Method::Post, h(move |c| dead_letters::replay_one(c, id)))]
        }
        ["api", "dead-letters", id, "resolve"] => {
            vec![(Method::Post, h(move |c| dead_letters::resolve(c, id)))]
        }
        ["api", "trace"] => vec![(Method::Get, h(trace::get))],
        ["api", "history", module, entity_id] => {
            vec![(Method::Get, h(move |c| history::get(c, module, entity_id)))]
        }
        ["api", "alerts"] => vec![(Method::Get, h(alerts::list))],
        ["api", "alerts", id, "acknowledge"] => {
            vec![(Method::Post, h(move |c| alerts::acknowledge(c, id)))]
        }
        ["api", "runs"] => vec![(Method::Get, h(runs::list))],
        ["api", "runs", id] => vec![(Method::Get, h(move |c| runs::show(c, id)))],
        ["api", "circuits"] => vec![(Method::Get, h(circuits::list))],
        ["api", "circuits", name, "reset"] => {
            vec![(Method::Post, h(move |c| circuits::reset(c, name)))]
        }
        ["api", "replay"] => vec![(Method::Post, h(replay::inbox))],
        ["api", "intake", "credentials"] => vec![(Method::Get, h(credentials::list))],
        ["api", "reconcile", "progress"] => vec![(Method::Get, h(pull_progress::get))],
        ["api", "reconcile", "reports", "latest"] => vec![(Method::Get, h(reconcile::latest))],
        ["api", "reconcile", "reports", id] => {
            vec![(Method::Get, h(move |c| reconcile::show(c, id)))]
        }
        ["api", "config"] => vec![
            (Method::Get, h(config::get)),
            (Method::Patch, h(config::update)),
        ],
        _ => return None,
    })
}

pub fn handle(req: &Request) -> Response {
    let request_id = request_id(req);
    let ctx = Ctx {
        req,
        request_id: request_id.clone(),
    };
    let decoded: Vec<String> = req
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode_path_segment)
        .collect();
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let outcome = match public(&segments) {
        Some(methods) => dispatch(&ctx, methods),
        None => authorized(req).and_then(|()| match protected(&segments) {
            // No resource is named with NUL (`%00`): nothing stored may hold one.
            Some(_) if segments.iter().any(|s| s.contains('\0')) => Err(HttpError::not_found(
                format!("no resource {}: a name never holds NUL", req.path()),
            )),
            Some(methods) => dispatch(&ctx, methods),
            None => Err(HttpError::not_found(format!("no route {}", req.path()))),
        }),
    };
    match outcome {
        Ok(answer) => answer.into_response(&request_id),
        Err(e) => {
            if e.status >= 500 {
                Logger::new("stats", &request_id).error(
                    "request failed",
                    serde_json::json!({"path": req.path(), "status": e.status, "code": e.code, "error": e.message}),
                );
            }
            e.into_response(&request_id)
        }
    }
}

fn authorized(req: &Request) -> Result<(), HttpError> {
    let token = vars::text(&variables::STATS_TOKEN);
    check_bearer(req, token.as_deref()).map_err(|e| e.with_challenge(CHALLENGE))
}

fn dispatch(ctx: &Ctx, methods: Methods) -> ApiResult {
    let method = ctx.req.method();
    let head_as_get = *method == Method::Head;
    match methods
        .iter()
        .find(|(m, _)| m == method || (head_as_get && *m == Method::Get))
    {
        Some((_, handler)) => handler(ctx),
        None => {
            let allow: Vec<String> = methods.iter().map(|(m, _)| m.to_string()).collect();
            let allow = allow.join(", ");
            let message = format!("{} takes {allow}", ctx.req.path());
            Err(HttpError::method_not_allowed(allow, message))
        }
    }
}
