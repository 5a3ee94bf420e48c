//! Chapter 3: heavy-ball and Nesterov momentum on the quadratic bowl.
//!
//! On `f(x) = ½ xᵀAx` every first-order method with fixed hyperparameters
//! is a linear recurrence, so its speed is the spectral radius of a small
//! matrix per eigendirection of `A`. This module gives those radii
//! ([`mode_rate`], [`predicted_rate`]), the classical tunings
//! ([`gd_tuning`], [`polyak_tuning`], [`nesterov_tuning`]), and the
//! measurements that check them on real runs of the crate's
//! [`GradientDescent`](crate::solvers::GradientDescent) through the race
//! ([`compare_on_bowl`], [`momentum_sweep`]).
//!
//! # The rates
//! Along an eigendirection with eigenvalue `λ`, write `e_k` for the error.
//!
//! - Gradient descent: `e_{k+1} = (1 − ηλ) e_k`, rate `|1 − ηλ|`.
//! - Heavy ball, `p_{k+1} = p_k − η∇f(p_k) + β(p_k − p_{k−1})`:
//!   `e_{k+1} = (1 + β − ηλ) e_k − β e_{k−1}`, whose characteristic
//!   polynomial is `z² − (1 + β − ηλ) z + β`; the rate is its largest root
//!   in modulus, `√β` when the roots are complex (an underdamped mode).
//! - Nesterov (the crate's PyTorch form, iterates at the look-ahead points):
//!   `z² − (1 + β) q z + β q` with `q = 1 − ηλ`.
//!
//! Gradient descent at its best step `2/(λ_min + λ_max)` contracts by
//! `(κ − 1)/(κ + 1)`. The heavy ball is fastest when both extreme modes are
//! critically damped (a double root), `√β = 1 − √(ηλ_min) = √(ηλ_max) − 1`,
//! which gives Polyak's
//!
//! ```text
//! η = 4/(√λ_max + √λ_min)²,   β = ((√κ − 1)/(√κ + 1))²,   rate (√κ − 1)/(√κ + 1).
//! ```
//!
//! Nesterov's tuning for `λ_min`-strongly convex, `λ_max`-smooth functions,
//! `η = 1/λ_max`, `β = (√κ − 1)/(√κ + 1)`, has rate `1 − 1/√κ` on a quadratic.
//!
//! # References
//! - B. T. Polyak, *Some methods of speeding up the convergence of iteration
//!   methods*, USSR Comput. Math. Math. Phys. 4(5), 1964 (and *Introduction to
//!   Optimization*, 1987, §3.2.1).
//! - Y. Nesterov, *Introductory Lectures on Convex Optimization*, 2004, §2.2.
//! - L. Lessard, B. Recht, A. Packard, *Analysis and design of optimization
//!   algorithms via integral quadratic constraints*, SIAM J. Optim. 26(1), 2016
//!   (the rates above on quadratics, and a smooth strongly convex function on
//!   which Polyak's tuning of the heavy ball fails to converge).
//! - G. Goh, *Why momentum really works*, Distill, 2017.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::landscapes::{Landscape, Quadratic};
use crate::plot::{view_bounds, LegendCorner, LossGrid, Series, SeriesChart, SeriesStyle};
use crate::race::{self, OptimizerKind, OptimizerSpec, RaceConfig};
pub use crate::solvers::Momentum;
use crate::trace::Trace;

/// A choice of step and momentum with the contraction per step it predicts
/// on a quadratic with the given eigenvalues.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tuning {
    /// Learning rate `η`.
    pub lr: f64,
    /// Momentum variant and coefficient `β`.
    pub momentum: Momentum,
    /// The predicted rate ([`predicted_rate`]) at these settings.
    pub rate: f64,
}

impl Tuning {
    /// The momentum coefficient `β` (0 for plain gradient descent).
    pub fn beta(&self) -> f64 {
        match self.momentum {
            Momentum::None => 0.0,
            Momentum::HeavyBall(b) | Momentum::Nesterov(b) => b,
        }
    }
}

