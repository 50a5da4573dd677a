//! Typed functions beside `tds_store::reconcile`'s statements (see [`crate::queue`]): the
//! records pulled from the Zoho API, the listing and its cursors, the day's requests; the access
//! token ([`token`]), the run's report ([`report`]) and the integrity checks
//! ([`integrity`]).

pub mod integrity;
pub mod report;
pub mod token;

use tds_core::entity::Module;
use tds_core::ids::InboxEventId;
use tds_core::normalize::{EntityId, Event, IdempotencyKey, StoredVersion};
use tds_store::reconcile;

use crate::bind;
use crate::db::{param, Db, DbError, Row};

/// A record read from the API that [`insert_pulled_event`] stores: `event` normalised
/// from `document` (JSON text, also stored as the raw body).
pub struct InsertPulledEvent<'a> {
    pub correlation_id: &'a str,
    pub module: Module,
    pub entity_id: &'a EntityId,
    pub event: &'a Event,
    pub document: &'a str,
}

/// An inbox event as stored: its id and version (the receipt time when it had none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: InboxEventId,
    pub source_modified_at: StoredVersion,
}

/// Stores the record (`reconcile::INSERT_PULLED_EVENT`); `None` when its idempotency key is
/// already stored (a duplicate).
pub fn insert_pulled_event(
    db: &Db,
    insert: &InsertPulledEvent<'_>,
) -> Result<Option<StoredEvent>, DbError> {
    let event = insert.event;
    let rows = db.query(
        reconcile::INSERT_PULLED_EVENT,
        bind!(reconcile::INSERT_PULLED_EVENT {
            correlation_id: param::text(insert.correlation_id),
            module: param::text(insert.module.as_str()),
            entity_id: param::text(insert.entity_id.as_str()),
            operation: param::text(event.operation.as_str()),
            document: param::text(insert.document),
            source_modified_at: param::opt_text(event.version.sql_text()),
            version_source: param::text(event.version.source.as_str()),
            content_hash: param::text(event.content_hash.as_str()),
            idempotency_key: param::text(event.idempotency_key.as_str()),
        }),
    )?;
    rows.first().map(|row| stored_event_of(&row)).transpose()
}

/// The idempotency key [`stored_event`] looks up.
pub struct StoredEventByKey<'a> {
    pub key: &'a IdempotencyKey,
}

/// The stored event holding the key (`reconcile::STORED_EVENT`); fails when there is none.
pub fn stored_event(db: &Db, find: &StoredEventByKey<'_>) -> Result<StoredEvent, DbError> {
    let rows = db.query(
        reconcile::STORED_EVENT,
        bind!(reconcile::STORED_EVENT {
            idempotency_key: param::text(find.key.as_str())
        }),
    )?;
    stored_event_of(&rows.expect_row()?)
}

fn stored_event_of(row: &Row<'_>) -> Result<StoredEvent, DbError> {
    Ok(StoredEvent {
        id: InboxEventId(row.int8("id")?),
        source_modified_at: StoredVersion::from_stored(row.text("source_modified_at")?),
    })
}

/// The pull cursor [`read_cursor`] reads.
pub struct CursorName<'a> {
    pub name: &'a str,
}

/// The run lease [`take_run_lease`] takes for `owner`, for `seconds`.
pub struct RunLease<'a> {
    pub owner: &'a str,
    pub seconds: f64,
}

/// Takes the lease of one reconcile run at a time (`reconcile::TAKE_RUN_LEASE`): `Ok(None)`
/// when taken, else until when another run holds it (RFC 3339, `reconcile::RUN_LEASE`).
pub fn take_run_lease(db: &Db, lease: &RunLease<'_>) -> Result<Option<String>, DbError> {
    let rows = db.query(
        reconcile::TAKE_RUN_LEASE,
        bind!(reconcile::TAKE_RUN_LEASE {
            owner: param::text(lease.owner),
            lease_seconds: param::float8(lease.seconds),
        }),
    )?;
    if !rows.is_empty() {
        return Ok(None);
    }
    let held = db.query(reconcile::RUN_LEASE, bind!(reconcile::RUN_LEASE {}))?;
    let expires_at = held.expect_row()?.opt_text("lease_expires_at")?;
    Ok(Some(expires_at.unwrap_or_default()))
}

