//! Damping for the curvature-based solvers (Gauss–Newton, K-FAC,
//! Hessian-free): a fixed `λ`, or Levenberg–Marquardt adaptation from the
//! reduction ratio, plus the iteration they share.

use argmin::core::{CostFunction, Error, Gradient, Problem, State, KV};
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::common::{
    all_finite, check_positive, current_cost_grad, diverged, finish_iter, next_batch, take_param,
    BatchSchedule, VecState,
};
use crate::curvature::MiniBatched;

/// The Levenberg–Marquardt rule for adapting a damping `λ` from the
/// reduction ratio
///
/// ```text
/// ρ = (L(p + Δ) − L(p)) / (q(Δ) − q(0)),     q(Δ) − q(0) = gᵀΔ + ½ ΔᵀCΔ
/// ```
///
/// (actual over predicted decrease, with the *undamped* quadratic model of
/// curvature `C`): `λ ← λ·shrink` if `ρ > 3/4` (the model is trustworthy),
/// `λ ← λ·grow` if `ρ < 1/4` (it is not), unchanged otherwise, and clamped
/// to `[min, max]`. Martens (2010) uses `shrink = 2/3`, `grow = 3/2`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevenbergMarquardt {
    /// Factor applied when `ρ > 3/4` (in `(0, 1)`, default 2/3).
    pub shrink: f64,
    /// Factor applied when `ρ < 1/4` (> 1, default 3/2).
    pub grow: f64,
    /// Lower clamp of `λ` (default 1e-8).
    pub min: f64,
    /// Upper clamp of `λ` (default 1e8).
    pub max: f64,
}

impl Default for LevenbergMarquardt {
    fn default() -> Self {
        Self {
            shrink: 2.0 / 3.0,
            grow: 1.5,
            min: 1e-8,
            max: 1e8,
        }
    }
}

impl LevenbergMarquardt {
    /// The next damping after a step with reduction ratio `rho` (NaN counts as bad).
    pub fn update(&self, lambda: f64, rho: f64) -> f64 {
        let next = if rho > 0.75 {
            lambda * self.shrink
        } else if rho >= 0.25 {
            lambda
        } else {
            lambda * self.grow
        };
        next.clamp(self.min, self.max)
    }
}

/// The reduction ratio `ρ = actual / predicted` (see [`LevenbergMarquardt`]).
///
/// A non-negative prediction (the model promises no decrease) gives `ρ = −∞`
/// unless the actual change is zero too (`ρ = 1`).
pub fn reduction_ratio(actual: f64, predicted: f64) -> f64 {
    if predicted < 0.0 {
        actual / predicted
    } else if actual == 0.0 {
        1.0
    } else {
        f64::NEG_INFINITY
    }
}

/// How a curvature-based solver damps its curvature `C`: it solves with
/// `C + λI` (or a factored equivalent, for K-FAC).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Damping {
    /// A constant `λ`; every step is taken.
    Fixed(f64),
    /// `λ` adapted by the [`LevenbergMarquardt`] rule; steps that raise the
    /// loss (on the current batch) are rejected: the iterate stays put and
    /// `λ` grows.
    Adaptive {
        /// The current damping `λ`.
        lambda: f64,
        /// The adaptation rule.
        rule: LevenbergMarquardt,
    },
}

impl Damping {
    /// A fixed damping.
    ///
    /// # Errors
    /// `InvalidParameter` unless `lambda` is finite and `>= 0`.
    pub fn fixed(lambda: f64) -> Result<Self, Error> {
        Ok(Self::Fixed(check_positive(
            "Damping", "damping", lambda, true,
        )?))
    }

    /// Levenberg–Marquardt adaptation from `initial` with Martens' factors.
    ///
    /// # Errors
    /// `InvalidParameter` unless `initial` is finite and `> 0`.
    pub fn adaptive(initial: f64) -> Result<Self, Error> {
        Ok(Self::Adaptive {
            lambda: check_positive("Damping", "initial damping", initial, false)?,
            rule: LevenbergMarquardt::default(),
        })
    }

    /// The damping `λ` the next step uses.
    pub fn lambda(&self) -> f64 {
        match self {
            Self::Fixed(l) => *l,
            Self::Adaptive { lambda, .. } => *lambda,
        }
    }

