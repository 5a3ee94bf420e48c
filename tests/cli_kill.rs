//! Issue 25, failure 5: a run's outputs appear together or not at all.
//! The command is killed at spread-out moments (drawing, writing,
//! committing); the next run in the same directory completes or discards
//! what the killed one left. Afterwards the directory holds either every
//! output of one run, each complete, or none, never a mix of an old and a
//! new run, and no temporaries.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const OUTPUTS: [&str; 5] = [
    "data.csv",
    "journey.gif",
    "paths.png",
    "traces.csv",
    "traces.json",
];

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quad-vs-grad"))
}

/// A run writing every output, from start `x0`.
fn writer(dir: &Path, x0: &str) -> Command {
    let mut c = bin();
    c.args(["--frames", "4", "--export", "-q", "--x0", x0, "--out-dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Which run's outputs `dir` holds: `None` if none, else the start `x0` of
/// the run that wrote them, after checking that every file is there and
/// complete, and that they all come from that one run.
fn generation(dir: &Path, figures: &Figures) -> Option<String> {
    let names = entries(dir);
    if names.is_empty() {
        return None;
    }
    assert_eq!(names, OUTPUTS, "a partial set or a leftover");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("traces.json")).unwrap())
            .expect("complete traces.json");
    let x0 = json[0]["iterates"][0][0].as_f64().unwrap().to_string();
    let csv = std::fs::read_to_string(dir.join("traces.csv")).unwrap();
    assert!(
        csv.ends_with('\n') && csv.lines().count() > 10,
        "traces.csv truncated"
    );
    for (name, old, new) in figures {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let from_new = bytes == *new;
        assert!(
            from_new || bytes == *old,
            "{name} is neither run's (truncated?)"
        );
        assert_eq!(
            from_new,
            x0 == "1.5",
            "{name} from another run than traces.json"
        );
    }
    Some(x0)
}

/// Each figure's name, with its bytes from the old run and the new one.
type Figures = Vec<(String, Vec<u8>, Vec<u8>)>;

/// The figures of an old run (x0 = 1) and a new one (x0 = 1.5), and how
/// long the new one took; the old run's directory.
fn reference_runs(refs: &Path) -> (Figures, std::time::Duration) {
    let (old_dir, new_dir) = (refs.join("old"), refs.join("new"));
    assert!(writer(&old_dir, "1").status().unwrap().success());
    let t0 = Instant::now();
    assert!(writer(&new_dir, "1.5").status().unwrap().success());
    let full = t0.elapsed();
    let figures = ["paths.png", "journey.gif"]
        .iter()
        .map(|n| {
            let read = |d: &Path| std::fs::read(d.join(n)).unwrap();
            (n.to_string(), read(&old_dir), read(&new_dir))
        })
        .collect();
    (figures, full)
}

#[test]
fn concurrent_runs_into_one_directory_leave_one_complete_set() {
    let refs = tempfile::tempdir().unwrap();
    let (figures, _) = reference_runs(refs.path());
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = ["1", "1.5", "1", "1.5"]
        .iter()
        .map(|x0| writer(dir.path(), x0).spawn().unwrap())
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert!(generation(dir.path(), &figures).is_some());
}

#[test]
fn a_killed_run_leaves_all_of_its_outputs_or_none_and_no_temporaries() {
    let refs = tempfile::tempdir().unwrap();
    let (figures, full) = reference_runs(refs.path());
    let old_dir = refs.path().join("old");
    let kills = 14u32;
    let (mut none, mut old, mut new) = (0, 0, 0);
    for i in 0..kills {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // half the cases start from an old run's complete outputs
        let with_old = i % 2 == 1;
        if with_old {
            for n in OUTPUTS {
                std::fs::copy(old_dir.join(n), d.join(n)).unwrap();
            }
        }
        // kill moments spread over the whole run, the end included
        let delay = full.mul_f64(0.05 + 2.5 * f64::from(i) / f64::from(kills));
        let mut child = writer(d, "1.5").spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        // the next run in the directory (it writes nothing itself)
        let next = bin()
            .args(["--optimizers", "gd", "--steps", "1", "--no-figures", "-q"])
            .arg("--out-dir")
            .arg(d)
            .output()
            .unwrap();
        assert!(next.status.success(), "{next:?}");
        match generation(d, &figures).as_deref() {
            None => {
                assert!(!with_old, "the old outputs vanished");
                none += 1;
            }
            Some("1") => old += 1,
            Some(_) => new += 1,
        }
    }
    // the kills must have hit both before and after the commit
    assert!(
        new > 0 && none + old > 0,
        "none {none}, old {old}, new {new}"
    );
}
