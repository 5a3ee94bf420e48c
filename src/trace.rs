//! [`Trace`]: the one record of an optimizer run that the CLI, notebooks,
//! book figures and tests all consume.

use serde::{Deserialize, Serialize};

use crate::data::Sampling;

/// Cumulative evaluation counts of an optimizer, as argmin's `Problem`
/// wrapper counts them (`cost_count`, `gradient_count`, `hessian_count`) plus
/// the crate's own counters. Evaluations made by a recorder are never included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Iterations made (the iterate's index in the run: equal to the entry's
    /// index unless the trace was thinned, see [`Trace::iteration`]; 0 in
    /// traces serialised before it was recorded).
    #[serde(default)]
    pub iterations: u64,
    /// Loss evaluations.
    pub cost: u64,
    /// Gradient evaluations.
    pub gradient: u64,
    /// Dense Hessian evaluations.
    pub hessian: u64,
    /// Curvature-vector products (Hessian-, GGN- or Fisher-vector), and dense
    /// curvature matrices other than the Hessian (GGN, K-FAC factors).
    pub curvature: u64,
    /// Linear solves (dense factorisations or CG runs).
    pub linear_solve: u64,
}

/// Why a run stopped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StopReason {
    /// The step norm fell below the tolerance.
    StepNorm,
    /// The gradient norm fell below the tolerance.
    GradientNorm,
    /// The loss reached the target.
    TargetCost,
    /// The iteration limit was reached.
    MaxIters,
    /// The run's evaluation or wall-time budget was spent
    /// ([`RaceConfig::max_evals`](crate::race::RaceConfig::max_evals),
    /// [`RaceConfig::max_seconds`](crate::race::RaceConfig::max_seconds)),
    /// even inside a line search; the text says which.
    Budget(String),
    /// The loss or iterate became non-finite or exploded; the text says which.
    Diverged(String),
    /// The solver reported an error; the text is its message.
    Failed(String),
    /// Any other reason reported by the solver (argmin's text).
    Other(String),
}

impl StopReason {
    /// A short label for tables: `step<tol`, `|g|<tol`, `target`, `max iters`, `budget`, `DIVERGED`, `FAILED`, …
    pub fn short(&self) -> String {
        match self {
            Self::StepNorm => "step<tol".into(),
            Self::GradientNorm => "|g|<tol".into(),
            Self::TargetCost => "target".into(),
            Self::MaxIters => "max iters".into(),
            Self::Budget(_) => "budget".into(),
            Self::Diverged(_) => "DIVERGED".into(),
            Self::Failed(_) => "FAILED".into(),
            Self::Other(s) => s.clone(),
        }
    }

    /// `true` for [`StopReason::Diverged`] and [`StopReason::Failed`].
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Diverged(_) | Self::Failed(_))
    }
}

/// The settings one run used, as resolved by the race: the optimizer's
/// hyperparameters (from its spec, the race configuration or the registry
/// default, in that order) and the race's own settings.
///
/// A field the optimizer does not have is `None` (Adam has no damping, Newton
/// no learning rate). For a solver raced with
/// [`run_solver`](crate::race::run_solver) the race cannot see inside the
/// solver: only the configuration's fields are filled in, `kind` is `None`,
/// and a learner who exports the trace may set the rest on it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The registry's command-line name of the optimizer (`"gd"`, `"kfac-lm"`,
    /// …); `None` for a hand-configured solver.
    pub kind: Option<String>,
    /// Learning rate `η` (first-order methods).
    pub lr: Option<f64>,
    /// Momentum coefficient `μ` (`momentum`, `nesterov`).
    pub momentum: Option<f64>,
    /// Gradient-noise scale `σ` (`langevin`).
    pub noise: Option<f64>,
    /// Damping `λ` (initial `λ` when it adapts).
    pub damping: Option<f64>,
    /// `true` if the damping adapts (Levenberg–Marquardt).
    pub adaptive_damping: bool,
    /// Mini-batch size; `None`: every step used the full data set.
    pub batch_size: Option<usize>,
    /// Size of the separate curvature batch (damped second-order methods);
    /// `None`: curvature from the gradient's data.
    pub curvature_batch_size: Option<usize>,
    /// Seed of the separate curvature batch (with `curvature_batch_size`).
    pub curvature_seed: Option<u64>,
    /// How the mini-batches were drawn (absent from the serialised trace
    /// when they were shuffled epochs, the default).
    #[serde(default, skip_serializing_if = "Sampling::is_epochs")]
    pub sampling: Sampling,
    /// Seed of the mini-batches and of the gradient noise.
    pub seed: u64,
    /// Step-norm tolerance (and gradient-norm tolerance where the optimizer
    /// has a gradient stop).
    pub tol: f64,
    /// Iteration limit.
    pub max_iters: u64,
    /// Evaluation budget of the run (0 in traces serialised before it was
    /// recorded).
    pub max_evals: u64,
    /// Wall-time budget of the run in seconds (0 in traces serialised
    /// before it was recorded).
    pub max_seconds: f64,
}

