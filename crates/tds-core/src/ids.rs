//! The ids of TDS's own rows, as the store numbers them (`bigint`), and the lease owner of
//! a claim: one type each, so a queue row's id is never passed where an inbox event's is
//! expected. They are read from and written to the store unchanged.

use std::fmt;

/// A `tds_sync_queue` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId(pub i64);

/// A `tds_inbox_events` row: one stored delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InboxEventId(pub i64);

/// A `tds_dead_letters` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeadLetterId(pub i64);

/// A `tds_sync_runs` row: one invocation of a processor, heal or reconcile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(pub i64);

/// A `tds_alerts` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlertId(pub i64);

/// A `tds_reconcile_reports` row: one reconciliation run's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReportId(pub i64);

/// A `tds_audit_trail` row: one change the processor made to an ERP row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuditId(pub i64);

/// Who holds the lease of a claimed queue row: unique per invocation
/// (`<component>:<uuid>`), compared by every later move of the row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaseOwner(String);

impl LeaseOwner {
    pub fn new(owner: String) -> LeaseOwner {
        LeaseOwner(owner)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LeaseOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
