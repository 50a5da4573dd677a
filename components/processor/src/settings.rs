//! The processor's configuration, from its component variables, read through their
//! registry entries (`tds_core::variables`, which holds their defaults and bounds) at the
//! start of every invocation: `database_url`, `lane` and `entity_types` (the lane's modules
//! to drain; unset, all of them), `lease_seconds`, `batch_size`, `time_budget_ms`, and for
//! wakes `wake`, `app_origin` and `stats_token` (also the HTTP route's bearer token). A bad
//! value refuses the invocation (`Settings::read`'s error).
//!
//! Only modules with a mapper are claimed; the others stay in the queue untouched, and the
//! run record says which.
//!
//! Runtime tuning an operator may change between runs lives in `tds_config` and is read
//! at the start of every invocation ([`Tuning`]), through the registry of keys
//! (`tds_core::config_values`; docs/configuration.md, "Runtime configuration", lists them).

use std::time::Duration;

use tds_core::backoff::Backoff;
use tds_core::circuit::Policy;
use tds_core::config_values::Config;
use tds_core::entity::{Lane, Module};
use tds_core::variables::{self, VariableError};
use tds_guest::config::{self, ReadValues};
use tds_guest::db::{Db, DbError};
use tds_guest::drains::Waking;
use tds_guest::vars;

pub struct Settings {
    pub database_url: String,
    pub lane: Lane,
    /// Configured modules of the lane that have a mapper: the ones claimed.
    pub claimable: Vec<Module>,
    /// Configured modules of the lane without a mapper yet: left in the queue.
    pub unsupported: Vec<Module>,
    /// `entity_types` entries that are not modules of this lane.
    pub ignored: Vec<String>,
    pub lease_seconds: u32,
    pub batch_size: u32,
    pub time_budget: Duration,
    /// Set by `POST /internal/drain/<lane>?keep_going_ms=…`: keep serving the lane this
    /// long, waiting [`IDLE_WAIT`] whenever it is empty, instead of stopping at the first
    /// empty claim or at `time_budget` (for platforms where a scheduler calls the route once
    /// a minute instead of a cron trigger every second).
    pub keep_going: Option<Duration>,
    /// Where a wake goes when the time budget ends with work left.
    pub waking: Waking,
}

/// How long a keep-going invocation waits after finding its lane empty.
pub const IDLE_WAIT: Duration = Duration::from_millis(250);

/// The longest `keep_going_ms` the drain route takes (the host's guest limit is 600 s).
pub const MAX_KEEP_GOING_MS: i64 = 600_000;

impl Settings {
    /// Reads the variables; the first bad one (or required one unset) is the error.
    pub fn read() -> Result<Settings, VariableError> {
        let database_url = vars::read(&variables::DATABASE_URL)?;
        let lane = vars::read(&variables::LANE)?;
        let entity_types = vars::text(&variables::ENTITY_TYPES);
        let (configured, ignored) = lane.select(entity_types.as_deref());
        let (claimable, unsupported) = configured
            .into_iter()
            .partition(|m| tds_erp::table_for(*m).is_some());
        Ok(Settings {
            database_url,
            lane,
            claimable,
            unsupported,
            ignored,
            lease_seconds: vars::read(&variables::LEASE_SECONDS)?,
            batch_size: vars::read(&variables::BATCH_SIZE)?,
            time_budget: Duration::from_millis(vars::read(&variables::TIME_BUDGET_MS)?.into()),
            keep_going: None,
            waking: Waking::read()?,
        })
    }

    /// How long after its start the invocation may still claim: `time_budget`, or with
    /// `keep_going`, that time less a reserve for the last batch (a fifth of it, at most
    /// the time budget), so the invocation ends within `keep_going`: asked for 25 s with a
    /// 5 s budget, it claims for 20 s.
    pub fn claim_window(&self) -> Duration {
        match self.keep_going {
            Some(keep_going) => keep_going - (keep_going / 5).min(self.time_budget),
            None => self.time_budget,
        }
    }

