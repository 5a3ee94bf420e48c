//! The two halves of a race's settings: [`OptimizerSpec`] (one optimizer,
//! the convenience that the CLI and serde use) and [`RaceConfig`] (shared by
//! every run).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::registry::{DampingUse, OptimizerKind, Stochastic};
use crate::data::Sampling;
use crate::error::{Error, Result};
use crate::trace::Settings;

/// One entry of a race: which optimizer, its label, and the hyperparameters
/// that differ from the defaults.
///
/// A hyperparameter comes from, in this order: the spec, the race
/// configuration ([`RaceConfig::lr`], [`RaceConfig::damping`]), the kind's
/// [`Descriptor`](super::Descriptor) in the [`REGISTRY`](super::REGISTRY).
/// [`OptimizerSpec::settings`] resolves them; every trace records the result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerSpec {
    /// The optimizer.
    pub kind: OptimizerKind,
    /// Display label written into [`Trace::optimizer`](crate::trace::Trace::optimizer).
    pub label: String,
    /// Learning rate (kinds that have one). `None`: [`RaceConfig::lr`], else
    /// the registry default.
    pub lr: Option<f64>,
    /// Damping `λ` (initial `λ` for LM kinds). `None`: [`RaceConfig::damping`].
    pub damping: Option<f64>,
    /// Momentum coefficient for `momentum` / `nesterov`. `None`: the registry
    /// default (0.9).
    pub momentum: Option<f64>,
    /// Gradient-noise scale `ν ≥ 0` for `langevin`. `None`: the registry
    /// default (0.2).
    #[serde(default)]
    pub noise: Option<f64>,
}

impl OptimizerSpec {
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

    /// Sets the gradient-noise scale `ν` of `langevin`.
    pub fn noise(mut self, noise: f64) -> Self {
        self.noise = Some(noise);
        self
    }

    /// Sets the display label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The settings this spec runs with under `cfg`: each hyperparameter
    /// the kind has, from the spec, else the configuration, else the
    /// registry; `None` for those it does not have. The mini-batch size is
    /// the configuration's for the kinds with a stochastic mode and `None`
    /// (full batch) for the others.
    pub fn settings(&self, cfg: &RaceConfig) -> Settings {
        let d = self.kind.descriptor();
        let curvature = (d.stochastic == Stochastic::Curvature).then_some(());
        Settings {
            kind: Some(d.cli_name.to_string()),
            lr: d.lr.map(|default| self.lr.or(cfg.lr).unwrap_or(default)),
            momentum: d.momentum.map(|default| self.momentum.unwrap_or(default)),
            noise: d.noise.map(|default| self.noise.unwrap_or(default)),
            damping: (d.damping != DampingUse::None).then(|| self.damping.unwrap_or(cfg.damping)),
            adaptive_damping: d.damping == DampingUse::LevenbergMarquardt,
            batch_size: if d.stochastic.is_supported() {
                cfg.batch_size
            } else {
                None
            },
            curvature_batch_size: curvature.and(cfg.curvature_batch_size),
            curvature_seed: curvature
                .and(cfg.curvature_batch_size)
                .map(|_| cfg.curvature_seed()),
            sampling: if d.stochastic.is_supported() && cfg.batch_size.is_some() {
                cfg.sampling
            } else {
                Sampling::Epochs
            },
            seed: cfg.seed,
            tol: cfg.tol,
            max_iters: cfg.max_iters,
            max_evals: cfg.eval_budget(),
            max_seconds: cfg.max_seconds,
        }
    }

    /// The label the trace gets under `cfg`: the spec's label, except that
    /// damped Newton under its default label names its damping, "Newton
    /// (λ = 0.1)", because a reader takes plain "Newton" for the undamped
    /// step `H⁻¹g`; with `λ = 0` the label stays "Newton". (No kind runs on
    /// the full batch in stochastic mode: a kind without a stochastic mode
    /// is refused, [`OptimizerSpec::check`].)
    ///
    /// ```
    /// use quad_vs_grad::race::{OptimizerKind, OptimizerSpec, RaceConfig};
    /// let cfg = RaceConfig::default();
    /// let newton = OptimizerSpec::new(OptimizerKind::Newton);
    /// assert_eq!(newton.display_label(&cfg), "Newton (λ = 0.1)");
    /// assert_eq!(newton.clone().damping(0.0).display_label(&cfg), "Newton");
    /// assert_eq!(newton.label("mine").display_label(&cfg), "mine");
    /// ```
    pub fn display_label(&self, cfg: &RaceConfig) -> String {
        let damping = self.damping.unwrap_or(cfg.damping);
        if self.kind == OptimizerKind::Newton
            && self.label == self.kind.default_label()
            && damping > 0.0
        {
            format!("{} (λ = {})", self.label, crate::fmt::number(damping))
        } else {
            self.label.clone()
        }
    }

