//! What the race asks of a problem and of a solver's state: the traits and
//! types every other file of the race builds on (the runner, the budget,
//! the recorder, the stopping rule and the registry), kept apart so that
//! none of them depends on the runner.

use argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian, IterState, KV};
use ndarray::{Array1, Array2};

use crate::curvature::{CurvatureProducts, KfacCurvature, Recordable};

/// Everything a problem needs to run every kind of the
/// [`REGISTRY`](super::REGISTRY): implemented for every [`Recordable`] problem
/// with argmin's `CostFunction`, `Gradient` and `Hessian` on `Array1<f64>` /
/// `Array2<f64>`, [`CurvatureProducts`] and [`KfacCurvature`].
///
/// `CostFunction`, `Gradient` and `Hessian` serve argmin's solvers and the
/// Newton family; [`CurvatureProducts`], [`KfacCurvature`] and
/// [`MiniBatched`](crate::curvature::MiniBatched) serve Gauss–Newton, K-FAC, Hessian-free and the
/// stochastic mode. A problem without a network structure (an analytic
/// landscape) implements the missing parts by returning an error (for
/// example `ggn` or `kfac_factors`), and `num_examples() == 0` from
/// [`MiniBatched`](crate::curvature::MiniBatched); the optimizers that need them are then reported as
/// [`StopReason::Failed`](crate::trace::StopReason::Failed) with that error's message, while every other
/// optimizer runs normally.
pub trait RaceProblem:
    Recordable
    + CostFunction<Param = Array1<f64>, Output = f64>
    + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
    + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>
    + CurvatureProducts
    + KfacCurvature
    + Send
    + Sync
{
}

impl<P> RaceProblem for P where
    P: Recordable
        + CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>
        + CurvatureProducts
        + KfacCurvature
        + Send
        + Sync
{
}

/// The argmin state of every solver a race runs: `Array1<f64>` parameters
/// and gradients, `f64` cost; Jacobian `J`, Hessian `H` and residuals `R`
/// as the solver needs.
pub type RaceState<J, H, R> = IterState<Array1<f64>, Array1<f64>, J, H, R, f64>;

/// What `Solver::init` and `Solver::next_iter` return on a [`RaceState`].
pub type SolverResult<J, H, R> = std::result::Result<(RaceState<J, H, R>, Option<KV>), ArgminError>;

/// The state of the solvers [`run_solver`](super::run_solver) takes: no Jacobian or residuals,
/// Hessian type `H` (`()` for a solver that keeps none, `Array2<f64>` for
/// argmin's Newton, BFGS and trust region).
pub type SolverState<H> = RaceState<(), H, ()>;
