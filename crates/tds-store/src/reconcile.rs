//! Reconcile's statements (components/reconcile): pulled records into the inbox (the
//! queue side is [`crate::queue::ENQUEUE_OR_REPOINT`], as for webhooks), listing cursors,
//! what each listing showed and what is still to read (`tds_zoho_records`), the day's
//! request budget, the Zoho access token, what drift and integrity compare, and the
//! reports — including the reads the stats API serves ([`LATEST_REPORT`],
//! [`REPORT_BY_ID`], [`PULL_PROGRESS`], [`REQUESTS_TODAY`]).
//!
//! Times leave as UTC RFC 3339 text (`to_char(… AT TIME ZONE 'UTC', …)`), never as
//! `timestamptz`, and every placeholder is cast, as real Spin requires.

use crate::Statement;

/// Stores one record read from the Zoho API unless its idempotency key is known: the same
/// key as a webhook of that record, so a record delivered both ways is stored once.
/// `$1` correlation id, `$2` module, `$3` entity id, `$4` operation, `$5` raw body
/// (bytea), `$6` document (JSON text), `$7` source version (text; NULL: the receipt time),
/// `$8` version source, `$9` content hash, `$10` idempotency key.
/// Returns `id`, `source_modified_at` (text); no row for a duplicate.
pub const INSERT_PULLED_EVENT: Statement = Statement::new(
    "reconcile::insert_pulled_event",
    "\
INSERT INTO tds_inbox_events (correlation_id, module, entity_id, operation, http_method, content_type, payload_shape,
    raw_body, document, headers, source_modified_at, version_source, content_hash, idempotency_key, status, source)
VALUES ($1::text, $2::text, $3::text, $4::text, 'GET', 'application/json', 'bare', $5::bytea, $6::text::jsonb, '{}'::jsonb,
    coalesce($7::text::timestamptz, now()), $8::text, $9::text, $10::text, 'accepted', 'zoho_pull')
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, source_modified_at::text",
);

/// The stored event with idempotency key `$1`, for queueing it again. Returns `id`,
/// `source_modified_at` (text).
pub const STORED_EVENT: Statement = Statement::new(
    "reconcile::stored_event",
    "SELECT id, source_modified_at::text FROM tds_inbox_events WHERE idempotency_key = $1::text",
);

/// Takes the lease that lets one reconcile run at a time (row `reconcile:run` of
/// `tds_cursors`: `position` the owner, `position_at` the expiry): `$1` owner, `$2` seconds
/// (float8). Taken when free, expired, or already this owner's. Returns `owner`; no row when
/// another run holds it.
pub const TAKE_RUN_LEASE: Statement = Statement::new(
    "reconcile::take_run_lease",
    "\
INSERT INTO tds_cursors AS c (name, position, position_at, details, updated_at)
VALUES ('reconcile:run', $1::text, now() + make_interval(secs => $2::float8), '{}'::jsonb, now())
ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, position_at = EXCLUDED.position_at,
    updated_at = now()
    WHERE c.position_at IS NULL OR c.position_at < now() OR c.position = $1::text
RETURNING position",
);

/// Until when the run lease is held. Returns `lease_expires_at` (text, RFC 3339; NULL
/// when none is held).
pub const RUN_LEASE: Statement = Statement::new(
    "reconcile::run_lease",
    "\
SELECT (SELECT to_char(position_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM tds_cursors
        WHERE name = 'reconcile:run' AND position_at >= now())",
);

/// Gives the run lease back: `$1` the owner.
pub const RELEASE_RUN_LEASE: Statement = Statement::new(
    "reconcile::release_run_lease",
    "\
UPDATE tds_cursors SET position_at = now(), updated_at = now()
WHERE name = 'reconcile:run' AND position = $1::text",
);

/// The stored pull position of cursor `$1`. Returns `details` (JSON text).
pub const READ_CURSOR: Statement = Statement::new(
    "reconcile::read_cursor",
    "SELECT details::text FROM tds_cursors WHERE name = $1::text",
);

/// Stores cursor `$1`: `$2` details (JSON text, the whole position).
pub const SAVE_CURSOR: Statement = Statement::new(
    "reconcile::save_cursor",
    "\
INSERT INTO tds_cursors (name, details, updated_at)
VALUES ($1::text, $2::text::jsonb, now())
ON CONFLICT (name) DO UPDATE SET details = EXCLUDED.details, updated_at = now()",
);

