//! Issue 25, failure 7: a flag value that an optimizer in the selection
//! cannot use, or a flag that reaches no optimizer in the selection, is
//! refused before any work: exit 2, one line naming the flag and the
//! optimizers, nothing written.

use assert_cmd::Command;

fn cmd() -> Command {
    Command::cargo_bin("quad-vs-grad").expect("binary built")
}

/// Runs `args` (no figures) in a fresh directory; exit code, stderr, files left.
fn run(args: &[&str]) -> (Option<i32>, String, usize) {
    let dir = tempfile::tempdir().unwrap();
    let out = cmd()
        .args(args)
        .args(["--no-figures", "--export", "--steps", "20", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        files,
    )
}

#[test]
fn values_an_optimizer_in_the_selection_cannot_use_are_refused() {
    for (args, needles) in [
        (
            &[
                "--optimizers",
                "ggn-lm,kfac-lm,hf-lm,kfac",
                "--damping",
                "0",
            ][..],
            &["--damping 0", "ggn-lm, kfac-lm, hf-lm, kfac"][..],
        ),
        (
            &["--optimizers", "newton,ggn,kfac", "--damping", "1e12"][..],
            &["--damping 1e12", "newton, ggn, kfac", "stop after one step"][..],
        ),
    ] {
        let (code, stderr, files) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        for n in needles {
            assert!(stderr.contains(n), "{args:?}: {stderr} lacks {n}");
        }
        assert_eq!(files, 0, "{args:?}");
    }
}

#[test]
fn flags_that_reach_no_selected_optimizer_are_refused() {
    for (args, flag) in [
        (&["--optimizers", "bfgs", "--lr", "0.1"][..], "--lr"),
        (&["--optimizers", "gd", "--damping", "0.5"][..], "--damping"),
        (&["--hidden", "3"][..], "--hidden"),
        (
            &["--problem", "hidden-slice", "--hidden", "3"][..],
            "--hidden",
        ),
        (&["--curvature-seed", "3"][..], "--curvature-seed"),
        (&["--frames", "10"][..], "--frames"),
        (&["--fps", "10"][..], "--fps"),
        (
            &["--optimizers", "gd,adam", "--curvature-batch-size", "3"][..],
            "--curvature-batch-size",
        ),
    ] {
        let (code, stderr, files) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with(&format!("error: {flag} ")), "{stderr}");
        assert!(stderr.contains("no effect"), "{stderr}");
        assert_eq!(files, 0, "{args:?}");
    }
}

#[test]
fn the_same_flags_are_accepted_where_they_reach_an_optimizer() {
    for args in [
        &["--optimizers", "newton,ggn", "--damping", "0"][..],
        &["--optimizers", "kfac,ggn-lm", "--damping", "1e-3"][..],
        &["--optimizers", "bfgs,gd", "--lr", "0.1"][..],
        &["--problem", "full", "--hidden", "3"][..],
        &["--curvature-batch-size", "8", "--curvature-seed", "3"][..],
    ] {
        let (code, stderr, files) = run(args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert_eq!(files, 3, "{args:?}");
    }
}

/// Issue 25, failure 1: dense curvature that cannot fit the memory limit
/// is refused up front with the size and the limit, or left out of the
/// default race with a note; `--max-dense-mb` moves the limit.
#[test]
fn dense_curvature_that_cannot_fit_is_refused_or_left_out() {
    let big = ["--problem", "full", "--hidden", "64,64,64,64"];
    let (code, stderr, files) = run(&[&big[..], &["--optimizers", "lbfgs,newton"]].concat());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("`newton` needs a dense 12737 × 12737 matrix (1238 MB)")
            && stderr.contains("limit of 64 MB")
            && stderr.contains("hf, kfac or lbfgs"),
        "{stderr}"
    );
    assert_eq!(files, 0);
    let dir = tempfile::tempdir().unwrap();
    let out = cmd()
        .args(big)
        .args(["--steps", "2", "--no-figures", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for label in ["Newton", "BFGS", "GGN"] {
        assert!(
            stdout.contains(&format!("left out of the default race: {label} (`")),
            "{stdout}"
        );
    }
    // the limit itself must lie in 1..=1024 MiB
    let (code, stderr, _) = run(&[
        "--problem",
        "full",
        "--hidden",
        "64",
        "--optimizers",
        "newton",
        "--max-dense-mb",
        "0",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--max-dense-mb"), "{stderr}");
    let (code, stderr, _) = run(&[
        &big[..],
        &["--optimizers", "newton", "--max-dense-mb", "2000"],
    ]
    .concat());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--max-dense-mb must be in 1..=1024"),
        "{stderr}"
    );
}
