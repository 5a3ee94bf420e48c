//! Chapter 17: condition-number-adaptive gradient descent — one scalar step
//! size per iteration, read off the spectrum of the local Hessian.
//!
//! The rule of the many-dimensions notebook (seed 002, section "Adaptive
//! learning rates") is
//!
//! ```text
//! p_{k+1} = p_k − η / (κ(H_k) + ε) · ∇L(p_k),    κ(H) = max|λ_i(H)| / min|λ_i(H)|,
//! ```
//!
//! implemented by [`AdaptiveGd`] with [`StepScale::Condition`]; the variants
//! `η / max|λ|` ([`StepScale::LambdaMax`]) and `η / (max|λ| + min|λ|)`
//! ([`StepScale::SumAbs`]) divide by a curvature instead of a ratio.
//!
//! This module measures three things.
//! - On a quadratic `H` is constant, so every variant is gradient descent
//!   with a fixed step; `κ` is scale-free (`κ(cH) = κ(H)`) while gradient
//!   descent's stability limit `2/λ_max` is not, so the `κ` rule's base rate
//!   must be tuned to the curvature's scale ([`scaled_bowls`]).
//! - On the Gaussian wells and the XOR slices, from many starts: steps to a
//!   gradient tolerance, final loss and end points against plain gradient
//!   descent at its best fixed step ([`run_starts`], [`lr_sweep`]).
//! - Where the Hessian is indefinite or singular: the sign of the Hessian
//!   at every iterate, the effective step `η_k` there, and whether a run
//!   that starts outside a convex region ever enters one
//!   ([`Starts::curvature_stats`]).
//!
//! # References
//! - *Optimization in many dimensions*, course notebook, The University of
//!   Texas at Austin, section "Adaptive learning rates" (seed 002).
//! - Y. Nesterov, *Introductory Lectures on Convex Optimization*, 2004,
//!   §2.1.5 (the steps `1/L` and `2/(μ + L)` on a quadratic).
//! - G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., 2013,
//!   §8.3 (the symmetric QR algorithm: `O(D³)` for the full spectrum).

use crate::stats::median;
use std::fmt;

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::momentum::{bowl_config, steps_to_distance};
use crate::curvature::eigenvalues;
use crate::error::{Error, Result};
use crate::landscapes::{Landscape, Quadratic};
use crate::plot::{LegendCorner, Series, SeriesChart, SeriesStyle};
use crate::race::{run_solver, run_solver_with, RaceConfig, RaceProblem};
use crate::solvers::GradientDescent;
use crate::trace::Trace;

pub use super::noise::batch_paths_figure;
pub use crate::landscapes::Minimum;
pub use crate::solvers::{AdaptiveGd, AdaptiveRule, AdaptiveStep, StepScale, LINEAR_SOLVE_COUNT};

/// The long axis of the bowls of [`scaled_bowls`], 30° from the `x` axis
/// (any angle gives the same counts: every method here is rotation-invariant).
pub const BOWL_ANGLE_DEG: f64 = 30.0;

/// One bowl of [`scaled_bowls`]: `H = c · R diag(1, κ) Rᵀ`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BowlRow {
    /// Condition number `κ`.
    pub kappa: f64,
    /// Scale `c`: the eigenvalues are `c` and `c κ`.
    pub scale: f64,
    /// Gradient descent's stability limit `2/λ_max`.
    pub gd_limit: f64,
    /// Gradient descent's best fixed step `2/(λ_min + λ_max)`.
    pub gd_best: f64,
    /// The largest stable base rate of the `κ` rule, `κ · 2/λ_max = 2/λ_min`.
    pub kappa_limit: f64,
    /// The best base rate of the `κ` rule, `κ · 2/(λ_min + λ_max)`.
    pub kappa_best: f64,
    /// Steps to `rel_tol` of the starting distance (`None`: not within the
    /// iteration limit, or diverged), in the order of [`ScaledBowls::methods`].
    pub steps: Vec<Option<usize>>,
    /// Whether each run diverged, same order.
    pub diverged: Vec<bool>,
}

/// The three step-size rules and gradient descent at its best step on
/// bowls of several condition numbers and scales.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaledBowls {
    /// Column labels.
    pub methods: Vec<String>,
    /// Relative distance that counts as arrived.
    pub rel_tol: f64,
    /// Iteration limit.
    pub max_iters: u64,
    /// One row per (κ, c), κ outermost.
    pub rows: Vec<BowlRow>,
}