/// `0 < x < 1` (false for NaN).
pub(crate) fn in_open_unit(x: f64) -> bool {
    x > 0.0 && x < 1.0
}

fn check_spectrum(lambda_min: f64, lambda_max: f64) -> Result<()> {
    if lambda_min.is_finite()
        && lambda_max.is_finite()
        && 0.0 < lambda_min
        && lambda_min <= lambda_max
    {
        Ok(())
    } else {
        Err(Error::InvalidConfig(format!(
            "a tuning needs finite eigenvalues 0 < λ_min ≤ λ_max, got {lambda_min} and {lambda_max}"
        )))
    }
}

/// Gradient descent at its best fixed step `η = 2/(λ_min + λ_max)`, rate
/// `(κ − 1)/(κ + 1)`.
///
/// # Errors
/// [`Error::InvalidConfig`] unless `0 < lambda_min ≤ lambda_max` are finite.
pub fn gd_tuning(lambda_min: f64, lambda_max: f64) -> Result<Tuning> {
    check_spectrum(lambda_min, lambda_max)?;
    let lr = 2.0 / (lambda_min + lambda_max);
    let momentum = Momentum::None;
    Ok(Tuning {
        lr,
        momentum,
        rate: predicted_rate(momentum, lr, (lambda_min, lambda_max)),
    })
}

/// Polyak's optimal heavy ball: `η = 4/(√λ_max + √λ_min)²`,
/// `β = ((√κ − 1)/(√κ + 1))²`, rate `(√κ − 1)/(√κ + 1)`.
///
/// Both extreme eigendirections are critically damped (their characteristic
/// polynomials have a double root `√β`), and every direction in between is
/// underdamped with modulus `√β`.
///
/// # Errors
/// [`Error::InvalidConfig`] unless `0 < lambda_min ≤ lambda_max` are finite.
pub fn polyak_tuning(lambda_min: f64, lambda_max: f64) -> Result<Tuning> {
    check_spectrum(lambda_min, lambda_max)?;
    let (a, b) = (lambda_min.sqrt(), lambda_max.sqrt());
    let lr = 4.0 / (a + b).powi(2);
    let r = (b - a) / (b + a);
    let momentum = Momentum::HeavyBall(r * r);
    Ok(Tuning {
        lr,
        momentum,
        rate: predicted_rate(momentum, lr, (lambda_min, lambda_max)),
    })
}

/// Nesterov's constant-momentum tuning: `η = 1/λ_max`,
/// `β = (√κ − 1)/(√κ + 1)`, rate `1 − 1/√κ` on a quadratic.
///
/// # Errors
/// [`Error::InvalidConfig`] unless `0 < lambda_min ≤ lambda_max` are finite.
pub fn nesterov_tuning(lambda_min: f64, lambda_max: f64) -> Result<Tuning> {
    check_spectrum(lambda_min, lambda_max)?;
    let sk = (lambda_max / lambda_min).sqrt();
    let lr = 1.0 / lambda_max;
    let momentum = Momentum::Nesterov((sk - 1.0) / (sk + 1.0));
    Ok(Tuning {
        lr,
        momentum,
        rate: predicted_rate(momentum, lr, (lambda_min, lambda_max)),
    })
}

/// The largest modulus of the roots of `z² − a z + c` (real `a`, `c`).
fn root_modulus(a: f64, c: f64) -> f64 {
    let d = a * a - 4.0 * c;
    if d < 0.0 {
        c.sqrt()
    } else {
        let s = d.sqrt();
        (a + s).abs().max((a - s).abs()) / 2.0
    }
}

