//! `GET /api/history/{module}/{entity_id}`: an entity's change history — its audit trail,
//! newest first, in cursor pages (`limit`, `cursor`). An unknown module is 404; an entity
//! without changes has an empty page.

use tds_core::entity::Module;
use tds_core::ids::AuditId;
use tds_guest::http::HttpError;
use tds_guest::trace::{self, History};

use crate::api::{cursor_before, db, json_items, limit, page, Answer, ApiResult, Ctx};
use crate::cursor::scope;

pub fn get(ctx: &Ctx, module: &str, entity_id: &str) -> ApiResult {
    let params = ctx.params(&["limit", "cursor"])?;
    let module = Module::from_name(module).ok_or_else(|| {
        HttpError::not_found(format!(
            "no module {module:?}; modules are the Zoho modules TDS syncs"
        ))
    })?;
    let limit = limit(&params)?;
    let scope = scope(&["history", module.as_str(), entity_id]);
    let before = cursor_before(&params, scope)?;
    let db = db()?;
    let history = History {
        erp_table: module.spec().erp_table,
        entity_id,
        before: before.map(AuditId),
        limit: limit as u32 + 1,
    };
    let changes = trace::history(&db, &history)?;
    let mut answer = page(
        json_items(changes.into_iter().map(|c| (c.id.0, c.change)))?,
        limit,
        scope,
    );
    answer["module"] = module.as_str().into();
    answer["entity_id"] = entity_id.into();
    Answer::ok(answer)
}
