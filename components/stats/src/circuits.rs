//! Circuit breakers (per lane and per outbound dependency, moved by heal and the
//! processors): `GET /api/circuits`, and `POST /api/circuits/{name}/reset`, which closes
//! one and clears its failure count (an operator's decision that the cause is gone).

use serde_json::json;
use tds_guest::http::HttpError;
use tds_guest::log::Logger;
use tds_guest::operator::{self, ResetCircuit};

use crate::api::{actor, db, only_fields, parse_json, Answer, ApiResult, Ctx};

pub fn list(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    let db = db()?;
    let circuits = operator::list_circuits(&db)?
        .iter()
        .map(|c| parse_json(c))
        .collect::<Result<Vec<_>, _>>()?;
    Answer::ok(json!({"items": circuits}))
}

pub fn reset(ctx: &Ctx, name: &str) -> ApiResult {
    ctx.params(&[])?;
    let body = ctx.body()?;
    only_fields(&body, &["by"])?;
    let by = actor(&body)?;
    let db = db()?;
    let circuit = operator::reset_circuit(&db, &ResetCircuit { name })?
        .ok_or_else(|| HttpError::not_found(format!("no circuit breaker {name:?}")))?;
    Logger::new("stats", &ctx.request_id)
        .info("circuit breaker reset", json!({"circuit": name, "by": by}));
    Answer::ok(json!({"circuit": parse_json(&circuit)?}))
}
