//! The one place that knows each solver's constructor: [`run_kind`].

use argmin::core::Error as ArgminError;
use argmin::solver::gradientdescent::SteepestDescent;
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::newton::Newton;
use argmin::solver::quasinewton::{BFGS, LBFGS};
use argmin::solver::trustregion::{Steihaug, TrustRegion};
use ndarray::{Array1, Array2};

use super::table::{DampingUse, OptimizerKind};
use crate::error::Error;
use crate::race::budget::Deadline;
use crate::race::execute::{execute_watched, failed, Extras};
use crate::race::recorder::RunOutput;
use crate::race::traits::{RaceProblem, SolverState};
use crate::race::RaceConfig;
use crate::solvers::{
    Adam, AdaptiveGd, BatchSampling, DampedNewton, Damping, GaussNewton, GradientDescent,
    HessianFree, Kfac, KfacDampingMode, LangevinGd, PairBatch, RmsProp, SaddleFreeNewton,
    StochasticBfgs, StochasticLbfgs,
};
use crate::trace::Settings;

/// Builds the solver of `kind` with `settings` and runs it through
/// [`execute`]; a solver that cannot be built (an invalid hyperparameter)
/// gives a [`StopReason::Failed`](crate::trace::StopReason::Failed) trace.
///
/// The one place that knows each solver's constructor.
pub(crate) fn run_kind<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    label: &str,
    kind: OptimizerKind,
    settings: Settings,
    cfg: &RaceConfig,
    deadline: Option<Deadline>,
) -> RunOutput {
    // `OptimizerSpec::settings` fills in every hyperparameter a kind has;
    // one that is still unset (settings built by hand) fails the run with
    // its name instead of reaching a constructor.
    let unset = |what: &str| -> ArgminError {
        Error::InvalidConfig(format!(
            "{label}: no {what} set for `{}`",
            kind.descriptor().cli_name
        ))
        .into()
    };
    let lr = || settings.lr.ok_or_else(|| unset("learning rate"));
    let beta = || settings.momentum.ok_or_else(|| unset("momentum"));
    let lambda = || settings.damping.ok_or_else(|| unset("damping"));
    let noise = || settings.noise.ok_or_else(|| unset("noise scale"));
    let batch = settings.batch_size;
    let seed = settings.seed;
    let plain = Extras::default();
    macro_rules! go {
        ($solver:expr) => {
            go!($solver, plain, |s| s)
        };
        ($solver:expr, $extras:expr, $configure:expr) => {
            match $solver {
                Ok(solver) => execute_watched(
                    problem, start, label, solver, cfg, settings, $extras, $configure, deadline,
                ),
                Err(e) => failed(problem, start, label, settings, e.to_string()),
            }
        };
    }
    // The stochastic mode of the kinds that have one.
    macro_rules! batched {
        ($s:ident) => {
            match batch {
                Some(b) => $s
                    .with_minibatch(b, seed)
                    .map(|s| s.with_sampling(settings.sampling)),
                None => Ok($s),
            }
        };
    }
    // ... and the separate curvature batch of the damped kinds.
    macro_rules! curved {
        ($s:ident) => {
            batched!($s).and_then(|s| match settings.curvature_batch_size {
                Some(c) => s.with_curvature_batch(c, settings.curvature_seed.unwrap_or(seed)),
                None => Ok(s),
            })
        };
    }
    // Stochastic quasi-Newton: fixed step, pairs across or within batches.
    let pairs = |k: OptimizerKind| match k {
        OptimizerKind::Obfgs | OptimizerKind::Olbfgs => PairBatch::Same,
        _ => PairBatch::Consecutive,
    };
    let damping = || match kind.descriptor().damping {
        DampingUse::LevenbergMarquardt => Damping::adaptive(lambda()?),
        _ => Damping::fixed(lambda()?),
    };
    let line_search = MoreThuenteLineSearch::<Array1<f64>, Array1<f64>, f64>::new;
    use OptimizerKind as K;
    match kind {
        K::Gd => go!(lr()
            .and_then(GradientDescent::new)
            .and_then(|s| batched!(s))),
        K::Momentum => go!(lr()
            .and_then(GradientDescent::new)
            .and_then(|s| s.with_momentum(beta()?))
            .and_then(|s| batched!(s))),
        K::Nesterov => go!(lr()
            .and_then(GradientDescent::new)
            .and_then(|s| s.with_nesterov(beta()?))
            .and_then(|s| batched!(s))),
        K::RmsProp => go!(lr().and_then(RmsProp::new).and_then(|s| batched!(s))),
        K::Adam => go!(lr().and_then(Adam::new).and_then(|s| batched!(s))),
        K::Newton => go!(damping().and_then(|d| {
            let s = DampedNewton::new().with_damping(d);
            curved!(s)
        })),
        K::SaddleFree => go!(damping().and_then(|d| {
            let s = SaddleFreeNewton::new().with_damping(d);
            curved!(s)
        })),
        K::Ggn | K::GgnLm => go!(damping().and_then(|d| {
            let s = GaussNewton::new().with_damping(d);
            curved!(s)
        })),
        K::Kfac | K::KfacLm => go!(damping().and_then(|d| {
            let mode = if kind == K::Kfac {
                KfacDampingMode::Tikhonov
            } else {
                KfacDampingMode::Factored
            };
            let s = Kfac::new().with_damping(d).with_mode(mode);
            curved!(s)
        })),
        K::HessianFree | K::HessianFreeLm => go!(damping().and_then(|d| {
            let s = HessianFree::new().with_damping(d);
            curved!(s)
        })),
        K::SteepestDescent => go!(Ok::<_, ArgminError>(SteepestDescent::new(line_search()))),
        // argmin's Newton inverts its Hessian without counting it.
        K::ArgminNewton => go!(
            Ok::<_, ArgminError>(Newton::<f64>::new()),
            Extras::solves(1),
            |s: SolverState<Array2<f64>>| s
        ),
        K::Bfgs => {
            let n = start.len();
            go!(
                BFGS::<_, f64>::new(line_search())
                    .with_tolerance_grad(cfg.tol)
                    .and_then(|s| s.with_tolerance_cost(0.0)),
                plain,
                move |s: SolverState<Array2<f64>>| s.inv_hessian(Array2::eye(n))
            )
        }
        K::Lbfgs => go!(
            LBFGS::<_, Array1<f64>, Array1<f64>, f64>::new(line_search(), 10)
                .with_tolerance_grad(cfg.tol)
                .and_then(|s| s.with_tolerance_cost(0.0)),
            plain,
            |s: SolverState<()>| s
        ),
        // One uncounted Steihaug CG per iteration; argmin's trust region has
        // no stopping rule of its own, so the race adds ‖g‖ < tol. Steihaug's
        // CG never evaluates the problem (it uses the stored Hessian) and has
        // no iteration limit by default: with a non-finite Hessian it loops
        // forever, out of the budget's reach, so it gets a limit (exact CG
        // ends within `n` iterations).
        K::TrustRegion => go!(
            Ok::<_, ArgminError>(TrustRegion::new(
                Steihaug::<Array1<f64>, f64>::new().with_max_iters(steihaug_max_iters(start.len()))
            )),
            Extras {
                solves_per_iter: 1,
                gradient_tol: Some(cfg.tol),
            },
            |s: SolverState<Array2<f64>>| s
        ),
        K::Langevin => go!(lr()
            .and_then(|lr| LangevinGd::new(lr, noise()?))
            .map(|s| s.with_seed(seed))
            .and_then(|s| batched!(s))),
        K::AdaptiveGd => go!(lr().and_then(AdaptiveGd::new).and_then(|s| batched!(s))),
        // the fixed damping λ is oBFGS's model-trust term, y ← y + λ s
        K::Sbfgs | K::Obfgs => go!(lr()
            .and_then(|lr| StochasticBfgs::bfgs(lr, pairs(kind)))
            .and_then(|s| s.with_regularization(lambda()?))
            .and_then(|s| batched!(s))),
        K::Slbfgs | K::Olbfgs => go!(lr()
            .and_then(|lr| StochasticLbfgs::lbfgs(lr, 10, pairs(kind)))
            .and_then(|s| s.with_regularization(lambda()?))
            .and_then(|s| batched!(s))),
    }
}

