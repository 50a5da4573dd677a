//! Intake's statements: storing a delivery, finding a duplicate, dead-lettering an invalid
//! event and counting outcomes. Placeholders are cast explicitly, as real Spin requires.

use crate::queue::or_repoint;
use crate::{statement, Statement};

/// Stores one delivery unless its idempotency key is known: intake's statement for an
/// invalid delivery, the only kind whose raw body is kept (its document could not be read
/// from it). `$source_modified_at` NULL stores the receipt time; `$status` is intake's
/// verdict. Returns `id`, `source_modified_at` (text), `status`; no row for a duplicate.
pub const INSERT_EVENT: Statement = statement!(
    "inbox::insert_event",
    insert_event!("$raw_body::bytea", "$status::text")
);

/// [`INSERT_EVENT`]'s text with the raw body and the status as the SQL expressions
/// `$raw_body` and `$status`; [`STORE_AND_QUEUE`] runs it too.
macro_rules! insert_event {
    ($raw_body:literal, $status:literal) => {
        concat!(
            "\
INSERT INTO tds_inbox_events (correlation_id, module, entity_id, operation, http_method, content_type, payload_shape,
    raw_body, document, headers, source_modified_at, version_source, content_hash, idempotency_key, status, invalid_reasons)
VALUES ($correlation_id::text, $module::text, $entity_id::text, $operation::text, $http_method::text, $content_type::text,
    $payload_shape::text, ",
            $raw_body,
            ", $document::text::jsonb, $headers::text::jsonb,
    coalesce($source_modified_at::text::timestamptz, now()), $version_source::text, $content_hash::text,
    $idempotency_key::text, ",
            $status,
            ", $invalid_reasons::text[])
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, source_modified_at::text, status"
        )
    };
}
use insert_event;

/// Intake's whole work for a valid event, in one statement (one round trip, committed on
/// its own): stores it as [`INSERT_EVENT`] does (its document only: the raw body of a
/// valid delivery is not kept), queues it as `queue::ENQUEUE_OR_REPOINT` does on `$lane`
/// at `$priority` with `$max_attempts`, and counts it `accepted`, or `superseded` when
/// the entity's unclaimed row holds a newer version and keeps it, as [`COUNT_OUTCOME`]
/// does, with the `$credential` that proved the delivery
/// (`tds_core::credential::CredentialRef::label`). Returns `id`, `source_modified_at`
/// (text), `queue_id` (NULL when the event is superseded), `status`; no row for a
/// duplicate.
///
/// The event is stored as `superseded` rather than `$status` when the entity's unclaimed
/// row, locked first (`tds_unclaimed`), is newer: that row cannot change before the
/// statement commits, so the queue's conflict clause then keeps it too. Only a newer
/// unclaimed row inserted by another delivery between this statement's snapshot and its
/// queue insert supersedes an event stored as `accepted`; the caller then marks it
/// ([`MARK_SUPERSEDED`]).
///
/// The inserts share one snapshot, so the queue row is written whatever the event's
/// insert saw; the queue's conflict clause locks and re-checks the entity's unclaimed row
/// as a statement of its own would.
pub const STORE_AND_QUEUE: Statement = statement!(
    "inbox::store_and_queue",
    concat!(
        "WITH tds_unclaimed AS MATERIALIZED (
SELECT source_modified_at FROM tds_sync_queue
WHERE module = $module::text AND entity_id = $entity_id::text AND status IN ('pending', 'retry')
FOR UPDATE
), tds_event AS (\n",
        insert_event!(
            "NULL",
            "CASE WHEN EXISTS (SELECT FROM tds_unclaimed
    WHERE tds_unclaimed.source_modified_at > coalesce($source_modified_at::text::timestamptz, now())) THEN 'superseded' ELSE $status::text END"
        ),
        "
), tds_queued AS (
INSERT INTO tds_sync_queue (module, entity_id, lane, priority, operation, inbox_event_id, source_modified_at, max_attempts, correlation_id)
SELECT $module::text, $entity_id::text, $lane::text, $priority::int4, $operation::text, tds_event.id, tds_event.source_modified_at::timestamptz, $max_attempts::int4, $correlation_id::text
FROM tds_event
",
        or_repoint!(),
        "
RETURNING id
), tds_counted AS (
INSERT INTO tds_intake_outcomes (minute, outcome, module, reason, credential)
SELECT date_trunc('minute', now()), CASE WHEN tds_queued.id IS NULL THEN 'superseded' ELSE 'accepted' END, $module::text, '', $credential::text
FROM tds_event LEFT JOIN tds_queued ON true
)
SELECT tds_event.id, tds_event.source_modified_at, tds_queued.id AS queue_id, tds_event.status
FROM tds_event LEFT JOIN tds_queued ON true"
    ),
);

/// The stored event with `$idempotency_key`. Returns `id`, `status`.
pub const FIND_BY_IDEMPOTENCY_KEY: Statement = statement!(
    "inbox::find_by_idempotency_key",
    "SELECT id, status FROM tds_inbox_events WHERE idempotency_key = $idempotency_key::text",
);

/// Marks event `$id` superseded: a newer version of its entity was already queued.
pub const MARK_SUPERSEDED: Statement = statement!(
    "inbox::mark_superseded",
    "UPDATE tds_inbox_events SET status = 'superseded' WHERE id = $id::bigint",
);

/// Files a dead letter for an authentic but invalid event (`$entity_id` NULL when it has
/// none). Returns `id`.
pub const DEAD_LETTER_INVALID: Statement = statement!(
    "inbox::dead_letter_invalid",
    "\
INSERT INTO tds_dead_letters (inbox_event_id, module, entity_id, lane, operation, reason, error_code, error_class, correlation_id)
VALUES ($inbox_event_id::bigint, $module::text, $entity_id::text, $lane::text, $operation::text, $reason::text, 'invalid_payload', 'invalid',
    $correlation_id::text)
RETURNING id",
);

/// Counts one intake outcome in the current minute: one row appended to
/// `tds_intake_outcomes`, which heal folds into `tds_intake_counters`
/// (`metrics::FOLD_INTAKE_OUTCOMES`); an append waits on no other transaction, so no lock
/// is held until the commit. `$module` is '' when unknown, `$reason` '' for none,
/// `$credential` the one that proved the delivery ('' for a refusal).
pub const COUNT_OUTCOME: Statement = statement!(
    "inbox::count_outcome",
    "\
INSERT INTO tds_intake_outcomes (minute, outcome, module, reason, credential)
VALUES (date_trunc('minute', now()), $outcome::text, $module::text, $reason::text, $credential::text)",
);

/// The documents of inbox events `$ids`, for a claimed batch. Returns `id`,
/// `document` (text), `content_hash`; an event that does not exist has no row.
///
/// Sent after the claim, in a statement (so a snapshot) of its own: every event a claimed
/// row points at was committed before the claim locked that row.
pub const READ_DOCUMENTS: Statement = statement!(
    "inbox::read_documents",
    "\
SELECT id, document::text, content_hash FROM tds_inbox_events WHERE id = ANY($ids::bigint[])",
);

/// Every named statement of this module.
pub const ALL: [Statement; 7] = [
    INSERT_EVENT,
    STORE_AND_QUEUE,
    FIND_BY_IDEMPOTENCY_KEY,
    MARK_SUPERSEDED,
    DEAD_LETTER_INVALID,
    COUNT_OUTCOME,
    READ_DOCUMENTS,
];
