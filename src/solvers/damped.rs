//! The argmin glue shared by every damped second-order method: a
//! [`DampedRule`] proposes a step for a given damping `λ`, the generic solver
//! [`Damped`] does the rest (mini-batches, the reduction ratio, Levenberg–
//! Marquardt adaptation of `λ`, accepting or rejecting, divergence exits).
//!
//! | solver | rule | curvature `C` of the model |
//! |---|---|---|
//! | [`super::DampedNewton`] | [`super::DampedNewtonStep`] (a [`super::HessianRule`]) | Hessian `H` |
//! | [`super::SaddleFreeNewton`] | [`super::SaddleFreeStep`] (a [`super::HessianRule`]) | `|H|` |
//! | [`super::GaussNewton`] | [`super::GaussNewtonStep`] | GGN `G` |
//! | [`super::Kfac`] | [`super::KfacRule`] | `blockdiag(G_l ⊗ A_l)` (`ρ` from the GGN) |
//! | [`super::HessianFree`] | [`super::HessianFreeRule`] | GGN or Hessian, by products |
//!
//! All of them take their damping the same way,
//! `with_damping(Damping) -> Self`, with a [`Damping`] validated when it is
//! built ([`Damping::fixed`], [`Damping::adaptive`]).

use crate::linalg::FixedDot;
use argmin::core::{CostFunction, Error, Gradient, KvValue, Problem, Solver, State, KV};
use ndarray::Array1;

use super::common::{
    all_finite, current_cost_grad, diverged, finish_iter, init_state, next_batch, set_batch,
    take_param, BatchSampling, BatchSchedule, VecState,
};
use super::damping::{reduction_ratio, Damping};
use crate::curvature::MiniBatched;

/// What a [`DampedRule`] proposes for one iteration.
#[derive(Clone, Debug)]
pub struct ProposedStep {
    /// The step `Δ`.
    pub step: Array1<f64>,
    /// `ΔᵀCΔ` with the *undamped* curvature `C` of the rule's quadratic model
    /// `q(Δ) = gᵀΔ + ½ΔᵀCΔ`, when known; the reduction ratio of adaptive
    /// damping needs it.
    pub model_curvature: Option<f64>,
    /// The rule's own diagnostics (argmin KV entries).
    pub kv: KV,
    /// `Some(what)` if the rule met non-finite curvature: the run ends as
    /// diverged with that reason, at the current iterate.
    pub diverged: Option<String>,
}

impl ProposedStep {
    /// A step with its model curvature `ΔᵀCΔ` (if known) and diagnostics.
    pub fn new(step: Array1<f64>, model_curvature: Option<f64>, kv: KV) -> Self {
        Self {
            step,
            model_curvature,
            kv,
            diverged: None,
        }
    }

    /// No step: the curvature was not finite (`what` says which).
    pub fn diverged(what: impl Into<String>) -> Self {
        Self {
            step: Array1::zeros(0),
            model_curvature: None,
            kv: KV::new(),
            diverged: Some(what.into()),
        }
    }
}

/// The part of a damped second-order method that differs from the others:
/// which curvature it asks of the problem `O` and how it turns it into a
/// step. Each rule delegates the arithmetic to a small pure type tested on
/// its own ([`super::HessianRule`], [`super::GaussNewtonStep`],
/// [`super::KfacStep`], [`super::truncated_cg`]).
///
/// A rule of your own gets damping, Levenberg–Marquardt adaptation, the
/// stochastic mode and divergence handling from [`Damped`]:
///
/// ```
/// use quad_vs_grad::argmin::core::{Error, Problem, KV};
/// use quad_vs_grad::prelude::*;
/// use quad_vs_grad::linalg::FixedDot;
/// use quad_vs_grad::solvers::{Damped, DampedRule, ProposedStep};
///
/// /// Curvature `c I`: a damped gradient step `Δ = −g / (c + λ)`.
/// struct ScaledGradient(f64);
///
/// impl<O> DampedRule<O> for ScaledGradient {
///     fn name(&self) -> &'static str {
///         "scaled gradient"
///     }
///     fn propose(
///         &mut self,
///         _problem: &mut Problem<O>,
///         _param: &Array1<f64>,
///         grad: &Array1<f64>,
///         damping: f64,
///         _need_model: bool,
///     ) -> Result<ProposedStep, Error> {
///         let step = grad * (-1.0 / (self.0 + damping));
///         let curvature = self.0 * step.fdot(&step); // ΔᵀCΔ with C = c I
///         Ok(ProposedStep::new(step, Some(curvature), KV::new()))
///     }
/// }
///
/// let problem = XorProblem::reference();
/// let start = array![2.0, -2.0];
/// let solver = Damped::from_rule(ScaledGradient(1.0), Damping::adaptive(1.0)?);
/// let res = Executor::new(problem.clone(), solver)
///     .configure(|s| s.param(start.clone()).max_iters(20))
///     .run()?;
/// assert!(res.state().get_cost() < problem.cost(&start)?);
/// # Ok::<(), Error>(())
/// ```
pub trait DampedRule<O> {
    /// The solver's name (argmin's `Solver::name`).
    fn name(&self) -> &'static str;

