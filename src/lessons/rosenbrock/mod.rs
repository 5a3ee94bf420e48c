//! Chapter 18: Rosenbrock's banana — every optimizer of the registry on the
//! classic curved valley, why the valley defeats a fixed step, and what the
//! chained function costs in 5 and 50 dimensions.
//!
//! The classic function `f(x, y) = (1 − x)² + 100 (y − x²)²` has one
//! minimum, `(1, 1)`, at the end of a narrow valley that follows the
//! parabola `y = x²`. On the floor of the valley (`y = x²`) the Hessian is
//!
//! ```text
//! H(t) = [[2 + 800 t², −400 t], [−400 t, 200]]   at (t, t²),
//! ```
//!
//! whose large eigenvalue (across the valley, about `200 + 800 t²`) caps a
//! fixed step at `2/λ_max`, while the small one (along it) sets how fast
//! such a step moves: near the minimum the error along the valley shrinks
//! by `1 − η λ_min` per step ([`valley_profile`]).
//!
//! This module races every kind of the [`REGISTRY`]
//! that can run on a landscape without data ([`banana_race`], learning
//! rates tuned on a grid by [`tune_lr`]), repeats the main contenders from
//! many starts ([`many_starts`]), and runs the chained function in higher
//! dimensions ([`dimension_table`]), telling which minimum each run reaches
//! ([`local_minimum`]: for `4 ≤ d ≤ 7` the chained function has a second
//! minimum near `(−1, 1, …, 1)`).
//!
//! # References
//! - H. H. Rosenbrock, *An automatic method for finding the greatest or
//!   least value of a function*, The Computer Journal 3(3), 1960.
//! - J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed.,
//!   Springer 2006 (§2.2, Rosenbrock as the standard test; §3.3, the rate
//!   of steepest descent; §10.3, Gauss–Newton and Levenberg–Marquardt).
//! - Y.-W. Shang and Y.-H. Qiu, *A note on the extended Rosenbrock
//!   function*, Evolutionary Computation 14(1), 2006 (the second local
//!   minimum of the chained function for `4 ≤ d ≤ 7`).

use std::fmt;

use ndarray::{array, Array1};

use crate::curvature::eigenvalues;
use crate::error::{Error, Result};
use crate::landscapes::{Landscape, Rosenbrock};
use crate::race::{self, OptimizerKind, OptimizerSpec, RaceConfig, REGISTRY};
use crate::trace::{StopReason, Trace};
use argmin::core::Hessian;

mod dimensions;
mod starts;

pub use crate::race::multistart::run_starts;
pub use dimensions::{
    curvature_memory, dimension_table, local_minimum, DimensionRow, DimensionTable, Reached,
    WallTimes,
};
pub use starts::{many_starts, StartsRow, StartsTable};

/// Euclidean distance from the end of `trace` to `point` (NaN for an empty
/// trace or a length mismatch).
pub fn final_distance(trace: &Trace, point: &[f64]) -> f64 {
    match trace.final_point() {
        Some(p) if p.len() == point.len() => distance(p, point),
        _ => f64::NAN,
    }
}

pub(crate) fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// The first iteration at which `trace` is within `tol` of `point`
/// (in a thinned trace, the first kept one).
pub fn iterations_to_distance(trace: &Trace, point: &[f64], tol: f64) -> Option<usize> {
    trace
        .iterates
        .iter()
        .position(|p| p.len() == point.len() && distance(p, point) <= tol)
        .map(|i| trace.iteration(i))
}

/// Every evaluation a trace counts: loss, gradient, Hessian and curvature
/// products or matrices.
pub fn evaluations(trace: &Trace) -> u64 {
    let c = trace.total_counts();
    c.cost + c.gradient + c.hessian + c.curvature
}

/// The race settings of the chapter: at most `max_iters` iterations,
/// step-norm (and, for BFGS, L-BFGS and the trust region, gradient-norm)
/// tolerance `1e−10`, and a divergence guard of `10⁴ × max(f₀, 1)` instead
/// of the default `10×`: from the classic start (`f₀ = 24.2`) Newton's
/// second step climbs to `f ≈ 1412` on its way to the minimum, which the
/// default guard would call divergence.
pub fn banana_config(max_iters: u64) -> RaceConfig {
    RaceConfig {
        max_iters,
        tol: 1e-10,
        divergence_factor: 1e4,
        ..RaceConfig::default()
    }
}

