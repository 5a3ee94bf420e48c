//! Gradient descent whose step size adapts to the local Hessian spectrum
//! (the "adaptive learning rates" of the course notebook *Optimization in many dimensions*,
//! The University of Texas at Austin).

use argmin::core::{
    ArgminError, CostFunction, Error, Gradient, Hessian, Problem, Solver, TerminationStatus, KV,
};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::common::{
    check_positive, grad_tol_status, hessian_step_iter, init_state, BatchSampling, BatchSchedule,
    VecState,
};
use crate::curvature::eigenvalues;
use crate::curvature::MiniBatched;

/// The spectral quantity `s(H)` that divides the learning rate.
///
/// With eigenvalues `λ_i` of the Hessian `H`:
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum StepScale {
    /// `s = κ(H) + ε`, `κ = max|λ_i| / min|λ_i|` (the notebook's rule, the default
    /// with `ε = 1e−12`): steps shrink where the landscape is anisotropic or
    /// singular (valleys, ridges, flat plateaus) and equal `η/(1 + ε)` where it
    /// is isotropic. Since `κ ≥ 1`, the step is never larger than plain GD's.
    Condition {
        /// `ε ≥ 0`, keeps `s` positive.
        eps: f64,
    },
    /// `s = max|λ_i|`: the classic `η/L` step of a locally `L`-smooth function;
    /// with `η < 2` it is stable along every eigen-direction.
    LambdaMax,
    /// `s = max|λ_i| + min|λ_i|`: the `2/(μ + L)` step that is optimal for
    /// a quadratic with `η = 2`.
    SumAbs,
}

/// The arithmetic of condition-number-adaptive gradient descent, free of any
/// problem.
///
/// With learning rate `η = lr`, the Hessian's eigenvalues `λ_i(H_k)` and
/// `s_k = s(H_k)` from [`StepScale`]:
///
/// ```text
/// η_k = clamp(η / s_k, min_rate, max_rate),     Δ_k = −η_k g_k
/// ```
///
/// A non-finite `s_k` (a singular Hessian under [`StepScale::Condition`])
/// gives `η / s_k = 0`, clamped to `min_rate`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveRule {
    /// Base learning rate `η > 0`.
    pub lr: f64,
    /// What divides `η`.
    pub scale: StepScale,
    /// Lower clip of the effective step size (default 0).
    pub min_rate: f64,
    /// Upper clip of the effective step size (default `100 η`).
    pub max_rate: f64,
}

/// One step of [`AdaptiveRule`], with its diagnostics.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptiveStep {
    /// `Δ_k = −η_k g_k`.
    pub step: Array1<f64>,
    /// The effective step size `η_k`.
    pub rate: f64,
    /// The condition number `κ(H_k)` (`+∞` when singular).
    pub condition: f64,
}

impl AdaptiveRule {
    /// The effective step size for a Hessian with eigenvalues `ev`, and
    /// `κ`. An empty spectrum gives `(min_rate, NaN)`.
    pub fn rate(&self, ev: &Array1<f64>) -> (f64, f64) {
        if ev.is_empty() {
            return (self.min_rate, f64::NAN);
        }
        let max = ev.iter().fold(0.0_f64, |a, &b| a.max(b.abs()));
        let min = ev.iter().fold(f64::INFINITY, |a, &b| a.min(b.abs()));
        let kappa = if min == 0.0 { f64::INFINITY } else { max / min };
        let s = match self.scale {
            StepScale::Condition { eps } => kappa + eps,
            StepScale::LambdaMax => max,
            StepScale::SumAbs => max + min,
        };
        let raw = if s.is_finite() { self.lr / s } else { 0.0 };
        let raw = if raw.is_nan() { self.max_rate } else { raw };
        (raw.clamp(self.min_rate, self.max_rate), kappa)
    }

    /// The step for gradient `grad` and Hessian `hess` (`k × k`).
    ///
    /// # Errors
    /// If the eigendecomposition fails (non-finite entries).
    // ANCHOR: adaptive_update
    pub fn update(&self, grad: &Array1<f64>, hess: &Array2<f64>) -> crate::Result<AdaptiveStep> {
        let ev = eigenvalues(hess)?;
        let (rate, condition) = self.rate(&ev);
        Ok(AdaptiveStep {
            step: grad * (-rate),
            rate,
            condition,
        })
    }
    // ANCHOR_END: adaptive_update
}