/// Runs, on the bowl with eigenvalues `c` and `c κ` (long axis at
/// [`BOWL_ANGLE_DEG`], start [`Quadratic`]'s own) for every `κ` of `kappas`
/// and `c` of `scales`: the `κ` rule with base rate `lr`, the `η/max|λ|`
/// rule with `η = 1`, the `η/(max|λ| + min|λ|)` rule with `η = 2`, and
/// gradient descent at `2/(λ_min + λ_max)`; counts the steps until the
/// distance to the minimum is `rel_tol` of the start's.
///
/// Since `H` is constant, the `κ` rule is gradient descent with the fixed
/// step `h = lr/κ`: it converges iff `h λ_max < 2`, i.e. `lr < 2/λ_min`.
///
/// # Errors
/// [`Error::InvalidConfig`] for `κ < 1`, `c ≤ 0`, `lr ≤ 0` or `rel_tol`
/// outside `(0, 1)`.
pub fn scaled_bowls(
    kappas: &[f64],
    scales: &[f64],
    lr: f64,
    rel_tol: f64,
    max_iters: u64,
) -> Result<ScaledBowls> {
    if !(lr.is_finite() && lr > 0.0 && rel_tol > 0.0 && rel_tol < 1.0) {
        return Err(Error::InvalidConfig(format!(
            "need lr > 0 and rel_tol in (0, 1), got {lr} and {rel_tol}"
        )));
    }
    let methods = vec![
        format!("κ rule, η = {lr}"),
        "λmax rule, η = 1".to_string(),
        "sum rule, η = 2".to_string(),
        "GD, best step".to_string(),
    ];
    let mut rows = Vec::new();
    for &kappa in kappas {
        for &c in scales {
            if !(kappa >= 1.0 && c > 0.0 && (c * kappa).is_finite()) {
                return Err(Error::InvalidConfig(format!(
                    "need κ >= 1 and c > 0, got κ = {kappa}, c = {c}"
                )));
            }
            let bowl = Quadratic::new(c, c * kappa, BOWL_ANGLE_DEG.to_radians())?;
            let start = bowl.start();
            let d0 = start.mapv(|v| v * v).sum().sqrt();
            let cfg = bowl_config(max_iters, d0 * rel_tol * 1e-6);
            let adaptive = |lr: f64, scale: StepScale| -> Result<Trace> {
                let solver = AdaptiveGd::new(lr)
                    .and_then(|s| s.with_scale(scale))
                    .map_err(|e| Error::InvalidConfig(e.to_string()))?;
                Ok(run_solver(&bowl, &start, "adaptive", solver, &cfg))
            };
            let gd = GradientDescent::new(bowl.best_step())
                .map_err(|e| Error::InvalidConfig(e.to_string()))?;
            let traces = [
                adaptive(lr, StepScale::Condition { eps: 1e-12 })?,
                adaptive(1.0, StepScale::LambdaMax)?,
                adaptive(2.0, StepScale::SumAbs)?,
                run_solver(&bowl, &start, "GD", gd, &cfg),
            ];
            let (lo, hi) = bowl.eigenvalues();
            rows.push(BowlRow {
                kappa,
                scale: c,
                gd_limit: 2.0 / hi,
                gd_best: 2.0 / (lo + hi),
                kappa_limit: 2.0 / lo,
                kappa_best: kappa * 2.0 / (lo + hi),
                steps: traces
                    .iter()
                    .map(|t| steps_to_distance(t, &[0.0, 0.0], rel_tol))
                    .collect(),
                diverged: traces.iter().map(Trace::diverged).collect(),
            });
        }
    }
    Ok(ScaledBowls {
        methods,
        rel_tol,
        max_iters,
        rows,
    })
}

impl ScaledBowls {
    /// The row for `κ` and `c`, if it was run.
    pub fn row(&self, kappa: f64, scale: f64) -> Option<&BowlRow> {
        self.rows
            .iter()
            .find(|r| r.kappa == kappa && r.scale == scale)
    }
}

fn steps_cell(steps: Option<usize>, diverged: bool) -> String {
    match (steps, diverged) {
        (Some(s), _) => s.to_string(),
        (None, true) => "diverged".into(),
        (None, false) => "> limit".into(),
    }
}

