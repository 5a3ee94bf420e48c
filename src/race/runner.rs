//! The runner: any argmin solver ([`run_solver`]) or any registry kind
//! ([`run`], [`race`]) through argmin's `Executor`, with the
//! [`PathRecorder`](super::PathRecorder) and the [`StepNormStop`](super::StepNormStop) rule, into a [`Trace`].

use argmin::core::Solver;
use ndarray::Array1;

use super::budget::{Budgeted, Deadline};
use super::execute::{execute, failed, Extras};
use super::recorder::RunOutput;
use super::registry::run_kind;
use super::traits::{RaceProblem, SolverState};
use super::{OptimizerSpec, RaceConfig};
use crate::curvature::Recordable;
use crate::trace::{Settings, Trace};

/// Races any argmin solver: runs `solver` from `start` on `problem` through
/// argmin's `Executor`, recorded and stopped exactly like the registry's
/// kinds (same [`PathRecorder`](super::PathRecorder), same counters, the [`StepNormStop`](super::StepNormStop) rule
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
/// Never panics: a solver error gives a [`StopReason::Failed`](crate::trace::StopReason::Failed) trace, a
/// diverging run a [`StopReason::Diverged`](crate::trace::StopReason::Diverged) one, an invalid `cfg` a failed
/// trace holding the start.
///
/// ```
/// use quad_vs_grad::prelude::*;
/// use quad_vs_grad::plot::path_view;
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
/// let (grid, shown) = path_view(&preset.problem, &traces, None, 60)?;
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
    S: Solver<Budgeted<P>, SolverState<H>>,
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
/// use quad_vs_grad::race::run_solver_with;
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
    configure: impl FnOnce(SolverState<H>) -> SolverState<H>,
) -> RunOutput
where
    P: Recordable,
    S: Solver<Budgeted<P>, SolverState<H>>,
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
/// ([`OptimizerSpec::check`]), give a [`StopReason::Failed`](crate::trace::StopReason::Failed) trace holding
/// only the start point and the reason; a diverging run a [`StopReason::Diverged`](crate::trace::StopReason::Diverged) trace.
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
/// [`StopReason::Budget`](crate::trace::StopReason::Budget) ("whole-run time limit").
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
