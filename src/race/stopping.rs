//! The race's stopping rule, [`StepNormStop`], wrapped around every solver,
//! and the mapping of argmin's termination status to a [`StopReason`].

use crate::linalg::FixedDot;
use argmin::core::{Problem, Solver, State, TerminationReason, TerminationStatus};

use super::traits::{RaceState, SolverResult};
use crate::solvers::common::DIVERGED_PREFIX;
use crate::trace::StopReason;

/// The text of the step-norm termination of [`StepNormStop`].
pub const STEP_NORM_TEXT: &str = "step norm below tolerance";

/// Wraps any argmin solver with the race's stopping rule: terminate when the
/// last step was shorter than `tol` (a step that leaves the iterate
/// bit-for-bit unchanged is a rejected step, not convergence), reported as
/// `SolverExit("step norm below tolerance")`; optionally (see
/// [`StepNormStop::with_gradient_tol`]) when the gradient stored in the
/// state has `‖g‖ < gtol`, reported as argmin's `SolverConverged`
/// ([`StopReason::GradientNorm`]); otherwise defer to the wrapped solver's
/// own `terminate`.
#[derive(Clone, Debug)]
pub struct StepNormStop<S> {
    inner: S,
    tol: f64,
    gradient_tol: Option<f64>,
    last_step: Option<f64>,
}

impl<S> StepNormStop<S> {
    /// Wraps `inner` with step-norm tolerance `tol`.
    pub fn new(inner: S, tol: f64) -> Self {
        Self {
            inner,
            tol,
            gradient_tol: None,
            last_step: None,
        }
    }

    /// Also stops when the state's gradient has `‖g‖ < gtol` (checked only
    /// when the solver stores its gradient in the state, as argmin's trust
    /// region does; a solver that stores none is never stopped by it).
    pub fn with_gradient_tol(mut self, gtol: f64) -> Self {
        self.gradient_tol = Some(gtol);
        self
    }
}

impl<O, S, J, H, R> Solver<O, RaceState<J, H, R>> for StepNormStop<S>
where
    S: Solver<O, RaceState<J, H, R>>,
{
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: RaceState<J, H, R>,
    ) -> SolverResult<J, H, R> {
        self.last_step = None;
        self.inner.init(problem, state)
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: RaceState<J, H, R>,
    ) -> SolverResult<J, H, R> {
        let before = state.get_param().cloned();
        let (state, kv) = self.inner.next_iter(problem, state)?;
        self.last_step = match (before, state.get_param()) {
            (Some(b), Some(a)) if b.len() == a.len() && b != *a => {
                let d = a - &b;
                Some(d.fdot(&d).sqrt())
            }
            _ => None,
        };
        Ok((state, kv))
    }

    fn terminate(&mut self, state: &RaceState<J, H, R>) -> TerminationStatus {
        if let Some(s) = self.last_step {
            if s < self.tol {
                return TerminationStatus::Terminated(TerminationReason::SolverExit(
                    STEP_NORM_TEXT.into(),
                ));
            }
        }
        if let (Some(gtol), Some(g)) = (self.gradient_tol, state.get_gradient()) {
            if g.fdot(g).sqrt() < gtol {
                return TerminationStatus::Terminated(TerminationReason::SolverConverged);
            }
        }
        self.inner.terminate(state)
    }
}

/// Maps argmin's termination status to a [`StopReason`].
pub fn stop_reason(status: &TerminationStatus) -> StopReason {
    match status {
        TerminationStatus::NotTerminated => StopReason::Other("running".into()),
        TerminationStatus::Terminated(reason) => match reason {
            TerminationReason::MaxItersReached => StopReason::MaxIters,
            TerminationReason::TargetCostReached => StopReason::TargetCost,
            // argmin's BFGS and L-BFGS run with cost tolerance 0, and the
            // gradient stop of `StepNormStop` uses the same reason: ‖g‖ < tol.
            TerminationReason::SolverConverged => StopReason::GradientNorm,
            TerminationReason::SolverExit(s) if s == STEP_NORM_TEXT => StopReason::StepNorm,
            TerminationReason::SolverExit(s) if s.starts_with(DIVERGED_PREFIX) => {
                StopReason::Diverged(s.clone())
            }
            other => StopReason::Other(other.text().to_string()),
        },
    }
}
