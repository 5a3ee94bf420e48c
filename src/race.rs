//! Optimizers racing on one problem: every run goes through argmin's
//! `Executor`, is recorded by the same [`PathRecorder`] and counted the same
//! way, so comparisons are fair.
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
//! - **One stopping rule.** Every optimizer is wrapped so that it stops when
//!   a step is shorter than [`RaceConfig::tol`] (`‖p_{k+1} − p_k‖ < tol`; a
//!   rejected step, which leaves the iterate bit-for-bit unchanged, does not
//!   count), or after [`RaceConfig::max_iters`]. argmin's BFGS and L-BFGS also
//!   stop when `‖g‖ < tol` (SciPy's `gtol` in the reference), reported as
//!   [`StopReason::GradientNorm`].
//! - **Divergence is a result.** A non-finite full-batch loss or iterate, or
//!   a loss above `|L₀| + divergence_factor · max(|L₀|, 1)`, ends the run as
//!   [`StopReason::Diverged`]; a solver error ends it as
//!   [`StopReason::Failed`]. Neither panics nor stops the rest of the race.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argmin::core::observers::{Observe, ObserverMode};
use argmin::core::{
    CostFunction, Error as ArgminError, Executor, Gradient, Hessian, IterState, KvValue, Problem,
    Solver, State, TerminationReason, TerminationStatus, KV,
};
use argmin::solver::gradientdescent::SteepestDescent;
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::newton::Newton;
use argmin::solver::quasinewton::{BFGS, LBFGS};
use argmin::solver::trustregion::{Steihaug, TrustRegion};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::curvature::{CurvatureProducts, KfacCurvature, MiniBatched};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::problem::XorProblem;
use crate::solvers::common::DIVERGED_PREFIX;
use crate::solvers::{
    Adam, AdaptiveGd, DampedNewton, Damping, GaussNewton, GradientDescent, HessianFree, Kfac,
    KfacDampingMode, LangevinGd, RmsProp, SaddleFreeNewton, CURVATURE_COUNT, LINEAR_SOLVE_COUNT,
};
use crate::trace::{Counts, StopReason, Trace};

/// Everything a problem needs to run every optimizer of the race.
///
/// `CostFunction`, `Gradient` and `Hessian` on `Array1<f64>` / `Array2<f64>`
/// serve argmin's solvers and the Newton family; [`CurvatureProducts`],
/// [`KfacCurvature`] and [`MiniBatched`] serve Gauss–Newton, K-FAC,
/// Hessian-free and the stochastic mode. A problem without a network
/// structure (an analytic landscape) implements the missing parts by
/// returning an error (for example `ggn` or `kfac_factors`), and
/// `num_examples() == 0` from [`MiniBatched`]; the optimizers that need them
/// are then reported as [`StopReason::Failed`] with that error's message,
/// while every other optimizer runs normally.
pub trait RaceProblem:
    CostFunction<Param = Array1<f64>, Output = f64>
    + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
    + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>
    + CurvatureProducts
    + KfacCurvature
    + MiniBatched
    + Clone
    + Send
    + Sync
    + 'static
{
    /// The display name written into [`Trace::problem`].
    fn race_name(&self) -> String {
        std::any::type_name::<Self>()
            .rsplit("::")
            .next()
            .unwrap_or("problem")
            .to_string()
    }
}

impl RaceProblem for XorProblem {
    fn race_name(&self) -> String {
        self.name().to_string()
    }
}

/// The optimizers a race can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OptimizerKind {
    /// [`GradientDescent`], fixed step (`gd`).
    Gd,
    /// [`GradientDescent`] with heavy-ball momentum (`momentum`).
    Momentum,
    /// [`GradientDescent`] with Nesterov momentum (`nesterov`).
    Nesterov,
    /// [`RmsProp`] (`rmsprop`).
    RmsProp,
    /// [`Adam`] (`adam`).
    Adam,
    /// [`DampedNewton`] (`newton`).
    Newton,
    /// [`SaddleFreeNewton`] (`saddle-free`).
    SaddleFree,
    /// [`GaussNewton`] with fixed damping (`ggn`).
    Ggn,
    /// [`GaussNewton`] with Levenberg–Marquardt damping (`ggn-lm`).
    GgnLm,
    /// [`Kfac`], plain Tikhonov damping `G⊗A + λI`, fixed (`kfac`): the reference's `Γ·A + λI`.
    Kfac,
    /// [`Kfac`], factored Tikhonov damping with LM adaptation (`kfac-lm`): Martens & Grosse.
    KfacLm,
    /// [`HessianFree`] on the GGN, fixed damping (`hf`).
    HessianFree,
    /// [`HessianFree`] on the GGN with LM damping (`hf-lm`).
    HessianFreeLm,
    /// argmin's `SteepestDescent` with More–Thuente line search (`sd`).
    SteepestDescent,
    /// argmin's `Newton` (undamped, step length 1) (`argmin-newton`).
    ArgminNewton,
    /// argmin's `BFGS` with More–Thuente line search, `H₀ = I` (`bfgs`).
    Bfgs,
    /// argmin's `LBFGS`, memory 10, More–Thuente line search (`lbfgs`).
    Lbfgs,
    /// argmin's `TrustRegion` with the Steihaug CG subproblem (`trust-region`).
    TrustRegion,
    /// [`LangevinGd`], gradient descent with seeded Gaussian gradient noise
    /// (`langevin`): learning rate 0.1 and noise `σ = 0.2` unless the spec
    /// sets them ([`OptimizerSpec::noise`]), noise seeded with [`RaceConfig::seed`].
    Langevin,
    /// [`AdaptiveGd`], gradient descent with step `η / (κ(H) + 1e−12)` from
    /// the Hessian's condition number (`adaptive-gd`): learning rate 0.1
    /// unless the spec sets one.
    AdaptiveGd,
}

