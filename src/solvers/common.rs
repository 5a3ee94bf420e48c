//! Glue shared by the crate's solvers: the state type, evaluation counting
//! keys, mini-batch schedules, dense damped solves, and divergence exits.

use crate::linalg::FixedDot;
use argmin::core::{
    ArgminError, CostFunction, Error, Gradient, Hessian, IterState, KvValue, Problem, State,
    TerminationReason, TerminationStatus, KV,
};
use ndarray::{Array1, Array2};

use crate::curvature::MiniBatched;
use crate::data::{MiniBatcher, Sampling};

/// The argmin state every solver of this module works on: parameters and
/// gradients are `Array1<f64>`, the loss is `f64`; nothing else is stored.
pub type VecState = IterState<Array1<f64>, Array1<f64>, (), (), (), f64>;

/// Key under which curvature-vector products and dense curvature matrices
/// other than the Hessian (GGN, K-FAC factors) are counted in argmin's
/// [`Problem`] counters (maps onto [`crate::trace::Counts::curvature`]).
pub const CURVATURE_COUNT: &str = "curvature_count";

/// Key under which linear solves (dense factorisations, eigendecompositions
/// used to solve, CG runs) are counted (maps onto
/// [`crate::trace::Counts::linear_solve`]).
pub const LINEAR_SOLVE_COUNT: &str = "linear_solve_count";

/// Prefix of the [`TerminationReason::SolverExit`] text with which a solver
/// of this module reports a diverged run (non-finite loss, gradient or step).
pub const DIVERGED_PREFIX: &str = "diverged";

/// Adds `n` to the evaluation counter `key` of an argmin problem wrapper,
/// for work argmin does not count itself: a [`DampedRule`](super::DampedRule)
/// of your own counts its linear solves with
/// `add_count(problem, LINEAR_SOLVE_COUNT, 1)` (curvature products are
/// counted by calling them through `problem.problem(CURVATURE_COUNT, |p| …)`).
pub fn add_count<O>(problem: &mut Problem<O>, key: &'static str, n: u64) {
    *problem.counts.entry(key).or_insert(0) += n;
}

/// The user problem inside argmin's wrapper, without counting.
pub(crate) fn inner<O>(problem: &Problem<O>) -> Result<&O, Error> {
    problem.problem.as_ref().ok_or_else(|| {
        ArgminError::PotentialBug {
            text: "the problem was taken out of argmin's wrapper".into(),
        }
        .into()
    })
}

/// Takes the current iterate out of the state, or explains how to provide it.
pub(crate) fn take_param(state: &mut VecState, solver: &str) -> Result<Array1<f64>, Error> {
    state.take_param().ok_or_else(|| {
        ArgminError::NotInitialized {
            text: format!(
                "`{solver}` requires an initial parameter vector. \
                 Please provide an initial guess via `Executor`s `configure` method."
            ),
        }
        .into()
    })
}

/// `Err(InvalidParameter)` unless `value` is finite and `> 0` (or `>= 0` when `allow_zero`).
pub(crate) fn check_positive(
    solver: &str,
    what: &str,
    value: f64,
    allow_zero: bool,
) -> Result<f64, Error> {
    let ok = value.is_finite() && (value > 0.0 || (allow_zero && value == 0.0));
    if ok {
        Ok(value)
    } else {
        let bound = if allow_zero { ">= 0" } else { "> 0" };
        Err(ArgminError::InvalidParameter {
            text: format!("`{solver}`: {what} must be finite and {bound}, got {value}"),
        }
        .into())
    }
}

/// `Err(InvalidParameter)` unless `value ∈ [0, 1)`.
pub(crate) fn check_unit(solver: &str, what: &str, value: f64) -> Result<f64, Error> {
    if (0.0..1.0).contains(&value) {
        Ok(value)
    } else {
        Err(ArgminError::InvalidParameter {
            text: format!("`{solver}`: {what} must be in [0, 1), got {value}"),
        }
        .into())
    }
}

/// `true` if every entry is finite.
pub(crate) fn all_finite(v: &Array1<f64>) -> bool {
    v.iter().all(|x| x.is_finite())
}

/// The termination reason of a diverged run, `"diverged: <what>"`.
pub fn diverged(what: impl std::fmt::Display) -> TerminationReason {
    TerminationReason::SolverExit(format!("{DIVERGED_PREFIX}: {what}"))
}

