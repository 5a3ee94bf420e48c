//! Saddle-free Newton: Newton's step with the Hessian's eigenvalues made positive.

use crate::linalg::FixedDot;
use argmin::core::Error;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::damped::Damped;
use super::damping::Damping;
use super::hessian_rule::{HessianRule, HessianStep};
use crate::curvature::sym_eig;

/// The arithmetic of a saddle-free Newton step: with `H = U Λ Uᵀ`,
///
/// ```text
/// Δ = −(|H| + λ I)⁻¹ g = −U diag(1 / (|Λ_ii| + λ)) Uᵀ g,     |H| = U |Λ| Uᵀ
/// ```
///
/// Along directions of negative curvature the step is reversed relative to
/// Newton's, so it always goes downhill (`gᵀΔ < 0` for `g ≠ 0`), and it keeps
/// Newton's scaling `1/|Λ_ii|` in every eigendirection. The model curvature
/// reported for the reduction ratio is `Δᵀ|H|Δ`, and the KV entry
/// `"negative_eigenvalues"` counts the eigenvalues of `H` below zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaddleFreeStep;

impl HessianRule for SaddleFreeStep {
    fn name(&self) -> &'static str {
        "Saddle-free Newton"
    }

    /// # Errors
    /// If the eigendecomposition fails (non-finite `H`) or `|Λ_ii| + λ = 0`.
    // ANCHOR: saddle_free_step
    fn step(
        &self,
        hessian: &Array2<f64>,
        grad: &Array1<f64>,
        damping: f64,
    ) -> Result<HessianStep, Error> {
        let (ev, u) = sym_eig(hessian)?;
        let negative = ev.iter().filter(|&&e| e < 0.0).count();
        let coeffs = u.t().fdot(grad);
        let mut scaled = Array1::zeros(coeffs.len());
        let mut model_curvature = 0.0;
        for i in 0..coeffs.len() {
            let d = ev[i].abs() + damping;
            if d <= 0.0 {
                return Err(crate::Error::Linalg(
                    "saddle-free Newton: |H| + λI is singular (use a damping > 0)".into(),
                )
                .into());
            }
            scaled[i] = -coeffs[i] / d;
            model_curvature += ev[i].abs() * scaled[i] * scaled[i];
        }
        Ok(HessianStep {
            step: u.fdot(&scaled),
            model_curvature,
            kv: argmin::kv!("negative_eigenvalues" => negative as u64;),
        })
    }
    // ANCHOR_END: saddle_free_step
}

/// # Saddle-free Newton
///
/// Newton's method with the Hessian replaced by its absolute value
/// `|H| = U |Λ| Uᵀ` (eigenvalues made positive), plus damping:
///
/// ```text
/// p_{k+1} = p_k − (|∇²L(p_k)| + λ_k I)⁻¹ ∇L(p_k)
/// ```
///
/// Where the Hessian is positive definite this is damped Newton; near a
/// saddle it flees along negative-curvature directions instead of being
/// attracted to the saddle. With [`Damping::adaptive`], `λ_k` follows the
/// Levenberg–Marquardt rule from the model `gᵀΔ + ½Δᵀ|H|Δ` and uphill steps
/// are rejected ([`Damped`] gives the iteration). Each iteration costs one
/// Hessian, one symmetric eigendecomposition (counted as a linear solve) and
/// one loss and gradient at the new point. KV entries per iteration:
/// `"negative_eigenvalues"` (how many eigenvalues were flipped), `"damping"`,
/// `"rho"`, `"accepted"`, `"step_norm"`, `"predicted_decrease"`. Pure
/// arithmetic: [`SaddleFreeStep`].
///
/// ## Requirements on the optimization problem
/// `CostFunction`, `Gradient` and `Hessian` on `Array1<f64>` / `Array2<f64>`
/// (cost `f64`), and [`MiniBatched`](crate::curvature::MiniBatched) (its
/// defaults suffice for a problem without data). The dense
/// eigendecomposition limits it to small problems (Dauphin et al. work in a
/// Krylov subspace instead).
///
/// ## Hyperparameters
/// - damping: fixed `λ = 0.1` by default (keeps the step bounded near
///   inflection directions where an eigenvalue crosses zero), any
///   [`Damping`] through [`Damped::with_damping`];
/// - mini-batch size and seed: full batch by default.
///
/// ## Reference
/// Y. N. Dauphin, R. Pascanu, C. Gulcehre, K. Cho, S. Ganguli, Y. Bengio,
/// *Identifying and attacking the saddle point problem in high-dimensional
/// non-convex optimization*, NeurIPS 2014.
pub type SaddleFreeNewton = Damped<SaddleFreeStep>;

impl Default for Damped<SaddleFreeStep> {
    fn default() -> Self {
        Self::from_rule(SaddleFreeStep, Damping::DEFAULT)
    }
}

impl Damped<SaddleFreeStep> {
    /// Saddle-free Newton with fixed damping 0.1, full batch.
    pub fn new() -> Self {
        Self::default()
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
        let s = SaddleFreeStep.step(&h, &g, 0.2).unwrap();
        let neg = s.kv.get("negative_eigenvalues").and_then(|v| v.get_uint());
        assert_eq!(neg, Some(1));
        let abs = abs_sym(&h).unwrap();
        let mut a = abs.clone();
        a[[0, 0]] += 0.2;
        a[[1, 1]] += 0.2;
        let r = a.fdot(&s.step) + &g;
        assert!(r.iter().all(|v| v.abs() < 1e-13), "{r}");
        assert!(g.fdot(&s.step) < 0.0);
        assert!((s.model_curvature - s.step.fdot(&abs.fdot(&s.step))).abs() < 1e-13);
    }

    #[test]
    fn singular_without_damping_is_an_error() {
        let h = array![[0.0, 0.0], [0.0, 1.0]];
        assert!(SaddleFreeStep.step(&h, &array![1.0, 1.0], 0.0).is_err());
        assert_eq!(SaddleFreeNewton::new().damping().lambda(), 0.1);
        assert!(!SaddleFreeNewton::new().damping().is_adaptive());
    }
}
