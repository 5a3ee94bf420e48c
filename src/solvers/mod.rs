//! The crate's own optimizers, each an argmin [`Solver`](argmin::core::Solver).
//!
//! Every solver here runs through argmin's `Executor` like argmin's own
//! (observers, `max_iters`, `target_cost`, evaluation counting), works on
//! `Array1<f64>` parameters, and keeps the arithmetic of its update rule in a
//! small pure type tested on its own (optax style: hyperparameters + state +
//! `update(grad) -> step`), so the argmin glue stays thin.
//!
//! | solver | update rule | curvature it uses |
//! |---|---|---|
//! | [`GradientDescent`] (momentum, Nesterov) | [`Sgd`] | none |
//! | [`RmsProp`] | [`RmsPropRule`] | diagonal, from squared gradients |
//! | [`Adam`] | [`AdamRule`] | diagonal, from squared gradients |
//! | [`DampedNewton`] | [`DampedNewtonStep`] | Hessian `H + λI` |
//! | [`SaddleFreeNewton`] | [`SaddleFreeStep`] | `|H| + λI` |
//! | [`GaussNewton`] | [`GaussNewtonStep`] | GGN `G + λI` |
//! | [`Kfac`] | [`KfacStep`] in [`KfacRule`] | per-layer `G_l ⊗ A_l`, damped |
//! | [`HessianFree`] | [`truncated_cg`] in [`HessianFreeRule`] | Gauss–Newton-vector products (or Hessian-vector) |
//! | [`LangevinGd`] | [`LangevinRule`] | none (seeded Gaussian noise on each gradient) |
//! | [`AdaptiveGd`] | [`AdaptiveRule`] | Hessian spectrum, one scalar step `η / κ(H)` |
//! | [`StochasticBfgs`], [`StochasticLbfgs`] (naive, oBFGS, oLBFGS) | [`InverseHessian`] | gradient differences, fixed step |
//!
//! Three shared pieces of glue serve them:
//! - [`FirstOrder<R>`](FirstOrder) runs any [`UpdateRule`] (gradient descent,
//!   RMSprop, Adam, Langevin);
//! - [`Damped<R>`](Damped) runs any [`DampedRule`]: every damped method
//!   (damped and saddle-free Newton, Gauss–Newton, K-FAC, Hessian-free)
//!   takes its damping the same way, `with_damping(`[`Damping`]`) -> Self`,
//!   fixed or Levenberg–Marquardt-adapted, and has a stochastic mode;
//! - a [`HessianRule`] is the pure arithmetic of a step from the dense
//!   Hessian (damped and saddle-free Newton; condition-adaptive GD's
//!   [`AdaptiveRule`] has the same shape without damping), and every
//!   `HessianRule` is a `DampedRule` on a problem with a Hessian.
//!
//! Conventions shared by all of them:
//! - the state always holds the loss of its iterate (and, in full-batch mode,
//!   its gradient), so every iteration costs one loss and one gradient
//!   evaluation at the new point on top of the solver's curvature work;
//! - besides argmin's `cost_count`, `gradient_count` and `hessian_count`,
//!   they count [`CURVATURE_COUNT`] (curvature-vector products, dense GGN,
//!   K-FAC factors) and [`LINEAR_SOLVE_COUNT`] (factorisations,
//!   eigendecompositions and CG runs) in argmin's problem counters;
//! - a non-finite loss, gradient or iterate ends the run with
//!   `TerminationReason::SolverExit("diverged: …")` instead of an error;
//! - every solver here has a stochastic mode (`with_minibatch(batch_size, seed)`) that draws a fresh
//!   seeded mini-batch at every iteration through
//!   [`crate::curvature::MiniBatched`]; the problem is left on the last batch
//!   when the run ends. The damped methods can take their curvature from a
//!   separate curvature batch ([`Damped::with_curvature_batch`]); the
//!   stochastic quasi-Newton methods form their curvature pairs across two
//!   batches (naive) or on one ([`PairBatch`]). In that mode the state's cost is NaN (losses are only
//!   known on batches), so argmin's `target_cost` does not fire; the race's
//!   recorder evaluates the full-batch loss instead.
//!
//! argmin's own `SteepestDescent`, `Newton`, `BFGS`, `LBFGS` and
//! `TrustRegion` run on the same problems through [`crate::race`].
//!
//! # References
//! - D. P. Kingma and J. Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015.
//! - T. Tieleman and G. Hinton, *RMSprop*, COURSERA lecture 6.5, 2012.
//! - Y. Nesterov, *A method for solving the convex programming problem with convergence rate O(1/k²)*, 1983.
//! - Y. N. Dauphin et al., *Identifying and attacking the saddle point problem in high-dimensional non-convex optimization*, NeurIPS 2014.
//! - N. N. Schraudolph, *Fast curvature matrix-vector products for second-order gradient descent*, Neural Computation 2002.
//! - J. Martens, *Deep learning via Hessian-free optimization*, ICML 2010.
//! - J. Martens and R. Grosse, *Optimizing Neural Networks with Kronecker-factored Approximate Curvature*, ICML 2015.
//! - N. N. Schraudolph, J. Yu and S. Günter, *A stochastic quasi-Newton method for online convex optimization*, AISTATS 2007.
//! - J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer 2006.
//! - *Optimization in many dimensions*, course notebook, The University of Texas at Austin
//!   (Langevin noise and condition-number-adaptive steps on a Gaussian-wells landscape).
//!
//! "The reference race" in the solvers' docs is the race of the Quad_vs_Grad
//! program (<https://github.com/Stochastic-Batman/Quad_vs_Grad>) that
//! [`crate::race`] reproduces: SGD with learning rate 0.8, Adam 0.05, and
//! damping 0.1 for Newton, GGN and K-FAC.

