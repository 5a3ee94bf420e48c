//! Chapter 4: RMSprop and Adam — what a per-coordinate step size fixes and
//! what it cannot.
//!
//! Adam and RMSprop divide each coordinate of the gradient by a running
//! root-mean-square of that coordinate's past gradients: a diagonal
//! preconditioner `D = diag(√v̂ + ε)`, so the step is `−η D⁻¹ m̂`. On a
//! quadratic whose Hessian is diagonal, `g_i = λ_i e_i`, and the division
//! cancels `λ_i`: every coordinate moves as if its curvature were the same,
//! whatever the condition number. When the Hessian's eigenvectors are not
//! the coordinate axes no diagonal matrix can undo it ([`diagonal_condition`]).
//!
//! This module measures both ([`rotated_bowls`]), reads the effective step
//! size `‖Δ_k‖ / ‖g_k‖` off any trace ([`effective_lr`]), and draws distance
//! and effective-step charts ([`distance_chart`], [`effective_lr_chart`]).
//!
//! # References
//! - D. P. Kingma and J. Ba, *Adam: A Method for Stochastic Optimization*,
//!   ICLR 2015 (§2 and §3: the update and the bias correction).
//! - T. Tieleman and G. Hinton, *Lecture 6.5 — RMSprop*, COURSERA 2012.
//! - A. Zhang, Z. C. Lipton, M. Li, A. J. Smola, *Dive into Deep Learning*,
//!   §12.8 (RMSprop) and §12.10 (Adam).

use std::fmt;

use serde::{Deserialize, Serialize};

pub use super::momentum::distances;
use super::momentum::{bowl_config, gd_tuning, in_open_unit, run_tuning, steps_to_distance};
use crate::error::{Error, Result};
use crate::landscapes::{Landscape, Quadratic};
use crate::plot::{LegendCorner, Series, SeriesChart, SeriesStyle};
use crate::race::{self, OptimizerKind, OptimizerSpec};
use crate::trace::Trace;

/// The condition number of the bowl's Hessian `A` after the best diagonal
/// rescaling, `κ(D^{-1/2} A D^{-1/2})` with `D = diag(A)` (Jacobi
/// preconditioning): 1 when the bowl's axes are the coordinate axes, the
/// full `κ` when they are turned by 45°.
///
/// For a 2 × 2 matrix the rescaled matrix is `[[1, c], [c, 1]]` with
/// `c = a₁₂/√(a₁₁a₂₂)`, whose condition number is `(1 + |c|)/(1 − |c|)`.
pub fn diagonal_condition(bowl: &Quadratic) -> f64 {
    let a = bowl.matrix();
    let c = (a[[0, 1]] / (a[[0, 0]] * a[[1, 1]]).sqrt()).abs();
    (1.0 + c) / (1.0 - c)
}

/// Adam on one bowl, next to gradient descent at its best fixed step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BowlRow {
    /// Condition number `κ`.
    pub kappa: f64,
    /// Angle of the bowl's long axis, degrees.
    pub angle_deg: f64,
    /// [`diagonal_condition`] of the bowl.
    pub diagonal_condition: f64,
    /// Adam's steps until the distance to the minimum is `rel_tol` of the start's.
    pub adam_steps: Option<usize>,
    /// The same for gradient descent at `2/(λ_min + λ_max)`.
    pub gd_steps: Option<usize>,
    /// Adam's run.
    pub adam: Trace,
    /// Gradient descent's run.
    pub gd: Trace,
}

/// Adam and gradient descent on rotated bowls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RotatedBowls {
    /// Adam's learning rate.
    pub lr: f64,
    /// Relative distance that counts as arrived.
    pub rel_tol: f64,
    /// One row per (κ, angle), κ outermost.
    pub rows: Vec<BowlRow>,
}

