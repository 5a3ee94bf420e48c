//! The `quad-vs-grad` command: happy path, determinism, and bad input.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn cmd() -> Command {
    Command::cargo_bin("quad-vs-grad").expect("binary built")
}

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    (info.width, info.height)
}

fn gif_frames(path: &Path) -> (u16, u16, usize) {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    let mut d = opts.read_info(std::fs::File::open(path).unwrap()).unwrap();
    let (w, h) = (d.width(), d.height());
    let mut n = 0;
    while d.read_next_frame().unwrap().is_some() {
        n += 1;
    }
    (w, h, n)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn default_run_writes_both_figures_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    cmd().current_dir(dir.path()).assert().success().stdout(
        predicate::str::contains("optimizer")
            .and(predicate::str::contains("Adam"))
            .and(predicate::str::contains("K-FAC"))
            .and(predicate::str::contains("BFGS"))
            .and(predicate::str::contains("wrote")),
    );
    assert_eq!(files_in(dir.path()), vec!["journey.gif", "paths.png"]);
    let (w, h) = png_size(&dir.path().join("paths.png"));
    assert!(w >= 600 && h >= 400, "paths.png is {w}×{h}");
    let gif = dir.path().join("journey.gif");
    let (gw, gh, frames) = gif_frames(&gif);
    assert!(gw >= 400 && gh >= 300);
    assert!((2..=120).contains(&frames), "{frames} frames");
    assert!(std::fs::metadata(&gif).unwrap().len() <= 3 * 1024 * 1024);
}

#[test]
fn same_seed_gives_same_bytes_and_frames_flag_is_obeyed() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [&a, &b] {
        cmd()
            .args(["--frames", "10", "--steps", "60", "--quiet", "--export"])
            .args([
                "--problem",
                "hidden-slice",
                "--batch-size",
                "25",
                "--seed",
                "3",
            ])
            .arg("--out-dir")
            .arg(d.path())
            .assert()
            .success()
            .stdout("");
    }
    for f in ["paths.png", "journey.gif", "data.csv"] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f} differs between identical runs"
        );
    }
    let (_, _, frames) = gif_frames(&a.path().join("journey.gif"));
    assert!(frames <= 10, "{frames} frames");
    let csv = std::fs::read_to_string(a.path().join("traces.csv")).unwrap();
    assert!(csv.starts_with("optimizer,iteration,p,loss"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.path().join("traces.json")).unwrap()).unwrap();
    assert!(json.as_array().map(|a| !a.is_empty()).unwrap_or(false));
}

#[test]
fn full_network_and_optimizer_list() {
    let dir = tempfile::tempdir().unwrap();
    cmd()
        .args([
            "--problem",
            "full",
            "--hidden",
            "3",
            "--optimizers",
            "adam,ggn,hf",
            "--steps",
            "50",
        ])
        .args(["--frames", "8"])
        .arg("--out-dir")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("GGN").and(predicate::str::contains("Adam")));
    assert!(dir.path().join("paths.png").exists());
}

#[test]
fn a_diverging_optimizer_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    cmd()
        .args(["--optimizers", "gd,newton", "--lr", "1000", "--frames", "5"])
        .arg("--out-dir")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("DIVERGED").and(predicate::str::contains("Newton (λ = 0.1)")),
        );
    assert!(dir.path().join("journey.gif").exists());
}

