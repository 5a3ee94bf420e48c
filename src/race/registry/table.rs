//! The table itself: what the registry says about each optimizer
//! ([`Descriptor`], its [`OptimizerFamily`], its use of damping
//! ([`DampingUse`]) and its mini-batch mode ([`Stochastic`])), then
//! [`OptimizerKind`] and [`REGISTRY`], declared from one list, and the kinds'
//! names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The family an optimizer belongs to (for tables and docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OptimizerFamily {
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
    /// OptimizerFamily.
    pub family: OptimizerFamily,
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

/// Declares [`OptimizerKind`], [`OptimizerKind::ALL`] and [`REGISTRY`] from
/// one list, so that a kind cannot exist without its descriptor.
macro_rules! registry {
    ($( $(#[$doc:meta])* $kind:ident { $($field:ident : $value:expr),* $(,)? } )*) => {
        /// The optimizers a race can run: one [`Descriptor`] each in [`REGISTRY`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum OptimizerKind {
            $( $(#[$doc])* $kind, )*
        }

        impl OptimizerKind {
            /// Every kind, in the order of [`REGISTRY`].
            pub const ALL: &'static [OptimizerKind] = &[$(OptimizerKind::$kind),*];
        }

        /// One descriptor per [`OptimizerKind`], in declaration order
        /// (`REGISTRY[kind as usize].kind == kind`).
        pub static REGISTRY: &[Descriptor] = &[
            $( Descriptor { kind: OptimizerKind::$kind, $($field: $value),* }, )*
        ];
    };
}

registry! {
    /// [`GradientDescent`](crate::solvers::GradientDescent), fixed step (`gd`).
    Gd {
        label: "GD", cli_name: "gd", aliases: &["sgd"], family: OptimizerFamily::FirstOrder,
        summary: "gradient descent, p <- p - lr g",
        lr: Some(0.8), momentum: None, noise: None, damping: DampingUse::None,
        stochastic: Stochastic::Gradient, gradient_stop: false, dense: false,
    }
    /// [`GradientDescent`](crate::solvers::GradientDescent) with heavy-ball momentum (`momentum`).
    Momentum {
        label: "Momentum", cli_name: "momentum", aliases: &["heavy-ball"], family: OptimizerFamily::FirstOrder,
        summary: "gradient descent with heavy-ball momentum",
        lr: Some(0.1), momentum: Some(0.9), noise: None, damping: DampingUse::None,
        stochastic: Stochastic::Gradient, gradient_stop: false, dense: false,
    }
    /// [`GradientDescent`](crate::solvers::GradientDescent) with Nesterov momentum (`nesterov`).
    Nesterov {
        label: "Nesterov", cli_name: "nesterov", aliases: &[], family: OptimizerFamily::FirstOrder,
        summary: "gradient descent with Nesterov momentum",
        lr: Some(0.1), momentum: Some(0.9), noise: None, damping: DampingUse::None,
        stochastic: Stochastic::Gradient, gradient_stop: false, dense: false,
    }
    /// [`RmsProp`](crate::solvers::RmsProp) (`rmsprop`).
    RmsProp {
        label: "RMSprop", cli_name: "rmsprop", aliases: &[], family: OptimizerFamily::FirstOrder,
        summary: "RMSprop, per-coordinate step lr / sqrt(mean g^2)",
        lr: Some(0.01), momentum: None, noise: None, damping: DampingUse::None,
        stochastic: Stochastic::Gradient, gradient_stop: false, dense: false,
    }
    /// [`Adam`](crate::solvers::Adam) (`adam`).
    Adam {
        label: "Adam", cli_name: "adam", aliases: &[], family: OptimizerFamily::FirstOrder,
        summary: "Adam (Kingma & Ba), betas 0.9 and 0.999",
        lr: Some(0.05), momentum: None, noise: None, damping: DampingUse::None,
        stochastic: Stochastic::Gradient, gradient_stop: false, dense: false,
    }
    /// [`DampedNewton`](crate::solvers::DampedNewton) (`newton`).
    Newton {
        label: "Newton", cli_name: "newton", aliases: &["damped-newton"], family: OptimizerFamily::Newton,
        summary: "damped Newton, solve (H + lambda I) d = -g",
        lr: None, momentum: None, noise: None, damping: DampingUse::Fixed,
        stochastic: Stochastic::Curvature, gradient_stop: false, dense: true,
    }
    /// [`SaddleFreeNewton`](crate::solvers::SaddleFreeNewton) (`saddle-free`).
    SaddleFree {
        label: "Saddle-free Newton", cli_name: "saddle-free", aliases: &["sfn", "saddle-free-newton"],
        family: OptimizerFamily::Newton,
        summary: "saddle-free Newton, solve (|H| + lambda I) d = -g",
        lr: None, momentum: None, noise: None, damping: DampingUse::Fixed,
        stochastic: Stochastic::Curvature, gradient_stop: false, dense: true,
    }
    /// [`GaussNewton`](crate::solvers::GaussNewton) with fixed damping (`ggn`).
    Ggn {
        label: "GGN", cli_name: "ggn", aliases: &["gauss-newton"], family: OptimizerFamily::GaussNewton,
        summary: "Gauss-Newton, solve (G + lambda I) d = -g",
        lr: None, momentum: None, noise: None, damping: DampingUse::Fixed,
        stochastic: Stochastic::Curvature, gradient_stop: false, dense: true,
    }
    /// [`GaussNewton`](crate::solvers::GaussNewton) with Levenberg–Marquardt damping (`ggn-lm`).
    GgnLm {
        label: "GGN-LM", cli_name: "ggn-lm", aliases: &["levenberg-marquardt"], family: OptimizerFamily::GaussNewton,
        summary: "Gauss-Newton with Levenberg-Marquardt damping",
        lr: None, momentum: None, noise: None, damping: DampingUse::LevenbergMarquardt,
        stochastic: Stochastic::Curvature, gradient_stop: false, dense: true,
    }
    /// [`Kfac`](crate::solvers::Kfac), plain Tikhonov damping `G⊗A + λI`, fixed (`kfac`): the reference's `Γ·A + λI`.
    Kfac {
        label: "K-FAC", cli_name: "kfac", aliases: &["k-fac"], family: OptimizerFamily::GaussNewton,
        summary: "K-FAC, Kronecker-factored curvature G (x) A + lambda I",
        lr: None, momentum: None, noise: None, damping: DampingUse::Fixed,
        stochastic: Stochastic::Curvature, gradient_stop: false, dense: false,
    }
    /// [`Kfac`](crate::solvers::Kfac), factored Tikhonov damping with LM adaptation (`kfac-lm`): Martens & Grosse.
    KfacLm {
        label: "K-FAC-LM", cli_name: "kfac-lm", aliases: &["k-fac-lm"], family: OptimizerFamily::GaussNewton,
        summary: "K-FAC, factored damping adapted by Levenberg-Marquardt",
        lr: None, momentum: None, noise: None, damping: DampingUse::LevenbergMarquardt,
        stochastic: Stochastic::Curvature, gradient_stop: false, dense: false,
    }
    /// [`HessianFree`](crate::solvers::HessianFree) on Gauss–Newton-vector products, fixed damping (`hf`).
    HessianFree {
        label: "Hessian-free", cli_name: "hf", aliases: &["hessian-free"], family: OptimizerFamily::GaussNewton,
        summary: "Hessian-free: CG on Gauss-Newton-vector products",
        lr: None, momentum: None, noise: None, damping: DampingUse::Fixed,
        stochastic: Stochastic::Curvature, gradient_stop: false, dense: false,
    }
    /// [`HessianFree`](crate::solvers::HessianFree) on Gauss–Newton-vector products with LM damping (`hf-lm`).
    HessianFreeLm {
        label: "Hessian-free-LM", cli_name: "hf-lm", aliases: &["hessian-free-lm"], family: OptimizerFamily::GaussNewton,
        summary: "Hessian-free with Levenberg-Marquardt damping",
        lr: None, momentum: None, noise: None, damping: DampingUse::LevenbergMarquardt,
        stochastic: Stochastic::Curvature, gradient_stop: false, dense: false,
    }
    /// argmin's `SteepestDescent` with More–Thuente line search (`sd`).
    SteepestDescent {
        label: "SteepestDescent", cli_name: "sd", aliases: &["steepest-descent"], family: OptimizerFamily::LineSearch,
        summary: "argmin's steepest descent with a More-Thuente line search",
        lr: None, momentum: None, noise: None, damping: DampingUse::None,
        stochastic: Stochastic::Refused(
            "its More-Thuente line search tests sufficient decrease and curvature on losses of one function; \
             on a fresh mini-batch per iteration the tests compare different functions (use gd, momentum or adam)"),
        gradient_stop: false, dense: false,
    }
    /// argmin's `Newton` (undamped, step length 1) (`argmin-newton`).
    ArgminNewton {
        label: "Newton (argmin)", cli_name: "argmin-newton", aliases: &[], family: OptimizerFamily::Newton,
        summary: "argmin's Newton: undamped, step length 1",
        lr: None, momentum: None, noise: None, damping: DampingUse::None,
        stochastic: Stochastic::Refused(
            "argmin's Newton cannot draw a mini-batch per iteration; \
             `newton` with --damping 0 takes the same undamped step and has a stochastic mode"),
        gradient_stop: false, dense: true,
    }
    /// argmin's `BFGS` with More–Thuente line search, `H₀ = I` (`bfgs`).
    Bfgs {
        label: "BFGS", cli_name: "bfgs", aliases: &[], family: OptimizerFamily::QuasiNewton,
        summary: "argmin's BFGS, More-Thuente line search, H0 = I",
        lr: None, momentum: None, noise: None, damping: DampingUse::None,
        stochastic: Stochastic::Refused(
            "its More-Thuente line search compares losses of one function, which a fresh mini-batch per \
             iteration breaks; use sbfgs (naive pairs across batches) or obfgs (pairs on one batch)"),
        gradient_stop: true, dense: true,
    }
    /// argmin's `LBFGS`, memory 10, More–Thuente line search (`lbfgs`).
    Lbfgs {
        label: "L-BFGS", cli_name: "lbfgs", aliases: &["l-bfgs"], family: OptimizerFamily::QuasiNewton,
        summary: "argmin's L-BFGS, memory 10, More-Thuente line search",
        lr: None, momentum: None, noise: None, damping: DampingUse::None,
        stochastic: Stochastic::Refused(
            "its More-Thuente line search compares losses of one function, which a fresh mini-batch per \
             iteration breaks; use slbfgs (naive pairs across batches) or olbfgs (pairs on one batch)"),
        gradient_stop: true, dense: false,
    }
    /// argmin's `TrustRegion` with the Steihaug CG subproblem (`trust-region`).
    /// argmin's trust region never stops by itself: the race stops it when
    /// `‖g‖ < tol` (or on the step-norm rule).
    TrustRegion {
        label: "Trust region", cli_name: "trust-region", aliases: &["tr"], family: OptimizerFamily::TrustRegion,
        summary: "argmin's trust region, Steihaug CG subproblem",
        lr: None, momentum: None, noise: None, damping: DampingUse::None,
        stochastic: Stochastic::Refused(
            "argmin's trust region cannot draw a mini-batch per iteration, and its radius follows rho, \
             actual over predicted reduction, which on one batch is a noisy test; its stochastic analogue \
             is ggn-lm, kfac-lm or hf-lm (lambda plays the radius's role, rho is measured on each batch)",
        ),
        gradient_stop: true, dense: true,
    }
    /// [`LangevinGd`](crate::solvers::LangevinGd), gradient descent with seeded Gaussian gradient noise
    /// (`langevin`), noise seeded with [`RaceConfig::seed`](crate::race::RaceConfig::seed).
    Langevin {
        label: "Langevin GD", cli_name: "langevin", aliases: &["langevin-gd"], family: OptimizerFamily::FirstOrder,
        summary: "gradient descent plus seeded Gaussian gradient noise sigma",
        lr: Some(0.1), momentum: None, noise: Some(0.2), damping: DampingUse::None,
        stochastic: Stochastic::Gradient, gradient_stop: false, dense: false,
    }
    /// [`AdaptiveGd`](crate::solvers::AdaptiveGd), gradient descent with step `η / (κ(H) + 1e−12)` from
    /// the Hessian's condition number (`adaptive-gd`).
    AdaptiveGd {
        label: "Adaptive GD (κ)", cli_name: "adaptive-gd", aliases: &["adaptive"], family: OptimizerFamily::FirstOrder,
        summary: "gradient descent with step lr / cond(H)",
        lr: Some(0.1), momentum: None, noise: None, damping: DampingUse::None,
        stochastic: Stochastic::Gradient, gradient_stop: false, dense: true,
    }
    /// [`StochasticBfgs`](crate::solvers::StochasticBfgs) with naive pairs across batches (`sbfgs`).
    Sbfgs {
        label: "SBFGS (naive)", cli_name: "sbfgs", aliases: &["stochastic-bfgs"], family: OptimizerFamily::QuasiNewton,
        summary: "BFGS with a fixed step, pairs y = g(p+, B+) - g(p, B) across batches",
        lr: Some(0.3), momentum: None, noise: None, damping: DampingUse::Fixed,
        stochastic: Stochastic::Gradient, gradient_stop: false, dense: true,
    }
    /// [`StochasticBfgs`](crate::solvers::StochasticBfgs) with both gradients of a pair on one batch (`obfgs`).
    Obfgs {
        label: "oBFGS", cli_name: "obfgs", aliases: &["online-bfgs"], family: OptimizerFamily::QuasiNewton,
        summary: "oBFGS (Schraudolph et al.): fixed step, pairs y = g(p+, B) - g(p, B) on one batch",
        lr: Some(0.3), momentum: None, noise: None, damping: DampingUse::Fixed,
        stochastic: Stochastic::Gradient, gradient_stop: false, dense: true,
    }
    /// [`StochasticLbfgs`](crate::solvers::StochasticLbfgs), memory 10, naive pairs across batches (`slbfgs`).
    Slbfgs {
        label: "SL-BFGS (naive)", cli_name: "slbfgs", aliases: &["stochastic-lbfgs"], family: OptimizerFamily::QuasiNewton,
        summary: "L-BFGS (memory 10) with a fixed step, pairs across batches",
        lr: Some(0.3), momentum: None, noise: None, damping: DampingUse::Fixed,
        stochastic: Stochastic::Gradient, gradient_stop: false, dense: false,
    }
    /// [`StochasticLbfgs`](crate::solvers::StochasticLbfgs), memory 10, both gradients of a pair on one batch (`olbfgs`).
    Olbfgs {
        label: "oLBFGS", cli_name: "olbfgs", aliases: &["online-lbfgs"], family: OptimizerFamily::QuasiNewton,
        summary: "oLBFGS (memory 10): fixed step, pairs on one batch",
        lr: Some(0.3), momentum: None, noise: None, damping: DampingUse::Fixed,
        stochastic: Stochastic::Gradient, gradient_stop: false, dense: false,
    }
}

impl OptimizerKind {
    /// This kind's entry of [`REGISTRY`].
    pub fn descriptor(self) -> &'static Descriptor {
        &REGISTRY[self as usize]
    }

    /// The command-line name (`gd`, `adam`, `kfac-lm`, …).
    pub fn cli_name(self) -> &'static str {
        self.descriptor().cli_name
    }

    /// The display label used in traces, tables and legends.
    pub fn default_label(self) -> &'static str {
        self.descriptor().label
    }

    /// The command-line names of every kind, in [`REGISTRY`] order.
    pub fn all_names() -> Vec<&'static str> {
        REGISTRY.iter().map(|d| d.cli_name).collect()
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.cli_name())
    }
}

