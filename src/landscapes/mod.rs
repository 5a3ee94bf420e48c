//! The course's other landscapes: objectives with exact derivatives that
//! show, one at a time, what the XOR network shows all at once.
//!
//! | landscape | what it teaches |
//! |---|---|
//! | [`GaussianWells`] | a random sum of Gaussian wells in `d` dimensions: many basins, flat plateaus, saddles between wells |
//! | [`CosineWell`] | `x·cos(πx)` on `[−1, 2]`: a local and a global minimum |
//! | [`Saddle`] | `x² − y²`: a saddle point that gradient descent reaches from the `x` axis |
//! | [`TanhSlope`] | `tanh x` from `x = 4`: a vanishing gradient |
//! | [`CoshValley`] | `cosh(cx)`: Newton's method converging faster than linearly |
//! | [`Quadratic`] | a rotated bowl of chosen condition number: where the theory of gradient descent is exact |
//! | [`Rosenbrock`] | an ill-conditioned curved valley |
//!
//! Every landscape is an argmin problem (`CostFunction`, `Gradient`,
//! `Hessian` on `Array1<f64>` / `Array2<f64>`) with analytic derivatives, and
//! implements the crate's [`CurvatureProducts`](crate::curvature::CurvatureProducts), [`MiniBatched`](crate::curvature::MiniBatched) and
//! [`KfacCurvature`](crate::curvature::KfacCurvature) so that the race runner accepts it next to the XOR
//! problem. None of them has data: `num_examples()` is 0 and only the full
//! batch exists; only [`Rosenbrock`], a sum of squares, has a Gauss–Newton
//! matrix; none has K-FAC factors (those methods return a clear error).
//!
//! The common interface of all of them is the [`Landscape`] trait: a display
//! name, the dimension, the box used for figures and random starts, the start
//! point of the lesson, and the global minimum where one is known.
//!
//! Around them:
//! - [`crate::race::multistart`]: run any optimizer from many seeded starts, keep every trace,
//!   and the bake-off table of the *Optimization in many dimensions*
//!   notebook ([sources](#sources))
//!   (`cargo run --release --example bakeoff`);
//! - their figures live with the others, in [`crate::plot::landscape_figures`]:
//!   many-start trajectories, loss curves with their mean, bake-off bars,
//!   1-D toys with iterates, Hessian maps
//!   (`cargo run --release --example landscape_figures`);
//! - [`crate::gradcheck`] checks every derivative here against finite
//!   differences.
//!
//! # Sources
//! - *Optimization in many dimensions*, a course notebook of The University
//!   of Texas at Austin (Jupyter, NumPy): the random Gaussian-wells
//!   landscape with its analytic gradient and Hessian, batched random starts,
//!   the optimizers compared on it and the bake-off of final loss against
//!   wall time ([`wells`], the multi-start runner). Cited below as *the
//!   many-dimensions notebook*.
//! - *Optimizers-from-Scratch*, public notes on optimization in deep
//!   learning: local minima (`x cos(πx)` on `[−1, 2]`), saddle points
//!   (`x² − y²`), vanishing gradients (`tanh` from `x = 4`) and Newton's
//!   method on `cosh(cx)` ([`toys`]). Cited below as *the from-scratch notes*.
//!   Those examples in turn follow A. Zhang, Z. C. Lipton, M. Li,
//!   A. J. Smola, *Dive into Deep Learning*, ch. 12 (Optimization
//!   Algorithms), Cambridge University Press, 2023, <https://d2l.ai>.
//! - H. H. Rosenbrock, *An automatic method for finding the greatest or
//!   least value of a function*, The Computer Journal 3(3), 1960
//!   ([`rosenbrock`]).

use argmin::core::{CostFunction, Gradient, Hessian};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub mod quadratic;
pub mod rosenbrock;
pub mod toys;
pub mod wells;

pub use quadratic::Quadratic;
pub use rosenbrock::Rosenbrock;
pub use toys::{CoshValley, CosineWell, Saddle, TanhSlope};
pub use wells::GaussianWells;

/// A minimum of a landscape: where it is and the loss there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Minimum {
    /// The minimiser `x*`.
    pub point: Array1<f64>,
    /// The loss `L(x*)`.
    pub value: f64,
}

/// What every landscape of this module offers beyond argmin's traits.
pub trait Landscape:
    CostFunction<Param = Array1<f64>, Output = f64>
    + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
    + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>
    + Clone
{
    /// Display name, used in tables and figure titles.
    fn name(&self) -> String;

    /// Number of parameters `d`.
    fn dim(&self) -> usize;

    /// The box `[lo_i, hi_i]` per coordinate shown in figures and used to
    /// draw random starts.
    fn domain(&self) -> Vec<(f64, f64)>;

    /// The start point of the lesson (for example `x = 4` on [`TanhSlope`]).
    fn start(&self) -> Array1<f64>;

    /// The global minimum, or `None` where the loss is unbounded below or
    /// has no minimiser ([`Saddle`], [`TanhSlope`]). For [`CosineWell`] it is
    /// the minimum over its interval `[−1, 2]`.
    fn global_minimum(&self) -> Option<Minimum>;
}

