//! How one run is executed: the solver through argmin's `Executor` on the
//! budgeted problem, with the [`PathRecorder`] and the [`StepNormStop`]
//! rule, on the calling thread ([`execute`]) or on a watched worker
//! ([`execute_watched`]), and the run's [`Trace`] assembled. The runner's
//! public functions and the registry's constructors both call it; it calls
//! neither.

use argmin::core::observers::ObserverMode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use argmin::core::{Error as ArgminError, Executor, Solver, State, TerminationStatus, KV};
use ndarray::Array1;

use super::budget::{BudgetSpent, Budgeted, Deadline, EvalKind, Meter};
use super::recorder::{lock, Diverged, PathRecorder, Recording, RunOutput};
use super::stopping::{stop_reason, StepNormStop};
use super::traits::SolverState;
use super::RaceConfig;
use crate::curvature::Recordable;
use crate::trace::{Settings, StopReason};

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
    configure: impl FnOnce(SolverState<H>) -> SolverState<H>,
    deadline: Option<Deadline>,
) -> RunOutput
where
    P: Recordable,
    S: Solver<Budgeted<P>, SolverState<H>>,
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
    configure: impl FnOnce(SolverState<H>) -> SolverState<H> + Send + 'static,
    deadline: Option<Deadline>,
) -> RunOutput
where
    P: Recordable + Send + Sync,
    S: Solver<Budgeted<P>, SolverState<H>> + Send + 'static,
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
        configure: impl FnOnce(SolverState<H>) -> SolverState<H>,
    ) -> Result<TerminationStatus, ArgminError>
    where
        S: Solver<Budgeted<P>, SolverState<H>>,
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