/// The contraction per step of one eigendirection (eigenvalue `lambda`) of a
/// quadratic under gradient descent with step `lr` and `momentum`: the
/// spectral radius of the method's linear recurrence on that direction
/// (see the module doc). A value above 1 means the direction diverges.
pub fn mode_rate(momentum: Momentum, lr: f64, lambda: f64) -> f64 {
    let q = 1.0 - lr * lambda;
    match momentum {
        Momentum::None => q.abs(),
        Momentum::HeavyBall(b) => root_modulus(1.0 + b - lr * lambda, b),
        Momentum::Nesterov(b) => root_modulus((1.0 + b) * q, b * q),
    }
}

/// The contraction per step on a quadratic with eigenvalues in
/// `[λ_min, λ_max]`: the larger of the two extreme directions' rates.
///
/// For the three methods here the rate of an intermediate eigenvalue never
/// exceeds the larger of the two ends (the modulus is `√β` or `√(βq)` in the
/// complex range and monotone in `λ` outside it), so two evaluations suffice.
pub fn predicted_rate(momentum: Momentum, lr: f64, (lambda_min, lambda_max): (f64, f64)) -> f64 {
    mode_rate(momentum, lr, lambda_min).max(mode_rate(momentum, lr, lambda_max))
}

/// The number of steps `ln(rel_tol) / ln(rate)` that a contraction `rate`
/// needs to shrink the error by `rel_tol` (transients ignored); infinite for
/// `rate ≥ 1`.
pub fn predicted_steps(rate: f64, rel_tol: f64) -> f64 {
    if rate < 1.0 && rate > 0.0 {
        rel_tol.ln() / rate.ln()
    } else if rate <= 0.0 {
        1.0
    } else {
        f64::INFINITY
    }
}

