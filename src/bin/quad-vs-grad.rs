//! `quad-vs-grad`: race first- and second-order optimizers on the XOR MLP,
//! print a summary, and draw `paths.png` and `journey.gif`.
//!
//! A thin command line over the library: parse and validate the flags, run
//! the race, render the figures in memory, then write every file atomically.
//! Bad input exits with code 2 and a one-line message naming the flag,
//! before any work is done and without leaving files behind; any later
//! failure exits with 2 as well (no path exits with 1). Every optimizer run
//! has a budget (`--max-evals`, `--max-seconds`), so no run can hang.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Instant;

use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use quad_vs_grad::plot::{self, AnimationOptions, PathsStyle};
use quad_vs_grad::prelude::*;
use quad_vs_grad::race::{self, DampingUse, OptimizerSpec, RaceConfig, RacePreset, REGISTRY};
use quad_vs_grad::report::{
    dataset_csv, fmt_number, traces_csv, traces_json, write_atomic, Summary,
};

/// `println!` that ignores a closed stdout (`quad-vs-grad | head`) instead of panicking.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// Which problem to race on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ProblemKind {
    /// The reference experiment: output weights (v1, v2) of a 2-2-1 net with a frozen hidden layer (convex).
    OutputSlice,
    /// Two hidden weights of a 2-2-1 net that solves a separable XOR (non-convex).
    HiddenSlice,
    /// Every weight and bias of a network with --hidden widths, on the separable XOR.
    Full,
}

#[derive(Parser, Debug)]
#[command(
    name = "quad-vs-grad",
    version,
    about = "Race first- and second-order optimizers on a tiny XOR MLP; write paths.png and journey.gif",
    long_about = "Race first- and second-order optimizers on a tiny XOR MLP.\n\n\
        With no arguments this runs the reference experiment: gradient descent, Adam, damped Newton, \
        BFGS, L-BFGS, Gauss-Newton, K-FAC and argmin's steepest descent from (2, -2) on the \
        output-weight slice, prints a summary table, and writes paths.png and journey.gif \
        to the current directory."
)]
struct Args {
    /// First coordinate of the start point (2-D slices only) [default: 2 on the output slice, -2.5 on the hidden slice]
    #[arg(long, allow_negative_numbers = true, value_name = "X")]
    x0: Option<f64>,

    /// Second coordinate of the start point (2-D slices only) [default: -2 on the output slice, 1.5 on the hidden slice]
    #[arg(long, allow_negative_numbers = true, value_name = "Y")]
    y0: Option<f64>,

    /// Step size of every optimizer with a learning rate (help generated from the registry: see `lr_help`)
    #[arg(long, allow_negative_numbers = true, value_name = "LR")]
    lr: Option<f64>,

    /// Maximum number of iterations of every optimizer (at most 10000000)
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = RaceConfig::default().max_iters,
        value_name = "N"
    )]
    steps: u64,

    /// Stop when the step norm falls below this (BFGS, L-BFGS and the trust region also when the gradient norm does)
    #[arg(
        long,
        default_value_t = RaceConfig::default().tol,
        allow_negative_numbers = true,
        value_name = "TOL"
    )]
    tol: f64,

    /// Damping λ of the damped optimizers (help generated from the registry: see `damping_help`)
    #[arg(
        long,
        default_value_t = RaceConfig::default().damping,
        allow_negative_numbers = true,
        value_name = "LAMBDA"
    )]
    damping: f64,

    /// Comma-separated optimizers to race (help generated from the registry: see `optimizers_help`)
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    optimizers: Option<Vec<String>>,

    /// Problem to race on
    #[arg(long, value_enum, default_value_t = ProblemKind::OutputSlice)]
    problem: ProblemKind,

    /// Hidden-layer widths of the full network, comma-separated (with --problem full)
    #[arg(
        long,
        allow_negative_numbers = true,
        value_delimiter = ',',
        default_value = "2",
        value_name = "WIDTHS"
    )]
    hidden: Vec<usize>,

    /// Evaluation budget of each optimizer run: it stops ("budget") after this many loss, gradient or curvature evaluations, line searches included [default: 100 per step, at least 10000]
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    max_evals: Option<u64>,

    /// Wall-time budget of each optimizer run in seconds: it stops ("budget") after this long
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = RaceConfig::default().max_seconds,
        value_name = "SECONDS"
    )]
    max_seconds: f64,

    /// Mini-batch size (help generated from the registry: see `batch_help`)
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    batch_size: Option<usize>,

    /// Curvature-batch size of the damped second-order optimizers (help generated from the registry: see `curvature_batch_help`)
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    curvature_batch_size: Option<usize>,

    /// Seed of the curvature batches (with --curvature-batch-size) [default: --seed + 1]
    #[arg(long, allow_negative_numbers = true, value_name = "SEED")]
    curvature_seed: Option<u64>,

    /// Seed of the mini-batches, Langevin GD's noise and the full network's initialisation
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = RaceConfig::default().seed,
        value_name = "SEED"
    )]
    seed: u64,

    /// Directory for paths.png, journey.gif and exports (created if missing)
    #[arg(long, default_value = ".", value_name = "DIR")]
    out_dir: PathBuf,

    /// Maximum number of animation frames
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = 120,
        value_name = "N"
    )]
    frames: usize,

    /// Animation frames per second
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = 12,
        value_name = "FPS"
    )]
    fps: u32,

    /// Also write traces.csv, traces.json (every iterate, with the settings each run used) and data.csv
    #[arg(long)]
    export: bool,

    /// Draw no figures (paths.png, journey.gif); with --export, write only the exports
    #[arg(long)]
    no_figures: bool,

    /// Print nothing but errors
    #[arg(long, short)]
    quiet: bool,
}

