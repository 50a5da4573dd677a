//! Reconcile's statements (components/reconcile): pulled records into the inbox (the
//! queue side is [`crate::queue::ENQUEUE_OR_REPOINT`], as for webhooks), listing cursors,
//! what each listing showed and what is still to read (`tds_zoho_records`), the day's
//! request budget, the Zoho access token, what drift and integrity compare, and the
//! reports — including the reads the stats API serves ([`LATEST_REPORT`],
//! [`REPORT_BY_ID`], [`PULL_PROGRESS`], [`REQUESTS_TODAY`]).
//!
//! Times leave as UTC RFC 3339 text (`to_char(… AT TIME ZONE 'UTC', …)`), never as
//! `timestamptz`, and every placeholder is cast, as real Spin requires.

use crate::{statement, Statement};

/// Stores one record read from the Zoho API unless its idempotency key is known: the same
/// key as a webhook of that record, so a record delivered both ways is stored once.
/// `$document` is JSON text, stored as the record's one form (no raw body, as for a valid
/// webhook); `$source_modified_at` NULL stands for the receipt time.
/// Returns `id`, `source_modified_at` (text); no row for a duplicate.
pub const INSERT_PULLED_EVENT: Statement = statement!(
    "reconcile::insert_pulled_event",
    "\
INSERT INTO tds_inbox_events (correlation_id, module, entity_id, operation, http_method, content_type, payload_shape,
    raw_body, document, headers, source_modified_at, version_source, content_hash, idempotency_key, status, source)
VALUES ($correlation_id::text, $module::text, $entity_id::text, $operation::text, 'GET', 'application/json', 'bare',
    NULL, $document::text::jsonb, '{}'::jsonb, coalesce($source_modified_at::text::timestamptz, now()),
    $version_source::text, $content_hash::text, $idempotency_key::text, 'accepted', 'zoho_pull')
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, source_modified_at::text",
);

/// The stored event with `$idempotency_key`, for queueing it again. Returns `id`,
/// `source_modified_at` (text).
pub const STORED_EVENT: Statement = statement!(
    "reconcile::stored_event",
    "SELECT id, source_modified_at::text FROM tds_inbox_events WHERE idempotency_key = $idempotency_key::text",
);

/// Takes the lease that lets one reconcile run at a time (row `reconcile:run` of
/// `tds_cursors`: `position` the owner, `position_at` the expiry) for `$owner`, for
/// `$lease_seconds`. Taken when free, expired, or already this owner's. Returns `position`
/// (the owner); no row when another run holds it.
pub const TAKE_RUN_LEASE: Statement = statement!(
    "reconcile::take_run_lease",
    "\
INSERT INTO tds_cursors AS c (name, position, position_at, details, updated_at)
VALUES ('reconcile:run', $owner::text, now() + make_interval(secs => $lease_seconds::float8), '{}'::jsonb, now())
ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, position_at = EXCLUDED.position_at,
    updated_at = now()
    WHERE c.position_at IS NULL OR c.position_at < now() OR c.position = $owner::text
RETURNING position",
);

/// Until when the run lease is held. Returns `lease_expires_at` (text, RFC 3339; NULL
/// when none is held).
pub const RUN_LEASE: Statement = statement!(
    "reconcile::run_lease",
    "\
SELECT (SELECT to_char(position_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM tds_cursors
        WHERE name = 'reconcile:run' AND position_at >= now()) AS lease_expires_at",
);

/// `$owner` gives the run lease back.
pub const RELEASE_RUN_LEASE: Statement = statement!(
    "reconcile::release_run_lease",
    "\
UPDATE tds_cursors SET position_at = now(), updated_at = now()
WHERE name = 'reconcile:run' AND position = $owner::text",
);

/// The stored pull position of cursor `$name`. Returns `details` (JSON text).
pub const READ_CURSOR: Statement = statement!(
    "reconcile::read_cursor",
    "SELECT details::text FROM tds_cursors WHERE name = $name::text",
);