impl fmt::Display for ScaledBowls {
    /// One line per bowl: κ, c, the step limits, and the steps of each method.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "steps until the distance to the minimum is {:e} of the start's (limit {})",
            self.rel_tol, self.max_iters
        )?;
        write!(
            f,
            "{:>5} {:>6} {:>9} {:>9} {:>10} {:>10}",
            "κ", "c", "2/λmax", "2/(λ+λ)", "κ: max η", "κ: best η"
        )?;
        for m in &self.methods {
            write!(f, " {m:>18}")?;
        }
        writeln!(f)?;
        for r in &self.rows {
            write!(
                f,
                "{:>5} {:>6} {:>9.4} {:>9.4} {:>10.3} {:>10.3}",
                r.kappa, r.scale, r.gd_limit, r.gd_best, r.kappa_limit, r.kappa_best
            )?;
            for (s, d) in r.steps.iter().zip(&r.diverged) {
                write!(f, " {:>18}", steps_cell(*s, *d))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Which optimizer [`run_starts`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Method {
    /// Plain gradient descent with a fixed step.
    Gd,
    /// [`AdaptiveGd`] with the given step scale.
    Adaptive(StepScale),
}

impl Method {
    /// The `κ` rule with the default `ε = 1e−12`.
    pub const KAPPA: Method = Method::Adaptive(StepScale::Condition { eps: 1e-12 });

    /// A short name.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Gd => "GD",
            Method::Adaptive(StepScale::Condition { .. }) => "κ rule",
            Method::Adaptive(StepScale::LambdaMax) => "λmax rule",
            Method::Adaptive(StepScale::SumAbs) => "sum rule",
        }
    }
}

/// Settings of a many-start run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StartsConfig {
    /// Iteration limit of every run.
    pub max_iters: u64,
    /// A run has *arrived* at the first iterate with `‖∇L‖ < grad_tol`; it
    /// stops there.
    pub grad_tol: f64,
    /// The step-norm tolerance of a race (1e-6 in the bake-off of chapter
    /// 12), used only to report when such a stop would have ended a run.
    pub race_step_tol: f64,
}

impl Default for StartsConfig {
    /// 1000 iterations, `‖∇L‖ < 1e−4`, race step tolerance `1e−6`.
    fn default() -> Self {
        Self {
            max_iters: 1000,
            grad_tol: 1e-4,
            race_step_tol: 1e-6,
        }
    }
}

/// The sign class of a 2-D Hessian (as [`crate::plot::CurvatureGrid::class`]
/// with tolerance 0): the number of positive eigenvalues, 0 (dome),
/// 1 (saddle) or 2 (bowl); `None` where an eigenvalue is exactly zero or
/// the Hessian is not finite.
pub fn sign_class(ev: &Array1<f64>) -> Option<u8> {
    if ev.iter().any(|v| !v.is_finite() || *v == 0.0) {
        return None;
    }
    Some(ev.iter().filter(|v| **v > 0.0).count() as u8)
}

/// One run of [`run_starts`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StartRun {
    /// The first iteration with `‖∇L‖ < grad_tol`.
    pub arrived: Option<usize>,
    /// Whether the run arrived at a point whose Hessian is positive
    /// definite: a local minimum, not a saddle or the flat far field.
    pub at_minimum: bool,
    /// The first iteration whose step was shorter than the race's step
    /// tolerance while `‖∇L‖ ≥ grad_tol`: where a race would have stopped
    /// the run away from a stationary point.
    pub short_step_at: Option<usize>,
    /// Whether the run diverged.
    pub diverged: bool,
    /// Effective step size `η_k = ‖p_{k+1} − p_k‖ / ‖∇L(p_k)‖` of every step.
    pub rates: Vec<f64>,
    /// `κ(H(p_k))` at every iterate.
    pub conditions: Vec<f64>,
    /// [`sign_class`] of `H(p_k)` at every iterate (the number of positive
    /// eigenvalues; 3 stands for "undefined").
    pub classes: Vec<u8>,
    /// The run.
    pub trace: Trace,
}

impl StartRun {
    /// Whether the run ever stood at a point with a positive-definite Hessian.
    pub fn ever_in_bowl(&self) -> bool {
        self.classes.contains(&2)
    }
}

