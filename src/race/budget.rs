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

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian};
use ndarray::{Array1, Array2};

use crate::curvature::Recordable;
use crate::curvature::{CurvatureProducts, FisherKind, KfacCurvature, KfacFactors, MiniBatched};

/// The error a [`Budgeted`] problem returns once its run's budget is spent;
/// the text says which limit.
#[derive(Clone, Debug, thiserror::Error)]
#[error("budget spent: {0}")]
pub struct BudgetSpent(pub String);

/// A limit on a whole race: every run of it stops once `at` has passed
/// ([`RaceConfig::max_total_seconds`](super::RaceConfig::max_total_seconds)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deadline {
    /// When the race's time is up.
    pub at: Instant,
    /// The whole-run limit in seconds (for the stop reason's text).
    pub seconds: f64,
}

impl Deadline {
    /// A deadline `seconds` from now (a non-finite or huge value: none in
    /// practice).
    pub fn after(seconds: f64) -> Self {
        let d = Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::MAX);
        let now = Instant::now();
        Self {
            at: now
                .checked_add(d)
                .unwrap_or(now + Duration::from_secs(1 << 40)),
            seconds,
        }
    }
}

/// What kind of evaluation a [`Budgeted`] call is, for the meter's ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalKind {
    /// A loss (`cost`, `full_batch_cost`).
    Cost,
    /// A gradient (`gradient`, `full_batch_gradient`).
    Gradient,
    /// A dense Hessian (`hessian`).
    Hessian,
    /// A curvature product or matrix (`hessian_vec`, `ggn_vec`, `ggn`,
    /// `kfac_factors`).
    Curvature,
}

/// Which limit a [`Meter`] hit (0: none yet).
const HIT_NONE: u8 = 0;
const HIT_EVALS: u8 = 1;
const HIT_WALL: u8 = 2;
const HIT_TOTAL: u8 = 3;

/// The shared meter of one run: evaluations made (in total and by kind),
/// the start time, the limits, and which limit was hit. Clones share the
/// counts.
#[derive(Clone, Debug)]
pub struct Meter {
    evals: Arc<AtomicU64>,
    by_kind: Arc<[AtomicU64; 4]>,
    /// The wall time of the last call of each kind, in nanoseconds.
    last_nanos: Arc<[AtomicU64; 4]>,
    hit: Arc<AtomicU8>,
    start: Instant,
    max_evals: u64,
    max_wall: Duration,
    deadline: Option<Deadline>,
}

impl Meter {
    /// A fresh meter allowing `max_evals` evaluations and `max_seconds` of
    /// wall time from now (a non-finite or huge `max_seconds` means no
    /// practical wall limit).
    pub fn new(max_evals: u64, max_seconds: f64) -> Self {
        let max_wall = Duration::try_from_secs_f64(max_seconds.max(0.0)).unwrap_or(Duration::MAX);
        Self {
            evals: Arc::new(AtomicU64::new(0)),
            by_kind: Arc::new(Default::default()),
            last_nanos: Arc::new(Default::default()),
            hit: Arc::new(AtomicU8::new(HIT_NONE)),
            start: Instant::now(),
            max_evals,
            max_wall,
            deadline: None,
        }
    }

