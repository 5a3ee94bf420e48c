//! The runner: any argmin solver ([`run_solver`]) or any registry kind
//! ([`run`], [`race`]) through argmin's `Executor`, with the
//! [`PathRecorder`] and the [`StepNormStop`] rule, into a [`Trace`].

use argmin::core::observers::ObserverMode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use argmin::core::{
    CostFunction, Error as ArgminError, Executor, Gradient, Hessian, IterState, Solver, State,
    TerminationStatus, KV,
};
use ndarray::{Array1, Array2};

use super::budget::{BudgetSpent, Budgeted, Deadline, EvalKind, Meter};
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
/// and assembles the trace. The run happens on the calling thread: a call
/// that never returns to the budget's checks (a dense factorisation) can
/// overrun the wall-time limit; [`execute_watched`] cannot.
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
    deadline: Option<Deadline>,
) -> RunOutput
where
    P: Recordable,
    S: Solver<Budgeted<P>, Ist<H>>,
    H: 'static,
{
    let run = Prepared::new(problem, start, solver, cfg, extras, deadline);
    let (meter, recorder) = (run.meter.clone(), run.recorder.clone());
    let outcome = run.run(configure);
    conclude(problem, start, label, settings, &meter, recorder, outcome)
}

/// [`execute`] on a worker thread, watched by the calling one: at the
/// wall-time limit (or the race's deadline) the watcher marks the budget
/// spent and returns the trace so far, whatever the run is doing. A worker
/// still inside a call that cannot be interrupted (a dense factorisation or
/// eigendecomposition, or argmin's Newton inside LAPACK)
/// is left to finish it in the background; its next evaluation is refused,
/// which ends it, and its results are dropped. Memory stays bounded by the
/// dense-matrix limit ([`RaceConfig::max_dense_bytes`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn execute_watched<P, S, H>(
    problem: &P,
    start: &Array1<f64>,
    label: &str,
    solver: S,
    cfg: &RaceConfig,
    settings: Settings,
    extras: Extras,
    configure: impl FnOnce(Ist<H>) -> Ist<H> + Send + 'static,
    deadline: Option<Deadline>,
) -> RunOutput
where
    P: Recordable + Send + Sync,
    S: Solver<Budgeted<P>, Ist<H>> + Send + 'static,
    H: Send + 'static,
{
    let run = Prepared::new(problem, start, solver, cfg, extras, deadline);
    let (meter, recorder) = (run.meter.clone(), run.recorder.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("quad-vs-grad run".into())
        // argmin's Newton runs LAPACK, which on large matrices wants more
        // than a spawned thread's default 2 MiB of stack (a main thread has 8)
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let _ = tx.send(run.run(configure));
        });
    let outcome = match worker {
        Err(e) => Err(ArgminError::msg(format!(
            "cannot start the run's thread: {e}"
        ))),
        Ok(handle) => {
            let waited = match meter.remaining() {
                Some(left) => rx.recv_timeout(left + WATCH_GRACE).map_err(|e| match e {
                    RecvTimeoutError::Timeout => true,
                    RecvTimeoutError::Disconnected => false,
                }),
                None => rx.recv().map_err(|_| false),
            };
            match waited {
                Ok(outcome) => {
                    let _ = handle.join();
                    outcome
                }
                Err(true) => {
                    let _ = meter.check_time();
                    ABANDONED.fetch_add(1, Ordering::Relaxed);
                    std::thread::spawn(move || {
                        let _ = handle.join();
                        ABANDONED.fetch_sub(1, Ordering::Relaxed);
                    });
                    Err(BudgetSpent(meter.reason()).into())
                }
                // the worker panicked
                Err(false) => Err(ArgminError::msg(match handle.join() {
                    Err(p) => panic_text(p.as_ref()),
                    Ok(()) => "the run's thread ended without a result".into(),
                })),
            }
        }
    };
    conclude(problem, start, label, settings, &meter, recorder, outcome)
}

