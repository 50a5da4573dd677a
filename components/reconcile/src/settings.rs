//! Reconcile's configuration: the Zoho credentials and endpoints (component variables)
//! and its tuning (`tds_config` keys, seeded by migration V4; an unset key or a value out
//! of range means the default).
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `reconcile_page_size` | 200 | records per list page (Zoho's most) |
//! | `reconcile_requests_per_minute` | 100 | API requests per minute at most |
//! | `reconcile_backoff_base_ms`, `reconcile_backoff_cap_ms` | 2000, 60000 | the wait after a rate-limited answer, doubled per repeat |
//! | `reconcile_max_retries` | 5 | retries of one request (rate limit, 5xx, transport) |
//! | `reconcile_overlap_seconds` | 60 | an incremental pass starts this long before the high-water mark |
//! | `reconcile_time_budget_ms` | 240000 | pulling stops after this long (cursors keep their place) |
//! | `reconcile_request_timeout_ms` | 30000 | the longest one request may take |
//! | `reconcile_stale_age_hours` | 720 | integrity: rows not written for longer are reported |
//! | `reconcile_finding_limit` | 100 | ids listed per check (and per drift list) in a report |
//! | `reconcile_modules` | the Books modules | modules pulled and compared |
//! | `circuit_failure_threshold`, `circuit_open_seconds` | 5, 60 | the `outbound:zoho_api` breaker |

use std::collections::HashMap;
use std::time::Duration;

use tds_core::backoff::Backoff;
use tds_core::circuit::Policy;
use tds_core::entity::Module;
use tds_guest::db::{param, Db, DbError};
use tds_guest::vars;
use tds_store::config;
use tds_zoho::api::MAX_PER_PAGE;
use tds_zoho::region::Endpoints;

const KEYS: [&str; 13] = [
    "reconcile_page_size",
    "reconcile_requests_per_minute",
    "reconcile_backoff_base_ms",
    "reconcile_backoff_cap_ms",
    "reconcile_max_retries",
    "reconcile_overlap_seconds",
    "reconcile_time_budget_ms",
    "reconcile_request_timeout_ms",
    "reconcile_stale_age_hours",
    "reconcile_finding_limit",
    "reconcile_modules",
    "circuit_failure_threshold",
    "circuit_open_seconds",
];

/// The OAuth client and organisation.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    pub organization_id: String,
    pub endpoints: Endpoints,
}

impl Credentials {
    /// The credentials from the variables, or why reconcile cannot run (names only, never
    /// values).
    pub fn from_variables() -> Result<Credentials, String> {
        let names = [
            "zoho_client_id",
            "zoho_client_secret",
            "zoho_refresh_token",
            "zoho_organization_id",
        ];
        let values: Vec<Option<String>> = names.iter().map(|n| vars::get(n)).collect();
        let unset: Vec<&str> = names
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !unset.is_empty() {
            return Err(format!(
                "Zoho is not configured: {} not set",
                unset.join(", ")
            ));
        }
        let endpoints = Endpoints::resolve(
            vars::get("zoho_data_center").as_deref(),
            vars::get("zoho_accounts_url").as_deref(),
            vars::get("zoho_api_url").as_deref(),
        )
        .map_err(|e| e.to_string())?;
        let mut values = values.into_iter().flatten();
        let mut next = || values.next().unwrap_or_default();
        Ok(Credentials {
            client_id: next(),
            client_secret: next(),
            refresh_token: next(),
            organization_id: next(),
            endpoints,
        })
    }
}

/// Reconcile's tuning.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub page_size: u32,
    pub requests_per_minute: u32,
    pub backoff: Backoff,
    pub max_retries: u32,
    pub overlap_seconds: i64,
    pub time_budget: Duration,
    pub request_timeout: Duration,
    pub stale_age_hours: f64,
    pub finding_limit: i32,
    pub modules: Vec<Module>,
    pub circuit: Policy,
}

impl Settings {
    pub fn read(db: &Db) -> Result<Settings, DbError> {
        let rows = db.query(config::READ_VALUES, &[param::text_array(KEYS)])?;
        let values = rows
            .iter()
            .map(|row| Ok((row.text(0)?, row.text(1)?)))
            .collect::<Result<HashMap<_, _>, DbError>>()?;
        Ok(Settings::from_values(&values))
    }

    /// The settings from `(key → JSON value)`.
    pub fn from_values(values: &HashMap<String, String>) -> Settings {
        let text = |key: &str| {
            values
                .get(key)
                .map(|v| v.trim().trim_matches('"').trim().to_string())
        };
        let number = |key: &str, default: f64, min: f64| {
            text(key)
                .and_then(|t| t.parse::<f64>().ok())
                .filter(|n| n.is_finite() && *n >= min)
                .unwrap_or(default)
        };
        let modules = text("reconcile_modules")
            .map(|list| {
                list.split([',', ' '])
                    .filter_map(|n| Module::from_name(n.trim()))
                    .collect::<Vec<_>>()
            })
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| {
                Module::ALL
                    .into_iter()
                    .filter(|m| tds_zoho::api::books_path(*m).is_some())
                    .collect()
            });
        Settings {
            page_size: (number("reconcile_page_size", 200.0, 1.0) as u32).min(MAX_PER_PAGE),
            requests_per_minute: number("reconcile_requests_per_minute", 100.0, 1.0) as u32,
            backoff: Backoff {
                base_ms: number("reconcile_backoff_base_ms", 2_000.0, 0.0) as u64,
                cap_ms: number("reconcile_backoff_cap_ms", 60_000.0, 0.0) as u64,
            },
            max_retries: number("reconcile_max_retries", 5.0, 0.0) as u32,
            overlap_seconds: number("reconcile_overlap_seconds", 60.0, 0.0) as i64,
            time_budget: Duration::from_millis(
                number("reconcile_time_budget_ms", 240_000.0, 1.0) as u64
            ),
            request_timeout: Duration::from_millis(number(
                "reconcile_request_timeout_ms",
                30_000.0,
                1.0,
            ) as u64),
            stale_age_hours: number("reconcile_stale_age_hours", 720.0, 0.0),
            finding_limit: number("reconcile_finding_limit", 100.0, 1.0).min(f64::from(i32::MAX))
                as i32,
            modules,
            circuit: Policy {
                failure_threshold: number("circuit_failure_threshold", 5.0, 1.0) as u32,
                open_seconds: number("circuit_open_seconds", 60.0, 0.0),
            },
        }
    }
}

/// Whether drift fixes are enqueued without being asked (`reconcile_enqueue_fixes`).
pub fn fixes_by_default() -> bool {
    vars::get("reconcile_enqueue_fixes")
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}
