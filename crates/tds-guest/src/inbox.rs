//! Typed functions beside `tds_store::inbox`'s statements (see [`crate::queue`]): storing
//! a delivery as intake normalised it, finding a duplicate, dead-lettering an invalid event,
//! counting outcomes, and reading claimed events' documents.

use serde_json::{Map, Value};
use spin_sdk::pg4::ParameterValue;
use tds_core::credential::CredentialRef;
use tds_core::entity::Module;
use tds_core::ids::{DeadLetterId, InboxEventId, QueueId};
use tds_core::normalize::{ContentHash, EntityId, Event, IdempotencyKey, Operation, StoredVersion};
use tds_core::payload::Payload;
use tds_store::inbox;

use crate::bind;
use crate::db::{param, Db, DbError};

/// One delivery as [`insert_event`] stores it: the event normalised from `payload`, and the
/// request it came in (`headers` already redacted; `raw_body` only for an invalid event,
/// the one kind whose raw body is kept).
pub struct InsertEvent<'a> {
    pub correlation_id: &'a str,
    pub event: &'a Event,
    pub http_method: &'a str,
    pub content_type: Option<&'a str>,
    pub payload: &'a Payload,
    pub raw_body: Option<&'a [u8]>,
    pub headers: &'a Map<String, Value>,
}

/// An event [`insert_event`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertedEvent {
    pub id: InboxEventId,
    /// The event's version as stored (the receipt time when the document has none).
    pub source_modified_at: StoredVersion,
}

/// Stores the delivery (`inbox::INSERT_EVENT`) as `accepted`, or `invalid` with the event's
/// reasons; `None` when its idempotency key is already stored (a duplicate).
pub fn insert_event(db: &Db, insert: &InsertEvent<'_>) -> Result<Option<InsertedEvent>, DbError> {
    let status = if insert.event.is_valid() {
        "accepted"
    } else {
        "invalid"
    };
    let v = EventValues::of(insert);
    let rows = db.query(
        inbox::INSERT_EVENT,
        bind!(inbox::INSERT_EVENT {
            correlation_id: v.correlation_id,
            module: v.module,
            entity_id: v.entity_id,
            operation: v.operation,
            http_method: v.http_method,
            content_type: v.content_type,
            payload_shape: v.payload_shape,
            raw_body: param::opt_bytea(insert.raw_body),
            document: v.document,
            headers: v.headers,
            source_modified_at: v.source_modified_at,
            version_source: v.version_source,
            content_hash: v.content_hash,
            idempotency_key: v.idempotency_key,
            status: param::text(status),
            invalid_reasons: v.invalid_reasons,
        }),
    )?;
    rows.first()
        .map(|row| {
            Ok(InsertedEvent {
                id: InboxEventId(row.int8("id")?),
                source_modified_at: StoredVersion::from_stored(row.text("source_modified_at")?),
            })
        })
        .transpose()
}

/// A valid event with an entity id, as [`store_and_queue`] stores and queues it.
pub struct StoreAndQueue<'a> {
    pub insert: InsertEvent<'a>,
    /// The queue row's `max_attempts`.
    pub max_attempts: u32,
    /// The configured secret or key that proved the delivery, counted with its outcome.
    pub credential: CredentialRef,
}

/// What [`store_and_queue`] did with a new event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAndQueued {
    pub event: InsertedEvent,
    /// The entity's unclaimed row now pointing at the event; `None` when the queued
    /// version is newer (the event is superseded, and counted so).
    pub queue_id: Option<QueueId>,
    /// Whether the statement stored the event as `superseded`: the entity's unclaimed row,
    /// locked before the insert, was newer.
    pub stored_superseded: bool,
}

impl StoredAndQueued {
    /// Superseded but stored as `accepted`: not queued, though no newer row was there when
    /// the statement locked it, so another delivery queued one while the statement ran;
    /// mark it ([`mark_superseded`]).
    pub fn unmarked(&self) -> bool {
        self.queue_id.is_none() && !self.stored_superseded
    }
}

