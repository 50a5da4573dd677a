//! The pull's plan: where each module's listing stands, and what a day's request budget
//! allows.
//!
//! - **Listing passes.** A pass lists every page of a module, in Zoho's own order, with no
//!   sort or filter (see [`crate::api::ListRequest`]). The cursor moves one page at a time,
//!   stored with that page's rows, so a run stopped by its time budget, the day's budget or
//!   an outage resumes at the page after the last one stored. When a pass reaches the last
//!   page it is *whole*: rows the pass did not show are gone from Zoho.
//! - **Reads.** What a listed row shows decides whether the record is read by id (lists omit
//!   line items). That decision is `tds_zoho_records.needs_read` in the database; what is
//!   still to read waits there across runs and days, so nothing fetched is ever thrown away
//!   and the cursor never moves past a record that was not read.
//! - **The day's budget** ([`DailyBudget`]): the plan's documented daily limit less a
//!   reserve for the organisation's other clients. [`estimate`] says when a backfill ends.

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tds_core::entity::Module;

use crate::api::{ListRequest, Page};

/// A module's listing position (`tds_cursors.details` of [`cursor_name`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingCursor {
    /// The running pass, or the last one; passes count from 1.
    #[serde(default)]
    pub pass: u32,
    /// Whether a pass is under way (a new one starts otherwise).
    #[serde(default)]
    pub in_pass: bool,
    /// The next page to ask for in the running pass.
    #[serde(default)]
    pub page: u32,
    /// Records listed so far in the running pass.
    #[serde(default)]
    pub listed_in_pass: u32,
    /// Passes that reached the last page.
    #[serde(default)]
    pub passes: u32,
    /// Pages of the last whole pass: what a pass costs.
    #[serde(default)]
    pub last_pass_pages: u32,
    /// Records of the last whole pass.
    #[serde(default)]
    pub last_pass_records: u32,
    /// When the last whole pass ended.
    #[serde(default)]
    pub last_pass_ended_at: Option<DateTime<Utc>>,
}

/// The cursor's name in `tds_cursors`.
///
/// ```
/// assert_eq!(tds_zoho::pull::cursor_name(tds_core::entity::Module::Bills), "zoho_listing:bills");
/// ```
pub fn cursor_name(module: Module) -> String {
    format!("zoho_listing:{}", module.as_str())
}

