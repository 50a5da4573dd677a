//! Drift: what Zoho holds against what the ERP holds, per module.
//!
//! - **missing**: in Zoho, not in the ERP (or soft-deleted there);
//! - **extra**: in the ERP (not deleted), not in Zoho — deleted in Zoho without a webhook;
//! - **stale**: in both, Zoho's modification time newer than the ERP row's version;
//! - **in_flight**: missing or stale, but the queue already holds that version (or a newer
//!   one) waiting to be applied — not drift, only not done yet; for a record listed without
//!   a modification time, any update waiting in the queue; extra, with its delete waiting;
//! - **pending**: missing or stale, but the pull has yet to read it (a backfill under way,
//!   or a run that ran out of budget) — not drift either.
//!
//! Zoho's side is what the pull's listing last showed (`tds_zoho_records`). Records listed
//! without a modification time are never stale here: a change to their row makes them
//! pending instead. Extra rows are only known once a listing pass was whole.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A record as the pull's listing last showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZohoRow {
    pub id: String,
    pub modified_at: Option<DateTime<Utc>>,
    /// The pull has yet to read it.
    pub pending: bool,
}

/// An ERP row as drift sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErpRow {
    pub id: String,
    pub version: DateTime<Utc>,
    pub deleted: bool,
}

/// One module's drift; ids sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    pub stale: Vec<String>,
    pub in_flight: Vec<String>,
    pub pending: Vec<String>,
    /// Records in step.
    pub matched: usize,
}

impl Drift {
    /// Missing, extra and stale records together.
    pub fn differences(&self) -> usize {
        self.missing.len() + self.extra.len() + self.stale.len()
    }
}

/// What waits in the queue of a module, not yet applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queued {
    /// Entity id → the newest waiting upsert's version.
    pub upserts: BTreeMap<String, DateTime<Utc>>,
    /// Entities whose delete waits.
    pub deletes: BTreeSet<String>,
}

/// Compares Zoho's listing with the ERP's rows and what waits in the queue. `whole`: the
/// listing is all of Zoho's records, so ERP rows it lacks are extra — unless their delete
/// already waits in the queue (in flight).
///
/// ```
/// use tds_zoho::drift::{compare, ErpRow, ZohoRow};
/// let at = |t: &str| tds_core::time::parse_zoho_timestamp(t).unwrap();
/// let row = |id: &str, t: &str, pending| ZohoRow { id: id.into(), modified_at: Some(at(t)), pending };
/// let zoho = [
///     row("1", "2024-01-02T00:00:00Z", false),
///     row("2", "2024-01-01T00:00:00Z", false),
///     row("3", "2024-01-01T00:00:00Z", false),
///     row("5", "2024-01-01T00:00:00Z", true),
/// ];
/// let erp = [
///     ErpRow { id: "1".into(), version: at("2024-01-01T00:00:00Z"), deleted: false },
///     ErpRow { id: "2".into(), version: at("2024-01-01T00:00:00Z"), deleted: false },
///     ErpRow { id: "4".into(), version: at("2024-01-01T00:00:00Z"), deleted: false },
/// ];
/// let d = compare(&zoho, &erp, &Default::default(), true);
/// assert_eq!((d.stale, d.missing, d.extra, d.pending, d.matched),
///            (vec!["1".to_string()], vec!["3".to_string()], vec!["4".to_string()], vec!["5".to_string()], 1));
/// assert!(compare(&zoho, &erp, &Default::default(), false).extra.is_empty());
/// ```
pub fn compare(zoho: &[ZohoRow], erp: &[ErpRow], queued: &Queued, whole: bool) -> Drift {
    let upserts = &queued.upserts;
    let rows: BTreeMap<&str, &ErpRow> = erp.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut drift = Drift::default();
    let mut seen = BTreeSet::new();
    for listed in zoho {
        let id = listed.id.as_str();
        if !seen.insert(id) {
            continue;
        }
        let queued_covers = || {
            upserts
                .get(id)
                .is_some_and(|q| listed.modified_at.is_none_or(|z| *q >= z))
        };
        let live = rows.get(id).filter(|row| !row.deleted);
        let behind = live.is_none_or(|row| listed.modified_at.is_some_and(|z| z > row.version));
        let untimed_update_queued = listed.modified_at.is_none() && upserts.contains_key(id);
        if !behind && !untimed_update_queued {
            drift.matched += 1;
        } else if queued_covers() {
            drift.in_flight.push(id.to_string());
        } else if listed.pending {
            drift.pending.push(id.to_string());
        } else if live.is_some() {
            drift.stale.push(id.to_string());
        } else {
            drift.missing.push(id.to_string());
        }
    }
    if whole {
        for row in erp
            .iter()
            .filter(|r| !r.deleted && !seen.contains(r.id.as_str()))
        {
            if queued.deletes.contains(&row.id) {
                drift.in_flight.push(row.id.clone());
            } else {
                drift.extra.push(row.id.clone());
            }
        }
    }
    for list in [
        &mut drift.missing,
        &mut drift.extra,
        &mut drift.stale,
        &mut drift.in_flight,
        &mut drift.pending,
    ] {
        list.sort();
    }
    drift
}

