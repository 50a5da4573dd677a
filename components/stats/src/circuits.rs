//! Circuit breakers (per lane and per outbound dependency, moved by heal and the
//! processors): `GET /api/circuits`, and `POST /api/circuits/{name}/reset`, which closes
//! one and clears its failure count (an operator's decision that the cause is gone).

use serde_json::json;
use tds_guest::db::param;
use tds_guest::http::HttpError;
use tds_guest::log::Logger;
use tds_store::operator;

use crate::api::{actor, db, json_column, only_fields, parse_json, Answer, ApiResult, Ctx};

pub fn list(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    let db = db()?;
    let circuits = json_column(&db.query(operator::LIST_CIRCUITS, &[])?, 0)?;
    Answer::ok(json!({"items": circuits}))
}

pub fn reset(ctx: &Ctx, name: &str) -> ApiResult {
    ctx.params(&[])?;
    let body = ctx.body()?;
    only_fields(&body, &["by"])?;
    let by = actor(&body)?;
    let db = db()?;
    let rows = db.query(operator::RESET_CIRCUIT, &[param::text(name)])?;
    let row = rows
        .first()
        .ok_or_else(|| HttpError::not_found(format!("no circuit breaker {name:?}")))?;
    Logger::new("stats", &ctx.request_id)
        .info("circuit breaker reset", json!({"circuit": name, "by": by}));
    Answer::ok(json!({"circuit": parse_json(&row.text(0)?)?}))
}