impl ListingCursor {
    /// The cursor stored as JSON; unreadable or absent, a fresh one (a first pass).
    pub fn from_json(text: Option<&str>) -> ListingCursor {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// Whether a pass ever reached the last page: the listed rows are then all of Zoho's.
    pub fn whole(&self) -> bool {
        self.passes > 0
    }

    /// Whether the listing is at rest: a pass reached the last page and no other is under
    /// way.
    pub fn at_rest(&self) -> bool {
        self.whole() && !self.in_pass
    }

    /// Whether the module is caught up: its listing at rest and, of what it listed,
    /// `to_read` records still waiting to be read by id — none.
    ///
    /// ```
    /// use tds_zoho::pull::ListingCursor;
    /// let rest = ListingCursor { pass: 1, passes: 1, ..Default::default() };
    /// assert!(rest.caught_up(0));
    /// assert!(!rest.caught_up(3));
    /// assert!(!ListingCursor { in_pass: true, ..rest.clone() }.caught_up(0));
    /// assert!(!ListingCursor::default().caught_up(0));
    /// ```
    pub fn caught_up(&self, to_read: i64) -> bool {
        self.at_rest() && to_read == 0
    }

    /// The cursor with a pass under way: the running one, or the next.
    ///
    /// ```
    /// use tds_zoho::pull::ListingCursor;
    /// let c = ListingCursor::default().started();
    /// assert_eq!((c.pass, c.page, c.in_pass), (1, 1, true));
    /// assert_eq!(c.started(), c);
    /// ```
    pub fn started(&self) -> ListingCursor {
        if self.in_pass {
            return ListingCursor {
                pass: self.pass.max(1),
                page: self.page.max(1),
                ..self.clone()
            };
        }
        ListingCursor {
            pass: self.pass + 1,
            in_pass: true,
            page: 1,
            listed_in_pass: 0,
            ..self.clone()
        }
    }

    /// The request for the next page of a started pass.
    pub fn request(&self, module: Module, per_page: u32) -> ListRequest {
        ListRequest {
            module,
            page: self.page.max(1),
            per_page,
        }
    }

    /// Whether the module is due for listing at `now`: a pass is under way, none ever
    /// ended, or the last ended `interval_hours` ago or more.
    ///
    /// ```
    /// use tds_zoho::pull::ListingCursor;
    /// let at = |t: &str| tds_core::time::parse_zoho_timestamp(t).unwrap();
    /// let now = at("2026-03-02T03:00:00Z");
    /// assert!(ListingCursor::default().due(now, 24));
    /// let listed = ListingCursor { last_pass_ended_at: Some(at("2026-03-01T04:00:00Z")), pass: 1, passes: 1, ..Default::default() };
    /// assert!(!listed.due(now, 24));
    /// assert!(listed.due(now, 23));
    /// assert!(ListingCursor { in_pass: true, ..listed }.due(now, 24));
    /// ```
    pub fn due(&self, now: DateTime<Utc>, interval_hours: u32) -> bool {
        self.in_pass
            || self
                .last_pass_ended_at
                .is_none_or(|ended| now - ended >= Duration::hours(i64::from(interval_hours)))
    }

    /// The cursor after `page` (asked for with [`ListingCursor::request`]) was stored.
    ///
    /// ```
    /// use tds_core::normalize::EntityId;
    /// use tds_zoho::api::{Listed, Page};
    /// use tds_zoho::pull::ListingCursor;
    /// let row = Listed { id: EntityId::from_text("1").unwrap(), modified_at: None, fingerprint: "f".into() };
    /// let page = Page { records: vec![row.clone(), row], has_more: true, unreadable: vec![] };
    /// let now = tds_core::time::parse_zoho_timestamp("2026-03-01T04:00:00Z").unwrap();
    /// let c = ListingCursor::default().started().advanced(&page, now);
    /// assert_eq!((c.page, c.listed_in_pass, c.in_pass), (2, 2, true));
    /// let last = c.advanced(&Page { has_more: false, ..page }, now);
    /// assert_eq!((last.in_pass, last.passes, last.last_pass_pages, last.last_pass_records), (false, 1, 2, 4));
    /// assert_eq!(last.last_pass_ended_at, Some(now));
    /// assert!(last.whole());
    /// assert_eq!(last.started().pass, 2);
    /// ```
    pub fn advanced(&self, page: &Page, now: DateTime<Utc>) -> ListingCursor {
        let listed = u32::try_from(page.records.len()).unwrap_or(u32::MAX);
        let mut next = ListingCursor {
            listed_in_pass: self.listed_in_pass.saturating_add(listed),
            page: self.page.max(1) + 1,
            ..self.clone()
        };
        if !page.has_more {
            next.in_pass = false;
            next.passes = self.passes + 1;
            next.last_pass_pages = self.page.max(1);
            next.last_pass_records = next.listed_in_pass;
            next.last_pass_ended_at = Some(now);
        }
        next
    }

    /// List pages still to ask for before the running pass (or a new one) is whole: the
    /// last whole pass's size is the guess for a pass not under way or not yet measured.
    ///
    /// ```
    /// use tds_zoho::pull::ListingCursor;
    /// assert_eq!(ListingCursor::default().pages_to_go(), 1);
    /// let c = ListingCursor { in_pass: true, page: 3, last_pass_pages: 5, passes: 1, pass: 2, ..Default::default() };
    /// assert_eq!(c.pages_to_go(), 3);
    /// assert_eq!(ListingCursor { in_pass: false, ..c }.pages_to_go(), 5);
    /// ```
    pub fn pages_to_go(&self) -> u32 {
        let pass_pages = self.last_pass_pages.max(1);
        if self.in_pass {
            (pass_pages + 1).saturating_sub(self.page.max(1)).max(1)
        } else {
            pass_pages
        }
    }
}

/// The requests a day the pull may spend: the plan's limit less a reserve for the
/// organisation's other clients (`reconcile_daily_request_limit`,
/// `reconcile_daily_request_reserve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyBudget {
    pub limit: u32,
    pub reserve: u32,
}

