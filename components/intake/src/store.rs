//! Storing an authentic, readable delivery (inbox event, queue row or dead letter, outcome
//! counter; all or nothing) and counting refusals; the protocol is docs/design.md's
//! "Queue protocol" and "Intake contract".

use serde_json::{json, Map, Value};
use spin_sdk::http::Request;
use tds_core::credential::CredentialRef;
use tds_core::entity::Module;
use tds_core::normalize::Event;
use tds_core::payload::Payload;
use tds_core::redact::redact_headers;
use tds_core::variables::{self, VariableError};
use tds_guest::db::{Db, DbError};
use tds_guest::http::{header, HttpError};
use tds_guest::inbox::{
    self, CountOutcome, DeadLetterInvalid, FindByIdempotencyKey, InsertEvent, MarkSuperseded,
    StoreAndQueue,
};
use tds_guest::log::Logger;
use tds_guest::vars;

use crate::refusal::Refusal;

/// What the store made of an authentic, readable delivery.
pub enum Stored {
    Accepted { event_id: i64, queued: bool },
    Invalid { event_id: i64, dead_letter_id: i64 },
    Duplicate { event_id: i64 },
}

impl Stored {
    pub fn outcome(&self) -> &'static str {
        match self {
            Stored::Accepted { queued: true, .. } => "accepted",
            Stored::Accepted { queued: false, .. } => "superseded",
            Stored::Invalid { .. } => "invalid",
            Stored::Duplicate { .. } => "duplicate",
        }
    }
}

/// An authentic delivery, read and parsed.
pub struct Received<'a> {
    pub req: &'a Request,
    pub method: &'a str,
    pub payload: &'a Payload,
    /// The configured secret or key that proved it.
    pub credential: CredentialRef,
    pub request_id: &'a str,
}

/// Stores the delivery's event ([`store_or_keep_raw`]) as the variables `max_attempts`
/// (queue attempts) and `database_url` say; either unset where required or bad is refused
/// 503 `not_configured`, and a database failure is logged and refused 503, so Zoho
/// delivers again. The connection comes back for the wake.
pub fn persist(
    database_url: Result<&str, &VariableError>,
    received: &Received<'_>,
    event: Event,
    log: &Logger,
) -> Result<(Stored, Event, Db), Refusal> {
    let Received {
        req,
        method,
        payload,
        credential,
        request_id,
    } = *received;
    let not_configured = |e: VariableError| Refusal::new(e, Some(event.module));
    let max_attempts = vars::read(&variables::MAX_ATTEMPTS).map_err(not_configured)?;
    let database_url = database_url.map_err(|e| not_configured(e.clone()))?;
    let module = event.module;
    let unavailable = |e: DbError| {
        log.error(
            "could not store the event",
            json!({"sqlstate": e.sqlstate(), "error": e.to_string()}),
        );
        let message = format!("the event could not be stored: {e}");
        Refusal::new(HttpError::database_unavailable(message), Some(module))
    };
    let db = Db::open(database_url).map_err(unavailable)?;
    let headers = redact_headers(req.headers().filter_map(|(n, v)| Some((n, v.as_str()?))));
    let delivery = DeliveryFacts {
        method,
        content_type: header(req, "content-type"),
        payload,
        raw_body: req.body(),
        request_id,
        headers,
        max_attempts,
        credential,
    };
    let (stored, event) = store_or_keep_raw(&db, event, &delivery, log).map_err(unavailable)?;
    Ok((stored, event, db))
}

/// Stores the event; when PostgreSQL cannot take its parsed document (a data exception,
/// e.g. a `\u0000` in a string or a number beyond `numeric`), stores the raw body with an
/// empty document instead, dead-lettered with the reason: authentic data is never dropped.
fn store_or_keep_raw(
    db: &Db,
    event: Event,
    delivery: &DeliveryFacts<'_>,
    log: &Logger,
) -> Result<(Stored, Event), DbError> {
    let error = match store(db, &event, delivery, log) {
        Ok(stored) => return Ok((stored, event)),
        Err(e) => e,
    };
    if !error.is_data_exception() {
        return Err(error);
    }
    log.warn(
        "the document cannot be stored as JSON; keeping the raw body",
        json!({"sqlstate": error.sqlstate(), "error": error.to_string()}),
    );
    let mut unreadable = event;
    unreadable.invalid_reasons.push(format!(
        "the document cannot be stored as JSON ({error}); the raw body is kept"
    ));
    let kept_payload = Payload {
        document: Map::new(),
        ..delivery.payload.clone()
    };
    let kept = DeliveryFacts {
        payload: &kept_payload,
        headers: delivery.headers.clone(),
        ..*delivery
    };
    store(db, &unreadable, &kept, log).map(|stored| (stored, unreadable))
}

/// What is stored besides the normalised event.
#[derive(Clone)]
struct DeliveryFacts<'a> {
    method: &'a str,
    content_type: Option<&'a str>,
    payload: &'a Payload,
    raw_body: &'a [u8],
    request_id: &'a str,
    /// Redacted.
    headers: Map<String, Value>,
    /// At most `i32::MAX` (the queue's `int4`).
    max_attempts: u32,
    /// Counted with the outcome.
    credential: CredentialRef,
}