// ---------------------------------------------------------------------------
// The valley

/// The Hessian at one point `(t, t²)` of the valley's floor.
#[derive(Clone, Debug, PartialEq)]
pub struct ValleyPoint {
    /// The abscissa `t`; the point is `(t, t²)`.
    pub t: f64,
    /// The small eigenvalue (curvature along the valley).
    pub lambda_min: f64,
    /// The large eigenvalue (curvature across the valley).
    pub lambda_max: f64,
    /// `λ_max / λ_min`.
    pub kappa: f64,
    /// The largest stable fixed step there, `2 / λ_max`.
    pub gd_limit: f64,
}

impl ValleyPoint {
    /// Steps per e-fold of the error along the valley for gradient descent
    /// with step `lr`, `1 / (lr · λ_min)` (the linear rate
    /// `1 − lr · λ_min` of Nocedal & Wright, §3.3, in its small-step form).
    pub fn steps_per_efold(&self, lr: f64) -> f64 {
        1.0 / (lr * self.lambda_min)
    }
}

/// The Hessian's eigenvalues along the valley floor `y = x²` of a 2-D
/// Rosenbrock function, at the abscissas `ts`.
///
/// # Errors
/// [`Error::InvalidConfig`] if the function is not 2-D or a `t` is not
/// finite; [`Error::Linalg`] from the eigenvalue solver.
pub fn valley_profile(problem: &Rosenbrock, ts: &[f64]) -> Result<Vec<ValleyPoint>> {
    if problem.dim() != 2 {
        return Err(Error::InvalidConfig(format!(
            "the valley profile is drawn for the 2-D function, got d = {}",
            problem.dim()
        )));
    }
    ts.iter()
        .map(|&t| {
            if !t.is_finite() {
                return Err(Error::InvalidConfig(format!("t must be finite, got {t}")));
            }
            let h = problem.hessian(&array![t, t * t])?;
            let ev = eigenvalues(&h)?;
            let (lo, hi) = (ev[0], ev[ev.len() - 1]);
            Ok(ValleyPoint {
                t,
                lambda_min: lo,
                lambda_max: hi,
                kappa: hi / lo,
                gd_limit: 2.0 / hi,
            })
        })
        .collect()
}

/// The valley profile as a table.
pub fn valley_table(points: &[ValleyPoint]) -> String {
    let mut s = format!(
        "{:>6} {:>10} {:>10} {:>10} {:>12}\n",
        "t", "λ_min", "λ_max", "κ", "2/λ_max"
    );
    for p in points {
        s += &format!(
            "{:>6.2} {:>10.4} {:>10.1} {:>10.1} {:>12.3e}\n",
            p.t, p.lambda_min, p.lambda_max, p.kappa, p.gd_limit
        );
    }
    s
}

// ---------------------------------------------------------------------------
// Learning rates

/// The learning-rate grid of [`tune_lr`]: quarter decades from `10⁻⁴` to
/// `10⁻¹` (13 values).
pub fn lr_grid() -> Vec<f64> {
    (0..=12)
        .map(|k| 10f64.powf(-4.0 + 0.25 * f64::from(k)))
        .collect()
}

/// The learning rate of `lrs` whose run of `kind` from `start` ends
/// closest to the problem's global minimum; diverged and failed runs are
/// skipped, ties go to the smaller rate. Returns the rate and its run.
///
/// # Errors
/// [`Error::InvalidConfig`] if the kind has no learning rate, the grid is
/// empty, the problem has no known minimum, or every run diverged.
pub fn tune_lr<L>(
    problem: &L,
    start: &Array1<f64>,
    kind: OptimizerKind,
    lrs: &[f64],
    cfg: &RaceConfig,
) -> Result<(f64, Trace)>
where
    L: race::RaceProblem + Landscape,
{
    if kind.descriptor().lr.is_none() {
        return Err(Error::InvalidConfig(format!(
            "`{kind}` has no learning rate to tune"
        )));
    }
    let min = problem
        .global_minimum()
        .ok_or_else(|| Error::InvalidConfig(format!("{} has no known minimum", problem.name())))?
        .point
        .to_vec();
    let mut best: Option<(f64, f64, Trace)> = None;
    for &lr in lrs {
        let t = race::run(problem, start, &OptimizerSpec::new(kind).lr(lr), cfg);
        let d = final_distance(&t, &min);
        if t.diverged() || !d.is_finite() {
            continue;
        }
        if best.as_ref().map_or(true, |(_, bd, _)| d < *bd) {
            best = Some((lr, d, t));
        }
    }
    best.map(|(lr, _, t)| (lr, t)).ok_or_else(|| {
        Error::InvalidConfig(format!(
            "`{kind}` diverged at every learning rate of the grid"
        ))
    })
}

