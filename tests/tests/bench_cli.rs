//! `dojang bench --json`: the report's shape, every figure positive, the ratios to the floor
//! inside their quartiles, and full verification costing more than its two signature checks.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use dojang_tests::{dojang, run, COMMAND_TIMEOUT};

#[test]
fn bench_json_reports_every_operation_and_the_ratios() {
    let mut cmd = dojang();
    cmd.args(["bench", "--iterations", "20", "--json"]);
    let out = run(&mut cmd, COMMAND_TIMEOUT);
    out.success();
    assert!(
        out.stderr.contains("bench:"),
        "progress goes to stderr: {}",
        out.stderr
    );
    let report = out.json();
    assert_eq!(report["presentation_disclosures"], 10);
    assert!(report["cores"].as_u64().unwrap() >= 1);

    let ops = report["operations"].as_array().unwrap();
    let names: Vec<&str> = ops.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "floor",
            "strict_check",
            "full_verify",
            "one_by_one_64",
            "verify_batch_64",
            "strict_batch_64",
            "sign_only",
            "durable_issue",
            "durable_batch_64",
            "durable_batch_256",
            "durable_batch_256x2"
        ]
    );
    for op in ops {
        // A batch operation counts credentials: 20 of them is one batch.
        let expected = if op["name"].as_str().unwrap().starts_with("durable_batch") {
            1
        } else {
            20
        };
        assert_eq!(op["iterations"], expected, "{op}");
        for figure in ["micros_per_op", "per_second_per_core"] {
            let x = op[figure].as_f64().unwrap();
            assert!(x.is_finite() && x > 0.0, "{figure} of {op}");
        }
    }

    let ratios = &report["ratios"];
    for figure in [
        "full_verify_over_floor",
        "strict_check_over_floor",
        "batch_speedup",
        "durable_issuance_per_second",
        "batched_issuance_per_second",
    ] {
        let x = ratios[figure].as_f64().unwrap();
        assert!(x.is_finite() && x > 0.0, "{figure}: {x}");
    }
    // The batch speedup is that of the batch with verify_strict's decisions, not verify_batch's.
    let micros = |name: &str| {
        ops.iter().find(|o| o["name"] == name).unwrap()["micros_per_op"]
            .as_f64()
            .unwrap()
    };
    let speedup = micros("one_by_one_64") / micros("strict_batch_64");
    assert!(
        (ratios["batch_speedup"].as_f64().unwrap() - speedup).abs() < 1e-9 * speedup,
        "{speedup}"
    );
    // The ratios to the floor are medians of 21 rounds back to back (20 runs a block make one
    // run a round), each inside its quartiles.
    let rounds = &report["ratio_rounds"];
    assert_eq!(rounds["rounds"], 21, "{rounds}");
    assert_eq!(rounds["runs_per_round"], 1, "{rounds}");
    for name in ["full_verify_over_floor", "strict_check_over_floor"] {
        let median = ratios[name].as_f64().unwrap();
        let quartiles = rounds[format!("{name}_quartiles")].as_array().unwrap();
        let (low, high) = (
            quartiles[0].as_f64().unwrap(),
            quartiles[1].as_f64().unwrap(),
        );
        assert!(
            0.0 < low && low <= median && median <= high,
            "{name}: {low} ≤ {median} ≤ {high}"
        );
    }
    // Full verification makes the two signature checks of `strict_check` and more: it cannot
    // cost less.
    let micros = |name: &str| {
        ops.iter().find(|o| o["name"] == name).unwrap()["micros_per_op"]
            .as_f64()
            .unwrap()
    };
    assert!(
        micros("full_verify") > micros("strict_check"),
        "full verify {} µs, its signature checks {} µs",
        micros("full_verify"),
        micros("strict_check")
    );
}