impl OptimizerKind {
    /// Every kind, in the order of [`OptimizerSpec::all_names`].
    pub const ALL: [OptimizerKind; 20] = [
        Self::Gd,
        Self::Momentum,
        Self::Nesterov,
        Self::RmsProp,
        Self::Adam,
        Self::Newton,
        Self::SaddleFree,
        Self::Ggn,
        Self::GgnLm,
        Self::Kfac,
        Self::KfacLm,
        Self::HessianFree,
        Self::HessianFreeLm,
        Self::SteepestDescent,
        Self::ArgminNewton,
        Self::Bfgs,
        Self::Lbfgs,
        Self::TrustRegion,
        Self::Langevin,
        Self::AdaptiveGd,
    ];

    /// The command-line name (`gd`, `adam`, `kfac-lm`, …).
    pub fn cli_name(self) -> &'static str {
        match self {
            Self::Gd => "gd",
            Self::Momentum => "momentum",
            Self::Nesterov => "nesterov",
            Self::RmsProp => "rmsprop",
            Self::Adam => "adam",
            Self::Newton => "newton",
            Self::SaddleFree => "saddle-free",
            Self::Ggn => "ggn",
            Self::GgnLm => "ggn-lm",
            Self::Kfac => "kfac",
            Self::KfacLm => "kfac-lm",
            Self::HessianFree => "hf",
            Self::HessianFreeLm => "hf-lm",
            Self::SteepestDescent => "sd",
            Self::ArgminNewton => "argmin-newton",
            Self::Bfgs => "bfgs",
            Self::Lbfgs => "lbfgs",
            Self::TrustRegion => "trust-region",
            Self::Langevin => "langevin",
            Self::AdaptiveGd => "adaptive-gd",
        }
    }

    /// The display label used in traces, tables and legends.
    pub fn default_label(self) -> &'static str {
        match self {
            Self::Gd => "GD",
            Self::Momentum => "Momentum",
            Self::Nesterov => "Nesterov",
            Self::RmsProp => "RMSprop",
            Self::Adam => "Adam",
            Self::Newton => "Newton",
            Self::SaddleFree => "Saddle-free Newton",
            Self::Ggn => "GGN",
            Self::GgnLm => "GGN-LM",
            Self::Kfac => "K-FAC",
            Self::KfacLm => "K-FAC-LM",
            Self::HessianFree => "Hessian-free",
            Self::HessianFreeLm => "Hessian-free-LM",
            Self::SteepestDescent => "SteepestDescent",
            Self::ArgminNewton => "Newton (argmin)",
            Self::Bfgs => "BFGS",
            Self::Lbfgs => "L-BFGS",
            Self::TrustRegion => "Trust region",
            Self::Langevin => "Langevin GD",
            Self::AdaptiveGd => "Adaptive GD (κ)",
        }
    }

    /// The learning rate used when neither the spec nor the config gives
    /// one: 0.1 for the gradient-descent family, Langevin GD and adaptive GD,
    /// 0.01 for RMSprop, 0.05 for Adam (the reference's); `None` for kinds
    /// without a learning rate.
    pub fn default_lr(self) -> Option<f64> {
        match self {
            Self::Gd | Self::Momentum | Self::Nesterov | Self::Langevin | Self::AdaptiveGd => {
                Some(0.1)
            }
            Self::RmsProp => Some(0.01),
            Self::Adam => Some(0.05),
            _ => None,
        }
    }

    /// `true` for the gradient-descent family, whose learning rate
    /// [`RaceConfig::lr`] overrides.
    pub fn is_gradient_descent(self) -> bool {
        matches!(self, Self::Gd | Self::Momentum | Self::Nesterov)
    }

    /// `true` if the kind uses a damping `λ` (taken from
    /// [`OptimizerSpec::damping`] or [`RaceConfig::damping`]).
    pub fn uses_damping(self) -> bool {
        matches!(
            self,
            Self::Newton
                | Self::SaddleFree
                | Self::Ggn
                | Self::GgnLm
                | Self::Kfac
                | Self::KfacLm
                | Self::HessianFree
                | Self::HessianFreeLm
        )
    }

    /// `true` if the kind has a stochastic mode (first-order methods,
    /// Gauss–Newton, K-FAC, Hessian-free); the others always run full-batch.
    pub fn supports_minibatch(self) -> bool {
        matches!(
            self,
            Self::Gd
                | Self::Momentum
                | Self::Nesterov
                | Self::RmsProp
                | Self::Adam
                | Self::Ggn
                | Self::GgnLm
                | Self::Kfac
                | Self::KfacLm
                | Self::HessianFree
                | Self::HessianFreeLm
        )
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.cli_name())
    }
}

