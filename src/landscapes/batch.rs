//! Batched starts and the bake-off of document 002: run an optimizer from
//! many seeded start points, keep every trace, and compare optimizers by
//! what fraction of starts reach the global minimum and at what cost.
//!
//! A landscape of many wells punishes every local method differently: plain
//! gradient descent stalls on plateaus, Newton is attracted by saddles and
//! maxima, noise helps some starts escape shallow wells. One start says
//! little; hundreds give a distribution.
//!
//! ```no_run
//! use quad_vs_grad::landscapes::batch::{bakeoff, uniform_starts, wells_contenders, BakeoffConfig};
//! use quad_vs_grad::landscapes::GaussianWells;
//!
//! let wells = GaussianWells::course();
//! let starts = uniform_starts(500, 2, (-3.0, 3.0), 0)?;
//! let result = bakeoff(&wells, &wells_contenders(), &starts, &BakeoffConfig::default())?;
//! println!("{result}");
//! # Ok::<(), quad_vs_grad::Error>(())
//! ```

use std::fmt;

use argmin::core::{observers::ObserverMode, Executor, Solver, State};
use ndarray::Array1;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{
    CoshValley, CosineWell, GaussianWells, Landscape, Minimum, Rosenbrock, Saddle, TanhSlope,
};
use crate::error::{Error, Result};
use crate::race::{
    self, Diverged, OptimizerKind, OptimizerSpec, PathRecorder, RaceConfig, RaceProblem,
    StepNormStop,
};
use crate::solvers::{AdaptiveGd, StepScale};
use crate::solvers::{LangevinGd, VecState};
use crate::trace::{StopReason, Trace};

macro_rules! race_problem {
    ($($ty:ty),*) => {$(
        impl RaceProblem for $ty {
            fn race_name(&self) -> String {
                Landscape::name(self)
            }
        }
    )*};
}
race_problem!(
    GaussianWells,
    CosineWell,
    Saddle,
    TanhSlope,
    CoshValley,
    Rosenbrock
);

/// One optimizer of a batch or bake-off: a race entry, or one of the two
/// optimizers of document 002 that the race's list does not contain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Contender {
    /// Any optimizer of [`crate::race`], run by [`race::run`].
    Race(OptimizerSpec),
    /// [`LangevinGd`]: gradient descent with seeded Gaussian gradient noise.
    Langevin {
        /// Display label.
        label: String,
        /// Learning rate `η`.
        lr: f64,
        /// Noise scale `σ`.
        noise: f64,
        /// Base seed; start `i` of a batch uses [`start_seed`]`(seed, i)`, so
        /// starts draw independent noise and the batch stays reproducible.
        seed: u64,
    },
    /// [`AdaptiveGd`]: gradient descent with step `η / s(H)` from the Hessian spectrum.
    Adaptive {
        /// Display label.
        label: String,
        /// Base learning rate `η`.
        lr: f64,
        /// What divides `η`.
        scale: StepScale,
    },
}

impl Contender {
    /// A race optimizer with its default label and hyperparameters.
    pub fn race(kind: OptimizerKind) -> Self {
        Self::Race(OptimizerSpec::new(kind))
    }

    /// Langevin GD labelled `"Langevin GD"`.
    pub fn langevin(lr: f64, noise: f64, seed: u64) -> Self {
        Self::Langevin {
            label: "Langevin GD".into(),
            lr,
            noise,
            seed,
        }
    }

    /// Condition-number-adaptive GD (`η / (κ + 1e−12)`) labelled `"Adaptive GD (κ)"`.
    pub fn adaptive(lr: f64) -> Self {
        Self::Adaptive {
            label: "Adaptive GD (κ)".into(),
            lr,
            scale: StepScale::Condition { eps: 1e-12 },
        }
    }

    /// The display label.
    pub fn label(&self) -> &str {
        match self {
            Self::Race(spec) => &spec.label,
            Self::Langevin { label, .. } | Self::Adaptive { label, .. } => label,
        }
    }
}

impl std::str::FromStr for Contender {
    type Err = Error;

