//! The integrity checks' candidate facts over the ERP tables, each check listing at most
//! `limit` rows.

use tds_store::{reconcile, Statement};

use crate::db::{param, Db, DbError};

/// How many rows a check lists at most.
pub struct FindingLimit {
    pub limit: i32,
}

/// One row a check found: the field and its value as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityFact {
    pub module: String,
    pub entity_id: String,
    pub field: String,
    pub value: Option<String>,
}

/// Prices below zero (`reconcile::NEGATIVE_PRICES`).
pub fn negative_prices(db: &Db, limit: &FindingLimit) -> Result<Vec<IntegrityFact>, DbError> {
    facts(db, reconcile::NEGATIVE_PRICES, limit, None)
}

/// Stock below zero (`reconcile::NEGATIVE_STOCK`).
pub fn negative_stock(db: &Db, limit: &FindingLimit) -> Result<Vec<IntegrityFact>, DbError> {
    facts(db, reconcile::NEGATIVE_STOCK, limit, None)
}

/// SKUs several live items share (`reconcile::SHARED_SKUS`).
pub fn shared_skus(db: &Db, limit: &FindingLimit) -> Result<Vec<IntegrityFact>, DbError> {
    facts(db, reconcile::SHARED_SKUS, limit, None)
}

/// Lines naming an item the ERP has no live row for (`reconcile::UNKNOWN_ITEMS`).
pub fn unknown_items(db: &Db, limit: &FindingLimit) -> Result<Vec<IntegrityFact>, DbError> {
    facts(db, reconcile::UNKNOWN_ITEMS, limit, None)
}

/// Documents naming a contact the ERP has no live row for (`reconcile::UNKNOWN_CONTACTS`).
pub fn unknown_contacts(db: &Db, limit: &FindingLimit) -> Result<Vec<IntegrityFact>, DbError> {
    facts(db, reconcile::UNKNOWN_CONTACTS, limit, None)
}

/// The rows [`not_refreshed`] lists: last written more than `older_than_hours` ago.
pub struct NotRefreshed {
    pub limit: i32,
    pub older_than_hours: f64,
}

/// Live rows not written for long (`reconcile::NOT_REFRESHED`); `value` the hours since.
pub fn not_refreshed(db: &Db, check: &NotRefreshed) -> Result<Vec<IntegrityFact>, DbError> {
    let limit = FindingLimit { limit: check.limit };
    facts(
        db,
        reconcile::NOT_REFRESHED,
        &limit,
        Some(check.older_than_hours),
    )
}

fn facts(
    db: &Db,
    statement: Statement,
    limit: &FindingLimit,
    hours: Option<f64>,
) -> Result<Vec<IntegrityFact>, DbError> {
    let mut params = vec![param::int4(limit.limit)];
    params.extend(hours.map(param::float8));
    db.query(statement, &params)?
        .iter()
        .map(|row| {
            Ok(IntegrityFact {
                module: row.text(0)?,
                entity_id: row.text(1)?,
                field: row.text(2)?,
                value: row.opt_text(3)?,
            })
        })
        .collect()
}
