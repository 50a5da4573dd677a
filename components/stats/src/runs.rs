//! Runs (one per processor or heal invocation, `tds_sync_runs`): `GET /api/runs` with
//! `component`, `lane`, `status` filters and cursor pages, newest first;
//! `GET /api/runs/{id}` with its attempts per outcome.

use serde_json::json;
use tds_core::ids::RunId;
use tds_guest::http::HttpError;
use tds_guest::operator::{self, ListRuns, ShowRun};

use crate::api::{
    cursor_before, db, json_items, limit, page, parse_json, path_id, Answer, ApiResult, Ctx,
};
use crate::cursor::scope;

pub fn list(ctx: &Ctx) -> ApiResult {
    let params = ctx.params(&["component", "lane", "status", "limit", "cursor"])?;
    let component = params.text("component");
    let lane = params.opt_one_of("lane", &["sales", "catalog", "purchases", "inventory"])?;
    let status = params.opt_one_of("status", &["running", "completed", "failed"])?;
    let limit = limit(&params)?;
    let scope = scope(&[
        "runs",
        component.unwrap_or(""),
        lane.unwrap_or(""),
        status.unwrap_or(""),
    ]);
    let before = cursor_before(&params, scope)?;
    let db = db()?;
    let list = ListRuns {
        component,
        lane,
        status,
        before: before.map(RunId),
        limit: limit as u32 + 1,
    };
    let runs = operator::list_runs(&db, &list)?;
    Answer::ok(page(
        json_items(runs.into_iter().map(|r| (r.id.0, r.json)))?,
        limit,
        scope,
    ))
}

pub fn show(ctx: &Ctx, id: &str) -> ApiResult {
    ctx.params(&[])?;
    let id = path_id(id, "run")?;
    let db = db()?;
    let run = operator::show_run(&db, &ShowRun { id: RunId(id) })?
        .ok_or_else(|| HttpError::not_found(format!("no run {id}")))?;
    Answer::ok(json!({"run": parse_json(&run)?}))
}