/// Stores one listed page of module `$1` in listing pass `$2` (int4): `$3` ids, `$4` the
/// rows' modification times (RFC 3339, `''` when the row shows none), `$5` the rows'
/// fingerprints (text[] each, in step). A record seen for the first time that the ERP (or
/// the queue) already holds at the listed version (any version, when the row shows no
/// time) is taken as read: webhooks brought it, and reading it again would spend a
/// request on nothing. A record already read is taken as read again when the ERP holds
/// the newer time its row now shows. Returns `listed` (int8), `to_read` (int8: those of
/// the page waiting to be read).
pub const LIST_PAGE: Statement = Statement::new(
    "reconcile::list_page",
    "\
WITH listed AS (
    SELECT DISTINCT ON (id) id, nullif(at, '')::timestamptz AS modified_at, fingerprint
    FROM unnest($3::text[], $4::text[], $5::text[]) AS l(id, at, fingerprint)
    ORDER BY id
), judged AS (
    SELECT l.id, l.modified_at, l.fingerprint,
        EXISTS (SELECT 1 FROM tds_erp_versions v WHERE v.module = $1::text AND v.entity_id = l.id
                    AND v.deleted_at IS NULL AND (l.modified_at IS NULL OR v.source_modified_at >= l.modified_at))
        OR EXISTS (SELECT 1 FROM tds_sync_queue q WHERE q.module = $1::text AND q.entity_id = l.id
                    AND q.operation = 'upsert' AND q.status IN ('pending', 'retry', 'processing')
                    AND (l.modified_at IS NULL OR q.source_modified_at >= l.modified_at)) AS held
    FROM listed l
), stored AS (
    INSERT INTO tds_zoho_records AS r (module, entity_id, listed_modified_at, list_fingerprint, listed_pass,
        listed_at, read_modified_at, read_fingerprint)
    SELECT $1::text, id, modified_at, fingerprint, $2::int4, now(),
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
SELECT count(*)::int8, (count(*) FILTER (WHERE needs_read))::int8 FROM stored",
);

/// Ends listing pass `$2` (int4) of module `$1`: the records it did not show are gone from
/// Zoho's list and are forgotten. Returns `gone` (int8).
pub const END_PASS: Statement = Statement::new(
    "reconcile::end_pass",
    "\
WITH gone AS (
    DELETE FROM tds_zoho_records WHERE module = $1::text AND listed_pass < $2::int4 RETURNING 1
)
SELECT count(*)::int8 FROM gone",
);

/// At most `$2` (int4) records of modules `$1` (text[]) waiting to be read, those listed
/// first before the others. Returns `module`, `entity_id`.
pub const TO_READ: Statement = Statement::new(
    "reconcile::to_read",
    "\
SELECT module, entity_id FROM tds_zoho_records
WHERE needs_read AND module = ANY($1::text[])
ORDER BY listed_at, module, entity_id LIMIT $2::int4",
);

/// At most `$2` (int4) records of modules `$1` (text[]) whose list rows show no
/// modification time and that were not read in the last `$3` (float8) seconds (the run so
/// far), read longest ago (or never) first: the rotating re-read. Returns `module`,
/// `entity_id`.
pub const TO_REREAD: Statement = Statement::new(
    "reconcile::to_reread",
    "\
SELECT module, entity_id FROM tds_zoho_records
WHERE listed_modified_at IS NULL AND NOT needs_read AND module = ANY($1::text[])
    AND (read_at IS NULL OR read_at < now() - make_interval(secs => $3::float8))
ORDER BY read_at NULLS FIRST, module, entity_id LIMIT $2::int4",
);

/// Record `$2` of module `$1` was read; `$3` the version the document carried (RFC 3339,
/// `''` when none). What its list row showed is then what TDS holds.
pub const MARK_READ: Statement = Statement::new(
    "reconcile::mark_read",
    "\
UPDATE tds_zoho_records
SET read_fingerprint = list_fingerprint, read_at = now(),
    read_modified_at = greatest(listed_modified_at, nullif($3::text, '')::timestamptz)
WHERE module = $1::text AND entity_id = $2::text",
);

/// Record `$2` of module `$1` is gone from Zoho (its detail answered 404): forgotten.
pub const FORGET_RECORD: Statement = Statement::new(
    "reconcile::forget_record",
    "DELETE FROM tds_zoho_records WHERE module = $1::text AND entity_id = $2::text",
);

