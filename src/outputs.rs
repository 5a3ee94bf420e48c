//! All-or-nothing output sets: [`commit_all`] writes several files into one
//! directory so that either every one of them appears, complete, or none
//! does, and [`recover`] finishes or discards what a killed writer left.
//!
//! # How
//! A single file is written atomically by renaming a complete temporary
//! over it ([`write_atomic`](crate::report::write_atomic)); several files
//! cannot be renamed at once. So [`commit_all`] works like a journal:
//!
//! 1. every file is written and synced into a staging directory
//!    `DIR/.quad-vs-grad-stage-PID-N/` (`N` counts the calls of a process); a failure (a full disk) removes the
//!    staging directory, and nothing has appeared;
//! 2. a manifest naming the files is written and renamed into the staging
//!    directory: from this moment the set is committed;
//! 3. the files are renamed into `DIR` one by one, then the staging
//!    directory is removed.
//!
//! A writer killed in step 1 or 2 leaves a staging directory without a
//! manifest, which [`recover`] removes (none of the files appear); one
//! killed in step 3 leaves a manifest, and [`recover`] renames the files
//! still staged into place (all of them appear). [`recover`] also removes
//! the temporaries `.NAME.tmp-PID` of [`write_atomic`](crate::report::write_atomic)
//! whose writer is gone. The CLI calls it on its output directory before
//! every run.
//!
//! Concurrent writers into one directory take turns for step 3 (a lock
//! file, [`LOCK_NAME`], taken over when its owner is gone), so the
//! directory ends up holding one writer's complete set, never a mix.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};

/// The prefix of a staging directory (`.quad-vs-grad-stage-PID-N`).
pub const STAGE_PREFIX: &str = ".quad-vs-grad-stage-";

/// The manifest's name inside a staging directory.
const MANIFEST: &str = "MANIFEST";

/// A leftover whose writer's liveness cannot be checked (no `/proc`) is
/// treated as stale after this long.
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `files` (`(name, bytes)`, plain file names) into `dir`, all or
/// nothing (see the [module docs](self)).
///
/// # Errors
/// [`Error::Io`] naming the path that failed; then none of the files has
/// appeared (a failure after the commit point, which needs only renames in
/// one directory, leaves the set for [`recover`] to complete).
/// [`Error::InvalidData`] for a name that is not a plain file name.
pub fn commit_all(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    for (name, _) in files {
        let plain = Path::new(name)
            .file_name()
            .is_some_and(|n| n == name.as_str());
        if !plain || name.starts_with('.') {
            return Err(Error::InvalidData(format!(
                "output name `{name}` is not a plain file name"
            )));
        }
    }
    // one staging directory per call, also for calls from several threads
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let stage = dir.join(format!("{STAGE_PREFIX}{}-{call}", std::process::id()));
    let staged = stage_files(&stage, files);
    if let Err(e) = staged {
        let _ = std::fs::remove_dir_all(&stage);
        return Err(e);
    }
    // committed: move every file into place, one writer at a time (two
    // runs renaming into one directory at once would interleave)
    let _lock = DirLock::acquire(dir)?;
    roll_forward(dir, &stage)
}

/// The name of the lock file that serialises the renames of concurrent
/// writers into one directory (it holds the owner's PID).
pub const LOCK_NAME: &str = ".quad-vs-grad-lock";

/// How long a writer waits for another one's renames (they take
/// milliseconds) before it gives up.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// An exclusive lock on a directory's renames, released on drop; a lock
/// whose owner is gone is taken over.
struct DirLock {
    path: PathBuf,
}

