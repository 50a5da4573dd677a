//! Pull cursors: where each module's pull stands, moved only after a page is stored.
//!
//! Two strategies:
//! - **Incremental** (modules Zoho filters by `last_modified_time`): a pass starts at the
//!   high-water mark minus an overlap (a cursor moved exactly to the last record would lose
//!   same-second edits) and lists ascending by modification time. After a stored page the
//!   filter moves to the page's latest time and paging restarts at 1, so records that move
//!   while the pass runs are never skipped; only when a whole page shares the filter's
//!   second does paging go on to the next page number.
//! - **Sweep** (the rest): every page of the list, in order. A pass interrupted (a crash,
//!   the time budget) resumes at the page after the last one stored.
//!
//! Either way the cursor is written in the transaction that stores the page's records, so
//! a run that dies mid-page repeats that page and nothing after it was counted as done.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tds_core::entity::Module;

use crate::api::{filters_by_modified_time, ListRequest, Page};

/// How a module is pulled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Incremental,
    Sweep,
}

impl Strategy {
    pub fn of(module: Module) -> Strategy {
        if filters_by_modified_time(module) {
            Strategy::Incremental
        } else {
            Strategy::Sweep
        }
    }
}

/// A module's stored pull position (`tds_cursors.details` of `zoho_pull:<module>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullCursor {
    /// The latest modification time of a stored record.
    #[serde(default)]
    pub high_water: Option<DateTime<Utc>>,
    /// Whether a pass is under way (a new one starts otherwise).
    #[serde(default)]
    pub in_pass: bool,
    /// Incremental: the filter of the running pass.
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
    /// The next page to ask for.
    #[serde(default)]
    pub page: u32,
    /// Pages stored in the running pass.
    #[serde(default)]
    pub pages_in_pass: u32,
    /// Passes completed.
    #[serde(default)]
    pub passes: u32,
}

/// The cursor's name in `tds_cursors`.
///
/// ```
/// assert_eq!(tds_zoho::pull::cursor_name(tds_core::entity::Module::Bills), "zoho_pull:bills");
/// ```
pub fn cursor_name(module: Module) -> String {
    format!("zoho_pull:{}", module.as_str())
}

