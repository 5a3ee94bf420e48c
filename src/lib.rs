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
//! - [`experiments`]: the measurements behind the course's lessons;
//! - [`explorables`]: the data behind the book's interactive figures, and the
//!   crate's values their pages must reproduce.
#![warn(missing_docs)]

#[macro_use]
pub mod simd;

pub mod curvature;
pub mod data;
pub mod error;
pub mod experiments;
pub mod explorables;
pub mod gradcheck;
pub mod landscapes;
pub mod linalg;
pub mod mlp;
pub mod outputs;
pub mod plot;
pub mod problem;
pub mod race;
pub mod report;
pub mod solvers;
pub mod trace;

pub use error::{Error, Result};

/// Re-exports of external crates, so a notebook needs no other `:dep`
/// (for example `quad_vs_grad::rand_chacha::ChaCha8Rng` for a seeded generator).
pub use argmin;
pub use ndarray;
pub use ndarray_linalg;
pub use rand;
pub use rand_chacha;

/// Everything a notebook or example usually needs, in one `use`.
pub mod prelude {
    pub use crate::curvature::{
        abs_sym, condition_number, eigenvalues, inertia, CurvatureProducts, FisherKind,
        KfacCurvature, KfacFactors, MiniBatched,
    };
    pub use crate::data::{Dataset, MiniBatcher, Sampling};
    pub use crate::experiments::learning_rate::{gd_sweep, GdTheory};
    pub use crate::experiments::scaling::{ScalingConfig, ScalingStudy};
    pub use crate::experiments::stochastic::{
        batch_noise, kfac_averaging, AveragingConfig, NoiseConfig,
    };
    pub use crate::gradcheck::{check_gradient, check_hessian, GradCheck, HessCheck};
    pub use crate::landscapes::{
        CoshValley, CosineWell, GaussianWells, Landscape, Minimum, Quadratic, Rosenbrock, Saddle,
        TanhSlope,
    };
    pub use crate::linalg::{FixedDot, FixedSolve};
    pub use crate::mlp::Mlp;
    pub use crate::plot::{
        bakeoff_figure, condition_figure, curvature_ellipses_figure, curvature_zoo, data_figure,
        eigen_sign_figure, field_map_figure, journey_animation, loss_curves_figure, paths_figure,
        pca_plane, small_multiples_figure, view_bounds, Animation, AnimationOptions, BakeoffMetric,
        CurvatureGrid, CurveAxis, EllipseStyle, Figure, LossGrid, ModelCurvature, ModelOverlay,
        ModelShape, NamedMatrix, PathsStyle, QuadraticModel,
    };
    pub use crate::problem::{Parameterisation, Plane, XorProblem};
    pub use crate::race::multistart::{
        bakeoff, run_starts, uniform_starts, Bakeoff, BakeoffConfig, Contender,
    };
    pub use crate::race::Stochastic;
    pub use crate::race::{
        race, reference_race, run, run_solver, run_solver_with, OptimizerKind, OptimizerSpec,
        PathRecorder, RaceConfig, RacePreset, RaceProblem, Recordable, REGISTRY,
    };
    pub use crate::report::Summary;
    pub use crate::solvers::{
        Adam, AdaptiveGd, CgSettings, Damped, DampedNewton, Damping, GaussNewton, GradientDescent,
        HessianFree, HfCurvature, Kfac, KfacDampingMode, LangevinGd, LevenbergMarquardt,
        NoiseSchedule, RmsProp, SaddleFreeNewton, StepScale,
    };
    pub use crate::solvers::{PairBatch, StochasticBfgs, StochasticLbfgs};
    pub use crate::trace::{Counts, Settings, StopReason, Trace};
    pub use argmin::core::{CostFunction, Executor, Gradient, Hessian, State};
    pub use ndarray::{array, Array1, Array2};
}
