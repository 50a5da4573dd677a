//! Storing a record read from Zoho exactly as intake stores a webhook: the same
//! normalisation (`tds_core::normalize`: entity id, version, content hash, idempotency
//! key), then the inbox event (source `zoho_pull`) and the entity's queue row created or
//! re-pointed by `tds_store::queue::ENQUEUE_OR_REPOINT` — so a record that also came as a
//! webhook is a duplicate, and an older version never replaces a newer queued one. A record
//! without a version of its own (versioned by its receipt time, as items and customer
//! payments are) whose content TDS already holds (its newest inbox event, else its live ERP
//! row) is not stored: the rotating re-read then costs a request and no write. The caller
//! holds the transaction.

use serde_json::{json, Map, Value};
use tds_core::entity::Module;
use tds_core::normalize::{normalize, Delivery};
use tds_core::payload::{Payload, Shape};
use tds_guest::db::{Db, DbError};
use tds_guest::inbox::{self, MarkSuperseded};
use tds_guest::queue::{self, EnqueueOrRepoint};
use tds_guest::reconcile::{self, HeldRecord, InsertPulledEvent, StoredEventByKey};

/// Figures of a batch of stores.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// New events, queued.
    pub queued: u32,
    /// New events; a newer version of the entity was already queued.
    pub superseded: u32,
    /// Already stored (same idempotency key).
    pub duplicates: u32,
    /// Read again without a version of its own, and TDS already holds that content (its
    /// newest event, or the ERP row): not stored (a new receipt-time version would only
    /// rewrite the row).
    pub unchanged: u32,
    /// Already stored, and queued again ([`OnDuplicate::Requeue`]; also counted as queued
    /// or superseded).
    pub requeued: u32,
    /// Not storable as events: why, per record.
    pub invalid: Vec<String>,
}

impl Tally {
    pub fn to_json(&self) -> Value {
        json!({"queued": self.queued, "superseded": self.superseded, "duplicates": self.duplicates,
               "unchanged": self.unchanged,
               "requeued": self.requeued, "invalid": self.invalid})
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

/// How read records are stored: the run's correlation id and the queue rows' attempts.
pub struct StoreAs<'a> {
    pub correlation_id: &'a str,
    pub max_attempts: u32,
}

/// Stores one record inside the caller's transaction, counting it in `tally`. Returns the
/// version the document carries (RFC 3339), when it carries one.
pub fn store_one(
    db: &Db,
    module: Module,
    record: Record,
    on_duplicate: OnDuplicate,
    store: &StoreAs<'_>,
    tally: &mut Tally,
) -> Result<Option<String>, DbError> {
    let StoreAs {
        correlation_id,
        max_attempts,
    } = *store;
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
    let version = event.version.sql_text();
    let Some(entity_id) = event.entity_id.as_ref().filter(|_| event.is_valid()) else {
        tally.invalid.push(event.invalid_reasons.join("; "));
        return Ok(version);
    };
    if on_duplicate == OnDuplicate::Skip && event.version.at.is_none() && record.method == "GET" {
        let held = reconcile::held_content_hash(db, &HeldRecord { module, entity_id })?;
        if held.as_deref() == Some(event.content_hash.as_str()) {
            tally.unchanged += 1;
            return Ok(version);
        }
    }
    let document = Value::Object(payload.document).to_string();
    let inserted = reconcile::insert_pulled_event(
        db,
        &InsertPulledEvent {
            correlation_id,
            module,
            entity_id,
            event: &event,
            document: &document,
        },
    )?;
    let stored = match inserted {
        Some(stored) => stored,
        None if on_duplicate == OnDuplicate::Requeue => {
            let existing = reconcile::stored_event(
                db,
                &StoredEventByKey {
                    key: &event.idempotency_key,
                },
            )?;
            tally.requeued += 1;
            existing
        }
        None => {
            tally.duplicates += 1;
            return Ok(version);
        }
    };
    let enqueue = EnqueueOrRepoint {
        module,
        entity_id,
        operation: event.operation,
        inbox_event_id: stored.id,
        source_modified_at: &stored.source_modified_at,
        max_attempts,
        correlation_id,
    };
    if queue::enqueue_or_repoint(db, &enqueue)?.is_none() {
        inbox::mark_superseded(db, &MarkSuperseded { id: stored.id })?;
        tally.superseded += 1;
    } else {
        tally.queued += 1;
    }
    Ok(version)
}
