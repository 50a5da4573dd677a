//! The pull, in three steps per run, each within the run's time budget and the day's
//! request budget ([`crate::client`]):
//!
//! 1. **List** ([`list_module`]): the module's listing pass goes on from its cursor, page by
//!    page, every page of Zoho's list with no sort or filter. Each page's rows go into
//!    `tds_zoho_records` with the moved cursor in ONE transaction, so a run stopped
//!    mid-pass resumes at the next page. A pass that reaches the last page forgets the
//!    records it did not show.
//! 2. **Read** ([`read_listed`]): the records whose list row shows a change
//!    (`needs_read`: a newer modification time where the row has one, else a new
//!    fingerprint) are read by id, listed first first, and stored as webhooks are (source
//!    `zoho_pull`), a batch at a time, each batch in one transaction with the records
//!    marked read. What a stop leaves unread waits for the next run, or the next day. A
//!    record whose detail answers 404 was deleted in Zoho after it was listed: it is stored
//!    as a delete and forgotten, and the pull goes on.
//! 3. **Re-read** ([`reread_slice`]): once nothing waits, a rotating slice of the records
//!    whose rows show no modification time (`reconcile_rereads_per_run`, read longest ago
//!    first), since a change to their lines need not show in their list row.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use tds_core::entity::Module;
use tds_core::normalize::EntityId;
use tds_core::time::parse_zoho_timestamp;
use tds_guest::db::Db;
use tds_guest::reconcile::{
    self, CursorName, EndPass, ForgetRecord, ListPage, MarkRead, ReadBatch, RecordRef, RereadBatch,
    SaveCursor,
};
use tds_zoho::api::{detail_url, parse_detail, parse_list};
use tds_zoho::pull::{cursor_name, ListingCursor};

use crate::client::{ApiFailure, Client};
use crate::settings::Settings;
use crate::store::{store_one, OnDuplicate, Record, StoreAs, Tally};

/// Records read and stored per transaction.
const READ_BATCH: u32 = 20;

/// What one module's pull did in this run.
#[derive(Debug, Default)]
pub struct ModulePull {
    /// List pages stored.
    pub pages: u32,
    /// Records those pages showed.
    pub listed: u32,
    /// Records read by id.
    pub read: u32,
    /// Of those, re-read in the rotating slice.
    pub reread: u32,
    /// Records gone from Zoho: answered 404, or not shown by a whole pass.
    pub gone: u32,
    pub tally: Tally,
    /// The listing pass reached its last page in this run.
    pub pass_ended: bool,
    pub cursor: ListingCursor,
    pub errors: Vec<String>,
}

impl ModulePull {
    pub fn to_json(&self, to_read: i64) -> Value {
        json!({"pages": self.pages, "listed": self.listed, "read": self.read, "reread": self.reread,
               "gone": self.gone, "to_read": to_read, "stored": self.tally.to_json(),
               "pass_ended": self.pass_ended, "whole": self.cursor.whole(),
               "complete": self.cursor.caught_up(to_read),
               "cursor": self.cursor, "errors": self.errors})
    }
}

/// The run's pull figures, per module.
pub type Pulls = BTreeMap<Module, ModulePull>;

/// Lists `module` from its cursor until its pass ends or a failure stops it.
pub fn list_module(
    db: &Db,
    client: &mut Client<'_>,
    settings: &Settings,
    module: Module,
    outcome: &mut ModulePull,
) -> Result<(), ApiFailure> {
    let name = cursor_name(module);
    let stored = reconcile::read_cursor(db, &CursorName { name: &name })?;
    let mut cursor = ListingCursor::from_json(stored.as_deref()).started();
    outcome.cursor = cursor.clone();
    let api_url = client.api_url()?;
    let organization_id = client.credentials().organization_id.clone();
    loop {
        if client.out_of_time() {
            return Err(ApiFailure::Budget);
        }
        let request = cursor.request(module, settings.page_size);
        let url = request
            .url(&api_url, &organization_id)
            .map_err(|e| ApiFailure::Rejected(e.to_string()))?;
        let body = client.get(&url)?;
        let page = parse_list(module, &body, request.per_page)
            .map_err(|e| ApiFailure::Rejected(e.to_string()))?;
        let next = cursor.advanced(&page, chrono::Utc::now());
        db.begin()?;
        let stored = reconcile::list_page(
            db,
            &ListPage {
                module,
                pass: cursor.pass,
                ids: page
                    .records
                    .iter()
                    .map(|r| r.id.as_str().to_string())
                    .collect(),
                modified_at: page
                    .records
                    .iter()
                    .map(|r| r.modified_at.as_ref().map(tds_core::time::sql_text))
                    .collect(),
                fingerprints: page.records.iter().map(|r| r.fingerprint.clone()).collect(),
            },
        )?;
        if !next.in_pass {
            let gone = reconcile::end_pass(
                db,
                &EndPass {
                    module,
                    pass: cursor.pass,
                },
            )?;
            outcome.gone += u32::try_from(gone).unwrap_or(u32::MAX);
        }
        reconcile::save_cursor(
            db,
            &SaveCursor {
                name: &name,
                details: &next.to_json(),
            },
        )?;
        db.commit()?;
        outcome.pages += 1;
        outcome.listed += u32::try_from(stored.listed).unwrap_or(u32::MAX);
        outcome
            .tally
            .invalid
            .extend(page.unreadable.iter().cloned());
        cursor = next;
        outcome.cursor = cursor.clone();
        if !cursor.in_pass {
            outcome.pass_ended = true;
            return Ok(());
        }
    }
}

