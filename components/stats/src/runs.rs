//! Runs (one per processor or heal invocation, `tds_sync_runs`): `GET /api/runs` with
//! `component`, `lane`, `status` filters and cursor pages, newest first;
//! `GET /api/runs/{id}` with its attempts per outcome.

use serde_json::json;
use tds_core::cursor::scope;
use tds_guest::db::param;
use tds_guest::http::HttpError;
use tds_store::operator;

use crate::api::{
    cursor_before, db, id_json_rows, limit, page, parse_json, path_id, Answer, ApiResult, Ctx,
};

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
    let rows = db.query(
        operator::LIST_RUNS,
        &[
            param::opt_text(component),
            param::opt_text(lane),
            param::opt_text(status),
            param::opt_int8(before),
            param::int4(limit as i32 + 1),
        ],
    )?;
    Answer::ok(page(id_json_rows(&rows)?, limit, scope))
}

pub fn show(ctx: &Ctx, id: &str) -> ApiResult {
    ctx.params(&[])?;
    let id = path_id(id, "run")?;
    let db = db()?;
    let rows = db.query(operator::SHOW_RUN, &[param::int8(id)])?;
    let row = rows
        .first()
        .ok_or_else(|| HttpError::not_found(format!("no run {id}")))?;
    Answer::ok(json!({"run": parse_json(&row.text(0)?)?}))
}
