//! Every run's budget: [`Budgeted`], a wrapper around the problem that
//! refuses further evaluations once a run has spent its evaluations or its
//! wall time ([`RaceConfig::max_evals`], [`RaceConfig::max_seconds`]).
//!
//! # Why a wrapper around the problem
//! An argmin observer runs only between iterations, and a solver's own
//! stopping rule only where the solver asks for it. A line search (argmin's
//! More–Thuente inside BFGS, L-BFGS and steepest descent) runs its own inner
//! `Executor` without an iteration limit, so from a start like `(1e300,
//! −1e300)` one outer iteration never ends. Every iteration of every solver,
//! inner loops included, asks the problem for a loss, a gradient or a
//! curvature product: a problem that answers with an error once the budget
//! is spent ends the run from the inside, whatever the solver does. The
//! runner then reports [`StopReason::Budget`](crate::trace::StopReason::Budget)
//! (the [`PathRecorder`](super::PathRecorder) also checks the wall time
//! between iterations, for a solver that swallows the error).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian};
use ndarray::{Array1, Array2};

use super::runner::Recordable;
use crate::curvature::{CurvatureProducts, FisherKind, KfacCurvature, KfacFactors, MiniBatched};

/// The error a [`Budgeted`] problem returns once its run's budget is spent;
/// the text says which limit.
#[derive(Clone, Debug, thiserror::Error)]
#[error("budget spent: {0}")]
pub struct BudgetSpent(pub String);

/// The shared meter of one run: evaluations made, the start time, the limits,
/// and whether a limit was hit. Clones share the count.
#[derive(Clone, Debug)]
pub struct Meter {
    evals: Arc<AtomicU64>,
    spent: Arc<AtomicBool>,
    start: Instant,
    max_evals: u64,
    max_wall: Duration,
}

impl Meter {
    /// A fresh meter allowing `max_evals` evaluations and `max_seconds` of
    /// wall time from now (a non-finite or huge `max_seconds` means no
    /// practical wall limit).
    pub fn new(max_evals: u64, max_seconds: f64) -> Self {
        let max_wall = Duration::try_from_secs_f64(max_seconds.max(0.0)).unwrap_or(Duration::MAX);
        Self {
            evals: Arc::new(AtomicU64::new(0)),
            spent: Arc::new(AtomicBool::new(false)),
            start: Instant::now(),
            max_evals,
            max_wall,
        }
    }

    /// Evaluations made so far (every call into the problem counts one:
    /// loss, gradient, Hessian, curvature product or matrix, K-FAC factors).
    pub fn evals(&self) -> u64 {
        self.evals.load(Ordering::Relaxed)
    }

    /// `true` once an evaluation was refused or [`Meter::check_time`] failed.
    pub fn spent(&self) -> bool {
        self.spent.load(Ordering::Relaxed)
    }

    /// Which limit was hit (the evaluation limit if the count is past it,
    /// else the wall-time limit).
    pub fn reason(&self) -> String {
        if self.evals() > self.max_evals {
            format!("evaluation limit of {}", self.max_evals)
        } else {
            format!("wall time limit of {} s", fmt_seconds(self.max_wall))
        }
    }

    /// `Err` if the wall-time limit is passed (and marks the budget spent).
    pub fn check_time(&self) -> Result<(), BudgetSpent> {
        if self.start.elapsed() > self.max_wall {
            self.spent.store(true, Ordering::Relaxed);
            return Err(BudgetSpent(self.reason()));
        }
        Ok(())
    }

    /// Counts one evaluation; `Err` if it would exceed a limit.
    pub fn charge(&self) -> Result<(), BudgetSpent> {
        let n = self.evals.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.max_evals {
            self.spent.store(true, Ordering::Relaxed);
            return Err(BudgetSpent(self.reason()));
        }
        self.check_time()
    }
}

fn fmt_seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1e6 {
        format!("{s}")
    } else {
        format!("{s:.3e}")
    }
}

/// A problem that charges every evaluation to a [`Meter`] and refuses
/// (returns [`BudgetSpent`]) once the run's budget is spent; otherwise it is
/// the wrapped problem, trait for trait (argmin's `CostFunction`,
/// `Gradient`, `Hessian`, and the crate's [`CurvatureProducts`],
/// [`KfacCurvature`], [`MiniBatched`]).
///
/// The runner wraps every problem in one before handing it to argmin's
/// `Executor`; the [`PathRecorder`](super::PathRecorder) evaluates on the
/// bare problem, so its bookkeeping is never charged.
#[derive(Clone, Debug)]
pub struct Budgeted<P> {
    inner: P,
    meter: Meter,
}

