//! The loaded service's process, seen from outside: its resident memory (`/proc/PID/status`,
//! sampled by a thread of its own) and its CPU time (`/proc/PID/stat`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::MEMORY_INTERVAL;
use crate::error::CliError;

/// The service's memory, read from /proc/PID/status by a thread of its own.
pub(super) struct MemoryWatch {
    pub(super) pid: u32,
    peak_kib: Arc<AtomicU64>,
    reads: Arc<AtomicU64>,
    gone: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// VmRSS and VmHWM of a process, KiB.
pub(super) fn read_memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

impl MemoryWatch {
    pub(super) fn start(pid: u32) -> Result<Self, CliError> {
        let (rss, _) = read_memory(pid).ok_or_else(|| {
            CliError::Usage(format!("--pid {pid}: no /proc/{pid}/status to read"))
        })?;
        let peak_kib = Arc::new(AtomicU64::new(rss));
        let reads = Arc::new(AtomicU64::new(1));
        let gone = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, r, g, s) = (
            Arc::clone(&peak_kib),
            Arc::clone(&reads),
            Arc::clone(&gone),
            Arc::clone(&stop),
        );
        let thread = std::thread::Builder::new()
            .name("load-memory".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    match read_memory(pid) {
                        Some((rss, _)) => {
                            p.fetch_max(rss, Ordering::Relaxed);
                            r.fetch_add(1, Ordering::Relaxed);
                        }
                        None => {
                            g.store(true, Ordering::Relaxed);
                            return;
                        }
                    }
                    std::thread::sleep(MEMORY_INTERVAL);
                }
            })
            .map_err(|source| CliError::Io {
                path: PathBuf::from(format!("/proc/{pid}/status")),
                source,
            })?;
        Ok(Self {
            pid,
            peak_kib,
            reads,
            gone,
            stop,
            thread: Some(thread),
        })
    }

    /// VmRSS now, KiB (0 when the process is gone).
    pub(super) fn rss_now(&self) -> u64 {
        match read_memory(self.pid) {
            Some((rss, _)) => {
                self.peak_kib.fetch_max(rss, Ordering::Relaxed);
                rss
            }
            None => {
                self.gone.store(true, Ordering::Relaxed);
                0
            }
        }
    }

    pub(super) fn finish(mut self) -> (u64, u64, u64, Option<u64>, bool) {
        let end = self.rss_now();
        let hwm = read_memory(self.pid).map(|(_, hwm)| hwm);
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        (
            end,
            self.peak_kib.load(Ordering::Relaxed),
            self.reads.load(Ordering::Relaxed),
            hwm,
            self.gone.load(Ordering::Relaxed),
        )
    }
}

/// Clock ticks per second of the CPU times in `/proc/PID/stat` (`USER_HZ`, fixed at 100 by the
/// Linux ABI whatever the kernel's own tick rate).
pub(super) const USER_HZ: f64 = 100.0;

/// CPU time a process has used so far (user and system, all its threads, live or ended),
/// seconds: `/proc/PID/stat` fields 14 and 15. `pid` is a number or `self`.
pub(super) fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) as f64 / USER_HZ)
}

/// CPU seconds of the service (with `--pid`) and of this client, now.
pub(super) fn cpu_now(pid: Option<u32>) -> (Option<f64>, Option<f64>) {
    (
        pid.and_then(|p| cpu_seconds(&p.to_string())),
        cpu_seconds("self"),
    )
}