/// The record of one optimizer run on one problem.
///
/// Entry `i` of every per-iterate vector belongs to one iterate; entry 0 is
/// the start point, so a run of `N` iterations has `N + 1` entries, and
/// entry `i` is iterate `i`. A very long run is *thinned* by the recorder
/// ([`RaceConfig::max_recorded`](crate::race::RaceConfig::max_recorded)):
/// it keeps the start, every `k`-th iterate and the last one, and entry `i`
/// is then iterate [`Trace::iteration`]`(i)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The optimizer's display name (`"Adam"`, `"Newton (argmin)"`, …).
    pub optimizer: String,
    /// The problem's display name.
    pub problem: String,
    /// Every iterate `p_i` in the optimizer's parameter space.
    pub iterates: Vec<Vec<f64>>,
    /// Full-batch loss at each iterate (even when the optimizer used mini-batches).
    pub loss: Vec<f64>,
    /// Full-batch gradient norm `‖∇L(p_i)‖₂` at each iterate.
    pub grad_norm: Vec<f64>,
    /// Cumulative evaluation counts after each iterate.
    pub counts: Vec<Counts>,
    /// Cumulative wall time in milliseconds after each iterate.
    pub elapsed_ms: Vec<f64>,
    /// Why the run stopped.
    pub stop: StopReason,
    /// The settings the run used (absent from traces serialised before
    /// they were recorded: then every field has its [`Default`]).
    #[serde(default)]
    pub settings: Settings,
}

impl Trace {
    /// Number of iterations made (iterates minus the start, counting those
    /// a thinned trace dropped).
    pub fn steps(&self) -> usize {
        let n = self.iterates.len();
        if n == 0 {
            return 0;
        }
        self.iteration(n - 1)
    }

    /// The iteration number of entry `i`: `i` itself, unless the trace was
    /// thinned ([`Counts::iterations`] then says which iterate the entry
    /// holds).
    pub fn iteration(&self, i: usize) -> usize {
        let recorded = self.counts.last().is_some_and(|c| c.iterations > 0);
        match self.counts.get(i) {
            Some(c) if recorded => usize::try_from(c.iterations).unwrap_or(usize::MAX),
            _ => i,
        }
    }

    /// The entry holding the latest iterate at or before `iteration`: the
    /// inverse of [`Trace::iteration`] (`iteration` itself for a trace that
    /// was not thinned, clamped to the last entry).
    pub fn entry_at(&self, iteration: usize) -> usize {
        let n = self.iterates.len();
        if n == 0 {
            return 0;
        }
        if !self.is_thinned() {
            return iteration.min(n - 1);
        }
        let iteration = u64::try_from(iteration).unwrap_or(u64::MAX);
        self.counts
            .partition_point(|c| c.iterations <= iteration)
            .saturating_sub(1)
            .min(n - 1)
    }

    /// `true` if the recorder thinned this trace (it holds fewer entries
    /// than the run made iterations).
    pub fn is_thinned(&self) -> bool {
        self.steps() + 1 > self.iterates.len()
    }

    /// The last iterate.
    pub fn final_point(&self) -> Option<&[f64]> {
        self.iterates.last().map(Vec::as_slice)
    }

    /// The last full-batch loss (NaN for an empty trace).
    pub fn final_loss(&self) -> f64 {
        self.loss.last().copied().unwrap_or(f64::NAN)
    }

    /// The last gradient norm (NaN for an empty trace).
    pub fn final_grad_norm(&self) -> f64 {
        self.grad_norm.last().copied().unwrap_or(f64::NAN)
    }

    /// The final cumulative counts.
    pub fn total_counts(&self) -> Counts {
        self.counts.last().copied().unwrap_or_default()
    }

    /// Total wall time in milliseconds.
    pub fn wall_ms(&self) -> f64 {
        self.elapsed_ms.last().copied().unwrap_or(0.0)
    }

    /// `true` if the run diverged or failed.
    pub fn diverged(&self) -> bool {
        self.stop.is_failure()
    }

    /// The first iteration at which the loss is at most `target`, if any
    /// (in a thinned trace, the first kept one).
    pub fn iterations_to(&self, target: f64) -> Option<usize> {
        self.loss
            .iter()
            .position(|&l| l <= target)
            .map(|i| self.iteration(i))
    }
}

/// A trace through `points` of the plane with loss 1 everywhere, for the
/// plot module's unit tests.
#[cfg(test)]
pub(crate) fn test_trace(points: &[(f64, f64)], stop: StopReason) -> Trace {
    let n = points.len();
    Trace {
        optimizer: "t".into(),
        problem: "p".into(),
        iterates: points.iter().map(|&(x, y)| vec![x, y]).collect(),
        loss: vec![1.0; n],
        grad_norm: vec![1.0; n],
        counts: vec![Counts::default(); n],
        elapsed_ms: vec![0.0; n],
        stop,
        settings: Default::default(),
    }
}