// ---------------------------------------------------------------------------
// The race

/// One optimizer of [`banana_race`].
#[derive(Clone, Debug)]
pub struct BananaRow {
    /// The kind.
    pub kind: OptimizerKind,
    /// Its learning rate (tuned), if it has one.
    pub lr: Option<f64>,
    /// Its run.
    pub trace: Trace,
    /// Distance from the end of the run to `(1, 1)`.
    pub distance: f64,
}

/// Every kind of the registry on the 2-D banana from one start.
#[derive(Clone, Debug)]
pub struct BananaRace {
    /// The start.
    pub start: Array1<f64>,
    /// The settings.
    pub cfg: RaceConfig,
    /// The kinds that ran, in registry order.
    pub rows: Vec<BananaRow>,
    /// The kinds that cannot run on a landscape without data, with the
    /// reason their run gave.
    pub refused: Vec<(OptimizerKind, String)>,
}

impl BananaRace {
    /// The row of `kind`, if it ran.
    pub fn row(&self, kind: OptimizerKind) -> Option<&BananaRow> {
        self.rows.iter().find(|r| r.kind == kind)
    }

    /// The traces of `kinds` (those that ran), in that order: for figures.
    pub fn traces(&self, kinds: &[OptimizerKind]) -> Vec<Trace> {
        kinds
            .iter()
            .filter_map(|&k| self.row(k).map(|r| r.trace.clone()))
            .collect()
    }

    /// The rows sorted by distance to the minimum, then by evaluations.
    pub fn ranked(&self) -> Vec<&BananaRow> {
        let mut v: Vec<&BananaRow> = self.rows.iter().collect();
        v.sort_by(|a, b| {
            let key = |r: &BananaRow| {
                if r.distance.is_nan() {
                    f64::INFINITY
                } else {
                    r.distance
                }
            };
            key(a)
                .total_cmp(&key(b))
                .then(evaluations(&a.trace).cmp(&evaluations(&b.trace)))
        });
        v
    }
}

impl fmt::Display for BananaRace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<20} {:>8} {:>6} {:>6} {:>6} {:>6} {:>6} {:>10}  stop",
            "optimizer", "lr", "iters", "loss", "grad", "Hess", "curv", "distance"
        )?;
        for r in self.ranked() {
            let c = r.trace.total_counts();
            let lr = r.lr.map_or("–".to_string(), |v| format!("{v:.2e}"));
            writeln!(
                f,
                "{:<20} {:>8} {:>6} {:>6} {:>6} {:>6} {:>6} {:>10.2e}  {}",
                r.kind.default_label(),
                lr,
                r.trace.steps(),
                c.cost,
                c.gradient,
                c.hessian,
                c.curvature,
                r.distance,
                r.trace.stop.short()
            )?;
        }
        for (k, why) in &self.refused {
            writeln!(f, "{:<20} cannot run here: {why}", k.default_label())?;
        }
        Ok(())
    }
}

