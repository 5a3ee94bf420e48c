//! The piece shared by the methods whose step is a function of the dense
//! Hessian and the gradient: damped Newton, saddle-free Newton (both damped,
//! run by [`super::Damped`]) and condition-adaptive gradient descent.

use argmin::core::{Error, Hessian, Problem, KV};
use ndarray::{Array1, Array2};

use super::common::{add_count, finite_hessian, LINEAR_SOLVE_COUNT};
use super::damped::{DampedRule, ProposedStep};

/// The arithmetic of a Hessian-based damped step, free of any problem:
/// `Δ = step(H, g, λ)`.
pub trait HessianRule {
    /// The solver's name (argmin's `Solver::name`).
    fn name(&self) -> &'static str;

    /// The step for Hessian `hessian` (`k × k`, symmetric), gradient `grad`
    /// and damping `damping` (`λ ≥ 0`).
    ///
    /// # Errors
    /// If the damped matrix is singular, or shapes differ.
    fn step(
        &self,
        hessian: &Array2<f64>,
        grad: &Array1<f64>,
        damping: f64,
    ) -> Result<HessianStep, Error>;
}

/// One step of a [`HessianRule`].
#[derive(Clone, Debug)]
pub struct HessianStep {
    /// The step `Δ`.
    pub step: Array1<f64>,
    /// `ΔᵀMΔ` with the undamped curvature `M` of the rule's quadratic model
    /// (`H` for Newton, `|H|` for saddle-free Newton).
    pub model_curvature: f64,
    /// Diagnostics (argmin KV entries).
    pub kv: KV,
}

/// Every [`HessianRule`] is a [`DampedRule`] on a problem with a Hessian:
/// it evaluates the Hessian (one `hessian_count`), counts one linear solve
/// (the factorisation or eigendecomposition behind the step) and applies the
/// rule.
impl<O, R> DampedRule<O> for R
where
    R: HessianRule,
    O: Hessian<Param = Array1<f64>, Hessian = Array2<f64>>,
{
    fn name(&self) -> &'static str {
        HessianRule::name(self)
    }

    fn propose(
        &mut self,
        problem: &mut Problem<O>,
        param: &Array1<f64>,
        grad: &Array1<f64>,
        damping: f64,
        _need_model: bool,
    ) -> Result<ProposedStep, Error> {
        let Some(hessian) = finite_hessian(problem, param)? else {
            return Ok(ProposedStep::diverged("non-finite Hessian"));
        };
        add_count(problem, LINEAR_SOLVE_COUNT, 1);
        let HessianStep {
            step,
            model_curvature,
            kv,
        } = self.step(&hessian, grad, damping)?;
        Ok(ProposedStep::new(step, Some(model_curvature), kv))
    }
}