/// Every bad input: exit code 2, one line naming the flag, no files.
#[test]
fn bad_input_exits_2_naming_the_flag_and_writes_nothing() {
    let cases: &[(&[&str], &str)] = &[
        (&["--lr", "-1"], "--lr"),
        (&["--lr", "0"], "--lr"),
        (&["--lr", "nan"], "--lr"),
        (&["--x0", "inf"], "--x0"),
        (&["--y0", "NaN"], "--y0"),
        (&["--steps", "0"], "--steps"),
        (&["--steps", "-3"], "--steps"),
        (&["--damping", "-0.1"], "--damping"),
        (&["--tol", "-1"], "--tol"),
        (&["--optimizers", "adam,sgdd"], "sgdd"),
        (&["--frames", "1"], "--frames"),
        (&["--fps", "0"], "--fps"),
        (&["--batch-size", "0"], "--batch-size"),
        (&["--batch-size", "100000"], "--batch-size"),
        (&["--problem", "moon"], "--problem"),
        (&["--problem", "full", "--x0", "1"], "--x0"),
        (&["--hidden", "0"], "--hidden"),
        // issue 14: extreme finite numbers, huge step counts, budgets, duplicates
        (
            &["--x0", "1e300", "--y0", "-1e300"],
            "--x0 must be in [-1e6, 1e6], got 1e300",
        ),
        (&["--y0", "-1.7976931348623157e308"], "--y0"),
        (&["--lr", "1e300"], "--lr must be in (0, 1e6], got 1e300"),
        (&["--damping", "1e300"], "--damping"),
        (&["--tol", "-1e300"], "--tol must be >= 0, got -1e300"),
        (
            &["--steps", "4294967296"],
            "--steps must be in 1..=10000000",
        ),
        (&["--steps", "10000001"], "--steps"),
        (&["--max-evals", "0"], "--max-evals"),
        (&["--max-evals", "-5"], "--max-evals"),
        (&["--max-seconds", "0"], "--max-seconds"),
        (&["--max-seconds", "nan"], "--max-seconds"),
        (&["--max-seconds", "1e300"], "--max-seconds"),
        (&["--optimizers", "gd,gd"], "`gd` is listed twice"),
        (
            &["--optimizers", "sgd,adam,gd"],
            "`sgd` and `gd` both name gd",
        ),
        (&["--optimizers", "BFGS,bfgs"], "both name bfgs"),
    ];
    for (args, needle) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = cmd()
            .args(*args)
            .arg("--out-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(longest_digit_run(&stderr) <= 20, "{args:?}: {stderr}");
        assert!(files_in(dir.path()).is_empty(), "{args:?} left files");
    }
}

/// The longest run of consecutive ASCII digits in `s`.
fn longest_digit_run(s: &str) -> usize {
    s.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// Issue 14: the edge of the accepted ranges works, figures included, and
/// a spent budget is a stop reason, not an error.
#[test]
fn extreme_accepted_input_works_and_budgets_show_in_the_table() {
    for args in [
        &["--x0", "1e6", "--y0", "-1e6"][..],
        &[
            "--problem",
            "hidden-slice",
            "--x0",
            "-1e6",
            "--y0",
            "1e6",
            "--lr",
            "1e6",
        ][..],
        &["--damping", "1e3", "--tol", "1e-300", "--lr", "1e-300"][..],
        &["--tol", "1e300", "--optimizers", "gd,adam,bfgs"][..],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = cmd()
            .args(args)
            .args(["--frames", "4"])
            .arg("--out-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(longest_digit_run(&stdout) <= 20, "{args:?}: {stdout}");
        assert_eq!(files_in(dir.path()), vec!["journey.gif", "paths.png"]);
    }
    let dir = tempfile::tempdir().unwrap();
    cmd()
        .args([
            "--max-evals",
            "30",
            "--optimizers",
            "gd,lbfgs",
            "--no-figures",
        ])
        .args(["--export", "--out-dir"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("budget").and(predicate::str::contains(
                "GD stopped early: evaluation limit of 30",
            )),
        );
    let json = exported(dir.path());
    assert_eq!(json[0]["stop"]["Budget"], "evaluation limit of 30");
    assert_eq!(json[0]["settings"]["max_evals"], 30);
    assert_eq!(json[1]["stop"], "GradientNorm");
}

#[test]
fn unwritable_out_dir_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    cmd()
        .arg("--out-dir")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--out-dir"));
    assert_eq!(files_in(dir.path()), vec!["not-a-dir"]);
}

#[test]
fn help_explains_every_flag_with_defaults() {
    let out = cmd().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--x0",
        "--y0",
        "--lr",
        "--steps",
        "--tol",
        "--damping",
        "--optimizers",
        "--problem",
        "--hidden",
        "--batch-size",
        "--curvature-batch-size",
        "--curvature-seed",
        "--seed",
        "--out-dir",
        "--frames",
        "--fps",
        "--export",
        "--no-figures",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    assert!(help.contains("[default: 500]") && help.contains("[default: 0.1]"));
}

/// The text after `flag` in `--help` up to the next flag.
fn help_of<'a>(help: &'a str, flag: &str) -> &'a str {
    let at = help
        .find(&format!("      {flag} "))
        .or_else(|| help.find(&format!("      {flag}\n")))
        .unwrap_or_else(|| panic!("--help lacks {flag}"));
    let rest = &help[at + 6 + flag.len()..];
    let end = rest.find("\n      --").unwrap_or(rest.len());
    &rest[..end]
}

