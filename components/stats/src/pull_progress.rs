//! `GET /api/reconcile/progress`: how far the Zoho pull has got and when it should be
//! done (docs/pull-sync.md).
//!
//! - `day` and `requests`: today's UTC day, the Zoho API requests counted for it
//!   (`tds_zoho_request_days`; `refused_today`: requests not sent because the budget was
//!   spent), the plan's `limit` and `reserve` (`reconcile_daily_request_*`), the `budget`
//!   the pull may spend a day (limit less reserve) and what is `left_today` of it.
//! - `modules`, one per module with a listing cursor, by name: records `listed`
//!   (`tds_zoho_records`), `to_read` (waiting to be read by id) and `read` (the rest), the
//!   `listing` state (`not_started`, `in_pass` at `pass` and `page`, or `whole`) and the
//!   cursor's counts; `totals` adds them up.
//! - `estimate`: the requests the rest needs and the days after today it takes
//!   ([`tds_zoho::pull::estimate`]), with `finish_date`; both are `null` when a day's budget
//!   does not even cover the listing. `caught_up`: every module's listing is whole and
//!   nothing waits to be read — the estimate is then 0 requests, today.
//!
//! Configuration is read through the registry, so an absent or refused value means its
//! default, as reconcile itself reads it. `/metrics` reports the same figures
//! ([`Progress::read`]).

use chrono::NaiveDate;
use serde_json::{json, Value};
use tds_core::config_values::Config;
use tds_guest::config::{self, ReadValues};
use tds_guest::db::{Db, DbError};
use tds_guest::http::HttpError;
use tds_guest::reconcile::{self, ModuleProgress, RequestsToday};
use tds_zoho::pull::{date_after, estimate, DailyBudget, Estimate, ListingCursor, Workload};

use crate::api::{db, Answer, ApiResult, Ctx};

const KEYS: [&str; 5] = [
    "reconcile_daily_request_limit",
    "reconcile_daily_request_reserve",
    "reconcile_time_budget_ms",
    "reconcile_requests_per_minute",
    "reconcile_check_interval_hours",
];

/// Scheduled runs a day: reconcile's cron fires hourly in spin.toml.
const RUNS_PER_DAY: i64 = 24;

/// What the estimate assumes.
const ASSUMES: &str = "Hourly runs (the default schedule), each spending at most what reconcile_time_budget_ms allows at reconcile_requests_per_minute, a day at most the day's budget, and every module listed again each reconcile_check_interval_hours before what is left is read.";

pub fn get(ctx: &Ctx) -> ApiResult {
    ctx.params(&[])?;
    let progress = Progress::read(&db()?)?;
    let today: NaiveDate = progress.today.day.parse().map_err(|e| {
        HttpError::new(
            500,
            "internal_error",
            format!(
                "the database returned a malformed day {:?}: {e}",
                progress.today.day
            ),
        )
    })?;
    Answer::ok(progress.to_json(today))
}

/// The pull's figures as read.
pub struct Progress {
    pub today: RequestsToday,
    pub budget: DailyBudget,
    /// Requests a day's runs make at most: each run's time budget at the configured pace.
    pub run_requests_per_day: u32,
    /// Listing passes a day: once per check interval.
    pub passes_per_day: f64,
    pub modules: Vec<Listing>,
}

/// One module's progress with its cursor.
pub struct Listing {
    pub module: String,
    pub listed: i64,
    pub to_read: i64,
    pub cursor: ListingCursor,
}

impl From<ModuleProgress> for Listing {
    fn from(m: ModuleProgress) -> Listing {
        Listing {
            cursor: ListingCursor::from_json(Some(&m.cursor)),
            module: m.module,
            listed: m.listed,
            to_read: m.to_read,
        }
    }
}

impl Listing {
    fn state(&self) -> &'static str {
        if self.cursor.in_pass {
            "in_pass"
        } else if self.cursor.pass == 0 {
            "not_started"
        } else {
            "whole"
        }
    }

    fn done(&self) -> bool {
        self.cursor.caught_up(self.to_read)
    }
}

/// A count as the estimate takes it.
fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

impl Progress {
    /// The configuration in force, today's requests and every listed module.
    pub fn read(db: &Db) -> Result<Progress, DbError> {
        let stored = config::read_values(db, &ReadValues { keys: &KEYS })?;
        let config = Config::from_rows(&KEYS, stored.into_iter().map(|v| (v.key, v.value)));
        let per_run = config.int("reconcile_time_budget_ms")
            * config.int("reconcile_requests_per_minute")
            / 60_000;
        let interval_hours = config.int("reconcile_check_interval_hours").max(1);
        Ok(Progress {
            today: reconcile::requests_today(db)?,
            budget: DailyBudget {
                limit: count(config.int("reconcile_daily_request_limit")),
                reserve: count(config.int("reconcile_daily_request_reserve")),
            },
            run_requests_per_day: count(per_run.max(1) * RUNS_PER_DAY),
            passes_per_day: 24.0 / interval_hours as f64,
            modules: reconcile::pull_progress(db)?
                .into_iter()
                .map(Listing::from)
                .collect(),
        })
    }

    /// What is left of today's budget, not below 0.
    fn left_today(&self) -> u32 {
        self.budget
            .spendable()
            .saturating_sub(count(self.today.requests.into()))
    }

    /// Every listing whole and nothing to read (never with no module).
    fn caught_up(&self) -> bool {
        !self.modules.is_empty() && self.modules.iter().all(Listing::done)
    }

