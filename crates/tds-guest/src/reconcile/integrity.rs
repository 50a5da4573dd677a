//! The integrity checks' candidate facts over the ERP tables, each check listing at most
//! `limit` rows: the store's statements, and those built from the ERP tables' declarations
//! (`tds_erp::integrity`), which cover every module's table.

use tds_erp::integrity;
use tds_store::{reconcile, Statement};

use crate::bind;
use crate::db::{param, Binding, Db, DbError, Rows};

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

/// Prices below zero (`tds_erp::integrity::negative_prices`).
pub fn negative_prices(db: &Db, limit: &FindingLimit) -> Result<Vec<IntegrityFact>, DbError> {
    let sql = integrity::negative_prices();
    built_facts(db, "reconcile::negative_prices", &sql, limit)
}

/// Stock below zero (`reconcile::NEGATIVE_STOCK`).
pub fn negative_stock(db: &Db, limit: &FindingLimit) -> Result<Vec<IntegrityFact>, DbError> {
    let bindings = bind!(reconcile::NEGATIVE_STOCK {
        limit: param::int4(limit.limit)
    });
    facts(db, reconcile::NEGATIVE_STOCK, bindings)
}

/// SKUs several live items share (`reconcile::SHARED_SKUS`).
pub fn shared_skus(db: &Db, limit: &FindingLimit) -> Result<Vec<IntegrityFact>, DbError> {
    let bindings = bind!(reconcile::SHARED_SKUS {
        limit: param::int4(limit.limit)
    });
    facts(db, reconcile::SHARED_SKUS, bindings)
}

/// Rows naming an item the ERP has no live row for
/// (`tds_erp::integrity::unknown_references`).
pub fn unknown_items(db: &Db, limit: &FindingLimit) -> Result<Vec<IntegrityFact>, DbError> {
    let sql = integrity::unknown_references(&tds_erp::items::ITEMS);
    built_facts(db, "reconcile::unknown_items", &sql, limit)
}

/// Rows naming a contact the ERP has no live row for
/// (`tds_erp::integrity::unknown_references`).
pub fn unknown_contacts(db: &Db, limit: &FindingLimit) -> Result<Vec<IntegrityFact>, DbError> {
    let sql = integrity::unknown_references(&tds_erp::contacts::CONTACTS);
    built_facts(db, "reconcile::unknown_contacts", &sql, limit)
}

/// The rows [`not_refreshed`] lists: last written more than `older_than_hours` ago.
pub struct NotRefreshed {
    pub limit: i32,
    pub older_than_hours: f64,
}

/// Live rows not written for long (`reconcile::NOT_REFRESHED`); `value` the hours since.
pub fn not_refreshed(db: &Db, check: &NotRefreshed) -> Result<Vec<IntegrityFact>, DbError> {
    let bindings = bind!(reconcile::NOT_REFRESHED {
        older_than_hours: param::float8(check.older_than_hours),
        limit: param::int4(check.limit),
    });
    facts(db, reconcile::NOT_REFRESHED, bindings)
}

/// The rows a check's statement lists, read by column name.
fn facts(
    db: &Db,
    statement: Statement,
    bindings: impl IntoIterator<Item = Binding>,
) -> Result<Vec<IntegrityFact>, DbError> {
    read(db.query(statement, bindings)?)
}

/// The rows of a check `tds_erp::integrity` built, named `name`: its one parameter (`$1`)
/// is the limit.
fn built_facts(
    db: &Db,
    name: &'static str,
    sql: &str,
    limit: &FindingLimit,
) -> Result<Vec<IntegrityFact>, DbError> {
    read(db.query_built(name, sql, &[param::int4(limit.limit)])?)
}

/// A check's rows, read by column name.
fn read(rows: Rows) -> Result<Vec<IntegrityFact>, DbError> {
    rows.iter()
        .map(|row| {
            Ok(IntegrityFact {
                module: row.text("module")?,
                entity_id: row.text("entity_id")?,
                field: row.text("field")?,
                value: row.opt_text("value")?,
            })
        })
        .collect()
}