/// One optimizer from many starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Starts {
    /// Name of the problem.
    pub problem: String,
    /// The optimizer.
    pub method: Method,
    /// Its (base) learning rate.
    pub lr: f64,
    /// The settings.
    pub config: StartsConfig,
    /// One run per start, in order.
    pub runs: Vec<StartRun>,
}

/// What [`Starts::curvature_stats`] measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvatureStats {
    /// Share of starts whose Hessian is not positive definite.
    pub starts_indefinite: f64,
    /// Share of all steps taken from an iterate whose Hessian is not
    /// positive definite.
    pub steps_indefinite: f64,
    /// Median effective step `η_k / η` over steps taken from a bowl
    /// (positive-definite Hessian), from a saddle region and from a dome.
    pub median_rate: [f64; 3],
    /// Among runs that start outside a bowl region: the share that ever
    /// stands at a point with a positive-definite Hessian.
    pub entered_bowl: f64,
    /// Share of runs that end (not arrived) with `κ > 10³` at the last iterate.
    pub stuck_high_kappa: f64,
    /// Share of runs with a step shorter than the race tolerance away from a
    /// stationary point ([`StartRun::short_step_at`]).
    pub short_step: f64,
}

impl Starts {
    /// Share of runs that arrived (anywhere: at a minimum, a saddle or on a
    /// plateau).
    pub fn arrived_fraction(&self) -> f64 {
        self.share(|r| r.arrived.is_some())
    }

    /// Share of runs that arrived at a local minimum ([`StartRun::at_minimum`]).
    pub fn minimum_fraction(&self) -> f64 {
        self.share(|r| r.at_minimum)
    }

    /// Median iterations to arrive over the runs that arrived at a local
    /// minimum (NaN if none).
    pub fn median_arrival(&self) -> f64 {
        let v: Vec<f64> = self
            .runs
            .iter()
            .filter(|r| r.at_minimum)
            .filter_map(|r| r.arrived.map(|k| k as f64))
            .collect();
        median(&v)
    }

    /// Median final loss over all runs (a diverged run counts as `+∞`).
    pub fn median_final_loss(&self) -> f64 {
        let v: Vec<f64> = self
            .runs
            .iter()
            .map(|r| {
                if r.diverged {
                    f64::INFINITY
                } else {
                    r.trace.final_loss()
                }
            })
            .collect();
        median(&v)
    }

    /// Share of runs whose final iterate lies within `radius` of `point`.
    pub fn reached_fraction(&self, point: &Array1<f64>, radius: f64) -> f64 {
        self.share(|r| {
            r.trace.final_point().is_some_and(|p| {
                p.iter()
                    .zip(point.iter())
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    .sqrt()
                    <= radius
            })
        })
    }

    /// Share of runs that diverged.
    pub fn diverged_fraction(&self) -> f64 {
        self.share(|r| r.diverged)
    }

    fn share(&self, f: impl Fn(&StartRun) -> bool) -> f64 {
        if self.runs.is_empty() {
            return f64::NAN;
        }
        self.runs.iter().filter(|r| f(r)).count() as f64 / self.runs.len() as f64
    }

    /// The traces, in the order of the starts.
    pub fn traces(&self) -> Vec<Trace> {
        self.runs.iter().map(|r| r.trace.clone()).collect()
    }

    /// The curvature along the runs (see [`CurvatureStats`]).
    pub fn curvature_stats(&self) -> CurvatureStats {
        let mut by_class: [Vec<f64>; 3] = Default::default();
        let (mut steps, mut steps_bad) = (0usize, 0usize);
        for r in &self.runs {
            for (k, &rate) in r.rates.iter().enumerate() {
                let c = r.classes.get(k).copied().unwrap_or(3);
                steps += 1;
                if c != 2 {
                    steps_bad += 1;
                }
                if c < 3 && rate.is_finite() {
                    by_class[c as usize].push(rate / self.lr);
                }
            }
        }
        let outside: Vec<&StartRun> = self
            .runs
            .iter()
            .filter(|r| r.classes.first() != Some(&2))
            .collect();
        let entered = if outside.is_empty() {
            f64::NAN
        } else {
            outside.iter().filter(|r| r.ever_in_bowl()).count() as f64 / outside.len() as f64
        };
        CurvatureStats {
            starts_indefinite: self.share(|r| r.classes.first() != Some(&2)),
            steps_indefinite: if steps == 0 {
                f64::NAN
            } else {
                steps_bad as f64 / steps as f64
            },
            median_rate: [
                median(&by_class[2]),
                median(&by_class[1]),
                median(&by_class[0]),
            ],
            entered_bowl: entered,
            stuck_high_kappa: self
                .share(|r| r.arrived.is_none() && r.conditions.last().is_some_and(|&k| k > 1e3)),
            short_step: self.share(|r| r.short_step_at.is_some()),
        }
    }
}

