//! Saddle-free Newton: Newton's step with the Hessian's eigenvalues made positive.

use argmin::core::{CostFunction, Error, Gradient, Hessian, Problem, Solver, KV};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::common::{check_positive, hessian_step_iter, init_full_batch, VecState};
use crate::curvature::sym_eig;

/// The arithmetic of a saddle-free Newton step: with `H = U Λ Uᵀ`,
///
/// ```text
/// Δ = −(|H| + λ I)⁻¹ g = −U diag(1 / (|Λ_ii| + λ)) Uᵀ g,     |H| = U |Λ| Uᵀ
/// ```
///
/// Along directions of negative curvature the step is reversed relative to
/// Newton's, so it always goes downhill (`gᵀΔ < 0` for `g ≠ 0`), and it keeps
/// Newton's scaling `1/|Λ_ii|` in every eigendirection.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaddleFreeStep {
    /// Damping `λ ≥ 0`.
    pub damping: f64,
}

impl SaddleFreeStep {
    /// The step `−(|H| + λI)⁻¹ g`, and the number of negative eigenvalues of `H`.
    ///
    /// # Errors
    /// If the eigendecomposition fails (non-finite `H`) or `|Λ_ii| + λ = 0`.
    pub fn step(
        &self,
        hessian: &Array2<f64>,
        grad: &Array1<f64>,
    ) -> Result<(Array1<f64>, usize), Error> {
        let (ev, u) = sym_eig(hessian)?;
        let negative = ev.iter().filter(|&&e| e < 0.0).count();
        let coeffs = u.t().dot(grad);
        let mut scaled = Array1::zeros(coeffs.len());
        for i in 0..coeffs.len() {
            let d = ev[i].abs() + self.damping;
            if d <= 0.0 {
                return Err(crate::Error::Linalg(
                    "saddle-free Newton: |H| + λI is singular (use a damping > 0)".into(),
                )
                .into());
            }
            scaled[i] = -coeffs[i] / d;
        }
        Ok((u.dot(&scaled), negative))
    }
}

/// # Saddle-free Newton
///
/// Newton's method with the Hessian replaced by its absolute value
/// `|H| = U |Λ| Uᵀ` (eigenvalues made positive), plus damping:
///
/// ```text
/// p_{k+1} = p_k − (|∇²L(p_k)| + λ I)⁻¹ ∇L(p_k)
/// ```
///
/// Where the Hessian is positive definite this is damped Newton; near a
/// saddle it flees along negative-curvature directions instead of being
/// attracted to the saddle. Each iteration costs one Hessian, one symmetric
/// eigendecomposition (counted as a linear solve) and one loss and gradient
/// at the new point. The `"negative_eigenvalues"` KV entry reports how many
/// eigenvalues were flipped. Pure arithmetic: [`SaddleFreeStep`].
///
/// ## Requirements on the optimization problem
/// `CostFunction`, `Gradient` and `Hessian` on `Array1<f64>` / `Array2<f64>`
/// (cost `f64`). The dense eigendecomposition limits it to small problems
/// (Dauphin et al. work in a Krylov subspace instead).
///
/// ## Hyperparameters
/// - damping `λ ≥ 0`: default 0.1 (keeps the step bounded near inflection
///   directions where an eigenvalue crosses zero).
///
/// ## Reference
/// Y. N. Dauphin, R. Pascanu, C. Gulcehre, K. Cho, S. Ganguli, Y. Bengio,
/// *Identifying and attacking the saddle point problem in high-dimensional
/// non-convex optimization*, NeurIPS 2014.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaddleFreeNewton {
    rule: SaddleFreeStep,
}

impl Default for SaddleFreeNewton {
    fn default() -> Self {
        Self {
            rule: SaddleFreeStep { damping: 0.1 },
        }
    }
}

impl SaddleFreeNewton {
    /// Saddle-free Newton with damping 0.1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Damping `λ ≥ 0` (default 0.1).
    ///
    /// # Errors
    /// `InvalidParameter` unless `damping` is finite and `>= 0`.
    pub fn with_damping(mut self, damping: f64) -> Result<Self, Error> {
        self.rule.damping = check_positive("SaddleFreeNewton", "damping", damping, true)?;
        Ok(self)
    }

    /// The damping `λ`.
    pub fn damping(&self) -> f64 {
        self.rule.damping
    }
}

impl<O> Solver<O, VecState> for SaddleFreeNewton
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>,
{
    fn name(&self) -> &str {
        "Saddle-free Newton"
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        Ok((init_full_batch(problem, state, "SaddleFreeNewton")?, None))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        let rule = self.rule;
        hessian_step_iter(problem, state, "SaddleFreeNewton", |hessian, grad| {
            let (step, negative) = rule.step(hessian, grad)?;
            let kv = argmin::kv!(
                "damping" => rule.damping;
                "negative_eigenvalues" => negative as u64;
            );
            Ok((step, kv))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curvature::abs_sym;
    use ndarray::array;

    #[test]
    fn step_equals_dense_solve_with_abs_hessian() {
        let h = array![[1.0, 2.0], [2.0, -3.0]];
        let g = array![0.3, -1.0];
        let (s, neg) = SaddleFreeStep { damping: 0.2 }.step(&h, &g).unwrap();
        assert_eq!(neg, 1);
        let mut a = abs_sym(&h).unwrap();
        a[[0, 0]] += 0.2;
        a[[1, 1]] += 0.2;
        let r = a.dot(&s) + &g;
        assert!(r.iter().all(|v| v.abs() < 1e-13), "{r}");
        assert!(g.dot(&s) < 0.0);
    }

    #[test]
    fn singular_without_damping_is_an_error() {
        let h = array![[0.0, 0.0], [0.0, 1.0]];
        assert!(SaddleFreeStep { damping: 0.0 }
            .step(&h, &array![1.0, 1.0])
            .is_err());
        assert!(SaddleFreeNewton::new().with_damping(-0.1).is_err());
        assert_eq!(SaddleFreeNewton::new().damping(), 0.1);
    }
}
