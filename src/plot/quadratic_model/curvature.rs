//! Which curvature the model uses, [`ModelCurvature`], and BFGS's estimate
//! of it rebuilt along a path.

use crate::linalg::FixedDot;
use argmin::core::{Gradient, Hessian};
use ndarray::{Array1, Array2};

use super::model::{QuadraticModel, ZERO_TOL};
use crate::curvature::{abs_sym, sym_eig, CurvatureProducts, FisherKind, KfacCurvature};
use crate::plot::{PlotError, Result};

/// Which curvature `C` the model `m(s) = gᵀs + ½ sᵀ(C + λI)s` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelCurvature {
    /// The exact Hessian `H` (Newton, argmin's Newton, the trust region).
    Hessian,
    /// `|H| = U|Λ|Uᵀ` (saddle-free Newton, Dauphin et al. 2014).
    SaddleFree,
    /// The generalised Gauss–Newton matrix `G` (GGN, GGN-LM, Hessian-free).
    Ggn,
    /// K-FAC's `blockdiag(G_l ⊗ A_l)` (exact-Fisher factors) in the
    /// optimizer's space, the Tikhonov-damped form of the `kfac` kind.
    Kfac,
    /// BFGS's Hessian estimate `B_k = H_k⁻¹`, rebuilt from the iterates'
    /// gradient differences (needs the whole trace: see [`ModelOverlay::along`](crate::plot::ModelOverlay::along)).
    Bfgs,
}

impl ModelCurvature {
    /// A short name for captions: `"Hessian"`, `"|H|"`, `"GGN"`, `"K-FAC"`, `"BFGS B"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Hessian => "Hessian",
            Self::SaddleFree => "|H|",
            Self::Ggn => "GGN",
            Self::Kfac => "K-FAC",
            Self::Bfgs => "BFGS B",
        }
    }

    /// The curvature at one point `p` of `problem` (every kind but
    /// [`ModelCurvature::Bfgs`], which depends on the path).
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] for [`ModelCurvature::Bfgs`], or if the
    /// problem cannot provide the matrix (no GGN or K-FAC structure, wrong
    /// dimension, non-finite entries).
    pub fn at<P>(self, problem: &P, p: &Array1<f64>) -> Result<Array2<f64>>
    where
        P: Hessian<Param = Array1<f64>, Hessian = Array2<f64>> + CurvatureProducts + KfacCurvature,
    {
        let fail = |e: &dyn std::fmt::Display| {
            PlotError::InvalidInput(format!("the {} at the iterate: {e}", self.name()))
        };
        match self {
            Self::Hessian => problem.hessian(p).map_err(|e| fail(&e)),
            Self::SaddleFree => {
                let h = problem.hessian(p).map_err(|e| fail(&e))?;
                abs_sym(&h).map_err(|e| fail(&e))
            }
            Self::Ggn => problem.ggn(p).map_err(|e| fail(&e)),
            Self::Kfac => problem
                .kfac_factors(p, FisherKind::Exact)
                .map_err(|e| fail(&e))
                .and_then(|f| f.dense().map_err(|e| fail(&e))),
            Self::Bfgs => Err(PlotError::InvalidInput(
                "BFGS's estimate depends on the path: build the model with ModelOverlay::along"
                    .into(),
            )),
        }
    }
}

pub(super) fn bfgs_models<P>(
    problem: &P,
    points: &[Array1<f64>],
    damping: f64,
) -> Vec<Option<QuadraticModel>>
where
    P: Gradient<Param = Array1<f64>, Gradient = Array1<f64>>,
{
    let grads: Vec<Option<Array1<f64>>> = points
        .iter()
        .map(|p| {
            problem
                .gradient(p)
                .ok()
                .filter(|g| g.iter().all(|v| v.is_finite()))
        })
        .collect();
    let n = points.first().map_or(0, Array1::len);
    let mut h = Array2::<f64>::eye(n);
    let mut out = Vec::with_capacity(points.len());
    for k in 0..points.len() {
        let model = grads[k].as_ref().and_then(|g| {
            let b = spd_inverse(&h)?;
            QuadraticModel::new(points[k].clone(), g.clone(), b, damping)
                .ok()
                .map(|m| m.with_kind(ModelCurvature::Bfgs))
        });
        out.push(model);
        if let (Some(g0), Some(Some(g1))) = (grads[k].as_ref(), grads.get(k + 1)) {
            let s = &points[k + 1] - &points[k];
            let y = g1 - g0;
            let ys = y.fdot(&s);
            if ys.is_finite() && ys > 0.0 {
                let rho = 1.0 / ys;
                let e = Array2::<f64>::eye(n);
                let sy = outer(&s, &y) * rho;
                let left = &e - &sy;
                let right = &e - &sy.t();
                h = left.fdot(&h).fdot(&right) + outer(&s, &s) * rho;
            }
        }
    }
    out
}

fn outer(a: &Array1<f64>, b: &Array1<f64>) -> Array2<f64> {
    Array2::from_shape_fn((a.len(), b.len()), |(i, j)| a[i] * b[j])
}

/// `M⁻¹` of a symmetric positive definite `M` by its eigen-decomposition;
/// `None` if it is not (numerically) positive definite.
fn spd_inverse(m: &Array2<f64>) -> Option<Array2<f64>> {
    let sym = (m + &m.t()) * 0.5;
    let (mu, v) = sym_eig(&sym).ok()?;
    let top = mu.iter().fold(0.0_f64, |a, x| a.max(x.abs()));
    if mu.iter().any(|&x| x <= ZERO_TOL * top) {
        return None;
    }
    let scaled = &v * &mu.mapv(|x| 1.0 / x);
    Some(scaled.fdot(&v.t()))
}