/// Reads what waits to be read in `modules` until nothing does or a failure stops it.
pub fn read_listed(
    db: &Db,
    client: &mut Client<'_>,
    modules: &[Module],
    store: &StoreAs<'_>,
    pulls: &mut Pulls,
) -> Result<(), ApiFailure> {
    loop {
        let batch = reconcile::to_read(
            db,
            &ReadBatch {
                modules,
                limit: READ_BATCH,
            },
        )?;
        if batch.is_empty() {
            return Ok(());
        }
        read_batch(db, client, &batch, store, pulls, false)?;
    }
}

/// Reads the rotating slice of records whose rows show no modification time, at most
/// `limit`; records read in this run (`run_seconds` so far) are left out.
pub fn reread_slice(
    db: &Db,
    client: &mut Client<'_>,
    modules: &[Module],
    (limit, run_seconds): (u32, f64),
    store: &StoreAs<'_>,
    pulls: &mut Pulls,
) -> Result<(), ApiFailure> {
    if limit == 0 {
        return Ok(());
    }
    let reread = RereadBatch {
        batch: ReadBatch { modules, limit },
        run_seconds,
    };
    let batch = reconcile::to_reread(db, &reread)?;
    read_batch(db, client, &batch, store, pulls, true)
}

/// A record as its detail request answered.
pub enum Detail {
    Found(Map<String, Value>),
    /// 404: deleted in Zoho since it was listed.
    Gone,
    /// An answer that is not a record: why.
    Unusable(String),
}

/// Reads `batch`, then stores what was read in one transaction, even when a failure
/// stopped the reading (the failure is returned after).
fn read_batch(
    db: &Db,
    client: &mut Client<'_>,
    batch: &[RecordRef],
    store: &StoreAs<'_>,
    pulls: &mut Pulls,
    reread: bool,
) -> Result<(), ApiFailure> {
    let mut read = Vec::with_capacity(batch.len());
    let mut stop = None;
    for record in batch {
        match read_detail(client, record.module, &record.entity_id) {
            Ok(detail) => read.push((record, detail)),
            Err(failure) => {
                stop = Some(failure);
                break;
            }
        }
    }
    db.begin()?;
    for (record, detail) in read {
        let pull = pulls.entry(record.module).or_default();
        pull.read += 1;
        pull.reread += u32::from(reread);
        match detail {
            Detail::Found(document) => {
                let version = store_one(
                    db,
                    record.module,
                    Record {
                        document,
                        method: "GET",
                    },
                    OnDuplicate::Skip,
                    store,
                    &mut pull.tally,
                )?;
                reconcile::mark_read(
                    db,
                    &MarkRead {
                        module: record.module,
                        entity_id: &record.entity_id,
                        version: version.as_deref(),
                    },
                )?;
            }
            Detail::Gone => {
                store_one(
                    db,
                    record.module,
                    deleted(record.module, &record.entity_id),
                    OnDuplicate::Skip,
                    store,
                    &mut pull.tally,
                )?;
                reconcile::forget_record(
                    db,
                    &ForgetRecord {
                        module: record.module,
                        entity_id: &record.entity_id,
                    },
                )?;
                pull.gone += 1;
            }
            Detail::Unusable(why) => {
                pull.errors
                    .push(format!("{}: {why}", record.entity_id.as_str()));
                reconcile::mark_read(
                    db,
                    &MarkRead {
                        module: record.module,
                        entity_id: &record.entity_id,
                        version: None,
                    },
                )?;
            }
        }
    }
    db.commit()?;
    stop.map_or(Ok(()), Err)
}

/// Reads record `id` of `module` by id: a failure that ends the API work is the error; a
/// missing or unusable record is a [`Detail`].
pub fn read_detail(
    client: &mut Client<'_>,
    module: Module,
    id: &EntityId,
) -> Result<Detail, ApiFailure> {
    let api_url = client.api_url()?;
    let organization_id = client.credentials().organization_id.clone();
    let url = detail_url(&api_url, module, &organization_id, id.as_str())
        .map_err(|e| ApiFailure::Rejected(e.to_string()))?;
    match client.get(&url) {
        Ok(body) => Ok(parse_detail(module, &body)
            .map_or_else(|e| Detail::Unusable(e.to_string()), Detail::Found)),
        Err(ApiFailure::NotFound(_)) => Ok(Detail::Gone),
        Err(ApiFailure::Rejected(why)) => Ok(Detail::Unusable(why)),
        Err(failure) => Err(failure),
    }
}

/// A delete of `id`: a document holding only its id, stored as a `DELETE` (versioned by
/// its receipt time, as Zoho says nothing of when it was deleted).
pub fn deleted(module: Module, id: &EntityId) -> Record {
    Record {
        document: Map::from_iter([(
            module.spec().id_field.to_string(),
            Value::String(id.as_str().to_string()),
        )]),
        method: "DELETE",
    }
}

/// An RFC 3339 time from the database, or `None`.
pub fn db_time(text: Option<String>) -> Option<chrono::DateTime<chrono::Utc>> {
    text.as_deref().and_then(parse_zoho_timestamp)
}