/// The distance of every iterate of `trace` to `minimiser` (NaN for an
/// iterate of the wrong length).
pub fn distances(trace: &Trace, minimiser: &[f64]) -> Vec<f64> {
    trace
        .iterates
        .iter()
        .map(|p| {
            if p.len() == minimiser.len() {
                p.iter()
                    .zip(minimiser)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    .sqrt()
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// The first iteration at which the distance to `minimiser` is at most
/// `rel_tol` times the starting distance; `None` if the run never gets there
/// (or diverged).
pub fn steps_to_distance(trace: &Trace, minimiser: &[f64], rel_tol: f64) -> Option<usize> {
    if trace.diverged() {
        return None;
    }
    let d = distances(trace, minimiser);
    let d0 = *d.first()?;
    d.iter().position(|&v| v <= rel_tol * d0)
}

/// The measured contraction per step: the geometric mean
/// `(d_b / d_a)^{1/(b − a)}` of the distance ratios between the first
/// iterate `a` within `from` of the start's distance and the first iterate
/// `b` within `to` (`1 > from > to > 0`). Measuring away from the start
/// leaves out the transient of the first steps. `None` if the run does not
/// reach `to` or diverged.
pub fn measured_rate(trace: &Trace, minimiser: &[f64], (from, to): (f64, f64)) -> Option<f64> {
    let a = steps_to_distance(trace, minimiser, from)?;
    let b = steps_to_distance(trace, minimiser, to)?;
    let d = distances(trace, minimiser);
    (b > a).then(|| (d[b] / d[a]).powf(1.0 / (b - a) as f64))
}

/// The window of relative distances over which [`compare_on_bowl`] measures
/// rates: from `10⁻³` to `10⁻⁹` of the starting distance.
pub const RATE_WINDOW: (f64, f64) = (1e-3, 1e-9);

/// The race's divergence factor for runs on the bowl: a run counts as
/// diverged once its loss exceeds `10⁸` times the start's (or turns
/// non-finite). The race's default (10) is too tight here: with a step
/// beyond `2/λ_max`, Polyak's heavy ball first overshoots along the stiff
/// direction and its loss rises more than tenfold before it falls
/// ([`peak_loss_ratio`]), which is a transient, not a divergence.
pub const BOWL_DIVERGENCE_FACTOR: f64 = 1e8;

/// The largest loss of a run divided by its starting loss (NaN for an
/// empty trace or a zero starting loss).
pub fn peak_loss_ratio(trace: &Trace) -> f64 {
    let l0 = trace.loss.first().copied().unwrap_or(f64::NAN);
    let peak = trace.loss.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if l0 > 0.0 {
        peak / l0
    } else {
        f64::NAN
    }
}

/// Runs gradient descent with `tuning` on `bowl` from its start through the
/// race, labelled `label`: at most `max_iters` steps, stopping early once a
/// step is shorter than `step_tol` (the race's step-norm rule; pass a value
/// well below the distance you want to measure, since a step is a fraction
/// `1 − rate` of the distance or more), diverged above
/// [`BOWL_DIVERGENCE_FACTOR`].
pub fn run_tuning(
    bowl: &Quadratic,
    tuning: &Tuning,
    label: &str,
    max_iters: u64,
    step_tol: f64,
) -> Trace {
    let spec = match tuning.momentum {
        Momentum::None => OptimizerSpec::new(OptimizerKind::Gd),
        Momentum::HeavyBall(b) => OptimizerSpec::new(OptimizerKind::Momentum).momentum(b),
        Momentum::Nesterov(b) => OptimizerSpec::new(OptimizerKind::Nesterov).momentum(b),
    }
    .lr(tuning.lr)
    .label(label);
    let cfg = RaceConfig {
        max_iters,
        tol: step_tol,
        divergence_factor: BOWL_DIVERGENCE_FACTOR,
        ..RaceConfig::default()
    };
    race::run(bowl, &bowl.start(), &spec, &cfg)
}

/// The first `steps` steps of `trace` (all of it if shorter), for a figure
/// of the early path.
pub fn first_steps(trace: &Trace, steps: usize) -> Trace {
    let n = steps + 1;
    let mut t = trace.clone();
    t.iterates.truncate(n);
    t.loss.truncate(n);
    t.grad_norm.truncate(n);
    t.counts.truncate(n);
    t.elapsed_ms.truncate(n);
    t
}

/// The loss of a 2-D landscape on an `n × n` grid over the view that frames
/// `traces` ([`view_bounds`] with a 5 % margin), for
/// [`paths_figure`](crate::plot::paths_figure).
///
/// # Errors
/// [`crate::plot::PlotError::InvalidInput`] if `n < 2`.
pub fn view_grid<L: Landscape>(
    landscape: &L,
    traces: &[Trace],
    n: usize,
) -> crate::plot::Result<LossGrid> {
    let (xr, yr) = view_bounds(traces, None, 0.05);
    let grid = LossGrid::from_fn(xr, yr, n, |x, y| {
        landscape.cost(&ndarray::array![x, y]).unwrap_or(f64::NAN)
    })?;
    Ok(grid.with_labels("x₁", "x₂").with_title(landscape.name()))
}

/// The distance from the bowl's start to its minimum.
fn start_distance(bowl: &Quadratic) -> f64 {
    let start = bowl.start();
    let centre = bowl
        .global_minimum()
        .map_or_else(|| ndarray::Array1::zeros(2), |m| m.point);
    (&start - &centre).mapv(|v| v * v).sum().sqrt()
}

/// One method's result in a [`BowlComparison`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MethodResult {
    /// The settings it ran with (and their predicted rate).
    pub tuning: Tuning,
    /// Contraction per step measured over [`RATE_WINDOW`].
    pub measured_rate: Option<f64>,
    /// Steps until the distance to the minimum is `rel_tol` times the start's.
    pub steps: Option<usize>,
    /// The run.
    pub trace: Trace,
}

/// Gradient descent, Polyak's heavy ball and Nesterov, each at its tuning,
/// on one bowl.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BowlComparison {
    /// Condition number `κ` of the bowl.
    pub kappa: f64,
    /// The relative distance that counts as arrived.
    pub rel_tol: f64,
    /// Gradient descent at `2/(λ_min + λ_max)`, heavy ball at Polyak's
    /// tuning, Nesterov at its tuning, in this order.
    pub results: Vec<MethodResult>,
}

impl BowlComparison {
    /// The three traces (for figures).
    pub fn traces(&self) -> Vec<Trace> {
        self.results.iter().map(|r| r.trace.clone()).collect()
    }
}

/// Runs [`gd_tuning`], [`polyak_tuning`] and [`nesterov_tuning`] on `bowl`
/// for at most `max_iters` steps each (ending a run once its steps are a
/// thousandth of the smallest distance to be measured), and measures their
/// rates over [`RATE_WINDOW`] and their steps to `rel_tol`.
///
/// # Errors
/// [`Error::InvalidConfig`] if `rel_tol` is not in `(0, 1)`.
pub fn compare_on_bowl(bowl: &Quadratic, rel_tol: f64, max_iters: u64) -> Result<BowlComparison> {
    if !in_open_unit(rel_tol) {
        return Err(Error::InvalidConfig(format!(
            "the relative tolerance must be in (0, 1), got {rel_tol}"
        )));
    }
    let (lo, hi) = bowl.eigenvalues();
    let centre = bowl
        .global_minimum()
        .map(|m| m.point.to_vec())
        .unwrap_or_else(|| vec![0.0, 0.0]);
    // Stop a run once its steps are a thousandth of the smallest distance measured.
    let step_tol = start_distance(bowl) * rel_tol.min(RATE_WINDOW.1) * 1e-3;
    let tunings = [
        (gd_tuning(lo, hi)?, "GD (best step)"),
        (polyak_tuning(lo, hi)?, "Heavy ball (Polyak)"),
        (nesterov_tuning(lo, hi)?, "Nesterov"),
    ];
    let results = tunings
        .iter()
        .map(|(t, label)| {
            let trace = run_tuning(bowl, t, label, max_iters, step_tol);
            MethodResult {
                tuning: *t,
                measured_rate: measured_rate(&trace, &centre, RATE_WINDOW),
                steps: steps_to_distance(&trace, &centre, rel_tol),
                trace,
            }
        })
        .collect();
    Ok(BowlComparison {
        kappa: bowl.condition_number(),
        rel_tol,
        results,
    })
}

fn opt_usize(v: Option<usize>) -> String {
    v.map_or_else(|| "—".into(), |s| s.to_string())
}

fn opt_f64(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |s| format!("{s:.4}"))
}

impl fmt::Display for BowlComparison {
    /// One line per method: step, momentum, predicted and measured rate, steps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bowl with κ = {}; steps = until the distance to the minimum is {:e} of the start's",
            self.kappa, self.rel_tol
        )?;
        writeln!(
            f,
            "{:<20} {:>9} {:>7} {:>10} {:>10} {:>7}",
            "method", "step η", "β", "predicted", "measured", "steps"
        )?;
        for r in &self.results {
            writeln!(
                f,
                "{:<20} {:>9.5} {:>7.4} {:>10.4} {:>10} {:>7}",
                r.trace.optimizer,
                r.tuning.lr,
                r.tuning.beta(),
                r.tuning.rate,
                opt_f64(r.measured_rate),
                opt_usize(r.steps)
            )?;
        }
        Ok(())
    }
}