/// Gives the run lease back (`reconcile::RELEASE_RUN_LEASE`).
pub fn release_run_lease(db: &Db, owner: &str) -> Result<(), DbError> {
    db.execute(
        reconcile::RELEASE_RUN_LEASE,
        bind!(reconcile::RELEASE_RUN_LEASE {
            owner: param::text(owner)
        }),
    )
    .map(drop)
}

/// The cursor's stored position (`reconcile::READ_CURSOR`), as JSON text; `None` before
/// its first save.
pub fn read_cursor(db: &Db, cursor: &CursorName<'_>) -> Result<Option<String>, DbError> {
    let rows = db.query(
        reconcile::READ_CURSOR,
        bind!(reconcile::READ_CURSOR {
            name: param::text(cursor.name)
        }),
    )?;
    rows.first().map(|row| row.text("details")).transpose()
}

/// A cursor [`save_cursor`] stores: `details` JSON text.
pub struct SaveCursor<'a> {
    pub name: &'a str,
    pub details: &'a str,
}

/// Stores the cursor (`reconcile::SAVE_CURSOR`).
pub fn save_cursor(db: &Db, save: &SaveCursor<'_>) -> Result<(), DbError> {
    db.execute(
        reconcile::SAVE_CURSOR,
        bind!(reconcile::SAVE_CURSOR {
            name: param::text(save.name),
            details: param::text(save.details),
        }),
    )
    .map(drop)
}

/// One listed page [`list_page`] stores: ids, modification times (`None` when the row
/// shows none) and fingerprints, in step.
pub struct ListPage {
    pub module: Module,
    pub pass: u32,
    pub ids: Vec<String>,
    pub modified_at: Vec<Option<String>>,
    pub fingerprints: Vec<String>,
}

/// What [`list_page`] found of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedPage {
    pub listed: i64,
    /// Records of the page now waiting to be read.
    pub to_read: i64,
}

/// Stores the page's rows (`reconcile::LIST_PAGE`).
pub fn list_page(db: &Db, page: &ListPage) -> Result<ListedPage, DbError> {
    let modified_at = page
        .modified_at
        .iter()
        .map(|t| t.clone().unwrap_or_default());
    let rows = db.query(
        reconcile::LIST_PAGE,
        bind!(reconcile::LIST_PAGE {
            ids: param::text_array(page.ids.iter().cloned()),
            modified_at: param::text_array(modified_at),
            fingerprints: param::text_array(page.fingerprints.iter().cloned()),
            module: param::text(page.module.as_str()),
            pass: param::uint4(page.pass),
        }),
    )?;
    let row = rows.expect_row()?;
    Ok(ListedPage {
        listed: row.int8("listed")?,
        to_read: row.int8("to_read")?,
    })
}

/// The listing pass [`end_pass`] ends.
pub struct EndPass {
    pub module: Module,
    pub pass: u32,
}

/// Forgets the records the whole pass did not show (`reconcile::END_PASS`): how many.
pub fn end_pass(db: &Db, end: &EndPass) -> Result<i64, DbError> {
    let rows = db.query(
        reconcile::END_PASS,
        bind!(reconcile::END_PASS {
            module: param::text(end.module.as_str()),
            pass: param::uint4(end.pass),
        }),
    )?;
    rows.expect_row()?.int8("gone")
}

/// The modules and the most records [`to_read`] (or [`to_reread`]) returns.
pub struct ReadBatch<'a> {
    pub modules: &'a [Module],
    pub limit: u32,
}

/// A record of a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRef {
    pub module: Module,
    pub entity_id: EntityId,
}

fn record_refs(rows: &crate::db::Rows) -> Result<Vec<RecordRef>, DbError> {
    rows.iter()
        .map(|row| {
            let name = row.text("module")?;
            let module = Module::from_name(&name)
                .ok_or_else(|| row.invalid(format!("unknown module {name:?}")))?;
            Ok(RecordRef {
                module,
                entity_id: EntityId::from_stored(row.text("entity_id")?),
            })
        })
        .collect()
}

fn module_names(modules: &[Module]) -> spin_sdk::pg4::ParameterValue {
    param::text_array(modules.iter().map(|m| m.as_str()))
}

