//! Typed functions beside `tds_store::reconcile`'s statements (see [`crate::queue`]): the
//! records pulled from the Zoho API, their cursors and the versions TDS knows; the access
//! token ([`token`]), the run's report ([`report`]) and the integrity checks
//! ([`integrity`]).

pub mod integrity;
pub mod report;
pub mod token;

use tds_core::entity::Module;
use tds_core::ids::InboxEventId;
use tds_core::normalize::{EntityId, Event, IdempotencyKey, StoredVersion};
use tds_store::reconcile;

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
        &[
            param::text(insert.correlation_id),
            param::text(insert.module.as_str()),
            param::text(insert.entity_id.as_str()),
            param::text(event.operation.as_str()),
            param::bytea(insert.document.as_bytes().to_vec()),
            param::text(insert.document),
            param::opt_text(event.version.sql_text()),
            param::text(event.version.source.as_str()),
            param::text(event.content_hash.as_str()),
            param::text(event.idempotency_key.as_str()),
        ],
    )?;
    rows.first().map(|row| stored_event_of(&row)).transpose()
}

/// The idempotency key [`stored_event`] looks up.
pub struct StoredEventByKey<'a> {
    pub key: &'a IdempotencyKey,
}

/// The stored event holding the key (`reconcile::STORED_EVENT`); fails when there is none.
pub fn stored_event(db: &Db, find: &StoredEventByKey<'_>) -> Result<StoredEvent, DbError> {
    let rows = db.query(reconcile::STORED_EVENT, &[param::text(find.key.as_str())])?;
    stored_event_of(&rows.expect_row()?)
}

fn stored_event_of(row: &Row<'_>) -> Result<StoredEvent, DbError> {
    Ok(StoredEvent {
        id: InboxEventId(row.int8(0)?),
        source_modified_at: StoredVersion::from_stored(row.text(1)?),
    })
}

/// The pull cursor [`read_cursor`] reads.
pub struct CursorName<'a> {
    pub name: &'a str,
}

/// The cursor's stored position (`reconcile::READ_CURSOR`), as JSON text; `None` before
/// its first save.
pub fn read_cursor(db: &Db, cursor: &CursorName<'_>) -> Result<Option<String>, DbError> {
    let rows = db.query(reconcile::READ_CURSOR, &[param::text(cursor.name)])?;
    rows.first().map(|row| row.text(0)).transpose()
}

/// A cursor [`save_cursor`] stores: `high_water` as RFC 3339 text, `details` JSON text.
pub struct SaveCursor<'a> {
    pub name: &'a str,
    pub high_water: Option<&'a str>,
    pub details: &'a str,
}

/// Stores the cursor (`reconcile::SAVE_CURSOR`).
pub fn save_cursor(db: &Db, save: &SaveCursor<'_>) -> Result<(), DbError> {
    db.execute(
        reconcile::SAVE_CURSOR,
        &[
            param::text(save.name),
            param::opt_text(save.high_water),
            param::text(save.details),
        ],
    )
    .map(drop)
}

/// The records of `module` whose versions [`known_versions`] looks up.
pub struct KnownVersions<'a> {
    pub module: Module,
    pub ids: &'a [String],
}

/// The versions TDS holds of one record (text, as stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownVersion {
    pub entity_id: EntityId,
    /// The live ERP row's version.
    pub erp_version: Option<String>,
    /// The newest version waiting in the queue.
    pub queued_version: Option<String>,
}

/// The versions held of the records (`reconcile::KNOWN_VERSIONS`).
pub fn known_versions(db: &Db, known: &KnownVersions<'_>) -> Result<Vec<KnownVersion>, DbError> {
    let rows = db.query(
        reconcile::KNOWN_VERSIONS,
        &[
            param::text(known.module.as_str()),
            param::text_array(known.ids.iter().cloned()),
        ],
    )?;
    rows.iter()
        .map(|row| {
            Ok(KnownVersion {
                entity_id: EntityId::from_stored(row.text(0)?),
                erp_version: row.opt_text(1)?,
                queued_version: row.opt_text(2)?,
            })
        })
        .collect()
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
    let rows = db.query(reconcile::ERP_ROWS, &[param::text(of.module.as_str())])?;
    rows.iter()
        .map(|row| {
            Ok(ErpRow {
                entity_id: EntityId::from_stored(row.text(0)?),
                version: row.opt_text(1)?,
                deleted: row.boolean(2)?,
            })
        })
        .collect()
}

/// The newest version of an entity waiting in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedVersion {
    pub entity_id: EntityId,
    /// Text, as stored.
    pub version: Option<String>,
}

/// The newest queued version per entity of the module (`reconcile::QUEUED_VERSIONS`).
pub fn queued_versions(db: &Db, of: &OfModule) -> Result<Vec<QueuedVersion>, DbError> {
    let rows = db.query(
        reconcile::QUEUED_VERSIONS,
        &[param::text(of.module.as_str())],
    )?;
    rows.iter()
        .map(|row| {
            Ok(QueuedVersion {
                entity_id: EntityId::from_stored(row.text(0)?),
                version: row.opt_text(1)?,
            })
        })
        .collect()
}
