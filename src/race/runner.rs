//! The runner: any argmin solver ([`run_solver`]) or any registry kind
//! ([`run`], [`race`]) through argmin's `Executor`, with the
//! [`PathRecorder`] and the [`StepNormStop`] rule, into a [`Trace`].

use argmin::core::observers::ObserverMode;
use argmin::core::{
    CostFunction, Error as ArgminError, Executor, Gradient, Hessian, IterState, Solver, State, KV,
};
use ndarray::{Array1, Array2};

use super::budget::{BudgetSpent, Budgeted, Meter};
use super::recorder::{lock, Diverged, PathRecorder, Recording, RunOutput};
use super::registry::run_kind;
use super::stopping::{stop_reason, StepNormStop};
use super::{OptimizerSpec, RaceConfig};
use crate::curvature::{CurvatureProducts, KfacCurvature, MiniBatched};
use crate::problem::XorProblem;
use crate::trace::{Settings, StopReason, Trace};

/// A problem whose runs the race can record: what the [`PathRecorder`]
/// needs, and nothing about curvature.
///
/// The recorder evaluates the full-batch loss and gradient of each iterate
/// ([`MiniBatched::full_batch_cost`], [`MiniBatched::full_batch_gradient`]) on
/// its own clone of the problem. A learner's own problem implements argmin's
/// `CostFunction` / `Gradient` (and whatever its solver needs), plus
/// [`MiniBatched`] and this trait (an empty `impl` keeps the type's name as
/// the display name); [`run_solver`] then races any argmin solver on it.
pub trait Recordable: MiniBatched + Clone + 'static {
    /// The display name written into [`Trace::problem`]; by default the
    /// type's name.
    fn race_name(&self) -> String {
        std::any::type_name::<Self>()
            .rsplit("::")
            .next()
            .unwrap_or("problem")
            .to_string()
    }
}

impl Recordable for XorProblem {
    fn race_name(&self) -> String {
        self.name().to_string()
    }
}

/// Everything a problem needs to run every kind of the
/// [`REGISTRY`](super::REGISTRY): implemented for every [`Recordable`] problem
/// with argmin's `CostFunction`, `Gradient` and `Hessian` on `Array1<f64>` /
/// `Array2<f64>`, [`CurvatureProducts`] and [`KfacCurvature`].
///
/// `CostFunction`, `Gradient` and `Hessian` serve argmin's solvers and the
/// Newton family; [`CurvatureProducts`], [`KfacCurvature`] and
/// [`MiniBatched`] serve Gauss–Newton, K-FAC, Hessian-free and the
/// stochastic mode. A problem without a network structure (an analytic
/// landscape) implements the missing parts by returning an error (for
/// example `ggn` or `kfac_factors`), and `num_examples() == 0` from
/// [`MiniBatched`]; the optimizers that need them are then reported as
/// [`StopReason::Failed`] with that error's message, while every other
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

/// The state of the solvers [`run_solver`] takes: no Jacobian or residuals,
/// Hessian type `H` (`()` for a solver that keeps none, `Array2<f64>` for
/// argmin's Newton, BFGS and trust region).
pub type Ist<H> = RaceState<(), H, ()>;

/// What the registry adds to a run beyond the solver: uncounted linear
/// solves per iteration, and a gradient-norm stop.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Extras {
    /// Linear solves per iteration that argmin does not count.
    pub solves_per_iter: u64,
    /// Stop when the state's gradient has `‖g‖ <` this.
    pub gradient_tol: Option<f64>,
}

impl Extras {
    /// `n` uncounted linear solves per iteration.
    pub fn solves(n: u64) -> Self {
        Self {
            solves_per_iter: n,
            gradient_tol: None,
        }
    }
}

