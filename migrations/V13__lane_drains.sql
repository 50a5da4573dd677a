-- V13: event-driven processing (docs/design.md, "Wakes").
--
-- Intake wakes a lane's processor once it has stored an event; the woken processor drains
-- the lane until it is empty. One row per lane says whether a drain session serves the lane
-- now (drainer, drainer_until) and when the last wake was sent (wake_sent_at), so that a
-- burst of webhooks wakes each lane about once and an event stored while a session ends is
-- still applied (the session releases the lane, then looks at the queue again). The cron
-- trigger is the safety net: correctness never depends on a wake arriving.
CREATE TABLE tds_lane_drains (
    lane            text        PRIMARY KEY,
    drainer         text,
    drainer_until   timestamptz,
    wake_sent_at    timestamptz,
    wakes_sent      bigint      NOT NULL DEFAULT 0,
    sessions        bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((drainer IS NULL) = (drainer_until IS NULL))
);
COMMENT ON TABLE tds_lane_drains IS 'Per lane: the drain session serving it (lease owner and expiry) and the last wake sent. Intake reads it after storing an event to decide whether to wake the lane.';
COMMENT ON COLUMN tds_lane_drains.drainer IS 'Lease owner of the session draining the lane; NULL when none.';
COMMENT ON COLUMN tds_lane_drains.drainer_until IS 'The session''s lease, renewed while it works; a session that died leaves it to expire.';
COMMENT ON COLUMN tds_lane_drains.wake_sent_at IS 'When intake last sent a wake; another is sent only when no session serves the lane and this one is older than the coalescing window.';
COMMENT ON COLUMN tds_lane_drains.wakes_sent IS 'Wakes sent since the lane''s row was created.';
COMMENT ON COLUMN tds_lane_drains.sessions IS 'Drain sessions started since the lane''s row was created.';

INSERT INTO tds_lane_drains (lane) VALUES ('sales'), ('catalog'), ('purchases'), ('inventory');

-- A run started by a wake is recorded as such.
ALTER TABLE tds_sync_runs DROP CONSTRAINT tds_sync_runs_trigger_check;
ALTER TABLE tds_sync_runs ADD CONSTRAINT tds_sync_runs_trigger_check CHECK (trigger IN ('cron', 'http', 'wake'));
