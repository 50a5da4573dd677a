//! Reconcile's statements (components/reconcile): pulled records into the inbox (the
//! queue side is [`crate::queue::ENQUEUE_OR_REPOINT`], as for webhooks), pull cursors,
//! the Zoho access token, what drift and integrity compare, and the reports — including
//! the two reads the stats API serves ([`LATEST_REPORT`], [`REPORT_BY_ID`]).
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

/// The stored pull position of cursor `$1`. Returns `details` (JSON text).
pub const READ_CURSOR: Statement = Statement::new(
    "reconcile::read_cursor",
    "SELECT details::text FROM tds_cursors WHERE name = $1::text",
);

/// Stores cursor `$1`: `$2` position (text, the high-water mark as RFC 3339, NULL when
/// none), `$3` details (JSON text).
pub const SAVE_CURSOR: Statement = Statement::new(
    "reconcile::save_cursor",
    "\
INSERT INTO tds_cursors (name, position, position_at, details, updated_at)
VALUES ($1::text, $2::text, $2::text::timestamptz, $3::text::jsonb, now())
ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, position_at = EXCLUDED.position_at,
    details = EXCLUDED.details, updated_at = now()",
);

/// For module `$1` and ids `$2` (text[]): the ERP row's version when the row is live, and
/// the newest version waiting in the queue. Returns `entity_id`, `erp_version` (text,
/// NULL), `queued_version` (text, NULL).
pub const KNOWN_VERSIONS: Statement = Statement::new(
    "reconcile::known_versions",
    "\
SELECT i.id,
    (SELECT to_char(v.source_modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
     FROM tds_erp_versions v WHERE v.module = $1::text AND v.entity_id = i.id AND v.deleted_at IS NULL),
    (SELECT to_char(max(q.source_modified_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
     FROM tds_sync_queue q WHERE q.module = $1::text AND q.entity_id = i.id AND q.operation = 'upsert'
       AND q.status IN ('pending', 'retry', 'processing'))
FROM unnest($2::text[]) AS i(id)",
);

/// Every ERP header row of module `$1`. Returns `entity_id`, `version` (text), `deleted`
/// (bool).
pub const ERP_ROWS: Statement = Statement::new(
    "reconcile::erp_rows",
    "\
SELECT entity_id, to_char(source_modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), deleted_at IS NOT NULL
FROM tds_erp_versions WHERE module = $1::text",
);

/// The newest version waiting in the queue per entity of module `$1` (upserts not yet
/// applied). Returns `entity_id`, `version` (text).
pub const QUEUED_VERSIONS: Statement = Statement::new(
    "reconcile::queued_versions",
    "\
SELECT entity_id, to_char(max(source_modified_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
FROM tds_sync_queue
WHERE module = $1::text AND operation = 'upsert' AND status IN ('pending', 'retry', 'processing')
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

/// Stores a refreshed token `$1`: `$2` access token, `$3` seconds it is valid (int4),
/// `$4` the API domain Zoho named (NULL when none). Counts the refresh in the current
/// 10-minute window (a new window when the last is over).
pub const SAVE_TOKEN: Statement = Statement::new(
    "reconcile::save_token",
    "\
UPDATE tds_zoho_tokens
SET access_token = $2::text, expires_at = now() + make_interval(secs => $3::int4), api_domain = $4::text,
    refreshed_at = now(), last_error = NULL, updated_at = now(),
    refresh_window_count = CASE WHEN refresh_window_started_at > now() - interval '10 minutes'
        THEN refresh_window_count + 1 ELSE 1 END,
    refresh_window_started_at = CASE WHEN refresh_window_started_at > now() - interval '10 minutes'
        THEN refresh_window_started_at ELSE now() END
WHERE name = $1::text",
);

/// Token `$1` was refused by the API: it counts as expired from now. `$2` the error.
pub const EXPIRE_TOKEN: Statement = Statement::new(
    "reconcile::expire_token",
    "\
UPDATE tds_zoho_tokens SET expires_at = least(expires_at, now()), last_error = $2::text, updated_at = now()
WHERE name = $1::text",
);

/// A refresh of token `$1` failed: `$2` the error.
pub const TOKEN_ERROR: Statement = Statement::new(
    "reconcile::token_error",
    "UPDATE tds_zoho_tokens SET last_error = $2::text, updated_at = now() WHERE name = $1::text",
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
pub const ALL: [Statement; 22] = [
    INSERT_PULLED_EVENT,
    STORED_EVENT,
    READ_CURSOR,
    SAVE_CURSOR,
    KNOWN_VERSIONS,
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
