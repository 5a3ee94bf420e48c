//! Gauss–Newton on the generalised Gauss–Newton matrix, with fixed or
//! Levenberg–Marquardt damping.

use argmin::core::{CostFunction, Error, Gradient, Problem, Solver, KV};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::common::{
    add_count, init_state, solve_damped, BatchSchedule, VecState, CURVATURE_COUNT,
    LINEAR_SOLVE_COUNT,
};
use super::damping::{damped_iteration, Damping, ProposedStep};
use crate::curvature::{CurvatureProducts, MiniBatched};

/// The arithmetic of a damped Gauss–Newton step: `Δ = −(G + λI)⁻¹ g`, with
/// the quadratic-model curvature `ΔᵀGΔ` needed for the reduction ratio.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaussNewtonStep {
    /// Damping `λ ≥ 0`.
    pub damping: f64,
}

impl GaussNewtonStep {
    /// The step `−(G + λI)⁻¹ g` and `ΔᵀGΔ`.
    ///
    /// # Errors
    /// If `G + λI` is singular (possible only with `λ = 0`) or not finite.
    pub fn step(&self, ggn: &Array2<f64>, grad: &Array1<f64>) -> Result<(Array1<f64>, f64), Error> {
        let step = -solve_damped(ggn, self.damping, grad)?;
        let curv = step.dot(&ggn.dot(&step));
        Ok((step, curv))
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
/// With [`Damping::Adaptive`] `λ_k` follows the Levenberg–Marquardt rule
/// from `ρ = (L(p+Δ) − L(p)) / (gᵀΔ + ½ΔᵀGΔ)`: shrink when `ρ > 3/4`, grow
/// when `ρ < 1/4`, and reject (stay at `p_k`) a step that raises the loss.
/// KV entries per iteration: `"damping"` (the `λ` used), `"rho"`,
/// `"accepted"`, `"predicted_decrease"`, `"step_norm"`. For sigmoid with
/// cross-entropy the GGN equals the Fisher, so this is also natural gradient
/// with damping. Each iteration forms one dense GGN (counted under
/// `curvature_count`), one linear solve, and evaluates the loss at the trial
/// point and the gradient at the accepted one. Pure arithmetic:
/// [`GaussNewtonStep`].
///
/// ## Requirements on the optimization problem
/// `CostFunction`, `Gradient` on `Array1<f64>` (cost `f64`),
/// [`CurvatureProducts::ggn`], and [`MiniBatched`] (only used in
/// stochastic mode, where `G`, `g` and both losses of `ρ` come from a fresh
/// mini-batch).
///
/// ## Hyperparameters
/// - damping: [`Damping::Fixed`] (default `λ = 0.1`, the reference race's) or
///   [`Damping::Adaptive`] (initial `λ`, factors 2/3 and 3/2, clamp `[1e-8, 1e8]`);
/// - mini-batch size and seed: full batch by default.
///
/// ## Reference
/// N. N. Schraudolph, *Fast curvature matrix-vector products for second-order
/// gradient descent*, Neural Computation 14(7), 2002 (the GGN); J. J. Moré,
/// *The Levenberg–Marquardt algorithm: implementation and theory*, Lecture
/// Notes in Mathematics 630, 1978; J. Nocedal and S. J. Wright, *Numerical
/// Optimization*, 2nd ed., §10.3.
#[derive(Clone, Debug)]
pub struct GaussNewton {
    damping: Damping,
    batches: Option<BatchSchedule>,
}

impl Default for GaussNewton {
    fn default() -> Self {
        Self {
            damping: Damping::Fixed(0.1),
            batches: None,
        }
    }
}

impl GaussNewton {
    /// Gauss–Newton with fixed damping 0.1, full batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// The damping scheme (default `Damping::Fixed(0.1)`); build it with
    /// [`Damping::fixed`] or [`Damping::adaptive`], which validate.
    pub fn with_damping(mut self, damping: Damping) -> Self {
        self.damping = damping;
        self
    }

    /// Stochastic mode: a fresh seeded mini-batch of `batch_size` examples per
    /// iteration (default: full batch).
    ///
    /// # Errors
    /// `InvalidParameter` if `batch_size` is zero.
    pub fn with_minibatch(mut self, batch_size: usize, seed: u64) -> Result<Self, Error> {
        self.batches = Some(BatchSchedule::new(batch_size, seed)?);
        Ok(self)
    }

    /// The current damping scheme (with the current `λ` when adaptive).
    pub fn damping(&self) -> &Damping {
        &self.damping
    }
}

impl<O> Solver<O, VecState> for GaussNewton
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + CurvatureProducts
        + MiniBatched,
{
    fn name(&self) -> &str {
        "Gauss-Newton (GGN)"
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        Ok((
            init_state(problem, state, &mut self.batches, "GaussNewton")?,
            None,
        ))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        damped_iteration(
            problem,
            state,
            &mut self.batches,
            &mut self.damping,
            "GaussNewton",
            |problem, param, grad, lambda| {
                let ggn = problem.problem(CURVATURE_COUNT, |p| p.ggn(param))?;
                add_count(problem, LINEAR_SOLVE_COUNT, 1);
                let (step, curv) = GaussNewtonStep { damping: lambda }.step(&ggn, grad)?;
                Ok(ProposedStep {
                    step,
                    curvature: Some(curv),
                    kv: KV::new(),
                })
            },
        )
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
        let (s, c) = GaussNewtonStep { damping: 0.1 }.step(&g, &grad).unwrap();
        let r = array![[2.1, 0.5], [0.5, 1.1]].dot(&s) + &grad;
        assert!(r.iter().all(|v| v.abs() < 1e-14));
        assert!((c - s.dot(&g.dot(&s))).abs() < 1e-15);
        assert!(grad.dot(&s) < 0.0);
    }

    #[test]
    fn defaults() {
        let gn = GaussNewton::new();
        assert_eq!(gn.damping(), &Damping::Fixed(0.1));
        assert!(GaussNewton::new().with_minibatch(0, 1).is_err());
    }
}