/// The comparison for several condition numbers: how the steps of each
/// method grow with `κ`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditioningTable {
    /// One comparison per `κ`.
    pub rows: Vec<BowlComparison>,
}

/// Runs [`compare_on_bowl`] on `Quadratic::with_condition(κ, angle)` for
/// every `κ` of `kappas`.
///
/// # Errors
/// As [`Quadratic::with_condition`] and [`compare_on_bowl`].
pub fn conditioning_table(
    kappas: &[f64],
    angle: f64,
    rel_tol: f64,
    max_iters: u64,
) -> Result<ConditioningTable> {
    let rows = kappas
        .iter()
        .map(|&k| compare_on_bowl(&Quadratic::with_condition(k, angle)?, rel_tol, max_iters))
        .collect::<Result<_>>()?;
    Ok(ConditioningTable { rows })
}

impl fmt::Display for ConditioningTable {
    /// One line per `κ`: the steps of each method and the ratio GD / heavy ball.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>7} {:>9} {:>11} {:>9} {:>13} {:>5}",
            "κ", "GD steps", "heavy ball", "Nesterov", "GD/heavy ball", "√κ"
        )?;
        for row in &self.rows {
            let s = |i: usize| row.results.get(i).and_then(|r| r.steps);
            let ratio = match (s(0), s(1)) {
                (Some(a), Some(b)) if b > 0 => format!("{:.1}", a as f64 / b as f64),
                _ => "—".into(),
            };
            writeln!(
                f,
                "{:>7} {:>9} {:>11} {:>9} {:>13} {:>5.1}",
                row.kappa,
                opt_usize(s(0)),
                opt_usize(s(1)),
                opt_usize(s(2)),
                ratio,
                row.kappa.sqrt()
            )?;
        }
        Ok(())
    }
}