/// # Condition-number-adaptive gradient descent
///
/// Gradient descent with one scalar step size per iteration, taken from the
/// spectrum of the local Hessian: a cheap stand-in for Newton's
/// per-direction scaling, which replaces `d` learning rates by one time
/// scale. The update rule is [`AdaptiveRule`]; by default (the notebook's)
///
/// ```text
/// p_{k+1} = p_k − η / (κ(∇²L(p_k)) + ε) · ∇L(p_k),    κ = max|λ| / min|λ|
/// ```
///
/// so iterates slow down where the Hessian is ill-conditioned — in valleys,
/// on ridges and on flat plateaus — and take full steps where the loss is
/// locally isotropic. The variants `η/max|λ|` and `η/(max|λ| + min|λ|)` of
/// the same notebook are available through [`AdaptiveGd::with_scale`].
///
/// (The notebook states the rule above; its accompanying code multiplies the
/// gradient by `κ + ε` instead of dividing by it, which speeds iterates up on
/// plateaus. The crate follows the stated rule.)
///
/// Each iteration costs one gradient, one Hessian, one symmetric
/// eigendecomposition (counted under
/// [`LINEAR_SOLVE_COUNT`](super::LINEAR_SOLVE_COUNT), as the crate counts
/// factorisations) and one loss evaluation. KV entries per iteration:
/// `"step_size"` (`η_k`), `"condition"` (`κ(H_k)`), `"step_norm"`.
///
/// ## Requirements on the optimization problem
/// `CostFunction`, `Gradient` and `Hessian` on `Array1<f64>` / `Array2<f64>`,
/// and [`MiniBatched`] (its defaults suffice: only the stochastic mode uses it).
///
/// ## Hyperparameters
/// - learning rate `η` (required, > 0);
/// - scale: [`StepScale::Condition`] with `ε = 1e−12` by default;
/// - step-size clip `[min_rate, max_rate]`: `[0, 100 η]` by default
///   ([`AdaptiveGd::with_rate_bounds`]); only the `max|λ|` variants can reach
///   the upper bound (where the curvature vanishes);
/// - gradient-norm tolerance: none by default ([`AdaptiveGd::with_grad_tol`]).
///
/// A non-finite iterate, loss, gradient or Hessian ends the run with
/// `TerminationReason::SolverExit("diverged: …")`.
///
/// ## Reference
/// *Optimization in many dimensions*, course notebook, The University of
/// Texas at Austin, section "Adaptive learning rates"; for the `η/L` and
/// `2/(μ + L)` steps, Y. Nesterov, *Introductory Lectures on Convex
/// Optimization*, 2004, §2.1.5.
#[derive(Clone, Debug)]
pub struct AdaptiveGd {
    rule: AdaptiveRule,
    grad_tol: Option<f64>,
    batches: Option<BatchSchedule>,
}

fn invalid(text: String) -> Error {
    ArgminError::InvalidParameter { text }.into()
}

impl AdaptiveGd {
    /// Condition-number-adaptive GD with base learning rate `lr`.
    ///
    /// # Errors
    /// `InvalidParameter` unless `lr` is finite and > 0.
    pub fn new(lr: f64) -> Result<Self, Error> {
        check_positive("AdaptiveGd", "learning rate", lr, false)?;
        Ok(Self {
            rule: AdaptiveRule {
                lr,
                scale: StepScale::Condition { eps: 1e-12 },
                min_rate: 0.0,
                max_rate: 100.0 * lr,
            },
            grad_tol: None,
            batches: None,
        })
    }

    /// Stochastic mode: gradient and Hessian (hence `κ`) from a fresh seeded
    /// mini-batch of `batch_size` examples at every iteration. Default:
    /// full batch.
    ///
    /// # Errors
    /// `InvalidParameter` if `batch_size` is zero.
    pub fn with_minibatch(mut self, batch_size: usize, seed: u64) -> Result<Self, Error> {
        self.batches = Some(BatchSchedule::new(batch_size, seed)?);
        Ok(self)
    }

    /// What divides the learning rate (default `κ + 1e−12`).
    ///
    /// # Errors
    /// `InvalidParameter` if `ε` is negative or not finite.
    pub fn with_scale(mut self, scale: StepScale) -> Result<Self, Error> {
        if let StepScale::Condition { eps } = scale {
            if !(eps.is_finite() && eps >= 0.0) {
                return Err(invalid(format!(
                    "`AdaptiveGd`: eps must be finite and >= 0, got {eps}"
                )));
            }
        }
        self.rule.scale = scale;
        Ok(self)
    }