    /// Forgets what the rule carries from one iteration to the next (warm
    /// starts, moving averages); called by the solver's `init`.
    fn reset(&mut self) {}

    /// The step at `param`, where the gradient is `grad`, with damping
    /// `damping` (`λ`); `need_model` asks for
    /// [`ProposedStep::model_curvature`] (adaptive damping). The rule counts
    /// its own work in argmin's problem counters.
    ///
    /// # Errors
    /// Whatever the problem or the linear algebra returns.
    fn propose(
        &mut self,
        problem: &mut Problem<O>,
        param: &Array1<f64>,
        grad: &Array1<f64>,
        damping: f64,
        need_model: bool,
    ) -> Result<ProposedStep, Error>;
}

/// A damped second-order method: a [`DampedRule`] run as an argmin
/// [`Solver`], with its [`Damping`] and an optional mini-batch schedule.
///
/// Each iteration (after drawing a batch in stochastic mode) takes loss
/// `L(p_k)` and gradient `g_k`, lets the rule propose `Δ` for the current
/// `λ` (on a separate curvature batch with [`Damped::with_curvature_batch`]), evaluates `L(p_k + Δ)` when needed (always in full-batch mode, where
/// it is the next loss anyway; in stochastic mode only with adaptive
/// damping), and then
///
/// ```text
/// ρ = (L(p_k + Δ) − L(p_k)) / (gᵀΔ + ½ΔᵀCΔ)
/// fixed λ:     p_{k+1} = p_k + Δ
/// adaptive λ:  λ ← LM(λ, ρ);  p_{k+1} = p_k + Δ if L(p_k + Δ) ≤ L(p_k), else p_k
/// ```
///
/// (see [`super::LevenbergMarquardt`]). KV entries per iteration, besides
/// the rule's own: `"damping"` (the `λ` used), `"rho"`, `"accepted"`,
/// `"step_norm"`, and `"predicted_decrease"` (`−(gᵀΔ + ½ΔᵀCΔ)`, when the
/// rule reports `ΔᵀCΔ`). A non-finite loss, gradient, curvature or iterate
/// ends the run with `TerminationReason::SolverExit("diverged: …")`.
///
/// Use it through the aliases [`super::DampedNewton`],
/// [`super::SaddleFreeNewton`], [`super::GaussNewton`], [`super::Kfac`] and
/// [`super::HessianFree`], or with a rule of your own
/// ([`Damped::from_rule`]).
#[derive(Clone, Debug)]
pub struct Damped<R> {
    rule: R,
    damping: Damping,
    batches: Option<BatchSchedule>,
    curvature_batches: Option<BatchSchedule>,
}

impl<R> Damped<R> {
    /// Wraps a rule with a damping scheme (full batch).
    pub fn from_rule(rule: R, damping: Damping) -> Self {
        Self {
            rule,
            damping,
            batches: None,
            curvature_batches: None,
        }
    }

    /// The damping scheme: [`Damping::fixed`] or [`Damping::adaptive`]
    /// (Levenberg–Marquardt), both validated when built. Each solver's
    /// documentation gives its default.
    pub fn with_damping(mut self, damping: Damping) -> Self {
        self.damping = damping;
        self
    }

    /// Stochastic mode: restrict the problem to a fresh seeded mini-batch of
    /// `batch_size` examples at every iteration (the problem must implement
    /// [`MiniBatched`] with at least `batch_size` examples); gradient, both
    /// losses of `ρ` and (unless [`Damped::with_curvature_batch`] sets a
    /// separate batch) the curvature then come from that batch. Default:
    /// full batch.
    ///
    /// # Errors
    /// `InvalidParameter` if `batch_size` is zero.
    pub fn with_minibatch(mut self, batch_size: usize, seed: u64) -> Result<Self, Error> {
        self.batches = Some(BatchSchedule::new(batch_size, seed)?);
        Ok(self)
    }