impl fmt::Display for Starts {
    /// One line: method, rate, arrived anywhere, arrived at a minimum, median
    /// steps to a minimum, median final loss, diverged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<10} η = {:<6} {:>7.0}% {:>9.0}% {:>12.1} {:>11.4} {:>9.0}%",
            self.method.name(),
            self.lr,
            100.0 * self.arrived_fraction(),
            100.0 * self.minimum_fraction(),
            self.median_arrival(),
            self.median_final_loss(),
            100.0 * self.diverged_fraction()
        )
    }
}

impl fmt::Display for CurvatureStats {
    /// The measurements, one per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "starts where H is not positive definite: {:>5.1}%",
            100.0 * self.starts_indefinite
        )?;
        writeln!(
            f,
            "steps taken where H is not positive definite: {:>5.1}%",
            100.0 * self.steps_indefinite
        )?;
        writeln!(
            f,
            "median η_k/η: bowl {:.2e}, saddle {:.2e}, dome {:.2e}",
            self.median_rate[0], self.median_rate[1], self.median_rate[2]
        )?;
        writeln!(
            f,
            "runs starting outside a bowl that ever enter one: {:>5.1}%",
            100.0 * self.entered_bowl
        )?;
        writeln!(
            f,
            "runs ending unarrived with κ > 1e3: {:>5.1}%",
            100.0 * self.stuck_high_kappa
        )?;
        write!(
            f,
            "runs with a step < race tol while |g| >= tol: {:>5.1}%",
            100.0 * self.short_step
        )
    }
}

/// Runs `method` with (base) rate `lr` from every start of `starts` on
/// `problem` and measures each run.
///
/// Gradient descent runs with the race's step-norm stop at `lr · grad_tol`
/// (its step is `lr ∇L`, so this stops at `‖∇L‖ < grad_tol`);
/// [`AdaptiveGd`] with its own gradient stop
/// ([`AdaptiveGd::with_grad_tol`]) and no step-norm stop. Every iterate's
/// Hessian is evaluated afterwards for its condition number and sign class
/// (not counted as the optimizer's work).
///
/// # Errors
/// [`Error::InvalidConfig`] for a non-positive `lr` or `grad_tol`, or no
/// starts; [`Error::Linalg`] if a Hessian along a run is not finite.
pub fn run_starts<P: RaceProblem>(
    problem: &P,
    method: Method,
    lr: f64,
    starts: &[Array1<f64>],
    config: &StartsConfig,
) -> Result<Starts> {
    if !(lr.is_finite() && lr > 0.0 && config.grad_tol > 0.0 && !starts.is_empty()) {
        return Err(Error::InvalidConfig(format!(
            "need lr > 0, grad_tol > 0 and at least one start, got {lr}, {} and {} starts",
            config.grad_tol,
            starts.len()
        )));
    }
    let bad = |e: argmin::core::Error| Error::InvalidConfig(e.to_string());
    let mut runs = Vec::with_capacity(starts.len());
    for start in starts {
        let cfg = RaceConfig {
            max_iters: config.max_iters,
            tol: if method == Method::Gd {
                lr * config.grad_tol
            } else {
                0.0
            },
            max_recorded: usize::try_from(config.max_iters)
                .unwrap_or(usize::MAX)
                .saturating_add(2),
            ..RaceConfig::default()
        };
        let trace = match method {
            Method::Gd => run_solver(
                problem,
                start,
                "GD",
                GradientDescent::new(lr).map_err(bad)?,
                &cfg,
            ),
            Method::Adaptive(scale) => {
                let solver = AdaptiveGd::new(lr)
                    .and_then(|s| s.with_scale(scale))
                    .and_then(|s| s.with_grad_tol(config.grad_tol))
                    .map_err(bad)?;
                run_solver_with(problem, start, method.name(), solver, &cfg, |s| s).trace
            }
        };
        runs.push(measure(problem, trace, config)?);
    }
    Ok(Starts {
        problem: problem.race_name(),
        method,
        lr,
        config: config.clone(),
        runs,
    })
}

