//! Reconcile's configuration: its component variables ([`Variables`], read through their
//! registry entries in `tds_core::variables` before a run starts: the database, the Zoho
//! credentials and endpoints, `max_attempts`, `reconcile_enqueue_fixes`) and its tuning: the `tds_config` keys of `KEYS`, seeded by migration V4 (the circuit keys
//! by V1) and read through the registry `tds_core::config_values`, which holds their types,
//! ranges and defaults (docs/configuration.md, "Runtime configuration", lists them).

use std::collections::HashMap;
use std::time::Duration;

use tds_core::backoff::Backoff;
use tds_core::circuit::Policy;
use tds_core::config_values::Config;
use tds_core::entity::Module;
use tds_core::variables::{self, VariableError};
use tds_guest::config::{self, ReadValues};
use tds_guest::db::{Db, DbError};
use tds_guest::vars;
use tds_zoho::pull::DailyBudget;
use tds_zoho::region::Endpoints;

const KEYS: [&str; 16] = [
    "reconcile_page_size",
    "reconcile_requests_per_minute",
    "reconcile_backoff_base_ms",
    "reconcile_backoff_cap_ms",
    "reconcile_max_retries",
    "reconcile_daily_request_limit",
    "reconcile_daily_request_reserve",
    "reconcile_rereads_per_run",
    "reconcile_check_interval_hours",
    "reconcile_time_budget_ms",
    "reconcile_request_timeout_ms",
    "reconcile_stale_age_hours",
    "reconcile_finding_limit",
    "reconcile_modules",
    "circuit_failure_threshold",
    "circuit_open_seconds",
];

/// The variables a reconcile run needs before it starts. A bad value (or `database_url`
/// unset) refuses the run, which then does nothing (`Variables::read`'s error); the Zoho
/// credentials unset are no error: reconcile is then not configured, which a run records.
pub struct Variables {
    pub database_url: String,
    /// The attempts of the queue rows pulled records get.
    pub max_attempts: u32,
    /// Whether drift fixes are enqueued without being asked (`reconcile_enqueue_fixes`):
    /// drift is the pull's safety net, so what the pull missed is applied unless the
    /// operator chose to only report it.
    pub enqueue_fixes: bool,
    /// The Zoho client, or why reconcile is not configured (names only, never values).
    pub credentials: Result<Credentials, String>,
}

impl Variables {
    /// Reads the variables; the first bad one (or `database_url` unset) is the error.
    pub fn read() -> Result<Variables, VariableError> {
        let database_url = vars::read(&variables::DATABASE_URL)?;
        let max_attempts = vars::read(&variables::MAX_ATTEMPTS)?;
        let enqueue_fixes = vars::read(&variables::RECONCILE_ENQUEUE_FIXES)?;
        let endpoints = Endpoints::of(
            vars::read(&variables::ZOHO_DATA_CENTER)?,
            vars::text(&variables::ZOHO_ACCOUNTS_URL).as_deref(),
            vars::text(&variables::ZOHO_API_URL).as_deref(),
        );
        Ok(Variables {
            database_url,
            max_attempts,
            enqueue_fixes,
            credentials: Credentials::from_variables(endpoints),
        })
    }
}

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
    /// The credentials from the variables, at `endpoints`, or why reconcile cannot run
    /// (names only, never values).
    fn from_variables(endpoints: Endpoints) -> Result<Credentials, String> {
        let names = [
            variables::ZOHO_CLIENT_ID,
            variables::ZOHO_CLIENT_SECRET,
            variables::ZOHO_REFRESH_TOKEN,
            variables::ZOHO_ORGANIZATION_ID,
        ];
        let values: Vec<Option<String>> = names.iter().map(vars::text).collect();
        let unset: Vec<&str> = names
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| n.name)
            .collect();
        if !unset.is_empty() {
            return Err(format!(
                "Zoho is not configured: {} not set",
                unset.join(", ")
            ));
        }
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
    pub daily: DailyBudget,
    pub rereads_per_run: u32,
    pub check_interval_hours: u32,
    pub time_budget: Duration,
    pub request_timeout: Duration,
    pub stale_age_hours: f64,
    pub finding_limit: i32,
    pub modules: Vec<Module>,
    pub circuit: Policy,
}