/// A seeded mini-batch schedule for the stochastic mode of a solver.
///
/// Holds the requested batch size and seed; the [`MiniBatcher`] itself is
/// created in the solver's `init`, once the problem's number of examples is
/// known. Each iteration of the solver restricts the problem to a
/// fresh batch (without replacement within an epoch).
#[derive(Clone, Debug)]
pub struct BatchSchedule {
    batch_size: usize,
    seed: u64,
    batcher: Option<MiniBatcher>,
    current: Option<Vec<usize>>,
    sampling: Sampling,
}

impl BatchSchedule {
    /// A schedule of batches of `batch_size` examples drawn with `seed`.
    ///
    /// # Errors
    /// `InvalidParameter` if `batch_size` is zero.
    pub fn new(batch_size: usize, seed: u64) -> Result<Self, Error> {
        if batch_size == 0 {
            return Err(ArgminError::InvalidParameter {
                text: "mini-batch size must be at least 1".into(),
            }
            .into());
        }
        Ok(Self {
            batch_size,
            seed,
            batcher: None,
            current: None,
            sampling: Sampling::Epochs,
        })
    }

    /// How the batches are drawn (default [`Sampling::Epochs`]).
    pub fn sampling(&self) -> Sampling {
        self.sampling
    }

    /// Draws the batches the way `sampling` says, from the next `init` on.
    pub fn set_sampling(&mut self, sampling: Sampling) {
        self.sampling = sampling;
        self.batcher = None;
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The indices of the batch drawn last (`None` before the first draw).
    pub fn current(&self) -> Option<&[usize]> {
        self.current.as_deref()
    }

    /// Creates the sampler for the problem's data.
    pub(crate) fn init<O: MiniBatched>(&mut self, problem: &Problem<O>) -> Result<(), Error> {
        let n = inner(problem)?.num_examples();
        if n == 0 {
            return Err(ArgminError::InvalidParameter {
                text: "this problem has no examples to draw mini-batches from".into(),
            }
            .into());
        }
        self.batcher =
            Some(MiniBatcher::new(n, self.batch_size, self.seed)?.with_sampling(self.sampling));
        self.current = None;
        Ok(())
    }

    /// Restricts the problem to the next batch.
    pub(crate) fn advance<O: MiniBatched>(
        &mut self,
        problem: &mut Problem<O>,
    ) -> Result<(), Error> {
        if self.batcher.is_none() {
            self.init(problem)?;
        }
        let batch = self
            .batcher
            .as_mut()
            .map(MiniBatcher::next_batch)
            .unwrap_or_default();
        set_batch(problem, Some(&batch))?;
        self.current = Some(batch);
        Ok(())
    }
}

/// A solver with a stochastic mode, whose mini-batches can be drawn in
/// shuffled epochs or independently ([`Sampling`]).
pub trait BatchSampling: Sized {
    /// The solver's gradient-batch schedule, if it runs in stochastic mode.
    fn batch_schedule_mut(&mut self) -> Option<&mut BatchSchedule>;

