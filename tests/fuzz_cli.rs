//! Fuzzing the `quad-vs-grad` command (issue 14): random combinations of
//! flags and values, within and beyond the valid ranges (extreme finite
//! numbers, `nan`/`inf` text, huge step counts, duplicate optimizers).
//!
//! Every case must exit with 0 or 2, print no panic, finish within 20 s, print
//! no message with more than one line of digits, and leave no file behind
//! when it exits with 2. A case that exits with 0 must have the outcome
//! `check_traces` expects of every optimizer it ran (none refused after
//! being accepted; each at least one step unless its stop says why not);
//! a runner that does nothing fails that oracle
//! (`the_oracle_fails_a_runner_that_does_nothing`). 120 cases (`CASES`), most without figures (drawing
//! is not the point) and about three in ten drawing with 2–4 frames.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

/// Number of fuzz cases run by [`cli_never_panics_hangs_or_exits_1`].
const CASES: u32 = 120;

/// The longest a case may take (the suite runs on 2 shared cores, unoptimised).
const LIMIT: Duration = Duration::from_secs(20);

/// Numbers as a user might type them, valid or not.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0.001f64..3.0).prop_map(|v| format!("{v}")),
        1 => (-3.0f64..3.0).prop_map(|v| format!("{v:e}")),
        2 => prop::sample::select(vec![
            "0", "-0", "1", "-1", "1e-300", "-1e-300", "1e6", "-1e6", "1e12", "1e50", "-1e50",
            "1e300", "-1e300", "1.7976931348623157e308", "-1.7976931348623157e308",
            "5e-324", "nan", "NaN", "inf", "-inf", "infinity", "1e400", "abc", "",
        ])
        .prop_map(str::to_string),
    ]
}

/// Non-negative integers, valid or not (huge, negative, not a number).
fn count() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (1u64..60).prop_map(|v| v.to_string()),
        1 => prop::sample::select(vec![
            "0", "1", "2", "300", "1000", "10000000", "10000001", "4294967296",
            "18446744073709551615", "18446744073709551616", "-1", "1e3", "nan",
        ])
        .prop_map(str::to_string),
    ]
}

/// A comma-separated optimizer list: real names and aliases (possibly
/// repeated), and now and then a bad one.
fn optimizers() -> impl Strategy<Value = String> {
    let names = vec![
        "gd",
        "sgd",
        "momentum",
        "nesterov",
        "rmsprop",
        "adam",
        "newton",
        "saddle-free",
        "ggn",
        "ggn-lm",
        "kfac",
        "kfac-lm",
        "hf",
        "hf-lm",
        "sd",
        "argmin-newton",
        "bfgs",
        "lbfgs",
        "trust-region",
        "langevin",
        "adaptive-gd",
        "sbfgs",
        "obfgs",
        "slbfgs",
        "olbfgs",
        "L-BFGS",
        "nope",
    ];
    prop::collection::vec(prop::sample::select(names), 1..4).prop_map(|v| v.join(","))
}

/// One command line: a random subset of flags with random values.
fn args() -> impl Strategy<Value = (Vec<String>, bool)> {
    let flag = |name: &'static str, v: BoxedStrategy<String>| {
        prop::option::weighted(0.3, v.prop_map(move |v| vec![name.to_string(), v]))
    };
    (
        (
            flag("--x0", number().boxed()),
            flag("--y0", number().boxed()),
            flag("--lr", number().boxed()),
            flag("--damping", number().boxed()),
            flag("--tol", number().boxed()),
            flag("--steps", count().boxed()),
        ),
        (
            flag("--max-evals", count().boxed()),
            flag(
                "--max-seconds",
                prop::sample::select(vec!["0.5", "2", "0", "-1", "nan", "inf", "1e300", "x"])
                    .prop_map(str::to_string)
                    .boxed(),
            ),
            flag("--batch-size", count().boxed()),
            flag("--seed", count().boxed()),
            flag("--optimizers", optimizers().boxed()),
            flag(
                "--problem",
                prop::sample::select(vec!["output-slice", "hidden-slice", "full", "moon"])
                    .prop_map(str::to_string)
                    .boxed(),
            ),
        ),
        prop::option::weighted(
            0.2,
            prop::sample::select(vec!["2", "3,2", "0", "65", "1,1,1,1,1"]),
        ),
        prop::bool::weighted(0.3),
        any::<bool>(),
    )
        .prop_map(
            |((a, b, c, d, e, f), (g, h, i, j, k, l), hidden, draw, export)| {
                let mut v: Vec<String> = [a, b, c, d, e, f, g, h, i, j, k, l]
                    .into_iter()
                    .flatten()
                    .flatten()
                    .collect();
                if let Some(w) = hidden {
                    v.extend(["--hidden".to_string(), w.to_string()]);
                }
                if draw {
                    v.extend(["--frames".to_string(), "3".to_string()]);
                } else {
                    v.push("--no-figures".to_string());
                }
                // the exports are what the oracle reads (see `check_traces`)
                let _ = export;
                v.push("--export".to_string());
                // The wall-time budget is what bounds a legal run of 10⁷ steps:
                // keep it within the case's time limit unless the case sets it.
                if !v.iter().any(|a| a == "--max-seconds") {
                    v.extend(["--max-seconds".to_string(), "2".to_string()]);
                }
                (v, draw)
            },
        )
}