/// Runs Adam (learning rate `lr`, default `β₁ = 0.9`, `β₂ = 0.999`,
/// `ε = 1e−8`) and gradient descent at its best step on
/// `Quadratic::with_condition(κ, angle)` for every `κ` of `kappas` and every
/// angle of `angles_deg` (degrees), from each bowl's start, for at most
/// `max_iters` steps (ending a run once its steps are `10⁻⁴ · rel_tol` of
/// the starting distance), and counts the steps to `rel_tol` of the starting
/// distance.
///
/// # Errors
/// [`Error::InvalidConfig`] for an invalid `κ`, a non-positive `lr` or a
/// `rel_tol` outside `(0, 1)`.
pub fn rotated_bowls(
    kappas: &[f64],
    angles_deg: &[f64],
    lr: f64,
    rel_tol: f64,
    max_iters: u64,
) -> Result<RotatedBowls> {
    if !(lr.is_finite() && lr > 0.0 && in_open_unit(rel_tol)) {
        return Err(Error::InvalidConfig(format!(
            "need a learning rate > 0 and a relative tolerance in (0, 1), got {lr} and {rel_tol}"
        )));
    }
    let adam = OptimizerSpec::new(OptimizerKind::Adam).lr(lr);
    let mut rows = Vec::new();
    for &kappa in kappas {
        for &deg in angles_deg {
            let bowl = Quadratic::with_condition(kappa, deg.to_radians())?;
            // End a run once its steps are 10⁻⁴ of the distance that counts as arrived.
            let step_tol = bowl.start().mapv(|v| v * v).sum().sqrt() * rel_tol * 1e-4;
            let cfg = bowl_config(max_iters, step_tol);
            let (lo, hi) = bowl.eigenvalues();
            let centre = [0.0, 0.0];
            let mut adam_trace = race::run(&bowl, &bowl.start(), &adam, &cfg);
            adam_trace.optimizer = format!("Adam, {deg:.0}°");
            let mut gd = run_tuning(
                &bowl,
                &gd_tuning(lo, hi)?,
                "GD (best step)",
                max_iters,
                step_tol,
            );
            gd.optimizer = format!("GD (best step), {deg:.0}°");
            rows.push(BowlRow {
                kappa,
                angle_deg: deg,
                diagonal_condition: diagonal_condition(&bowl),
                adam_steps: steps_to_distance(&adam_trace, &centre, rel_tol),
                gd_steps: steps_to_distance(&gd, &centre, rel_tol),
                adam: adam_trace,
                gd,
            });
        }
    }
    Ok(RotatedBowls { lr, rel_tol, rows })
}

impl RotatedBowls {
    /// The row for `κ` and `angle_deg`, if it was run.
    pub fn row(&self, kappa: f64, angle_deg: f64) -> Option<&BowlRow> {
        self.rows
            .iter()
            .find(|r| r.kappa == kappa && r.angle_deg == angle_deg)
    }
}

impl fmt::Display for RotatedBowls {
    /// One line per bowl: κ, angle, κ after diagonal rescaling, steps of Adam and GD.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "steps until the distance to the minimum is {:e} of the start's (Adam: η = {})",
            self.rel_tol, self.lr
        )?;
        writeln!(
            f,
            "{:>7} {:>6} {:>15} {:>11} {:>15}",
            "κ", "angle", "κ after diag.", "Adam steps", "GD (best step)"
        )?;
        let s = |v: Option<usize>| v.map_or_else(|| "—".to_string(), |n| n.to_string());
        for r in &self.rows {
            writeln!(
                f,
                "{:>7} {:>5}° {:>15.1} {:>11} {:>15}",
                r.kappa,
                r.angle_deg,
                r.diagonal_condition,
                s(r.adam_steps),
                s(r.gd_steps)
            )?;
        }
        Ok(())
    }
}

