//! Generates a synthetic register and reports how long it took:
//! `cargo run --release -p dojang-issuer --example generate_register -- 10000 42 [out.json]`.
//! Prints counts and timings only, never personal data.

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let households: usize = args.next().map_or(Ok(10_000), |a| a.parse())?;
    let seed: u64 = args.next().map_or(Ok(42), |a| a.parse())?;
    let out = args.next();

    let started = Instant::now();
    let file = dojang_issuer::generate(households, seed);
    let generated = started.elapsed();
    let started = Instant::now();
    let summary = file.validate()?;
    let validated = started.elapsed();
    println!("households={households} seed={seed} {summary:?}");
    println!("generate: {generated:?}, validate: {validated:?}");
    let db = sled::Config::new().temporary(true).open()?;
    let register = dojang_issuer::Register::open(&db)?;
    let started = Instant::now();
    register.import(&file)?;
    println!(
        "import into sled (one transaction, flushed): {:?}",
        started.elapsed()
    );
    if let Some(out) = out {
        file.save(std::path::Path::new(&out))?;
        println!("written to {out}");
    }
    Ok(())
}
