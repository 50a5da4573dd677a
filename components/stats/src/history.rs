//! `GET /api/history/{module}/{entity_id}`: an entity's change history — its audit trail,
//! newest first, in cursor pages (`limit`, `cursor`). An unknown module is 404; an entity
//! without changes has an empty page.

use tds_core::cursor::scope;
use tds_core::entity::Module;
use tds_guest::db::param;
use tds_guest::http::HttpError;
use tds_store::trace;

use crate::api::{cursor_before, db, id_json_rows, limit, page, Answer, ApiResult, Ctx};

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
    let rows = db.query(
        trace::HISTORY,
        &[
            param::text(module.spec().erp_table),
            param::text(entity_id),
            param::opt_int8(before),
            param::int4(limit as i32 + 1),
        ],
    )?;
    let mut answer = page(id_json_rows(&rows)?, limit, scope);
    answer["module"] = module.as_str().into();
    answer["entity_id"] = entity_id.into();
    Answer::ok(answer)
}