impl Settings {
    pub fn read(db: &Db) -> Result<Settings, DbError> {
        let stored = config::read_values(db, &ReadValues { keys: &KEYS })?;
        let values: HashMap<_, _> = stored.into_iter().map(|v| (v.key, v.value)).collect();
        Ok(Settings::from_values(&values))
    }

    /// The settings from `(key → JSON value)` ([`Config`]: a value the registry refuses
    /// means the default).
    pub fn from_values(values: &HashMap<String, String>) -> Settings {
        let config = Config::from_rows(&KEYS, values);
        // The registry's integer ranges are not negative and fit an i32 (a tds-core test).
        let count = |key| config.int(key) as u32;
        let ms = |key| Duration::from_millis(config.int(key) as u64);
        Settings {
            page_size: count("reconcile_page_size"),
            requests_per_minute: count("reconcile_requests_per_minute"),
            backoff: Backoff {
                base_ms: config.int("reconcile_backoff_base_ms") as u64,
                cap_ms: config.int("reconcile_backoff_cap_ms") as u64,
            },
            max_retries: count("reconcile_max_retries"),
            daily: DailyBudget {
                limit: count("reconcile_daily_request_limit"),
                reserve: count("reconcile_daily_request_reserve"),
            },
            rereads_per_run: count("reconcile_rereads_per_run"),
            check_interval_hours: count("reconcile_check_interval_hours"),
            time_budget: ms("reconcile_time_budget_ms"),
            request_timeout: ms("reconcile_request_timeout_ms"),
            stale_age_hours: config.number("reconcile_stale_age_hours"),
            finding_limit: config.int("reconcile_finding_limit") as i32,
            modules: config.modules("reconcile_modules"),
            circuit: Policy {
                failure_threshold: count("circuit_failure_threshold"),
                open_seconds: config.number("circuit_open_seconds"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use tds_core::config_values;
    use tds_zoho::api::{books_path, MAX_PER_PAGE};

    use super::*;

    fn values(list: &[(&str, &str)]) -> HashMap<String, String> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults() {
        let settings = Settings::from_values(&values(&[]));
        assert_eq!(
            settings,
            Settings {
                page_size: 200,
                requests_per_minute: 100,
                backoff: Backoff {
                    base_ms: 2_000,
                    cap_ms: 60_000
                },
                max_retries: 5,
                daily: DailyBudget {
                    limit: 2000,
                    reserve: 500
                },
                rereads_per_run: 10,
                check_interval_hours: 24,
                time_budget: Duration::from_millis(240_000),
                request_timeout: Duration::from_millis(30_000),
                stale_age_hours: 720.0,
                finding_limit: 100,
                modules: Module::ALL
                    .into_iter()
                    .filter(|m| books_path(*m).is_some())
                    .collect(),
                circuit: Policy::default(),
            }
        );
    }

    #[test]
    fn stored_values_and_refused_ones() {
        let settings = Settings::from_values(&values(&[
            ("reconcile_page_size", "2"),
            ("reconcile_time_budget_ms", "1000"),
            ("reconcile_backoff_base_ms", "20"),
            ("reconcile_max_retries", "0"),
            ("reconcile_modules", "\"items,invoices\""),
            ("circuit_open_seconds", "2"),
        ]));
        assert_eq!(settings.page_size, 2);
        assert_eq!(settings.time_budget, Duration::from_secs(1));
        assert_eq!(settings.backoff.base_ms, 20);
        assert_eq!(settings.max_retries, 0);
        assert_eq!(settings.modules, [Module::Items, Module::Invoices]);
        assert_eq!(settings.circuit.open_seconds, 2.0);
        let refused = Settings::from_values(&values(&[
            ("reconcile_page_size", "500"),
            ("reconcile_time_budget_ms", "999"),
            ("reconcile_backoff_base_ms", "0"),
            ("reconcile_stale_age_hours", "0.5"),
            ("reconcile_modules", "\"items,widgets\""),
            ("circuit_open_seconds", "0"),
        ]));
        assert_eq!(refused, Settings::from_values(&values(&[])));
    }

    /// A page size the registry allows is one Zoho allows.
    #[test]
    fn the_registry_page_size_is_within_zoho_s() {
        let Some(config_values::ConfigKey {
            kind: config_values::ValueKind::Integer { max, .. },
            ..
        }) = config_values::key("reconcile_page_size")
        else {
            panic!("reconcile_page_size is an integer key");
        };
        assert!(*max <= i64::from(MAX_PER_PAGE));
    }
}