/// The value of the first `[default: …]` in `text`.
fn default_in(text: &str) -> &str {
    let at = text.find("[default: ").expect("a documented default") + "[default: ".len();
    let end = at + text[at..].find(']').expect("closing bracket");
    &text[at..end]
}

fn exported(dir: &Path) -> Vec<serde_json::Value> {
    let bytes = std::fs::read(dir.join("traces.json")).unwrap();
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Every default `--help` states is what a run uses, as recorded in the
/// traces it exports.
#[test]
fn help_defaults_are_the_defaults_a_run_uses() {
    let out = cmd().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let num = |flag: &str| -> f64 { default_in(help_of(&help, flag)).parse().unwrap() };
    // Scalar defaults, from a run with no flags but the optimizers.
    let dir = tempfile::tempdir().unwrap();
    cmd()
        .args([
            "--optimizers",
            "newton,bfgs",
            "--no-figures",
            "--export",
            "--quiet",
        ])
        .arg("--out-dir")
        .arg(dir.path())
        .assert()
        .success();
    let traces = exported(dir.path());
    for t in &traces {
        let s = &t["settings"];
        assert_eq!(s["max_iters"].as_f64().unwrap(), num("--steps"));
        assert_eq!(s["tol"].as_f64().unwrap(), num("--tol"));
        assert_eq!(s["seed"].as_f64().unwrap(), num("--seed"));
        assert!(s["batch_size"].is_null(), "full batch by default");
        assert_eq!(
            t["iterates"][0],
            serde_json::json!([2.0, -2.0]),
            "--x0/--y0"
        );
    }
    assert_eq!(
        traces[0]["settings"]["damping"].as_f64().unwrap(),
        num("--damping")
    );
    // The default optimizer list.
    let list = default_in(help_of(&help, "--optimizers")).to_string();
    let dir = tempfile::tempdir().unwrap();
    cmd()
        .args(["--steps", "2", "--no-figures", "--export", "--quiet"])
        .arg("--out-dir")
        .arg(dir.path())
        .assert()
        .success();
    let kinds: Vec<String> = exported(dir.path())
        .iter()
        .map(|t| t["settings"]["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.join(","), list);
    // Every learning rate `--lr` documents, per optimizer.
    let lr_help = help_of(&help, "--lr");
    let per = default_in(lr_help)
        .strip_prefix("per optimizer: ")
        .expect("per-optimizer defaults");
    let documented: Vec<(String, f64)> = per
        .split(", ")
        .map(|pair| {
            let (name, lr) = pair.split_once(' ').unwrap();
            (name.to_string(), lr.parse().unwrap())
        })
        .collect();
    assert!(documented.len() >= 7, "{documented:?}");
    let names: Vec<&str> = documented.iter().map(|(n, _)| n.as_str()).collect();
    let run_all = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        cmd()
            .args(["--optimizers", &names.join(","), "--steps", "2"])
            .args(["--no-figures", "--export", "--quiet"])
            .args(extra)
            .arg("--out-dir")
            .arg(dir.path())
            .assert()
            .success();
        exported(dir.path())
    };
    for ((name, lr), t) in documented.iter().zip(run_all(&[])) {
        assert_eq!(t["settings"]["kind"].as_str(), Some(name.as_str()));
        assert_eq!(t["settings"]["lr"].as_f64(), Some(*lr), "{name}");
    }
    // and `--lr` sets every one of them
    for t in run_all(&["--lr", "0.123"]) {
        assert_eq!(
            t["settings"]["lr"].as_f64(),
            Some(0.123),
            "{}",
            t["optimizer"]
        );
    }
}

#[test]
fn gd_alone_runs_as_in_the_reference_race() {
    let dir = tempfile::tempdir().unwrap();
    let alone = cmd()
        .args(["--optimizers", "gd", "--no-figures", "--quiet", "--export"])
        .arg("--out-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(alone.status.success());
    let gd = &exported(dir.path())[0];
    let dir = tempfile::tempdir().unwrap();
    cmd()
        .args(["--no-figures", "--quiet", "--export"])
        .arg("--out-dir")
        .arg(dir.path())
        .assert()
        .success();
    let race = exported(dir.path());
    let in_race = race.iter().find(|t| t["optimizer"] == "GD").unwrap();
    assert_eq!(gd["settings"], in_race["settings"]);
    assert_eq!(gd["iterates"], in_race["iterates"]);
    assert_eq!(gd["settings"]["lr"].as_f64(), Some(0.8));
}

#[test]
fn no_figures_writes_only_what_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    cmd()
        .args(["--optimizers", "bfgs", "--no-figures"])
        .arg("--out-dir")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("BFGS"));
    assert!(files_in(dir.path()).is_empty());
    cmd()
        .args([
            "--optimizers",
            "bfgs",
            "--no-figures",
            "--export",
            "--quiet",
        ])
        .arg("--out-dir")
        .arg(dir.path())
        .assert()
        .success();
    assert_eq!(
        files_in(dir.path()),
        vec!["data.csv", "traces.csv", "traces.json"]
    );
}

#[test]
fn stochastic_mode_runs_every_listed_optimizer_on_mini_batches() {
    let dir = tempfile::tempdir().unwrap();
    cmd()
        .args(["--batch-size", "20", "--seed", "7", "--steps", "20"])
        .args(["--curvature-batch-size", "10", "--curvature-seed", "3"])
        .args([
            "--optimizers",
            "gd,newton,kfac,obfgs",
            "--no-figures",
            "--export",
        ])
        .arg("--out-dir")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("mini-batches of 20 (seed 7) for every optimizer")
                .and(predicate::str::contains("separate batches of 10 (seed 3)"))
                .and(predicate::str::contains("full batch)").not()),
        );
    for t in exported(dir.path()) {
        let label = t["optimizer"].as_str().unwrap();
        assert_eq!(t["settings"]["batch_size"].as_u64(), Some(20), "{label}");
        let curvature = t["settings"]["curvature_batch_size"].as_u64();
        let damped = label == "Newton (λ = 0.1)" || label == "K-FAC";
        assert_eq!(curvature, damped.then_some(10), "{label}");
    }
    let csv = std::fs::read_to_string(dir.path().join("traces.csv")).unwrap();
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .contains(",batch_size,curvature_batch_size,curvature_seed,seed,tol,"));
    // the curvature batch is in the CSV export too: 10 for Newton and K-FAC
    let newton = csv
        .lines()
        .find(|l| l.starts_with("Newton (λ = 0.1),"))
        .unwrap();
    assert!(newton.contains(",20,10,3,7,"), "{newton}");
}