/// Stores cursor `$name`: its `$details` (JSON text, the whole position).
pub const SAVE_CURSOR: Statement = statement!(
    "reconcile::save_cursor",
    "\
INSERT INTO tds_cursors (name, details, updated_at)
VALUES ($name::text, $details::text::jsonb, now())
ON CONFLICT (name) DO UPDATE SET details = EXCLUDED.details, updated_at = now()",
);

/// Stores one listed page of `$module` in listing `$pass`: the rows' `$ids`, their
/// `$modified_at` times (RFC 3339, `''` when the row shows none) and their
/// `$fingerprints`, in step. A record seen for the first time that the ERP (or
/// the queue) already holds at the listed version (any version, when the row shows no
/// time) is taken as read: webhooks brought it, and reading it again would spend a
/// request on nothing. A record already read is taken as read again when the ERP holds
/// the newer time its row now shows. Returns `listed` (int8), `to_read` (int8: those of
/// the page waiting to be read).
pub const LIST_PAGE: Statement = statement!(
    "reconcile::list_page",
    "\
WITH listed AS (
    SELECT DISTINCT ON (id) id, nullif(at, '')::timestamptz AS modified_at, fingerprint
    FROM unnest($ids::text[], $modified_at::text[], $fingerprints::text[]) AS l(id, at, fingerprint)
    ORDER BY id
), judged AS (
    SELECT l.id, l.modified_at, l.fingerprint,
        EXISTS (SELECT 1 FROM tds_erp_versions v WHERE v.module = $module::text AND v.entity_id = l.id
                    AND v.deleted_at IS NULL AND (l.modified_at IS NULL OR v.source_modified_at >= l.modified_at))
        OR EXISTS (SELECT 1 FROM tds_sync_queue q WHERE q.module = $module::text AND q.entity_id = l.id
                    AND q.operation = 'upsert' AND q.status IN ('pending', 'retry', 'processing')
                    AND (l.modified_at IS NULL OR q.source_modified_at >= l.modified_at)) AS held
    FROM listed l
), stored AS (
    INSERT INTO tds_zoho_records AS r (module, entity_id, listed_modified_at, list_fingerprint, listed_pass,
        listed_at, read_modified_at, read_fingerprint)
    SELECT $module::text, id, modified_at, fingerprint, $pass::int4, now(),
        CASE WHEN held THEN modified_at END, CASE WHEN held THEN fingerprint END
    FROM judged
    ON CONFLICT (module, entity_id) DO UPDATE SET
        listed_modified_at = EXCLUDED.listed_modified_at, list_fingerprint = EXCLUDED.list_fingerprint,
        listed_pass = EXCLUDED.listed_pass,
        listed_at = CASE WHEN r.needs_read THEN r.listed_at ELSE EXCLUDED.listed_at END,
        read_fingerprint = coalesce(r.read_fingerprint, EXCLUDED.read_fingerprint),
        read_modified_at = CASE
            WHEN r.read_fingerprint IS NULL THEN EXCLUDED.read_modified_at
            WHEN EXCLUDED.listed_modified_at IS NOT NULL AND EXCLUDED.read_modified_at IS NOT NULL
                THEN greatest(r.read_modified_at, EXCLUDED.read_modified_at)
            ELSE r.read_modified_at END
    RETURNING needs_read
)
SELECT count(*)::int8 AS listed, (count(*) FILTER (WHERE needs_read))::int8 AS to_read FROM stored",
);

/// Ends listing `$pass` of `$module`: the records it did not show are gone from Zoho's
/// list and are forgotten. Returns `gone` (int8).
pub const END_PASS: Statement = statement!(
    "reconcile::end_pass",
    "\
WITH gone AS (
    DELETE FROM tds_zoho_records WHERE module = $module::text AND listed_pass < $pass::int4 RETURNING 1
)
SELECT count(*)::int8 AS gone FROM gone",
);

