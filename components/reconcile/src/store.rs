//! Storing a record read from Zoho exactly as intake stores a webhook: the same
//! normalisation (`tds_core::normalize`: entity id, version, content hash, idempotency
//! key), then the inbox event (source `zoho_pull`) and the entity's queue row created or
//! re-pointed by `tds_store::queue::ENQUEUE_OR_REPOINT` — so a record that also came as a
//! webhook is a duplicate, and an older version never replaces a newer queued one. The
//! caller holds the transaction.

use serde_json::{json, Map, Value};
use tds_core::entity::Module;
use tds_core::ids::InboxEventId;
use tds_core::normalize::{normalize, Delivery, StoredVersion};
use tds_core::payload::{Payload, Shape};
use tds_guest::db::{param, Db, DbError};
use tds_guest::inbox::{self, MarkSuperseded};
use tds_guest::queue::{self, EnqueueOrRepoint};
use tds_store::reconcile;

/// Figures of a batch of stores.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// New events, queued.
    pub queued: u32,
    /// New events; a newer version of the entity was already queued.
    pub superseded: u32,
    /// Already stored (same idempotency key).
    pub duplicates: u32,
    /// Already stored, and queued again ([`OnDuplicate::Requeue`]; also counted as queued
    /// or superseded).
    pub requeued: u32,
    /// Not storable as events: why, per record.
    pub invalid: Vec<String>,
}

impl Tally {
    pub fn to_json(&self) -> Value {
        json!({"queued": self.queued, "superseded": self.superseded, "duplicates": self.duplicates,
               "requeued": self.requeued, "invalid": self.invalid})
    }

    pub fn add(&mut self, other: &Tally) {
        self.queued += other.queued;
        self.superseded += other.superseded;
        self.duplicates += other.duplicates;
        self.requeued += other.requeued;
        self.invalid.extend(other.invalid.iter().cloned());
    }
}

/// One record to store: the document and the method it stands for (`GET` an upsert,
/// `DELETE` a delete).
pub struct Record {
    pub document: Map<String, Value>,
    pub method: &'static str,
}

/// What to do with a record whose event is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// Nothing: the webhook rule (a redelivery is a duplicate).
    Skip,
    /// Queue the stored event again (a drift fix: the ERP lacks what the inbox holds, e.g.
    /// a row lost or an event dead-lettered), newest version still winning.
    Requeue,
}

/// Stores `records` of `module` inside the caller's transaction.
pub fn store_all(
    db: &Db,
    module: Module,
    records: Vec<Record>,
    on_duplicate: OnDuplicate,
    correlation_id: &str,
    max_attempts: i32,
) -> Result<Tally, DbError> {
    let mut tally = Tally::default();
    for record in records {
        let payload = Payload {
            module,
            document: record.document,
            shape: Shape::Bare,
            operation_hint: None,
        };
        let event = normalize(
            &payload,
            &Delivery {
                method: record.method,
                query: &[],
                operation_header: None,
            },
        );
        let Some(entity_id) = event.entity_id.as_ref().filter(|_| event.is_valid()) else {
            tally.invalid.push(event.invalid_reasons.join("; "));
            continue;
        };
        let document = Value::Object(payload.document).to_string();
        let inserted = db.query(
            reconcile::INSERT_PULLED_EVENT,
            &[
                param::text(correlation_id),
                param::text(module.as_str()),
                param::text(entity_id.as_str()),
                param::text(event.operation.as_str()),
                param::bytea(document.clone().into_bytes()),
                param::text(document),
                param::opt_text(event.version.sql_text()),
                param::text(event.version.source.as_str()),
                param::text(event.content_hash.as_str()),
                param::text(event.idempotency_key.as_str()),
            ],
        )?;
        let (event_id, version) = match inserted.first() {
            Some(row) => (row.int8(0)?, row.text(1)?),
            None if on_duplicate == OnDuplicate::Requeue => {
                let existing = db.query(
                    reconcile::STORED_EVENT,
                    &[param::text(event.idempotency_key.as_str())],
                )?;
                let row = existing.expect_row()?;
                tally.requeued += 1;
                (row.int8(0)?, row.text(1)?)
            }
            None => {
                tally.duplicates += 1;
                continue;
            }
        };
        let (event_id, version) = (InboxEventId(event_id), StoredVersion::from_stored(version));
        let enqueue = EnqueueOrRepoint {
            module,
            entity_id,
            operation: event.operation,
            inbox_event_id: event_id,
            source_modified_at: &version,
            max_attempts: max_attempts.unsigned_abs(),
            correlation_id,
        };
        if queue::enqueue_or_repoint(db, &enqueue)?.is_none() {
            inbox::mark_superseded(db, &MarkSuperseded { id: event_id })?;
            tally.superseded += 1;
        } else {
            tally.queued += 1;
        }
    }
    Ok(tally)
}
