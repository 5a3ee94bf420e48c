//! Validating the flags into a [`Plan`] before any work: every bad input
//! is a [`Usage`] error naming its flag.

use quad_vs_grad::linalg::FixedDot;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::args::{Args, ProblemKind};
use crate::selection::{check_selection, Explicit};
use quad_vs_grad::outputs::recover;
use quad_vs_grad::prelude::*;
use quad_vs_grad::race::{self, OptimizerSpec, RaceConfig, RacePreset};

/// A validated plan: everything the run needs, checked before any work.
pub(crate) struct Plan {
    pub(crate) preset: RacePreset,
    pub(crate) start: Array1<f64>,
    pub(crate) specs: Vec<OptimizerSpec>,
    /// Default optimizers left out in stochastic mode (no stochastic mode).
    pub(crate) left_out: Vec<OptimizerSpec>,
    /// Default optimizers left out because their dense matrix would not
    /// fit the memory limit, with the reason.
    pub(crate) too_big: Vec<(OptimizerSpec, String)>,
    pub(crate) cfg: RaceConfig,
    pub(crate) out_dir: PathBuf,
    pub(crate) frames: usize,
    pub(crate) fps: u32,
    pub(crate) export: bool,
    pub(crate) figures: bool,
    pub(crate) quiet: bool,
}

/// A bad-input error: the flag and what is wrong with it.
pub(crate) struct Usage(pub(crate) String);

pub(crate) fn finite(flag: &str, v: f64) -> Result<f64, Usage> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Usage(format!("{flag} must be a finite number, got {v}")))
    }
}

/// `v` if it lies in `lo..=hi` (`lo` excluded when `open`), else a message
/// naming the flag and the range, numbers in short form.
pub(crate) fn within(flag: &str, v: f64, lo: f64, hi: f64, open: bool) -> Result<f64, Usage> {
    let v = finite(flag, v)?;
    let above = if open { v > lo } else { v >= lo };
    if above && v <= hi {
        Ok(v)
    } else {
        let bracket = if open { "(" } else { "[" };
        Err(Usage(format!(
            "{flag} must be in {bracket}{}, {}], got {}",
            quad_vs_grad::fmt::number(lo),
            quad_vs_grad::fmt::number(hi),
            quad_vs_grad::fmt::number(v)
        )))
    }
}

/// The largest |coordinate| of a start point the CLI accepts (`--x0`, `--y0`).
pub(crate) const MAX_START: f64 = 1e6;
/// The largest learning rate the CLI accepts (`--lr`).
pub(crate) const MAX_LR: f64 = 1e6;
/// The largest damping the CLI accepts (`--damping`).
pub(crate) const MAX_DAMPING: f64 = 1e12;
/// The largest wall-time budget per run the CLI accepts (`--max-seconds`): one day.
pub(crate) const MAX_SECONDS: f64 = 86_400.0;

/// The largest `--max-dense-mb`: 1 GiB per dense matrix (the dense kinds
/// hold several, so the whole run stays near the 2 GB the CLI aims at only
/// well below it).
pub(crate) const MAX_DENSE_MB: u64 = 1024;

/// The optimizers named in `--optimizers`, each once: a name or alias
/// naming a kind already listed is refused.
pub(crate) fn parse_optimizers(names: &[String]) -> Result<Vec<OptimizerSpec>, Usage> {
    let mut specs: Vec<OptimizerSpec> = Vec::new();
    let mut given: Vec<&str> = Vec::new();
    for name in names.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let spec =
            OptimizerSpec::from_str(name).map_err(|e| Usage(format!("--optimizers: {e}")))?;
        if let Some(i) = specs.iter().position(|s| s.kind == spec.kind) {
            let same = if given[i] == name {
                format!("`{name}` is listed twice")
            } else {
                format!(
                    "`{}` and `{name}` both name {}",
                    given[i],
                    spec.kind.cli_name()
                )
            };
            return Err(Usage(format!(
                "--optimizers: {same}; list each optimizer once"
            )));
        }
        given.push(name);
        specs.push(spec);
    }
    if specs.is_empty() {
        return Err(Usage(
            "--optimizers must name at least one optimizer".into(),
        ));
    }
    Ok(specs)
}

