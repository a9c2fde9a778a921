//! CPU time of a process, from `/proc/PID/stat`: what `dojang load` reports for the service and
//! for itself, and what tells a service it is idle (`malloc.rs`).

/// Clock ticks per second of the CPU times in `/proc/PID/stat` (`USER_HZ`, fixed at 100 by the
/// Linux ABI whatever the kernel's own tick rate).
const USER_HZ: f64 = 100.0;

/// CPU time a process has used so far (user and system, all its threads, live or ended),
/// seconds: `/proc/PID/stat` fields 14 and 15. `pid` is a number or `self`.
pub(crate) fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) as f64 / USER_HZ)
}