/// The oracle for a run the CLI accepted (exit 0), from its
/// `traces.json`: it validated every flag against the selection, so no
/// optimizer may be refused after the fact (a `Failed` run without a
/// step: "accepted, then refused"), and every optimizer must take at least
/// one step unless its stop says why not (a budget spent before the first
/// step, a start already converged, or a start that diverged).
fn check_traces(args: &[String], json: &[u8]) -> Result<usize, String> {
    let traces: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| format!("{args:?}: traces.json: {e}"))?;
    let traces = traces
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or(format!("{args:?}: no traces"))?;
    for t in traces {
        let name = t["optimizer"].as_str().unwrap_or("?");
        let steps = t["iterates"]
            .as_array()
            .map_or(0, |v| v.len().saturating_sub(1));
        let stop = &t["stop"];
        let why_not = stop.get("Budget").is_some()
            || stop.get("Diverged").is_some()
            || stop == "GradientNorm"
            || stop == "StepNorm";
        if stop.get("Failed").is_some() && steps == 0 {
            return Err(format!("{args:?}: {name} accepted, then refused: {stop}"));
        }
        if steps == 0 && !why_not {
            return Err(format!("{args:?}: {name} took no step ({stop})"));
        }
    }
    Ok(traces.len())
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn longest_digit_run(s: &str) -> usize {
    s.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// What one case left: exit code, stdout, stderr, elapsed, files left, and
/// the bytes of `traces.json` if written.
type CaseResult = (
    Option<i32>,
    String,
    String,
    Duration,
    Vec<String>,
    Option<Vec<u8>>,
);

/// Runs the binary with `args` in a fresh directory, killing it past
/// [`LIMIT`].
fn run_case(args: &[String]) -> CaseResult {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("quad-vs-grad"))
        .args(args)
        .arg("--out-dir")
        .arg(dir.path())
        .arg("--quiet")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() || t0.elapsed() > LIMIT {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = t0.elapsed();
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let files = files_in(dir.path());
    let json = std::fs::read(dir.path().join("traces.json")).ok();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed,
        files,
        json,
    )
}

/// The mutation check: the traces a CLI whose runner does nothing would
/// export (every optimizer failed at its start) fail the oracle, while the
/// real ones of the same command pass it.
#[test]
fn the_oracle_fails_a_runner_that_does_nothing() {
    let args: Vec<String> = [
        "--optimizers",
        "gd,newton,bfgs",
        "--steps",
        "5",
        "--no-figures",
        "--export",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, _, stderr, _, _, json) = run_case(&args);
    assert_eq!(code, Some(0), "{stderr}");
    let json = json.expect("traces.json");
    assert_eq!(check_traces(&args, &json), Ok(3));
    let mut traces: serde_json::Value = serde_json::from_slice(&json).unwrap();
    for t in traces.as_array_mut().unwrap() {
        let start = t["iterates"][0].clone();
        t["iterates"] = serde_json::json!([start]);
        t["stop"] = serde_json::json!({ "Failed": "did nothing" });
    }
    let nothing = serde_json::to_vec(&traces).unwrap();
    let err = check_traces(&args, &nothing).unwrap_err();
    assert!(err.contains("accepted, then refused"), "{err}");
}

#[test]
fn cli_never_panics_hangs_or_exits_1() {
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        // shrinking reruns the binary many times: report the first failure
        max_shrink_iters: 0,
        // deterministic, like the rest of the suite; QVG_FUZZ_SEED explores others
        rng_seed: RngSeed::Fixed(
            std::env::var("QVG_FUZZ_SEED")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(14),
        ),
        ..Config::default()
    });
    let counts = std::cell::RefCell::new((0usize, 0usize, 0usize));
    runner
        .run(&args(), |(args, draw)| {
            let (code, stdout, stderr, elapsed, files, json) = run_case(&args);
            prop_assert!(elapsed < LIMIT, "{args:?} took {elapsed:?}");
            prop_assert!(
                matches!(code, Some(0) | Some(2)),
                "{args:?}: exit {code:?}\n{stderr}"
            );
            prop_assert!(
                !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
                "{args:?}: {stderr}"
            );
            prop_assert!(longest_digit_run(&stderr) <= 24, "{args:?}: {stderr}");
            prop_assert!(longest_digit_run(&stdout) <= 24, "{args:?}: {stdout}");
            let mut c = counts.borrow_mut();
            if code == Some(2) {
                prop_assert_eq!(stderr.trim_end().lines().count(), 1, "{:?}", args);
                prop_assert!(files.is_empty(), "{args:?} left {files:?}");
                c.1 += 1;
            } else {
                c.0 += 1;
                let json = json.ok_or(TestCaseError::fail(format!("{args:?}: no traces.json")))?;
                check_traces(&args, &json).map_err(TestCaseError::fail)?;
                if draw {
                    prop_assert!(files.contains(&"paths.png".to_string()), "{args:?}");
                    c.2 += 1;
                }
            }
            Ok(())
        })
        .unwrap();
    let (ok, refused, drawn) = counts.into_inner();
    eprintln!("fuzz: {CASES} cases, {ok} ran (exit 0, {drawn} drew), {refused} refused (exit 2)");
    assert_eq!(ok + refused, CASES as usize);
    // The generator reaches every outcome.
    assert!(
        ok >= 3 && refused >= 3 && drawn >= 1,
        "{ok} ran, {refused} refused, {drawn} drew"
    );
}