/// One run of a [`MomentumSweep`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Momentum coefficient `β`.
    pub beta: f64,
    /// Measured steps to the tolerance (`None`: not reached or diverged).
    pub steps: Option<usize>,
    /// `true` if the run diverged.
    pub diverged: bool,
    /// The predicted rate at this `β`.
    pub predicted_rate: f64,
    /// [`predicted_steps`] of that rate.
    pub predicted_steps: f64,
}

/// Heavy-ball runs at one step size and many momentum coefficients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MomentumSweep {
    /// Condition number of the bowl.
    pub kappa: f64,
    /// The step size `η` of every run.
    pub lr: f64,
    /// Relative distance that counts as arrived.
    pub rel_tol: f64,
    /// One point per `β`, in the order given.
    pub points: Vec<SweepPoint>,
}

impl MomentumSweep {
    /// The `β` with the fewest measured steps (the first such on ties).
    pub fn best(&self) -> Option<SweepPoint> {
        self.points
            .iter()
            .filter(|p| p.steps.is_some())
            .min_by_key(|p| p.steps)
            .copied()
    }

    /// The smallest `β` of the sweep whose run did not diverge.
    pub fn smallest_stable_beta(&self) -> Option<f64> {
        self.points.iter().find(|p| !p.diverged).map(|p| p.beta)
    }

    /// The measured steps as markers (diverged runs as crosses) and the
    /// predicted steps as a line, in palette colour `colour`.
    pub fn series(&self, colour: usize) -> [Series; 2] {
        let measured = self
            .points
            .iter()
            .filter_map(|p| p.steps.map(|s| (p.beta, s as f64)))
            .collect();
        let failed = self
            .points
            .iter()
            .filter(|p| p.diverged)
            .map(|p| p.beta)
            .collect();
        let predicted = self
            .points
            .iter()
            .map(|p| (p.beta, p.predicted_steps))
            .collect();
        [
            Series::new(
                format!("measured, η = {:.4}", self.lr),
                measured,
                SeriesStyle::Markers,
                colour,
            )
            .with_failed(failed),
            Series::new(
                format!("predicted, η = {:.4}", self.lr),
                predicted,
                SeriesStyle::Line,
                colour,
            ),
        ]
    }
}

