//! The wake of a stored event's lane (docs/design.md, "Wakes"): sent after the answer has
//! gone, so the webhook never waits for it, and only for an event that was queued. The
//! variables `wake` and `app_origin` say where it goes (`tds_core::wake`), `stats_token`
//! is its bearer for a self request; they are read before the event is stored, and a bad
//! value refuses the delivery (503 `not_configured`). A wake that cannot be decided or sent
//! is logged; the event waits for the next session or the cron safety net.

use tds_core::entity::Lane;
use tds_guest::db::Db;
use tds_guest::drains::{wake_lane, Waking};
use tds_guest::log::Logger;

use crate::store::Stored;

/// A wake due once the answer is out: the lane, the connection that stored its event, and
/// where wakes go (read before the event was stored).
pub struct Wake {
    db: Db,
    lane: Lane,
    waking: Waking,
}

impl Wake {
    /// The wake a stored delivery calls for: one for a queued event, none otherwise.
    pub fn after(stored: &Stored, lane: Lane, db: Db, waking: Waking) -> Option<Wake> {
        matches!(stored, Stored::Accepted { queued: true, .. }).then_some(Wake { db, lane, waking })
    }

    /// Wakes the lane unless a session serves it or a wake is on its way.
    pub fn send(self, log: &Logger) {
        wake_lane(&self.db, &self.waking, self.lane, log);
    }
}
