//! Alerts (opened and resolved by heal): `GET /api/alerts?status=active|open|acknowledged|resolved|all`
//! (default `active`: open or acknowledged), `severity`, `kind`, cursor pages; and
//! `POST /api/alerts/{id}/acknowledge` (body `{"by": …}` optional). Acknowledging an
//! acknowledged alert answers it unchanged; a resolved one is 409.

use serde_json::json;
use tds_core::cursor::scope;
use tds_guest::db::param;
use tds_guest::http::HttpError;
use tds_store::operator;

use crate::api::{
    actor, cursor_before, db, id_json_rows, limit, only_fields, page, parse_json, path_id, Answer,
    ApiResult, Ctx,
};

pub fn list(ctx: &Ctx) -> ApiResult {
    let params = ctx.params(&["status", "severity", "kind", "limit", "cursor"])?;
    let status = params.one_of(
        "status",
        &["active", "open", "acknowledged", "resolved", "all"],
        "active",
    )?;
    let severity = params.opt_one_of("severity", &["info", "warning", "critical"])?;
    let kind = params.text("kind");
    let limit = limit(&params)?;
    let scope = scope(&["alerts", status, severity.unwrap_or(""), kind.unwrap_or("")]);
    let before = cursor_before(&params, scope)?;
    let db = db()?;
    let rows = db.query(
        operator::LIST_ALERTS,
        &[
            param::text(status),
            param::opt_text(severity),
            param::opt_text(kind),
            param::opt_int8(before),
            param::int4(limit as i32 + 1),
        ],
    )?;
    Answer::ok(page(id_json_rows(&rows)?, limit, scope))
}

pub fn acknowledge(ctx: &Ctx, id: &str) -> ApiResult {
    ctx.params(&[])?;
    let id = path_id(id, "alert")?;
    let body = ctx.body()?;
    only_fields(&body, &["by"])?;
    let by = actor(&body)?;
    let db = db()?;
    let rows = db.query(
        operator::ACKNOWLEDGE_ALERT,
        &[param::int8(id), param::text(&by)],
    )?;
    if let Some(row) = rows.first() {
        return Answer::ok(json!({"alert": parse_json(&row.text(0)?)?}));
    }
    let current = db.query(operator::SHOW_ALERT, &[param::int8(id)])?;
    let row = current
        .first()
        .ok_or_else(|| HttpError::not_found(format!("no alert {id}")))?;
    match row.text(0)?.as_str() {
        "resolved" => Err(HttpError::conflict(
            "alert_resolved",
            format!("alert {id} is already resolved"),
        )),
        _ => Answer::ok(json!({"alert": parse_json(&row.text(1)?)?})),
    }
}