/// A validated plan: everything the run needs, checked before any work.
struct Plan {
    preset: RacePreset,
    start: Array1<f64>,
    specs: Vec<OptimizerSpec>,
    /// Default optimizers left out in stochastic mode (no stochastic mode).
    left_out: Vec<OptimizerSpec>,
    cfg: RaceConfig,
    out_dir: PathBuf,
    frames: usize,
    fps: u32,
    export: bool,
    figures: bool,
    quiet: bool,
}

/// The names of the registry kinds with `pick`, joined by `, `.
fn names_where(pick: impl Fn(&race::Descriptor) -> bool) -> String {
    REGISTRY
        .iter()
        .filter(|d| pick(d))
        .map(|d| d.cli_name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--lr`: every kind with a learning rate and its default, from the registry.
fn lr_help() -> String {
    let defaults: Vec<String> = REGISTRY
        .iter()
        .filter_map(|d| d.lr.map(|lr| format!("{} {lr}", d.cli_name)))
        .collect();
    format!(
        "Step size of every method with a learning rate in the race; without it each uses its own \
         [default: per optimizer: {}]",
        defaults.join(", ")
    )
}

/// `--damping`: the damped kinds, from the registry.
fn damping_help() -> String {
    format!(
        "Damping λ of {} (the initial λ of the Levenberg-Marquardt ones: {})",
        names_where(|d| d.damping != DampingUse::None),
        names_where(|d| d.damping == DampingUse::LevenbergMarquardt),
    )
}

/// `--optimizers`: every name, and the reference race as the default.
fn optimizers_help() -> String {
    let default: Vec<&str> = race::reference_race()
        .iter()
        .map(|s| s.kind.cli_name())
        .collect();
    format!(
        "Comma-separated optimizers to race, from: {} [default: {}]",
        names_where(|_| true),
        default.join(",")
    )
}

/// `--batch-size`: which kinds have a stochastic mode, from the registry.
fn batch_help() -> String {
    format!(
        "Mini-batch size: a fresh seeded batch every iteration (stochastic mode) for {}; \
         refused (exit 2, with the reason) for {}; without --optimizers the refused ones are left \
         out of the default race [default: full batch]",
        names_where(|d| d.stochastic.is_supported()),
        names_where(|d| !d.stochastic.is_supported()),
    )
}

/// `--curvature-batch-size`: the kinds with a curvature batch, from the registry.
fn curvature_batch_help() -> String {
    format!(
        "Curvature-batch size: {} take their curvature from a separate seeded batch of this size \
         every iteration (gradient from --batch-size, or the full batch) [default: curvature from \
         the gradient's batch]",
        names_where(|d| d.stochastic == race::Stochastic::Curvature),
    )
}

/// The command with the help texts that the registry writes.
fn command() -> clap::Command {
    Args::command()
        .mut_arg("lr", |a| a.help(lr_help()))
        .mut_arg("damping", |a| a.help(damping_help()))
        .mut_arg("optimizers", |a| a.help(optimizers_help()))
        .mut_arg("batch_size", |a| a.help(batch_help()))
        .mut_arg("curvature_batch_size", |a| a.help(curvature_batch_help()))
}

/// A bad-input error: the flag and what is wrong with it.
struct Usage(String);

fn finite(flag: &str, v: f64) -> Result<f64, Usage> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Usage(format!("{flag} must be a finite number, got {v}")))
    }
}

/// `v` if it lies in `lo..=hi` (`lo` excluded when `open`), else a message
/// naming the flag and the range, numbers in short form.
fn within(flag: &str, v: f64, lo: f64, hi: f64, open: bool) -> Result<f64, Usage> {
    let v = finite(flag, v)?;
    let above = if open { v > lo } else { v >= lo };
    if above && v <= hi {
        Ok(v)
    } else {
        let bracket = if open { "(" } else { "[" };
        Err(Usage(format!(
            "{flag} must be in {bracket}{}, {}], got {}",
            fmt_number(lo),
            fmt_number(hi),
            fmt_number(v)
        )))
    }
}

/// The largest |coordinate| of a start point the CLI accepts (`--x0`, `--y0`).
const MAX_START: f64 = 1e6;
/// The largest learning rate the CLI accepts (`--lr`).
const MAX_LR: f64 = 1e6;
/// The largest damping the CLI accepts (`--damping`).
const MAX_DAMPING: f64 = 1e12;
/// The largest wall-time budget per run the CLI accepts (`--max-seconds`): one day.
const MAX_SECONDS: f64 = 86_400.0;

/// The optimizers named in `--optimizers`, each once: a name or alias
/// naming a kind already listed is refused.
fn parse_optimizers(names: &[String]) -> Result<Vec<OptimizerSpec>, Usage> {
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

fn plan(args: Args) -> Result<Plan, Usage> {
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
            fmt_number(args.tol)
        )));
    }
    within("--damping", args.damping, 0.0, MAX_DAMPING, false)?;
    within("--max-seconds", args.max_seconds, 0.0, MAX_SECONDS, true)?;
    if args.max_evals == Some(0) {
        return Err(Usage("--max-evals must be at least 1, got 0".into()));
    }
    if args.frames < 2 || args.frames > 1000 {
        return Err(Usage(format!(
            "--frames must be in 2..=1000, got {}",
            args.frames
        )));
    }
    if args.fps == 0 || args.fps > 100 {
        return Err(Usage(format!("--fps must be in 1..=100, got {}", args.fps)));
    }
    if args.hidden.is_empty()
        || args.hidden.contains(&0)
        || args.hidden.len() > 4
        || args.hidden.iter().any(|&w| w > 64)
    {
        return Err(Usage(format!(
            "--hidden must list 1 to 4 widths in 1..=64, got {:?}",
            args.hidden
        )));
    }
    let preset = match args.problem {
        ProblemKind::OutputSlice => RacePreset::reference(),
        ProblemKind::HiddenSlice => RacePreset::hidden_slice(),
        ProblemKind::Full => RacePreset::full_network(&args.hidden, args.seed)
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
    cfg.damping = args.damping;
    cfg.lr = args.lr;
    cfg.batch_size = args.batch_size;
    cfg.curvature_batch_size = args.curvature_batch_size;
    cfg.curvature_seed = args.curvature_seed;
    cfg.seed = args.seed;
    cfg.max_evals = args.max_evals;
    cfg.max_seconds = args.max_seconds;
    cfg.validate().map_err(|e| Usage(e.to_string()))?;
    for spec in &specs {
        spec.check(&cfg)
            .map_err(|e| Usage(format!("--optimizers: {e}")))?;
    }
    check_out_dir(&args.out_dir)?;
    Ok(Plan {
        preset,
        start,
        specs,
        left_out,
        cfg,
        out_dir: args.out_dir,
        frames: args.frames,
        fps: args.fps,
        export: args.export,
        figures: !args.no_figures,
        quiet: args.quiet,
    })
}

/// Creates the output directory if needed and proves it writable.
fn check_out_dir(dir: &Path) -> Result<(), Usage> {
    let fail = |why: String| Usage(format!("--out-dir {}: {why}", dir.display()));
    if dir.exists() && !dir.is_dir() {
        return Err(fail("not a directory".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let probe = dir.join(format!(".quad-vs-grad-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| fail(format!("not writable ({e})")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

fn run(plan: Plan) -> Result<(), String> {
    let t0 = Instant::now();
    let problem = &plan.preset.problem;
    let traces = race::race(problem, &plan.start, &plan.specs, &plan.cfg);
    let race_ms = t0.elapsed().as_secs_f64() * 1e3;
    if !plan.quiet {
        say!("{}", problem.name());
        say!(
            "start {}, {} steps max, step tolerance {:e}",
            fmt_point(&plan.start),
            plan.cfg.max_iters,
            plan.cfg.tol
        );
        if let Some(b) = plan.cfg.batch_size {
            let names = |v: &[OptimizerSpec]| {
                v.iter()
                    .map(|s| s.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            say!(
                "stochastic mode: mini-batches of {b} (seed {}) for every optimizer; loss is full-batch",
                plan.cfg.seed
            );
            if !plan.left_out.is_empty() {
                say!(
                    "left out of the default race (no stochastic mode): {}",
                    names(&plan.left_out)
                );
            }
        }
        if let Some(c) = plan.cfg.curvature_batch_size {
            say!(
                "curvature from separate batches of {c} (seed {}) for the damped optimizers",
                plan.cfg.curvature_seed()
            );
        }
        say!("");
        say!("{}", Summary::new(&traces).to_string().trim_end());
        say!("");
    }

    let t1 = Instant::now();
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    if plan.figures {
        let (grid, shown) = plot::landscape(problem, &traces, None, 200)
            .map_err(|e| format!("evaluating the loss landscape failed: {e}"))?;
        // paths.png is drawn on its own thread while journey.gif renders
        // (which spreads its frames over the cores): the two share only the
        // grid and the traces, and each has the same bytes either way.
        let (paths, journey) = std::thread::scope(|scope| {
            let paths = scope.spawn(|| plot::paths_figure(&grid, &shown, &PathsStyle::default()));
            let journey = plot::journey_animation(
                &grid,
                &shown,
                &AnimationOptions {
                    frames: plan.frames,
                    fps: plan.fps as f64,
                    progress: !plan.quiet,
                    ..AnimationOptions::default()
                },
            );
            let paths = paths.join().unwrap_or_else(|_| {
                Err(plot::PlotError::Drawing(
                    "the drawing thread panicked".into(),
                ))
            });
            (paths, journey)
        });
        let paths = paths.map_err(|e| format!("drawing paths.png failed: {e}"))?;
        let journey = journey.map_err(|e| format!("drawing journey.gif failed: {e}"))?;
        files.push((plan.out_dir.join("paths.png"), paths.into_bytes()));
        files.push((plan.out_dir.join("journey.gif"), journey.into_bytes()));
    }
    if plan.export {
        files.push((
            plan.out_dir.join("traces.csv"),
            traces_csv(&traces).map_err(|e| e.to_string())?,
        ));
        files.push((
            plan.out_dir.join("traces.json"),
            traces_json(&traces).map_err(|e| e.to_string())?,
        ));
        files.push((
            plan.out_dir.join("data.csv"),
            dataset_csv(problem.data()).map_err(|e| e.to_string())?,
        ));
    }
    let draw_ms = t1.elapsed().as_secs_f64() * 1e3;
    for (path, bytes) in &files {
        write_atomic(path, bytes).map_err(|e| e.to_string())?;
    }
    if !plan.quiet {
        for (path, bytes) in &files {
            say!(
                "wrote {} ({} KB)",
                path.display(),
                bytes.len().div_ceil(1024)
            );
        }
        say!(
            "race {race_ms:.0} ms, figures {draw_ms:.0} ms, total {:.0} ms",
            t0.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn fmt_point(p: &Array1<f64>) -> String {
    let parts: Vec<String> = p.iter().map(|&v| fmt_number(v)).collect();
    format!("({})", parts.join(", "))
}

fn main() -> ExitCode {
    let parsed = command()
        .try_get_matches()
        .and_then(|m| Args::from_arg_matches(&m));
    let args = match parsed {
        Ok(a) => a,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                e.exit();
            }
            // One line naming the flag, as for every other bad input.
            let text = e.render().to_string();
            let line: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"))
                .collect();
            eprintln!("{} (see --help)", line.join(" "));
            return ExitCode::from(2);
        }
    };
    let plan = match plan(args) {
        Ok(p) => p,
        Err(Usage(msg)) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    // Every failure exits with 2, on one line (input is validated first,
    // so this is a drawing or writing failure; nothing was written).
    match run(plan) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {}", msg.lines().next().unwrap_or("unknown failure"));
            ExitCode::from(2)
        }
    }
}
