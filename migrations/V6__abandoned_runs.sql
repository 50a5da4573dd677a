-- V6: closing abandoned runs (heal). An invocation killed with its host (or cut off at the
-- host's execution time limit) never finishes its tds_sync_runs row; heal marks such rows
-- failed once they have been running longer than any invocation may live
-- (`tds_store::journal::CLOSE_ABANDONED_RUNS`).

INSERT INTO tds_config (key, value, description) VALUES
    ('abandoned_run_seconds', '900', 'Heal: a run still running after this long is closed as failed (abandoned: its host was stopped or killed). Keep above the host''s longest guest execution (tds up --max-execution-secs, default 600).'),
    ('heal_abandoned_run_limit', '100', 'Heal: the most abandoned runs one run closes.')
ON CONFLICT (key) DO NOTHING;

-- Only running rows: the step looks for them on every heal run among up to
-- retention_log_days of finished runs.
CREATE INDEX tds_sync_runs_running ON tds_sync_runs (started_at) WHERE status = 'running';