/// Runs `solver` from `start` through argmin's executor with a recorder and
/// the step-norm stop, on the problem wrapped in its budget ([`Budgeted`]),
/// and assembles the trace.
#[allow(clippy::too_many_arguments)]
pub(crate) fn execute<P, S, H>(
    problem: &P,
    start: &Array1<f64>,
    label: &str,
    solver: S,
    cfg: &RaceConfig,
    settings: Settings,
    extras: Extras,
    configure: impl FnOnce(Ist<H>) -> Ist<H>,
) -> RunOutput
where
    P: Recordable,
    S: Solver<Budgeted<P>, Ist<H>>,
    H: 'static,
{
    // argmin's solvers compute their products through ndarray and OpenBLAS.
    crate::linalg::blas_single_threaded();
    let meter = Meter::new(cfg.eval_budget(), cfg.max_seconds);
    let mut recorder = PathRecorder::new(problem.clone(), cfg.divergence_factor)
        .with_max_recorded(cfg.max_recorded)
        .with_meter(meter.clone());
    recorder.extra_solves_per_iter = extras.solves_per_iter;
    let recording = recorder.recording();
    let mut stop_rule = StepNormStop::new(solver, cfg.tol);
    if let Some(gtol) = extras.gradient_tol {
        stop_rule = stop_rule.with_gradient_tol(gtol);
    }
    let x0 = start.clone();
    let max_iters = cfg.max_iters;
    let budgeted = Budgeted::new(problem.clone(), meter.clone());
    let result = Executor::new(budgeted, stop_rule)
        .configure(|state| configure(state.param(x0).max_iters(max_iters).counting(true)))
        .add_observer(recorder.clone(), ObserverMode::Always)
        .ctrlc(false)
        .run();
    if lock(&recording).iterates.is_empty() {
        // Failed before observing the start: record it for the figures.
        let _ = recorder.record(Some(start), &Default::default(), &KV::new());
    }
    let mut data = std::mem::take(&mut *lock(&recording));
    data.finish(problem);
    let stop = match (&result, &data.diverged) {
        (_, Some(why)) => StopReason::Diverged(why.clone()),
        (Err(e), None) => {
            if let Some(b) = e.downcast_ref::<BudgetSpent>() {
                StopReason::Budget(b.0.clone())
            } else if let Some(d) = e.downcast_ref::<Diverged>() {
                StopReason::Diverged(d.0.clone())
            } else if meter.spent() {
                // a solver that wrapped the refusal in its own error
                StopReason::Budget(meter.reason())
            } else {
                StopReason::Failed(e.to_string())
            }
        }
        (Ok(res), None) => stop_reason(res.state().get_termination_status()),
    };
    data.into_output(label, problem.race_name(), stop, settings)
}

/// The trace of a run that could not start (invalid hyperparameters): the
/// start point alone, through the same conversion as every other run.
pub(crate) fn failed<P: Recordable>(
    problem: &P,
    start: &Array1<f64>,
    label: &str,
    settings: Settings,
    why: String,
) -> RunOutput {
    let mut recorder = PathRecorder::new(problem.clone(), 1.0);
    let _ = recorder.record(Some(start), &Default::default(), &KV::new());
    let data: Recording = std::mem::take(&mut *recorder.lock());
    data.into_output(
        label,
        problem.race_name(),
        StopReason::Failed(why),
        settings,
    )
}

/// Races any argmin solver: runs `solver` from `start` on `problem` through
/// argmin's `Executor`, recorded and stopped exactly like the registry's
/// kinds (same [`PathRecorder`], same counters, the [`StepNormStop`] rule
/// with [`RaceConfig::tol`], [`RaceConfig::max_iters`], divergence limit,
/// and the budget of [`RaceConfig::max_evals`] and
/// [`RaceConfig::max_seconds`]), and returns its [`Trace`] labelled `label`.
///
/// The solver sees the problem wrapped in its budget, [`Budgeted`]`<P>`,
/// which has every trait `P` has: a solver generic over the problem
/// (argmin's and the crate's all are) runs unchanged.
///
/// The solver is used as configured: [`RaceConfig::lr`],
/// [`RaceConfig::damping`], [`RaceConfig::batch_size`] and
/// [`RaceConfig::seed`] are for the registry's kinds and do not reach it.
/// The trace's [`Settings`] hold the configuration's tolerance and
/// iteration limit (the race cannot see inside the solver; set the solver's
/// own hyperparameters on `trace.settings` if you export it). A solver that
/// needs more in its initial state (argmin's BFGS needs an initial inverse
/// Hessian) goes through [`run_solver_with`].
///
/// Never panics: a solver error gives a [`StopReason::Failed`] trace, a
/// diverging run a [`StopReason::Diverged`] one, an invalid `cfg` a failed
/// trace holding the start.
///
/// ```
/// use quad_vs_grad::prelude::*;
/// use quad_vs_grad::plot::landscape;
///
/// let preset = RacePreset::reference();
/// let cfg = RaceConfig::default();
/// // A hand-configured Adam: a slower second-moment average than the default.
/// let mine = Adam::new(0.05)?.with_betas(0.9, 0.99)?;
/// let custom = run_solver(&preset.problem, &preset.start, "Adam β₂ = 0.99", mine, &cfg);
/// // The registry's Adam, with its defaults (lr 0.05, β = (0.9, 0.999)).
/// let preset_adam = run(&preset.problem, &preset.start, &"adam".parse()?, &cfg);
/// assert_eq!(custom.iterates[0], preset_adam.iterates[0]);
/// assert!(custom.final_loss() < custom.loss[0] && !custom.diverged());
/// assert_eq!(custom.settings.tol, cfg.tol);
///
/// // Both on one picture.
/// let traces = vec![custom, preset_adam];
/// let (grid, shown) = landscape(&preset.problem, &traces, None, 60)?;
/// let png = paths_figure(&grid, &shown, &PathsStyle::default())?;
/// assert!(png.bytes().starts_with(b"\x89PNG"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_solver<P, S, H>(
    problem: &P,
    start: &Array1<f64>,
    label: &str,
    solver: S,
    cfg: &RaceConfig,
) -> Trace
where
    P: Recordable,
    S: Solver<Budgeted<P>, Ist<H>>,
    H: 'static,
{
    run_solver_with(problem, start, label, solver, cfg, |s| s).trace
}