    /// Also stops at the whole race's `deadline`, if any.
    pub fn with_deadline(mut self, deadline: Option<Deadline>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Evaluations made so far (every call into the problem counts one:
    /// loss, gradient, Hessian, curvature product or matrix, K-FAC factors;
    /// a refused call counts too).
    pub fn evals(&self) -> u64 {
        self.evals.load(Ordering::Relaxed)
    }

    /// Evaluations of `kind` that the meter allowed (and the problem so
    /// ran), line searches and a run's unfinished last iteration included.
    pub fn count(&self, kind: EvalKind) -> u64 {
        self.by_kind[kind as usize].load(Ordering::Relaxed)
    }

    /// Wall time since the meter was made.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The wall time left before the nearer time limit (zero once passed),
    /// `None` if neither limit is finite.
    pub fn remaining(&self) -> Option<Duration> {
        let wall = (self.max_wall != Duration::MAX)
            .then(|| self.max_wall.saturating_sub(self.start.elapsed()));
        let total = self
            .deadline
            .map(|d| d.at.saturating_duration_since(Instant::now()));
        match (wall, total) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// `true` once an evaluation was refused or a time check failed.
    pub fn spent(&self) -> bool {
        self.hit.load(Ordering::Relaxed) != HIT_NONE
    }

    /// Which limit was hit: the evaluation limit, the run's wall-time limit
    /// or the whole race's time limit.
    pub fn reason(&self) -> String {
        match self.hit.load(Ordering::Relaxed) {
            HIT_EVALS => format!("evaluation limit of {}", self.max_evals),
            HIT_TOTAL => format!(
                "whole-run time limit of {} s",
                crate::fmt::number(self.deadline.map_or(f64::INFINITY, |d| d.seconds))
            ),
            _ if self.evals() > self.max_evals => {
                format!("evaluation limit of {}", self.max_evals)
            }
            _ => format!(
                "wall time limit of {} s",
                crate::fmt::number(self.max_wall.as_secs_f64())
            ),
        }
    }

    fn refuse(&self, hit: u8) -> BudgetSpent {
        let _ = self
            .hit
            .compare_exchange(HIT_NONE, hit, Ordering::Relaxed, Ordering::Relaxed);
        BudgetSpent(self.reason())
    }

    /// `Err` if a time limit would be passed `ahead` from now (marks the
    /// budget spent): with `ahead = 0` whether a limit is already passed;
    /// with the duration of the last iteration, whether the next one would
    /// end past it.
    pub fn check_ahead(&self, ahead: Duration) -> Result<(), BudgetSpent> {
        if self.start.elapsed().saturating_add(ahead) > self.max_wall {
            return Err(self.refuse(HIT_WALL));
        }
        if let Some(d) = self.deadline {
            let past = match Instant::now().checked_add(ahead) {
                Some(t) => t > d.at,
                None => true,
            };
            if past {
                return Err(self.refuse(HIT_TOTAL));
            }
        }
        Ok(())
    }

    /// `Err` if a wall-time limit is passed (and marks the budget spent).
    pub fn check_time(&self) -> Result<(), BudgetSpent> {
        self.check_ahead(Duration::ZERO)
    }

    /// Counts one evaluation of `kind`; `Err` if it would exceed a limit:
    /// the evaluation limit, a time limit already passed, or a time limit
    /// that the call would pass if it takes as long as the last call of its
    /// kind did (a dense Hessian runs to its end once started). A refused
    /// call is not made, and not counted by kind.
    pub fn charge_kind(&self, kind: EvalKind) -> Result<(), BudgetSpent> {
        let n = self.evals.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.max_evals {
            return Err(self.refuse(HIT_EVALS));
        }
        let last = self.last_nanos[kind as usize].load(Ordering::Relaxed);
        self.check_ahead(Duration::from_nanos(last))?;
        self.by_kind[kind as usize].fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Notes how long a call of `kind` took (the prediction of
    /// [`Meter::charge_kind`] for the next one).
    pub fn took(&self, kind: EvalKind, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.last_nanos[kind as usize].store(nanos, Ordering::Relaxed);
    }

    /// Counts one evaluation (of no particular kind); `Err` if it would
    /// exceed a limit.
    pub fn charge(&self) -> Result<(), BudgetSpent> {
        let n = self.evals.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.max_evals {
            return Err(self.refuse(HIT_EVALS));
        }
        self.check_time()
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

    /// Charges one call of `kind`, makes it, and notes its time.
    fn metered<T>(
        &self,
        kind: EvalKind,
        call: impl FnOnce(&P) -> Result<T, ArgminError>,
    ) -> Result<T, ArgminError> {
        self.meter.charge_kind(kind)?;
        let t0 = Instant::now();
        let out = call(&self.inner);
        self.meter.took(kind, t0.elapsed());
        out
    }
}

impl<P: CostFunction> CostFunction for Budgeted<P> {
    type Param = P::Param;
    type Output = P::Output;

    fn cost(&self, p: &Self::Param) -> Result<Self::Output, ArgminError> {
        self.metered(EvalKind::Cost, |q| q.cost(p))
    }
}

impl<P: Gradient> Gradient for Budgeted<P> {
    type Param = P::Param;
    type Gradient = P::Gradient;

    fn gradient(&self, p: &Self::Param) -> Result<Self::Gradient, ArgminError> {
        self.metered(EvalKind::Gradient, |q| q.gradient(p))
    }
}

impl<P: Hessian> Hessian for Budgeted<P> {
    type Param = P::Param;
    type Hessian = P::Hessian;

    fn hessian(&self, p: &Self::Param) -> Result<Self::Hessian, ArgminError> {
        self.metered(EvalKind::Hessian, |q| q.hessian(p))
    }
}

impl<P: CurvatureProducts> CurvatureProducts for Budgeted<P> {
    fn hessian_vec(&self, p: &Array1<f64>, v: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        self.metered(EvalKind::Curvature, |q| q.hessian_vec(p, v))
    }

    fn ggn_vec(&self, p: &Array1<f64>, v: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        self.metered(EvalKind::Curvature, |q| q.ggn_vec(p, v))
    }

    fn ggn(&self, p: &Array1<f64>) -> Result<Array2<f64>, ArgminError> {
        self.metered(EvalKind::Curvature, |q| q.ggn(p))
    }
}

impl<P: KfacCurvature> KfacCurvature for Budgeted<P> {
    fn kfac_factors(&self, p: &Array1<f64>, kind: FisherKind) -> Result<KfacFactors, ArgminError> {
        self.metered(EvalKind::Curvature, |q| q.kfac_factors(p, kind))
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
        self.metered(EvalKind::Cost, |q| q.full_batch_cost(p))
    }

    fn full_batch_gradient(&self, p: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
        self.metered(EvalKind::Gradient, |q| q.full_batch_gradient(p))
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