/// At most `$limit` records of `$modules` waiting to be read, those listed first before
/// the others. Returns `module`, `entity_id`.
pub const TO_READ: Statement = statement!(
    "reconcile::to_read",
    "\
SELECT module, entity_id FROM tds_zoho_records
WHERE needs_read AND module = ANY($modules::text[])
ORDER BY listed_at, module, entity_id LIMIT $limit::int4",
);

/// At most `$limit` records of `$modules` whose list rows show no modification time and
/// that were not read in the last `$run_seconds` (the run so far), read longest ago (or
/// never) first: the rotating re-read. Returns `module`, `entity_id`.
pub const TO_REREAD: Statement = statement!(
    "reconcile::to_reread",
    "\
SELECT module, entity_id FROM tds_zoho_records
WHERE listed_modified_at IS NULL AND NOT needs_read AND module = ANY($modules::text[])
    AND (read_at IS NULL OR read_at < now() - make_interval(secs => $run_seconds::float8))
ORDER BY read_at NULLS FIRST, module, entity_id LIMIT $limit::int4",
);

/// Record `$entity_id` of `$module` was read; `$version` the version the document carried
/// (RFC 3339, `''` when none). What its list row showed is then what TDS holds.
pub const MARK_READ: Statement = statement!(
    "reconcile::mark_read",
    "\
UPDATE tds_zoho_records
SET read_fingerprint = list_fingerprint, read_at = now(),
    read_modified_at = greatest(listed_modified_at, nullif($version::text, '')::timestamptz)
WHERE module = $module::text AND entity_id = $entity_id::text",
);

/// Record `$entity_id` of `$module` is gone from Zoho (its detail answered 404): forgotten.
pub const FORGET_RECORD: Statement = statement!(
    "reconcile::forget_record",
    "DELETE FROM tds_zoho_records WHERE module = $module::text AND entity_id = $entity_id::text",
);

/// What the listing last showed of `$module`. Returns `entity_id`, `modified_at` (text,
/// NULL when the row showed none), `needs_read` (bool).
pub const LISTED_RECORDS: Statement = statement!(
    "reconcile::listed_records",
    "\
SELECT entity_id, to_char(listed_modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS modified_at,
    needs_read
FROM tds_zoho_records WHERE module = $module::text",
);

/// Spends one request of today's (UTC) `$budget` of requests. Returns
/// `requests` (int4: spent today, this one included); no row when the budget is spent.
pub const SPEND_REQUEST: Statement = statement!(
    "reconcile::spend_request",
    "\
INSERT INTO tds_zoho_request_days AS d (day, requests)
SELECT (now() AT TIME ZONE 'UTC')::date, 1 WHERE $budget::int4 > 0
ON CONFLICT (day) DO UPDATE SET requests = d.requests + 1, updated_at = now()
    WHERE d.requests < $budget::int4
RETURNING requests",
);

/// A request was not sent because today's budget is spent.
pub const REFUSE_REQUEST: Statement = statement!(
    "reconcile::refuse_request",
    "\
INSERT INTO tds_zoho_request_days AS d (day, refused) VALUES ((now() AT TIME ZONE 'UTC')::date, 1)
ON CONFLICT (day) DO UPDATE SET refused = d.refused + 1, updated_at = now()",
);

/// Today's (UTC) request figures. Returns `day` (text, `YYYY-MM-DD`), `requests` (int4),
/// `refused` (int4); zero when none was made.
pub const REQUESTS_TODAY: Statement = statement!(
    "reconcile::requests_today",
    "\
SELECT to_char((now() AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, coalesce(d.requests, 0) AS requests,
    coalesce(d.refused, 0) AS refused
FROM (SELECT 1) one LEFT JOIN tds_zoho_request_days d ON d.day = (now() AT TIME ZONE 'UTC')::date",
);

