//! Flags checked against the optimizers they would reach: a value that an
//! optimizer in the selection cannot use is refused with the reason, and a
//! flag that reaches no optimizer in the selection is refused too (it would
//! otherwise be accepted and silently do nothing).

use quad_vs_grad::prelude::*;
use quad_vs_grad::race::{DampingUse, OptimizerFamily, OptimizerSpec, Stochastic};

use crate::plan::Usage;

/// What the user set explicitly (a flag left at its default is `None`).
pub(crate) struct Explicit {
    pub(crate) lr: Option<f64>,
    pub(crate) damping: Option<f64>,
    pub(crate) curvature_batch_size: Option<usize>,
    pub(crate) curvature_seed: Option<u64>,
}

fn names(specs: &[&OptimizerSpec]) -> String {
    specs
        .iter()
        .map(|s| s.kind.cli_name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Refuses a flag that reaches none of `specs`.
fn reaches_some(
    flag: &str,
    specs: &[OptimizerSpec],
    what: &str,
    has: impl Fn(&OptimizerSpec) -> bool,
) -> Result<(), Usage> {
    if specs.iter().any(has) {
        return Ok(());
    }
    let all: Vec<&OptimizerSpec> = specs.iter().collect();
    Err(Usage(format!(
        "{flag} has no effect: none of the selected optimizers ({}) {what}",
        names(&all)
    )))
}

/// Checks the explicit flags against the selection `specs`, with the
/// damping `damping` and step tolerance `tol` they run with, and the
/// gradient norm `grad_norm` at the start point.
pub(crate) fn check_selection(
    specs: &[OptimizerSpec],
    given: &Explicit,
    damping: f64,
    tol: f64,
    grad_norm: f64,
) -> Result<(), Usage> {
    let d = |s: &OptimizerSpec| s.kind.descriptor();
    if given.lr.is_some() {
        reaches_some("--lr", specs, "has a learning rate", |s| d(s).lr.is_some())?;
    }
    if given.damping.is_some() {
        reaches_some("--damping", specs, "is damped", |s| {
            d(s).damping != DampingUse::None
        })?;
    }
    if given.curvature_batch_size.is_some() {
        reaches_some(
            "--curvature-batch-size",
            specs,
            "takes a separate curvature batch",
            |s| d(s).stochastic == Stochastic::Curvature,
        )?;
    }
    if given.curvature_seed.is_some() && given.curvature_batch_size.is_none() {
        return Err(Usage(
            "--curvature-seed has no effect without --curvature-batch-size".into(),
        ));
    }
    // λ = 0: Levenberg-Marquardt needs λ > 0 to adapt it (a multiple of 0
    // stays 0), and K-FAC inverts Kronecker factors that are singular
    // without damping.
    let need_positive: Vec<&OptimizerSpec> = specs
        .iter()
        .filter(|s| {
            s.damping.is_none()
                && (d(s).damping == DampingUse::LevenbergMarquardt || s.kind == OptimizerKind::Kfac)
        })
        .collect();
    if damping == 0.0 && !need_positive.is_empty() {
        return Err(Usage(format!(
            "--damping 0 cannot be used by {}: Levenberg-Marquardt damping adapts λ by factors \
             (0 stays 0) and K-FAC's Kronecker factors are singular without it; use --damping > 0",
            names(&need_positive)
        )));
    }
    // A damped step is at most ‖g‖/λ long: a λ > 1 so large that it makes
    // the first step shorter than --tol (which ‖g₀‖ itself is not) stops
    // the run after one step ("step<tol").
    let newton_like: Vec<&OptimizerSpec> = specs
        .iter()
        .filter(|s| {
            s.damping.is_none()
                && d(s).damping != DampingUse::None
                && matches!(
                    d(s).family,
                    OptimizerFamily::Newton | OptimizerFamily::GaussNewton
                )
        })
        .collect();
    if damping > 1.0
        && grad_norm.is_finite()
        && grad_norm >= tol
        && grad_norm / damping < tol
        && !newton_like.is_empty()
    {
        return Err(Usage(format!(
            "--damping {} with --tol {}: the first step of {} is at most ‖g₀‖/λ = {:.2e} < --tol, \
             so it would stop after one step; lower --damping or --tol",
            quad_vs_grad::fmt::number(damping),
            quad_vs_grad::fmt::number(tol),
            names(&newton_like),
            grad_norm / damping,
        )));
    }
    Ok(())
}
