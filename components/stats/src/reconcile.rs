//! Reconciliation reports (`tds_reconcile_reports`, written by the reconcile component):
//! `GET /api/reconcile/reports/latest` and `GET /api/reconcile/reports/{id}`. A run is
//! started with `POST /internal/reconcile` (the same bearer token), served by the reconcile
//! component itself: components share only the database.

use serde_json::json;
use tds_core::ids::ReportId;
use tds_guest::http::HttpError;
use tds_guest::reconcile::report::{self, ReportById};

use crate::api::{db, parse_json, path_id, Answer, ApiResult, Ctx};

pub fn latest(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    let db = db()?;
    let text = report::latest_text(&db)?.ok_or_else(|| {
        HttpError::not_found(
            "no reconciliation has run yet; start one with POST /internal/reconcile",
        )
    })?;
    Answer::ok(json!({"report": parse_json(&text)?}))
}

pub fn show(ctx: &Ctx, id: &str) -> ApiResult {
    ctx.params(&[])?;
    let id = path_id(id, "report")?;
    let db = db()?;
    let text = report::text_by_id(&db, &ReportById { id: ReportId(id) })?
        .ok_or_else(|| HttpError::not_found(format!("no reconciliation report {id}")))?;
    Answer::ok(json!({"report": parse_json(&text)?}))
}