#[test]
fn stochastic_mode_refuses_optimizers_without_one_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    for (name, why) in [
        ("bfgs", "use sbfgs (naive pairs across batches) or obfgs"),
        ("lbfgs", "olbfgs"),
        ("sd", "line search"),
        ("argmin-newton", "`newton` with --damping 0"),
        ("trust-region", "rho"),
    ] {
        cmd()
            .args(["--batch-size", "20", "--optimizers"])
            .arg(format!("gd,{name}"))
            .arg("--out-dir")
            .arg(dir.path())
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains(format!("`{name}` has no stochastic mode"))
                    .and(predicate::str::contains(why)),
            );
    }
    assert!(files_in(dir.path()).is_empty(), "nothing written");
    // without --optimizers the default race leaves them out, and says so
    cmd()
        .args(["--batch-size", "20", "--steps", "5", "--no-figures"])
        .arg("--out-dir")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(
            predicate::str::contains(
                "left out of the default race (no stochastic mode): BFGS, L-BFGS, SteepestDescent",
            )
            .and(predicate::str::contains("\nGD ").or(predicate::str::contains("GD  "))),
        );
    // curvature-batch sizes outside 1..=N are refused
    for bad in ["0", "201"] {
        cmd()
            .args(["--curvature-batch-size", bad])
            .arg("--out-dir")
            .arg(dir.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "--curvature-batch-size must be in 1..=200",
            ));
    }
}