/// [`run_solver`] with `configure` applied to argmin's initial state (after
/// the start point, iteration limit and counting are set), and the
/// per-iteration diagnostics the solver reported.
///
/// ```
/// use quad_vs_grad::prelude::*;
/// use argmin::solver::linesearch::MoreThuenteLineSearch;
/// use argmin::solver::quasinewton::BFGS;
///
/// let preset = RacePreset::reference();
/// let bfgs = BFGS::new(MoreThuenteLineSearch::new()).with_tolerance_grad(1e-5)?;
/// let out = run_solver_with(&preset.problem, &preset.start, "BFGS", bfgs,
///     &RaceConfig::default(), |s| s.inv_hessian(Array2::eye(2)));
/// assert_eq!(out.trace.stop, StopReason::GradientNorm);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_solver_with<P, S, H>(
    problem: &P,
    start: &Array1<f64>,
    label: &str,
    solver: S,
    cfg: &RaceConfig,
    configure: impl FnOnce(Ist<H>) -> Ist<H>,
) -> RunOutput
where
    P: Recordable,
    S: Solver<Budgeted<P>, Ist<H>>,
    H: 'static,
{
    let settings = Settings {
        seed: cfg.seed,
        tol: cfg.tol,
        max_iters: cfg.max_iters,
        max_evals: cfg.eval_budget(),
        max_seconds: cfg.max_seconds,
        ..Settings::default()
    };
    if let Err(e) = cfg.validate() {
        return failed(problem, start, label, settings, e.to_string());
    }
    execute(
        problem,
        start,
        label,
        solver,
        cfg,
        settings,
        Extras::default(),
        configure,
    )
}

/// Runs one registry optimizer and returns its trace with the
/// per-iteration diagnostics.
///
/// The hyperparameters are [`OptimizerSpec::settings`], recorded in the
/// trace; the label is [`OptimizerSpec::display_label`]. Never panics:
/// invalid hyperparameters, or a kind refused in stochastic mode
/// ([`OptimizerSpec::check`]), give a [`StopReason::Failed`] trace holding
/// only the start point and the reason; a diverging run a [`StopReason::Diverged`] trace.
pub fn run_detailed<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    spec: &OptimizerSpec,
    cfg: &RaceConfig,
) -> RunOutput {
    let label = spec.display_label(cfg);
    let settings = spec.settings(cfg);
    if let Err(e) = cfg.validate().and_then(|()| spec.check(cfg)) {
        return failed(problem, start, &label, settings, e.to_string());
    }
    run_kind(problem, start, &label, spec.kind, settings, cfg)
}

/// Runs one optimizer from `start` and returns its [`Trace`].
///
/// Never panics; see [`run_detailed`].
pub fn run<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    spec: &OptimizerSpec,
    cfg: &RaceConfig,
) -> Trace {
    run_detailed(problem, start, spec, cfg).trace
}

/// Runs every spec from `start`, one after the other (so wall times do not
/// compete), and returns one [`Trace`] per spec, in order. A failing or
/// diverging run does not affect the others.
pub fn race<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    specs: &[OptimizerSpec],
    cfg: &RaceConfig,
) -> Vec<Trace> {
    specs.iter().map(|s| run(problem, start, s, cfg)).collect()
}