/// The chart of several sweeps on one bowl: steps to tolerance against `β`
/// (log scale), measured and predicted, with Polyak's `β*` marked.
///
/// # Errors
/// [`Error::InvalidConfig`] if `sweeps` is empty.
pub fn sweep_chart(sweeps: &[MomentumSweep], beta_star: f64) -> Result<SeriesChart> {
    let first = sweeps
        .first()
        .ok_or_else(|| Error::InvalidConfig("a sweep chart needs at least one sweep".into()))?;
    let mut chart = SeriesChart::new(
        format!(
            "Heavy ball on the bowl with κ = {}: steps to {:e} of the start's distance",
            first.kappa, first.rel_tol
        ),
        "momentum β",
        "steps (log scale)",
    )
    .log_y()
    .legend_at(LegendCorner::LowerLeft)
    .with_marker(beta_star, format!("β* = {beta_star:.3}"));
    for (i, s) in sweeps.iter().enumerate() {
        for series in s.series(i + 1) {
            chart = chart.with_series(series);
        }
    }
    Ok(chart)
}

/// Evenly spaced `β` from 0 to `hi` inclusive (`n ≥ 2` values).
///
/// # Errors
/// [`Error::InvalidConfig`] unless `n ≥ 2` and `0 < hi < 1`.
pub fn beta_grid(n: usize, hi: f64) -> Result<Vec<f64>> {
    if n < 2 || !(hi > 0.0 && hi < 1.0) {
        return Err(Error::InvalidConfig(format!(
            "a β grid needs n ≥ 2 values up to 0 < hi < 1, got n = {n}, hi = {hi}"
        )));
    }
    Ok((0..n).map(|i| hi * i as f64 / (n - 1) as f64).collect())
}