impl DirLock {
    fn acquire(dir: &Path) -> Result<Self> {
        let path = dir.join(LOCK_NAME);
        let t0 = std::time::Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let _ = write!(f, "{}", std::process::id());
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let owner = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|s| s.trim().parse::<u32>().ok());
                    // an owner still writing its PID reads as `None`: wait
                    if owner.is_some_and(|pid| writer_gone(pid, &path)) {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    if t0.elapsed() > LOCK_WAIT {
                        return Err(io_err(&path)(std::io::Error::new(
                            std::io::ErrorKind::WouldBlock,
                            "another run is still writing into this directory",
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Steps 1 and 2: the files, synced, then the manifest.
fn stage_files(stage: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let _ = std::fs::remove_dir_all(stage);
    std::fs::create_dir(stage).map_err(io_err(stage))?;
    for (name, bytes) in files {
        let path = stage.join(name);
        let mut f = std::fs::File::create(&path).map_err(io_err(&path))?;
        f.write_all(bytes).map_err(io_err(&path))?;
        f.sync_all().map_err(io_err(&path))?;
    }
    let list: String = files.iter().map(|(n, _)| format!("{n}\n")).collect();
    let tmp = stage.join(".manifest.tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
    f.write_all(list.as_bytes()).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    let manifest = stage.join(MANIFEST);
    std::fs::rename(&tmp, &manifest).map_err(io_err(&manifest))?;
    sync_dir(stage);
    Ok(())
}

/// Step 3: renames every file the manifest names and that is still staged
/// into `dir`, then removes the staging directory.
fn roll_forward(dir: &Path, stage: &Path) -> Result<()> {
    let manifest = stage.join(MANIFEST);
    let list = std::fs::read_to_string(&manifest).map_err(io_err(&manifest))?;
    for name in list.lines().filter(|l| !l.is_empty()) {
        let from = stage.join(name);
        if from.exists() {
            let to = dir.join(name);
            std::fs::rename(&from, &to).map_err(io_err(&to))?;
        }
    }
    sync_dir(dir);
    std::fs::remove_dir_all(stage).map_err(io_err(stage))
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Whether the process `pid` that wrote `path` is gone: on Linux, no
/// `/proc/PID`; elsewhere, a leftover older than a day.
fn writer_gone(pid: u32, path: &Path) -> bool {
    if pid == std::process::id() {
        return false;
    }
    if Path::new("/proc/self").exists() {
        return !Path::new("/proc").join(pid.to_string()).exists();
    }
    std::fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|age| age > STALE_AFTER)
}

/// What [`recover`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Committed sets completed (their files moved into place).
    pub completed: Vec<PathBuf>,
    /// Uncommitted staging directories and stale temporaries removed.
    pub removed: Vec<PathBuf>,
}

/// Finishes or discards what killed writers left in `dir`: a staging
/// directory of [`commit_all`] whose writer is gone is completed if it
/// holds a manifest and removed otherwise; a temporary `.NAME.tmp-PID` of
/// [`write_atomic`](crate::report::write_atomic) whose writer is gone is
/// removed. Entries of live writers (another run in progress) are left
/// alone. A missing `dir` is nothing to recover.
///
/// # Errors
/// [`Error::Io`] if `dir` cannot be read or a leftover cannot be removed
/// or completed.
pub fn recover(dir: &Path) -> Result<Recovery> {
    let mut done = Recovery::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(done),
        Err(e) => return Err(io_err(dir)(e)),
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let stage_pid = name
            .strip_prefix(STAGE_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse().ok());
        if let Some(pid) = stage_pid {
            if !writer_gone(pid, &path) {
                continue;
            }
            if path.join(MANIFEST).exists() {
                let _lock = DirLock::acquire(dir)?;
                roll_forward(dir, &path)?;
                done.completed.push(path);
            } else {
                std::fs::remove_dir_all(&path).map_err(io_err(&path))?;
                done.removed.push(path);
            }
        } else if name == LOCK_NAME {
            let owner = std::fs::read_to_string(&path)
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok());
            if owner.is_some_and(|pid| writer_gone(pid, &path)) {
                let _ = std::fs::remove_file(&path);
                done.removed.push(path);
            }
        } else if let Some(pid) = temporary_pid(&name) {
            if writer_gone(pid, &path) {
                std::fs::remove_file(&path).map_err(io_err(&path))?;
                done.removed.push(path);
            }
        }
    }
    Ok(done)
}

/// The writer's PID of a temporary `.NAME.tmp-PID` or probe
/// `.quad-vs-grad-probe-PID`.
fn temporary_pid(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    let (_, pid) = name
        .rsplit_once(".tmp-")
        .or_else(|| name.rsplit_once(".quad-vs-grad-probe-"))?;
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// A PID that no process has (above Linux's maximum).
    const DEAD: u32 = 4_194_305;

    #[test]
    fn commits_every_file_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![
            ("a.png".to_string(), vec![1u8; 10]),
            ("b.gif".into(), vec![2u8; 5]),
        ];
        commit_all(dir.path(), &files).unwrap();
        assert_eq!(names(dir.path()), ["a.png", "b.gif"]);
        assert_eq!(
            std::fs::read(dir.path().join("b.gif")).unwrap(),
            vec![2u8; 5]
        );
        assert!(commit_all(dir.path(), &[("../x".into(), vec![])]).is_err());
        assert!(commit_all(dir.path(), &[(".hidden".into(), vec![])]).is_err());
    }

    #[test]
    fn concurrent_commits_leave_one_complete_set() {
        // 4 writers, each committing sets whose 3 files all carry its
        // number; afterwards (and never in between, for the last state)
        // the directory holds one writer's complete set
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::thread::scope(|scope| {
            for w in 0u8..4 {
                scope.spawn(move || {
                    for _ in 0..25 {
                        let files: Vec<(String, Vec<u8>)> = ["a", "b", "c"]
                            .iter()
                            .map(|n| (n.to_string(), vec![w; 64]))
                            .collect();
                        commit_all(d, &files).unwrap();
                    }
                });
            }
        });
        assert_eq!(names(d), ["a", "b", "c"]);
        let a = std::fs::read(d.join("a")).unwrap();
        for n in ["b", "c"] {
            assert_eq!(
                std::fs::read(d.join(n)).unwrap(),
                a,
                "{n} from another writer than a"
            );
        }
    }

    #[test]
    fn a_failure_while_staging_leaves_nothing() {
        // the second file cannot be created (its name is too long), as a
        // full disk fails a write: the first must not appear either
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.png"), b"old").unwrap();
        let files = vec![
            ("a.png".to_string(), vec![1u8; 10]),
            ("b".repeat(300), vec![2u8]),
        ];
        assert!(commit_all(dir.path(), &files).is_err());
        assert_eq!(names(dir.path()), ["a.png"]);
        assert_eq!(std::fs::read(dir.path().join("a.png")).unwrap(), b"old");
    }

    #[test]
    fn recovery_completes_a_committed_set_and_discards_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // committed, killed after moving one of two files
        let stage = d.join(format!("{STAGE_PREFIX}{DEAD}"));
        stage_files(&stage, &[("a".into(), vec![1]), ("b".into(), vec![2])]).unwrap();
        std::fs::rename(stage.join("a"), d.join("a")).unwrap();
        // not committed (no manifest)
        let half = d.join(format!("{STAGE_PREFIX}{}", DEAD - 1));
        std::fs::create_dir(&half).unwrap();
        std::fs::write(half.join("c"), b"partial").unwrap();
        // temporaries of dead and live writers
        std::fs::write(d.join(format!(".paths.png.tmp-{DEAD}")), b"trunc").unwrap();
        let live = format!(".paths.png.tmp-{}", std::process::id());
        std::fs::write(d.join(&live), b"mine").unwrap();
        let r = recover(d).unwrap();
        assert_eq!(r.completed.len(), 1);
        assert_eq!(r.removed.len(), 2);
        assert_eq!(names(d), vec![live.as_str(), "a", "b"]);
        assert_eq!(std::fs::read(d.join("b")).unwrap(), vec![2]);
        assert_eq!(recover(d).unwrap(), Recovery::default());
        assert_eq!(recover(&d.join("missing")).unwrap(), Recovery::default());
    }
}