    /// Clip of the effective step size (default `[0, 100 η]`).
    ///
    /// # Errors
    /// `InvalidParameter` unless `0 ≤ min ≤ max` and `max` is finite.
    pub fn with_rate_bounds(mut self, min: f64, max: f64) -> Result<Self, Error> {
        if !(min >= 0.0 && min <= max && max.is_finite()) {
            return Err(invalid(format!(
                "`AdaptiveGd`: need 0 <= min <= max < inf, got [{min}, {max}]"
            )));
        }
        self.rule.min_rate = min;
        self.rule.max_rate = max;
        Ok(self)
    }

    /// Stop when `‖∇L(p_k)‖ < tol` (default: never).
    ///
    /// # Errors
    /// `InvalidParameter` unless `tol` is finite and ≥ 0.
    pub fn with_grad_tol(mut self, tol: f64) -> Result<Self, Error> {
        self.grad_tol = Some(check_positive("AdaptiveGd", "tolerance", tol, true)?);
        Ok(self)
    }

    /// The update rule.
    pub fn rule(&self) -> &AdaptiveRule {
        &self.rule
    }
}

impl<O> Solver<O, VecState> for AdaptiveGd
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>
        + MiniBatched,
{
    fn name(&self) -> &str {
        "Condition-adaptive gradient descent"
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        let state = init_state(problem, state, &mut self.batches, "AdaptiveGd")?;
        Ok((state, None))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        let rule = &self.rule;
        hessian_step_iter(
            problem,
            state,
            "AdaptiveGd",
            &mut self.batches,
            |hessian, grad| {
                let AdaptiveStep {
                    step,
                    rate,
                    condition,
                } = rule.update(grad, hessian)?;
                Ok((
                    step,
                    argmin::kv!("step_size" => rate; "condition" => condition;),
                ))
            },
        )
    }

    fn terminate(&mut self, state: &VecState) -> TerminationStatus {
        grad_tol_status(state, self.grad_tol)
    }
}

impl BatchSampling for AdaptiveGd {
    fn batch_schedule_mut(&mut self) -> Option<&mut BatchSchedule> {
        self.batches.as_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landscapes::Rosenbrock;
    use crate::solvers::LINEAR_SOLVE_COUNT;
    use argmin::core::{Executor, State};
    use ndarray::array;

    #[test]
    fn rates_by_hand() {
        let rule = |scale| AdaptiveRule {
            lr: 1.0,
            scale,
            min_rate: 0.0,
            max_rate: 100.0,
        };
        let ev = array![-2.0, 8.0];
        let (r, k) = rule(StepScale::Condition { eps: 0.0 }).rate(&ev);
        assert_eq!((r, k), (0.25, 4.0));
        assert_eq!(rule(StepScale::LambdaMax).rate(&ev).0, 0.125);
        assert_eq!(rule(StepScale::SumAbs).rate(&ev).0, 0.1);
        // singular: κ = ∞, rate clamped to min_rate (0)
        assert_eq!(
            rule(StepScale::Condition { eps: 1e-12 })
                .rate(&array![0.0, 1.0])
                .0,
            0.0
        );
        // vanishing curvature: η/max|λ| clipped at max_rate
        assert_eq!(rule(StepScale::LambdaMax).rate(&array![0.0, 0.0]).0, 100.0);
        let step = rule(StepScale::Condition { eps: 0.0 })
            .update(&array![1.0, -2.0], &array![[8.0, 0.0], [0.0, -2.0]])
            .unwrap();
        assert_eq!(step.step, array![-0.25, 0.5]);
    }

    #[test]
    fn validation() {
        assert!(AdaptiveGd::new(-1.0).is_err());
        let s = AdaptiveGd::new(0.1).unwrap();
        assert!(s.clone().with_rate_bounds(1.0, 0.5).is_err());
        assert!(s
            .clone()
            .with_scale(StepScale::Condition { eps: -1.0 })
            .is_err());
        assert!(s.with_grad_tol(f64::NAN).is_err());
    }

    #[test]
    fn descends_rosenbrock_and_counts_work() {
        let solver = AdaptiveGd::new(1.0)
            .unwrap()
            .with_scale(StepScale::LambdaMax)
            .unwrap();
        let res = Executor::new(Rosenbrock::classic(), solver)
            .configure(|s| s.param(array![-1.2, 1.0]).max_iters(200).counting(true))
            .run()
            .unwrap();
        let st = res.state();
        assert!(st.get_cost() < 4.0, "{}", st.get_cost());
        let counts = st.get_func_counts();
        assert_eq!(counts.get("hessian_count"), Some(&200));
        assert_eq!(counts.get(LINEAR_SOLVE_COUNT), Some(&200));
    }
}