impl FromStr for OptimizerKind {
    type Err = Error;

    /// Parses a command-line name or alias, ignoring case and reading `_` as `-`.
    fn from_str(s: &str) -> Result<Self> {
        let key = s.trim().to_ascii_lowercase().replace('_', "-");
        REGISTRY
            .iter()
            .find(|d| d.cli_name == key || d.aliases.contains(&key.as_str()))
            .map(|d| d.kind)
            .ok_or_else(|| {
                Error::InvalidConfig(format!(
                    "unknown optimizer `{s}`; valid names: {}",
                    OptimizerKind::all_names().join(", ")
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_kind_has_one_descriptor_in_order() {
        assert_eq!(OptimizerKind::ALL.len(), REGISTRY.len());
        for (i, d) in REGISTRY.iter().enumerate() {
            assert_eq!(d.kind as usize, i);
            assert_eq!(OptimizerKind::ALL[i], d.kind);
            assert!(std::ptr::eq(d.kind.descriptor(), d));
        }
    }

    #[test]
    fn names_and_aliases_are_unique_and_parse_back() {
        let mut seen = HashSet::new();
        for d in REGISTRY {
            for name in std::iter::once(&d.cli_name).chain(d.aliases) {
                assert!(seen.insert(*name), "`{name}` is used twice");
                assert_eq!(name.to_ascii_lowercase(), *name, "`{name}`: lower case");
                assert_eq!(name.parse::<OptimizerKind>().unwrap(), d.kind, "{name}");
                assert_eq!(
                    name.to_ascii_uppercase()
                        .replace('-', "_")
                        .parse::<OptimizerKind>()
                        .unwrap(),
                    d.kind
                );
            }
        }
        let labels: HashSet<_> = REGISTRY.iter().map(|d| d.label).collect();
        assert_eq!(labels.len(), REGISTRY.len(), "labels are unique");
    }

    #[test]
    fn descriptors_are_consistent() {
        for d in REGISTRY {
            // a learning rate exactly for the first-order family and the
            // fixed-step (stochastic) quasi-Newton methods
            let fixed_step_qn =
                d.family == OptimizerFamily::QuasiNewton && d.stochastic.is_supported();
            assert_eq!(
                d.lr.is_some(),
                d.family == OptimizerFamily::FirstOrder || fixed_step_qn,
                "{}",
                d.cli_name
            );
            // curvature batches exactly for the damped Newton and
            // Gauss–Newton families
            assert_eq!(
                d.stochastic == Stochastic::Curvature,
                d.damping != DampingUse::None && d.family != OptimizerFamily::QuasiNewton,
                "{}",
                d.cli_name
            );
            if let Stochastic::Refused(why) = d.stochastic {
                assert!(why.len() > 40 && why.is_ascii(), "{}", d.cli_name);
            }
            if let Some(lr) = d.lr {
                assert!(lr.is_finite() && lr > 0.0);
            }
            // damped kinds are the Newton and Gauss–Newton families, and
            // the stochastic quasi-Newton ones (λ: oBFGS's y ← y + λ s)
            if d.damping != DampingUse::None {
                assert!(matches!(
                    d.family,
                    OptimizerFamily::Newton
                        | OptimizerFamily::GaussNewton
                        | OptimizerFamily::QuasiNewton
                ));
            }
            assert!(
                !d.summary.is_empty() && d.summary.is_ascii(),
                "{}",
                d.cli_name
            );
        }
    }
}
