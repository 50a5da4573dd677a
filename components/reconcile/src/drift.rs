//! Drift of one module: what the pull's listing last showed of Zoho (`tds_zoho_records`)
//! against the ERP rows and the versions waiting in the queue (`tds_zoho::drift`), at no
//! request's cost. Extra rows are only looked for when the module's listing pass ended in
//! this run, so the listing is all of Zoho's and fresh. With fixes on, the missing and
//! stale records are read by id and queued again (their stored event re-queued when the
//! inbox already has it); an extra one is read by id too, since a record a listing missed
//! is not yet a deleted one: a 404 queues its delete (versioned by the receipt time), an
//! answer queues the record. The processors then apply them.

use serde_json::{json, Value};
use tds_core::entity::Module;
use tds_core::normalize::EntityId;
use tds_guest::db::{Db, DbError};
use tds_guest::reconcile::{self, ForgetRecord, OfModule};
use tds_zoho::drift::{compare, Drift, ErpRow, Queued, ZohoRow};

use crate::client::{ApiFailure, Client};
use crate::pull::{db_time, deleted, read_detail, Detail};
use crate::store::{store_one, OnDuplicate, Record, StoreAs, Tally};

/// One module's drift and what was done about it.
#[derive(Debug)]
pub struct ModuleDrift {
    pub drift: Drift,
    pub listed: usize,
    /// Extra rows were looked for (the listing was whole and fresh).
    pub extra_checked: bool,
    pub fixes: Option<Tally>,
}

impl ModuleDrift {
    /// The report's view: counts, and at most `limit` ids per list.
    pub fn to_json(&self, limit: usize) -> Value {
        let ids = |list: &[String]| json!(list.iter().take(limit).collect::<Vec<_>>());
        json!({
            "listed": self.listed, "matched": self.drift.matched, "extra_checked": self.extra_checked,
            "missing": ids(&self.drift.missing), "extra": ids(&self.drift.extra),
            "stale": ids(&self.drift.stale), "in_flight": ids(&self.drift.in_flight),
            "pending": ids(&self.drift.pending),
            "counts": {"missing": self.drift.missing.len(), "extra": self.drift.extra.len(),
                       "stale": self.drift.stale.len(), "in_flight": self.drift.in_flight.len(),
                       "pending": self.drift.pending.len()},
            "fixes": self.fixes.as_ref().map(Tally::to_json),
        })
    }
}

/// Compares `module` (`whole`: its listing pass ended in this run).
pub fn check_module(db: &Db, module: Module, whole: bool) -> Result<ModuleDrift, DbError> {
    let listed: Vec<ZohoRow> = reconcile::listed_records(db, &OfModule { module })?
        .into_iter()
        .map(|r| ZohoRow {
            id: r.entity_id.as_str().to_string(),
            modified_at: db_time(r.modified_at),
            pending: r.needs_read,
        })
        .collect();
    let mut erp = Vec::new();
    for row in reconcile::erp_rows(db, &OfModule { module })? {
        if let Some(version) = db_time(row.version) {
            erp.push(ErpRow {
                id: row.entity_id.as_str().to_string(),
                version,
                deleted: row.deleted,
            });
        }
    }
    let mut queued = Queued::default();
    for row in reconcile::queued_versions(db, &OfModule { module })? {
        let id = row.entity_id.as_str().to_string();
        if row.deleting {
            queued.deletes.insert(id.clone());
        }
        if let Some(version) = db_time(row.version) {
            queued.upserts.insert(id, version);
        }
    }
    Ok(ModuleDrift {
        drift: compare(&listed, &erp, &queued, whole),
        listed: listed.len(),
        extra_checked: whole,
        fixes: None,
    })
}

/// Reads and queues the fixes of `found`'s differences, storing each as it is read; a
/// failure that ends the API work is returned after what was read is stored.
pub fn fix_module(
    db: &Db,
    client: &mut Client<'_>,
    module: Module,
    found: &mut ModuleDrift,
    store: &StoreAs<'_>,
) -> Result<(), ApiFailure> {
    let drift = &found.drift;
    let ids = drift.missing.iter().chain(&drift.stale).chain(&drift.extra);
    let tally = found.fixes.insert(Tally::default());
    for id in ids {
        let entity_id = EntityId::from_stored(id.clone());
        let (record, gone) = match read_detail(client, module, &entity_id)? {
            Detail::Found(document) => (
                Record {
                    document,
                    method: "GET",
                },
                false,
            ),
            Detail::Gone => (deleted(module, &entity_id), true),
            Detail::Unusable(why) => {
                tally.invalid.push(format!("{id}: {why}"));
                continue;
            }
        };
        db.begin()?;
        store_one(db, module, record, OnDuplicate::Requeue, store, tally)?;
        if gone {
            reconcile::forget_record(
                db,
                &ForgetRecord {
                    module,
                    entity_id: &entity_id,
                },
            )?;
        }
        db.commit()?;
    }
    Ok(())
}