/// Stores, queues and counts a valid event in one statement committed on its own
/// (`inbox::STORE_AND_QUEUE`); `None` when its idempotency key is already stored (a
/// duplicate, stored and counted nothing).
pub fn store_and_queue(
    db: &Db,
    store: &StoreAndQueue<'_>,
) -> Result<Option<StoredAndQueued>, DbError> {
    let spec = store.insert.event.module.spec();
    let v = EventValues::of(&store.insert);
    let rows = db.query(
        inbox::STORE_AND_QUEUE,
        bind!(inbox::STORE_AND_QUEUE {
            module: v.module,
            entity_id: v.entity_id,
            correlation_id: v.correlation_id,
            operation: v.operation,
            http_method: v.http_method,
            content_type: v.content_type,
            payload_shape: v.payload_shape,
            document: v.document,
            headers: v.headers,
            source_modified_at: v.source_modified_at,
            version_source: v.version_source,
            content_hash: v.content_hash,
            idempotency_key: v.idempotency_key,
            status: param::text("accepted"),
            invalid_reasons: v.invalid_reasons,
            lane: param::text(spec.lane.as_str()),
            priority: param::int4(spec.priority),
            max_attempts: param::uint4(store.max_attempts),
            credential: param::text(store.credential.label()),
        }),
    )?;
    rows.first()
        .map(|row| {
            Ok(StoredAndQueued {
                event: InsertedEvent {
                    id: InboxEventId(row.int8("id")?),
                    source_modified_at: StoredVersion::from_stored(row.text("source_modified_at")?),
                },
                queue_id: row.opt_int8("queue_id")?.map(QueueId),
                stored_superseded: row.text("status")? == "superseded",
            })
        })
        .transpose()
}

/// The values `inbox::INSERT_EVENT` and `inbox::STORE_AND_QUEUE` share, each statement
/// binding them in its own order.
struct EventValues {
    correlation_id: ParameterValue,
    module: ParameterValue,
    entity_id: ParameterValue,
    operation: ParameterValue,
    http_method: ParameterValue,
    content_type: ParameterValue,
    payload_shape: ParameterValue,
    document: ParameterValue,
    headers: ParameterValue,
    source_modified_at: ParameterValue,
    version_source: ParameterValue,
    content_hash: ParameterValue,
    idempotency_key: ParameterValue,
    invalid_reasons: ParameterValue,
}

impl EventValues {
    fn of(insert: &InsertEvent<'_>) -> EventValues {
        let event = insert.event;
        EventValues {
            correlation_id: param::text(insert.correlation_id),
            module: param::text(event.module.as_str()),
            entity_id: param::opt_text(event.entity_id.as_ref().map(EntityId::as_str)),
            operation: param::text(event.operation.as_str()),
            http_method: param::text(insert.http_method),
            content_type: param::opt_text(insert.content_type),
            payload_shape: param::text(insert.payload.shape.as_str()),
            document: param::text(json_text(&insert.payload.document)),
            headers: param::text(json_text(insert.headers)),
            source_modified_at: param::opt_text(event.version.sql_text()),
            version_source: param::text(event.version.source.as_str()),
            content_hash: param::text(event.content_hash.as_str()),
            idempotency_key: param::text(event.idempotency_key.as_str()),
            invalid_reasons: param::text_array(event.invalid_reasons.iter().cloned()),
        }
    }
}

/// A JSON object's compact text, without copying the object.
fn json_text(object: &Map<String, Value>) -> String {
    serde_json::to_string(object).expect("a JSON object always serializes")
}

/// The idempotency key [`find_by_idempotency_key`] looks up.
pub struct FindByIdempotencyKey<'a> {
    pub key: &'a IdempotencyKey,
}

/// The stored event holding the key (`inbox::FIND_BY_IDEMPOTENCY_KEY`), if any.
pub fn find_by_idempotency_key(
    db: &Db,
    find: &FindByIdempotencyKey<'_>,
) -> Result<Option<InboxEventId>, DbError> {
    let rows = db.query(
        inbox::FIND_BY_IDEMPOTENCY_KEY,
        bind!(inbox::FIND_BY_IDEMPOTENCY_KEY {
            idempotency_key: param::text(find.key.as_str())
        }),
    )?;
    rows.first()
        .map(|row| Ok(InboxEventId(row.int8("id")?)))
        .transpose()
}