/// Records waiting to be read, listed first first (`reconcile::TO_READ`).
pub fn to_read(db: &Db, batch: &ReadBatch<'_>) -> Result<Vec<RecordRef>, DbError> {
    let rows = db.query(
        reconcile::TO_READ,
        bind!(reconcile::TO_READ {
            modules: module_names(batch.modules),
            limit: param::uint4(batch.limit),
        }),
    )?;
    record_refs(&rows)
}

/// The rotating re-read [`to_reread`] takes: `batch`, less what was read in the last
/// `run_seconds` (the run so far).
pub struct RereadBatch<'a> {
    pub batch: ReadBatch<'a>,
    pub run_seconds: f64,
}

/// Records without a listed modification time and not read in this run, read longest ago
/// first (`reconcile::TO_REREAD`).
pub fn to_reread(db: &Db, reread: &RereadBatch<'_>) -> Result<Vec<RecordRef>, DbError> {
    let rows = db.query(
        reconcile::TO_REREAD,
        bind!(reconcile::TO_REREAD {
            modules: module_names(reread.batch.modules),
            run_seconds: param::float8(reread.run_seconds),
            limit: param::uint4(reread.batch.limit),
        }),
    )?;
    record_refs(&rows)
}

/// A record [`mark_read`] marks: `version` the document's (RFC 3339), when it has one.
pub struct MarkRead<'a> {
    pub module: Module,
    pub entity_id: &'a EntityId,
    pub version: Option<&'a str>,
}

/// The record was read (`reconcile::MARK_READ`).
pub fn mark_read(db: &Db, read: &MarkRead<'_>) -> Result<(), DbError> {
    db.execute(
        reconcile::MARK_READ,
        bind!(reconcile::MARK_READ {
            version: param::text(read.version.unwrap_or_default()),
            module: param::text(read.module.as_str()),
            entity_id: param::text(read.entity_id.as_str()),
        }),
    )
    .map(drop)
}

/// The record [`forget_record`] forgets.
pub struct ForgetRecord<'a> {
    pub module: Module,
    pub entity_id: &'a EntityId,
}

/// The record is gone from Zoho (`reconcile::FORGET_RECORD`).
pub fn forget_record(db: &Db, forget: &ForgetRecord<'_>) -> Result<(), DbError> {
    db.execute(
        reconcile::FORGET_RECORD,
        bind!(reconcile::FORGET_RECORD {
            module: param::text(forget.module.as_str()),
            entity_id: param::text(forget.entity_id.as_str()),
        }),
    )
    .map(drop)
}

/// A record as the listing last showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRecord {
    pub entity_id: EntityId,
    /// Text, as stored; `None` when the row showed no time.
    pub modified_at: Option<String>,
    pub needs_read: bool,
}

/// What the listing last showed of the module (`reconcile::LISTED_RECORDS`).
pub fn listed_records(db: &Db, of: &OfModule) -> Result<Vec<ListedRecord>, DbError> {
    let rows = db.query(
        reconcile::LISTED_RECORDS,
        bind!(reconcile::LISTED_RECORDS {
            module: param::text(of.module.as_str())
        }),
    )?;
    rows.iter()
        .map(|row| {
            Ok(ListedRecord {
                entity_id: EntityId::from_stored(row.text("entity_id")?),
                modified_at: row.opt_text("modified_at")?,
                needs_read: row.boolean("needs_read")?,
            })
        })
        .collect()
}

/// Today's budget [`spend_request`] spends from.
pub struct SpendRequest {
    pub budget: u32,
}

/// Spends one request of today's budget (`reconcile::SPEND_REQUEST`): the requests spent
/// today, this one included, or `None` when the budget is spent (the refusal is counted,
/// `reconcile::REFUSE_REQUEST`).
pub fn spend_request(db: &Db, spend: &SpendRequest) -> Result<Option<i32>, DbError> {
    let rows = db.query(
        reconcile::SPEND_REQUEST,
        bind!(reconcile::SPEND_REQUEST {
            budget: param::uint4(spend.budget)
        }),
    )?;
    match rows.first() {
        Some(row) => Ok(Some(row.int4("requests")?)),
        None => {
            db.execute(
                reconcile::REFUSE_REQUEST,
                bind!(reconcile::REFUSE_REQUEST {}),
            )?;
            Ok(None)
        }
    }
}