    /// Whether this optimizer can run under `cfg`: in stochastic mode
    /// ([`RaceConfig::batch_size`] set) a kind whose
    /// [`Descriptor::stochastic`](super::Descriptor::stochastic) is
    /// [`Stochastic::Refused`] cannot, and the error names it and says why.
    /// [`run`](super::run) and [`race`](super::race) give such a kind a
    /// [`StopReason::Failed`](crate::trace::StopReason::Failed) trace with
    /// this message; the CLI refuses it before any work (exit 2).
    ///
    /// ```
    /// use quad_vs_grad::race::{OptimizerSpec, RaceConfig};
    /// let cfg = RaceConfig { batch_size: Some(20), ..RaceConfig::default() };
    /// let bfgs: OptimizerSpec = "bfgs".parse()?;
    /// let why = bfgs.check(&cfg).unwrap_err().to_string();
    /// assert!(why.contains("`bfgs` has no stochastic mode") && why.contains("obfgs"));
    /// assert!("obfgs".parse::<OptimizerSpec>()?.check(&cfg).is_ok());
    /// assert!(bfgs.check(&RaceConfig::default()).is_ok());
    /// # Ok::<(), quad_vs_grad::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a refused kind in stochastic mode.
    pub fn check(&self, cfg: &RaceConfig) -> Result<()> {
        match (cfg.batch_size, self.kind.descriptor().stochastic) {
            (Some(_), Stochastic::Refused(why)) => Err(Error::InvalidConfig(format!(
                "`{}` has no stochastic mode (batch size set): {why}",
                self.kind.cli_name()
            ))),
            _ => Ok(()),
        }
    }
}

impl OptimizerSpec {
    /// Whether this optimizer can run on a problem with `dim` parameters
    /// under `cfg`: a kind that forms or keeps a dense `dim × dim` matrix
    /// ([`Descriptor::dense`](super::Descriptor::dense)) is refused when
    /// `8 dim²` bytes exceed [`RaceConfig::max_dense_bytes`]; the error names
    /// the size, the limit and the matrix-free alternatives.
    ///
    /// ```
    /// use quad_vs_grad::race::{OptimizerSpec, RaceConfig};
    /// let cfg = RaceConfig::default();
    /// let newton: OptimizerSpec = "newton".parse()?;
    /// assert!(newton.check_size(2_000, &cfg).is_ok());
    /// let why = newton.check_size(12_737, &cfg).unwrap_err().to_string();
    /// assert!(why.contains("12737 × 12737") && why.contains("hf") && why.contains("kfac"));
    /// assert!("hf".parse::<OptimizerSpec>()?.check_size(12_737, &cfg).is_ok());
    /// # Ok::<(), quad_vs_grad::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a dense kind whose matrix does not fit.
    pub fn check_size(&self, dim: usize, cfg: &RaceConfig) -> Result<()> {
        let bytes = (dim as u128) * (dim as u128) * 8;
        if self.kind.descriptor().dense && bytes > u128::from(cfg.max_dense_bytes) {
            return Err(Error::InvalidConfig(format!(
                "`{}` needs a dense {dim} × {dim} matrix ({} MB), above the limit of {} MB per \
                 dense matrix; use hf, kfac or lbfgs, which need no dense matrix",
                self.kind.cli_name(),
                bytes.div_ceil(1 << 20),
                cfg.max_dense_bytes >> 20,
            )));
        }
        Ok(())
    }
}

impl FromStr for OptimizerSpec {
    type Err = Error;