impl<P> Budgeted<P> {
    /// Wraps `inner` with `meter`.
    pub fn new(inner: P, meter: Meter) -> Self {
        Self { inner, meter }
    }

    /// The wrapped problem.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// The meter.
    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    fn charge(&self) -> Result<(), ArgminError> {
        self.meter.charge().map_err(ArgminError::from)
    }
}

impl<P: CostFunction> CostFunction for Budgeted<P> {
    type Param = P::Param;
    type Output = P::Output;

    fn cost(&self, p: &Self::Param) -> Result<Self::Output, ArgminError> {
        self.charge()?;
        self.inner.cost(p)
    }
}

impl<P: Gradient> Gradient for Budgeted<P> {
    type Param = P::Param;
    type Gradient = P::Gradient;

    fn gradient(&self, p: &Self::Param) -> Result<Self::Gradient, ArgminError> {
        self.charge()?;
        self.inner.gradient(p)
    }
}

impl<P: Hessian> Hessian for Budgeted<P> {
    type Param = P::Param;
    type Hessian = P::Hessian;

    fn hessian(&self, p: &Self::Param) -> Result<Self::Hessian, ArgminError> {
        self.charge()?;
        self.inner.hessian(p)
    }
}

impl<P: CurvatureProducts> CurvatureProducts for Budgeted<P> {
    fn hessian_vec(&self, p: &Array1<f64>, v: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        self.charge()?;
        self.inner.hessian_vec(p, v)
    }

    fn ggn_vec(&self, p: &Array1<f64>, v: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        self.charge()?;
        self.inner.ggn_vec(p, v)
    }

    fn ggn(&self, p: &Array1<f64>) -> Result<Array2<f64>, ArgminError> {
        self.charge()?;
        self.inner.ggn(p)
    }
}

impl<P: KfacCurvature> KfacCurvature for Budgeted<P> {
    fn kfac_factors(&self, p: &Array1<f64>, kind: FisherKind) -> Result<KfacFactors, ArgminError> {
        self.charge()?;
        self.inner.kfac_factors(p, kind)
    }
}

impl<P: MiniBatched> MiniBatched for Budgeted<P> {
    fn num_examples(&self) -> usize {
        self.inner.num_examples()
    }

    fn set_batch(&mut self, indices: Option<&[usize]>) -> Result<(), ArgminError> {
        self.inner.set_batch(indices)
    }

    fn full_batch_cost(&self, p: &Array1<f64>) -> Result<f64, ArgminError> {
        self.charge()?;
        self.inner.full_batch_cost(p)
    }

    fn full_batch_gradient(&self, p: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        self.charge()?;
        self.inner.full_batch_gradient(p)
    }
}

impl<P: Recordable> Recordable for Budgeted<P> {
    fn race_name(&self) -> String {
        self.inner.race_name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::XorProblem;
    use ndarray::array;

    #[test]
    fn refuses_after_the_evaluation_limit_and_says_so() {
        let p = Budgeted::new(XorProblem::reference(), Meter::new(3, 60.0));
        let x = array![0.5, -0.5];
        assert!(p.cost(&x).is_ok());
        assert!(p.gradient(&x).is_ok());
        assert!(p.hessian(&x).is_ok());
        assert!(!p.meter().spent());
        let e = p.cost(&x).unwrap_err();
        assert!(e.downcast_ref::<BudgetSpent>().is_some(), "{e}");
        assert!(e.to_string().contains("evaluation limit of 3"), "{e}");
        assert!(p.meter().spent());
        // clones share the meter
        let q = p.clone();
        assert!(q.full_batch_cost(&x).is_err());
        assert_eq!(p.meter().evals(), 5);
    }

    #[test]
    fn refuses_after_the_wall_time_limit() {
        let p = Budgeted::new(XorProblem::reference(), Meter::new(u64::MAX, 0.0));
        std::thread::sleep(Duration::from_millis(2));
        let e = p.gradient(&array![0.0, 0.0]).unwrap_err();
        assert!(e.to_string().contains("wall time limit of 0 s"), "{e}");
        // no practical limit: infinite and huge values
        assert!(Meter::new(1, f64::INFINITY).charge().is_ok());
        assert!(Meter::new(1, 1e300).charge().is_ok());
    }
}