/// The iteration limit of the Steihaug CG inside argmin's trust region for
/// `n` parameters: `10 n + 10` (exact CG needs at most `n`).
pub(super) fn steihaug_max_iters(n: usize) -> u64 {
    10 * n as u64 + 10
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::XorProblem;
    use crate::race::OptimizerSpec;
    use crate::trace::StopReason;

    /// A hyperparameter the kind needs but the settings lack fails the run
    /// with its name, instead of reaching a constructor as a sentinel.
    #[test]
    fn an_unset_hyperparameter_is_named() {
        let problem = XorProblem::reference();
        let cfg = RaceConfig::default();
        let start = ndarray::array![2.0, -2.0];
        for (kind, what) in [
            (OptimizerKind::Gd, "learning rate"),
            (OptimizerKind::Momentum, "momentum"),
            (OptimizerKind::Newton, "damping"),
            (OptimizerKind::Langevin, "noise scale"),
        ] {
            let mut settings = OptimizerSpec::new(kind).settings(&cfg);
            match what {
                "learning rate" => settings.lr = None,
                "momentum" => settings.momentum = None,
                "damping" => settings.damping = None,
                _ => settings.noise = None,
            }
            let out = run_kind(&problem, &start, "x", kind, settings, &cfg, None);
            match &out.trace.stop {
                StopReason::Failed(why) => {
                    assert!(why.contains(&format!("no {what} set")), "{kind}: {why}")
                }
                other => panic!("{kind}: {other:?}"),
            }
        }
    }
}
