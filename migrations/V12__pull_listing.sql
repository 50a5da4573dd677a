-- V12: a pull that holds to Zoho's documented API and to a daily request budget
-- (components/reconcile, docs/pull-sync.md).
--
-- Each run lists every page of every module (no sort and no filter: Zoho documents neither
-- for every module) into tds_zoho_records, then reads by id only the records whose list row
-- shows a change: a newer last_modified_time where the row has one, otherwise a different
-- fingerprint of the row. What is still to read survives the run, so a backfill larger than
-- a day's budget goes on the next day. Drift compares the ERP with this table, so it costs
-- no requests of its own.

-- What Zoho's list last showed of each record, and what the pull has read of it.
CREATE TABLE tds_zoho_records (
    module              text        NOT NULL,
    entity_id           text        NOT NULL,
    listed_modified_at  timestamptz,
    list_fingerprint    text        NOT NULL,
    listed_pass         integer     NOT NULL,
    listed_at           timestamptz NOT NULL DEFAULT now(),
    read_modified_at    timestamptz,
    read_fingerprint    text,
    read_at             timestamptz,
    needs_read          boolean     GENERATED ALWAYS AS (
        CASE WHEN read_fingerprint IS NULL THEN true
             WHEN listed_modified_at IS NOT NULL
                 THEN read_modified_at IS NULL OR listed_modified_at > read_modified_at
             ELSE list_fingerprint <> read_fingerprint END) STORED,
    PRIMARY KEY (module, entity_id)
);
COMMENT ON TABLE tds_zoho_records IS 'Per Zoho record: what the last listing showed and what the pull read. A record needs a read (needs_read) until it is read, and again when its list row shows a change.';
COMMENT ON COLUMN tds_zoho_records.listed_modified_at IS 'The list row''s last_modified_time (else updated_time); NULL when the row shows neither.';
COMMENT ON COLUMN tds_zoho_records.list_fingerprint IS 'SHA-256 of the list row without its time fields (tds_core::normalize::ContentHash).';
COMMENT ON COLUMN tds_zoho_records.listed_pass IS 'The listing pass of the module that last showed the record; rows a finished pass did not show are removed.';
COMMENT ON COLUMN tds_zoho_records.read_fingerprint IS 'The list fingerprint when the record was read, or taken as held because the ERP already had it; NULL: never.';
COMMENT ON COLUMN tds_zoho_records.read_at IS 'When the pull last read the record by id; NULL when never (held from webhooks). The rotating re-read takes the oldest first.';
CREATE INDEX tds_zoho_records_to_read ON tds_zoho_records (module, listed_at, entity_id) WHERE needs_read;
CREATE INDEX tds_zoho_records_reread ON tds_zoho_records (read_at NULLS FIRST) WHERE listed_modified_at IS NULL;

-- Zoho Books API requests per UTC day, against the plan's daily limit.
CREATE TABLE tds_zoho_request_days (
    day                 date        PRIMARY KEY,
    requests            integer     NOT NULL DEFAULT 0,
    refused             integer     NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tds_zoho_request_days IS 'Zoho Books API requests made per UTC day (token refreshes are not API requests), and requests not sent because the day''s budget was spent (refused).';

INSERT INTO tds_config (key, value, description) VALUES
    ('reconcile_daily_request_limit', '2000', 'Reconcile: the Zoho Books plan''s API requests per day (Free 1000, Standard 2000, Professional 5000, Premium and up 10000).'),
    ('reconcile_daily_request_reserve', '500', 'Reconcile: requests a day left for the organisation''s other API clients; the pull spends at most the limit minus this.'),
    ('reconcile_rereads_per_run', '10', 'Reconcile: records whose list row shows no modification time read again per run, oldest read first.'),
    ('reconcile_check_interval_hours', '24', 'Reconcile: a scheduled run lists a module again (and looks for drift) once its last whole listing is this old; between, it only goes on with what is left to read.')
ON CONFLICT (key) DO NOTHING;

-- The pull no longer filters by modification time, so there is no overlap to rewind by
-- (tds_core::config_values::RETIRED).
DELETE FROM tds_config WHERE key = 'reconcile_overlap_seconds';

-- The cursors of the pull before V12 (an incremental filter and a sort Zoho does not
-- document): the listing starts afresh under its own cursors (zoho_listing:<module>).
DELETE FROM tds_cursors WHERE name LIKE 'zoho_pull:%';

-- The ERP row's content hash beside its version, so a record read again whose content the
-- ERP already holds is not stored as a new event (components/reconcile/src/store.rs).
CREATE OR REPLACE VIEW tds_erp_versions AS
    SELECT 'invoices'::text AS module, invoice_id AS entity_id, source_modified_at, deleted_at, updated_at, content_hash FROM erp_invoices
    UNION ALL
    SELECT 'salesorders'::text AS module, salesorder_id AS entity_id, source_modified_at, deleted_at, updated_at, content_hash FROM erp_sales_orders
    UNION ALL
    SELECT 'customerpayments'::text AS module, payment_id AS entity_id, source_modified_at, deleted_at, updated_at, content_hash FROM erp_customer_payments
    UNION ALL
    SELECT 'creditnotes'::text AS module, creditnote_id AS entity_id, source_modified_at, deleted_at, updated_at, content_hash FROM erp_credit_notes
    UNION ALL
    SELECT 'items'::text AS module, item_id AS entity_id, source_modified_at, deleted_at, updated_at, content_hash FROM erp_items
    UNION ALL
    SELECT 'contacts'::text AS module, contact_id AS entity_id, source_modified_at, deleted_at, updated_at, content_hash FROM erp_contacts
    UNION ALL
    SELECT 'bills'::text AS module, bill_id AS entity_id, source_modified_at, deleted_at, updated_at, content_hash FROM erp_bills
    UNION ALL
    SELECT 'purchaseorders'::text AS module, purchaseorder_id AS entity_id, source_modified_at, deleted_at, updated_at, content_hash FROM erp_purchase_orders
    UNION ALL
    SELECT 'vendorpayments'::text AS module, payment_id AS entity_id, source_modified_at, deleted_at, updated_at, content_hash FROM erp_vendor_payments
    UNION ALL
    SELECT 'inventoryadjustments'::text AS module, inventory_adjustment_id AS entity_id, source_modified_at, deleted_at, updated_at, content_hash FROM erp_stock_adjustments
    UNION ALL
    SELECT 'pricebooks'::text AS module, pricebook_id AS entity_id, source_modified_at, deleted_at, updated_at, content_hash FROM erp_price_lists;
COMMENT ON VIEW tds_erp_versions IS 'ERP header rows of every module: module, entity_id, source_modified_at (the version), deleted_at, updated_at (last written), content_hash (of the document applied).';
