//! Gauss–Newton on the generalised Gauss–Newton matrix, with fixed or
//! Levenberg–Marquardt damping.

use crate::linalg::FixedDot;
use argmin::core::{Error, Problem};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::common::{add_count, solve_damped, CURVATURE_COUNT, LINEAR_SOLVE_COUNT};
use super::damped::{Damped, DampedRule, ProposedStep};
use super::damping::Damping;
use crate::curvature::CurvatureProducts;

/// The arithmetic of a damped Gauss–Newton step: `Δ = −(G + λI)⁻¹ g`, with
/// the quadratic-model curvature `ΔᵀGΔ` needed for the reduction ratio.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GaussNewtonStep;

impl GaussNewtonStep {
    /// The step `−(G + λI)⁻¹ g` for GGN `ggn`, gradient `grad` and damping
    /// `damping` (`λ`), and `ΔᵀGΔ`.
    ///
    /// # Errors
    /// If `G + λI` is singular (possible only with `λ = 0`) or not finite.
    // ANCHOR: ggn_step
    pub fn step(
        &self,
        ggn: &Array2<f64>,
        grad: &Array1<f64>,
        damping: f64,
    ) -> Result<(Array1<f64>, f64), Error> {
        let step = -solve_damped(ggn, damping, grad)?;
        let curv = step.fdot(&ggn.fdot(&step));
        Ok((step, curv))
    }
    // ANCHOR_END: ggn_step
}

/// Forms the dense GGN (one `curvature_count`) and solves (one
/// `linear_solve_count`).
impl<O: CurvatureProducts> DampedRule<O> for GaussNewtonStep {
    fn name(&self) -> &'static str {
        "Gauss-Newton (GGN)"
    }

    fn propose(
        &mut self,
        problem: &mut Problem<O>,
        param: &Array1<f64>,
        grad: &Array1<f64>,
        damping: f64,
        _need_model: bool,
    ) -> Result<ProposedStep, Error> {
        let ggn = problem.problem(CURVATURE_COUNT, |p| p.ggn(param))?;
        if ggn.iter().any(|v| !v.is_finite()) {
            return Ok(ProposedStep::diverged("non-finite Gauss–Newton matrix"));
        }
        add_count(problem, LINEAR_SOLVE_COUNT, 1);
        let (step, curv) = self.step(&ggn, grad, damping)?;
        Ok(ProposedStep::new(step, Some(curv), argmin::core::KV::new()))
    }
}

/// # Gauss–Newton with Levenberg–Marquardt damping (on the GGN)
///
/// Newton's method with the Hessian replaced by the generalised Gauss–Newton
/// matrix `G = JᵀΛJ/N` (`J` the output Jacobian, `Λ` the loss's curvature in
/// the logits), which is positive semi-definite everywhere, so the damped
/// step is always a descent direction:
///
/// ```text
/// p_{k+1} = p_k − (G(p_k) + λ_k I)⁻¹ ∇L(p_k)
/// ```
///
/// With [`Damping::adaptive`] `λ_k` follows the Levenberg–Marquardt rule
/// from `ρ = (L(p+Δ) − L(p)) / (gᵀΔ + ½ΔᵀGΔ)`: shrink when `ρ > 3/4`, grow
/// when `ρ < 1/4`, and reject (stay at `p_k`) a step that raises the loss
/// ([`Damped`] gives the iteration). For sigmoid with cross-entropy the GGN
/// equals the Fisher, so this is also natural gradient with damping. Each
/// iteration forms one dense GGN (counted under `curvature_count`), one
/// linear solve, and evaluates the loss at the trial point and the gradient
/// at the accepted one. KV entries per iteration: `"damping"` (the `λ`
/// used), `"rho"`, `"accepted"`, `"step_norm"`, `"predicted_decrease"`. Pure
/// arithmetic: [`GaussNewtonStep`].
///
/// ## Requirements on the optimization problem
/// `CostFunction`, `Gradient` on `Array1<f64>` (cost `f64`),
/// [`CurvatureProducts::ggn`] (by default assembled from `ggn_vec`), and
/// [`MiniBatched`](crate::curvature::MiniBatched) (only used in stochastic
/// mode, where `G`, `g` and both losses of `ρ` come from a fresh
/// mini-batch).
///
/// ## Hyperparameters
/// - damping: fixed `λ = 0.1` by default ([`Damping::DEFAULT`], the
///   reference race's), or [`Damping::adaptive`] (initial `λ`, factors 2/3
///   and 3/2, clamp `[1e-8, 1e8]`), through [`Damped::with_damping`];
/// - mini-batch size and seed: full batch by default.
///
/// ## Reference
/// N. N. Schraudolph, *Fast curvature matrix-vector products for second-order
/// gradient descent*, Neural Computation 14(7), 2002 (the GGN); J. J. Moré,
/// *The Levenberg–Marquardt algorithm: implementation and theory*, Lecture
/// Notes in Mathematics 630, 1978; J. Nocedal and S. J. Wright, *Numerical
/// Optimization*, 2nd ed., §10.3.
pub type GaussNewton = Damped<GaussNewtonStep>;

impl Default for Damped<GaussNewtonStep> {
    fn default() -> Self {
        Self::from_rule(GaussNewtonStep, Damping::DEFAULT)
    }
}

impl Damped<GaussNewtonStep> {
    /// Gauss–Newton with fixed damping 0.1, full batch.
    pub fn new() -> Self {
        Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn step_and_model_curvature() {
        let g = array![[2.0, 0.5], [0.5, 1.0]];
        let grad = array![1.0, 2.0];
        let (s, c) = GaussNewtonStep.step(&g, &grad, 0.1).unwrap();
        let r = array![[2.1, 0.5], [0.5, 1.1]].fdot(&s) + &grad;
        assert!(r.iter().all(|v| v.abs() < 1e-14));
        assert!((c - s.fdot(&g.fdot(&s))).abs() < 1e-15);
        assert!(grad.fdot(&s) < 0.0);
    }

    #[test]
    fn defaults() {
        let gn = GaussNewton::new();
        assert_eq!(gn.damping(), &Damping::fixed(0.1).unwrap());
        assert!(GaussNewton::new().with_minibatch(0, 1).is_err());
    }
}
