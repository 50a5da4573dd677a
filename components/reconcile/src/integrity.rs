//! Integrity checks over the ERP tables: the database supplies bounded candidate facts
//! (`tds_store::reconcile`), `tds_zoho::integrity` turns them into findings.

use tds_guest::db::{param, Db, DbError};
use tds_store::{reconcile, Statement};
use tds_zoho::integrity::{evaluate, Fact, Facts, Finding};

use crate::settings::Settings;

/// The findings, each check listing at most `finding_limit` rows.
pub fn run(db: &Db, settings: &Settings) -> Result<Vec<Finding>, DbError> {
    let limit = param::int4(settings.finding_limit);
    let facts_of = |statement: Statement, extra: Option<f64>| -> Result<Vec<Fact>, DbError> {
        let mut params = vec![limit.clone()];
        params.extend(extra.map(param::float8));
        db.query(statement, &params)?
            .iter()
            .map(|row| {
                Ok(Fact {
                    module: row.text(0)?,
                    entity_id: row.text(1)?,
                    field: row.text(2)?,
                    value: row.opt_text(3)?.unwrap_or_default(),
                })
            })
            .collect()
    };
    let facts = Facts {
        prices: facts_of(reconcile::NEGATIVE_PRICES, None)?,
        stock: facts_of(reconcile::NEGATIVE_STOCK, None)?,
        skus: facts_of(reconcile::SHARED_SKUS, None)?,
        unknown_items: facts_of(reconcile::UNKNOWN_ITEMS, None)?,
        unknown_contacts: facts_of(reconcile::UNKNOWN_CONTACTS, None)?,
        ages: facts_of(reconcile::NOT_REFRESHED, Some(settings.stale_age_hours))?,
    };
    Ok(evaluate(&facts, settings.stale_age_hours))
}
