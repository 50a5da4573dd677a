-- V4: pull sync and reconciliation with the Zoho Books API (components/reconcile).
--
-- Pulled records enter the inbox and the queue exactly as webhooks do (same idempotency
-- key, same version rule); the inbox says where each event came from. Per-module pull
-- positions live in tds_cursors (name 'zoho_pull:<module>'); the OAuth access token in
-- tds_zoho_tokens; every reconciliation run leaves a report in tds_reconcile_reports.

ALTER TABLE tds_inbox_events
    ADD COLUMN source text NOT NULL DEFAULT 'webhook' CHECK (source IN ('webhook', 'zoho_pull', 'replay'));
COMMENT ON COLUMN tds_inbox_events.source IS 'webhook: delivered by Zoho; zoho_pull: read from the Zoho Books API by reconcile; replay: re-sent by an operator.';

-- The access token of the Zoho OAuth client (one row per refresh token's owner, 'books').
CREATE TABLE tds_zoho_tokens (
    name                text PRIMARY KEY,
    access_token        text,
    expires_at          timestamptz,
    api_domain          text,
    refreshed_at        timestamptz,
    refresh_window_started_at timestamptz,
    refresh_window_count integer     NOT NULL DEFAULT 0,
    last_error          text,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tds_zoho_tokens IS 'Zoho OAuth access tokens (valid one hour), refreshed from the refresh token when expired or refused (401, code 57). refresh_window_*: refreshes in the current 10-minute window (Zoho allows 10).';

-- One row per reconciliation run: what was pulled, the drift found, the integrity findings.
CREATE TABLE tds_reconcile_reports (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id              bigint,
    trigger             text        NOT NULL CHECK (trigger IN ('cron', 'http')),
    status              text        NOT NULL DEFAULT 'running'
                                    CHECK (status IN ('running', 'completed', 'partial', 'failed', 'not_configured')),
    pull                jsonb       NOT NULL DEFAULT '{}',
    drift               jsonb       NOT NULL DEFAULT '{}',
    integrity           jsonb       NOT NULL DEFAULT '[]',
    summary             jsonb       NOT NULL DEFAULT '{}',
    fixes_enqueued      integer     NOT NULL DEFAULT 0,
    api_requests        integer     NOT NULL DEFAULT 0,
    error               text,
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz
);
COMMENT ON COLUMN tds_reconcile_reports.pull IS 'Per module: listed, stored, duplicates, current (skipped: the ERP already holds that version), pages, cursor.';
COMMENT ON COLUMN tds_reconcile_reports.drift IS 'Per module: missing (in Zoho, not in the ERP), extra (in the ERP, not in Zoho), stale (the ERP holds an older version), in_flight (queued, not yet applied), each a list of ids.';
COMMENT ON COLUMN tds_reconcile_reports.integrity IS 'Findings: {check, module, entity_id, detail}.';
CREATE INDEX tds_reconcile_reports_started ON tds_reconcile_reports (started_at);

INSERT INTO tds_config (key, value, description) VALUES
    ('reconcile_page_size', '200', 'Reconcile: records per Zoho list page (Zoho allows 200 at most).'),
    ('reconcile_requests_per_minute', '100', 'Reconcile: Zoho API requests per minute at most (Zoho documents about 100 per organisation).'),
    ('reconcile_backoff_base_ms', '2000', 'Reconcile: the first wait after a rate-limited answer (429), doubled per repeat.'),
    ('reconcile_backoff_cap_ms', '60000', 'Reconcile: the longest wait after a rate-limited answer.'),
    ('reconcile_max_retries', '5', 'Reconcile: rate-limited or failed requests retried at most this many times each.'),
    ('reconcile_overlap_seconds', '60', 'Reconcile: an incremental pull starts this long before the cursor, so same-second edits are not lost.'),
    ('reconcile_time_budget_ms', '240000', 'Reconcile: how long one run keeps pulling before it stops (the cursor keeps its place).'),
    ('reconcile_request_timeout_ms', '30000', 'Reconcile: the longest one Zoho API request may take.'),
    ('reconcile_stale_age_hours', '720', 'Reconcile integrity: ERP rows not written for longer than this are reported.'),
    ('reconcile_finding_limit', '100', 'Reconcile: the most ids listed per check and module in a report.'),
    ('reconcile_modules', '"invoices,salesorders,customerpayments,creditnotes,items,contacts,bills,purchaseorders,vendorpayments"', 'Reconcile: the Zoho Books modules pulled and compared (inventoryadjustments and pricebooks are Zoho Inventory).')
ON CONFLICT (key) DO NOTHING;

-- Every ERP header row by module: what drift and the pull's skip check compare with Zoho.
CREATE VIEW tds_erp_versions AS
    SELECT 'invoices'::text AS module, invoice_id AS entity_id, source_modified_at, deleted_at, updated_at FROM erp_invoices
    UNION ALL
    SELECT 'salesorders'::text AS module, salesorder_id AS entity_id, source_modified_at, deleted_at, updated_at FROM erp_sales_orders
    UNION ALL
    SELECT 'customerpayments'::text AS module, payment_id AS entity_id, source_modified_at, deleted_at, updated_at FROM erp_customer_payments
    UNION ALL
    SELECT 'creditnotes'::text AS module, creditnote_id AS entity_id, source_modified_at, deleted_at, updated_at FROM erp_credit_notes
    UNION ALL
    SELECT 'items'::text AS module, item_id AS entity_id, source_modified_at, deleted_at, updated_at FROM erp_items
    UNION ALL
    SELECT 'contacts'::text AS module, contact_id AS entity_id, source_modified_at, deleted_at, updated_at FROM erp_contacts
    UNION ALL
    SELECT 'bills'::text AS module, bill_id AS entity_id, source_modified_at, deleted_at, updated_at FROM erp_bills
    UNION ALL
    SELECT 'purchaseorders'::text AS module, purchaseorder_id AS entity_id, source_modified_at, deleted_at, updated_at FROM erp_purchase_orders
    UNION ALL
    SELECT 'vendorpayments'::text AS module, payment_id AS entity_id, source_modified_at, deleted_at, updated_at FROM erp_vendor_payments
    UNION ALL
    SELECT 'inventoryadjustments'::text AS module, inventory_adjustment_id AS entity_id, source_modified_at, deleted_at, updated_at FROM erp_stock_adjustments
    UNION ALL
    SELECT 'pricebooks'::text AS module, pricebook_id AS entity_id, source_modified_at, deleted_at, updated_at FROM erp_price_lists;
COMMENT ON VIEW tds_erp_versions IS 'ERP header rows of every module: module, entity_id, source_modified_at (the version), deleted_at, updated_at (last written).';