    /// `langevin` (η = 0.1, σ = 0.2, seed 0), `adaptive-gd` (η = 0.1), or
    /// any race name ([`OptimizerSpec::all_names`]) with its defaults; an
    /// unknown name gives an error listing the valid ones.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "langevin" | "langevin-gd" => Ok(Self::langevin(0.1, 0.2, 0)),
            "adaptive-gd" | "adaptive" => Ok(Self::adaptive(0.1)),
            other => other.parse::<OptimizerSpec>().map(Self::Race).map_err(|_| {
                Error::InvalidConfig(format!(
                    "unknown optimizer `{s}`; valid names: langevin, adaptive-gd, {}",
                    OptimizerSpec::all_names().join(", ")
                ))
            }),
        }
    }
}

/// The seed of start `index` derived from a base seed (a SplitMix64 step, so
/// neighbouring indices give unrelated streams).
pub fn start_seed(seed: u64, index: usize) -> u64 {
    let mut z = seed.wrapping_add(
        (index as u64)
            .wrapping_add(1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` start points uniform in `range^dim`, from a `ChaCha8Rng` seeded with
/// `seed` (coordinates drawn point by point). Document 002 uses 100 starts
/// in `[−3, 3]²` for its pictures and 500 for its bake-off.
///
/// # Errors
/// [`Error::InvalidConfig`] if `n` or `dim` is zero or the range is empty or
/// not finite.
pub fn uniform_starts(
    n: usize,
    dim: usize,
    range: (f64, f64),
    seed: u64,
) -> Result<Vec<Array1<f64>>> {
    let (lo, hi) = range;
    if n == 0 || dim == 0 || !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(Error::InvalidConfig(format!(
            "uniform starts need n >= 1, dim >= 1 and a finite range lo < hi; got n = {n}, dim = {dim}, range = {range:?}"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Ok((0..n)
        .map(|_| Array1::from_shape_simple_fn(dim, || lo + (hi - lo) * rng.random::<f64>()))
        .collect())
}

/// The default batch of document 002: 100 starts uniform in `[−3, 3]²`, seed 0.
pub fn default_starts() -> Vec<Array1<f64>> {
    uniform_starts(100, 2, (-3.0, 3.0), 0).expect("valid constants")
}

/// Runs a solver of ours through argmin's executor with the race's recorder
/// and step-norm stop, exactly as [`race::run`] runs its own.
fn execute<P, S>(
    problem: &P,
    start: &Array1<f64>,
    solver: S,
    cfg: &RaceConfig,
    label: &str,
) -> Trace
where
    P: RaceProblem,
    S: Solver<P, VecState>,
{
    let recorder = PathRecorder::new(problem.clone(), cfg.divergence_factor);
    let recording = recorder.recording();
    let x0 = start.clone();
    let max_iters = cfg.max_iters;
    let result = Executor::new(problem.clone(), StepNormStop::new(solver, cfg.tol))
        .configure(|state| state.param(x0).max_iters(max_iters).counting(true))
        .add_observer(recorder, ObserverMode::Always)
        .ctrlc(false)
        .run();
    let data = recording.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let stop = match (&result, &data.diverged) {
        (_, Some(why)) => StopReason::Diverged(why.clone()),
        (Err(e), None) => match e.downcast_ref::<Diverged>() {
            Some(d) => StopReason::Diverged(d.0.clone()),
            None => StopReason::Failed(e.to_string()),
        },
        (Ok(res), None) => race::stop_reason(res.state().get_termination_status()),
    };
    Trace {
        optimizer: label.to_string(),
        problem: problem.race_name(),
        iterates: data.iterates,
        loss: data.loss,
        grad_norm: data.grad_norm,
        counts: data.counts,
        elapsed_ms: data.elapsed_ms,
        stop,
    }
}

/// A trace holding only the start, for a contender that could not be built.
fn failed<P: RaceProblem>(problem: &P, start: &Array1<f64>, label: &str, why: String) -> Trace {
    let loss = problem.full_batch_cost(start).unwrap_or(f64::NAN);
    let grad_norm = problem
        .full_batch_gradient(start)
        .map(|g| g.dot(&g).sqrt())
        .unwrap_or(f64::NAN);
    Trace {
        optimizer: label.to_string(),
        problem: problem.race_name(),
        iterates: vec![start.to_vec()],
        loss: vec![loss],
        grad_norm: vec![grad_norm],
        counts: vec![Default::default()],
        elapsed_ms: vec![0.0],
        stop: StopReason::Failed(why),
    }
}

/// Runs `contender` once from `start`; `index` is the start's position in
/// its batch (it seeds the Langevin noise). Never panics: a contender that
/// cannot be built gives a [`StopReason::Failed`] trace holding the start.
pub fn run_one<P: RaceProblem>(
    problem: &P,
    contender: &Contender,
    start: &Array1<f64>,
    index: usize,
    cfg: &RaceConfig,
) -> Trace {
    match contender {
        Contender::Race(spec) => race::run(problem, start, spec, cfg),
        Contender::Langevin {
            label,
            lr,
            noise,
            seed,
        } => match LangevinGd::new(*lr, *noise) {
            Ok(s) => execute(
                problem,
                start,
                s.with_seed(start_seed(*seed, index)),
                cfg,
                label,
            ),
            Err(e) => failed(problem, start, label, e.to_string()),
        },
        Contender::Adaptive { label, lr, scale } => {
            match AdaptiveGd::new(*lr).and_then(|s| s.with_scale(*scale)) {
                Ok(s) => execute(problem, start, s, cfg, label),
                Err(e) => failed(problem, start, label, e.to_string()),
            }
        }
    }
}

/// Runs `contender` from every start, one after the other, and keeps every
/// trace (in the order of `starts`).
pub fn run_batch<P: RaceProblem>(
    problem: &P,
    contender: &Contender,
    starts: &[Array1<f64>],
    cfg: &RaceConfig,
) -> Vec<Trace> {
    starts
        .iter()
        .enumerate()
        .map(|(i, s)| run_one(problem, contender, s, i, cfg))
        .collect()
}

/// Settings of a bake-off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BakeoffConfig {
    /// Settings of every run (iteration limit, step-norm tolerance, …).
    /// Default: 1000 iterations, step tolerance 1e-6, learning rates from
    /// the contenders.
    pub race: RaceConfig,
    /// A run *reaches the global minimum* if its final iterate lies within
    /// this distance of the global minimiser. Default 0.25: inside the well
    /// of the global minimum (every well of the course's landscape has width
    /// `σ ≥ 0.3`), loose enough to count a Langevin iterate that hovers in
    /// that well — with `η = 0.1`, `σ = 0.2` and curvature of order one its
    /// stationary spread is about `√(ησ²/2) ≈ 0.045` per coordinate.
    pub success_radius: f64,
}

impl Default for BakeoffConfig {
    fn default() -> Self {
        Self {
            race: RaceConfig {
                max_iters: 1000,
                tol: 1e-6,
                ..RaceConfig::default()
            },
            success_radius: 0.25,
        }
    }
}

/// One optimizer's line of the bake-off table (means over all starts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BakeoffRow {
    /// The optimizer's label.
    pub optimizer: String,
    /// Number of runs (starts).
    pub runs: usize,
    /// Mean final full-batch loss over the runs whose final loss is finite.
    pub mean_final_loss: f64,
    /// Fraction of runs whose final iterate is within the success radius of
    /// the global minimiser (NaN if the landscape has none).
    pub reached_global: f64,
    /// Mean number of iterations.
    pub mean_iterations: f64,
    /// Mean number of oracle calls: loss + gradient + Hessian + curvature products.
    pub mean_evaluations: f64,
    /// Total solver wall time over all runs, milliseconds (recorder time excluded).
    pub wall_ms: f64,
    /// Runs that diverged.
    pub diverged: usize,
    /// Runs that failed (an error, or a method the landscape cannot serve).
    pub failed: usize,
}

impl BakeoffRow {
    /// Summarises the traces of one optimizer.
    pub fn from_traces(
        optimizer: &str,
        traces: &[Trace],
        global: Option<&Minimum>,
        radius: f64,
    ) -> Self {
        let n = traces.len().max(1) as f64;
        let finite: Vec<f64> = traces
            .iter()
            .map(Trace::final_loss)
            .filter(|l| l.is_finite())
            .collect();
        let mean_final_loss = if finite.is_empty() {
            f64::NAN
        } else {
            finite.iter().sum::<f64>() / finite.len() as f64
        };
        let reached_global = match global {
            Some(m) => {
                let hits = traces
                    .iter()
                    .filter(|t| !t.diverged())
                    .filter_map(|t| t.final_point())
                    .filter(|p| {
                        p.len() == m.point.len()
                            && p.iter()
                                .zip(m.point.iter())
                                .map(|(a, b)| (a - b).powi(2))
                                .sum::<f64>()
                                .sqrt()
                                <= radius
                    })
                    .count();
                hits as f64 / n
            }
            None => f64::NAN,
        };
        let evals = |t: &Trace| {
            let c = t.total_counts();
            (c.cost + c.gradient + c.hessian + c.curvature) as f64
        };
        Self {
            optimizer: optimizer.to_string(),
            runs: traces.len(),
            mean_final_loss,
            reached_global,
            mean_iterations: traces.iter().map(|t| t.steps() as f64).sum::<f64>() / n,
            mean_evaluations: traces.iter().map(evals).sum::<f64>() / n,
            wall_ms: traces.iter().map(Trace::wall_ms).sum(),
            diverged: traces
                .iter()
                .filter(|t| matches!(t.stop, StopReason::Diverged(_)))
                .count(),
            failed: traces
                .iter()
                .filter(|t| matches!(t.stop, StopReason::Failed(_)))
                .count(),
        }
    }
}

/// The outcome of [`bakeoff`]: one row per contender, and every trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bakeoff {
    /// The landscape's name.
    pub problem: String,
    /// Its global minimum, if known.
    pub global: Option<Minimum>,
    /// The success radius used.
    pub success_radius: f64,
    /// One row per contender, in the contenders' order.
    pub rows: Vec<BakeoffRow>,
    /// Every trace: `traces[c][s]` is contender `c` from start `s`.
    pub traces: Vec<Vec<Trace>>,
}

/// Runs every contender from every start and summarises each.
///
/// Runs are sequential (so wall times do not compete for cores) and
/// deterministic: the same landscape, contenders, starts and configuration
/// give bit-identical traces except for their wall times.
///
/// # Errors
/// [`Error::InvalidConfig`] for an empty list of starts or contenders, a
/// start of the wrong dimension, a non-positive success radius, or an
/// invalid race configuration.
pub fn bakeoff<P: RaceProblem + Landscape>(
    problem: &P,
    contenders: &[Contender],
    starts: &[Array1<f64>],
    cfg: &BakeoffConfig,
) -> Result<Bakeoff> {
    cfg.race.validate()?;
    if contenders.is_empty() || starts.is_empty() {
        return Err(Error::InvalidConfig(
            "a bake-off needs contenders and starts".into(),
        ));
    }
    if let Some(bad) = starts.iter().find(|s| s.len() != problem.dim()) {
        return Err(Error::Shape(format!(
            "a start has {} entries, the landscape has dimension {}",
            bad.len(),
            problem.dim()
        )));
    }
    if !(cfg.success_radius.is_finite() && cfg.success_radius > 0.0) {
        return Err(Error::InvalidConfig(format!(
            "success radius must be finite and > 0, got {}",
            cfg.success_radius
        )));
    }
    let global = problem.global_minimum();
    let traces: Vec<Vec<Trace>> = contenders
        .iter()
        .map(|c| run_batch(problem, c, starts, &cfg.race))
        .collect();
    let rows = contenders
        .iter()
        .zip(&traces)
        .map(|(c, t)| BakeoffRow::from_traces(c.label(), t, global.as_ref(), cfg.success_radius))
        .collect();
    Ok(Bakeoff {
        problem: Landscape::name(problem),
        global,
        success_radius: cfg.success_radius,
        rows,
        traces,
    })
}

/// The contenders of the wells bake-off: document 002's list (GD, momentum,
/// Adam, Langevin GD with σ = 0.2, Newton, condition-adaptive GD, BFGS, all
/// with learning rate 0.1 where they have one) plus the crate's saddle-free
/// Newton and argmin's L-BFGS. Newton and saddle-free Newton use damping
/// `λ = 1e−3` (the wells' Hessian eigenvalues are of order 0.1–5).
pub fn wells_contenders() -> Vec<Contender> {
    vec![
        Contender::Race(OptimizerSpec::new(OptimizerKind::Gd).lr(0.1)),
        Contender::Race(
            OptimizerSpec::new(OptimizerKind::Momentum)
                .lr(0.1)
                .momentum(0.9),
        ),
        Contender::Race(OptimizerSpec::new(OptimizerKind::Adam).lr(0.1)),
        Contender::langevin(0.1, 0.2, 0),
        Contender::adaptive(0.1),
        Contender::Race(OptimizerSpec::new(OptimizerKind::Newton).damping(1e-3)),
        Contender::Race(OptimizerSpec::new(OptimizerKind::SaddleFree).damping(1e-3)),
        Contender::race(OptimizerKind::Bfgs),
        Contender::race(OptimizerKind::Lbfgs),
    ]
}

impl fmt::Display for Bakeoff {
    /// A fixed-width table, one line per optimizer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Bake-off on {}", self.problem)?;
        if let Some(g) = &self.global {
            let pt: Vec<String> = g.point.iter().map(|v| format!("{v:.4}")).collect();
            writeln!(
                f,
                "global minimum {:.6} at ({}); reached = final iterate within {} of it",
                g.value,
                pt.join(", "),
                self.success_radius
            )?;
        }
        let runs = self.rows.first().map_or(0, |r| r.runs);
        writeln!(f, "{runs} starts per optimizer")?;
        writeln!(
            f,
            "{:<22} {:>11} {:>8} {:>9} {:>10} {:>10} {:>5} {:>5}",
            "optimizer", "mean loss", "reached", "mean its", "mean evals", "wall ms", "div", "fail"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<22} {:>11.6} {:>7.1}% {:>9.1} {:>10.1} {:>10.1} {:>5} {:>5}",
                r.optimizer,
                r.mean_final_loss,
                100.0 * r.reached_global,
                r.mean_iterations,
                r.mean_evaluations,
                r.wall_ms,
                r.diverged,
                r.failed
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_are_seeded_and_in_range() {
        let a = uniform_starts(100, 2, (-3.0, 3.0), 7).unwrap();
        assert_eq!(a, uniform_starts(100, 2, (-3.0, 3.0), 7).unwrap());
        assert_ne!(a, uniform_starts(100, 2, (-3.0, 3.0), 8).unwrap());
        assert!(a.iter().flatten().all(|v| (-3.0..3.0).contains(v)));
        assert!(uniform_starts(0, 2, (-3.0, 3.0), 0).is_err());
        assert!(uniform_starts(3, 2, (1.0, 1.0), 0).is_err());
        assert_eq!(default_starts().len(), 100);
        assert_ne!(start_seed(0, 0), start_seed(0, 1));
    }

    #[test]
    fn contenders_parse() {
        assert_eq!(
            "langevin".parse::<Contender>().unwrap(),
            Contender::langevin(0.1, 0.2, 0)
        );
        assert_eq!(
            "Adaptive_GD".parse::<Contender>().unwrap(),
            Contender::adaptive(0.1)
        );
        assert_eq!(
            "bfgs".parse::<Contender>().unwrap(),
            Contender::race(OptimizerKind::Bfgs)
        );
        let err = "nope".parse::<Contender>().unwrap_err().to_string();
        assert!(err.contains("langevin") && err.contains("bfgs"), "{err}");
    }
}
