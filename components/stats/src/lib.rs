//! Stats: the operator's view of TDS — `GET /health`, the stats API under `/api/`,
//! `GET /metrics` (Prometheus), `GET /openapi.json` and the dashboard at `/dashboard`.
//!
//! Public: `/health`, `/openapi.json` and the dashboard's static files (they hold no data;
//! the page asks for the token and calls the API with it). Everything else needs
//! `Authorization: Bearer <stats_token>`; without it the answer is 401 whatever the path,
//! so nothing reveals what exists. The routes, their parameters and answers are described
//! in `assets/openapi.json`, which the integration tests hold the routes to. Variables:
//! `database_url`, `stats_token`, `max_attempts` (for replayed events).

mod alerts;
mod api;
mod circuits;
mod config;
mod credentials;
mod cursor;
mod dashboard;
mod dead_letters;
mod health;
mod history;
mod metrics;
mod openapi;
mod prometheus;
mod pull_progress;
mod queue;
mod reconcile;
mod replay;
mod router;
mod runs;
mod trace;

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    router::handle(&req)
}
