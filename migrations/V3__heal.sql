-- V3: the drain-and-heal cycle (components/heal): configuration keys it and the processor
-- read, per-destination alert deliveries, and the indexes retention and rollups need.

INSERT INTO tds_config (key, value, description) VALUES
    ('lock_timeout_ms', '5000', 'Processor: the longest a batch waits for a row lock; keep well under half of lease_seconds.'),
    ('retention_completed_queue_days', '7', 'Retention: completed queue rows older than this are deleted.'),
    ('heal_retention_batch_size', '1000', 'Heal: rows one retention statement deletes at most (one short transaction each).'),
    ('heal_retention_max_batches', '10', 'Heal: retention batches one run spends per table at most.'),
    ('heal_dead_letter_retry_limit', '100', 'Heal: the most dead letters one run retries automatically.'),
    ('heal_rollup_max_minutes', '60', 'Heal: the most new minutes one run rolls up into tds_metrics.'),
    ('heal_rollup_settle_minutes', '10', 'Heal: closed minutes recomputed on every run, for rows committed after their minute closed.'),
    ('heal_alert_delivery_limit', '20', 'Heal: the most alert events one run delivers to the outbound webhooks.'),
    ('alert_webhook_timeout_ms', '5000', 'Heal: the longest one alert webhook delivery may take.'),
    ('alert_failure_rate_min_attempts', '20', 'Alert on the failure rate only when at least this many attempts were made in the last 5 minutes.')
ON CONFLICT (key) DO NOTHING;

-- Alert deliveries per destination: {"opened:webhook": "<time>", "resolved:slack": "<time>"}.
ALTER TABLE tds_alerts
    ADD COLUMN deliveries jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN resolution_notified_at timestamptz;
COMMENT ON COLUMN tds_alerts.notified_at IS 'When every configured outbound webhook had the opening (deliveries has each one).';
COMMENT ON COLUMN tds_alerts.resolution_notified_at IS 'When every configured outbound webhook had the resolution.';
COMMENT ON COLUMN tds_alerts.deliveries IS 'Per event and destination, when it was delivered: "<opened|resolved>:<webhook|slack>" → time.';

COMMENT ON TABLE tds_metrics IS 'Per-minute rollups written by heal (names: tds_core::metrics): counters received, duplicates, completed, retried, dead (sum = count); latency_e2e_ms (inbox received_at → queue completed_at: count, total, min, max); latency_e2e_p50_ms / p95 / p99 (nearest-rank; the value in sum, min and max, count = rows).';

-- Retention of completed queue rows and of runs; rollups of completions and dead letters.
CREATE INDEX tds_sync_queue_completed ON tds_sync_queue (completed_at) WHERE status = 'completed';
CREATE INDEX tds_sync_runs_started_at ON tds_sync_runs (started_at);
CREATE INDEX tds_dead_letters_created ON tds_dead_letters (created_at);
-- The letter whose retry or replay created a queue row (auto-retry counts carry over).
CREATE INDEX tds_dead_letters_replay_queue ON tds_dead_letters (replay_queue_id) WHERE replay_queue_id IS NOT NULL;