impl DailyBudget {
    /// ```
    /// use tds_zoho::pull::DailyBudget;
    /// assert_eq!(DailyBudget { limit: 2000, reserve: 500 }.spendable(), 1500);
    /// assert_eq!(DailyBudget { limit: 100, reserve: 500 }.spendable(), 0);
    /// ```
    pub fn spendable(&self) -> u32 {
        self.limit.saturating_sub(self.reserve)
    }
}

/// What is left to do and what a day allows, for [`estimate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    /// List pages before every module's pass is whole.
    pub list_pages: u32,
    /// Records waiting to be read by id.
    pub reads: u32,
    /// Requests left in today's budget.
    pub left_today: u32,
    /// Requests a day the budget allows ([`DailyBudget::spendable`]).
    pub per_day: u32,
    /// Requests a day's runs can make within their time budgets at the configured pace.
    pub run_requests_per_day: u32,
    /// List pages every day's run spends before reading (every module's whole pass).
    pub daily_listing: u32,
}

/// When the work ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Estimate {
    /// Requests the work needs.
    pub requests: u32,
    /// Days after today it needs: 0 when today's budget covers it; `None` when a day's
    /// budget does not even cover the listing, so it never ends.
    pub days_after_today: Option<u32>,
}

/// ```
/// use tds_zoho::pull::{estimate, Workload};
/// let w = Workload { list_pages: 18, reads: 2250, left_today: 1500, per_day: 1500, run_requests_per_day: 10_000, daily_listing: 18 };
/// let e = estimate(&w);
/// assert_eq!((e.requests, e.days_after_today), (2268, Some(1)));
/// let slow = Workload { run_requests_per_day: 400, ..w };
/// assert_eq!(estimate(&slow).days_after_today, Some(5));
/// assert_eq!(estimate(&Workload { reads: 0, list_pages: 0, ..w }).days_after_today, Some(0));
/// assert_eq!(estimate(&Workload { per_day: 10, left_today: 0, ..w }).days_after_today, None);
/// ```
pub fn estimate(work: &Workload) -> Estimate {
    let requests = work.list_pages.saturating_add(work.reads);
    let today = work.left_today.min(work.run_requests_per_day);
    if requests <= today {
        return Estimate {
            requests,
            days_after_today: Some(0),
        };
    }
    let daily = work
        .per_day
        .min(work.run_requests_per_day)
        .saturating_sub(work.daily_listing);
    let days_after_today = (daily > 0).then(|| (requests - today).div_ceil(daily));
    Estimate {
        requests,
        days_after_today,
    }
}

/// The UTC date `days` after `today`.
///
/// ```
/// let d = chrono::NaiveDate::from_ymd_opt(2026, 12, 30).unwrap();
/// assert_eq!(tds_zoho::pull::date_after(d, 3).to_string(), "2027-01-02");
/// ```
pub fn date_after(today: NaiveDate, days: u32) -> NaiveDate {
    today
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use tds_core::normalize::EntityId;

    use super::*;
    use crate::api::Listed;

    fn page(records: usize, has_more: bool) -> Page {
        Page {
            records: (0..records)
                .map(|i| Listed {
                    id: EntityId::from_text(&i.to_string()).unwrap(),
                    modified_at: None,
                    fingerprint: String::new(),
                })
                .collect(),
            has_more,
            unreadable: vec![],
        }
    }

    #[test]
    fn a_pass_resumes_after_the_last_stored_page() {
        let now = chrono::DateTime::UNIX_EPOCH;
        let c = ListingCursor::default().started();
        let after_two = c
            .advanced(&page(2, true), now)
            .advanced(&page(2, true), now);
        let resumed = ListingCursor::from_json(Some(&after_two.to_json())).started();
        assert_eq!(resumed.request(Module::Items, 50).page, 3);
        assert_eq!(resumed.pass, 1);
        let done = resumed.advanced(&page(1, false), now);
        assert_eq!(
            (done.passes, done.last_pass_records, done.last_pass_pages),
            (1, 5, 3)
        );
        let again = done.started();
        assert_eq!((again.pass, again.page, again.listed_in_pass), (2, 1, 0));
        assert_eq!(
            ListingCursor::from_json(Some("not json")),
            ListingCursor::default()
        );
    }
}
