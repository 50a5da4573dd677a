//! Drift: what Zoho holds against what the ERP holds, per module.
//!
//! - **missing**: in Zoho, not in the ERP (or soft-deleted there);
//! - **extra**: in the ERP (not deleted), not in Zoho — deleted in Zoho without a webhook;
//! - **stale**: in both, Zoho's modification time newer than the ERP row's version;
//! - **in_flight**: missing or stale, but the queue already holds that version (or a newer
//!   one) waiting to be applied — not drift, only not done yet.
//!
//! Records Zoho lists without a modification time cannot be stale.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::api::Listed;

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
    /// Records in step.
    pub matched: usize,
}

impl Drift {
    /// Missing, extra and stale records together.
    pub fn differences(&self) -> usize {
        self.missing.len() + self.extra.len() + self.stale.len()
    }
}

/// Compares Zoho's listing with the ERP's rows and the versions waiting in the queue
/// (`queued`: entity id → the queued event's version).
///
/// ```
/// use tds_core::normalize::EntityId;
/// use tds_zoho::api::Listed;
/// use tds_zoho::drift::{compare, ErpRow};
/// let at = |t: &str| tds_core::time::parse_zoho_timestamp(t).unwrap();
/// let zoho = [
///     Listed { id: EntityId::from_text("1").unwrap(), modified_at: Some(at("2024-01-02T00:00:00Z")) },
///     Listed { id: EntityId::from_text("2").unwrap(), modified_at: Some(at("2024-01-01T00:00:00Z")) },
///     Listed { id: EntityId::from_text("3").unwrap(), modified_at: Some(at("2024-01-01T00:00:00Z")) },
/// ];
/// let erp = [
///     ErpRow { id: "1".into(), version: at("2024-01-01T00:00:00Z"), deleted: false },
///     ErpRow { id: "2".into(), version: at("2024-01-01T00:00:00Z"), deleted: false },
///     ErpRow { id: "4".into(), version: at("2024-01-01T00:00:00Z"), deleted: false },
/// ];
/// let d = compare(&zoho, &erp, &Default::default());
/// assert_eq!((d.stale, d.missing, d.extra, d.matched), (vec!["1".to_string()], vec!["3".to_string()], vec!["4".to_string()], 1));
/// ```
pub fn compare(zoho: &[Listed], erp: &[ErpRow], queued: &BTreeMap<String, DateTime<Utc>>) -> Drift {
    let rows: BTreeMap<&str, &ErpRow> = erp.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut drift = Drift::default();
    let mut seen = BTreeSet::new();
    for listed in zoho {
        let id = listed.id.as_str();
        if !seen.insert(id) {
            continue;
        }
        let queued_covers = || {
            queued
                .get(id)
                .is_some_and(|q| listed.modified_at.is_none_or(|z| *q >= z))
        };
        match rows.get(id) {
            Some(row) if !row.deleted => {
                let behind = listed.modified_at.is_some_and(|z| z > row.version);
                if !behind {
                    drift.matched += 1;
                } else if queued_covers() {
                    drift.in_flight.push(id.to_string());
                } else {
                    drift.stale.push(id.to_string());
                }
            }
            _ if queued_covers() => drift.in_flight.push(id.to_string()),
            _ => drift.missing.push(id.to_string()),
        }
    }
    drift.extra = erp
        .iter()
        .filter(|r| !r.deleted && !seen.contains(r.id.as_str()))
        .map(|r| r.id.clone())
        .collect();
    for list in [
        &mut drift.missing,
        &mut drift.extra,
        &mut drift.stale,
        &mut drift.in_flight,
    ] {
        list.sort();
    }
    drift
}

#[cfg(test)]
mod tests {
    use tds_core::normalize::EntityId;
    use tds_core::time::parse_zoho_timestamp;

    use super::*;

    fn at(t: &str) -> DateTime<Utc> {
        parse_zoho_timestamp(t).unwrap()
    }

    fn listed(id: &str, t: Option<&str>) -> Listed {
        Listed {
            id: EntityId::from_text(id).unwrap(),
            modified_at: t.map(at),
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
        let queued = BTreeMap::from([("2".to_string(), at("2024-01-03T00:00:00Z"))]);
        let d = compare(&zoho, &erp, &queued);
        assert_eq!(d.missing, ["1"]);
        assert_eq!(d.in_flight, ["2"]);
        assert!(d.stale.is_empty() && d.extra.is_empty());
        assert_eq!(d.matched, 1);
        assert_eq!(d.differences(), 1);
        let older_queue = BTreeMap::from([("2".to_string(), at("2024-01-02T00:00:00Z"))]);
        assert_eq!(compare(&zoho, &erp, &older_queue).stale, ["2"]);
    }
}