/// Each listed module's progress: `module`, `listed` (int8: records the listing holds),
/// `to_read` (int8), `cursor` (the listing cursor, JSON text).
pub const PULL_PROGRESS: Statement = statement!(
    "reconcile::pull_progress",
    "\
SELECT c.module, coalesce(r.listed, 0)::int8 AS listed, coalesce(r.to_read, 0)::int8 AS to_read, c.details::text AS cursor
FROM (SELECT substr(name, length('zoho_listing:') + 1) AS module, details FROM tds_cursors
      WHERE name LIKE 'zoho_listing:%') c
LEFT JOIN (SELECT module, count(*) AS listed, count(*) FILTER (WHERE needs_read) AS to_read
           FROM tds_zoho_records GROUP BY module) r USING (module)
ORDER BY c.module",
);

/// The content TDS holds of record `$entity_id` of `$module`: the hash of its newest inbox
/// event (applied or waiting), else of its live ERP row (older events are deleted by
/// retention). Returns `content_hash` (NULL when TDS holds neither).
pub const HELD_CONTENT_HASH: Statement = statement!(
    "reconcile::held_content_hash",
    "\
SELECT coalesce(
    (SELECT content_hash FROM tds_inbox_events WHERE module = $module::text AND entity_id = $entity_id::text
     ORDER BY id DESC LIMIT 1),
    (SELECT content_hash FROM tds_erp_versions
     WHERE module = $module::text AND entity_id = $entity_id::text AND deleted_at IS NULL)) AS content_hash",
);

/// Every ERP header row of `$module`. Returns `entity_id`, `version` (text), `deleted`
/// (bool).
pub const ERP_ROWS: Statement = statement!(
    "reconcile::erp_rows",
    "\
SELECT entity_id, to_char(source_modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS version,
    deleted_at IS NOT NULL AS deleted
FROM tds_erp_versions WHERE module = $module::text",
);

/// What waits in the queue per entity of `$module` (not yet applied). Returns
/// `entity_id`, `version` (text: the newest upsert's, NULL when only a delete waits),
/// `deleting` (bool: a delete waits).
pub const QUEUED_VERSIONS: Statement = statement!(
    "reconcile::queued_versions",
    "\
SELECT entity_id,
    to_char(max(source_modified_at) FILTER (WHERE operation = 'upsert') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS version,
    bool_or(operation = 'delete') AS deleting
FROM tds_sync_queue
WHERE module = $module::text AND status IN ('pending', 'retry', 'processing')
GROUP BY entity_id",
);

/// The access token `$name` (creating its row). Returns `access_token` (NULL when none),
/// `valid_seconds` (float8: seconds until it expires, negative or NULL when expired or
/// none), `refreshes_in_window` (int4: refreshes in the last 10 minutes), `api_domain`
/// (the API origin Zoho named with the token, NULL when none).
pub const READ_TOKEN: Statement = statement!(
    "reconcile::read_token",
    "\
WITH created AS (
    INSERT INTO tds_zoho_tokens (name) VALUES ($name::text) ON CONFLICT (name) DO NOTHING
    RETURNING access_token, expires_at, refresh_window_started_at, refresh_window_count, api_domain
), current AS (
    SELECT access_token, expires_at, refresh_window_started_at, refresh_window_count, api_domain FROM created
    UNION ALL
    SELECT access_token, expires_at, refresh_window_started_at, refresh_window_count, api_domain
    FROM tds_zoho_tokens WHERE name = $name::text
)
SELECT access_token, extract(epoch FROM expires_at - now())::float8 AS valid_seconds,
    CASE WHEN refresh_window_started_at > now() - interval '10 minutes' THEN refresh_window_count ELSE 0 END
        AS refreshes_in_window,
    api_domain
FROM current LIMIT 1",
);