impl PullCursor {
    /// The cursor stored as JSON; unreadable or absent, a fresh one (a full pull).
    pub fn from_json(text: Option<&str>) -> PullCursor {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// The cursor with its pass started, if none was running.
    ///
    /// ```
    /// use tds_zoho::pull::{PullCursor, Strategy};
    /// let t = tds_core::time::parse_zoho_timestamp("2024-03-01T10:00:00+0000");
    /// let c = PullCursor { high_water: t, ..PullCursor::default() }.started(Strategy::Incremental, 60);
    /// assert_eq!(c.since, tds_core::time::parse_zoho_timestamp("2024-03-01T09:59:00+0000"));
    /// assert_eq!((c.page, c.in_pass), (1, true));
    /// ```
    pub fn started(&self, strategy: Strategy, overlap_seconds: i64) -> PullCursor {
        if self.in_pass {
            return PullCursor {
                page: self.page.max(1),
                ..self.clone()
            };
        }
        PullCursor {
            in_pass: true,
            since: match strategy {
                Strategy::Incremental => self
                    .high_water
                    .map(|t| t - Duration::seconds(overlap_seconds.max(0))),
                Strategy::Sweep => None,
            },
            page: 1,
            pages_in_pass: 0,
            ..self.clone()
        }
    }

    /// The request for the next page of a started pass.
    pub fn request(&self, module: Module, per_page: u32) -> ListRequest {
        ListRequest {
            module,
            page: self.page.max(1),
            per_page,
            since: self.since,
        }
    }

    /// The cursor after `page` (asked for with [`PullCursor::request`]) was stored.
    ///
    /// ```
    /// use tds_core::entity::Module;
    /// use tds_core::normalize::EntityId;
    /// use tds_zoho::api::{Listed, Page};
    /// use tds_zoho::pull::{PullCursor, Strategy};
    /// let at = |t: &str| tds_core::time::parse_zoho_timestamp(t);
    /// let listed = |t| Listed { id: EntityId::from_text("1").unwrap(), modified_at: at(t) };
    /// let c = PullCursor::default().started(Strategy::Incremental, 60);
    /// let page = Page { records: vec![listed("2024-01-01T00:00:00+0000")], has_more: true, unreadable: vec![] };
    /// let next = c.advanced(Strategy::Incremental, &page);
    /// assert_eq!((next.since, next.page), (at("2024-01-01T00:00:00+0000"), 1));
    /// let same_second = next.advanced(Strategy::Incremental, &page);
    /// assert_eq!(same_second.page, 2);
    /// let last = Page { has_more: false, ..page };
    /// let done = same_second.advanced(Strategy::Incremental, &last);
    /// assert!(!done.in_pass);
    /// assert_eq!((done.high_water, done.passes), (at("2024-01-01T00:00:00+0000"), 1));
    /// ```
    pub fn advanced(&self, strategy: Strategy, page: &Page) -> PullCursor {
        let latest = page.latest();
        let high_water = match (self.high_water, latest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let mut next = PullCursor {
            high_water,
            pages_in_pass: self.pages_in_pass + 1,
            ..self.clone()
        };
        if !page.has_more {
            next.in_pass = false;
            next.since = None;
            next.page = 0;
            next.passes = self.passes + 1;
            return next;
        }
        let moves = strategy == Strategy::Incremental
            && latest.is_some_and(|l| self.since.is_none_or(|s| l > s));
        if moves {
            next.since = latest;
            next.page = 1;
        } else {
            next.page = self.page.max(1) + 1;
        }
        next
    }
}

/// What TDS already holds of a listed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Known {
    /// The ERP row's version, when the row exists and is not deleted.
    pub erp_version: Option<DateTime<Utc>>,
    /// The version waiting in the queue for the entity (pending, retry or processing).
    pub queued_version: Option<DateTime<Utc>>,
}

/// Whether a listed record must be fetched and stored: unless the ERP or the queue already
/// holds its version (or a newer one). A record without a time is always fetched.
///
/// ```
/// use tds_zoho::pull::{needs_fetch, Known};
/// let t = tds_core::time::parse_zoho_timestamp("2024-01-01T00:00:00+0000");
/// assert!(needs_fetch(t, Known::default()));
/// assert!(!needs_fetch(t, Known { erp_version: t, queued_version: None }));
/// assert!(!needs_fetch(t, Known { erp_version: None, queued_version: t }));
/// assert!(needs_fetch(None, Known { erp_version: t, queued_version: t }));
/// ```
pub fn needs_fetch(modified_at: Option<DateTime<Utc>>, known: Known) -> bool {
    let Some(at) = modified_at else {
        return true;
    };
    let held = [known.erp_version, known.queued_version]
        .into_iter()
        .flatten()
        .max();
    held.is_none_or(|held| held < at)
}

#[cfg(test)]
mod tests {
    use tds_core::normalize::EntityId;
    use tds_core::time::parse_zoho_timestamp;

    use super::*;
    use crate::api::Listed;

    fn page(times: &[&str], has_more: bool) -> Page {
        Page {
            records: times
                .iter()
                .enumerate()
                .map(|(i, t)| Listed {
                    id: EntityId::from_text(&i.to_string()).unwrap(),
                    modified_at: parse_zoho_timestamp(t),
                })
                .collect(),
            has_more,
            unreadable: vec![],
        }
    }

    #[test]
    fn a_sweep_resumes_after_the_last_stored_page() {
        let c = PullCursor::default().started(Strategy::Sweep, 60);
        let after_one = c.advanced(Strategy::Sweep, &page(&["2024-01-02T00:00:00Z"], true));
        let after_two = after_one.advanced(Strategy::Sweep, &page(&["2024-01-01T00:00:00Z"], true));
        assert_eq!(after_two.page, 3);
        let json = after_two.to_json();
        let resumed = PullCursor::from_json(Some(&json)).started(Strategy::Sweep, 60);
        assert_eq!(resumed.request(Module::Items, 50).page, 3);
        assert_eq!(resumed.since, None);
        let done = resumed.advanced(Strategy::Sweep, &page(&[], false));
        assert!(!done.in_pass);
        assert_eq!(
            done.high_water,
            parse_zoho_timestamp("2024-01-02T00:00:00Z")
        );
        let again = done.started(Strategy::Sweep, 60);
        assert_eq!((again.page, again.since), (1, None));
    }

    #[test]
    fn an_incremental_pass_starts_before_the_high_water_mark() {
        let c = PullCursor::default().started(Strategy::Incremental, 30);
        assert_eq!(c.since, None);
        let done = c.advanced(
            Strategy::Incremental,
            &page(&["2024-01-01T00:00:00Z", "2024-01-01T00:05:00Z"], false),
        );
        let next = done.started(Strategy::Incremental, 30);
        assert_eq!(next.since, parse_zoho_timestamp("2024-01-01T00:04:30Z"));
        assert_eq!(
            PullCursor::from_json(Some("not json")),
            PullCursor::default()
        );
    }
}
