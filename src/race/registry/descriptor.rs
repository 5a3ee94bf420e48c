//! What the registry says about each optimizer: [`Descriptor`], its
//! [`Family`], its use of damping ([`DampingUse`]) and its mini-batch
//! mode ([`Stochastic`]).

use serde::{Deserialize, Serialize};

use super::table::OptimizerKind;

/// The family an optimizer belongs to (for tables and docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Family {
    /// A step from the gradient alone, scaled by a learning rate (possibly
    /// with momentum, per-coordinate scaling, noise or a curvature-dependent
    /// scale): `gd`, `momentum`, `nesterov`, `rmsprop`, `adam`, `langevin`,
    /// `adaptive-gd`.
    FirstOrder,
    /// Gradient direction with a line search (argmin's `SteepestDescent`).
    LineSearch,
    /// A solve with the Hessian (damped, `|H|`, or argmin's plain Newton).
    Newton,
    /// A solve with the Gauss–Newton matrix or an approximation of it
    /// (dense GGN, K-FAC, Hessian-free CG).
    GaussNewton,
    /// Curvature learned from gradient differences (BFGS, L-BFGS).
    QuasiNewton,
    /// A quadratic model trusted within a radius (argmin's trust region).
    TrustRegion,
}

/// How an optimizer is damped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DampingUse {
    /// No damping.
    None,
    /// A fixed `λ` ([`Damping::fixed`](crate::solvers::Damping::fixed)).
    Fixed,
    /// Levenberg–Marquardt: `λ` adapts to the model's reduction ratio
    /// ([`Damping::adaptive`](crate::solvers::Damping::adaptive)).
    LevenbergMarquardt,
}

/// What an optimizer does in stochastic mode ([`RaceConfig::batch_size`](crate::race::RaceConfig::batch_size)).
///
/// Every optimizer of the registry either runs on mini-batches or is
/// refused with its reason: none silently runs on the full batch. The
/// recorded loss is the full-batch loss in every case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stochastic {
    /// Every evaluation of an iteration (gradient, and the Hessian of
    /// `adaptive-gd`, the second gradient of oBFGS's pairs) on a fresh
    /// seeded mini-batch `B_k`.
    Gradient,
    /// Gradient on a fresh mini-batch `B_k`; curvature on the same batch,
    /// or on a separate curvature batch `C_k` of its own size and seed
    /// ([`RaceConfig::curvature_batch_size`](crate::race::RaceConfig::curvature_batch_size), [`RaceConfig::curvature_seed`](crate::race::RaceConfig::curvature_seed);
    /// see [`Damped::with_curvature_batch`](crate::solvers::Damped::with_curvature_batch)).
    Curvature,
    /// No stochastic mode; the text says why. A race in stochastic mode
    /// gives such a kind a [`StopReason::Failed`](crate::trace::StopReason::Failed)
    /// trace with that reason, and the CLI refuses it (exit 2).
    Refused(&'static str),
}

impl Stochastic {
    /// `true` unless refused.
    pub fn is_supported(self) -> bool {
        !matches!(self, Self::Refused(_))
    }
}

/// Everything the race knows about one optimizer kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Descriptor {
    /// The kind.
    pub kind: OptimizerKind,
    /// Display label in traces, tables and legends.
    pub label: &'static str,
    /// Command-line name.
    pub cli_name: &'static str,
    /// Other accepted names (matched after lower-casing and `_` → `-`).
    pub aliases: &'static [&'static str],
    /// Family.
    pub family: Family,
    /// One line for `--help` and the docs.
    pub summary: &'static str,
    /// Default learning rate; `None` if the optimizer has none. A kind with
    /// a learning rate is one that [`RaceConfig::lr`](crate::race::RaceConfig::lr) (the CLI's `--lr`) sets.
    pub lr: Option<f64>,
    /// Default momentum coefficient, if the optimizer has one.
    pub momentum: Option<f64>,
    /// Default gradient-noise scale `σ`, if the optimizer has one.
    pub noise: Option<f64>,
    /// How it is damped (the default `λ` is [`RaceConfig::damping`](crate::race::RaceConfig::damping)).
    pub damping: DampingUse,
    /// Its stochastic mode ([`RaceConfig::batch_size`](crate::race::RaceConfig::batch_size)), or why it has none.
    pub stochastic: Stochastic,
    /// `true` if it also stops when `‖g‖ < tol` ([`StopReason::GradientNorm`](crate::trace::StopReason::GradientNorm)).
    pub gradient_stop: bool,
    /// `true` if it forms or keeps a dense `D × D` matrix (a Hessian, a
    /// GGN, a BFGS inverse), so that memory and time grow as `D²` and `D³`:
    /// refused above [`RaceConfig::max_dense_bytes`](crate::race::RaceConfig::max_dense_bytes).
    pub dense: bool,
}