    /// Parses a command-line name or alias (see [`OptimizerKind::all_names`]);
    /// unknown names give an error listing the valid ones.
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
    /// Also the gradient tolerance `‖g‖ < tol` of the kinds with a gradient
    /// stop (BFGS, L-BFGS, trust region).
    pub tol: f64,
    /// Mini-batch size (stochastic mode): every kind with a stochastic
    /// mode ([`Descriptor::stochastic`](super::Descriptor::stochastic))
    /// draws a fresh seeded batch of this size every iteration; the others
    /// are refused ([`OptimizerSpec::check`]). `None` (default): full batch
    /// for all.
    pub batch_size: Option<usize>,
    /// Size of a separate curvature batch for the kinds with
    /// [`Stochastic::Curvature`] (Newton, saddle-free Newton, GGN, K-FAC,
    /// Hessian-free): their curvature comes from a batch of this size drawn
    /// every iteration by its own sampler, the gradient from
    /// [`RaceConfig::batch_size`] (or the full batch). `None` (default):
    /// curvature from the gradient's data. See
    /// [`Damped::with_curvature_batch`](crate::solvers::Damped::with_curvature_batch).
    #[serde(default)]
    pub curvature_batch_size: Option<usize>,
    /// Seed of the curvature-batch sampler; `None` (default): `seed + 1`
    /// ([`RaceConfig::curvature_seed`]), independent of the gradient's.
    #[serde(default)]
    pub curvature_seed: Option<u64>,
    /// How the gradient's mini-batches are drawn (with
    /// [`RaceConfig::batch_size`]): shuffled epochs (default) or independent
    /// batches ([`Sampling`]).
    #[serde(default)]
    pub sampling: Sampling,
    /// Seed of the mini-batch sampler and of Langevin GD's noise (default 0).
    pub seed: u64,
    /// Learning rate of every kind that has one (`gd`, `momentum`,
    /// `nesterov`, `rmsprop`, `adam`, `langevin`, `adaptive-gd`) whose spec
    /// sets none: the CLI's `--lr`. Default `None`: each kind's registry
    /// default.
    pub lr: Option<f64>,
    /// Damping of the specs that do not set one (default 0.1).
    pub damping: f64,
    /// A full-batch loss above `|L₀| + divergence_factor · max(|L₀|, 1)`
    /// counts as divergence (default 10).
    pub divergence_factor: f64,
    /// Evaluation budget of each run: a run that asks the problem for more
    /// evaluations than this (every loss, gradient, Hessian, curvature
    /// product or matrix, K-FAC factors, line searches included) stops with
    /// [`StopReason::Budget`](crate::trace::StopReason::Budget). `None`
    /// (default): [`EVALS_PER_ITER`] per allowed iteration
    /// ([`RaceConfig::eval_budget`]).
    #[serde(default)]
    pub max_evals: Option<u64>,
    /// Wall-time budget of each run in seconds (default 60; `f64::INFINITY`:
    /// none): a run still going after this stops with
    /// [`StopReason::Budget`](crate::trace::StopReason::Budget).
    #[serde(default = "default_max_seconds")]
    pub max_seconds: f64,
    /// How many entries a trace keeps at most (default [`MAX_RECORDED`]):
    /// past it the recorder thins the trace (keeps every second entry and
    /// doubles its stride, always keeping the start and the last iterate),
    /// so memory stays bounded however long the run; the full-resolution
    /// loss curve stays in [`RunOutput::loss_curve`](super::RunOutput::loss_curve).
    #[serde(default = "default_max_recorded")]
    pub max_recorded: usize,
    /// Time limit in seconds of a whole [`race`](super::race) (every run
    /// together), on top of each run's [`RaceConfig::max_seconds`]: the run
    /// going when it passes stops with
    /// [`StopReason::Budget`](crate::trace::StopReason::Budget) ("whole-run
    /// time limit"), and the runs after it stop at their first evaluation.
    /// `None` (default): no whole-run limit. The CLI's
    /// `--max-total-seconds` sets it (default 300 there).
    #[serde(default)]
    pub max_total_seconds: Option<f64>,
    /// Memory limit in bytes of one dense `D × D` matrix (`8 D²` bytes) for
    /// the kinds that form or keep one
    /// ([`Descriptor::dense`](super::Descriptor::dense): Newton, GGN, BFGS,
    /// …): a problem with more parameters than fit is refused before the
    /// run ([`OptimizerSpec::check_size`]). Default [`MAX_DENSE_BYTES`].
    #[serde(default = "default_max_dense_bytes")]
    pub max_dense_bytes: u64,
}

/// The default of [`RaceConfig::max_dense_bytes`]: 64 MiB per dense
/// matrix (2,896 parameters). The dense kinds hold several such matrices
/// at once (argmin's BFGS update about nine: 1.4 GB at 4,417 parameters,
/// measured), and their `D³` factorisations cannot be interrupted (a
/// saddle-free eigendecomposition at 4,417 parameters ran past 25 s).
pub const MAX_DENSE_BYTES: u64 = 64 << 20;

fn default_max_dense_bytes() -> u64 {
    MAX_DENSE_BYTES
}

