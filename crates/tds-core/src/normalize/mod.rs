//! From a parsed payload and the request it came in to one inbox event: the entity id,
//! the operation, the source version, the content hash and the idempotency key, plus the
//! reasons an authentic event cannot be applied (those are stored and dead-lettered).
//!
//! - Entity id: the module's id field, as text. JSON numbers keep every digit (ids above
//!   2^53 appear); strings are trimmed. When the document lacks the field, a query
//!   parameter of the same name (`?item_id=…`) supplies it.
//! - Operation: the first of `?operation=`, the `X-Webhook-Operation` header and an
//!   operation named beside the record in the body ([`Payload::operation_hint`]); else the
//!   method (DELETE → delete, POST/PUT → upsert). Names: `delete`/`deleted` → delete;
//!   `create`, `created`, `update`, `updated`, `edit`, `edited`, `upsert`, `create_or_edit`
//!   → upsert; also as the last part of an event name (`invoice.deleted`, `item_created`).
//!   An unknown name makes the event invalid (stored and dead-lettered with the reason).
//! - Source version: `last_modified_time`, else `updated_time`, else the receipt time
//!   (ordering is then by arrival); [`VersionSource`] records which.
//! - Content hash: SHA-256 of the canonical document without its version fields, so a
//!   re-save that changes nothing hashes the same.
//! - Idempotency key: SHA-256 over module, entity id, operation, the document's version
//!   (empty when the version is the receipt time) and the content hash. A redelivery of
//!   the same record is a duplicate. For records without a modification time, a revert to
//!   an exact earlier state is indistinguishable from a redelivery and is treated as one.
//!
//! [`Payload::operation_hint`]: crate::payload::Payload::operation_hint

mod entity_id;
mod event;
mod key;
mod operation;
mod version;

#[cfg(test)]
mod tests;

pub use entity_id::{EntityId, MAX_ENTITY_ID_LEN};
pub use event::{normalize, Delivery, Event};
pub use key::{ContentHash, IdempotencyKey};
pub use operation::Operation;
pub use version::{SourceVersion, StoredVersion, VersionSource};
