//! The loaded service's process, seen from outside: its resident memory (`/proc/PID/status`,
//! sampled by a thread of its own) and its CPU time (`/proc/PID/stat`, `crate::cpu`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::MEMORY_INTERVAL;
use crate::cpu::cpu_seconds;
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

/// CPU seconds of the service (with `--pid`) and of this client, now.
pub(super) fn cpu_now(pid: Option<u32>) -> (Option<f64>, Option<f64>) {
    (
        pid.and_then(|p| cpu_seconds(&p.to_string())),
        cpu_seconds("self"),
    )
}