    fn estimate(&self) -> Estimate {
        if self.caught_up() {
            return Estimate {
                requests: 0,
                days_after_today: Some(0),
            };
        }
        let sum = |f: fn(&Listing) -> u32| self.modules.iter().map(f).fold(0, u32::saturating_add);
        estimate(&Workload {
            list_pages: sum(|m| {
                if m.cursor.at_rest() {
                    0
                } else {
                    m.cursor.pages_to_go()
                }
            }),
            reads: sum(|m| count(m.to_read)),
            left_today: self.left_today(),
            per_day: self.budget.spendable(),
            run_requests_per_day: self.run_requests_per_day,
            daily_listing: (f64::from(sum(|m| m.cursor.last_pass_pages.max(1)))
                * self.passes_per_day)
                .ceil() as u32,
        })
    }

    fn to_json(&self, today: NaiveDate) -> Value {
        let modules: Vec<Value> = self
            .modules
            .iter()
            .map(|m| {
                let c = &m.cursor;
                json!({
                    "module": m.module,
                    "listed": m.listed,
                    "read": m.listed - m.to_read,
                    "to_read": m.to_read,
                    "listing": m.state(),
                    "pass": c.pass,
                    "page": c.page,
                    "passes": c.passes,
                    "listed_in_pass": c.listed_in_pass,
                    "last_pass_records": c.last_pass_records,
                    "last_pass_pages": c.last_pass_pages,
                })
            })
            .collect();
        let (listed, to_read) = self
            .modules
            .iter()
            .fold((0, 0), |(l, t), m| (l + m.listed, t + m.to_read));
        let estimate = self.estimate();
        json!({
            "day": self.today.day,
            "requests": {
                "today": self.today.requests,
                "refused_today": self.today.refused,
                "limit": self.budget.limit,
                "reserve": self.budget.reserve,
                "budget": self.budget.spendable(),
                "left_today": self.left_today(),
            },
            "modules": modules,
            "totals": {"listed": listed, "read": listed - to_read, "to_read": to_read},
            "estimate": {
                "requests": estimate.requests,
                "days_after_today": estimate.days_after_today,
                "finish_date": estimate.days_after_today.map(|days| date_after(today, days).to_string()),
                "assumes": ASSUMES,
            },
            "caught_up": self.caught_up(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(module: &str, listed: i64, to_read: i64, cursor: ListingCursor) -> Listing {
        Listing {
            module: module.into(),
            listed,
            to_read,
            cursor,
        }
    }

    fn progress(requests: i32, modules: Vec<Listing>) -> Progress {
        Progress {
            today: RequestsToday {
                day: "2026-12-07".into(),
                requests,
                refused: 0,
            },
            budget: DailyBudget {
                limit: 2000,
                reserve: 500,
            },
            run_requests_per_day: 400,
            passes_per_day: 1.0,
            modules,
        }
    }

    fn answer(p: &Progress) -> Value {
        p.to_json(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap())
    }

    const WHOLE: ListingCursor = ListingCursor {
        pass: 1,
        in_pass: false,
        page: 4,
        listed_in_pass: 450,
        passes: 1,
        last_pass_pages: 3,
        last_pass_records: 450,
        last_pass_ended_at: None,
    };

    #[test]
    fn a_backfill_under_way() {
        let running = ListingCursor {
            pass: 1,
            in_pass: true,
            page: 2,
            listed_in_pass: 200,
            ..ListingCursor::default()
        };
        let p = progress(
            1600,
            vec![
                listing("bills", 0, 0, ListingCursor::default()),
                listing("invoices", 250, 50, running),
                listing("items", 1450, 1000, WHOLE),
            ],
        );
        let a = answer(&p);
        assert_eq!(
            a["requests"],
            json!({"today": 1600, "refused_today": 0, "limit": 2000, "reserve": 500, "budget": 1500, "left_today": 0})
        );
        let states: Vec<&Value> = a["modules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| &m["listing"])
            .collect();
        assert_eq!(
            states,
            [&json!("not_started"), &json!("in_pass"), &json!("whole")]
        );
        assert_eq!(a["modules"][1]["read"], json!(200));
        assert_eq!(
            a["totals"],
            json!({"listed": 1700, "read": 650, "to_read": 1050})
        );
        // 1 + 1 list pages to go and 1050 reads; nothing left today; a day: 400 per run
        // less 1 + 1 + 3 pages of listing.
        assert_eq!(a["estimate"]["requests"], json!(1052));
        assert_eq!(a["estimate"]["days_after_today"], json!(3));
        assert_eq!(a["estimate"]["finish_date"], json!("2026-12-10"));
        assert_eq!(a["caught_up"], json!(false));
    }

    #[test]
    fn caught_up_and_never() {
        let done = progress(10, vec![listing("items", 450, 0, WHOLE)]);
        let a = answer(&done);
        assert_eq!(a["caught_up"], json!(true));
        assert_eq!(a["estimate"]["requests"], json!(0));
        assert_eq!(a["estimate"]["finish_date"], json!("2026-12-07"));
        let starved = Progress {
            budget: DailyBudget {
                limit: 2000,
                reserve: 1999,
            },
            ..progress(1, vec![listing("items", 450, 5, WHOLE)])
        };
        let a = answer(&starved);
        assert_eq!(a["requests"]["left_today"], json!(0));
        assert_eq!(a["estimate"]["days_after_today"], Value::Null);
        assert_eq!(a["estimate"]["finish_date"], Value::Null);
        assert_eq!(answer(&progress(0, vec![]))["caught_up"], json!(false));
    }
}
