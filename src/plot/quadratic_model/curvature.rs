//! Which curvature the model uses, [`ModelCurvature`] (BFGS's estimate,
//! rebuilt along a path, is in `bfgs.rs`).

use argmin::core::Hessian;
use ndarray::{Array1, Array2};

use crate::curvature::{abs_sym, CurvatureProducts, FisherKind, KfacCurvature};
use crate::plot::error::{PlotError, Result};

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