/// Stores the event: a valid one (its document) with its queue row and count in one
/// statement ([`store_valid`]), an invalid one (its document and raw body) with its dead
/// letter in a transaction ([`store_invalid`]).
fn store(
    db: &Db,
    event: &Event,
    delivery: &DeliveryFacts<'_>,
    log: &Logger,
) -> Result<Stored, DbError> {
    let valid = event.entity_id.is_some() && event.is_valid();
    let insert = InsertEvent {
        correlation_id: delivery.request_id,
        event,
        http_method: delivery.method,
        content_type: delivery.content_type,
        payload: delivery.payload,
        raw_body: (!valid).then_some(delivery.raw_body),
        headers: &delivery.headers,
    };
    if valid {
        store_valid(db, insert, delivery, log)
    } else {
        store_invalid(db, insert, delivery)
    }
}

/// The event, its queue row (or the entity's re-pointed one) and its `accepted` or
/// `superseded` count: one statement ([`inbox::store_and_queue`]), committed on its own,
/// so the hot path is one round trip with no `BEGIN` or `COMMIT`. A duplicate stored
/// nothing; it is looked up and counted afterwards. An event superseded while the
/// statement ran is marked afterwards; the event is stored and counted by then, so a
/// failure to mark it is logged and the answer stays 202 (a 503 would only bring Zoho's
/// retry back as a duplicate).
fn store_valid(
    db: &Db,
    insert: InsertEvent<'_>,
    delivery: &DeliveryFacts<'_>,
    log: &Logger,
) -> Result<Stored, DbError> {
    let event = insert.event;
    let store = StoreAndQueue {
        insert,
        max_attempts: delivery.max_attempts,
        credential: delivery.credential,
    };
    let Some(stored_and_queued) = inbox::store_and_queue(db, &store)? else {
        let stored = duplicate(db, event)?;
        count_in(db, &stored, event.module, delivery.credential)?;
        return Ok(stored);
    };
    let inserted = &stored_and_queued.event;
    if stored_and_queued.unmarked() {
        if let Err(e) = inbox::mark_superseded(db, &MarkSuperseded { id: inserted.id }) {
            log.warn(
                "the event is stored and counted superseded, but its status could not be marked so",
                json!({"event_id": inserted.id.0, "sqlstate": e.sqlstate(), "error": e.to_string()}),
            );
        }
    }
    Ok(Stored::Accepted {
        event_id: inserted.id.0,
        queued: stored_and_queued.queue_id.is_some(),
    })
}

/// One transaction: the inbox event, its dead letter and the `invalid` count (or, for a
/// duplicate, nothing stored and the `duplicate` count). Rolled back when a statement
/// fails.
fn store_invalid(
    db: &Db,
    insert: InsertEvent<'_>,
    delivery: &DeliveryFacts<'_>,
) -> Result<Stored, DbError> {
    let event = insert.event;
    let in_transaction = || {
        db.begin()?;
        let stored = match inbox::insert_event(db, &insert)? {
            None => duplicate(db, event)?,
            Some(inserted) => {
                let letter = DeadLetterInvalid {
                    inbox_event_id: inserted.id,
                    module: event.module,
                    entity_id: event.entity_id.as_ref(),
                    operation: event.operation,
                    reason: &event.invalid_reasons.join("; "),
                    correlation_id: delivery.request_id,
                };
                let dead_letter_id = inbox::dead_letter_invalid(db, &letter)?;
                Stored::Invalid {
                    event_id: inserted.id.0,
                    dead_letter_id: dead_letter_id.0,
                }
            }
        };
        count_in(db, &stored, event.module, delivery.credential)?;
        db.commit()?;
        Ok(stored)
    };
    // A rollback failing too changes nothing: the first error is the one to answer.
    in_transaction().inspect_err(|_| {
        let _ = db.rollback();
    })
}

/// A delivery whose idempotency key is already stored: the stored event.
fn duplicate(db: &Db, event: &Event) -> Result<Stored, DbError> {
    let find = FindByIdempotencyKey {
        key: &event.idempotency_key,
    };
    let event_id = inbox::find_by_idempotency_key(db, &find)?
        .ok_or_else(|| DbError::no_row(tds_store::inbox::FIND_BY_IDEMPOTENCY_KEY))?;
    Ok(Stored::Duplicate {
        event_id: event_id.0,
    })
}

/// Counts what `store` made of a delivery other than a valid new event (counted by its own
/// statement): inside an invalid event's transaction, so it commits with the event or not
/// at all; on its own for a duplicate, which stored nothing.
fn count_in(
    db: &Db,
    stored: &Stored,
    module: Module,
    credential: CredentialRef,
) -> Result<(), DbError> {
    let count = CountOutcome {
        outcome: stored.outcome(),
        module: Some(module),
        reason: "",
        credential: Some(credential),
    };
    inbox::count_outcome(db, &count)
}

/// Counts a refusal on a fresh connection (refusals happen before one is needed); a
/// failure is logged, never answered.
pub fn count_refusal(database_url: &str, refusal: &Refusal, log: &Logger) {
    let count = CountOutcome {
        outcome: refusal.outcome(),
        module: refusal.module,
        reason: refusal.error.code,
        credential: None,
    };
    if let Err(e) = Db::open(database_url).and_then(|db| inbox::count_outcome(&db, &count)) {
        log.warn(
            "could not count the refusal",
            json!({"outcome": refusal.outcome(), "sqlstate": e.sqlstate(), "error": e.to_string()}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stored_delivery_counts_as_its_outcome() {
        let outcomes = [
            Stored::Accepted {
                event_id: 1,
                queued: true,
            },
            Stored::Accepted {
                event_id: 2,
                queued: false,
            },
            Stored::Invalid {
                event_id: 3,
                dead_letter_id: 4,
            },
            Stored::Duplicate { event_id: 5 },
        ]
        .map(|stored| stored.outcome());
        assert_eq!(outcomes, ["accepted", "superseded", "invalid", "duplicate"]);
    }
}
