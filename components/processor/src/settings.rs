//! The processor's configuration, from its component variables.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `database_url` | PostgreSQL URL | required |
//! | `lane` | `sales`, `catalog`, `purchases` or `inventory` | required |
//! | `entity_types` | modules of the lane to drain, comma-separated | all of the lane's |
//! | `lease_seconds` | how long a claim holds its rows | 60 |
//! | `batch_size` | rows claimed and committed together | 50 |
//! | `time_budget_ms` | an invocation stops claiming after this | 5000 |
//! | `stats_token` | bearer token of the HTTP route | none: the route refuses |
//!
//! Only modules with a mapper are claimed; the others stay in the queue untouched, and the
//! run record says which.
//!
//! Runtime tuning an operator may change between runs lives in `tds_config` and is read
//! at the start of every invocation ([`Tuning`]).

use std::time::Duration;

use tds_core::backoff::Backoff;
use tds_core::circuit::Policy;
use tds_core::entity::{Lane, Module};
use tds_guest::db::{param, Db, DbError};
use tds_guest::vars;
use tds_store::config;

pub struct Settings {
    pub database_url: String,
    pub lane: Lane,
    /// Configured modules of the lane that have a mapper: the ones claimed.
    pub claimable: Vec<Module>,
    /// Configured modules of the lane without a mapper yet: left in the queue.
    pub unsupported: Vec<Module>,
    /// `entity_types` entries that are not modules of this lane.
    pub ignored: Vec<String>,
    pub lease_seconds: i32,
    pub batch_size: i32,
    pub time_budget: Duration,
    /// Set by `POST /internal/drain/<lane>?keep_going_ms=…`: keep serving the lane this
    /// long, waiting [`IDLE_WAIT`] whenever it is empty, instead of stopping at the first
    /// empty claim or at `time_budget` (for platforms where a scheduler calls the route once
    /// a minute instead of a cron trigger every second).
    pub keep_going: Option<Duration>,
}

/// How long a keep-going invocation waits after finding its lane empty.
pub const IDLE_WAIT: Duration = Duration::from_millis(250);

/// The longest `keep_going_ms` the drain route takes (the host's guest limit is 600 s).
pub const MAX_KEEP_GOING_MS: i64 = 600_000;

impl Settings {
    pub fn read() -> Result<Settings, String> {
        let database_url = vars::get("database_url").ok_or("variable database_url is not set")?;
        let lane_name = vars::get("lane").ok_or("variable lane is not set")?;
        let lane = Lane::from_name(&lane_name)
            .ok_or_else(|| format!("variable lane: {lane_name:?} is not a lane"))?;
        let (configured, ignored) = lane.select(vars::get("entity_types").as_deref());
        let (claimable, unsupported) = configured
            .into_iter()
            .partition(|m| tds_erp::table_for(*m).is_some());
        Ok(Settings {
            database_url,
            lane,
            claimable,
            unsupported,
            ignored,
            lease_seconds: vars::positive("lease_seconds", 60)?,
            batch_size: vars::positive("batch_size", 50)?,
            time_budget: Duration::from_millis(vars::positive("time_budget_ms", 5_000)?),
            keep_going: None,
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

/// The `tds_config` keys the processor reads, with their defaults where unset or not a
/// positive number:
///
/// | key | meaning | default |
/// |---|---|---|
/// | `backoff_base_ms`, `backoff_cap_ms` | retry delays ([`Backoff`]) | 1000, 300000 |
/// | `lock_timeout_ms` | the longest an event waits for a row lock (an ERP row another transaction holds) before its attempt fails with SQLSTATE 55P03, a transient failure retried with backoff | 5000 |
/// | `circuit_failure_threshold`, `circuit_open_seconds` | the lane's circuit breaker ([`Policy`]) | 5, 60 |
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
    fn default() -> Self {
        Tuning {
            backoff: Backoff::default(),
            lock_timeout_ms: 5_000,
            circuit: Policy::default(),
        }
    }
}

impl Tuning {
    /// Reads the tuning from `tds_config`.
    pub fn read(db: &Db) -> Result<Tuning, DbError> {
        let rows = db.query(config::READ_VALUES, &[param::text_array(TUNING_KEYS)])?;
        let values = rows
            .iter()
            .map(|row| Ok((row.text(0)?, row.text(1)?)))
            .collect::<Result<Vec<_>, DbError>>()?;
        Ok(Tuning::from_values(values))
    }

    /// The tuning from `(key, JSON value)` pairs; unknown keys and values that are not
    /// positive integers (JSON numbers or strings of digits) are ignored.
    fn from_values(values: impl IntoIterator<Item = (String, String)>) -> Tuning {
        let mut tuning = Tuning::default();
        for (key, value) in values {
            let Some(n) = positive_ms(&value) else {
                continue;
            };
            match key.as_str() {
                "backoff_base_ms" => tuning.backoff.base_ms = n,
                "backoff_cap_ms" => tuning.backoff.cap_ms = n,
                "lock_timeout_ms" => tuning.lock_timeout_ms = n,
                "circuit_failure_threshold" => {
                    tuning.circuit.failure_threshold = u32::try_from(n).unwrap_or(u32::MAX)
                }
                "circuit_open_seconds" => tuning.circuit.open_seconds = n as f64,
                _ => {}
            }
        }
        tuning
    }
}

/// A positive integer from a JSON value: `250` or `"250"`.
fn positive_ms(json: &str) -> Option<u64> {
    json.trim()
        .trim_matches('"')
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuning_from_config_values() {
        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(Tuning::from_values(pairs(&[])), Tuning::default());
        let tuning = Tuning::from_values(pairs(&[
            ("backoff_base_ms", "250"),
            ("backoff_cap_ms", "\"9000\""),
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
        assert_eq!(tuning.lock_timeout_ms, 5_000);
        let tuning = Tuning::from_values(pairs(&[
            ("lock_timeout_ms", "300"),
            ("backoff_cap_ms", "-1"),
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
        assert_eq!(tuning.backoff.cap_ms, Backoff::default().cap_ms);
    }
}