#[cfg(test)]
mod tests {
    use tds_core::time::parse_zoho_timestamp;

    use super::*;

    fn at(t: &str) -> DateTime<Utc> {
        parse_zoho_timestamp(t).unwrap()
    }

    fn listed(id: &str, t: Option<&str>) -> ZohoRow {
        ZohoRow {
            id: id.to_string(),
            modified_at: t.map(at),
            pending: false,
        }
    }

    #[test]
    fn deleted_rows_and_queued_versions() {
        let zoho = [
            listed("1", Some("2024-01-02T00:00:00Z")),
            listed("2", Some("2024-01-03T00:00:00Z")),
            listed("3", None),
            listed("3", None),
        ];
        let erp = [
            ErpRow {
                id: "1".into(),
                version: at("2024-01-05T00:00:00Z"),
                deleted: true,
            },
            ErpRow {
                id: "2".into(),
                version: at("2024-01-01T00:00:00Z"),
                deleted: false,
            },
            ErpRow {
                id: "3".into(),
                version: at("2020-01-01T00:00:00Z"),
                deleted: false,
            },
            ErpRow {
                id: "9".into(),
                version: at("2020-01-01T00:00:00Z"),
                deleted: true,
            },
        ];
        let upserts = |id: &str| Queued {
            upserts: BTreeMap::from([(id.to_string(), at("2024-01-03T00:00:00Z"))]),
            deletes: BTreeSet::new(),
        };
        let queued = upserts("2");
        let d = compare(&zoho, &erp, &queued, true);
        assert_eq!(d.missing, ["1"]);
        assert_eq!(d.in_flight, ["2"]);
        assert_eq!(compare(&zoho, &erp, &upserts("3"), true).in_flight, ["3"]);
        let deleting = Queued {
            deletes: BTreeSet::from(["3".to_string()]),
            ..Queued::default()
        };
        let without_3 = &zoho[..2];
        assert_eq!(
            compare(without_3, &erp, &Queued::default(), true).extra,
            ["3"]
        );
        let gone = compare(without_3, &erp, &deleting, true);
        assert_eq!(
            (gone.extra.len(), gone.in_flight),
            (0, vec!["3".to_string()])
        );
        assert!(d.stale.is_empty() && d.extra.is_empty());
        assert_eq!(d.matched, 1);
        assert_eq!(d.differences(), 1);
        let older_queue = Queued {
            upserts: BTreeMap::from([("2".to_string(), at("2024-01-02T00:00:00Z"))]),
            deletes: BTreeSet::new(),
        };
        assert_eq!(compare(&zoho, &erp, &older_queue, true).stale, ["2"]);
    }
}
