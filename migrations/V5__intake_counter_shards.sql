-- V5: intake counters in shards.
--
-- Intake counts each stored delivery in the same transaction as the event (one commit
-- per webhook), so the counter row stays locked until that commit. With one row per
-- (minute, outcome, module, reason), every concurrent webhook of a module waited on that
-- row through the commit of the one before it. Each delivery now adds to one of 32 rows
-- picked at random (`shard`); readers sum over the shards, as they already sum over
-- reasons.

ALTER TABLE tds_intake_counters ADD COLUMN shard smallint NOT NULL DEFAULT 0 CHECK (shard BETWEEN 0 AND 31);
ALTER TABLE tds_intake_counters DROP CONSTRAINT tds_intake_counters_pkey;
ALTER TABLE tds_intake_counters ADD PRIMARY KEY (minute, outcome, module, reason, shard);
COMMENT ON COLUMN tds_intake_counters.shard IS 'Which of 32 rows of the same minute, outcome, module and reason a delivery was counted in (picked at random, so concurrent deliveries rarely wait on one row). Sum over it.';
