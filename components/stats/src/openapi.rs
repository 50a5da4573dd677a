//! `GET /openapi.json` (public): the OpenAPI 3.1 description of every route, kept in
//! `assets/openapi.json` and built into the component. The integration tests validate it
//! and call every route it documents, checking each answer against its schema.

use crate::api::{Answer, ApiResult, Ctx};

const DOCUMENT: &str = include_str!("../assets/openapi.json");

pub fn get(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    Ok(Answer::Static {
        content_type: "application/json",
        body: DOCUMENT.to_string(),
    })
}