/// Today's (UTC) request figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestsToday {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub requests: i32,
    pub refused: i32,
}

/// Today's request figures (`reconcile::REQUESTS_TODAY`).
pub fn requests_today(db: &Db) -> Result<RequestsToday, DbError> {
    let rows = db.query(
        reconcile::REQUESTS_TODAY,
        bind!(reconcile::REQUESTS_TODAY {}),
    )?;
    let row = rows.expect_row()?;
    Ok(RequestsToday {
        day: row.text("day")?,
        requests: row.int4("requests")?,
        refused: row.int4("refused")?,
    })
}

/// One module's listing progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleProgress {
    /// The module's name as stored (a module no longer configured is still shown).
    pub module: String,
    pub listed: i64,
    pub to_read: i64,
    /// The listing cursor, JSON text.
    pub cursor: String,
}

/// Every listed module's progress (`reconcile::PULL_PROGRESS`).
pub fn pull_progress(db: &Db) -> Result<Vec<ModuleProgress>, DbError> {
    let rows = db.query(reconcile::PULL_PROGRESS, bind!(reconcile::PULL_PROGRESS {}))?;
    rows.iter()
        .map(|row| {
            Ok(ModuleProgress {
                module: row.text("module")?,
                listed: row.int8("listed")?,
                to_read: row.int8("to_read")?,
                cursor: row.text("cursor")?,
            })
        })
        .collect()
}

/// The record [`held_content_hash`] looks at.
pub struct HeldRecord<'a> {
    pub module: Module,
    pub entity_id: &'a EntityId,
}

/// The hash of the content TDS holds of the record (`reconcile::HELD_CONTENT_HASH`);
/// `None` when it holds none.
pub fn held_content_hash(db: &Db, record: &HeldRecord<'_>) -> Result<Option<String>, DbError> {
    let rows = db.query(
        reconcile::HELD_CONTENT_HASH,
        bind!(reconcile::HELD_CONTENT_HASH {
            module: param::text(record.module.as_str()),
            entity_id: param::text(record.entity_id.as_str()),
        }),
    )?;
    rows.expect_row()?.opt_text("content_hash")
}

/// The module whose rows [`erp_rows`] or [`queued_versions`] lists.
pub struct OfModule {
    pub module: Module,
}

/// An ERP header row of the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErpRow {
    pub entity_id: EntityId,
    /// Text, as stored; `None` when the row has none.
    pub version: Option<String>,
    pub deleted: bool,
}

/// Every ERP header row of the module (`reconcile::ERP_ROWS`).
pub fn erp_rows(db: &Db, of: &OfModule) -> Result<Vec<ErpRow>, DbError> {
    let rows = db.query(
        reconcile::ERP_ROWS,
        bind!(reconcile::ERP_ROWS {
            module: param::text(of.module.as_str())
        }),
    )?;
    rows.iter()
        .map(|row| {
            Ok(ErpRow {
                entity_id: EntityId::from_stored(row.text("entity_id")?),
                version: row.opt_text("version")?,
                deleted: row.boolean("deleted")?,
            })
        })
        .collect()
}

/// What waits in the queue for an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedVersion {
    pub entity_id: EntityId,
    /// The newest upsert's version, text, as stored; `None` when only a delete waits.
    pub version: Option<String>,
    /// A delete waits.
    pub deleting: bool,
}

/// What waits in the queue per entity of the module (`reconcile::QUEUED_VERSIONS`).
pub fn queued_versions(db: &Db, of: &OfModule) -> Result<Vec<QueuedVersion>, DbError> {
    let rows = db.query(
        reconcile::QUEUED_VERSIONS,
        bind!(reconcile::QUEUED_VERSIONS {
            module: param::text(of.module.as_str())
        }),
    )?;
    rows.iter()
        .map(|row| {
            Ok(QueuedVersion {
                entity_id: EntityId::from_stored(row.text("entity_id")?),
                version: row.opt_text("version")?,
                deleting: row.boolean("deleting")?,
            })
        })
        .collect()
}