    /// Curvature from a separate seeded mini-batch of `batch_size` examples,
    /// drawn afresh at every iteration by its own sampler (seed `seed`),
    /// instead of from the gradient's batch. Default: the curvature comes
    /// from the same data as the gradient (the mini-batch `B_k` in
    /// stochastic mode, the full batch otherwise).
    ///
    /// With gradient batch `B_k` and curvature batch `C_k` drawn
    /// independently, the step is
    ///
    /// ```text
    /// Δ_k = −(Ĉ_{C_k}(p_k) + λ I)⁻¹ ĝ_{B_k}(p_k)
    /// ```
    ///
    /// where `Ĉ` is the rule's curvature (Hessian, `|H|`, GGN, K-FAC factors,
    /// or the curvature-vector products of Hessian-free's CG), all evaluated
    /// on `C_k`; the reduction ratio `ρ` of adaptive damping compares the
    /// losses on `B_k` with the model `ĝᵀΔ + ½ΔᵀĈΔ`. With the *same* batch
    /// (`C_k = B_k`) the noise of `ĝ` and of `Ĉ` is correlated: the step
    /// solves the quadratic model of one batch's loss exactly, overfitting
    /// that batch. An independent `C_k` decorrelates them, and a smaller
    /// `|C_k| < |B_k|` makes curvature cheaper than the gradient, the setting of
    /// Martens (2010, §4.3: gradient on large batches, curvature-vector
    /// products on a smaller mini-batch) and of K-FAC's factor estimates
    /// (Martens & Grosse 2015, §5, which may use a subset of the batch for
    /// the statistics). This also works with a full-batch gradient
    /// (Martens' original setting). The curvature batch counts as no extra
    /// evaluation: only the curvature work done on it is counted.
    ///
    /// # Errors
    /// `InvalidParameter` if `batch_size` is zero.
    ///
    /// # Reference
    /// J. Martens, *Deep learning via Hessian-free optimization*, ICML 2010;
    /// J. Martens and R. Grosse, *Optimizing Neural Networks with
    /// Kronecker-factored Approximate Curvature*, ICML 2015.
    pub fn with_curvature_batch(mut self, batch_size: usize, seed: u64) -> Result<Self, Error> {
        self.curvature_batches = Some(BatchSchedule::new(batch_size, seed)?);
        Ok(self)
    }

    /// The mini-batch schedule of the gradient, if stochastic.
    pub fn minibatch(&self) -> Option<&BatchSchedule> {
        self.batches.as_ref()
    }

    /// The separate curvature-batch schedule, if any.
    pub fn curvature_batch(&self) -> Option<&BatchSchedule> {
        self.curvature_batches.as_ref()
    }

    /// The damping scheme (with the current `λ` when adaptive).
    pub fn damping(&self) -> &Damping {
        &self.damping
    }

    /// The rule.
    pub fn rule(&self) -> &R {
        &self.rule
    }

    /// The rule, mutably (for setters).
    pub(crate) fn rule_mut(&mut self) -> &mut R {
        &mut self.rule
    }
}

impl<O, R> Solver<O, VecState> for Damped<R>
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + MiniBatched,
    R: DampedRule<O>,
{
    fn name(&self) -> &str {
        self.rule.name()
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        self.rule.reset();
        let name = self.rule.name();
        let state = init_state(problem, state, &mut self.batches, name)?;
        if let Some(c) = &mut self.curvature_batches {
            c.init(problem)?;
        }
        Ok((state, None))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        mut state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        let param = take_param(&mut state, self.rule.name())?;
        let stochastic = next_batch(&mut self.batches, problem)?;
        let (cost, grad) = current_cost_grad(problem, &mut state, &param, stochastic)?;
        if !cost.is_finite() || !all_finite(&grad) {
            return Ok((
                state
                    .param(param)
                    .terminate_with(diverged("non-finite loss or gradient")),
                None,
            ));
        }
        let lambda = self.damping.lambda();
        let adaptive = self.damping.is_adaptive();
        let separate = match &mut self.curvature_batches {
            Some(c) => {
                c.advance(problem)?;
                true
            }
            None => false,
        };
        let proposed = self.rule.propose(problem, &param, &grad, lambda, adaptive);
        if separate {
            // back to the gradient's data for the losses of ρ and the next point
            set_batch(
                problem,
                self.batches.as_ref().and_then(BatchSchedule::current),
            )?;
        }
        let proposed = proposed?;
        if let Some(what) = proposed.diverged {
            return Ok((state.param(param).terminate_with(diverged(what)), None));
        }
        let ProposedStep {
            step,
            model_curvature,
            kv,
            ..
        } = proposed;
        let step_norm = step.fdot(&step).sqrt();
        let trial = &param + &step;
        let trial_cost = if (adaptive || !stochastic) && all_finite(&trial) {
            Some(problem.cost(&trial)?)
        } else {
            None
        };
        let predicted = model_curvature.map(|c| grad.fdot(&step) + 0.5 * c);
        let rho = match (trial_cost, predicted) {
            (Some(f1), Some(pred)) => reduction_ratio(f1 - cost, pred),
            _ => f64::NAN,
        };
        let accepted = self.damping.update(rho, cost, trial_cost);
        let mut log = kv.merge(argmin::kv!(
            "damping" => lambda;
            "rho" => rho;
            "accepted" => accepted;
            "step_norm" => step_norm;
        ));
        if let Some(p) = predicted {
            log.insert("predicted_decrease", KvValue::Float(-p));
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
}

impl<R> BatchSampling for Damped<R> {
    fn batch_schedule_mut(&mut self) -> Option<&mut BatchSchedule> {
        self.batches.as_mut()
    }
}
