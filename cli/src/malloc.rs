//! glibc's malloc: arenas, two per core, and memory handed back to the system while serving.
//!
//! glibc gives a threaded process up to eight malloc arenas per core, and each keeps memory
//! freed into it. The services hand every request between tokio workers and blocking threads,
//! so their allocations spread over all the arenas. Measured side by side on two cores (two
//! `scripts/load --only verifier --skip-bench --duration 60s` runs at once, resident memory at
//! the end, CPU per request):
//!
//! | arenas | resident | CPU / request | beside glibc's default (16 arenas) |
//! |---|---|---|---|
//! | 4 (two per core) | 124 MiB | 747 µs | 167 MiB, 776 µs, same throughput |
//! | 2 (one per core) | 95–97 MiB | 705–707 µs | 143–146 MiB, 639–660 µs |
//!
//! One arena per core nearly halves the memory but cost 7–11% more CPU per request in two of
//! three runs (lock contention between the threads sharing an arena); two per core costs
//! nothing measurable and saves a quarter. An operator who wants the smaller figure sets
//! `GLIBC_TUNABLES=glibc.malloc.arena_max=N`, which is left as it is.

/// Limits glibc's malloc to two arenas per core. Call first in `main`, before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub(crate) fn two_arenas_per_core() {
    let tuned = std::env::var_os("GLIBC_TUNABLES")
        .is_some_and(|t| t.to_string_lossy().contains("malloc.arena_max"));
    if tuned {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let arenas = libc::c_int::try_from(2 * cores).unwrap_or(libc::c_int::MAX);
    // SAFETY: `mallopt` only sets a parameter of glibc's allocator, and is called before this
    // process starts any other thread. On failure it returns 0 and leaves the default, which is
    // still correct, only larger.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

/// Other allocators than glibc's: nothing to set.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn two_arenas_per_core() {}

/// How often a service looks at whether to hand the heap memory that glibc's malloc holds free
/// back to the system ([`spawn_trimmer`]).
pub(crate) const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The share of one core under which a service counts as idle over [`TRIM_EVERY`], and is
/// trimmed: 5%, far below any load worth measuring and above what the background refresh and
/// retention sweep use.
const IDLE_CPU_SHARE: f64 = 0.05;

/// Every [`TRIM_EVERY`] in which the service was idle, returns the free memory of every malloc
/// arena to the system (`malloc_trim(0)`), on a blocking thread. glibc gives a freed chunk back
/// only from the top of an arena's heap, so a service keeps whatever its busiest second needed:
/// on a loaded verifier (`scripts/load --only verifier --duration 90s`), one `malloc_trim(0)`
/// took its resident memory from 129 MiB to 81 MiB.
///
/// Only when idle: trimming walks each arena under its lock, and under load a trim took 15–24 ms
/// (`DOJANG_LOG=info,dojang::malloc=debug`), during which requests allocating in that arena
/// wait. Trimming every 10 s whatever the load lowered a loaded verifier's memory by about a
/// tenth (92–112 MiB after each round of 90 s runs, against 110–123 MiB) and left its peaks as
/// they were: not worth those stalls. Idle, a trim takes 0.5–2 ms; after a burst, what malloc
/// holds free goes back (after a 15 s load: 67.7 → 64.6 MiB; after the 90 s run above, with more
/// freed, 129 → 81 MiB).
pub(crate) fn spawn_trimmer() {
    tokio::spawn(async {
        let mut every = tokio::time::interval(TRIM_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        let mut cpu_before = crate::cpu::cpu_seconds("self");
        loop {
            every.tick().await;
            let cpu_now = crate::cpu::cpu_seconds("self");
            let busy = match (cpu_before, cpu_now) {
                (Some(before), Some(now)) => now - before,
                // No /proc: never counts as idle.
                _ => f64::INFINITY,
            };
            cpu_before = cpu_now;
            if busy > IDLE_CPU_SHARE * TRIM_EVERY.as_secs_f64() {
                continue;
            }
            let started = std::time::Instant::now();
            if tokio::task::spawn_blocking(trim).await.is_err() {
                return;
            }
            tracing::debug!(
                micros = started.elapsed().as_micros(),
                "idle: malloc arenas trimmed"
            );
        }
    });
}

/// Returns the free memory of every malloc arena to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() {
    // SAFETY: `malloc_trim` only releases memory malloc holds free; it takes each arena's lock
    // and may be called from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators than glibc's: nothing to trim.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