/// What the listing last showed of module `$1`. Returns `entity_id`, `modified_at` (text,
/// NULL when the row showed none), `needs_read` (bool).
pub const LISTED_RECORDS: Statement = Statement::new(
    "reconcile::listed_records",
    "\
SELECT entity_id, to_char(listed_modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), needs_read
FROM tds_zoho_records WHERE module = $1::text",
);

/// Spends one request of today's (UTC) budget of `$1` (int4) requests. Returns
/// `requests` (int4: spent today, this one included); no row when the budget is spent.
pub const SPEND_REQUEST: Statement = Statement::new(
    "reconcile::spend_request",
    "\
INSERT INTO tds_zoho_request_days AS d (day, requests)
SELECT (now() AT TIME ZONE 'UTC')::date, 1 WHERE $1::int4 > 0
ON CONFLICT (day) DO UPDATE SET requests = d.requests + 1, updated_at = now()
    WHERE d.requests < $1::int4
RETURNING requests",
);

/// A request was not sent because today's budget is spent.
pub const REFUSE_REQUEST: Statement = Statement::new(
    "reconcile::refuse_request",
    "\
INSERT INTO tds_zoho_request_days AS d (day, refused) VALUES ((now() AT TIME ZONE 'UTC')::date, 1)
ON CONFLICT (day) DO UPDATE SET refused = d.refused + 1, updated_at = now()",
);

/// Today's (UTC) request figures. Returns `day` (text, `YYYY-MM-DD`), `requests` (int4),
/// `refused` (int4); zero when none was made.
pub const REQUESTS_TODAY: Statement = Statement::new(
    "reconcile::requests_today",
    "\
SELECT to_char((now() AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), coalesce(d.requests, 0), coalesce(d.refused, 0)
FROM (SELECT 1) one LEFT JOIN tds_zoho_request_days d ON d.day = (now() AT TIME ZONE 'UTC')::date",
);

/// Each listed module's progress: `module`, `listed` (int8: records the listing holds),
/// `to_read` (int8), `cursor` (the listing cursor, JSON text).
pub const PULL_PROGRESS: Statement = Statement::new(
    "reconcile::pull_progress",
    "\
SELECT c.module, coalesce(r.listed, 0)::int8, coalesce(r.to_read, 0)::int8, c.details::text
FROM (SELECT substr(name, length('zoho_listing:') + 1) AS module, details FROM tds_cursors
      WHERE name LIKE 'zoho_listing:%') c
LEFT JOIN (SELECT module, count(*) AS listed, count(*) FILTER (WHERE needs_read) AS to_read
           FROM tds_zoho_records GROUP BY module) r USING (module)
ORDER BY c.module",
);

/// The content TDS holds of record `$2` of module `$1`: the hash of its newest inbox event
/// (applied or waiting), else of its live ERP row (older events are deleted by retention).
/// Returns `content_hash` (NULL when TDS holds neither).
pub const HELD_CONTENT_HASH: Statement = Statement::new(
    "reconcile::held_content_hash",
    "\
SELECT coalesce(
    (SELECT content_hash FROM tds_inbox_events WHERE module = $1::text AND entity_id = $2::text
     ORDER BY id DESC LIMIT 1),
    (SELECT content_hash FROM tds_erp_versions
     WHERE module = $1::text AND entity_id = $2::text AND deleted_at IS NULL))",
);

/// Every ERP header row of module `$1`. Returns `entity_id`, `version` (text), `deleted`
/// (bool).
pub const ERP_ROWS: Statement = Statement::new(
    "reconcile::erp_rows",
    "\
SELECT entity_id, to_char(source_modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), deleted_at IS NOT NULL
FROM tds_erp_versions WHERE module = $1::text",
);