impl FromStr for OptimizerKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let key = s.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match key.as_str() {
            "sgd" => "gd",
            "l-bfgs" => "lbfgs",
            "k-fac" => "kfac",
            "hessian-free" => "hf",
            "steepest-descent" => "sd",
            "sfn" | "saddle-free-newton" => "saddle-free",
            "gauss-newton" => "ggn",
            "langevin-gd" => "langevin",
            "adaptive" => "adaptive-gd",
            other => other,
        };
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.cli_name() == alias)
            .ok_or_else(|| {
                Error::InvalidConfig(format!(
                    "unknown optimizer `{s}`; valid names: {}",
                    OptimizerSpec::all_names().join(", ")
                ))
            })
    }
}

/// One entry of a race: which optimizer, its label, and the hyperparameters
/// that differ from the defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerSpec {
    /// The optimizer.
    pub kind: OptimizerKind,
    /// Display label written into [`Trace::optimizer`].
    pub label: String,
    /// Learning rate (first-order kinds). `None`: [`RaceConfig::lr`] for the
    /// gradient-descent family, else [`OptimizerKind::default_lr`].
    pub lr: Option<f64>,
    /// Damping `λ` (initial `λ` for LM kinds). `None`: [`RaceConfig::damping`].
    pub damping: Option<f64>,
    /// Momentum coefficient for `momentum` / `nesterov` (default 0.9).
    pub momentum: Option<f64>,
    /// Gradient-noise scale `σ ≥ 0` for `langevin` (default
    /// [`OptimizerSpec::DEFAULT_NOISE`]).
    #[serde(default)]
    pub noise: Option<f64>,
}

impl OptimizerSpec {
    /// The noise scale `σ` of `langevin` when the spec sets none: 0.2, the
    /// value of the landscapes course (document 002).
    pub const DEFAULT_NOISE: f64 = 0.2;

    /// A spec with the kind's default label and hyperparameters.
    pub fn new(kind: OptimizerKind) -> Self {
        Self {
            kind,
            label: kind.default_label().to_string(),
            lr: None,
            damping: None,
            momentum: None,
            noise: None,
        }
    }

    /// Sets the learning rate.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = Some(lr);
        self
    }

    /// Sets the damping.
    pub fn damping(mut self, damping: f64) -> Self {
        self.damping = Some(damping);
        self
    }

    /// Sets the momentum coefficient.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = Some(momentum);
        self
    }

    /// Sets the gradient-noise scale `σ` of `langevin`.
    pub fn noise(mut self, noise: f64) -> Self {
        self.noise = Some(noise);
        self
    }

    /// Sets the display label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The command-line names of every optimizer.
    pub fn all_names() -> Vec<&'static str> {
        OptimizerKind::ALL.iter().map(|k| k.cli_name()).collect()
    }

    /// The learning rate this spec runs with under `cfg`.
    pub fn effective_lr(&self, cfg: &RaceConfig) -> Option<f64> {
        let kind = self.kind;
        if kind.is_gradient_descent() {
            if let Some(lr) = cfg.lr {
                return Some(lr);
            }
        }
        self.lr.or(kind.default_lr())
    }

    /// The damping this spec runs with under `cfg`.
    pub fn effective_damping(&self, cfg: &RaceConfig) -> f64 {
        self.damping.unwrap_or(cfg.damping)
    }
}

impl FromStr for OptimizerSpec {
    type Err = Error;

    /// Parses a command-line name (see [`OptimizerSpec::all_names`]); unknown
    /// names give an error listing the valid ones.
    fn from_str(s: &str) -> Result<Self> {
        Ok(Self::new(s.parse()?))
    }
}