fn measure<P: RaceProblem>(problem: &P, trace: Trace, config: &StartsConfig) -> Result<StartRun> {
    let n = trace.iterates.len();
    let mut conditions = Vec::with_capacity(n);
    let mut classes = Vec::with_capacity(n);
    for p in &trace.iterates {
        let p = Array1::from(p.clone());
        let h = problem
            .hessian(&p)
            .map_err(|e| Error::Linalg(e.to_string()))?;
        let ev = if h.iter().all(|v| v.is_finite()) {
            eigenvalues(&h)?
        } else {
            Array1::from_elem(h.nrows(), f64::NAN)
        };
        let max = ev.iter().fold(0.0_f64, |a, &b| a.max(b.abs()));
        let min = ev.iter().fold(f64::INFINITY, |a, &b| a.min(b.abs()));
        conditions.push(if min == 0.0 { f64::INFINITY } else { max / min });
        classes.push(sign_class(&ev).unwrap_or(3));
    }
    let mut rates = Vec::with_capacity(n.saturating_sub(1));
    let mut short_step_at = None;
    for k in 0..n.saturating_sub(1) {
        let step = trace.iterates[k + 1]
            .iter()
            .zip(&trace.iterates[k])
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        let g = trace.grad_norm[k];
        rates.push(if g > 0.0 { step / g } else { f64::NAN });
        if short_step_at.is_none() && step < config.race_step_tol && g >= config.grad_tol {
            short_step_at = Some(k);
        }
    }
    let arrived = trace.grad_norm.iter().position(|&g| g < config.grad_tol);
    let at_minimum = arrived.is_some_and(|k| classes.get(k) == Some(&2));
    Ok(StartRun {
        arrived,
        at_minimum,
        short_step_at,
        diverged: trace.diverged(),
        rates,
        conditions,
        classes,
        trace,
    })
}

/// [`run_starts`] for every rate of `lrs`; the *best* rate is the one with
/// the most arrivals at a local minimum, ties broken by the smaller median
/// number of steps.
///
/// # Errors
/// As [`run_starts`], and [`Error::InvalidConfig`] if `lrs` is empty.
pub fn lr_sweep<P: RaceProblem>(
    problem: &P,
    method: Method,
    lrs: &[f64],
    starts: &[Array1<f64>],
    config: &StartsConfig,
) -> Result<Sweep> {
    if lrs.is_empty() {
        return Err(Error::InvalidConfig(
            "an empty list of learning rates".into(),
        ));
    }
    let runs = lrs
        .iter()
        .map(|&lr| run_starts(problem, method, lr, starts, config))
        .collect::<Result<Vec<_>>>()?;
    let mut best = 0;
    for (i, s) in runs.iter().enumerate() {
        let b = &runs[best];
        let (a, ab) = (s.minimum_fraction(), b.minimum_fraction());
        if a > ab || (a == ab && s.median_arrival() < b.median_arrival()) {
            best = i;
        }
    }
    Ok(Sweep { runs, best })
}

/// The result of [`lr_sweep`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// One many-start run per rate, in the order given.
    pub runs: Vec<Starts>,
    /// Index of the best rate.
    pub best: usize,
}

impl Sweep {
    /// The many-start run at the best rate.
    pub fn best(&self) -> &Starts {
        &self.runs[self.best]
    }
}

impl fmt::Display for Sweep {
    /// A header, then one line per rate, the best marked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<19} {:>8} {:>10} {:>12} {:>11} {:>10}",
            "method", "arrived", "at a min.", "median steps", "median loss", "diverged"
        )?;
        for (i, s) in self.runs.iter().enumerate() {
            let mark = if i == self.best { "  <- best" } else { "" };
            writeln!(f, "{s}{mark}")?;
        }
        Ok(())
    }
}