/// What waits in the queue per entity of module `$1` (not yet applied). Returns
/// `entity_id`, `version` (text: the newest upsert's, NULL when only a delete waits),
/// `deleting` (bool: a delete waits).
pub const QUEUED_VERSIONS: Statement = Statement::new(
    "reconcile::queued_versions",
    "\
SELECT entity_id,
    to_char(max(source_modified_at) FILTER (WHERE operation = 'upsert') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
    bool_or(operation = 'delete')
FROM tds_sync_queue
WHERE module = $1::text AND status IN ('pending', 'retry', 'processing')
GROUP BY entity_id",
);

/// The access token `$1` (creating its row). Returns `access_token` (NULL when none),
/// `valid_seconds` (float8: seconds until it expires, negative or NULL when expired or
/// none), `refreshes_in_window` (int4: refreshes in the last 10 minutes), `api_domain`
/// (the API origin Zoho named with the token, NULL when none).
pub const READ_TOKEN: Statement = Statement::new(
    "reconcile::read_token",
    "\
WITH created AS (
    INSERT INTO tds_zoho_tokens (name) VALUES ($1::text) ON CONFLICT (name) DO NOTHING
    RETURNING access_token, expires_at, refresh_window_started_at, refresh_window_count, api_domain
), current AS (
    SELECT access_token, expires_at, refresh_window_started_at, refresh_window_count, api_domain FROM created
    UNION ALL
    SELECT access_token, expires_at, refresh_window_started_at, refresh_window_count, api_domain
    FROM tds_zoho_tokens WHERE name = $1::text
)
SELECT access_token, extract(epoch FROM expires_at - now())::float8,
    CASE WHEN refresh_window_started_at > now() - interval '10 minutes' THEN refresh_window_count ELSE 0 END,
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

/// Stores a refreshed token `$1`: `$2` access token, `$3` seconds it is valid (int4),
/// `$4` the API domain Zoho named (NULL when none). Counts the refresh in the current
/// 10-minute window (a new window when the last is over).
pub const SAVE_TOKEN: Statement = Statement::new(
    "reconcile::save_token",
    concat!(
        "\
UPDATE tds_zoho_tokens
SET access_token = $2::text, expires_at = now() + make_interval(secs => $3::int4), api_domain = $4::text,
    refreshed_at = now(), last_error = NULL, updated_at = now(),
",
        count_in_refresh_window!(),
        "WHERE name = $1::text"
    ),
);

/// Token `$1` was refused by the API: it counts as expired from now. `$2` the error.
pub const EXPIRE_TOKEN: Statement = Statement::new(
    "reconcile::expire_token",
    "\
UPDATE tds_zoho_tokens SET expires_at = least(expires_at, now()), last_error = $2::text, updated_at = now()
WHERE name = $1::text",
);

/// A refresh of token `$1` failed: `$2` the error. It counts in the current 10-minute
/// window like a refresh that succeeded: Zoho counts every request to its token endpoint.
pub const TOKEN_ERROR: Statement = Statement::new(
    "reconcile::token_error",
    concat!(
        "\
UPDATE tds_zoho_tokens
SET last_error = $2::text, updated_at = now(),
",
        count_in_refresh_window!(),
        "WHERE name = $1::text"
    ),
);

/// Starts a report: `$1` trigger (`cron` or `http`), `$2` the run's id (int8). Returns `id`.
pub const START_REPORT: Statement = Statement::new(
    "reconcile::start_report",
    "\
INSERT INTO tds_reconcile_reports (trigger, run_id) VALUES ($1::text, $2::bigint) RETURNING id",
);

/// Finishes report `$1`: `$2` status, `$3` pull (JSON text), `$4` drift (JSON text), `$5`
/// integrity findings (JSON text), `$6` summary (JSON text), `$7` fixes enqueued (int4),
/// `$8` API requests made (int4), `$9` error (NULL when none).
pub const FINISH_REPORT: Statement = Statement::new(
    "reconcile::finish_report",
    "\
UPDATE tds_reconcile_reports
SET status = $2::text, pull = $3::text::jsonb, drift = $4::text::jsonb, integrity = $5::text::jsonb,
    summary = $6::text::jsonb, fixes_enqueued = $7::int4, api_requests = $8::int4, error = $9::text, finished_at = now()
WHERE id = $1::bigint",
);

/// Records a run that did nothing because Zoho is not configured: `$1` trigger, `$2` why.
/// Returns `id`.
pub const NOT_CONFIGURED_REPORT: Statement = Statement::new(
    "reconcile::not_configured_report",
    "\
INSERT INTO tds_reconcile_reports (trigger, status, error, finished_at)
VALUES ($1::text, 'not_configured', $2::text, now())
RETURNING id",
);

// The report as one JSON document (times as text inside the JSON).
macro_rules! report_json {
    ($condition:literal) => {
        concat!(
            "\
SELECT jsonb_build_object('id', id, 'run_id', run_id, 'trigger', trigger, 'status', status, 'pull', pull,
    'drift', drift, 'integrity', integrity, 'summary', summary, 'fixes_enqueued', fixes_enqueued,
    'api_requests', api_requests, 'error', error, 'started_at', started_at, 'finished_at', finished_at)::text
FROM tds_reconcile_reports ",
            $condition
        )
    };
}