/// Runs the heavy ball with step `lr` and each momentum of `betas` on `bowl`
/// (at most `max_iters` steps each, ending a run once its steps are
/// `10⁻³ · rel_tol` of the starting distance) and records the steps each needs to
/// bring the distance to the minimum down to `rel_tol` of the start's, next
/// to the prediction [`predicted_steps`]`(`[`predicted_rate`]`)`.
///
/// # Errors
/// [`Error::InvalidConfig`] for a non-positive `lr`, a `β` outside `[0, 1)`
/// or `rel_tol` outside `(0, 1)`.
pub fn momentum_sweep(
    bowl: &Quadratic,
    lr: f64,
    betas: &[f64],
    rel_tol: f64,
    max_iters: u64,
) -> Result<MomentumSweep> {
    if !(lr.is_finite() && lr > 0.0 && in_open_unit(rel_tol)) {
        return Err(Error::InvalidConfig(format!(
            "a momentum sweep needs a step > 0 and a relative tolerance in (0, 1), got {lr} and {rel_tol}"
        )));
    }
    if let Some(b) = betas.iter().find(|b| !(0.0..1.0).contains(*b)) {
        return Err(Error::InvalidConfig(format!(
            "momentum coefficients must be in [0, 1), got {b}"
        )));
    }
    let centre = bowl
        .global_minimum()
        .map(|m| m.point.to_vec())
        .unwrap_or_else(|| vec![0.0, 0.0]);
    let step_tol = start_distance(bowl) * rel_tol * 1e-3;
    let points = betas
        .iter()
        .map(|&beta| {
            let momentum = Momentum::HeavyBall(beta);
            let tuning = Tuning {
                lr,
                momentum,
                rate: predicted_rate(momentum, lr, bowl.eigenvalues()),
            };
            let trace = run_tuning(bowl, &tuning, "heavy ball", max_iters, step_tol);
            SweepPoint {
                beta,
                steps: steps_to_distance(&trace, &centre, rel_tol),
                diverged: trace.diverged(),
                predicted_rate: tuning.rate,
                predicted_steps: predicted_steps(tuning.rate, rel_tol),
            }
        })
        .collect();
    Ok(MomentumSweep {
        kappa: bowl.condition_number(),
        lr,
        rel_tol,
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunings_match_their_closed_forms() {
        let (gd, hb, nag) = (
            gd_tuning(1.0, 100.0).unwrap(),
            polyak_tuning(1.0, 100.0).unwrap(),
            nesterov_tuning(1.0, 100.0).unwrap(),
        );
        assert!((gd.lr - 2.0 / 101.0).abs() < 1e-15);
        assert!((gd.rate - 99.0 / 101.0).abs() < 1e-12);
        assert!((hb.lr - 4.0 / 121.0).abs() < 1e-15);
        assert!((hb.beta() - (9.0f64 / 11.0).powi(2)).abs() < 1e-15);
        assert!((hb.rate - 9.0 / 11.0).abs() < 1e-6, "{}", hb.rate);
        assert!((nag.lr - 0.01).abs() < 1e-15);
        assert!((nag.rate - 0.9).abs() < 1e-6, "{}", nag.rate);
        assert!(polyak_tuning(0.0, 1.0).is_err());
        assert!(gd_tuning(2.0, 1.0).is_err());
    }

    #[test]
    fn polyak_tuning_minimises_the_heavy_ball_rate() {
        let hb = polyak_tuning(1.0, 50.0).unwrap();
        for dl in [-1e-3, 1e-3] {
            for db in [-1e-3, 1e-3] {
                let r = predicted_rate(
                    Momentum::HeavyBall(hb.beta() + db),
                    hb.lr + dl * hb.lr,
                    (1.0, 50.0),
                );
                assert!(r >= hb.rate - 1e-9, "{r} < {}", hb.rate);
            }
        }
    }

    #[test]
    fn mode_rates_by_hand() {
        // GD: |1 − ηλ|.
        assert_eq!(mode_rate(Momentum::None, 0.5, 3.0), 0.5);
        // Heavy ball, underdamped: √β.
        assert!((mode_rate(Momentum::HeavyBall(0.81), 0.1, 1.0) - 0.9).abs() < 1e-15);
        // Heavy ball, β = 0: gradient descent.
        assert!((mode_rate(Momentum::HeavyBall(0.0), 0.1, 4.0) - 0.6).abs() < 1e-15);
        // Nesterov with ηλ = 1 kills the mode at once.
        assert_eq!(mode_rate(Momentum::Nesterov(0.9), 0.5, 2.0), 0.0);
        assert_eq!(predicted_steps(0.5, 0.25), 2.0);
        assert!(predicted_steps(1.2, 0.1).is_infinite());
    }

    #[test]
    fn heavy_ball_measured_rate_matches_the_prediction() {
        let bowl = Quadratic::with_condition(25.0, 0.4).unwrap();
        let c = compare_on_bowl(&bowl, 1e-8, 5000).unwrap();
        for r in &c.results {
            let m = r.measured_rate.unwrap();
            // Repeated roots (critical damping) add a factor k to the error, so the
            // measured rate sits slightly above the spectral radius.
            assert!(
                m >= r.tuning.rate - 1e-3 && m <= r.tuning.rate + 0.03,
                "{}: {m} vs {}",
                r.trace.optimizer,
                r.tuning.rate
            );
        }
        let steps: Vec<usize> = c.results.iter().map(|r| r.steps.unwrap()).collect();
        assert!(steps[1] < steps[2] && steps[2] < steps[0], "{steps:?}");
    }

    #[test]
    fn sweep_finds_the_optimum_near_polyak_and_reports_divergence() {
        let bowl = Quadratic::with_condition(100.0, 0.5).unwrap();
        let hb = polyak_tuning(1.0, 100.0).unwrap();
        let betas = beta_grid(34, 0.99).unwrap();
        let sweep = momentum_sweep(&bowl, hb.lr, &betas, 1e-6, 3000).unwrap();
        // η* > 2/λ_max: without enough momentum the run diverges.
        assert!(sweep.points[0].diverged);
        let best = sweep.best().unwrap();
        assert!((best.beta - hb.beta()).abs() < 0.07, "{best:?}");
        assert!(momentum_sweep(&bowl, hb.lr, &[1.0], 1e-6, 10).is_err());
        assert!(sweep_chart(&[sweep], hb.beta()).is_ok());
    }
}
