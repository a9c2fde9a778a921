//! Where verification time goes, stage by stage, next to the two-`verify_strict` floor, on the
//! benchmark workload (`dojang_verifier::workload`). For profilers:
//!
//! ```sh
//! cargo build --release -p dojang-verifier --example verify_stages
//! target/release/examples/verify_stages [N]          # timings, floor and full interleaved
//! target/release/examples/verify_stages N full       # only the pipeline, N times (perf, callgrind)
//! target/release/examples/verify_stages N floor      # only the two signatures, N times
//! ```
//!
//! Under valgrind, SHA-256 runs without the CPU's SHA extensions: instruction counts overstate
//! the hashing stages.

// A measuring tool: a failed unwrap in setup is a failed run.
#![allow(missing_docs, clippy::unwrap_used)]
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use dojang_vc::{Budget, SdJwt};
use ed25519_dalek::Signature;
use std::hint::black_box;
use std::time::Instant;

fn parts(c: &str) -> (Vec<u8>, Signature) {
    let (i, s) = c.rsplit_once('.').unwrap();
    let s: [u8; 64] = B64.decode(s).unwrap().try_into().unwrap();
    (i.as_bytes().to_vec(), Signature::from_bytes(&s))
}

/// Short back-to-back pairs of floor and full runs for the median ratio.
const PAIRS: usize = 21;

/// Mean µs of `n` calls of `f`, silently.
fn quiet(n: u32, mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1))
}

/// Mean µs of `n` calls of `f` after `n / 10` to warm up, printed under `name`.
fn time(name: &str, n: u32, mut f: impl FnMut()) -> f64 {
    quiet(n / 10, &mut f);
    let us = quiet(n, f);
    eprintln!("{name:>12}: {us:8.2} µs");
    us
}

fn main() {
    let w = dojang_verifier::workload::Workload::new().unwrap();
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    let p = &w.presentation;
    let ip = parts(p.split('~').next().unwrap());
    let kp = parts(p.rsplit('~').next().unwrap());
    let ivk = *w.issuer.public().verifying_key();
    let hvk = *w.holder.public().verifying_key();
    let b = Budget::default();
    // The keys as the pipeline reads them, from JWKs (the trust list, `cnf.jwk`).
    let ij_key = dojang_did::PublicJwk::from_json(&w.issuer.public().to_json()).unwrap();
    let hj_key = dojang_did::PublicJwk::from_json(&w.holder.public().to_json()).unwrap();
    // The floor: the two signatures by ed25519-dalek's verify_strict.
    let floor_once = || {
        black_box(ivk.verify_strict(&ip.0, &ip.1).is_ok());
        black_box(hvk.verify_strict(&kp.0, &kp.1).is_ok());
    };
    let full_once = || {
        let o = dojang_verifier::verify(black_box(p), &w.inputs());
        assert!(o.result.is_ok());
    };
    match std::env::args().nth(2).as_deref() {
        Some("floor") => {
            quiet(n, floor_once);
            return;
        }
        Some("full") => {
            quiet(n, full_once);
            return;
        }
        _ => {}
    }
    let mut floor = 0.0;
    let mut full = 0.0;
    for _ in 0..3 {
        floor += time("floor", n, floor_once);
        full += time("full", n, full_once);
    }
    let strict = time("strict check", n, || {
        black_box(ij_key.verify_strict(&ip.0, &ip.1));
        black_box(hj_key.verify_strict(&kp.0, &kp.1));
    });
    let pair = time("pair check", n, || {
        let rng = &mut rand::thread_rng();
        black_box(ij_key.verify_strict_pair(&ip.0, &ip.1, &hj_key, &kp.0, &kp.1, rng));
    });
    time("parse", n, || {
        black_box(SdJwt::parse(black_box(p), &b).unwrap());
    });
    let hj = w.holder.public().to_json();
    time("holder key", n, || {
        black_box(dojang_did::PublicJwk::from_json(black_box(&hj)).unwrap());
    });
    let ij = p.split('~').next().unwrap();
    time("issuer jws", n, || {
        black_box(dojang_vc::Jws::parse(black_box(ij), &b, dojang_vc::JwtPart::Issuer).unwrap());
    });
    let ds: Vec<&str> = p
        .split('~')
        .skip(1)
        .filter(|d| !d.is_empty() && !d.contains('.'))
        .collect();
    time("disclosures", n, || {
        for d in &ds {
            black_box(dojang_vc::disclosure::Disclosure::parse(black_box(d), &b).unwrap());
        }
    });
    let sd = SdJwt::parse(p, &b).unwrap();
    let payload = sd.issuer_jwt().unverified_payload().clone();
    time("process", n, || {
        black_box(dojang_vc::process::process(&payload, sd.disclosures(), &b).unwrap());
    });
    time("sd_hash", n, || {
        black_box(dojang_vc::key_binding::sd_hash(black_box(sd.presented())));
    });
    time("payload clone", n, || {
        black_box(payload.clone());
    });
    eprintln!("ratio {:.3}", full / floor);
    // The machine is shared: the ratio of each short pair measured back to back, and their
    // median, drift less with whatever else runs than the three long rounds above.
    let mut ratios: Vec<f64> = (0..PAIRS)
        .map(|_| {
            let f = quiet(n / 10, floor_once);
            let v = quiet(n / 10, full_once);
            v / f
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    eprintln!(
        "ratio of {PAIRS} pairs: median {:.3} (quartiles {:.3} to {:.3})",
        ratios[PAIRS / 2],
        ratios[PAIRS / 4],
        ratios[3 * PAIRS / 4]
    );
    eprintln!(
        "the two signatures, dojang's strict check against verify_strict: {:.3}",
        strict / (floor / 3.0)
    );
    eprintln!(
        "the two signatures checked together (the pipeline's check) against verify_strict: {:.3}",
        pair / (floor / 3.0)
    );
}