/// The evaluation budget per allowed iteration when
/// [`RaceConfig::max_evals`] is `None`: well above what the registry's
/// optimizers use on average (measured over 500 steps on the presets and
/// full networks up to 64-64-64-64: argmin's steepest descent about 14 per
/// iteration with its line search, Hessian-free about 5, the others 2–6),
/// and small enough that a line search that never ends is stopped within
/// about a second (50,000 evaluations at the default 500 steps).
pub const EVALS_PER_ITER: u64 = 100;

/// The default of [`RaceConfig::max_recorded`]: 10,000 trace entries.
pub const MAX_RECORDED: usize = 10_000;

/// The largest [`RaceConfig::max_iters`] a race accepts: 10⁷ iterations
/// (the full-resolution loss curve of such a run takes 80 MB).
pub const MAX_ITERS: u64 = 10_000_000;

fn default_max_seconds() -> f64 {
    60.0
}

fn default_max_recorded() -> usize {
    MAX_RECORDED
}

impl Default for RaceConfig {
    fn default() -> Self {
        Self {
            max_iters: 500,
            tol: 1e-5,
            batch_size: None,
            curvature_batch_size: None,
            curvature_seed: None,
            sampling: Sampling::Epochs,
            seed: 0,
            lr: None,
            damping: 0.1,
            divergence_factor: 10.0,
            max_evals: None,
            max_seconds: default_max_seconds(),
            max_recorded: MAX_RECORDED,
            max_total_seconds: None,
            max_dense_bytes: MAX_DENSE_BYTES,
        }
    }
}

impl RaceConfig {
    /// The seed of the curvature-batch sampler: [`RaceConfig::curvature_seed`],
    /// else `seed + 1` (wrapping).
    pub fn curvature_seed(&self) -> u64 {
        self.curvature_seed.unwrap_or(self.seed.wrapping_add(1))
    }

    /// The evaluation budget of each run: [`RaceConfig::max_evals`], or
    /// [`EVALS_PER_ITER`] `× max_iters` (at least 10,000).
    ///
    /// ```
    /// use quad_vs_grad::race::RaceConfig;
    /// assert_eq!(RaceConfig::default().eval_budget(), 50_000);
    /// ```
    pub fn eval_budget(&self) -> u64 {
        self.max_evals
            .unwrap_or_else(|| EVALS_PER_ITER.saturating_mul(self.max_iters).max(10_000))
    }

    /// Checks every value.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for zero steps or more than [`MAX_ITERS`], a
    /// negative or non-finite tolerance, learning rate, damping or divergence
    /// factor, a zero learning rate, a zero batch or curvature-batch size, a zero evaluation
    /// budget, a wall-time budget that is not `> 0` (infinity allowed), or
    /// fewer than 2 recorded entries.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str, v: f64| {
            Err(Error::InvalidConfig(format!(
                "{what} must be a finite number >= 0, got {}",
                crate::fmt::number(v)
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
                    "learning rate must be a finite number > 0, got {}",
                    crate::fmt::number(lr)
                )));
            }
        }
        if !(self.divergence_factor.is_finite() && self.divergence_factor > 0.0) {
            return Err(Error::InvalidConfig(format!(
                "divergence factor must be a finite number > 0, got {}",
                crate::fmt::number(self.divergence_factor)
            )));
        }
        if self.batch_size == Some(0) {
            return Err(Error::InvalidConfig("batch size must be at least 1".into()));
        }
        if self.curvature_batch_size == Some(0) {
            return Err(Error::InvalidConfig(
                "curvature batch size must be at least 1".into(),
            ));
        }
        if self.max_iters > MAX_ITERS {
            return Err(Error::InvalidConfig(format!(
                "the iteration limit must be at most {MAX_ITERS}, got {}",
                self.max_iters
            )));
        }
        if self.max_evals == Some(0) {
            return Err(Error::InvalidConfig(
                "the evaluation budget must be at least 1".into(),
            ));
        }
        if self.max_seconds.is_nan() || self.max_seconds <= 0.0 {
            return Err(Error::InvalidConfig(format!(
                "the wall-time budget must be > 0 seconds, got {}",
                crate::fmt::number(self.max_seconds)
            )));
        }
        if let Some(t) = self.max_total_seconds {
            if t.is_nan() || t <= 0.0 {
                return Err(Error::InvalidConfig(format!(
                    "the whole-run time limit must be > 0 seconds, got {}",
                    crate::fmt::number(t)
                )));
            }
        }
        if self.max_recorded < 2 {
            return Err(Error::InvalidConfig(format!(
                "a trace must keep at least 2 entries, got {}",
                self.max_recorded
            )));
        }
        Ok(())
    }
}