/// Settings shared by every run of a race.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaceConfig {
    /// Iteration limit (default 500).
    pub max_iters: u64,
    /// Step-norm tolerance: stop when `‖p_{k+1} − p_k‖ < tol` (default 1e-5).
    /// Also argmin's BFGS/L-BFGS gradient tolerance.
    pub tol: f64,
    /// Mini-batch size for the kinds with a stochastic mode
    /// ([`OptimizerKind::supports_minibatch`]); the others (the Newton family
    /// and argmin's solvers) run full-batch regardless. `None` (default):
    /// full batch for all.
    pub batch_size: Option<usize>,
    /// Seed of the mini-batch sampler and of Langevin GD's noise (default 0).
    pub seed: u64,
    /// Learning rate of the gradient-descent family (`gd`, `momentum`,
    /// `nesterov`), overriding their specs — the reference's `--lr`. Default `None`.
    pub lr: Option<f64>,
    /// Damping of the specs that do not set one (default 0.1).
    pub damping: f64,
    /// A full-batch loss above `|L₀| + divergence_factor · max(|L₀|, 1)`
    /// counts as divergence (default 10).
    pub divergence_factor: f64,
}

impl Default for RaceConfig {
    fn default() -> Self {
        Self {
            max_iters: 500,
            tol: 1e-5,
            batch_size: None,
            seed: 0,
            lr: None,
            damping: 0.1,
            divergence_factor: 10.0,
        }
    }
}

impl RaceConfig {
    /// Checks every value.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for zero steps, a negative or non-finite
    /// tolerance, learning rate, damping or divergence factor, a zero learning
    /// rate or a zero batch size.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str, v: f64| {
            Err(Error::InvalidConfig(format!(
                "{what} must be a finite number >= 0, got {v}"
            )))
        };
        if self.max_iters == 0 {
            return Err(Error::InvalidConfig(
                "the race needs at least one step".into(),
            ));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return bad("tol", self.tol);
        }
        if !(self.damping.is_finite() && self.damping >= 0.0) {
            return bad("damping", self.damping);
        }
        if let Some(lr) = self.lr {
            if !(lr.is_finite() && lr > 0.0) {
                return Err(Error::InvalidConfig(format!(
                    "learning rate must be a finite number > 0, got {lr}"
                )));
            }
        }
        if !(self.divergence_factor.is_finite() && self.divergence_factor > 0.0) {
            return Err(Error::InvalidConfig(format!(
                "divergence factor must be a finite number > 0, got {}",
                self.divergence_factor
            )));
        }
        if self.batch_size == Some(0) {
            return Err(Error::InvalidConfig("batch size must be at least 1".into()));
        }
        Ok(())
    }
}

/// Per-iteration diagnostics a solver reported as argmin KV entries
/// (`"damping"`, `"rho"`, `"cg_iters"`, …), numbers and booleans as `f64`.
pub type Diagnostics = BTreeMap<String, f64>;

/// What a [`PathRecorder`] has stored so far.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    /// Iterates.
    pub iterates: Vec<Vec<f64>>,
    /// Full-batch losses.
    pub loss: Vec<f64>,
    /// Full-batch gradient norms.
    pub grad_norm: Vec<f64>,
    /// Cumulative counts from argmin's counters.
    pub counts: Vec<Counts>,
    /// Cumulative solver wall time (recorder time excluded), ms.
    pub elapsed_ms: Vec<f64>,
    /// KV diagnostics per entry (entry 0: from `init`).
    pub diagnostics: Vec<Diagnostics>,
    /// Why the recorder declared divergence, if it did.
    pub diverged: Option<String>,
    /// argmin's termination status, from `observe_final`.
    pub termination: Option<TerminationStatus>,
}

/// The error a [`PathRecorder`] returns to stop a diverging run.
#[derive(Debug, thiserror::Error)]
#[error("diverged: {0}")]
pub struct Diverged(pub String);

/// An argmin observer that records a run into a shared [`Recording`].
///
/// It evaluates the full-batch loss and gradient norm of each iterate on its
/// own clone of the problem (never counted), copies argmin's evaluation
/// counts, and times the solver with its own time subtracted. If the loss or
/// iterate is non-finite, or the loss exceeds the divergence limit, it stores
/// the reason and returns a [`Diverged`] error, which ends the run.
///
/// The executor moves observers into an `Arc<Mutex<..>>`; keep a
/// [`PathRecorder::recording`] handle (or a clone of the recorder) to read the
/// data after the run.
#[derive(Clone)]
pub struct PathRecorder<P> {
    problem: P,
    data: Arc<Mutex<Recording>>,
    start: Instant,
    overhead: Duration,
    divergence_factor: f64,
    limit: f64,
    /// Linear solves per iteration to add to argmin's counts (for argmin's
    /// `Newton` and trust region, which do not count theirs).
    extra_solves_per_iter: u64,
}

