//! Optimizers racing on one problem: every run goes through argmin's
//! `Executor`, is recorded by the same [`PathRecorder`] and counted the same
//! way, so comparisons are fair.
//!
//! - any argmin solver, configured by hand: [`run_solver`];
//! - a named kind from the one table of optimizers, [`REGISTRY`]
//!   ([`OptimizerKind`], [`Descriptor`]), with an [`OptimizerSpec`]: [`run`],
//!   or several with [`race`]; ready-made races in [`RacePreset`];
//! - every optimizer from many seeded starts, and the bake-off:
//!   [`multistart`].
//!
//! ```
//! use quad_vs_grad::prelude::*;
//! use quad_vs_grad::race::{race, reference_race, RaceConfig};
//!
//! let problem = XorProblem::reference();
//! let traces = race(&problem, &array![2.0, -2.0], &reference_race(), &RaceConfig::default());
//! let best = traces.iter().map(|t| t.final_loss()).fold(f64::INFINITY, f64::min);
//! for t in &traces {
//!     // every optimizer ends at the same minimum of this convex slice (loss ≈ 0.6899)
//!     assert!((t.final_loss() - best).abs() < 1e-6, "{}: {}", t.optimizer, t.final_loss());
//! }
//! # Ok::<(), quad_vs_grad::Error>(())
//! ```
//!
//! # How a run is made fair
//! - **One recorder.** A [`PathRecorder`] observer (argmin `ObserverMode::Always`)
//!   stores every iterate with its *full-batch* loss and gradient norm,
//!   evaluated on the recorder's own clone of the problem: argmin's
//!   `SteepestDescent` and `Newton` never store the gradient (nor `Newton` the
//!   loss), and stochastic runs only see mini-batch losses. These evaluations
//!   never reach argmin's counters, and the recorder's own time is
//!   subtracted from the wall time.
//! - **One counter.** Counts come from argmin's problem wrapper
//!   (`cost_count`, `gradient_count`, `hessian_count`) plus the crate's
//!   `curvature_count` and `linear_solve_count`
//!   ([`crate::solvers::CURVATURE_COUNT`], [`crate::solvers::LINEAR_SOLVE_COUNT`]).
//!   argmin's `Newton` inverts its Hessian and its trust region runs a
//!   Steihaug CG once per iteration without counting it: the runner counts one
//!   linear solve per iteration for them. Evaluations made in a solver's
//!   `init` appear in the counts of iterate 1 (argmin updates the counters
//!   after observing `init`).
//! - **One stopping rule.** Every optimizer is wrapped ([`StepNormStop`]) so that it stops when
//!   a step is shorter than [`RaceConfig::tol`] (`‖p_{k+1} − p_k‖ < tol`; a
//!   rejected step, which leaves the iterate bit-for-bit unchanged, does not
//!   count), or after [`RaceConfig::max_iters`]. argmin's BFGS and L-BFGS also
//!   stop when `‖g‖ < tol` (SciPy's `gtol` in the reference), and so does
//!   argmin's trust region, which has no stopping rule of its own (the
//!   wrapper checks the gradient it stores); reported as
//!   [`StopReason::GradientNorm`].
//! - **One record of the settings.** Every trace carries the
//!   [`Settings`](crate::trace::Settings) it ran with (learning rate,
//!   momentum, noise, damping, mini-batch size, seed, tolerance, iteration
//!   limit).
//! - **Stochastic mode is all or refused.** With [`RaceConfig::batch_size`]
//!   every kind draws a fresh seeded mini-batch each iteration
//!   ([`Stochastic`]), the damped ones optionally with a separate curvature
//!   batch ([`RaceConfig::curvature_batch_size`]); a kind that cannot have a
//!   stochastic mode (argmin's line-search methods and trust region) is
//!   refused with its reason ([`OptimizerSpec::check`]), never run silently
//!   on the full batch. The recorded loss is always the full-batch loss.
//! - **Every run has a budget.** [`RaceConfig::max_evals`] evaluations
//!   (default [`EVALS_PER_ITER`] per allowed iteration) and
//!   [`RaceConfig::max_seconds`] of wall time (default 60 s). The budget is
//!   enforced by a wrapper around the problem, [`Budgeted`], which refuses
//!   further evaluations once it is spent: an observer only runs between
//!   iterations, and argmin's More–Thuente line search runs an inner loop
//!   with no iteration limit (from `(1e300, −1e300)` it never returns), but
//!   every loop of every solver evaluates the problem, so the refusal ends
//!   the run wherever it is. The run stops with [`StopReason::Budget`]; the
//!   others run on. A hang is impossible, not merely unlikely, for any
//!   solver whose loops evaluate the problem. The one loop of the registry
//!   that does not, the Steihaug CG inside argmin's trust region (it reuses
//!   the stored Hessian, and loops forever on a non-finite one: found by
//!   the fuzz tests), gets an iteration limit of `10 n + 10`; a solver of
//!   your own passed to [`run_solver`] must bound such loops itself (the
//!   recorder still checks the wall time between iterations).
//! - **Bounded memory.** A trace keeps at most [`RaceConfig::max_recorded`]
//!   entries (default [`MAX_RECORDED`]): past it the recorder keeps every
//!   second entry and doubles its stride, always keeping the start and the
//!   last iterate ([`Trace::iteration`](crate::trace::Trace::iteration) gives
//!   an entry's iteration); the full-resolution loss curve (one `f64` per
//!   iteration) is in [`RunOutput::loss_curve`]. [`RaceConfig::max_iters`]
//!   is at most [`MAX_ITERS`].
//! - **Divergence is a result.** A non-finite full-batch loss or iterate, or
//!   a loss above `|L₀| + divergence_factor · max(|L₀|, 1)`, ends the run as
//!   [`StopReason::Diverged`]; a solver error ends it as
//!   [`StopReason::Failed`]. Neither panics nor stops the rest of the race.
//!
//! [`StopReason::GradientNorm`]: crate::trace::StopReason::GradientNorm
//! [`StopReason::Diverged`]: crate::trace::StopReason::Diverged
//! [`StopReason::Failed`]: crate::trace::StopReason::Failed
//! [`StopReason::Budget`]: crate::trace::StopReason::Budget

mod budget;
mod concrete;
mod config;
mod execute;
pub mod multistart;
mod presets;
mod quick;
mod recorder;
mod registry;
mod runner;
mod stopping;
mod traits;

pub use crate::curvature::Recordable;
pub use budget::{BudgetSpent, Budgeted, Deadline, EvalKind, Meter};
pub use config::{
    OptimizerSpec, RaceConfig, EVALS_PER_ITER, MAX_DENSE_BYTES, MAX_ITERS, MAX_RECORDED,
};
pub use execute::abandoned_runs;
pub(crate) use execute::failed;
pub use presets::{reference_race, RacePreset};
pub use quick::{Race, Raceable};
pub use recorder::{Diagnostics, Diverged, PathRecorder, Recording, RunOutput};
pub use registry::{DampingUse, Descriptor, OptimizerFamily, OptimizerKind, Stochastic, REGISTRY};
pub use runner::{race, run, run_detailed, run_solver, run_solver_with};
pub use stopping::{stop_reason, StepNormStop, STEP_NORM_TEXT};
pub use traits::{RaceProblem, RaceState, SolverResult, SolverState};
