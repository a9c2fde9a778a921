//! How sled 0.34's resident memory follows the number of keys it holds, whatever its page cache:
//! the measurement behind the issuer's memory figures (README, Performance; issue 6 "memory
//! flat"). Opens a database with the issuer's own settings ([`dojang_issuer::open_db`]: a 16 MiB
//! page cache), then writes what an issued credential adds for good — an issuance record of about
//! 400 bytes, a status entry of about 50 and a log leaf of about 200, three keys in three trees,
//! in batches of 256 with a flush each, as `Issuer::issue_batch` does — and prints the resident
//! memory every `N / 10` credentials, with the bytes it grew per credential since the last line.
//! A second phase writes and deletes the same number of short-lived records (the OpenID4VCI
//! offers, tokens and nonces) to show what churn alone costs.
//!
//! ```sh
//! cargo run --release -p dojang-issuer --example sled_memory [N]    # N credentials, default 400000
//! ```

// A measuring tool: a failed unwrap in setup is a failed run.
#![allow(missing_docs, clippy::unwrap_used)]

use std::time::Instant;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn report(phase: &str, done: u64, last: &mut (u64, u64), started: Instant) {
    let rss = rss_kib();
    let grew = if done > last.0 {
        (rss as f64 - last.1 as f64) * 1024.0 / (done - last.0) as f64
    } else {
        0.0
    };
    println!(
        "{phase:>6} {done:>9} credentials  RSS {:>6.1} MiB  {grew:>7.1} B/credential since the last line  {:>6.1} s",
        rss as f64 / 1024.0,
        started.elapsed().as_secs_f64()
    );
    *last = (done, rss);
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(400_000);
    let dir = tempfile::tempdir().unwrap();
    let db = dojang_issuer::open_db(dir.path()).unwrap();
    let records = db.open_tree("records").unwrap();
    let entries = db.open_tree("entries").unwrap();
    let leaves = db.open_tree("leaves").unwrap();
    let churn = db.open_tree("churn").unwrap();
    let record = vec![b'r'; 400];
    let entry = vec![b'e'; 50];
    let leaf = vec![b'l'; 200];
    let step = (n / 10).max(1);
    let started = Instant::now();
    let mut last = (0, rss_kib());
    report("grow", 0, &mut last, started);
    for i in 0..n {
        // Record keys are credential numbers: spread, not in issue order.
        let spread = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes();
        records.insert(spread, record.as_slice()).unwrap();
        entries.insert(i.to_be_bytes(), entry.as_slice()).unwrap();
        leaves.insert(i.to_be_bytes(), leaf.as_slice()).unwrap();
        if i % 256 == 255 {
            db.flush().unwrap();
        }
        if (i + 1) % step == 0 {
            report("grow", i + 1, &mut last, started);
        }
    }
    let live = 20_000;
    let mut last = (0, rss_kib());
    for i in 0..n {
        churn.insert(i.to_be_bytes(), record.as_slice()).unwrap();
        if i >= live {
            churn.remove((i - live).to_be_bytes()).unwrap();
        }
        if i % 256 == 255 {
            db.flush().unwrap();
        }
        if (i + 1) % step == 0 {
            report("churn", i + 1, &mut last, started);
        }
    }
    println!(
        "on disk: {:.1} MiB; sled's page cache is set to 16 MiB",
        db.size_on_disk().unwrap() as f64 / (1024.0 * 1024.0)
    );
}