pub mod adam;
pub mod adaptive_gd;
pub mod common;
pub mod damped;
pub mod damped_newton;
pub mod damping;
pub mod first_order;
pub mod gauss_newton;
pub mod gd;
pub mod hessian_free;
pub mod hessian_rule;
pub mod kfac;
pub mod langevin;
pub mod rmsprop;
pub mod saddle_free;
pub mod stochastic_qn;

pub use adam::{Adam, AdamRule, AdamState};
pub use adaptive_gd::{AdaptiveGd, AdaptiveRule, AdaptiveStep, StepScale};
pub use common::{
    add_count, solve_damped, BatchSampling, BatchSchedule, VecState, CURVATURE_COUNT,
    DIVERGED_PREFIX, LINEAR_SOLVE_COUNT,
};
pub use damped::{Damped, DampedRule, ProposedStep};
pub use damped_newton::{DampedNewton, DampedNewtonStep};
pub use damping::{reduction_ratio, Damping, LevenbergMarquardt, TrustRegionRule};
pub use first_order::{FirstOrder, UpdateRule};
pub use gauss_newton::{GaussNewton, GaussNewtonStep};
pub use gd::{GradientDescent, Momentum, Sgd, SgdState};
pub use hessian_free::{
    truncated_cg, CgOutcome, CgSettings, CgStop, HessianFree, HessianFreeRule, HfCurvature,
};
pub use hessian_rule::{HessianRule, HessianStep};
pub use kfac::{pi_correction, Kfac, KfacDampingMode, KfacRule, KfacStep};
pub use langevin::{LangevinGd, LangevinRule, LangevinState, NoiseSchedule};
pub use rmsprop::{RmsProp, RmsPropRule, RmsPropState};
pub use saddle_free::{SaddleFreeNewton, SaddleFreeStep};
pub use stochastic_qn::{
    two_loop, DenseInverse, InverseHessian, LimitedInverse, PairBatch, PairStats, StochasticBfgs,
    StochasticLbfgs, StochasticQuasiNewton, SKIP_EPSILON,
};
