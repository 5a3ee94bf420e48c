//! The argmin glue shared by the first-order methods: a pure [`UpdateRule`]
//! (optax style: a state plus `update(grad) -> step`) driven by the generic
//! solver [`FirstOrder`].

use crate::linalg::FixedDot;
use argmin::core::{
    CostFunction, Error, Gradient, KvValue, Problem, Solver, State, TerminationStatus, KV,
};
use ndarray::Array1;

use super::common::{
    all_finite, check_positive, current_cost_grad, diverged, finish_iter, grad_tol_status,
    init_state, next_batch, take_param, BatchSampling, BatchSchedule, VecState,
};
use crate::curvature::MiniBatched;

/// The arithmetic of a first-order update rule, free of any problem.
///
/// `update` maps the gradient `g_k` at the current iterate to the step
/// `Δ_k` (the new iterate is `p_{k+1} = p_k + Δ_k`) and advances the rule's
/// state; the iteration count lives in the state, nothing is hidden.
pub trait UpdateRule {
    /// The rule's memory (velocity, moment estimates, step count).
    type State: Clone + std::fmt::Debug;
    /// Short name (used as the solver's name).
    fn name(&self) -> &'static str;
    /// The state before the first step, for parameters of length `dim`.
    fn init(&self, dim: usize) -> Self::State;
    /// The step `Δ_k` for gradient `grad`, advancing `state`.
    fn update(&self, grad: &Array1<f64>, state: &mut Self::State) -> Array1<f64>;
    /// Extra diagnostics of the step about to be taken from `state`, added
    /// to the iteration's key-value record beside `step_norm` (default:
    /// none; Langevin's rule records its noise scale `ν_k`).
    fn annotate(&self, _state: &Self::State, _kv: &mut KV) {}
}

/// A first-order optimizer: an [`UpdateRule`] run as an argmin [`Solver`].
///
/// Each iteration takes the gradient `g_k` at `p_k` (evaluated at the end of
/// the previous iteration, or on a fresh mini-batch in stochastic mode),
/// steps `p_{k+1} = p_k + rule.update(g_k)`, then evaluates loss and
/// gradient at `p_{k+1}`: one cost and one gradient evaluation per
/// iteration, and the state always holds the loss of its iterate, so argmin's
/// `target_cost` works.
///
/// It stops at argmin's `max_iters`, or when `‖∇L(p_k)‖ < tol` once a
/// tolerance is set ([`FirstOrder::with_grad_tol`]).
///
/// Use it through the aliases [`super::GradientDescent`], [`super::RmsProp`],
/// [`super::Adam`] and [`super::LangevinGd`].
#[derive(Clone, Debug)]
pub struct FirstOrder<R: UpdateRule> {
    rule: R,
    memory: Option<R::State>,
    grad_tol: Option<f64>,
    batches: Option<BatchSchedule>,
}

impl<R: UpdateRule> FirstOrder<R> {
    /// Wraps an update rule (full-batch).
    pub fn from_rule(rule: R) -> Self {
        Self {
            rule,
            memory: None,
            grad_tol: None,
            batches: None,
        }
    }

    /// The update rule.
    pub fn rule(&self) -> &R {
        &self.rule
    }

    /// The update rule, mutably (for setters).
    pub(crate) fn rule_mut(&mut self) -> &mut R {
        &mut self.rule
    }

    /// Stochastic mode: restrict the problem to a fresh seeded mini-batch of
    /// `batch_size` examples at every iteration (the problem must implement
    /// [`MiniBatched`] with at least `batch_size` examples). Default: full batch.
    ///
    /// # Errors
    /// `InvalidParameter` if `batch_size` is zero.
    pub fn with_minibatch(mut self, batch_size: usize, seed: u64) -> Result<Self, Error> {
        self.batches = Some(BatchSchedule::new(batch_size, seed)?);
        Ok(self)
    }

    /// Stop when `‖∇L(p_k)‖ < tol` (default: never; the race's own
    /// step-norm rule stops its runs).
    ///
    /// # Errors
    /// `InvalidParameter` unless `tol` is finite and ≥ 0.
    pub fn with_grad_tol(mut self, tol: f64) -> Result<Self, Error> {
        self.grad_tol = Some(check_positive(self.rule.name(), "tolerance", tol, true)?);
        Ok(self)
    }
}

impl<O, R> Solver<O, VecState> for FirstOrder<R>
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + MiniBatched,
    R: UpdateRule,
{
    fn name(&self) -> &str {
        self.rule.name()
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        let state = init_state(problem, state, &mut self.batches, self.rule.name())?;
        let dim = state.get_param().map_or(0, Array1::len);
        self.memory = Some(self.rule.init(dim));
        Ok((state, None))
    }

    // ANCHOR: first_order_iter
    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        mut state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        let param = take_param(&mut state, self.rule.name())?;
        let stochastic = next_batch(&mut self.batches, problem)?;
        let (_, grad) = current_cost_grad(problem, &mut state, &param, stochastic)?;
        if !all_finite(&grad) {
            return Ok((
                state
                    .param(param)
                    .terminate_with(diverged("non-finite gradient")),
                None,
            ));
        }
        let dim = param.len();
        let memory = self.memory.get_or_insert_with(|| self.rule.init(dim));
        let mut kv = KV::new();
        self.rule.annotate(memory, &mut kv);
        let step = self.rule.update(&grad, memory);
        let step_norm = step.fdot(&step).sqrt();
        kv.insert("step_norm", KvValue::Float(step_norm));
        let next = param + &step;
        let state = finish_iter(problem, state, next, None, stochastic)?;
        Ok((state, Some(kv)))
    }
    // ANCHOR_END: first_order_iter

    fn terminate(&mut self, state: &VecState) -> TerminationStatus {
        grad_tol_status(state, self.grad_tol)
    }
}

impl<R: UpdateRule> BatchSampling for FirstOrder<R> {
    fn batch_schedule_mut(&mut self) -> Option<&mut BatchSchedule> {
        self.batches.as_mut()
    }
}