// One more token request in the current 10-minute window of refreshes (a new window when
// the last is over): the SET items SAVE_TOKEN and TOKEN_ERROR share, since Zoho counts every
// request to its token endpoint.
macro_rules! count_in_refresh_window {
    () => {
        "\
    refresh_window_count = CASE WHEN refresh_window_started_at > now() - interval '10 minutes'
        THEN refresh_window_count + 1 ELSE 1 END,
    refresh_window_started_at = CASE WHEN refresh_window_started_at > now() - interval '10 minutes'
        THEN refresh_window_started_at ELSE now() END
"
    };
}

/// Stores a refreshed token `$name`: its `$access_token`, valid for `$valid_seconds`, and
/// the `$api_domain` Zoho named (NULL when none). Counts the refresh in the current
/// 10-minute window (a new window when the last is over).
pub const SAVE_TOKEN: Statement = statement!(
    "reconcile::save_token",
    concat!(
        "\
UPDATE tds_zoho_tokens
SET access_token = $access_token::text, expires_at = now() + make_interval(secs => $valid_seconds::int4), api_domain = $api_domain::text,
    refreshed_at = now(), last_error = NULL, updated_at = now(),
",
        count_in_refresh_window!(),
        "WHERE name = $name::text"
    ),
);

/// Token `$name` was refused by the API with `$last_error`: it counts as expired from now.
pub const EXPIRE_TOKEN: Statement = statement!(
    "reconcile::expire_token",
    "\
UPDATE tds_zoho_tokens SET expires_at = least(expires_at, now()), last_error = $last_error::text, updated_at = now()
WHERE name = $name::text",
);

/// A refresh of token `$name` failed with `$last_error`. It counts in the current 10-minute
/// window like a refresh that succeeded: Zoho counts every request to its token endpoint.
pub const TOKEN_ERROR: Statement = statement!(
    "reconcile::token_error",
    concat!(
        "\
UPDATE tds_zoho_tokens
SET last_error = $last_error::text, updated_at = now(),
",
        count_in_refresh_window!(),
        "WHERE name = $name::text"
    ),
);

/// Starts a report of run `$run_id`, its `$trigger` `cron` or `http`. Returns `id`.
pub const START_REPORT: Statement = statement!(
    "reconcile::start_report",
    "\
INSERT INTO tds_reconcile_reports (trigger, run_id) VALUES ($trigger::text, $run_id::bigint) RETURNING id",
);

/// Finishes report `$report_id`: its `$status`, the `$pull`, `$drift`, `$integrity`
/// findings and `$summary` (JSON text each), the `$fixes_enqueued`, the `$api_requests`
/// made and the `$error` (NULL when none).
pub const FINISH_REPORT: Statement = statement!(
    "reconcile::finish_report",
    "\
UPDATE tds_reconcile_reports
SET status = $status::text, pull = $pull::text::jsonb, drift = $drift::text::jsonb, integrity = $integrity::text::jsonb,
    summary = $summary::text::jsonb, fixes_enqueued = $fixes_enqueued::int4, api_requests = $api_requests::int4, error = $error::text, finished_at = now()
WHERE id = $report_id::bigint",
);

/// Records a run of `$trigger` that did nothing because Zoho is not configured, and why
/// (`$error`). Returns `id`.
pub const NOT_CONFIGURED_REPORT: Statement = statement!(
    "reconcile::not_configured_report",
    "\
INSERT INTO tds_reconcile_reports (trigger, status, error, finished_at)
VALUES ($trigger::text, 'not_configured', $error::text, now())
RETURNING id",
);

// The report as one JSON document (times as text inside the JSON).
macro_rules! report_json {
    ($condition:literal) => {
        concat!(
            "\
SELECT jsonb_build_object('id', id, 'run_id', run_id, 'trigger', trigger, 'status', status, 'pull', pull,
    'drift', drift, 'integrity', integrity, 'summary', summary, 'fixes_enqueued', fixes_enqueued,
    'api_requests', api_requests, 'error', error, 'started_at', started_at, 'finished_at', finished_at)::text AS report
FROM tds_reconcile_reports ",
            $condition
        )
    };
}

