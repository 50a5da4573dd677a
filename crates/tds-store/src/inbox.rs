//! Intake's statements: storing a delivery, finding a duplicate, dead-lettering an invalid
//! event and counting outcomes. Placeholders are cast explicitly, as real Spin requires.

use crate::queue::or_repoint;
use crate::Statement;

/// Stores one delivery unless its idempotency key is known.
/// `$1` correlation id, `$2` module, `$3` entity id (NULL when invalid), `$4` operation,
/// `$5` HTTP method, `$6` content type, `$7` payload shape, `$8` raw body (bytea),
/// `$9` document (JSON text), `$10` redacted headers (JSON text), `$11` source version
/// (text; NULL: the receipt time), `$12` version source, `$13` content hash,
/// `$14` idempotency key, `$15` status, `$16` invalid reasons (text[]).
/// Returns `id`, `source_modified_at` (text), `status`; no row for a duplicate.
pub const INSERT_EVENT: Statement = Statement::new("inbox::insert_event", insert_event!("$15::text"));

/// [`INSERT_EVENT`]'s text with the status as the SQL expression `$status`;
/// [`STORE_AND_QUEUE`] runs it too.
macro_rules! insert_event {
    ($status:literal) => {
        concat!(
            "\
INSERT INTO tds_inbox_events (correlation_id, module, entity_id, operation, http_method, content_type, payload_shape,
    raw_body, document, headers, source_modified_at, version_source, content_hash, idempotency_key, status, invalid_reasons)
VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bytea, $9::text::jsonb, $10::text::jsonb,
    coalesce($11::text::timestamptz, now()), $12::text, $13::text, $14::text, ",
            $status,
            ", $16::text[])
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, source_modified_at::text, status"
        )
    };
}
use insert_event;

/// Intake's whole work for a valid event, in one statement (one round trip, committed on
/// its own): stores it as [`INSERT_EVENT`] does, queues it as `queue::ENQUEUE_OR_REPOINT`
/// does, and counts it `accepted`, or `superseded` when the entity's unclaimed row holds a
/// newer version and keeps it, as [`COUNT_OUTCOME`] does. `$1`–`$16` as for
/// [`INSERT_EVENT`] (`$3` not NULL, `$15` `accepted`), then `$17` lane, `$18` priority
/// (int4), `$19` max attempts (int4), `$20` the credential that proved the delivery
/// (`tds_core::credential::CredentialRef::label`). Returns `id`, `source_modified_at`
/// (text), `queue_id` (NULL when the event is superseded), `status`; no row for a
/// duplicate.
///
/// The event is stored as `superseded` rather than `$15` when the entity's unclaimed row,
/// locked first (`tds_unclaimed`), is newer: that row cannot change before the statement
/// commits, so the queue's conflict clause then keeps it too. Only a newer unclaimed row
/// inserted by another delivery between this statement's snapshot and its queue insert
/// supersedes an event stored as `accepted`; the caller then marks it
/// ([`MARK_SUPERSEDED`]).
///
/// The inserts share one snapshot, so the queue row is written whatever the event's
/// insert saw; the queue's conflict clause locks and re-checks the entity's unclaimed row
/// as a statement of its own would.
pub const STORE_AND_QUEUE: Statement = Statement::new(
    "inbox::store_and_queue",
    concat!(
        "WITH tds_unclaimed AS MATERIALIZED (
SELECT source_modified_at FROM tds_sync_queue
WHERE module = $2::text AND entity_id = $3::text AND status IN ('pending', 'retry')
FOR UPDATE
), tds_event AS (\n",
        insert_event!(
            "CASE WHEN EXISTS (SELECT FROM tds_unclaimed
    WHERE tds_unclaimed.source_modified_at > coalesce($11::text::timestamptz, now())) THEN 'superseded' ELSE $15::text END"
        ),
        "
), tds_queued AS (
INSERT INTO tds_sync_queue (module, entity_id, lane, priority, operation, inbox_event_id, source_modified_at, max_attempts, correlation_id)
SELECT $2::text, $3::text, $17::text, $18::int4, $4::text, tds_event.id, tds_event.source_modified_at::timestamptz, $19::int4, $1::text
FROM tds_event
",
        or_repoint!(),
        "
RETURNING id
), tds_counted AS (
INSERT INTO tds_intake_outcomes (minute, outcome, module, reason, credential)
SELECT date_trunc('minute', now()), CASE WHEN tds_queued.id IS NULL THEN 'superseded' ELSE 'accepted' END, $2::text, '', $20::text
FROM tds_event LEFT JOIN tds_queued ON true
)
SELECT tds_event.id, tds_event.source_modified_at, tds_queued.id AS queue_id, tds_event.status
FROM tds_event LEFT JOIN tds_queued ON true"
    ),
);

/// The stored event with idempotency key `$1`. Returns `id`, `status`.
pub const FIND_BY_IDEMPOTENCY_KEY: Statement = Statement::new(
    "inbox::find_by_idempotency_key",
    "SELECT id, status FROM tds_inbox_events WHERE idempotency_key = $1::text",
);

/// Marks event `$1` superseded: a newer version of its entity was already queued.
pub const MARK_SUPERSEDED: Statement = Statement::new(
    "inbox::mark_superseded",
    "UPDATE tds_inbox_events SET status = 'superseded' WHERE id = $1::bigint",
);

/// Files a dead letter for an authentic but invalid event.
/// `$1` inbox event id, `$2` module, `$3` entity id (nullable), `$4` lane, `$5` operation,
/// `$6` reason, `$7` correlation id. Returns `id`.
pub const DEAD_LETTER_INVALID: Statement = Statement::new(
    "inbox::dead_letter_invalid",
    "\
INSERT INTO tds_dead_letters (inbox_event_id, module, entity_id, lane, operation, reason, error_code, error_class, correlation_id)
VALUES ($1::bigint, $2::text, $3::text, $4::text, $5::text, $6::text, 'invalid_payload', 'invalid', $7::text)
RETURNING id",
);

/// Counts one intake outcome in the current minute: one row appended to
/// `tds_intake_outcomes`, which heal folds into `tds_intake_counters`
/// (`metrics::FOLD_INTAKE_OUTCOMES`); an append waits on no other transaction, so no lock
/// is held until the commit. `$1` outcome, `$2` module ('' when unknown), `$3` reason (''
/// for none), `$4` the credential that proved the delivery ('' for a refusal).
pub const COUNT_OUTCOME: Statement = Statement::new(
    "inbox::count_outcome",
    "\
INSERT INTO tds_intake_outcomes (minute, outcome, module, reason, credential)
VALUES (date_trunc('minute', now()), $1::text, $2::text, $3::text, $4::text)",
);

/// The documents of inbox events `$1` (bigint[]), for a claimed batch. Returns `id`,
/// `document` (text), `content_hash`; an event that does not exist has no row.
///
/// Sent after the claim, in a statement (so a snapshot) of its own: every event a claimed
/// row points at was committed before the claim locked that row.
pub const READ_DOCUMENTS: Statement = Statement::new(
    "inbox::read_documents",
    "\
SELECT id, document::text, content_hash FROM tds_inbox_events WHERE id = ANY($1::bigint[])",
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
