-- V1: the platform tables (DESIGN.md §3) and the first ERP table, erp_items.
--
-- Times are timestamptz and money is numeric. Components never read a timestamptz
-- column as such (real Spin fails the whole query): they select `col::text` or
-- `extract(epoch FROM col)` and pass times in as `$n::text::timestamptz`.
-- Operational tables carry ids of inbox events and queue rows without foreign keys, so
-- history outlives the inbox's retention.

-- Every authentic delivery, stored before it is acknowledged.
CREATE TABLE tds_inbox_events (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    correlation_id      text        NOT NULL,
    module              text        NOT NULL,
    entity_id           text,
    operation           text        NOT NULL CHECK (operation IN ('upsert', 'delete')),
    http_method         text        NOT NULL,
    content_type        text,
    payload_shape       text        NOT NULL CHECK (payload_shape IN ('wrapped', 'bare', 'form_json', 'form_fields')),
    raw_body            bytea       NOT NULL,
    document            jsonb       NOT NULL,
    headers             jsonb       NOT NULL DEFAULT '{}',
    source_modified_at  timestamptz NOT NULL,
    version_source      text        NOT NULL CHECK (version_source IN ('last_modified_time', 'updated_time', 'received_at')),
    content_hash        text        NOT NULL,
    idempotency_key     text        NOT NULL UNIQUE,
    status              text        NOT NULL CHECK (status IN ('accepted', 'superseded', 'invalid')),
    invalid_reasons     text[]      NOT NULL DEFAULT '{}',
    received_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'invalid') = (cardinality(invalid_reasons) > 0)),
    CHECK (status = 'invalid' OR entity_id IS NOT NULL)
);
COMMENT ON TABLE tds_inbox_events IS 'Every authentic webhook delivery, stored before it is acknowledged. status is intake''s verdict: accepted (queued), superseded (a newer version of the entity was already queued), invalid (dead-lettered at once with invalid_reasons).';
COMMENT ON COLUMN tds_inbox_events.headers IS 'Request headers with secrets, signatures and keys redacted.';
COMMENT ON COLUMN tds_inbox_events.version_source IS 'Where source_modified_at came from; received_at means the document had no usable time and ordering is by arrival.';
CREATE INDEX tds_inbox_events_entity ON tds_inbox_events (module, entity_id, id);
CREATE INDEX tds_inbox_events_received ON tds_inbox_events (received_at);
CREATE INDEX tds_inbox_events_correlation ON tds_inbox_events (correlation_id);

