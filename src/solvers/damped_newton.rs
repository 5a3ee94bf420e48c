//! Damped Newton: Newton's step on the Hessian plus a multiple of the identity.

use crate::linalg::FixedDot;
use argmin::core::Error;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::common::solve_damped;
use super::damped::Damped;
use super::damping::Damping;
use super::hessian_rule::{HessianRule, HessianStep};

/// The arithmetic of a damped Newton step: `Δ = −(H + λ I)⁻¹ g`.
///
/// With `λ = 0` this is Newton's step, which minimises the local quadratic
/// model only where `H` is positive definite; where `H` is indefinite it
/// heads for the model's saddle and may go uphill. The system is solved by
/// Cholesky when `H + λI` is positive definite, by LU otherwise. The model
/// curvature reported for the reduction ratio is `ΔᵀHΔ`, and the KV entry
/// `"g_dot_step"` is `gᵀΔ` (positive: the step goes uphill).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DampedNewtonStep;

impl HessianRule for DampedNewtonStep {
    fn name(&self) -> &'static str {
        "Damped Newton"
    }

    /// # Errors
    /// If `H + λI` is singular or has non-finite entries, or shapes differ.
    // ANCHOR: damped_newton_step
    fn step(
        &self,
        hessian: &Array2<f64>,
        grad: &Array1<f64>,
        damping: f64,
    ) -> Result<HessianStep, Error> {
        let step = -solve_damped(hessian, damping, grad)?;
        Ok(HessianStep {
            model_curvature: step.fdot(&hessian.fdot(&step)),
            kv: argmin::kv!("g_dot_step" => grad.fdot(&step);),
            step,
        })
    }
    // ANCHOR_END: damped_newton_step
}

/// # Damped Newton (Levenberg–Marquardt damping of the Hessian)
///
/// Newton's method with the Hessian shifted by `λ_k I`:
///
/// ```text
/// p_{k+1} = p_k − (∇²L(p_k) + λ_k I)⁻¹ ∇L(p_k)
/// ```
///
/// The shift bounds the step (`‖Δ‖ ≤ ‖g‖/λ` where `H` is positive
/// semi-definite), interpolating between Newton (`λ → 0`) and gradient
/// descent with step `1/λ` (`λ → ∞`). A fixed `λ` does not make an
/// indefinite Hessian safe unless it exceeds the most negative eigenvalue;
/// with [`Damping::adaptive`] `λ_k` follows the Levenberg–Marquardt rule
/// from `ρ = (L(p+Δ) − L(p)) / (gᵀΔ + ½ΔᵀHΔ)` and uphill steps are rejected
/// ([`Damped`] gives the iteration). Each iteration costs one Hessian, one
/// linear solve, and one loss and gradient at the new point (counted under
/// `hessian_count`, `linear_solve_count`, `cost_count`, `gradient_count`).
/// KV entries per iteration: `"g_dot_step"`, `"damping"`, `"rho"`,
/// `"accepted"`, `"step_norm"`, `"predicted_decrease"`. Pure arithmetic:
/// [`DampedNewtonStep`].
///
/// ## Requirements on the optimization problem
/// `CostFunction`, `Gradient` and `Hessian` on `Array1<f64>` / `Array2<f64>`
/// (cost `f64`), and [`MiniBatched`](crate::curvature::MiniBatched) (its
/// defaults suffice for a problem without data: `impl MiniBatched for P {}`;
/// only the stochastic mode uses it).
///
/// ## Hyperparameters
/// - damping: fixed `λ = 0` by default (undamped Newton), any [`Damping`]
///   through [`Damped::with_damping`]; the reference race uses a fixed 0.1;
/// - mini-batch size and seed: full batch by default.
///
/// ## Reference
/// J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer
/// 2006, §3.4 (Newton's method with Hessian modification) and §10.3
/// (Levenberg–Marquardt); K. Levenberg, *A method for the solution of
/// certain non-linear problems in least squares*, Q. Appl. Math. 2(2), 1944.
pub type DampedNewton = Damped<DampedNewtonStep>;

impl Default for Damped<DampedNewtonStep> {
    fn default() -> Self {
        Self::from_rule(DampedNewtonStep, Damping::NONE)
    }
}

impl Damped<DampedNewtonStep> {
    /// Undamped Newton (fixed `λ = 0`), full batch.
    pub fn new() -> Self {
        Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn step_solves_the_damped_system() {
        let h = array![[4.0, 1.0], [1.0, 2.0]];
        let g = array![1.0, -1.0];
        let s = DampedNewtonStep.step(&h, &g, 0.5).unwrap();
        let r = array![[4.5, 1.0], [1.0, 2.5]].fdot(&s.step) + &g;
        assert!(r.iter().all(|v| v.abs() < 1e-14));
        assert!((s.model_curvature - s.step.fdot(&h.fdot(&s.step))).abs() < 1e-15);
    }

    #[test]
    fn undamped_step_on_indefinite_hessian_can_point_uphill() {
        // H = diag(1, −1), g = (0.1, 1): Newton's step (−0.1, 1) has gᵀΔ = 0.99 > 0.
        let h = array![[1.0, 0.0], [0.0, -1.0]];
        let g = array![0.1, 1.0];
        let s = DampedNewtonStep.step(&h, &g, 0.0).unwrap();
        assert!((g.fdot(&s.step) - 0.99).abs() < 1e-15);
        assert_eq!(
            s.kv.get("g_dot_step").and_then(|v| v.get_float()),
            Some(g.fdot(&s.step))
        );
    }

    #[test]
    fn defaults_and_damping() {
        assert_eq!(DampedNewton::new().damping().lambda(), 0.0);
        assert!(!DampedNewton::new().damping().is_adaptive());
        let lm = DampedNewton::new().with_damping(Damping::adaptive(0.1).unwrap());
        assert!(lm.damping().is_adaptive());
        assert_eq!(lm.damping().lambda(), 0.1);
    }
}
