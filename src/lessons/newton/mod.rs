//! Lesson 6, Newton's method.
//!
//! The second-order Taylor model of the loss at `x`,
//!
//! ```text
//! L(x + s) ≈ m(s) = L(x) + gᵀ s + ½ sᵀ H s,       g = ∇L(x), H = ∇²L(x),
//! ```
//!
//! is minimised, when `H` is positive definite, by the Newton step
//! `s = −H⁻¹ g`: a direction and a length at once, with no learning rate.
//! Near a minimum `x*` with positive definite Hessian the error
//! `e_k = ‖x_k − x*‖` of undamped Newton shrinks quadratically,
//! `e_{k+1} ≤ C e_k²` ([`convergence_table`] shows the ratio
//! `e_{k+1}/e_k²`); damping, `s = −(H + λI)⁻¹ g`, turns that into a linear
//! rate of about `λ/(λ + μ_min)` per step near the minimum
//! ([`damping_cost`]).
//!
//! Reference: J. Nocedal, S. J. Wright, *Numerical Optimization*, 2nd ed.,
//! Springer 2006, §3.3 (Newton's rate).

use crate::linalg::FixedDot;
use argmin::core::{CostFunction, Gradient, Hessian};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::curvature::eigenvalues;
use crate::error::{Error, Result};
use crate::landscapes::Minimum;
use crate::race::{run, OptimizerKind, OptimizerSpec, RaceConfig, RaceProblem};
use crate::trace::Trace;

/// The minimum reached by undamped Newton from `start`: at most `max_iters`
/// steps `x ← x − H⁻¹ g`, stopping when `‖g‖ ≤ 1e−14`.
///
/// # Errors
/// [`Error::InvalidConfig`] if a step fails (singular Hessian) or the
/// iterate stops being finite, or the gradient is still above `1e−10`
/// after `max_iters` steps; the problem's error if an evaluation fails.
pub fn newton_minimum<P>(problem: &P, start: &Array1<f64>, max_iters: usize) -> Result<Minimum>
where
    P: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>,
{
    let mut x = start.clone();
    for _ in 0..max_iters {
        let g = problem.gradient(&x)?;
        if g.fdot(&g).sqrt() <= 1e-14 {
            break;
        }
        let h = problem.hessian(&x)?;
        let step = crate::linalg::solve(&h, &g)
            .map_err(|e| Error::InvalidConfig(format!("the Newton step failed: {e}")))?;
        x = &x - &step;
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidConfig(
                "Newton's iterate left the reals".into(),
            ));
        }
    }
    let g = problem.gradient(&x)?;
    if g.fdot(&g).sqrt() > 1e-10 {
        return Err(Error::InvalidConfig(format!(
            "Newton did not converge in {max_iters} steps (‖g‖ = {:.3e})",
            g.fdot(&g).sqrt()
        )));
    }
    let value = problem.cost(&x)?;
    Ok(Minimum { point: x, value })
}

/// One iterate of a run measured against a known minimum.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvergenceRow {
    /// The iteration `k`.
    pub iteration: usize,
    /// Suboptimality `L(x_k) − L*`.
    pub gap: f64,
    /// Distance `e_k = ‖x_k − x*‖`.
    pub distance: f64,
    /// `e_k / e_{k−1}` (none for the first row).
    pub linear_ratio: Option<f64>,
    /// `e_k / e_{k−1}²`, bounded for quadratic convergence (none for the first row).
    pub quadratic_ratio: Option<f64>,
}