-- The work queue. State machine and statements: crates/tds-store/src/queue.rs.
CREATE TABLE tds_sync_queue (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module              text        NOT NULL,
    entity_id           text        NOT NULL,
    lane                text        NOT NULL,
    priority            integer     NOT NULL,
    operation           text        NOT NULL CHECK (operation IN ('upsert', 'delete')),
    inbox_event_id      bigint      NOT NULL,
    source_modified_at  timestamptz NOT NULL,
    status              text        NOT NULL DEFAULT 'pending'
                                    CHECK (status IN ('pending', 'processing', 'retry', 'completed', 'dead')),
    lease_owner         text,
    lease_expires_at    timestamptz,
    attempt_count       integer     NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
    max_attempts        integer     NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    last_error          text,
    last_error_code     text,
    correlation_id      text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    completed_at        timestamptz,
    CHECK (status <> 'processing' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
-- Coalescing: at most one not-yet-claimed row per entity; a newer event re-points it.
CREATE UNIQUE INDEX tds_sync_queue_one_unclaimed ON tds_sync_queue (module, entity_id)
    WHERE status IN ('pending', 'retry');
-- Claim: due rows of a lane by priority, then due time.
CREATE INDEX tds_sync_queue_claim ON tds_sync_queue (lane, priority, next_attempt_at, id)
    WHERE status IN ('pending', 'retry');
-- Reclaim: processing rows by lease expiry.
CREATE INDEX tds_sync_queue_leases ON tds_sync_queue (lease_expires_at)
    WHERE status = 'processing';
-- Oldest waiting row (health, alerts).
CREATE INDEX tds_sync_queue_waiting_since ON tds_sync_queue (created_at)
    WHERE status IN ('pending', 'retry');
CREATE INDEX tds_sync_queue_status ON tds_sync_queue (status);
CREATE INDEX tds_sync_queue_entity ON tds_sync_queue (module, entity_id, id);
CREATE INDEX tds_sync_queue_inbox_event ON tds_sync_queue (inbox_event_id);

-- Events that cannot succeed: visible, resolvable, replayable.
CREATE TABLE tds_dead_letters (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue_id            bigint,
    inbox_event_id      bigint      NOT NULL,
    module              text        NOT NULL,
    entity_id           text,
    lane                text,
    operation           text        NOT NULL,
    reason              text        NOT NULL,
    error_code          text        NOT NULL,
    error_class         text        NOT NULL CHECK (error_class IN ('invalid', 'permanent', 'transient')),
    attempt_count       integer     NOT NULL DEFAULT 0,
    attempts            jsonb       NOT NULL DEFAULT '[]',
    correlation_id      text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    resolved_at         timestamptz,
    resolved_by         text,
    resolution          text,
    replay_count        integer     NOT NULL DEFAULT 0,
    last_replayed_at    timestamptz,
    replay_queue_id     bigint,
    auto_retry_count    integer     NOT NULL DEFAULT 0,
    CHECK ((resolved_at IS NULL) = (resolution IS NULL))
);
COMMENT ON COLUMN tds_dead_letters.error_class IS 'invalid: rejected at intake; permanent: failed in a way retrying cannot fix; transient: attempts exhausted on passing failures.';
COMMENT ON COLUMN tds_dead_letters.attempts IS 'One object per attempt from tds_sync_log: attempt, at, outcome, error_code, error.';
CREATE INDEX tds_dead_letters_open ON tds_dead_letters (created_at) WHERE resolved_at IS NULL;
CREATE INDEX tds_dead_letters_entity ON tds_dead_letters (module, entity_id);
CREATE INDEX tds_dead_letters_queue ON tds_dead_letters (queue_id);
CREATE INDEX tds_dead_letters_inbox_event ON tds_dead_letters (inbox_event_id);

-- One row per processor or heal invocation.
CREATE TABLE tds_sync_runs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    component           text        NOT NULL,
    lane                text,
    run_owner           text        NOT NULL,
    trigger             text        NOT NULL CHECK (trigger IN ('cron', 'http')),
    status              text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    counts              jsonb       NOT NULL DEFAULT '{}',
    details             jsonb       NOT NULL DEFAULT '{}',
    error               text,
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz
);
COMMENT ON COLUMN tds_sync_runs.run_owner IS 'The lease owner the invocation claimed with (unique per invocation).';
CREATE INDEX tds_sync_runs_started ON tds_sync_runs (component, started_at);

-- One row per processing attempt of a queue row.
CREATE TABLE tds_sync_log (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id              bigint,
    queue_id            bigint      NOT NULL,
    inbox_event_id      bigint      NOT NULL,
    module              text        NOT NULL,
    entity_id           text        NOT NULL,
    lane                text        NOT NULL,
    operation           text        NOT NULL,
    attempt             integer     NOT NULL,
    outcome             text        NOT NULL CHECK (outcome IN ('applied', 'unchanged', 'stale', 'retry', 'dead')),
    message             text,
    error_code          text,
    duration_ms         double precision,
    correlation_id      text,
    created_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN tds_sync_log.outcome IS 'applied: the ERP row changed; unchanged: same content; stale: an older version than the stored one; retry / dead: the attempt failed.';
CREATE INDEX tds_sync_log_queue ON tds_sync_log (queue_id, id);
CREATE INDEX tds_sync_log_entity ON tds_sync_log (module, entity_id, id);
CREATE INDEX tds_sync_log_created ON tds_sync_log (created_at);
CREATE INDEX tds_sync_log_correlation ON tds_sync_log (correlation_id);

-- Every real change to an ERP row.
CREATE TABLE tds_audit_trail (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    erp_table           text        NOT NULL,
    entity_id           text        NOT NULL,
    module              text        NOT NULL,
    action              text        NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    before              jsonb,
    after               jsonb       NOT NULL,
    changed_fields      text[]      NOT NULL,
    source_modified_at  timestamptz NOT NULL,
    inbox_event_id      bigint      NOT NULL,
    queue_id            bigint      NOT NULL,
    run_id              bigint,
    correlation_id      text,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tds_audit_trail_entity ON tds_audit_trail (erp_table, entity_id, id);
CREATE INDEX tds_audit_trail_created ON tds_audit_trail (created_at);
CREATE INDEX tds_audit_trail_correlation ON tds_audit_trail (correlation_id);

-- Positions of pull syncs and sweeps.
CREATE TABLE tds_cursors (
    name                text PRIMARY KEY,
    position            text,
    position_at         timestamptz,
    details             jsonb       NOT NULL DEFAULT '{}',
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Alerts, opened and resolved by dedup key.
CREATE TABLE tds_alerts (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedup_key           text        NOT NULL,
    kind                text        NOT NULL,
    severity            text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    status              text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
    message             text        NOT NULL,
    details             jsonb       NOT NULL DEFAULT '{}',
    occurrences         integer     NOT NULL DEFAULT 1,
    opened_at           timestamptz NOT NULL DEFAULT now(),
    last_seen_at        timestamptz NOT NULL DEFAULT now(),
    acknowledged_at     timestamptz,
    acknowledged_by     text,
    resolved_at         timestamptz,
    notified_at         timestamptz
);
-- One open (or acknowledged) alert per dedup key.
CREATE UNIQUE INDEX tds_alerts_open_dedup ON tds_alerts (dedup_key) WHERE status <> 'resolved';
CREATE INDEX tds_alerts_opened ON tds_alerts (opened_at);

-- Per-minute metric rollups.
CREATE TABLE tds_metrics (
    minute              timestamptz NOT NULL,
    name                text        NOT NULL,
    lane                text        NOT NULL DEFAULT '',
    module              text        NOT NULL DEFAULT '',
    count               bigint      NOT NULL DEFAULT 0,
    sum                 double precision NOT NULL DEFAULT 0,
    min                 double precision,
    max                 double precision,
    PRIMARY KEY (minute, name, lane, module),
    CHECK (minute = date_trunc('minute', minute))
);

-- Per-minute intake outcomes: accepted, duplicate, superseded, invalid, rejected (reason =
-- the error code), failed (the database could not take the event).
CREATE TABLE tds_intake_counters (
    minute              timestamptz NOT NULL,
    outcome             text        NOT NULL,
    module              text        NOT NULL DEFAULT '',
    reason              text        NOT NULL DEFAULT '',
    count               bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, outcome, module, reason),
    CHECK (minute = date_trunc('minute', minute))
);

-- Runtime configuration, read by the components on each invocation.
CREATE TABLE tds_config (
    key                 text PRIMARY KEY,
    value               jsonb       NOT NULL,
    description         text        NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    updated_by          text
);
INSERT INTO tds_config (key, value, description) VALUES
    ('backoff_base_ms', '1000', 'Retry backoff: the ceiling of the first retry delay, doubled per attempt (full jitter below it).'),
    ('backoff_cap_ms', '300000', 'Retry backoff: the largest retry delay.'),
    ('heal_reclaim_limit', '500', 'Heal: the most expired leases one run returns to the queue.'),
    ('dead_letter_auto_retry_after_seconds', '3600', 'Heal: cool-down before a dead letter with a transient cause is retried automatically.'),
    ('dead_letter_auto_retry_max', '3', 'Heal: how many times one dead letter is retried automatically.'),
    ('alert_queue_depth', '10000', 'Alert when more rows than this wait in the queue.'),
    ('alert_oldest_pending_seconds', '900', 'Alert when the oldest waiting row is older than this.'),
    ('alert_failure_rate', '0.2', 'Alert when more than this fraction of attempts in the last 5 minutes failed.'),
    ('alert_dead_letter_age_hours', '24', 'Alert when an unresolved dead letter is older than this.'),
    ('retention_inbox_days', '7', 'Retention: inbox events older than this are deleted.'),
    ('retention_log_days', '90', 'Retention: sync log and audit rows older than this are deleted.'),
    ('retention_metrics_days', '30', 'Retention: metric rollups older than this are deleted.'),
    ('circuit_failure_threshold', '5', 'Circuit breakers: consecutive failures that open a circuit.'),
    ('circuit_open_seconds', '60', 'Circuit breakers: how long a circuit stays open before a probe.');

-- Circuit breakers per lane and per outbound dependency.
CREATE TABLE tds_circuit_breakers (
    name                text PRIMARY KEY,
    state               text        NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half_open')),
    consecutive_failures integer    NOT NULL DEFAULT 0,
    last_error          text,
    opened_at           timestamptz,
    next_probe_at       timestamptz,
    last_failure_at     timestamptz,
    last_success_at     timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN tds_circuit_breakers.name IS 'lane:<lane> or outbound:<dependency>.';

-- Zoho items (Books / Inventory). Typed columns beside the source document.
CREATE TABLE erp_items (
    item_id                 text PRIMARY KEY,
    name                    text,
    sku                     text,
    status                  text,
    item_type               text,
    product_type            text,
    description             text,
    unit                    text,
    rate                    numeric,
    purchase_rate           numeric,
    purchase_description    text,
    tax_id                  text,
    tax_name                text,
    tax_percentage          numeric,
    tax_type                text,
    is_taxable              boolean,
    purchase_tax_rule_id    text,
    sales_tax_rule_id       text,
    hsn_or_sac              text,
    account_id              text,
    purchase_account_id     text,
    inventory_account_id    text,
    vendor_id               text,
    upc                     text,
    ean                     text,
    isbn                    text,
    part_number             text,
    reorder_level           numeric,
    stock_on_hand           numeric,
    available_stock         numeric,
    actual_available_stock  numeric,
    source_created_at       timestamptz,
    source_modified_at      timestamptz NOT NULL,
    content_hash            text        NOT NULL,
    source_document         jsonb       NOT NULL,
    deleted_at              timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    last_inbox_event_id     bigint      NOT NULL
);
COMMENT ON TABLE erp_items IS 'Zoho items. A row is only overwritten by a source version at least as new (source_modified_at); deletes are soft (deleted_at) and obey the same guard.';
CREATE INDEX erp_items_sku ON erp_items (sku);