/// The event [`mark_superseded`] marks.
pub struct MarkSuperseded {
    pub id: InboxEventId,
}

/// Marks the event superseded: a newer version of its entity was already queued
/// (`inbox::MARK_SUPERSEDED`).
pub fn mark_superseded(db: &Db, mark: &MarkSuperseded) -> Result<(), DbError> {
    db.execute(
        inbox::MARK_SUPERSEDED,
        bind!(inbox::MARK_SUPERSEDED {
            id: param::int8(mark.id.0)
        }),
    )
    .map(drop)
}

/// An authentic but invalid event [`dead_letter_invalid`] files a dead letter for, on its
/// module's lane.
pub struct DeadLetterInvalid<'a> {
    pub inbox_event_id: InboxEventId,
    pub module: Module,
    pub entity_id: Option<&'a EntityId>,
    pub operation: Operation,
    pub reason: &'a str,
    pub correlation_id: &'a str,
}

/// Files the dead letter (`inbox::DEAD_LETTER_INVALID`); its id.
pub fn dead_letter_invalid(
    db: &Db,
    letter: &DeadLetterInvalid<'_>,
) -> Result<DeadLetterId, DbError> {
    let rows = db.query(
        inbox::DEAD_LETTER_INVALID,
        bind!(inbox::DEAD_LETTER_INVALID {
            inbox_event_id: param::int8(letter.inbox_event_id.0),
            module: param::text(letter.module.as_str()),
            entity_id: param::opt_text(letter.entity_id.map(EntityId::as_str)),
            lane: param::text(letter.module.spec().lane.as_str()),
            operation: param::text(letter.operation.as_str()),
            reason: param::text(letter.reason),
            correlation_id: param::text(letter.correlation_id),
        }),
    )?;
    Ok(DeadLetterId(rows.expect_row()?.int8("id")?))
}

/// One intake outcome [`count_outcome`] counts: `module` when known, `reason` empty for
/// none, `credential` for an authentic delivery (none for a refusal).
pub struct CountOutcome<'a> {
    pub outcome: &'a str,
    pub module: Option<Module>,
    pub reason: &'a str,
    pub credential: Option<CredentialRef>,
}

/// Counts the outcome in the current minute (`inbox::COUNT_OUTCOME`).
pub fn count_outcome(db: &Db, count: &CountOutcome<'_>) -> Result<(), DbError> {
    db.execute(
        inbox::COUNT_OUTCOME,
        bind!(inbox::COUNT_OUTCOME {
            outcome: param::text(count.outcome),
            module: param::text(count.module.map(Module::as_str).unwrap_or_default()),
            reason: param::text(count.reason),
            credential: param::text(count.credential.map(|c| c.label()).unwrap_or_default()),
        }),
    )
    .map(drop)
}

/// The inbox events whose documents [`read_documents`] reads.
pub struct ReadDocuments<'a> {
    pub ids: &'a [InboxEventId],
}

/// An inbox event's document (JSON text) and content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub id: InboxEventId,
    pub document: String,
    pub content_hash: ContentHash,
}

/// The documents of the events (`inbox::READ_DOCUMENTS`), for a claimed batch: an event
/// that does not exist has none.
pub fn read_documents(db: &Db, read: &ReadDocuments<'_>) -> Result<Vec<StoredDocument>, DbError> {
    let rows = db.query(
        inbox::READ_DOCUMENTS,
        bind!(inbox::READ_DOCUMENTS {
            ids: param::int8_array(read.ids.iter().map(|id| id.0))
        }),
    )?;
    rows.iter()
        .map(|row| {
            Ok(StoredDocument {
                id: InboxEventId(row.int8("id")?),
                document: row.text("document")?,
                content_hash: ContentHash::from_stored(row.text("content_hash")?),
            })
        })
        .collect()
}