/// The errors of every recorded iterate of `trace` against `minimum`,
/// until the distance reaches 1e−15 (rounding) or the trace ends. Rows whose
/// distance is below `1e−14 · max(1, ‖x*‖_∞)` (the rounding level of `x*`)
/// carry no ratios.
pub fn convergence_table(trace: &Trace, minimum: &Minimum) -> Vec<ConvergenceRow> {
    let mut rows: Vec<ConvergenceRow> = Vec::new();
    let scale = minimum.point.iter().fold(1.0_f64, |m, v| m.max(v.abs()));
    let rounding = 1e-14 * scale;
    for (i, x) in trace.iterates.iter().enumerate() {
        if x.len() != minimum.point.len() {
            break;
        }
        let d = x
            .iter()
            .zip(minimum.point.iter())
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        // Below the rounding level of x* a distance says nothing about
        // the rate: no ratios there.
        let prev = rows.last().map(|r| r.distance).filter(|_| d > rounding);
        rows.push(ConvergenceRow {
            iteration: trace.iteration(i),
            gap: trace.loss[i] - minimum.value,
            distance: d,
            linear_ratio: prev.map(|p| d / p),
            quadratic_ratio: prev.map(|p| d / (p * p)),
        });
        if d < 1e-15 {
            break;
        }
    }
    rows
}

/// The first iteration at which `trace` is within `tol` of `minimum`'s point.
pub fn iterations_to_distance(trace: &Trace, minimum: &Minimum, tol: f64) -> Option<usize> {
    convergence_table(trace, minimum)
        .iter()
        .find(|r| r.distance <= tol)
        .map(|r| r.iteration)
}

/// One damping value of [`damping_cost`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DampingRow {
    /// The damping `λ` of `(H + λI) s = −g`.
    pub damping: f64,
    /// Iterations to `‖x_k − x*‖ ≤ tol`, if reached.
    pub iterations: Option<usize>,
    /// The predicted error factor per step near the minimum,
    /// `λ/(λ + μ_min)` (`μ_min`: smallest Hessian eigenvalue at `x*`).
    pub predicted_rate: f64,
    /// The measured factor `e_k/e_{k−1}` of the last step before the
    /// tolerance (none if fewer than two steps were taken).
    pub measured_rate: Option<f64>,
    /// The run.
    pub trace: Trace,
}

/// Damped Newton ([`crate::solvers::DampedNewton`], `(H + λI) s = −g`, step
/// length 1) with each damping from `start`, against the known `minimum`:
/// iterations to `‖x − x*‖ ≤ tol` and the per-step error factor.
///
/// The runs use a step-norm tolerance of 1e−14 and at most `max_iters`
/// iterations.
///
/// # Errors
/// [`Error::Linalg`] if the Hessian at the minimum has no eigenvalues; the
/// problem's error if it cannot evaluate there.
pub fn damping_cost<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    minimum: &Minimum,
    dampings: &[f64],
    tol: f64,
    max_iters: u64,
) -> Result<Vec<DampingRow>> {
    let h = problem.hessian(&minimum.point)?;
    let mu = eigenvalues(&h)?
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    let cfg = RaceConfig {
        max_iters,
        tol: 1e-14,
        ..RaceConfig::default()
    };
    Ok(dampings
        .iter()
        .map(|&lambda| {
            let spec = OptimizerSpec::new(OptimizerKind::Newton)
                .damping(lambda)
                .label(format!("Newton λ = {lambda}"));
            let trace = run(problem, start, &spec, &cfg);
            let table = convergence_table(&trace, minimum);
            let hit = table.iter().position(|r| r.distance <= tol);
            DampingRow {
                damping: lambda,
                iterations: hit.map(|i| table[i].iteration),
                predicted_rate: lambda / (lambda + mu),
                measured_rate: hit.and_then(|i| table[i].linear_ratio),
                trace,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::XorProblem;
    use ndarray::array;

    #[test]
    fn damped_newton_is_linear_with_the_predicted_rate() {
        let problem = XorProblem::reference();
        let start = array![2.0, -2.0];
        let min = newton_minimum(&problem, &start, 50).unwrap();
        let rows = damping_cost(&problem, &start, &min, &[0.0, 0.1], 1e-10, 300).unwrap();
        let r = rows[1].measured_rate.unwrap();
        assert!((r - rows[1].predicted_rate).abs() < 0.01 * r, "{rows:?}");
        assert!(rows[0].iterations.unwrap() < rows[1].iterations.unwrap());
    }
}
