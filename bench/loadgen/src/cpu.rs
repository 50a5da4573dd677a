//! CPU time spent while load runs, per request (or per event): by the host process, by
//! every PostgreSQL process of the machine (processes named `postgres`: the server and its
//! backends), by the load generator itself with the children it waited for (pgbench, for
//! the ceilings), and by the whole machine (`/proc/stat`), from the kernel's counters in
//! clock ticks (USER_HZ, 100 per second on Linux).

use std::time::Instant;

use serde_json::{json, Value};

/// Clock ticks per second of `/proc/<pid>/stat` and `/proc/stat` (USER_HZ).
const TICKS_PER_SECOND: f64 = 100.0;

/// User plus system ticks of one process (`/proc/<pid>/stat` fields 14 and 15), and with
/// `children` those of the children it waited for too (fields 16 and 17).
fn ticks(pid: &str, children: bool) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after it follow its `)`.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let count = if children { 4 } else { 2 };
    (11..11 + count)
        .map(|i| fields.get(i)?.parse::<u64>().ok())
        .sum()
}

fn process_ticks(pid: &str) -> Option<u64> {
    ticks(pid, false)
}

/// The load generator's ticks, with those of the children it has waited for.
fn own_ticks() -> u64 {
    ticks("self", true).unwrap_or(0)
}

/// Ticks of every process whose command name is `postgres`, with those of the children
/// each has waited for: a backend that has exited (pgbench's, at its end) is counted in
/// the postmaster that reaped it.
fn postgres_ticks() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .filter_map(|pid| ticks(&pid, true))
        .sum()
}

/// Busy ticks of the whole machine: every `/proc/stat` `cpu` field but idle and iowait.
fn machine_busy_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0;
    };
    line.split_whitespace()
        .skip(1)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .filter_map(|(_, v)| v.parse::<u64>().ok())
        .sum()
}

/// The counters at the start of a run.
pub struct CpuClock {
    host_pid: Option<String>,
    host: u64,
    postgres: u64,
    own: u64,
    machine: u64,
    started: Instant,
}

impl CpuClock {
    /// Starts counting, for the host process `host_pid` when there is one (a ceiling has none).
    pub fn start(host_pid: Option<u32>) -> CpuClock {
        let host_pid = host_pid.map(|pid| pid.to_string());
        CpuClock {
            host: host_pid.as_deref().and_then(process_ticks).unwrap_or(0),
            host_pid,
            postgres: postgres_ticks(),
            own: own_ticks(),
            machine: machine_busy_ticks(),
            started: Instant::now(),
        }
    }

    /// CPU milliseconds per unit (request or event) for `units` of them since the start,
    /// and the machine's capacity per unit (cores × wall time / units) to compare with.
    pub fn finish(self, units: u64) -> Value {
        let per_request = |ticks: u64| {
            let ms = ticks as f64 / TICKS_PER_SECOND * 1000.0 / units.max(1) as f64;
            (ms * 1000.0).round() / 1000.0
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let capacity = cores * self.started.elapsed().as_secs_f64() * 1000.0 / units.max(1) as f64;
        json!({
            "host_ms": self.host_pid.as_deref().and_then(process_ticks).map(|t| per_request(t.saturating_sub(self.host))),
            "postgres_ms": per_request(postgres_ticks().saturating_sub(self.postgres)),
            "load_generator_ms": per_request(own_ticks().saturating_sub(self.own)),
            "machine_busy_ms": per_request(machine_busy_ticks().saturating_sub(self.machine)),
            "machine_capacity_ms": (capacity * 1000.0).round() / 1000.0,
        })
    }
}
