-- V10: how many raw rows each recent minute had when heal last rolled it up
-- (`tds_store::metrics::RECOUNT_SOURCES`). Heal recomputes a settling minute only when
-- its count has changed since, instead of the whole settle window at every new minute:
-- after a burst of 200,000 events, recomputing ten settling minutes cost PostgreSQL
-- seconds of CPU a minute for ten minutes (BENCHMARKS.md). Rows only ever join a recent
-- minute (a late commit) and no recent row is deleted, so an unchanged count means
-- unchanged rows. Heal keeps only the minutes it may still recompute.

CREATE TABLE tds_rollup_sources (
    minute              timestamptz PRIMARY KEY,
    source_rows         bigint      NOT NULL
);
COMMENT ON TABLE tds_rollup_sources IS 'Heal''s rollups: the raw rows each recent minute had when it was last rolled up; a settling minute whose count is unchanged is not recomputed.';