/// Races every kind of the registry on the classic banana from `start`
/// with [`banana_config`]`(max_iters)`: each kind with a learning rate at
/// its best rate of [`lr_grid`] ([`tune_lr`]), the others at their
/// defaults (damping `λ = 0.1` for the damped kinds). A kind whose run
/// fails (K-FAC needs network layers) is listed in
/// [`BananaRace::refused`].
///
/// # Errors
/// [`Error::Shape`] if `start` is not 2-D.
pub fn banana_race(start: &Array1<f64>, max_iters: u64) -> Result<BananaRace> {
    let problem = Rosenbrock::classic();
    if start.len() != 2 {
        return Err(Error::Shape(format!(
            "the banana is 2-D, the start has {} entries",
            start.len()
        )));
    }
    let cfg = banana_config(max_iters);
    let min = [1.0, 1.0];
    let grid = lr_grid();
    let mut rows = Vec::new();
    let mut refused = Vec::new();
    for d in REGISTRY {
        let (lr, trace) = if d.lr.is_some() {
            match tune_lr(&problem, start, d.kind, &grid, &cfg) {
                Ok((lr, t)) => (Some(lr), t),
                Err(_) => {
                    // every rate diverged: show the smallest rate's run
                    let t = race::run(
                        &problem,
                        start,
                        &OptimizerSpec::new(d.kind).lr(grid[0]),
                        &cfg,
                    );
                    (Some(grid[0]), t)
                }
            }
        } else {
            (
                None,
                race::run(&problem, start, &OptimizerSpec::new(d.kind), &cfg),
            )
        };
        if let StopReason::Failed(why) = &trace.stop {
            refused.push((d.kind, why.clone()));
            continue;
        }
        let distance = final_distance(&trace, &min);
        rows.push(BananaRow {
            kind: d.kind,
            lr,
            trace,
            distance,
        });
    }
    Ok(BananaRace {
        start: start.clone(),
        cfg,
        rows,
        refused,
    })
}

/// Gradient descent with a fixed step on the banana: how far it gets.
#[derive(Clone, Debug, PartialEq)]
pub struct GdCrawl {
    /// The step size.
    pub lr: f64,
    /// `(iterations, distance to (1, 1))` at each checkpoint.
    pub distances: Vec<(usize, f64)>,
    /// The measured e-folding time of the distance over the last half of
    /// the run: `−(k₂ − k₁) / ln(d₂ / d₁)` steps.
    pub measured_efold: f64,
    /// The prediction `1 / (lr · λ_min)` with `λ_min` at the minimum.
    pub predicted_efold: f64,
}

/// Runs gradient descent with step `lr` from the classic start for
/// `max_iters` steps (no stopping rule), and reads its distance to `(1, 1)`
/// at each of `checkpoints`; compares the last half's e-folding time with
/// the prediction from the Hessian at the minimum.
///
/// # Errors
/// [`Error::InvalidConfig`] if the run diverges, a checkpoint lies past
/// `max_iters`, or `max_iters < 2`.
pub fn gd_crawl(lr: f64, max_iters: u64, checkpoints: &[usize]) -> Result<GdCrawl> {
    if max_iters < 2 || checkpoints.iter().any(|&c| c as u64 > max_iters) {
        return Err(Error::InvalidConfig(format!(
            "checkpoints must lie within the {max_iters} steps (at least 2)"
        )));
    }
    let problem = Rosenbrock::classic();
    let cfg = RaceConfig {
        tol: 0.0,
        max_recorded: usize::try_from(max_iters)
            .unwrap_or(usize::MAX)
            .saturating_add(1),
        ..banana_config(max_iters)
    };
    let t = race::run(
        &problem,
        &problem.start(),
        &OptimizerSpec::new(OptimizerKind::Gd).lr(lr),
        &cfg,
    );
    if t.diverged() || t.steps() as u64 != max_iters {
        return Err(Error::InvalidConfig(format!(
            "gradient descent with lr = {lr} stopped early: {}",
            t.stop.short()
        )));
    }
    let min = [1.0, 1.0];
    let at = |k: usize| distance(&t.iterates[t.entry_at(k)], &min);
    let distances = checkpoints.iter().map(|&k| (k, at(k))).collect();
    let n = t.steps();
    let (k1, k2) = (n / 2, n);
    let measured_efold = -((k2 - k1) as f64) / (at(k2) / at(k1)).ln();
    let at_min = valley_profile(&problem, &[1.0])?;
    Ok(GdCrawl {
        lr,
        distances,
        measured_efold,
        predicted_efold: at_min[0].steps_per_efold(lr),
    })
}

#[cfg(test)]
mod tests;