    /// Whether an invocation `elapsed` into its run waits for work instead of stopping
    /// at an empty lane.
    pub fn waits_when_empty(&self, elapsed: Duration) -> bool {
        self.keep_going.is_some() && elapsed + IDLE_WAIT < self.claim_window()
    }

    /// The component's name in logs and runs: `processor-<lane>`.
    pub fn component(&self) -> String {
        format!("processor-{}", self.lane)
    }
}

/// The processor's `tds_config` tuning: retry delays ([`Backoff`]), the longest an event
/// waits for a row lock (`lock_timeout_ms`: an ERP row another transaction holds; the
/// attempt then fails with SQLSTATE 55P03, a transient failure retried with backoff), and
/// the lane's circuit breaker ([`Policy`]).
///
/// Keep `lock_timeout_ms` well under half of `lease_seconds`: a batch extends its lease
/// between events, never during one (see `batch`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    pub backoff: Backoff,
    pub lock_timeout_ms: u64,
    pub circuit: Policy,
}

/// The keys of [`Tuning`].
const TUNING_KEYS: [&str; 5] = [
    "backoff_base_ms",
    "backoff_cap_ms",
    "lock_timeout_ms",
    "circuit_failure_threshold",
    "circuit_open_seconds",
];

impl Default for Tuning {
    /// Every key's default.
    fn default() -> Self {
        Tuning::from_values(Vec::new())
    }
}

impl Tuning {
    /// Reads the tuning from `tds_config`.
    pub fn read(db: &Db) -> Result<Tuning, DbError> {
        let stored = config::read_values(db, &ReadValues { keys: &TUNING_KEYS })?;
        let values = stored.into_iter().map(|v| (v.key, v.value)).collect();
        Ok(Tuning::from_values(values))
    }

    /// The tuning from `(key, JSON value)` pairs ([`Config`]: a value the registry refuses
    /// means the default).
    fn from_values(values: Vec<(String, String)>) -> Tuning {
        let config = Config::from_rows(&TUNING_KEYS, values);
        // The registry's ranges are positive and fit these types.
        Tuning {
            backoff: Backoff {
                base_ms: config.int("backoff_base_ms") as u64,
                cap_ms: config.int("backoff_cap_ms") as u64,
            },
            lock_timeout_ms: config.int("lock_timeout_ms") as u64,
            circuit: Policy {
                failure_threshold: config.int("circuit_failure_threshold") as u32,
                open_seconds: config.number("circuit_open_seconds"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tuning_defaults_are_the_registry_defaults() {
        let tuning = Tuning::default();
        assert_eq!(
            tuning,
            Tuning {
                backoff: Backoff {
                    base_ms: 1_000,
                    cap_ms: 300_000
                },
                lock_timeout_ms: 5_000,
                circuit: Policy {
                    failure_threshold: 5,
                    open_seconds: 60.0
                },
            }
        );
        assert_eq!(tuning.backoff, Backoff::default());
        assert_eq!(tuning.circuit, Policy::default());
    }

    #[test]
    fn tuning_from_config_values() {
        let tuning = Tuning::from_values(pairs(&[
            ("backoff_base_ms", "250"),
            ("backoff_cap_ms", "9000"),
            ("lock_timeout_ms", "0"),
            ("other", "7"),
        ]));
        assert_eq!(
            tuning.backoff,
            Backoff {
                base_ms: 250,
                cap_ms: 9_000
            }
        );
        assert_eq!(tuning.lock_timeout_ms, 5_000, "below the minimum: default");
        let tuning = Tuning::from_values(pairs(&[
            ("lock_timeout_ms", "300"),
            ("backoff_cap_ms", "-1"),
            ("backoff_base_ms", "\"250\""),
            ("circuit_failure_threshold", "2"),
            ("circuit_open_seconds", "7"),
        ]));
        assert_eq!(tuning.lock_timeout_ms, 300);
        assert_eq!(
            tuning.circuit,
            Policy {
                failure_threshold: 2,
                open_seconds: 7.0
            }
        );
        assert_eq!(
            tuning.backoff,
            Backoff::default(),
            "-1 and a string: defaults"
        );
    }
}