    /// Draws the gradient's mini-batches the way `sampling` says (no effect
    /// on a full-batch solver). Call after `with_minibatch`.
    #[must_use]
    fn with_sampling(mut self, sampling: Sampling) -> Self {
        if let Some(b) = self.batch_schedule_mut() {
            b.set_sampling(sampling);
        }
        self
    }
}

/// Restricts the problem inside argmin's wrapper to `batch` (`None`: the
/// full batch), without counting.
pub(crate) fn set_batch<O: MiniBatched>(
    problem: &mut Problem<O>,
    batch: Option<&[usize]>,
) -> Result<(), Error> {
    problem
        .problem
        .as_mut()
        .ok_or_else(|| ArgminError::PotentialBug {
            text: "the problem was taken out of argmin's wrapper".into(),
        })?
        .set_batch(batch)
}

/// Advances an optional schedule; `true` if the solver runs stochastically.
pub(crate) fn next_batch<O: MiniBatched>(
    schedule: &mut Option<BatchSchedule>,
    problem: &mut Problem<O>,
) -> Result<bool, Error> {
    match schedule {
        Some(s) => {
            s.advance(problem)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Loss and gradient at the current iterate.
///
/// In full-batch mode both were evaluated at the end of the previous
/// iteration (or in `init`) and sit in the state: they are reused. In
/// stochastic mode the batch has just changed, so both are evaluated afresh
/// (and counted).
pub(crate) fn current_cost_grad<O>(
    problem: &mut Problem<O>,
    state: &mut VecState,
    param: &Array1<f64>,
    stochastic: bool,
) -> Result<(f64, Array1<f64>), Error>
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>,
{
    let cached = state.take_gradient();
    let cost = state.get_cost();
    match cached {
        Some(g) if !stochastic && cost.is_finite() => Ok((cost, g)),
        _ => Ok((problem.cost(param)?, problem.gradient(param)?)),
    }
}

/// `init` of every solver: checks the start point; in full-batch mode
/// evaluates loss and gradient there, in stochastic mode creates the batch
/// sampler (the first iteration draws the first batch).
pub(crate) fn init_state<O>(
    problem: &mut Problem<O>,
    mut state: VecState,
    batches: &mut Option<BatchSchedule>,
    solver: &str,
) -> Result<VecState, Error>
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + MiniBatched,
{
    if let Some(b) = batches {
        let param = take_param(&mut state, solver)?;
        b.init(problem)?;
        return Ok(state.param(param).cost(f64::NAN));
    }
    init_full_batch(problem, state, solver)
}

/// `init` of a full-batch solver: checks the start point and evaluates loss
/// and gradient there.
pub(crate) fn init_full_batch<O>(
    problem: &mut Problem<O>,
    mut state: VecState,
    solver: &str,
) -> Result<VecState, Error>
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>,
{
    let param = take_param(&mut state, solver)?;
    let cost = problem.cost(&param)?;
    let grad = problem.gradient(&param)?;
    Ok(state.param(param).cost(cost).gradient(grad))
}

/// Ends an iteration at `next`: in full-batch mode evaluates (and stores)
/// loss and gradient there, reusing `known_cost` if the solver already has
/// it; in stochastic mode stores the iterate with a NaN cost ("not evaluated
/// on a batch"), since the next iteration draws a new batch anyway.
///
/// Returns the state, or a diverged state if `next` is not finite.
pub(crate) fn finish_iter<O>(
    problem: &mut Problem<O>,
    state: VecState,
    next: Array1<f64>,
    known_cost: Option<f64>,
    stochastic: bool,
) -> Result<VecState, Error>
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>,
{
    if !all_finite(&next) {
        return Ok(state
            .param(next)
            .cost(f64::NAN)
            .terminate_with(diverged("non-finite iterate")));
    }
    if stochastic {
        return Ok(state.param(next).cost(f64::NAN));
    }
    let cost = match known_cost {
        Some(c) => c,
        None => problem.cost(&next)?,
    };
    let grad = problem.gradient(&next)?;
    let finite = cost.is_finite() && all_finite(&grad);
    let state = state.param(next).cost(cost).gradient(grad);
    Ok(if finite {
        state
    } else {
        state.terminate_with(diverged("non-finite loss or gradient"))
    })
}

/// One iteration of a full-batch, undamped method whose step is a function
/// of the dense Hessian and the gradient at the current iterate,
/// `Δ = step(H, g)` (condition-adaptive GD; the damped Hessian methods go
/// through [`super::Damped`] and [`super::HessianRule`]):
///
/// 1. takes the iterate and its gradient (cached by the previous iteration
///    or `init`; on a fresh mini-batch in stochastic mode, `batches`) and
///    evaluates the Hessian there (on the same batch);
/// 2. ends the run as diverged if the gradient or the Hessian is not finite;
/// 3. counts one linear solve (the factorisation or eigendecomposition
///    behind every such step) and computes `Δ` with the step's KV entries;
/// 4. moves to `p + Δ` with [`finish_iter`], adding `"step_norm"` = `‖Δ‖`
///    to the KV entries.
pub(crate) fn hessian_step_iter<O>(
    problem: &mut Problem<O>,
    mut state: VecState,
    solver: &str,
    batches: &mut Option<BatchSchedule>,
    step: impl FnOnce(&Array2<f64>, &Array1<f64>) -> Result<(Array1<f64>, KV), Error>,
) -> Result<(VecState, Option<KV>), Error>
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>
        + MiniBatched,
{
    let param = take_param(&mut state, solver)?;
    let stochastic = next_batch(batches, problem)?;
    let (_, grad) = current_cost_grad(problem, &mut state, &param, stochastic)?;
    let hessian = match finite_hessian(problem, &param)? {
        Some(h) if all_finite(&grad) => h,
        _ => {
            return Ok((
                state
                    .param(param)
                    .terminate_with(diverged("non-finite gradient or Hessian")),
                None,
            ))
        }
    };
    add_count(problem, LINEAR_SOLVE_COUNT, 1);
    let (step, mut kv) = step(&hessian, &grad)?;
    kv.insert("step_norm", KvValue::Float(step.fdot(&step).sqrt()));
    let state = finish_iter(problem, state, param + &step, None, stochastic)?;
    Ok((state, Some(kv)))
}

/// `SolverConverged` once the stored gradient norm is below `tol`.
pub(crate) fn grad_tol_status(state: &VecState, tol: Option<f64>) -> TerminationStatus {
    match (tol, state.get_gradient()) {
        (Some(tol), Some(g)) if g.fdot(g).sqrt() < tol => {
            TerminationStatus::Terminated(TerminationReason::SolverConverged)
        }
        _ => TerminationStatus::NotTerminated,
    }
}

/// Solves `(C + λ I) x = b` for a symmetric `C`: Cholesky when `C + λI` is
/// positive definite, LU with partial pivoting otherwise (an indefinite
/// matrix, as undamped Newton meets on a non-convex loss).
///
/// # Errors
/// If the matrix is singular or has non-finite entries.
pub fn solve_damped(c: &Array2<f64>, damping: f64, b: &Array1<f64>) -> Result<Array1<f64>, Error> {
    let n = c.nrows();
    if c.ncols() != n || b.len() != n {
        return Err(ArgminError::InvalidParameter {
            text: format!(
                "curvature is {}×{}, right-hand side has {} entries",
                c.nrows(),
                c.ncols(),
                b.len()
            ),
        }
        .into());
    }
    if c.iter().any(|v| !v.is_finite()) || !all_finite(b) {
        return Err(crate::Error::Linalg("non-finite curvature or gradient".into()).into());
    }
    let mut m = c.clone();
    for i in 0..n {
        m[[i, i]] += damping;
    }
    if let Ok(l) = crate::linalg::Cholesky::new(&m) {
        return Ok(l.solve(b)?);
    }
    let x = crate::linalg::Lu::new(&m)
        .and_then(|lu| lu.solve(b))
        .map_err(|e| crate::Error::Linalg(format!("singular damped curvature: {e}")))?;
    Ok(x)
}

/// The dense Hessian at `param` (counted as one Hessian evaluation), or
/// `None` if it has a non-finite entry.
pub(crate) fn finite_hessian<O>(
    problem: &mut Problem<O>,
    param: &Array1<f64>,
) -> Result<Option<Array2<f64>>, Error>
where
    O: Hessian<Param = Array1<f64>, Hessian = Array2<f64>>,
{
    let hessian = problem.hessian(param)?;
    Ok(hessian.iter().all(|h| h.is_finite()).then_some(hessian))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn damped_solve_matches_definition() {
        let c = array![[2.0, 1.0], [1.0, 3.0]];
        let b = array![1.0, -1.0];
        let x = solve_damped(&c, 0.5, &b).unwrap();
        let r = array![[2.5, 1.0], [1.0, 3.5]].fdot(&x) - &b;
        assert!(r.iter().all(|v| v.abs() < 1e-14));
        // indefinite: LU path
        let c = array![[1.0, 0.0], [0.0, -2.0]];
        let x = solve_damped(&c, 0.0, &b).unwrap();
        assert!((x[0] - 1.0).abs() < 1e-15 && (x[1] - 0.5).abs() < 1e-15);
        // singular
        assert!(solve_damped(&array![[0.0, 0.0], [0.0, 1.0]], 0.0, &b).is_err());
        assert!(solve_damped(&array![[f64::NAN]], 0.0, &array![1.0]).is_err());
    }

    #[test]
    fn validation() {
        assert!(check_positive("s", "lr", 0.0, false).is_err());
        assert!(check_positive("s", "lr", 0.0, true).is_ok());
        assert!(check_positive("s", "lr", f64::NAN, true).is_err());
        assert!(check_unit("s", "beta", 1.0).is_err());
        assert!(BatchSchedule::new(0, 1).is_err());
    }
}