impl<P> PathRecorder<P>
where
    P: MiniBatched,
{
    /// A recorder evaluating on `problem` (cloned by the caller; it should be
    /// on its full batch), declaring divergence above
    /// `|L₀| + divergence_factor · max(|L₀|, 1)`.
    pub fn new(problem: P, divergence_factor: f64) -> Self {
        Self {
            problem,
            data: Arc::new(Mutex::new(Recording::default())),
            start: Instant::now(),
            overhead: Duration::ZERO,
            divergence_factor,
            limit: f64::INFINITY,
            extra_solves_per_iter: 0,
        }
    }

    /// The shared recording.
    pub fn recording(&self) -> Arc<Mutex<Recording>> {
        Arc::clone(&self.data)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recording> {
        lock(&self.data)
    }

    /// Records `param` (with counts and diagnostics); `Err` if it diverged.
    fn record(
        &mut self,
        param: Option<&Array1<f64>>,
        counts: &std::collections::HashMap<String, u64>,
        kv: &KV,
    ) -> std::result::Result<(), ArgminError> {
        let solver_time = self.start.elapsed().saturating_sub(self.overhead);
        let t0 = Instant::now();
        let data_handle = Arc::clone(&self.data);
        let mut data = lock(&data_handle);
        let Some(p) = param else {
            drop(data);
            self.overhead += t0.elapsed();
            return Ok(());
        };
        let loss = self.problem.full_batch_cost(p).unwrap_or(f64::NAN);
        let gnorm = self
            .problem
            .full_batch_gradient(p)
            .map(|g| g.dot(&g).sqrt())
            .unwrap_or(f64::NAN);
        let get = |k: &str| counts.get(k).copied().unwrap_or(0);
        let iter = data.iterates.len() as u64;
        let c = Counts {
            cost: get("cost_count"),
            gradient: get("gradient_count"),
            hessian: get("hessian_count"),
            curvature: get(CURVATURE_COUNT),
            linear_solve: get(LINEAR_SOLVE_COUNT) + self.extra_solves_per_iter * iter,
        };
        data.iterates.push(p.to_vec());
        data.loss.push(loss);
        data.grad_norm.push(gnorm);
        data.counts.push(c);
        data.elapsed_ms.push(solver_time.as_secs_f64() * 1e3);
        data.diagnostics.push(diagnostics(kv));
        if iter == 0 && loss.is_finite() {
            self.limit = loss.abs() + self.divergence_factor * loss.abs().max(1.0);
        }
        let verdict = if p.iter().any(|v| !v.is_finite()) {
            Some("non-finite iterate".to_string())
        } else if !loss.is_finite() {
            Some("non-finite loss".to_string())
        } else if loss > self.limit {
            Some(format!(
                "loss {loss:.4e} exceeds the divergence limit {:.4e}",
                self.limit
            ))
        } else {
            None
        };
        if let Some(why) = &verdict {
            data.diverged = Some(why.clone());
        }
        drop(data);
        self.overhead += t0.elapsed();
        match verdict {
            Some(why) if iter > 0 => Err(Diverged(why).into()),
            _ => Ok(()),
        }
    }
}

/// The argmin state of every solver a race runs: `Array1<f64>` parameters
/// and gradients, `f64` cost; Jacobian `J`, Hessian `H` and residuals `R`
/// as the solver needs.
type RaceState<J, H, R> = IterState<Array1<f64>, Array1<f64>, J, H, R, f64>;

/// What `Solver::init` and `Solver::next_iter` return on a [`RaceState`].
type SolverResult<J, H, R> = std::result::Result<(RaceState<J, H, R>, Option<KV>), ArgminError>;

fn lock(data: &Mutex<Recording>) -> std::sync::MutexGuard<'_, Recording> {
    data.lock().unwrap_or_else(|e| e.into_inner())
}

fn diagnostics(kv: &KV) -> Diagnostics {
    kv.kv
        .iter()
        .filter_map(|(k, v)| {
            let x = match v {
                KvValue::Float(f) => *f,
                KvValue::Int(i) => *i as f64,
                KvValue::Uint(u) => *u as f64,
                KvValue::Bool(b) => f64::from(u8::from(*b)),
                KvValue::Str(_) => return None,
            };
            Some((k.clone(), x))
        })
        .collect()
}

impl<P, J, H, R> Observe<RaceState<J, H, R>> for PathRecorder<P>
where
    P: MiniBatched,
{
    fn observe_init(
        &mut self,
        _name: &str,
        state: &RaceState<J, H, R>,
        kv: &KV,
    ) -> std::result::Result<(), ArgminError> {
        self.record(state.get_param(), state.get_func_counts(), kv)
    }

    fn observe_iter(
        &mut self,
        state: &RaceState<J, H, R>,
        kv: &KV,
    ) -> std::result::Result<(), ArgminError> {
        self.record(state.get_param(), state.get_func_counts(), kv)
    }

    fn observe_final(
        &mut self,
        state: &RaceState<J, H, R>,
    ) -> std::result::Result<(), ArgminError> {
        self.lock().termination = Some(state.get_termination_status().clone());
        Ok(())
    }
}

