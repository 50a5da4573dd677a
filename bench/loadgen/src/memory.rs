//! Memory of the host process while load runs: VmRSS sampled from /proc, and VmHWM (the
//! kernel's own high-water mark of the resident set since the process started).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// A `/proc/<pid>/status` field in KiB.
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Samples VmRSS of `pid` until stopped.
pub struct Watch {
    pid: u32,
    start_kib: u64,
    peak_kib: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Watch {
    pub fn start(pid: u32) -> Watch {
        let start_kib = status_kib(pid, "VmRSS").unwrap_or(0);
        let peak_kib = Arc::new(AtomicU64::new(start_kib));
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (peak_kib, stop) = (peak_kib.clone(), stop.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(rss) = status_kib(pid, "VmRSS") {
                        peak_kib.fetch_max(rss, Ordering::Relaxed);
                    }
                    tokio::time::sleep(SAMPLE_EVERY).await;
                }
            }
        });
        Watch {
            pid,
            start_kib,
            peak_kib,
            stop,
            task,
        }
    }

    /// Stops sampling; the figures in MiB.
    pub async fn finish(self) -> Value {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        let mib = |kib: u64| (kib as f64 / 1024.0 * 10.0).round() / 10.0;
        let process =
            std::fs::read_to_string(format!("/proc/{}/comm", self.pid)).unwrap_or_default();
        json!({
            "pid": self.pid,
            "process": process.trim(),
            "rss_start_mib": mib(self.start_kib),
            "rss_peak_mib": mib(self.peak_kib.load(Ordering::Relaxed)),
            "rss_end_mib": status_kib(self.pid, "VmRSS").map(mib),
            "hwm_mib": status_kib(self.pid, "VmHWM").map(mib),
        })
    }
}