/// The newest report. Returns `report` (JSON text); no row when none.
pub const LATEST_REPORT: Statement = Statement::new(
    "reconcile::latest_report",
    report_json!("ORDER BY id DESC LIMIT 1"),
);

/// Report `$1` (int8). Returns `report` (JSON text); no row when there is no such report.
pub const REPORT_BY_ID: Statement = Statement::new(
    "reconcile::report_by_id",
    report_json!("WHERE id = $1::bigint"),
);

// Integrity candidates: each returns `module`, `entity_id`, `field`, `value` (text), at
// most `$1` (int4) rows, live rows only.

/// Prices below zero: items' `rate` and `purchase_rate`, lines' `rate`.
pub const NEGATIVE_PRICES: Statement = Statement::new(
    "reconcile::negative_prices",
    "\
SELECT module, entity_id, field, value FROM (
    SELECT 'items' AS module, item_id AS entity_id, 'rate' AS field, rate::text AS value FROM erp_items WHERE deleted_at IS NULL AND rate < 0
    UNION ALL SELECT 'items', item_id, 'purchase_rate', purchase_rate::text FROM erp_items WHERE deleted_at IS NULL AND purchase_rate < 0
    UNION ALL SELECT 'invoices', l.invoice_id, 'line ' || l.line_no || ' rate', l.rate::text FROM erp_invoice_lines l
        JOIN erp_invoices h USING (invoice_id) WHERE h.deleted_at IS NULL AND l.rate < 0
    UNION ALL SELECT 'salesorders', l.salesorder_id, 'line ' || l.line_no || ' rate', l.rate::text FROM erp_sales_order_lines l
        JOIN erp_sales_orders h USING (salesorder_id) WHERE h.deleted_at IS NULL AND l.rate < 0
    UNION ALL SELECT 'creditnotes', l.creditnote_id, 'line ' || l.line_no || ' rate', l.rate::text FROM erp_credit_note_lines l
        JOIN erp_credit_notes h USING (creditnote_id) WHERE h.deleted_at IS NULL AND l.rate < 0
    UNION ALL SELECT 'bills', l.bill_id, 'line ' || l.line_no || ' rate', l.rate::text FROM erp_bill_lines l
        JOIN erp_bills h USING (bill_id) WHERE h.deleted_at IS NULL AND l.rate < 0
    UNION ALL SELECT 'purchaseorders', l.purchaseorder_id, 'line ' || l.line_no || ' rate', l.rate::text FROM erp_purchase_order_lines l
        JOIN erp_purchase_orders h USING (purchaseorder_id) WHERE h.deleted_at IS NULL AND l.rate < 0
    UNION ALL SELECT 'pricebooks', l.pricebook_id, 'line ' || l.line_no || ' pricebook_rate', l.pricebook_rate::text FROM erp_price_list_items l
        JOIN erp_price_lists h USING (pricebook_id) WHERE h.deleted_at IS NULL AND l.pricebook_rate < 0
) found ORDER BY module, entity_id, field LIMIT $1::int4",
);

/// Items' `stock_on_hand` and `available_stock` below zero.
pub const NEGATIVE_STOCK: Statement = Statement::new(
    "reconcile::negative_stock",
    "\
SELECT module, entity_id, field, value FROM (
    SELECT 'items' AS module, item_id AS entity_id, 'stock_on_hand' AS field, stock_on_hand::text AS value FROM erp_items
        WHERE deleted_at IS NULL AND stock_on_hand < 0
    UNION ALL SELECT 'items', item_id, 'available_stock', available_stock::text FROM erp_items
        WHERE deleted_at IS NULL AND available_stock < 0
) found ORDER BY entity_id, field LIMIT $1::int4",
);

/// Live items whose SKU (trimmed, any case) another live item has; `value` the SKU.
pub const SHARED_SKUS: Statement = Statement::new(
    "reconcile::shared_skus",
    "\
SELECT 'items', item_id, 'sku', sku FROM erp_items
WHERE deleted_at IS NULL AND lower(btrim(sku)) IN (
    SELECT lower(btrim(sku)) FROM erp_items WHERE deleted_at IS NULL AND btrim(coalesce(sku, '')) <> ''
    GROUP BY lower(btrim(sku)) HAVING count(*) > 1)
ORDER BY lower(btrim(sku)), item_id LIMIT $1::int4",
);