/// The text of the step-norm termination of [`StepNormStop`].
pub const STEP_NORM_TEXT: &str = "step norm below tolerance";

/// Wraps any argmin solver with the race's stopping rule: terminate when the
/// last step was shorter than `tol` (a step that leaves the iterate
/// bit-for-bit unchanged is a rejected step, not convergence), reported as
/// `SolverExit("step norm below tolerance")`; otherwise defer to the wrapped
/// solver's own `terminate`.
#[derive(Clone, Debug)]
pub struct StepNormStop<S> {
    inner: S,
    tol: f64,
    last_step: Option<f64>,
}

impl<S> StepNormStop<S> {
    /// Wraps `inner` with step-norm tolerance `tol`.
    pub fn new(inner: S, tol: f64) -> Self {
        Self {
            inner,
            tol,
            last_step: None,
        }
    }
}

impl<O, S, J, H, R> Solver<O, RaceState<J, H, R>> for StepNormStop<S>
where
    S: Solver<O, RaceState<J, H, R>>,
{
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: RaceState<J, H, R>,
    ) -> SolverResult<J, H, R> {
        self.last_step = None;
        self.inner.init(problem, state)
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: RaceState<J, H, R>,
    ) -> SolverResult<J, H, R> {
        let before = state.get_param().cloned();
        let (state, kv) = self.inner.next_iter(problem, state)?;
        self.last_step = match (before, state.get_param()) {
            (Some(b), Some(a)) if b.len() == a.len() && b != *a => {
                let d = a - &b;
                Some(d.dot(&d).sqrt())
            }
            _ => None,
        };
        Ok((state, kv))
    }

    fn terminate(&mut self, state: &RaceState<J, H, R>) -> TerminationStatus {
        if let Some(s) = self.last_step {
            if s < self.tol {
                return TerminationStatus::Terminated(TerminationReason::SolverExit(
                    STEP_NORM_TEXT.into(),
                ));
            }
        }
        self.inner.terminate(state)
    }
}

/// Maps argmin's termination status to a [`StopReason`].
pub fn stop_reason(status: &TerminationStatus) -> StopReason {
    match status {
        TerminationStatus::NotTerminated => StopReason::Other("running".into()),
        TerminationStatus::Terminated(reason) => match reason {
            TerminationReason::MaxItersReached => StopReason::MaxIters,
            TerminationReason::TargetCostReached => StopReason::TargetCost,
            // argmin's BFGS and L-BFGS (the only ones that converge by
            // themselves here) run with cost tolerance 0: this is ‖g‖ < tol.
            TerminationReason::SolverConverged => StopReason::GradientNorm,
            TerminationReason::SolverExit(s) if s == STEP_NORM_TEXT => StopReason::StepNorm,
            TerminationReason::SolverExit(s) if s.starts_with(DIVERGED_PREFIX) => {
                StopReason::Diverged(s.clone())
            }
            other => StopReason::Other(other.text().to_string()),
        },
    }
}

/// The result of one run with the solver's per-iteration diagnostics.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// The trace.
    pub trace: Trace,
    /// KV diagnostics per trace entry (same length as the trace's vectors).
    pub diagnostics: Vec<Diagnostics>,
}

type Ist<H> = RaceState<(), H, ()>;

/// Runs `solver` from `start` through argmin's executor with a recorder and
/// the step-norm stop, and assembles the trace.
fn execute<P, S, H>(
    problem: &P,
    start: &Array1<f64>,
    solver: S,
    cfg: &RaceConfig,
    label: &str,
    extra_solves_per_iter: u64,
    configure: impl FnOnce(Ist<H>) -> Ist<H>,
) -> RunOutput
where
    P: RaceProblem,
    S: Solver<P, Ist<H>>,
    H: 'static,
{
    let mut recorder = PathRecorder::new(problem.clone(), cfg.divergence_factor);
    recorder.extra_solves_per_iter = extra_solves_per_iter;
    let recording = recorder.recording();
    let x0 = start.clone();
    let max_iters = cfg.max_iters;
    let result = Executor::new(problem.clone(), StepNormStop::new(solver, cfg.tol))
        .configure(|state| configure(state.param(x0).max_iters(max_iters).counting(true)))
        .add_observer(recorder.clone(), ObserverMode::Always)
        .ctrlc(false)
        .run();
    let mut data = recording.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if data.iterates.is_empty() {
        // Failed before observing the start: record it for the figures.
        let _ = recorder.record(Some(start), &Default::default(), &KV::new());
        data = recording.lock().unwrap_or_else(|e| e.into_inner()).clone();
    }
    let stop = match (&result, &data.diverged) {
        (_, Some(why)) => StopReason::Diverged(why.clone()),
        (Err(e), None) => match e.downcast_ref::<Diverged>() {
            Some(d) => StopReason::Diverged(d.0.clone()),
            None => StopReason::Failed(e.to_string()),
        },
        (Ok(res), None) => stop_reason(res.state().get_termination_status()),
    };
    RunOutput {
        trace: Trace {
            optimizer: label.to_string(),
            problem: problem.race_name(),
            iterates: data.iterates,
            loss: data.loss,
            grad_norm: data.grad_norm,
            counts: data.counts,
            elapsed_ms: data.elapsed_ms,
            stop,
        },
        diagnostics: data.diagnostics,
    }
}

