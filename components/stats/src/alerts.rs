//! Alerts (opened and resolved by heal): `GET /api/alerts?status=active|open|acknowledged|resolved|all`
//! (default `active`: open or acknowledged), `severity`, `kind`, cursor pages; and
//! `POST /api/alerts/{id}/acknowledge` (body `{"by": …}` optional). Acknowledging an
//! acknowledged alert answers it unchanged; a resolved one is 409.

use serde_json::json;
use tds_core::ids::AlertId;
use tds_guest::http::HttpError;
use tds_guest::operator::{self, AcknowledgeAlert, ListAlerts, ShowAlert};

use crate::api::{
    actor, cursor_before, db, json_items, limit, only_fields, page, parse_json, path_id, Answer,
    ApiResult, Ctx,
};
use crate::cursor::scope;

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
    let list = ListAlerts {
        status,
        severity,
        kind,
        before: before.map(AlertId),
        limit: limit as u32 + 1,
    };
    let alerts = operator::list_alerts(&db, &list)?;
    Answer::ok(page(
        json_items(alerts.into_iter().map(|a| (a.id.0, a.json)))?,
        limit,
        scope,
    ))
}

pub fn acknowledge(ctx: &Ctx, id: &str) -> ApiResult {
    ctx.params(&[])?;
    let id = path_id(id, "alert")?;
    let body = ctx.body()?;
    only_fields(&body, &["by"])?;
    let by = actor(&body)?;
    let db = db()?;
    let acknowledge = AcknowledgeAlert {
        id: AlertId(id),
        by: &by,
    };
    if let Some(alert) = operator::acknowledge_alert(&db, &acknowledge)? {
        return Answer::ok(json!({"alert": parse_json(&alert)?}));
    }
    let current = operator::show_alert(&db, &ShowAlert { id: AlertId(id) })?
        .ok_or_else(|| HttpError::not_found(format!("no alert {id}")))?;
    match current.status.as_str() {
        "resolved" => Err(HttpError::conflict(
            "alert_resolved",
            format!("alert {id} is already resolved"),
        )),
        _ => Answer::ok(json!({"alert": parse_json(&current.alert)?})),
    }
}