/// `Err(Error::Shape)` unless `p` has `dim` entries.
pub(crate) fn check_len(name: &str, p: &Array1<f64>, dim: usize) -> Result<()> {
    if p.len() == dim {
        Ok(())
    } else {
        Err(Error::Shape(format!(
            "{name}: parameter has {} entries, the landscape has dimension {dim}",
            p.len()
        )))
    }
}

/// Implements the crate's curvature and mini-batch traits for a landscape
/// that has no data: Hessian-vector products from the dense Hessian, no
/// Gauss–Newton structure (unless `ggn` is given), no K-FAC factors, and a
/// single full batch.
macro_rules! impl_dataless {
    ($ty:ty) => {
        impl $crate::curvature::CurvatureProducts for $ty {
            fn hessian_vec(
                &self,
                p: &ndarray::Array1<f64>,
                v: &ndarray::Array1<f64>,
            ) -> std::result::Result<ndarray::Array1<f64>, argmin::core::Error> {
                $crate::landscapes::check_len(&$crate::landscapes::Landscape::name(self), v, p.len())?;
                Ok($crate::linalg::FixedDot::fdot(
                    &argmin::core::Hessian::hessian(self, p)?,
                    v,
                ))
            }

            fn ggn_vec(
                &self,
                _p: &ndarray::Array1<f64>,
                _v: &ndarray::Array1<f64>,
            ) -> std::result::Result<ndarray::Array1<f64>, argmin::core::Error> {
                Err($crate::landscapes::no_ggn(&$crate::landscapes::Landscape::name(self)))
            }

            fn ggn(
                &self,
                _p: &ndarray::Array1<f64>,
            ) -> std::result::Result<ndarray::Array2<f64>, argmin::core::Error> {
                Err($crate::landscapes::no_ggn(&$crate::landscapes::Landscape::name(self)))
            }
        }
        $crate::landscapes::impl_dataless!(@rest $ty);
    };
    (@rest $ty:ty) => {
        impl $crate::curvature::KfacCurvature for $ty {
            fn kfac_factors(
                &self,
                _p: &ndarray::Array1<f64>,
                _kind: $crate::curvature::FisherKind,
            ) -> std::result::Result<$crate::curvature::KfacFactors, argmin::core::Error> {
                Err($crate::Error::InvalidConfig(format!(
                    "{}: no K-FAC factors for this landscape (K-FAC needs network layers)",
                    $crate::landscapes::Landscape::name(self)
                ))
                .into())
            }
        }

        impl $crate::curvature::Recordable for $ty {
            fn race_name(&self) -> String {
                $crate::landscapes::Landscape::name(self)
            }

            fn default_start(&self) -> Option<ndarray::Array1<f64>> {
                Some($crate::landscapes::Landscape::start(self))
            }
        }

        impl $crate::curvature::MiniBatched for $ty {
            fn num_examples(&self) -> usize {
                0
            }

            fn set_batch(
                &mut self,
                indices: Option<&[usize]>,
            ) -> std::result::Result<(), argmin::core::Error> {
                match indices {
                    None => Ok(()),
                    Some(_) => Err($crate::Error::InvalidConfig(format!(
                        "{}: this landscape has no data, so no mini-batches (only the full batch, `None`)",
                        $crate::landscapes::Landscape::name(self)
                    ))
                    .into()),
                }
            }

            fn full_batch_cost(
                &self,
                p: &ndarray::Array1<f64>,
            ) -> std::result::Result<f64, argmin::core::Error> {
                argmin::core::CostFunction::cost(self, p)
            }

            fn full_batch_gradient(
                &self,
                p: &ndarray::Array1<f64>,
            ) -> std::result::Result<ndarray::Array1<f64>, argmin::core::Error> {
                argmin::core::Gradient::gradient(self, p)
            }
        }
    };
}
pub(crate) use impl_dataless;

/// The error of the Gauss–Newton methods on a landscape that is not a sum of
/// squares.
pub(crate) fn no_ggn(name: &str) -> argmin::core::Error {
    Error::InvalidConfig(format!(
        "{name}: no Gauss–Newton structure for this landscape (it is not a sum of squared residuals)"
    ))
    .into()
}

/// Finds a root of `f` in `[lo, hi]` (where `f(lo)` and `f(hi)` have opposite
/// signs) by bisection down to adjacent floating-point numbers.
pub(crate) fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    let mut flo = f(lo);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        let fm = f(mid);
        if fm == 0.0 {
            return mid;
        }
        if (fm < 0.0) == (flo < 0.0) {
            lo = mid;
            flo = fm;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}
