-- V7: running totals behind the Prometheus counters and histograms
-- (`tds_core::metrics`, "Running totals"). Heal adds what each rollup window adds to
-- tds_metrics and takes back what a recomputed window replaced, in the same transaction;
-- retention never deletes a total. A counter therefore never goes down when retention
-- deletes history, and a scrape reads one row per series.

CREATE TABLE tds_metric_totals (
    name                text             NOT NULL,
    lane                text             NOT NULL DEFAULT '',
    module              text             NOT NULL DEFAULT '',
    count               bigint           NOT NULL DEFAULT 0,
    sum                 double precision NOT NULL DEFAULT 0,
    updated_at          timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (name, lane, module)
);
COMMENT ON TABLE tds_metric_totals IS 'The sum of every rolled-up minute of tds_metrics per name, lane and module (percentiles excluded): what the Prometheus counters and histograms report.';

-- What earlier rollups already wrote, so the first recomputed window takes back only what
-- it had added.
INSERT INTO tds_metric_totals (name, lane, module, count, sum)
SELECT name, lane, module, sum(count), sum(sum) FROM tds_metrics
WHERE name NOT IN ('latency_e2e_p50_ms', 'latency_e2e_p95_ms', 'latency_e2e_p99_ms')
GROUP BY name, lane, module;

-- Finished runs are rolled up by finished_at (runs_completed, runs_failed).
CREATE INDEX tds_sync_runs_finished ON tds_sync_runs (finished_at);
