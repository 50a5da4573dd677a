//! Integrity checks over the ERP tables: the database supplies bounded candidate facts
//! (`tds_store::reconcile`), `tds_zoho::integrity` turns them into findings.

use tds_guest::db::{Db, DbError};
use tds_guest::reconcile::integrity::{self as checks, FindingLimit, IntegrityFact, NotRefreshed};
use tds_zoho::integrity::{evaluate, Fact, Facts, Finding};

use crate::settings::Settings;

/// The findings, each check listing at most `finding_limit` rows.
pub fn run(db: &Db, settings: &Settings) -> Result<Vec<Finding>, DbError> {
    let limit = FindingLimit {
        limit: settings.finding_limit,
    };
    let facts = Facts {
        prices: facts_of(checks::negative_prices(db, &limit)?),
        stock: facts_of(checks::negative_stock(db, &limit)?),
        skus: facts_of(checks::shared_skus(db, &limit)?),
        unknown_items: facts_of(checks::unknown_items(db, &limit)?),
        unknown_contacts: facts_of(checks::unknown_contacts(db, &limit)?),
        ages: facts_of(checks::not_refreshed(
            db,
            &NotRefreshed {
                limit: settings.finding_limit,
                older_than_hours: settings.stale_age_hours,
            },
        )?),
    };
    Ok(evaluate(&facts, settings.stale_age_hours))
}

fn facts_of(found: Vec<IntegrityFact>) -> Vec<Fact> {
    found
        .into_iter()
        .map(|fact| Fact {
            module: fact.module,
            entity_id: fact.entity_id,
            field: fact.field,
            value: fact.value.unwrap_or_default(),
        })
        .collect()
}
