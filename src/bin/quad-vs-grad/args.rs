//! The command-line flags ([`Args`]) and the help texts the registry writes.

use std::path::PathBuf;

use clap::{CommandFactory, Parser, ValueEnum};
use quad_vs_grad::race::{self, DampingUse, RaceConfig, REGISTRY};

/// The default of `--max-total-seconds`: two runs' default budgets.
pub(crate) const MAX_TOTAL_SECONDS: f64 = 120.0;

/// Which problem to race on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProblemKind {
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
pub(crate) struct Args {
    /// First coordinate of the start point (2-D slices only) [default: 2 on the output slice, -2.5 on the hidden slice]
    #[arg(long, allow_negative_numbers = true, value_name = "X")]
    pub(crate) x0: Option<f64>,

    /// Second coordinate of the start point (2-D slices only) [default: -2 on the output slice, 1.5 on the hidden slice]
    #[arg(long, allow_negative_numbers = true, value_name = "Y")]
    pub(crate) y0: Option<f64>,

    /// Step size of every optimizer with a learning rate (help generated from the registry: see `lr_help`)
    #[arg(long, allow_negative_numbers = true, value_name = "LR")]
    pub(crate) lr: Option<f64>,

    /// Maximum number of iterations of every optimizer (at most 10000000)
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = RaceConfig::default().max_iters,
        value_name = "N"
    )]
    pub(crate) steps: u64,

    /// Stop when the step norm falls below this (BFGS, L-BFGS and the trust region also when the gradient norm does)
    #[arg(
        long,
        default_value_t = RaceConfig::default().tol,
        allow_negative_numbers = true,
        value_name = "TOL"
    )]
    pub(crate) tol: f64,

    /// Damping λ of the damped optimizers (help generated from the registry: see `damping_help`)
    #[arg(long, allow_negative_numbers = true, value_name = "LAMBDA")]
    pub(crate) damping: Option<f64>,

    /// Comma-separated optimizers to race (help generated from the registry: see `optimizers_help`)
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub(crate) optimizers: Option<Vec<String>>,

    /// Problem to race on
    #[arg(long, value_enum, default_value_t = ProblemKind::OutputSlice)]
    pub(crate) problem: ProblemKind,

    /// Hidden-layer widths of the full network, comma-separated (with --problem full only) [default: 2]
    #[arg(
        long,
        allow_negative_numbers = true,
        value_delimiter = ',',
        value_name = "WIDTHS"
    )]
    pub(crate) hidden: Option<Vec<usize>>,

    /// Evaluation budget of each optimizer run: it stops ("budget") after this many loss, gradient or curvature evaluations, line searches included [default: 100 per step, at least 10000]
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    pub(crate) max_evals: Option<u64>,

    /// Wall-time budget of each optimizer run in seconds: it stops ("budget") after this long
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = RaceConfig::default().max_seconds,
        value_name = "SECONDS"
    )]
    pub(crate) max_seconds: f64,

    /// Time limit of the whole race in seconds, on top of each run's --max-seconds: the run going when it passes and every later one stop ("budget")
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = MAX_TOTAL_SECONDS,
        value_name = "SECONDS"
    )]
    pub(crate) max_total_seconds: f64,

    /// Memory limit of one dense D x D matrix in MiB (8 D^2 bytes): the optimizers that keep one (newton, saddle-free, ggn, ggn-lm, argmin-newton, bfgs, trust-region, adaptive-gd, sbfgs, obfgs) are refused above it, or left out of the default race
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = quad_vs_grad::race::MAX_DENSE_BYTES >> 20,
        value_name = "MIB"
    )]
    pub(crate) max_dense_mb: u64,

    /// Mini-batch size (help generated from the registry: see `batch_help`)
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    pub(crate) batch_size: Option<usize>,

    /// Curvature-batch size of the damped second-order optimizers (help generated from the registry: see `curvature_batch_help`)
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    pub(crate) curvature_batch_size: Option<usize>,

    /// Seed of the curvature batches (with --curvature-batch-size) [default: --seed + 1]
    #[arg(long, allow_negative_numbers = true, value_name = "SEED")]
    pub(crate) curvature_seed: Option<u64>,

    /// Seed of the mini-batches, Langevin GD's noise and the full network's initialisation
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = RaceConfig::default().seed,
        value_name = "SEED"
    )]
    pub(crate) seed: u64,

    /// Directory for paths.png, journey.gif and exports (created if missing)
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub(crate) out_dir: PathBuf,

    /// Maximum number of animation frames (refused with --no-figures) [default: 120]
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    pub(crate) frames: Option<usize>,

    /// Animation frames per second (refused with --no-figures) [default: 12]
    #[arg(long, allow_negative_numbers = true, value_name = "FPS")]
    pub(crate) fps: Option<u32>,

    /// Also write traces.csv, traces.json (every iterate, with the settings each run used) and data.csv
    #[arg(long)]
    pub(crate) export: bool,

    /// Draw no figures (paths.png, journey.gif); with --export, write only the exports
    #[arg(long)]
    pub(crate) no_figures: bool,

    /// Print nothing but errors
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

/// The names of the registry kinds with `pick`, joined by `, `.
pub(crate) fn names_where(pick: impl Fn(&race::Descriptor) -> bool) -> String {
    REGISTRY
        .iter()
        .filter(|d| pick(d))
        .map(|d| d.cli_name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--lr`: every kind with a learning rate and its default, from the registry.
pub(crate) fn lr_help() -> String {
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
pub(crate) fn damping_help() -> String {
    format!(
        "Damping λ of {} (the initial λ of the Levenberg-Marquardt ones: {}); refused when no \
         selected optimizer is damped, 0 refused for the Levenberg-Marquardt ones and kfac \
         [default: {}]",
        names_where(|d| d.damping != DampingUse::None),
        names_where(|d| d.damping == DampingUse::LevenbergMarquardt),
        RaceConfig::default().damping,
    )
}

/// `--optimizers`: every name, and the reference race as the default.
pub(crate) fn optimizers_help() -> String {
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
pub(crate) fn batch_help() -> String {
    format!(
        "Mini-batch size: a fresh seeded batch every iteration (stochastic mode) for {}; \
         refused (exit 2, with the reason) for {}; without --optimizers the refused ones are left \
         out of the default race [default: full batch]",
        names_where(|d| d.stochastic.is_supported()),
        names_where(|d| !d.stochastic.is_supported()),
    )
}

/// `--curvature-batch-size`: the kinds with a curvature batch, from the registry.
pub(crate) fn curvature_batch_help() -> String {
    format!(
        "Curvature-batch size: {} take their curvature from a separate seeded batch of this size \
         every iteration (gradient from --batch-size, or the full batch) [default: curvature from \
         the gradient's batch]",
        names_where(|d| d.stochastic == race::Stochastic::Curvature),
    )
}

/// The command with the help texts that the registry writes.
pub(crate) fn command() -> clap::Command {
    Args::command()
        .mut_arg("lr", |a| a.help(lr_help()))
        .mut_arg("damping", |a| a.help(damping_help()))
        .mut_arg("optimizers", |a| a.help(optimizers_help()))
        .mut_arg("batch_size", |a| a.help(batch_help()))
        .mut_arg("curvature_batch_size", |a| a.help(curvature_batch_help()))
}
