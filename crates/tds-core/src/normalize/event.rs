//! One delivery to one inbox event: the request facts read besides the body, the event,
//! and [`normalize`], which gathers its parts and the reasons it cannot be applied.

use super::{ContentHash, EntityId, IdempotencyKey, Operation, SourceVersion};
use crate::entity::Module;
use crate::payload::Payload;

/// The request facts normalisation reads besides the body.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub method: &'a str,
    /// The URL-decoded query pairs.
    pub query: &'a [(String, String)],
    /// The `X-Webhook-Operation` header.
    pub operation_header: Option<&'a str>,
}

impl Delivery<'_> {
    fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One webhook delivery, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub module: Module,
    pub entity_id: Option<EntityId>,
    pub operation: Operation,
    pub version: SourceVersion,
    pub content_hash: ContentHash,
    pub idempotency_key: IdempotencyKey,
    /// Why the event cannot be applied; empty when it can.
    pub invalid_reasons: Vec<String>,
}

impl Event {
    pub fn is_valid(&self) -> bool {
        self.invalid_reasons.is_empty()
    }
}

/// Normalises `payload` as delivered by `delivery`.
pub fn normalize(payload: &Payload, delivery: &Delivery<'_>) -> Event {
    let mut invalid_reasons = Vec::new();
    let id_field = payload.module.spec().id_field;
    let id = match (
        payload.document.get(id_field),
        delivery.query_value(id_field),
    ) {
        (Some(value), _) => EntityId::from_json(value),
        (None, Some(text)) => EntityId::from_text(text),
        (None, None) => Err("is missing".to_string()),
    };
    let entity_id = id
        .map_err(|why| invalid_reasons.push(format!("{id_field} {why}")))
        .ok();
    let named = delivery
        .query_value("operation")
        .or(delivery.operation_header)
        .or(payload.operation_hint.as_deref());
    let operation = Operation::from_request(delivery.method, named).unwrap_or_else(|why| {
        invalid_reasons.push(why);
        Operation::from_request(delivery.method, None).unwrap_or(Operation::Upsert)
    });
    let version = SourceVersion::of_document(&payload.document);
    let content_hash = ContentHash::of(&payload.document);
    let idempotency_key = IdempotencyKey::new(
        payload.module,
        entity_id.as_ref(),
        operation,
        &version,
        &content_hash,
    );
    Event {
        module: payload.module,
        entity_id,
        operation,
        version,
        content_hash,
        idempotency_key,
        invalid_reasons,
    }
}
