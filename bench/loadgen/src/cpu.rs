//! CPU time spent while load runs, per request (or per event): by the host process, by
//! every PostgreSQL process of the machine (processes named `postgres`: the server and its
//! backends), by the load generator itself with the children it waited for (pgbench, for
//! the ceilings), and by the whole machine (`/proc/stat`), from the kernel's counters in
//! clock ticks (USER_HZ, 100 per second on Linux).
//!
//! On a virtual machine the hypervisor may run another guest on a core this machine wanted
//! (steal time). That time is reported apart (`machine_steal_ms`) and is not counted as
//! busy: it is neither this machine's work nor capacity it had. A run with much of it was
//! measured on a contended host.

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

/// The whole machine's ticks from `/proc/stat`'s `cpu` line.
#[derive(Clone, Copy, Default)]
struct MachineTicks {
    /// Running anything: user, nice, system, irq and softirq (guest time is already in user
    /// and nice; idle, iowait and steal are not busy).
    busy: u64,
    /// Wanted to run while the hypervisor ran someone else.
    steal: u64,
}

impl MachineTicks {
    fn now() -> MachineTicks {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        stat.lines()
            .find(|l| l.starts_with("cpu "))
            .map(MachineTicks::parse)
            .unwrap_or_default()
    }

    /// The `cpu` line's fields: user nice system idle iowait irq softirq steal guest
    /// guest_nice (older kernels stop earlier; a missing field is 0).
    fn parse(line: &str) -> MachineTicks {
        let fields: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(|v| v.parse().unwrap_or(0))
            .collect();
        let field = |i: usize| fields.get(i).copied().unwrap_or(0);
        MachineTicks {
            busy: [0, 1, 2, 5, 6].into_iter().map(field).sum(),
            steal: field(7),
        }
    }

    fn since(self, start: MachineTicks) -> MachineTicks {
        MachineTicks {
            busy: self.busy.saturating_sub(start.busy),
            steal: self.steal.saturating_sub(start.steal),
        }
    }
}

/// The counters at the start of a run.
pub struct CpuClock {
    host_pid: Option<String>,
    host: u64,
    postgres: u64,
    own: u64,
    machine: MachineTicks,
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
            machine: MachineTicks::now(),
            started: Instant::now(),
        }
    }

    /// CPU milliseconds per unit (request or event) for `units` of them since the start,
    /// the time stolen from the machine per unit, and the machine's capacity per unit
    /// (cores × wall time / units) to compare with.
    pub fn finish(self, units: u64) -> Value {
        let per_request = |ticks: u64| {
            let ms = ticks as f64 / TICKS_PER_SECOND * 1000.0 / units.max(1) as f64;
            (ms * 1000.0).round() / 1000.0
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let capacity = cores * self.started.elapsed().as_secs_f64() * 1000.0 / units.max(1) as f64;
        let machine = MachineTicks::now().since(self.machine);
        json!({
            "host_ms": self.host_pid.as_deref().and_then(process_ticks).map(|t| per_request(t.saturating_sub(self.host))),
            "postgres_ms": per_request(postgres_ticks().saturating_sub(self.postgres)),
            "load_generator_ms": per_request(own_ticks().saturating_sub(self.own)),
            "machine_busy_ms": per_request(machine.busy),
            "machine_steal_ms": per_request(machine.steal),
            "machine_capacity_ms": (capacity * 1000.0).round() / 1000.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::MachineTicks;

    #[test]
    fn steal_is_apart_from_busy_and_guest_time_is_not_counted_twice() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        let ticks = MachineTicks::parse("cpu  100 2 30 900 5 1 4 40 7 0");
        assert_eq!(ticks.busy, 100 + 2 + 30 + 1 + 4);
        assert_eq!(ticks.steal, 40);
        let old_kernel = MachineTicks::parse("cpu  100 2 30 900");
        assert_eq!((old_kernel.busy, old_kernel.steal), (132, 0));
    }
}
