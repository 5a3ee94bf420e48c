//! Damped Newton: Newton's step on the Hessian plus a multiple of the identity.

use argmin::core::{CostFunction, Error, Gradient, Hessian, Problem, Solver, KV};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::common::{check_positive, hessian_step_iter, init_full_batch, solve_damped, VecState};

/// The arithmetic of a damped Newton step: `Δ = −(H + λ I)⁻¹ g`.
///
/// With `λ = 0` this is Newton's step, which minimises the local quadratic
/// model only where `H` is positive definite; where `H` is indefinite it
/// heads for the model's saddle and may go uphill. The system is solved by
/// Cholesky when `H + λI` is positive definite, by LU otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DampedNewtonStep {
    /// Damping `λ ≥ 0`.
    pub damping: f64,
}

impl DampedNewtonStep {
    /// The step `−(H + λI)⁻¹ g`.
    ///
    /// # Errors
    /// If `H + λI` is singular or has non-finite entries, or shapes differ.
    pub fn step(&self, hessian: &Array2<f64>, grad: &Array1<f64>) -> Result<Array1<f64>, Error> {
        Ok(-solve_damped(hessian, self.damping, grad)?)
    }
}

/// # Damped Newton (Levenberg-style Tikhonov damping of the Hessian)
///
/// Newton's method with the Hessian shifted by `λ I`:
///
/// ```text
/// p_{k+1} = p_k − (∇²L(p_k) + λ I)⁻¹ ∇L(p_k)
/// ```
///
/// The shift bounds the step (`‖Δ‖ ≤ ‖g‖/λ` where `H` is positive
/// semi-definite), interpolating between Newton (`λ → 0`) and gradient
/// descent with step `1/λ` (`λ → ∞`). It does not make an indefinite Hessian
/// safe unless `λ` exceeds its most negative eigenvalue. Each iteration costs
/// one Hessian, one linear solve, and one loss and gradient at the new point
/// (counted under `hessian_count`, `linear_solve_count`, `cost_count`,
/// `gradient_count`). Pure arithmetic: [`DampedNewtonStep`].
///
/// ## Requirements on the optimization problem
/// `CostFunction`, `Gradient` and `Hessian` on `Array1<f64>` / `Array2<f64>`
/// (cost `f64`).
///
/// ## Hyperparameters
/// - damping `λ ≥ 0`: default 0 (undamped Newton); the reference race uses 0.1.
///
/// ## Reference
/// J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer
/// 2006, §3.4 (Newton's method with Hessian modification); K. Levenberg, *A
/// method for the solution of certain non-linear problems in least squares*,
/// Q. Appl. Math. 2(2), 1944.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DampedNewton {
    rule: DampedNewtonStep,
}

impl Default for DampedNewtonStep {
    fn default() -> Self {
        Self { damping: 0.0 }
    }
}

impl DampedNewton {
    /// Undamped Newton (`λ = 0`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Damping `λ ≥ 0` (default 0).
    ///
    /// # Errors
    /// `InvalidParameter` unless `damping` is finite and `>= 0`.
    pub fn with_damping(mut self, damping: f64) -> Result<Self, Error> {
        self.rule.damping = check_positive("DampedNewton", "damping", damping, true)?;
        Ok(self)
    }

    /// The damping `λ`.
    pub fn damping(&self) -> f64 {
        self.rule.damping
    }
}

impl<O> Solver<O, VecState> for DampedNewton
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>,
{
    fn name(&self) -> &str {
        "Damped Newton"
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        Ok((init_full_batch(problem, state, "DampedNewton")?, None))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        let rule = self.rule;
        hessian_step_iter(problem, state, "DampedNewton", |hessian, grad| {
            let step = rule.step(hessian, grad)?;
            let kv = argmin::kv!(
                "damping" => rule.damping;
                "g_dot_step" => grad.dot(&step);
            );
            Ok((step, kv))
        })
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
        let s = DampedNewtonStep { damping: 0.5 }.step(&h, &g).unwrap();
        let r = array![[4.5, 1.0], [1.0, 2.5]].dot(&s) + &g;
        assert!(r.iter().all(|v| v.abs() < 1e-14));
    }

    #[test]
    fn undamped_step_on_indefinite_hessian_can_point_uphill() {
        // H = diag(1, −1), g = (0.1, 1): Newton's step (−0.1, 1) has gᵀΔ = 0.99 > 0.
        let h = array![[1.0, 0.0], [0.0, -1.0]];
        let g = array![0.1, 1.0];
        let s = DampedNewtonStep { damping: 0.0 }.step(&h, &g).unwrap();
        assert!(g.dot(&s) > 0.0);
    }

    #[test]
    fn validation() {
        assert_eq!(DampedNewton::new().damping(), 0.0);
        assert!(DampedNewton::new().with_damping(-1.0).is_err());
        assert!(DampedNewton::new().with_damping(f64::NAN).is_err());
        assert_eq!(
            DampedNewton::new().with_damping(0.1).unwrap().damping(),
            0.1
        );
    }
}