/// Lines of live documents naming an item the ERP has no live row for; `value` the item id.
pub const UNKNOWN_ITEMS: Statement = Statement::new(
    "reconcile::unknown_items",
    "\
SELECT module, entity_id, field, value FROM (
    SELECT 'invoices' AS module, l.invoice_id AS entity_id, 'line ' || l.line_no || ' item_id' AS field, l.item_id AS value
        FROM erp_invoice_lines l JOIN erp_invoices h USING (invoice_id) WHERE h.deleted_at IS NULL AND l.item_id IS NOT NULL
    UNION ALL SELECT 'salesorders', l.salesorder_id, 'line ' || l.line_no || ' item_id', l.item_id
        FROM erp_sales_order_lines l JOIN erp_sales_orders h USING (salesorder_id) WHERE h.deleted_at IS NULL AND l.item_id IS NOT NULL
    UNION ALL SELECT 'creditnotes', l.creditnote_id, 'line ' || l.line_no || ' item_id', l.item_id
        FROM erp_credit_note_lines l JOIN erp_credit_notes h USING (creditnote_id) WHERE h.deleted_at IS NULL AND l.item_id IS NOT NULL
    UNION ALL SELECT 'bills', l.bill_id, 'line ' || l.line_no || ' item_id', l.item_id
        FROM erp_bill_lines l JOIN erp_bills h USING (bill_id) WHERE h.deleted_at IS NULL AND l.item_id IS NOT NULL
    UNION ALL SELECT 'purchaseorders', l.purchaseorder_id, 'line ' || l.line_no || ' item_id', l.item_id
        FROM erp_purchase_order_lines l JOIN erp_purchase_orders h USING (purchaseorder_id) WHERE h.deleted_at IS NULL AND l.item_id IS NOT NULL
) refs
WHERE NOT EXISTS (SELECT 1 FROM erp_items i WHERE i.item_id = refs.value AND i.deleted_at IS NULL)
ORDER BY module, entity_id, field LIMIT $1::int4",
);

/// Live documents naming a customer or vendor the ERP has no live contact for; `value` the
/// contact id.
pub const UNKNOWN_CONTACTS: Statement = Statement::new(
    "reconcile::unknown_contacts",
    "\
SELECT module, entity_id, field, value FROM (
    SELECT 'invoices' AS module, invoice_id AS entity_id, 'customer_id' AS field, customer_id AS value FROM erp_invoices WHERE deleted_at IS NULL
    UNION ALL SELECT 'salesorders', salesorder_id, 'customer_id', customer_id FROM erp_sales_orders WHERE deleted_at IS NULL
    UNION ALL SELECT 'customerpayments', payment_id, 'customer_id', customer_id FROM erp_customer_payments WHERE deleted_at IS NULL
    UNION ALL SELECT 'creditnotes', creditnote_id, 'customer_id', customer_id FROM erp_credit_notes WHERE deleted_at IS NULL
    UNION ALL SELECT 'bills', bill_id, 'vendor_id', vendor_id FROM erp_bills WHERE deleted_at IS NULL
    UNION ALL SELECT 'purchaseorders', purchaseorder_id, 'vendor_id', vendor_id FROM erp_purchase_orders WHERE deleted_at IS NULL
    UNION ALL SELECT 'vendorpayments', payment_id, 'vendor_id', vendor_id FROM erp_vendor_payments WHERE deleted_at IS NULL
) refs
WHERE value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM erp_contacts c WHERE c.contact_id = refs.value AND c.deleted_at IS NULL)
ORDER BY module, entity_id LIMIT $1::int4",
);

/// Live rows last written more than `$2` hours (float8) ago; `value` the hours since.
pub const NOT_REFRESHED: Statement = Statement::new(
    "reconcile::not_refreshed",
    "\
SELECT module, entity_id, 'updated_at', round((extract(epoch FROM now() - updated_at) / 3600)::numeric, 1)::text
FROM tds_erp_versions
WHERE deleted_at IS NULL AND updated_at < now() - make_interval(secs => $2::float8 * 3600)
ORDER BY updated_at, module, entity_id LIMIT $1::int4",
);

/// Every named statement of this module.
pub const ALL: [Statement; 36] = [
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
    NEGATIVE_PRICES,
    NEGATIVE_STOCK,
    SHARED_SKUS,
    UNKNOWN_ITEMS,
    UNKNOWN_CONTACTS,
    NOT_REFRESHED,
];