pub(crate) fn plan(args: Args) -> Result<Plan, Usage> {
    let x0 = args
        .x0
        .map(|v| within("--x0", v, -MAX_START, MAX_START, false))
        .transpose()?;
    let y0 = args
        .y0
        .map(|v| within("--y0", v, -MAX_START, MAX_START, false))
        .transpose()?;
    if let Some(lr) = args.lr {
        within("--lr", lr, 0.0, MAX_LR, true)?;
    }
    if args.steps == 0 || args.steps > race::MAX_ITERS {
        return Err(Usage(format!(
            "--steps must be in 1..={}, got {}",
            race::MAX_ITERS,
            args.steps
        )));
    }
    if finite("--tol", args.tol)? < 0.0 {
        return Err(Usage(format!(
            "--tol must be >= 0, got {}",
            quad_vs_grad::fmt::number(args.tol)
        )));
    }
    if let Some(damping) = args.damping {
        within("--damping", damping, 0.0, MAX_DAMPING, false)?;
    }
    within("--max-seconds", args.max_seconds, 0.0, MAX_SECONDS, true)?;
    within(
        "--max-total-seconds",
        args.max_total_seconds,
        0.0,
        MAX_SECONDS,
        true,
    )?;
    if !(1..=MAX_DENSE_MB).contains(&args.max_dense_mb) {
        return Err(Usage(format!(
            "--max-dense-mb must be in 1..={MAX_DENSE_MB}, got {}",
            args.max_dense_mb
        )));
    }
    if args.max_evals == Some(0) {
        return Err(Usage("--max-evals must be at least 1, got 0".into()));
    }
    let (frames, fps) = (args.frames.unwrap_or(120), args.fps.unwrap_or(12));
    if !(2..=1000).contains(&frames) {
        return Err(Usage(format!("--frames must be in 2..=1000, got {frames}")));
    }
    if fps == 0 || fps > 100 {
        return Err(Usage(format!("--fps must be in 1..=100, got {fps}")));
    }
    if args.no_figures {
        if let Some(flag) = [
            ("--frames", args.frames.is_some()),
            ("--fps", args.fps.is_some()),
        ]
        .into_iter()
        .find_map(|(f, given)| given.then_some(f))
        {
            return Err(Usage(format!(
                "{flag} has no effect with --no-figures (no animation is drawn)"
            )));
        }
    }
    let hidden = args.hidden.clone().unwrap_or_else(|| vec![2]);
    if hidden.is_empty()
        || hidden.contains(&0)
        || hidden.len() > 4
        || hidden.iter().any(|&w| w > 64)
    {
        return Err(Usage(format!(
            "--hidden must list 1 to 4 widths in 1..=64, got {hidden:?}"
        )));
    }
    if args.hidden.is_some() && args.problem != ProblemKind::Full {
        return Err(Usage(
            "--hidden has no effect without --problem full (the 2-D slices are of a fixed 2-2-1 net)"
                .into(),
        ));
    }
    let preset = match args.problem {
        ProblemKind::OutputSlice => RacePreset::reference(),
        ProblemKind::HiddenSlice => RacePreset::hidden_slice(),
        ProblemKind::Full => RacePreset::full_network(&hidden, args.seed)
            .map_err(|e| Usage(format!("--hidden: {e}")))?,
    };
    let mut start = preset.start.clone();
    if x0.is_some() || y0.is_some() {
        if preset.problem.dim() != 2 {
            return Err(Usage(
                "--x0/--y0 apply to the 2-D slices only; the full network starts from a seeded initialisation (--seed)".into(),
            ));
        }
        if let Some(x) = x0 {
            start[0] = x;
        }
        if let Some(y) = y0 {
            start[1] = y;
        }
    }
    let mut specs = match &args.optimizers {
        None => preset.specs.clone(),
        Some(names) => parse_optimizers(names)?,
    };
    let n = preset.problem.data().len();
    for (flag, size) in [
        ("--batch-size", args.batch_size),
        ("--curvature-batch-size", args.curvature_batch_size),
    ] {
        if let Some(b) = size {
            if b == 0 || b > n {
                return Err(Usage(format!("{flag} must be in 1..={n}, got {b}")));
            }
        }
    }
    let mut left_out = Vec::new();
    if args.batch_size.is_some() && args.optimizers.is_none() {
        // the default race in stochastic mode: the kinds that have one
        let (keep, out) = specs
            .into_iter()
            .partition(|s| s.kind.descriptor().stochastic.is_supported());
        specs = keep;
        left_out = out;
    }
    let mut cfg = preset.cfg.clone();
    cfg.max_iters = args.steps;
    cfg.tol = args.tol;
    cfg.damping = args.damping.unwrap_or(cfg.damping);
    cfg.lr = args.lr;
    cfg.batch_size = args.batch_size;
    cfg.curvature_batch_size = args.curvature_batch_size;
    cfg.curvature_seed = args.curvature_seed;
    cfg.seed = args.seed;
    cfg.max_evals = args.max_evals;
    cfg.max_seconds = args.max_seconds;
    cfg.max_total_seconds = Some(args.max_total_seconds);
    cfg.max_dense_bytes = args.max_dense_mb << 20;
    cfg.validate().map_err(|e| Usage(e.to_string()))?;
    for spec in &specs {
        spec.check(&cfg)
            .map_err(|e| Usage(format!("--optimizers: {e}")))?;
    }
    // Dense curvature that cannot fit: refused when listed, left out of the
    // default race (and said so) otherwise.
    let dim = start.len();
    let mut too_big = Vec::new();
    if args.optimizers.is_some() {
        for spec in &specs {
            spec.check_size(dim, &cfg)
                .map_err(|e| Usage(format!("--optimizers: {e}")))?;
        }
    } else {
        let (keep, out): (Vec<_>, Vec<_>) = specs
            .into_iter()
            .partition(|s| s.check_size(dim, &cfg).is_ok());
        specs = keep;
        too_big = out
            .into_iter()
            .map(|s| {
                let why = s.check_size(dim, &cfg).err().map(|e| match e {
                    quad_vs_grad::Error::InvalidConfig(why) => why,
                    e => e.to_string(),
                });
                (s, why.unwrap_or_default())
            })
            .collect();
        if specs.is_empty() {
            return Err(Usage(
                "--hidden: every optimizer of the default race needs a dense matrix that does not fit; list matrix-free ones with --optimizers (hf, kfac, lbfgs, adam)".into(),
            ));
        }
    }
    let grad_norm = preset
        .problem
        .gradient(&start)
        .map(|g| g.fdot(&g).sqrt())
        .unwrap_or(f64::NAN);
    let given = Explicit {
        lr: args.lr,
        damping: args.damping,
        curvature_batch_size: args.curvature_batch_size,
        curvature_seed: args.curvature_seed,
    };
    check_selection(&specs, &given, cfg.damping, cfg.tol, grad_norm)?;
    check_out_dir(&args.out_dir)?;
    Ok(Plan {
        preset,
        start,
        specs,
        left_out,
        too_big,
        cfg,
        out_dir: args.out_dir,
        frames,
        fps,
        export: args.export,
        figures: !args.no_figures,
        quiet: args.quiet,
    })
}

/// Creates the output directory if needed, completes or removes what a
/// killed run left in it ([`recover`]), and proves it writable.
pub(crate) fn check_out_dir(dir: &Path) -> Result<(), Usage> {
    let fail = |why: String| Usage(format!("--out-dir {}: {why}", dir.display()));
    if dir.exists() && !dir.is_dir() {
        return Err(fail("not a directory".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    recover(dir).map_err(|e| fail(format!("cannot clean up after an earlier run ({e})")))?;
    let probe = dir.join(format!(".quad-vs-grad-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| fail(format!("not writable ({e})")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