    /// `true` for Levenberg–Marquardt adaptation.
    pub fn is_adaptive(&self) -> bool {
        matches!(self, Self::Adaptive { .. })
    }
}

/// What a curvature-based solver computes for one iteration.
pub(crate) struct ProposedStep {
    /// The step `Δ`.
    pub step: Array1<f64>,
    /// `ΔᵀCΔ` with the undamped curvature of the quadratic model, if known.
    pub curvature: Option<f64>,
    /// Solver-specific diagnostics.
    pub kv: KV,
}

/// One iteration shared by Gauss–Newton, K-FAC and Hessian-free: draw a
/// batch (stochastic mode), take loss and gradient, let `propose` compute the
/// step with damping `λ`, evaluate the loss at the trial point when it is
/// needed (adaptive damping, or full batch where it is the next loss anyway),
/// compute `ρ`, adapt `λ`, accept or reject.
pub(crate) fn damped_iteration<O, F>(
    problem: &mut Problem<O>,
    mut state: VecState,
    batches: &mut Option<BatchSchedule>,
    damping: &mut Damping,
    solver: &str,
    propose: F,
) -> Result<(VecState, Option<KV>), Error>
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + MiniBatched,
    F: FnOnce(&mut Problem<O>, &Array1<f64>, &Array1<f64>, f64) -> Result<ProposedStep, Error>,
{
    let param = take_param(&mut state, solver)?;
    let stochastic = next_batch(batches, problem)?;
    let (cost, grad) = current_cost_grad(problem, &mut state, &param, stochastic)?;
    if !cost.is_finite() || !all_finite(&grad) {
        return Ok((
            state
                .param(param)
                .terminate_with(diverged("non-finite loss or gradient")),
            None,
        ));
    }
    let lambda = damping.lambda();
    let ProposedStep {
        step,
        curvature,
        kv,
    } = propose(problem, &param, &grad, lambda)?;
    let step_norm = step.dot(&step).sqrt();
    let trial = &param + &step;
    let need_trial_cost = damping.is_adaptive() || !stochastic;
    let trial_cost = if need_trial_cost && all_finite(&trial) {
        Some(problem.cost(&trial)?)
    } else {
        None
    };
    let predicted = curvature.map(|c| grad.dot(&step) + 0.5 * c);
    let rho = match (trial_cost, predicted) {
        (Some(f1), Some(pred)) => reduction_ratio(f1 - cost, pred),
        _ => f64::NAN,
    };
    let accepted = match damping {
        Damping::Fixed(_) => true,
        Damping::Adaptive { lambda, rule } => {
            *lambda = rule.update(*lambda, rho);
            trial_cost.is_some_and(|f1| f1 <= cost)
        }
    };
    let mut log = kv.merge(argmin::kv!(
        "damping" => lambda;
        "rho" => rho;
        "accepted" => accepted;
        "step_norm" => step_norm;
    ));
    if let Some(p) = predicted {
        log.insert("predicted_decrease", (-p).into());
    }
    let state = if accepted {
        finish_iter(problem, state, trial, trial_cost, stochastic)?
    } else if stochastic {
        state.param(param).cost(f64::NAN)
    } else {
        state.param(param).cost(cost).gradient(grad)
    };
    Ok((state, Some(log)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lm_rule() {
        let lm = LevenbergMarquardt::default();
        assert!((lm.update(1.0, 0.9) - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(lm.update(1.0, 0.5), 1.0);
        assert_eq!(lm.update(1.0, 0.1), 1.5);
        assert_eq!(lm.update(1.0, f64::NAN), 1.5);
        assert_eq!(lm.update(1e8, -1.0), 1e8);
        assert_eq!(lm.update(1e-8, 1.0), 1e-8);
    }

    #[test]
    fn ratio() {
        assert_eq!(reduction_ratio(-1.0, -2.0), 0.5);
        assert_eq!(reduction_ratio(1.0, 0.0), f64::NEG_INFINITY);
        assert_eq!(reduction_ratio(0.0, 0.0), 1.0);
    }

    #[test]
    fn constructors() {
        assert!(Damping::fixed(-1.0).is_err());
        assert!(Damping::adaptive(0.0).is_err());
        assert_eq!(Damping::adaptive(0.1).unwrap().lambda(), 0.1);
        assert!(!Damping::fixed(0.0).unwrap().is_adaptive());
    }
}