/// The stack of a run's worker thread: 64 MiB (address space; only what is
/// touched is memory).
const WORKER_STACK: usize = 64 << 20;

/// Runs whose watcher stopped waiting and that are still finishing an
/// uninterruptible call in the background.
static ABANDONED: AtomicUsize = AtomicUsize::new(0);

/// How many runs stopped at their time limit are still finishing an
/// uninterruptible call (a dense factorisation) on a background thread;
/// their results will be dropped. A program that ends while this is not
/// zero may end at once without waiting for them (the CLI does so, since
/// OpenBLAS's exit handler would wait for the call to end).
pub fn abandoned_runs() -> usize {
    ABANDONED.load(Ordering::Relaxed)
}

/// How long past the wall-time limit the watcher of [`execute_watched`]
/// waits for the run to stop by itself (at its next evaluation or
/// iteration) before it stops waiting.
const WATCH_GRACE: Duration = Duration::from_millis(20);

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    let what = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("the solver panicked: {what}")
}

/// Everything a run needs, set up: its meter, recorder and stop rule, the
/// budgeted problem and the start.
struct Prepared<P, S> {
    meter: Meter,
    recorder: PathRecorder<P>,
    stop_rule: StepNormStop<S>,
    budgeted: Budgeted<P>,
    x0: Array1<f64>,
    max_iters: u64,
}

impl<P: Recordable, S> Prepared<P, S> {
    fn new(
        problem: &P,
        start: &Array1<f64>,
        solver: S,
        cfg: &RaceConfig,
        extras: Extras,
        deadline: Option<Deadline>,
    ) -> Self {
        // argmin's solvers compute their products through ndarray and OpenBLAS.
        crate::linalg::blas_single_threaded();
        let meter = Meter::new(cfg.eval_budget(), cfg.max_seconds).with_deadline(deadline);
        let mut recorder = PathRecorder::new(problem.clone(), cfg.divergence_factor)
            .with_max_recorded(cfg.max_recorded)
            .with_meter(meter.clone());
        recorder.extra_solves_per_iter = extras.solves_per_iter;
        let mut stop_rule = StepNormStop::new(solver, cfg.tol);
        if let Some(gtol) = extras.gradient_tol {
            stop_rule = stop_rule.with_gradient_tol(gtol);
        }
        Self {
            budgeted: Budgeted::new(problem.clone(), meter.clone()),
            meter,
            recorder,
            stop_rule,
            x0: start.clone(),
            max_iters: cfg.max_iters,
        }
    }

    /// Runs argmin's executor; how it ended.
    fn run<H>(
        self,
        configure: impl FnOnce(Ist<H>) -> Ist<H>,
    ) -> Result<TerminationStatus, ArgminError>
    where
        S: Solver<Budgeted<P>, Ist<H>>,
        H: 'static,
    {
        let Self {
            recorder,
            stop_rule,
            budgeted,
            x0,
            max_iters,
            ..
        } = self;
        Executor::new(budgeted, stop_rule)
            .configure(|state| configure(state.param(x0).max_iters(max_iters).counting(true)))
            .add_observer(recorder, ObserverMode::Always)
            .ctrlc(false)
            .run()
            .map(|res| res.state().get_termination_status().clone())
    }
}