/// The newest report. Returns `report` (JSON text); no row when none.
pub const LATEST_REPORT: Statement = statement!(
    "reconcile::latest_report",
    report_json!("ORDER BY id DESC LIMIT 1"),
);

/// Report `$report_id`. Returns `report` (JSON text); no row when there is no such report.
pub const REPORT_BY_ID: Statement = statement!(
    "reconcile::report_by_id",
    report_json!("WHERE id = $report_id::bigint"),
);

// Integrity candidates: each returns `module`, `entity_id`, `field`, `value` (text), at
// most `$limit` rows, live rows only. Those over every module's tables (negative prices,
// unknown items and contacts) are built from the ERP tables' declarations instead
// (`tds_erp::integrity`).

/// Items' `stock_on_hand` and `available_stock` below zero.
pub const NEGATIVE_STOCK: Statement = statement!(
    "reconcile::negative_stock",
    "\
SELECT module, entity_id, field, value FROM (
    SELECT 'items' AS module, item_id AS entity_id, 'stock_on_hand' AS field, stock_on_hand::text AS value FROM erp_items
        WHERE deleted_at IS NULL AND stock_on_hand < 0
    UNION ALL SELECT 'items', item_id, 'available_stock', available_stock::text FROM erp_items
        WHERE deleted_at IS NULL AND available_stock < 0
) found ORDER BY entity_id, field LIMIT $limit::int4",
);

/// Live items whose SKU (trimmed, any case) another live item has; `value` the SKU.
pub const SHARED_SKUS: Statement = statement!(
    "reconcile::shared_skus",
    "\
SELECT 'items' AS module, item_id AS entity_id, 'sku' AS field, sku AS value FROM erp_items
WHERE deleted_at IS NULL AND lower(btrim(sku)) IN (
    SELECT lower(btrim(sku)) FROM erp_items WHERE deleted_at IS NULL AND btrim(coalesce(sku, '')) <> ''
    GROUP BY lower(btrim(sku)) HAVING count(*) > 1)
ORDER BY lower(btrim(sku)), item_id LIMIT $limit::int4",
);

/// Live rows last written more than `$older_than_hours` ago; `value` the hours since.
pub const NOT_REFRESHED: Statement = statement!(
    "reconcile::not_refreshed",
    "\
SELECT module, entity_id, 'updated_at' AS field,
    round((extract(epoch FROM now() - updated_at) / 3600)::numeric, 1)::text AS value
FROM tds_erp_versions
WHERE deleted_at IS NULL AND updated_at < now() - make_interval(secs => $older_than_hours::float8 * 3600)
ORDER BY updated_at, module, entity_id LIMIT $limit::int4",
);

/// Every named statement of this module.
pub const ALL: [Statement; 33] = [
    INSERT_PULLED_EVENT,
    STORED_EVENT,
    TAKE_RUN_LEASE,
    RUN_LEASE,
    RELEASE_RUN_LEASE,
    READ_CURSOR,
    SAVE_CURSOR,
    LIST_PAGE,
    END_PASS,
    TO_READ,
    TO_REREAD,
    MARK_READ,
    FORGET_RECORD,
    LISTED_RECORDS,
    SPEND_REQUEST,
    REFUSE_REQUEST,
    REQUESTS_TODAY,
    PULL_PROGRESS,
    HELD_CONTENT_HASH,
    ERP_ROWS,
    QUEUED_VERSIONS,
    READ_TOKEN,
    SAVE_TOKEN,
    EXPIRE_TOKEN,
    TOKEN_ERROR,
    START_REPORT,
    FINISH_REPORT,
    NOT_CONFIGURED_REPORT,
    LATEST_REPORT,
    REPORT_BY_ID,
    NEGATIVE_STOCK,
    SHARED_SKUS,
    NOT_REFRESHED,
];
