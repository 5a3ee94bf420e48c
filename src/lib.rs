//! # quad-vs-grad
//!
//! Why second-order optimizers are attractive, and what stops them in deep
//! learning — non-convexity, the cost of curvature and stochasticity — shown
//! by running code on a tiny XOR multilayer perceptron, small enough that
//! every curvature matrix can be formed exactly and every path drawn.
//!
//! The MLP is wrapped as an argmin problem ([`problem::XorProblem`]
//! implements `CostFunction`, `Gradient` and `Hessian`), so argmin's own
//! solvers run next to the crate's optimizers through one `Executor`.
//!
//! ```
//! use quad_vs_grad::prelude::*;
//!
//! let problem = XorProblem::reference();          // the output-weight slice
//! let p = array![2.0, -2.0];                        // the reference start
//! let loss = problem.cost(&p)?;
//! let grad = problem.gradient(&p)?;
//! let ggn = problem.ggn(&p)?;
//! let hess = problem.hessian(&p)?;
//! // The model is linear in (v1, v2): its Gauss–Newton matrix is its Hessian.
//! assert!((&ggn - &hess).iter().all(|d| d.abs() < 1e-12));
//! assert!(loss > 0.69 && grad.len() == 2);
//! # Ok::<(), argmin::core::Error>(())
//! ```
//!
//! ## Modules
//! - [`data`]: XOR data sets and seeded mini-batches;
//! - [`mlp`]: the network, with exact gradients, Hessian-vector products and Jacobians;
//! - [`problem`]: the argmin problem and its parameterisations (full, or a plane);
//! - [`curvature`]: GGN, Fisher variants, K-FAC factors, spectra;
//! - [`solvers`]: the crate's own optimizers, each an argmin `Solver`;
//! - [`race`]: run any argmin solver, or the named optimizers of one
//!   registry, side by side through argmin's `Executor`, one [`trace::Trace`]
//!   each; many seeded starts and the wells bake-off;
//! - [`trace`]: the record of a run;
//! - [`report`]: summary tables, CSV/JSON export, atomic file writes;
//! - [`plot`]: figures (loss landscape with paths, its GIF animation, loss
//!   curves, bake-off, curvature maps) as PNG/GIF/SVG or inline in Evcxr;
//! - [`landscapes`]: Gaussian wells, the classic toys and Rosenbrock, with exact
//!   derivatives, and their figures;
//! - [`gradcheck`]: analytic derivatives against central finite differences;
//! - [`linalg`]: products, solves and eigendecompositions in one fixed order
//!   (the same bits on every machine), and [`simd`]: the kernels' instruction
//!   set and the `QVG_SIMD` switch that forces one;
//! - [`lessons`]: each chapter's experiments and its own figures, one module
//!   per chapter, named after its notebook;
//! - [`fmt`]: numbers as text, one formatter per kind of number;
//! - [`prelude`]: what a notebook needs, in one `use`.
#![warn(missing_docs)]

#[macro_use]
pub mod simd;

pub mod curvature;
pub mod data;
pub mod error;
pub mod fmt;
pub mod gradcheck;
pub mod landscapes;
pub mod lessons;
pub mod linalg;
pub mod mlp;
pub mod outputs;
pub mod plot;
pub mod problem;
pub mod race;
pub mod report;
pub mod solvers;
pub mod stats;
pub mod trace;

pub use error::{Error, Result};

/// Re-exports of external crates, so a notebook needs no other `:dep`
/// (for example `quad_vs_grad::rand_chacha::ChaCha8Rng` for a seeded generator).
pub use argmin;
pub use ndarray;
pub use ndarray_linalg;
pub use rand;
pub use rand_chacha;

/// What a notebook needs to build a problem, run any optimizer and draw the
/// standard figures, in one `use`; nothing lesson-specific (each lesson's
/// own helpers are in its module of [`lessons`], which a chapter's notebook
/// imports beside this one).
///
/// - problems: [`XorProblem`](crate::problem::XorProblem) and its data and network, the landscapes;
/// - derivatives and curvature: argmin's traits, the eigenvalue helpers,
///   the finite-difference checks;
/// - racing: by name
///   ([`Raceable::run`](crate::race::Raceable::run),
///   [`Raceable::race`](crate::race::Raceable::race)), or with settings
///   ([`run`](crate::race::run), [`race`](crate::race::race),
///   [`run_solver`](crate::race::run_solver),
///   [`RacePreset`](crate::race::RacePreset));
/// - the crate's solvers, to configure by hand for
///   [`run_solver`](crate::race::run_solver), and argmin's `Solver` contract
///   ([`Solver`](argmin::core::Solver), [`Problem`](argmin::core::Problem),
///   [`SolverState`](crate::race::SolverState), [`KV`](argmin::core::KV),
///   [`ArgminError`](argmin::core::Error), [`TerminationStatus`](argmin::core::TerminationStatus))
///   to write one of your own;
/// - the standard figures: paths on a landscape, its animation, loss
///   curves, series charts, curvature maps and ellipses;
/// - the crate's deterministic products and solves ([`FixedDot`](crate::linalg::FixedDot),
///   [`FixedSolve`](crate::linalg::FixedSolve): the same bits on every machine);
/// - numbers as text: the [`fmt`] module.
pub mod prelude {
    pub use crate::curvature::{
        condition_number, eigenvalues, inertia, CurvatureProducts, FisherKind, KfacCurvature,
        MiniBatched,
    };
    pub use crate::data::Dataset;
    pub use crate::fmt;
    pub use crate::gradcheck::{check_gradient, check_hessian, DEFAULT_STEP};
    pub use crate::landscapes::{
        CoshValley, CosineWell, GaussianWells, Landscape, Quadratic, Rosenbrock, Saddle, TanhSlope,
    };
    pub use crate::linalg::{FixedDot, FixedSolve};
    pub use crate::mlp::Mlp;
    pub use crate::plot::landscape_figures::{curvature_grid, loss_grid};
    pub use crate::plot::{
        condition_figure, curvature_ellipses_figure, curvature_zoo, eigen_sign_figure,
        field_map_figure, journey_animation, loss_curves_figure, path_view, paths_figure,
        series_figure, top_eigen_basis, AnimationOptions, CurvatureGrid, CurveAxis, EllipseStyle,
        LegendCorner, LossGrid, NamedMatrix, PathsStyle, Series, SeriesChart, SeriesStyle,
    };
    pub use crate::problem::XorProblem;
    pub use crate::race::multistart::uniform_starts;
    pub use crate::race::{
        race, run, run_detailed, run_solver, OptimizerKind, OptimizerSpec, RaceConfig, RacePreset,
        Raceable, SolverState,
    };
    pub use crate::report::{Machine, Summary};
    pub use crate::solvers::{
        Adam, DampedNewton, Damping, GaussNewton, GradientDescent, HessianFree, Kfac,
        LevenbergMarquardt, RmsProp, SaddleFreeNewton,
    };
    pub use crate::trace::{StopReason, Trace};
    pub use argmin::core::{
        CostFunction, Error as ArgminError, Executor, Gradient, Hessian, Problem, Solver, State,
        TerminationReason, TerminationStatus, KV,
    };
    pub use ndarray::{array, Array1, Array2};
}