/// The effective learning rate of every step of a run: the step length
/// divided by the gradient norm at its start, `‖p_{k+1} − p_k‖ / ‖∇L(p_k)‖`
/// — the step size plain gradient descent would have needed to take the same
/// step (exact in one dimension, and whenever the step is parallel to the
/// gradient). Gradient descent gives its `η` at every step. Entry `k`
/// belongs to step `k → k + 1`; NaN where the gradient is zero.
pub fn effective_lr(trace: &Trace) -> Vec<f64> {
    trace
        .iterates
        .windows(2)
        .zip(&trace.grad_norm)
        .map(|(w, &g)| {
            let step = w[1]
                .iter()
                .zip(&w[0])
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt();
            if g > 0.0 {
                step / g
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// The length of every step of a run, `‖p_{k+1} − p_k‖`.
pub fn step_lengths(trace: &Trace) -> Vec<f64> {
    trace
        .iterates
        .windows(2)
        .map(|w| {
            w[1].iter()
                .zip(&w[0])
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect()
}

/// The first step `p_1 − p_0` of a run (`None` if it took no step).
pub fn first_step(trace: &Trace) -> Option<Vec<f64>> {
    let (a, b) = (trace.iterates.first()?, trace.iterates.get(1)?);
    Some(b.iter().zip(a).map(|(y, x)| y - x).collect())
}

/// A chart of the distance to `minimiser` against the iteration for each
/// trace (log scale), one colour per trace.
///
/// # Errors
/// [`Error::InvalidConfig`] if `traces` is empty.
pub fn distance_chart(traces: &[Trace], minimiser: &[f64], title: &str) -> Result<SeriesChart> {
    if traces.is_empty() {
        return Err(Error::InvalidConfig("a distance chart needs traces".into()));
    }
    let mut chart = SeriesChart::new(title, "iteration", "distance to the minimum (log scale)")
        .log_y()
        .legend_at(LegendCorner::LowerLeft);
    for (i, t) in traces.iter().enumerate() {
        let pts = distances(t, minimiser)
            .into_iter()
            .enumerate()
            .map(|(k, d)| (k as f64, d))
            .collect();
        chart = chart.with_series(Series::new(t.optimizer.clone(), pts, SeriesStyle::Line, i));
    }
    Ok(chart)
}

/// A chart of [`effective_lr`] against the iteration for each trace (log
/// scale), one colour per trace, over the first `steps` steps.
///
/// # Errors
/// [`Error::InvalidConfig`] if `traces` is empty.
pub fn effective_lr_chart(traces: &[Trace], steps: usize, title: &str) -> Result<SeriesChart> {
    if traces.is_empty() {
        return Err(Error::InvalidConfig(
            "an effective-step chart needs traces".into(),
        ));
    }
    let mut chart = SeriesChart::new(
        title,
        "iteration",
        "effective step size ‖Δ‖/‖g‖ (log scale)",
    )
    .log_y()
    .legend_at(LegendCorner::UpperRight);
    for (i, t) in traces.iter().enumerate() {
        let pts = effective_lr(t)
            .into_iter()
            .take(steps)
            .enumerate()
            .map(|(k, v)| (k as f64, v))
            .collect();
        chart = chart.with_series(Series::new(t.optimizer.clone(), pts, SeriesStyle::Line, i));
    }
    Ok(chart)
}

/// The first iteration at which the 1-D iterate of `trace` is at or below
/// `x` (for the tanh slope: `x = 0` is where the slope is steepest).
pub fn iterations_to_x(trace: &Trace, x: f64) -> Option<usize> {
    trace
        .iterates
        .iter()
        .position(|p| p.first().is_some_and(|&v| v <= x))
}

/// The largest curvature `max |f''|` of a 1-D landscape over its domain
/// (sampled at 10 001 points), and the stability limit `2 / max |f''|` of
/// gradient descent it implies.
///
/// # Errors
/// [`Error::InvalidConfig`] if the landscape is not 1-D or its Hessian fails.
pub fn max_curvature_1d<L: Landscape>(landscape: &L) -> Result<(f64, f64)> {
    let dom = landscape.domain();
    if dom.len() != 1 {
        return Err(Error::InvalidConfig(format!(
            "{} is not one-dimensional",
            landscape.name()
        )));
    }
    let (a, b) = dom[0];
    let mut worst = 0.0_f64;
    for i in 0..=10_000 {
        let x = a + (b - a) * i as f64 / 10_000.0;
        let h = landscape
            .hessian(&ndarray::array![x])
            .map_err(crate::lessons::checks::config_error)?;
        worst = worst.max(h[[0, 0]].abs());
    }
    Ok((worst, 2.0 / worst))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landscapes::TanhSlope;
    use crate::linalg::FixedDot;
    use crate::race::RaceConfig;

    #[test]
    fn diagonal_rescaling_fixes_only_aligned_bowls() {
        let aligned = Quadratic::with_condition(50.0, 0.0).unwrap();
        let turned = Quadratic::with_condition(50.0, std::f64::consts::FRAC_PI_4).unwrap();
        assert!((diagonal_condition(&aligned) - 1.0).abs() < 1e-12);
        assert!((diagonal_condition(&turned) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn adam_on_an_aligned_bowl_ignores_the_condition_number() {
        let r = rotated_bowls(&[10.0, 1000.0], &[0.0, 45.0], 0.1, 1e-3, 4000).unwrap();
        let aligned: Vec<_> = [10.0, 1000.0]
            .iter()
            .map(|&k| r.row(k, 0.0).unwrap().adam_steps)
            .collect();
        assert_eq!(aligned[0], aligned[1]);
        let turned10 = r.row(10.0, 45.0).unwrap().adam_steps.unwrap();
        let turned1000 = r.row(1000.0, 45.0).unwrap().adam_steps.unwrap();
        assert!(turned1000 > 10 * turned10, "{turned10} {turned1000}");
        assert!(rotated_bowls(&[10.0], &[0.0], 0.0, 1e-3, 10).is_err());
    }

    #[test]
    fn effective_lr_of_gradient_descent_is_its_step() {
        let bowl = Quadratic::with_condition(10.0, 0.3).unwrap();
        let cfg = RaceConfig {
            max_iters: 20,
            ..RaceConfig::default()
        };
        let t = race::run(
            &bowl,
            &bowl.start(),
            &OptimizerSpec::new(OptimizerKind::Gd).lr(0.05),
            &cfg,
        );
        let e = effective_lr(&t);
        assert_eq!(e.len(), 20);
        assert!(e.iter().all(|v| (v - 0.05).abs() < 1e-12), "{e:?}");
        assert_eq!(step_lengths(&t).len(), 20);
        let s = first_step(&t).unwrap();
        let g = bowl.matrix().fdot(&bowl.start());
        assert!((s[0] + 0.05 * g[0]).abs() < 1e-15);
        assert!(distance_chart(std::slice::from_ref(&t), &[0.0, 0.0], "d").is_ok());
        assert!(effective_lr_chart(&[t], 10, "e").is_ok());
    }

    #[test]
    fn tanh_curvature_and_crossing() {
        let (c, limit) = max_curvature_1d(&TanhSlope).unwrap();
        // max |f''| = 4/(3√3) at tanh x = 1/√3.
        assert!((c - 4.0 / (3.0 * 3f64.sqrt())).abs() < 1e-6, "{c}");
        assert!((limit - 2.0 / c).abs() < 1e-15);
        let t = Trace {
            optimizer: "x".into(),
            problem: "p".into(),
            iterates: vec![vec![1.0], vec![0.5], vec![-0.1]],
            loss: vec![0.0; 3],
            grad_norm: vec![1.0; 3],
            counts: vec![Default::default(); 3],
            elapsed_ms: vec![0.0; 3],
            stop: crate::trace::StopReason::MaxIters,
            settings: Default::default(),
        };
        assert_eq!(iterations_to_x(&t, 0.0), Some(2));
        assert_eq!(iterations_to_x(&t, -1.0), None);
    }
}