/// A trace of a run that could not start (invalid hyperparameters).
fn failed<P: RaceProblem>(problem: &P, start: &Array1<f64>, label: &str, why: String) -> RunOutput {
    let mut recorder = PathRecorder::new(problem.clone(), 1.0);
    let _ = recorder.record(Some(start), &Default::default(), &KV::new());
    let data = recorder.lock().clone();
    RunOutput {
        trace: Trace {
            optimizer: label.to_string(),
            problem: problem.race_name(),
            iterates: data.iterates,
            loss: data.loss,
            grad_norm: data.grad_norm,
            counts: data.counts,
            elapsed_ms: data.elapsed_ms,
            stop: StopReason::Failed(why),
        },
        diagnostics: data.diagnostics,
    }
}

/// A solver's constructor result with its error as text.
fn built<T>(r: std::result::Result<T, ArgminError>) -> std::result::Result<T, String> {
    r.map_err(|e| e.to_string())
}

/// Runs one optimizer and returns its trace with the per-iteration diagnostics.
///
/// Never panics: invalid hyperparameters give a [`StopReason::Failed`] trace
/// holding only the start point; a diverging run a [`StopReason::Diverged`] trace.
pub fn run_detailed<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    spec: &OptimizerSpec,
    cfg: &RaceConfig,
) -> RunOutput {
    let label = spec.label.as_str();
    if let Err(e) = cfg.validate() {
        return failed(problem, start, label, e.to_string());
    }
    let batch = if spec.kind.supports_minibatch() {
        cfg.batch_size
    } else {
        None
    };
    let lambda = spec.effective_damping(cfg);
    let lr = spec.effective_lr(cfg).unwrap_or(0.1);
    let mu = spec.momentum.unwrap_or(0.9);
    macro_rules! go {
        ($solver:expr) => {
            go!($solver, 0, |s| s)
        };
        ($solver:expr, $extra:expr, $configure:expr) => {
            match built($solver) {
                Ok(solver) => execute(problem, start, solver, cfg, label, $extra, $configure),
                Err(why) => failed(problem, start, label, why),
            }
        };
    }
    use OptimizerKind as K;
    // Fixed damping, or Levenberg–Marquardt for the `-lm` kinds.
    let damping = || {
        if matches!(spec.kind, K::GgnLm | K::KfacLm | K::HessianFreeLm) {
            Damping::adaptive(lambda)
        } else {
            Damping::fixed(lambda)
        }
    };
    // The stochastic mode of the kinds that have one.
    macro_rules! batched {
        ($s:ident) => {
            match batch {
                Some(b) => $s.with_minibatch(b, cfg.seed),
                None => Ok($s),
            }
        };
    }
    match spec.kind {
        K::Gd | K::Momentum | K::Nesterov => go!(GradientDescent::new(lr)
            .and_then(|s| match spec.kind {
                K::Momentum => s.with_momentum(mu),
                K::Nesterov => s.with_nesterov(mu),
                _ => Ok(s),
            })
            .and_then(|s| batched!(s))),
        K::RmsProp => go!(RmsProp::new(lr).and_then(|s| batched!(s))),
        K::Adam => go!(Adam::new(lr).and_then(|s| batched!(s))),
        K::Newton => go!(Damping::fixed(lambda).map(|d| DampedNewton::new().with_damping(d))),
        K::SaddleFree => {
            go!(Damping::fixed(lambda).map(|d| SaddleFreeNewton::new().with_damping(d)))
        }
        K::Ggn | K::GgnLm => go!(damping().and_then(|d| {
            let s = GaussNewton::new().with_damping(d);
            batched!(s)
        })),
        K::Kfac | K::KfacLm => go!(damping().and_then(|d| {
            let mode = if spec.kind == K::Kfac {
                KfacDampingMode::Tikhonov
            } else {
                KfacDampingMode::Factored
            };
            let s = Kfac::new().with_damping(d).with_mode(mode);
            batched!(s)
        })),
        K::HessianFree | K::HessianFreeLm => go!(damping().and_then(|d| {
            let s = HessianFree::new().with_damping(d);
            batched!(s)
        })),
        K::SteepestDescent => go!(Ok::<_, ArgminError>(SteepestDescent::new(
            MoreThuenteLineSearch::<Array1<f64>, Array1<f64>, f64>::new()
        ))),
        K::ArgminNewton => go!(Ok::<_, ArgminError>(Newton::<f64>::new()), 1, |s: Ist<
            Array2<f64>,
        >| s),
        K::Bfgs => {
            let n = start.len();
            go!(
                BFGS::<_, f64>::new(MoreThuenteLineSearch::<Array1<f64>, Array1<f64>, f64>::new())
                    .with_tolerance_grad(cfg.tol)
                    .and_then(|s| s.with_tolerance_cost(0.0)),
                0,
                move |s: Ist<Array2<f64>>| s.inv_hessian(Array2::eye(n))
            )
        }
        K::Lbfgs => go!(
            LBFGS::<_, Array1<f64>, Array1<f64>, f64>::new(
                MoreThuenteLineSearch::<Array1<f64>, Array1<f64>, f64>::new(),
                10
            )
            .with_tolerance_grad(cfg.tol)
            .and_then(|s| s.with_tolerance_cost(0.0)),
            0,
            |s: Ist<()>| s
        ),
        K::TrustRegion => go!(
            Ok::<_, ArgminError>(TrustRegion::new(Steihaug::<Array1<f64>, f64>::new())),
            1,
            |s: Ist<Array2<f64>>| s
        ),
        K::Langevin => go!(
            LangevinGd::new(lr, spec.noise.unwrap_or(OptimizerSpec::DEFAULT_NOISE))
                .map(|s| s.with_seed(cfg.seed))
        ),
        K::AdaptiveGd => go!(AdaptiveGd::new(lr)),
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
/// diverging run does not affect the others.
pub fn race<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    specs: &[OptimizerSpec],
    cfg: &RaceConfig,
) -> Vec<Trace> {
    specs.iter().map(|s| run(problem, start, s, cfg)).collect()
}

/// The reference race, in the reference's order: GD (lr 0.8), Adam
/// (lr 0.05), Newton (damping from the config, 0.1 by default), BFGS,
/// L-BFGS, GGN (damping), K-FAC (damping, the reference's `Γ·A + λI` on the
/// output-weight slice), plus argmin's SteepestDescent.
pub fn reference_race() -> Vec<OptimizerSpec> {
    use OptimizerKind as K;
    vec![
        OptimizerSpec::new(K::Gd).lr(0.8),
        OptimizerSpec::new(K::Adam).lr(0.05),
        OptimizerSpec::new(K::Newton),
        OptimizerSpec::new(K::Bfgs),
        OptimizerSpec::new(K::Lbfgs),
        OptimizerSpec::new(K::Ggn),
        OptimizerSpec::new(K::Kfac),
        OptimizerSpec::new(K::SteepestDescent),
    ]
}

/// A ready-to-run race: problem, start point, optimizers and settings.
#[derive(Clone, Debug)]
pub struct RacePreset {
    /// The problem.
    pub problem: XorProblem,
    /// The start point.
    pub start: Array1<f64>,
    /// The optimizers.
    pub specs: Vec<OptimizerSpec>,
    /// The settings.
    pub cfg: RaceConfig,
}

impl RacePreset {
    /// The reference experiment: [`reference_race`] on
    /// [`XorProblem::reference`] from `(2, −2)`, 500 steps, step-norm
    /// tolerance 1e-5, damping 0.1.
    pub fn reference() -> Self {
        Self {
            problem: XorProblem::reference(),
            start: ndarray::array![2.0, -2.0],
            specs: reference_race(),
            cfg: RaceConfig::default(),
        }
    }

    /// The same race on the non-convex hidden-weight slice
    /// ([`XorProblem::hidden_slice`]), from `(−2.5, 1.5)`, a start where the
    /// Hessian is indefinite and Newton's direction points uphill.
    pub fn hidden_slice() -> Self {
        Self {
            problem: XorProblem::hidden_slice(),
            start: ndarray::array![-2.5, 1.5],
            specs: reference_race(),
            cfg: RaceConfig::default(),
        }
    }

    /// The same race on every weight of an MLP with the given hidden widths
    /// on the separable XOR ([`Dataset::separable`]), from the seeded
    /// Glorot initialisation [`crate::mlp::Mlp::init`]`(seed)`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an empty or zero width.
    pub fn full_network(hidden: &[usize], seed: u64) -> Result<Self> {
        let problem = XorProblem::full(Dataset::separable(), hidden)?;
        let start = problem.mlp().init(seed);
        Ok(Self {
            problem,
            start,
            specs: reference_race(),
            cfg: RaceConfig::default(),
        })
    }

    /// Runs the preset's race.
    pub fn run(&self) -> Vec<Trace> {
        race(&self.problem, &self.start, &self.specs, &self.cfg)
    }
}