/// The effective step `η_k/η` (or `κ_k`, with `kappa = true`) against the
/// iteration for the runs of `starts` listed in `which`, on a log axis.
///
/// # Errors
/// [`Error::InvalidConfig`] if an index is out of range.
pub fn along_runs_chart(starts: &Starts, which: &[usize], kappa: bool) -> Result<SeriesChart> {
    let (title, y) = if kappa {
        (
            format!(
                "κ(H) along {} runs of the {}",
                which.len(),
                starts.method.name()
            ),
            "κ(H_k)",
        )
    } else {
        (
            format!(
                "Effective step η_k/η along {} runs of the {}",
                which.len(),
                starts.method.name()
            ),
            "η_k / η",
        )
    };
    let mut chart = SeriesChart::new(title, "iteration k", y).legend_at(LegendCorner::LowerLeft);
    chart.log_y = true;
    for (c, &i) in which.iter().enumerate() {
        let r = starts.runs.get(i).ok_or_else(|| {
            Error::InvalidConfig(format!("run {i} of {} does not exist", starts.runs.len()))
        })?;
        let points: Vec<(f64, f64)> = if kappa {
            r.conditions
                .iter()
                .enumerate()
                .map(|(k, &v)| (k as f64, v))
                .collect()
        } else {
            r.rates
                .iter()
                .enumerate()
                .map(|(k, &v)| (k as f64, v / starts.lr))
                .collect()
        };
        let p0 = r.trace.iterates.first().cloned().unwrap_or_default();
        let label = format!(
            "start ({})",
            p0.iter()
                .map(|v| format!("{v:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        chart
            .series
            .push(Series::new(label, points, SeriesStyle::Line, c));
    }
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landscapes::GaussianWells;
    use crate::race::multistart::uniform_starts;
    use ndarray::array;

    #[test]
    fn kappa_rule_is_scale_free_and_the_others_are_not() {
        let t = scaled_bowls(&[10.0], &[0.01, 1.0, 100.0], 0.1, 1e-3, 3000).unwrap();
        let (small, one, big) = (&t.rows[0], &t.rows[1], &t.rows[2]);
        // λmax rule, sum rule and GD at its best step: the same count at every scale.
        for m in 1..4 {
            assert_eq!(small.steps[m], one.steps[m]);
            assert_eq!(big.steps[m], one.steps[m]);
        }
        // The sum rule with η = 2 is GD at its best step.
        assert_eq!(one.steps[2], one.steps[3]);
        // The κ rule: slow at small scale, diverges at large.
        assert!(small.steps[0].is_none() && !small.diverged[0]);
        assert!(big.diverged[0]);
        assert!((one.kappa_limit - 2.0).abs() < 1e-12);
    }

    #[test]
    fn sign_classes() {
        assert_eq!(sign_class(&array![1.0, 2.0]), Some(2));
        assert_eq!(sign_class(&array![-1.0, 2.0]), Some(1));
        assert_eq!(sign_class(&array![-1.0, -2.0]), Some(0));
        assert_eq!(sign_class(&array![0.0, 2.0]), None);
    }

    #[test]
    fn starts_measure_and_validate() {
        let wells = GaussianWells::course();
        let starts = uniform_starts(4, 2, (-3.0, 3.0), 0).unwrap();
        let cfg = StartsConfig {
            max_iters: 50,
            ..StartsConfig::default()
        };
        assert!(run_starts(&wells, Method::Gd, -1.0, &starts, &cfg).is_err());
        let s = run_starts(&wells, Method::KAPPA, 0.1, &starts, &cfg).unwrap();
        assert_eq!(s.runs.len(), 4);
        for r in &s.runs {
            assert_eq!(r.classes.len(), r.trace.iterates.len());
            assert_eq!(r.rates.len() + 1, r.trace.iterates.len());
            // The κ rule's effective step is η/(κ + ε) at every step.
            for (k, &rate) in r.rates.iter().enumerate() {
                let want = 0.1 / (r.conditions[k] + 1e-12);
                assert!(
                    (rate - want).abs() <= 1e-9 * want.max(1e-300),
                    "{rate} vs {want}"
                );
            }
        }
        let st = s.curvature_stats();
        assert!((0.0..=1.0).contains(&st.steps_indefinite));
        assert!(along_runs_chart(&s, &[0, 9], false).is_err());
        assert_eq!(along_runs_chart(&s, &[0, 1], true).unwrap().series.len(), 2);
    }
}
