-- V8: intake counts outcomes without holding a lock until its commit. Each delivery
-- inserts one row here (no key, no index: an insert never waits on another transaction);
-- heal folds the rows of closed minutes into tds_intake_counters
-- (`tds_store::metrics::FOLD_INTAKE_OUTCOMES`) before it rolls the minutes up. The upsert on
-- a counter row that this replaces held the row's lock through the commit's flush, and a
-- slow flush stalled every delivery that picked the same row (BENCHMARKS.md).

CREATE TABLE tds_intake_outcomes (
    minute              timestamptz NOT NULL,
    outcome             text        NOT NULL,
    module              text        NOT NULL DEFAULT '',
    reason              text        NOT NULL DEFAULT ''
);
COMMENT ON TABLE tds_intake_outcomes IS 'One row per intake outcome not yet folded into tds_intake_counters by heal.';