/// The trace of a run that ended with `outcome`.
fn conclude<P: Recordable>(
    problem: &P,
    start: &Array1<f64>,
    label: &str,
    settings: Settings,
    meter: &Meter,
    mut recorder: PathRecorder<P>,
    outcome: Result<TerminationStatus, ArgminError>,
) -> RunOutput {
    let recording = recorder.recording();
    if lock(&recording).iterates.is_empty() {
        // Failed before observing the start: record it for the figures.
        let _ = recorder.record(Some(start), &Default::default(), &KV::new());
    }
    let mut data = std::mem::take(&mut *lock(&recording));
    data.finish(problem);
    let stop = match (&outcome, &data.diverged) {
        (_, Some(why)) => StopReason::Diverged(why.clone()),
        // the race's own reason, also where a solver wrapped the refusal
        // in its own error or termination text (L-BFGS's line search)
        _ if meter.spent() => StopReason::Budget(meter.reason()),
        (Err(e), None) => {
            if let Some(b) = e.downcast_ref::<BudgetSpent>() {
                StopReason::Budget(b.0.clone())
            } else if let Some(d) = e.downcast_ref::<Diverged>() {
                StopReason::Diverged(d.0.clone())
            } else {
                StopReason::Failed(e.to_string())
            }
        }
        (Ok(status), None) => stop_reason(status),
    };
    if outcome.is_err() || meter.spent() {
        settle_ledger(&mut data, meter);
    }
    data.into_output(label, problem.race_name(), stop, settings)
}

/// For a run that ended inside an iteration (a budget refusal or an
/// error), puts into the last entry the work done since it was recorded:
/// the evaluations the meter allowed (argmin's counters lose those of a
/// line search that ends in an error) and the solver's wall time up to the
/// end (the recorder's own time excluded). Each count is the larger of the
/// two ledgers, so nothing counted is ever lost.
fn settle_ledger(data: &mut Recording, meter: &Meter) {
    let solver_ms = meter.elapsed().saturating_sub(data.overhead).as_secs_f64() * 1e3;
    if let Some(ms) = data.elapsed_ms.last_mut() {
        *ms = ms.max(solver_ms);
    }
    if let Some(c) = data.counts.last_mut() {
        c.cost = c.cost.max(meter.count(EvalKind::Cost));
        c.gradient = c.gradient.max(meter.count(EvalKind::Gradient));
        c.hessian = c.hessian.max(meter.count(EvalKind::Hessian));
        c.curvature = c.curvature.max(meter.count(EvalKind::Curvature));
    }
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
        cfg.max_total_seconds.map(Deadline::after),
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
    run_within(
        problem,
        start,
        spec,
        cfg,
        cfg.max_total_seconds.map(Deadline::after),
    )
}

/// [`run_detailed`] that also stops at a race's `deadline`.
fn run_within<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    spec: &OptimizerSpec,
    cfg: &RaceConfig,
    deadline: Option<Deadline>,
) -> RunOutput {
    let label = spec.display_label(cfg);
    let settings = spec.settings(cfg);
    let checked = cfg
        .validate()
        .and_then(|()| spec.check(cfg))
        .and_then(|()| check_start(problem, start))
        .and_then(|()| spec.check_size(start.len(), cfg));
    if let Err(e) = checked {
        return failed(problem, start, &label, settings, e.to_string());
    }
    run_kind(problem, start, &label, spec.kind, settings, cfg, deadline)
}

/// A start the problem refuses for its shape (the wrong number of
/// entries) is an error, not a run that "diverges" on its non-finite loss.
fn check_start<P: RaceProblem>(problem: &P, start: &Array1<f64>) -> crate::Result<()> {
    match problem.full_batch_cost(start) {
        Err(e) => match e.downcast_ref::<crate::Error>() {
            Some(crate::Error::Shape(why)) => {
                Err(crate::Error::Shape(format!("start point: {why}")))
            }
            _ => Ok(()),
        },
        Ok(_) => Ok(()),
    }
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
/// diverging run does not affect the others. With
/// [`RaceConfig::max_total_seconds`] the runs share one deadline: the run
/// going when it passes, and every later run, stop with
/// [`StopReason::Budget`] ("whole-run time limit").
pub fn race<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    specs: &[OptimizerSpec],
    cfg: &RaceConfig,
) -> Vec<Trace> {
    let deadline = cfg.max_total_seconds.map(Deadline::after);
    specs
        .iter()
        .map(|s| run_within(problem, start, s, cfg, deadline).trace)
        .collect()
}
