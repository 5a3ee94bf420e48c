//! [`PathRecorder`]: the argmin observer that records every run of the race,
//! and the one conversion from its [`Recording`] to a [`Trace`].

use crate::linalg::FixedDot;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argmin::core::observers::Observe;
use argmin::core::{Error as ArgminError, KvValue, State, TerminationStatus, KV};
use ndarray::Array1;

use super::budget::{BudgetSpent, Meter};
use super::config::MAX_RECORDED;
use super::traits::RaceState;
use crate::curvature::MiniBatched;
use crate::solvers::{CURVATURE_COUNT, LINEAR_SOLVE_COUNT};
use crate::trace::{Counts, Settings, StopReason, Trace};

/// Per-iteration diagnostics a solver reported as argmin KV entries
/// (`"damping"`, `"rho"`, `"cg_iters"`, …), numbers and booleans as `f64`.
pub type Diagnostics = BTreeMap<String, f64>;

/// The result of one run with the solver's per-iteration diagnostics.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// The trace.
    pub trace: Trace,
    /// KV diagnostics per trace entry (same length as the trace's vectors).
    pub diagnostics: Vec<Diagnostics>,
    /// The full-batch loss of every iterate, start included, at full
    /// resolution even when the trace was thinned (8 bytes per iteration).
    pub loss_curve: Vec<f64>,
}

/// What a [`PathRecorder`] has stored so far.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    /// Iterates.
    pub iterates: Vec<Vec<f64>>,
    /// Full-batch losses.
    pub loss: Vec<f64>,
    /// Full-batch gradient norms.
    pub grad_norm: Vec<f64>,
    /// Cumulative counts from argmin's counters.
    pub counts: Vec<Counts>,
    /// Cumulative solver wall time (recorder time excluded), ms.
    pub elapsed_ms: Vec<f64>,
    /// KV diagnostics per entry (entry 0: from `init`).
    pub diagnostics: Vec<Diagnostics>,
    /// Why the recorder declared divergence, if it did.
    pub diverged: Option<String>,
    /// argmin's termination status, from `observe_final`.
    pub termination: Option<TerminationStatus>,
    /// The full-batch loss of every iterate observed, start included.
    pub loss_curve: Vec<f64>,
    /// Iterates observed so far (the next one's iteration number).
    pub observed: u64,
    /// Kept entries are the iterations that are multiples of this (plus
    /// the last one); 1 until the recording is first thinned.
    pub stride: u64,
    /// The recorder's own time so far (excluded from the solver's time).
    pub overhead: Duration,
}

impl Recording {
    /// Removes the last entry of every per-entry vector.
    fn pop_entry(&mut self) {
        self.iterates.pop();
        self.loss.pop();
        self.grad_norm.pop();
        self.counts.pop();
        self.elapsed_ms.pop();
        self.diagnostics.pop();
    }

    /// Halves the entries: keeps the iterations that are multiples of twice
    /// the stride, and the last entry; doubles the stride.
    fn thin(&mut self) {
        let stride = self.stride.saturating_mul(2);
        let n = self.iterates.len();
        let keep: Vec<bool> = self
            .counts
            .iter()
            .enumerate()
            .map(|(i, c)| i + 1 == n || c.iterations % stride == 0)
            .collect();
        fn retain<T>(v: &mut Vec<T>, keep: &[bool]) {
            let mut k = keep.iter();
            v.retain(|_| k.next().copied().unwrap_or(true));
        }
        retain(&mut self.iterates, &keep);
        retain(&mut self.loss, &keep);
        retain(&mut self.grad_norm, &keep);
        retain(&mut self.counts, &keep);
        retain(&mut self.elapsed_ms, &keep);
        retain(&mut self.diagnostics, &keep);
        self.stride = stride;
    }

    /// Appends one entry, dropping the previous last entry first if it was
    /// kept only as the last one (off the stride), and thins when more than
    /// `cap` entries are kept.
    #[allow(clippy::too_many_arguments)]
    fn push_entry(
        &mut self,
        p: Vec<f64>,
        loss: f64,
        grad_norm: f64,
        counts: Counts,
        elapsed_ms: f64,
        diagnostics: Diagnostics,
        cap: usize,
    ) {
        let stride = self.stride.max(1);
        if self.iterates.len() > 1
            && self
                .counts
                .last()
                .is_some_and(|c| c.iterations % stride != 0)
        {
            self.pop_entry();
        }
        self.iterates.push(p);
        self.loss.push(loss);
        self.grad_norm.push(grad_norm);
        self.counts.push(counts);
        self.elapsed_ms.push(elapsed_ms);
        self.diagnostics.push(diagnostics);
        if self.iterates.len() > cap.max(2) {
            self.stride = stride;
            self.thin();
        }
    }
}

impl Recording {
    /// Fills in the gradient norm of the last entry, which the recorder
    /// skips for entries off the thinning stride (it cannot know which
    /// iterate will be the last); call once the run has ended.
    pub(crate) fn finish<P: MiniBatched>(&mut self, problem: &P) {
        if let (Some(p), Some(g)) = (self.iterates.last(), self.grad_norm.last_mut()) {
            if g.is_nan() && p.iter().all(|v| v.is_finite()) {
                *g = full_grad_norm(problem, &Array1::from(p.clone()));
            }
        }
    }

    /// The trace of this recording, for a run that ended for `stop`: the one
    /// conversion every run goes through, whether it converged, diverged or
    /// could not start.
    pub fn into_output(
        self,
        label: &str,
        problem: String,
        stop: StopReason,
        settings: Settings,
    ) -> RunOutput {
        RunOutput {
            trace: Trace {
                optimizer: label.to_string(),
                problem,
                iterates: self.iterates,
                loss: self.loss,
                grad_norm: self.grad_norm,
                counts: self.counts,
                elapsed_ms: self.elapsed_ms,
                stop,
                settings,
            },
            diagnostics: self.diagnostics,
            loss_curve: self.loss_curve,
        }
    }
}

/// The error a [`PathRecorder`] returns to stop a diverging run.
#[derive(Debug, thiserror::Error)]
#[error("diverged: {0}")]
pub struct Diverged(pub String);

/// An argmin observer that records a run into a shared [`Recording`].
///
/// It evaluates the full-batch loss and gradient norm of each iterate on its
/// own clone of the problem (never counted), copies argmin's evaluation
/// counts, and times the solver with its own time subtracted. If the loss or
/// iterate is non-finite, or the loss exceeds the divergence limit, it stores
/// the reason and returns a [`Diverged`] error, which ends the run; past the
/// run's wall-time budget (a [`Meter`] given by the runner) it returns a
/// [`BudgetSpent`] error.
///
/// Memory stays bounded: past [`PathRecorder::with_max_recorded`] entries
/// (default [`MAX_RECORDED`]) the recording is thinned to every second kept
/// iterate (the stride doubles; the start and the last iterate always stay),
/// while the full-resolution loss curve ([`Recording::loss_curve`]) keeps
/// one `f64` per iteration.
///
/// The executor moves observers into an `Arc<Mutex<..>>`; keep a
/// [`PathRecorder::recording`] handle (or a clone of the recorder) to read the
/// data after the run.
#[derive(Clone)]
pub struct PathRecorder<P> {
    problem: P,
    data: Arc<Mutex<Recording>>,
    start: Instant,
    overhead: Duration,
    divergence_factor: f64,
    limit: f64,
    max_recorded: usize,
    meter: Option<Meter>,
    /// When the previous iterate was recorded (to predict the next
    /// iteration's wall time).
    last_mark: Option<Instant>,
    /// Linear solves per iteration to add to argmin's counts (for argmin's
    /// `Newton` and trust region, which do not count theirs).
    pub(crate) extra_solves_per_iter: u64,
}

impl<P> PathRecorder<P>
where
    P: MiniBatched,
{
    /// A recorder evaluating on `problem` (cloned by the caller; it should be
    /// on its full batch), declaring divergence above
    /// `|L₀| + divergence_factor · max(|L₀|, 1)`.
    pub fn new(problem: P, divergence_factor: f64) -> Self {
        Self {
            problem,
            data: Arc::new(Mutex::new(Recording::default())),
            start: Instant::now(),
            overhead: Duration::ZERO,
            divergence_factor,
            limit: f64::INFINITY,
            max_recorded: MAX_RECORDED,
            meter: None,
            last_mark: None,
            extra_solves_per_iter: 0,
        }
    }

    /// Keeps at most `max_recorded` entries (at least 2), thinning past it.
    pub fn with_max_recorded(mut self, max_recorded: usize) -> Self {
        self.max_recorded = max_recorded.max(2);
        self
    }

    /// Ends the run (with [`BudgetSpent`]) once `meter`'s budget is spent.
    pub(crate) fn with_meter(mut self, meter: Meter) -> Self {
        self.meter = Some(meter);
        self
    }

    /// The shared recording.
    pub fn recording(&self) -> Arc<Mutex<Recording>> {
        Arc::clone(&self.data)
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Recording> {
        lock(&self.data)
    }

    /// Records `param` (with counts and diagnostics); `Err` if it diverged.
    pub(crate) fn record(
        &mut self,
        param: Option<&Array1<f64>>,
        counts: &std::collections::HashMap<String, u64>,
        kv: &KV,
    ) -> std::result::Result<(), ArgminError> {
        let solver_time = self.start.elapsed().saturating_sub(self.overhead);
        let t0 = Instant::now();
        let data_handle = Arc::clone(&self.data);
        let mut data = lock(&data_handle);
        let Some(p) = param else {
            drop(data);
            self.overhead += t0.elapsed();
            return Ok(());
        };
        let loss = self.problem.full_batch_cost(p).unwrap_or(f64::NAN);
        let iter = data.observed;
        // The gradient norm is kept only for kept entries: an entry off the
        // stride is dropped when the next one arrives, unless it is the
        // run's last, whose norm `Recording::finish` fills in.
        let gnorm = if iter % data.stride.max(1) == 0 {
            full_grad_norm(&self.problem, p)
        } else {
            f64::NAN
        };
        let get = |k: &str| counts.get(k).copied().unwrap_or(0);
        let c = Counts {
            iterations: iter,
            cost: get("cost_count"),
            gradient: get("gradient_count"),
            hessian: get("hessian_count"),
            curvature: get(CURVATURE_COUNT),
            linear_solve: get(LINEAR_SOLVE_COUNT) + self.extra_solves_per_iter * iter,
        };
        data.observed += 1;
        data.loss_curve.push(loss);
        data.push_entry(
            p.to_vec(),
            loss,
            gnorm,
            c,
            solver_time.as_secs_f64() * 1e3,
            diagnostics(kv),
            self.max_recorded,
        );
        if iter == 0 && loss.is_finite() {
            self.limit = loss.abs() + self.divergence_factor * loss.abs().max(1.0);
        }
        let verdict = if p.iter().any(|v| !v.is_finite()) {
            Some("non-finite iterate".to_string())
        } else if !loss.is_finite() {
            Some("non-finite loss".to_string())
        } else if loss > self.limit {
            Some(format!(
                "loss {loss:.4e} exceeds the divergence limit {:.4e}",
                self.limit
            ))
        } else {
            None
        };
        if let Some(why) = &verdict {
            data.diverged = Some(why.clone());
        }
        self.overhead += t0.elapsed();
        data.overhead = self.overhead;
        drop(data);
        // The last iteration's wall time (recording included) predicts the
        // next one's: a run whose next iteration would end past a time
        // limit stops now, instead of overrunning it by an iteration that
        // no check can interrupt (a dense factorisation).
        let now = Instant::now();
        let ahead = match self.last_mark {
            Some(t) if iter > 0 => now.saturating_duration_since(t),
            _ => Duration::ZERO,
        };
        self.last_mark = Some(now);
        match verdict {
            Some(why) if iter > 0 => Err(Diverged(why).into()),
            _ => match &self.meter {
                Some(m) if m.spent() => Err(BudgetSpent(m.reason()).into()),
                Some(m) => m.check_ahead(ahead).map_err(ArgminError::from),
                None => Ok(()),
            },
        }
    }
}

/// ‖∇L(p)‖ on the full batch, NaN where the gradient fails.
fn full_grad_norm<P: MiniBatched>(problem: &P, p: &Array1<f64>) -> f64 {
    problem
        .full_batch_gradient(p)
        .map(|g| g.fdot(&g).sqrt())
        .unwrap_or(f64::NAN)
}

pub(crate) fn lock(data: &Mutex<Recording>) -> std::sync::MutexGuard<'_, Recording> {
    data.lock().unwrap_or_else(|e| e.into_inner())
}

fn diagnostics(kv: &KV) -> Diagnostics {
    kv.kv
        .iter()
        .filter_map(|(k, v)| {
            let x = match v {
                KvValue::Float(f) => *f,
                KvValue::Int(i) => *i as f64,
                KvValue::Uint(u) => *u as f64,
                KvValue::Bool(b) => f64::from(u8::from(*b)),
                KvValue::Str(_) => return None,
            };
            Some((k.clone(), x))
        })
        .collect()
}

impl<P, J, H, R> Observe<RaceState<J, H, R>> for PathRecorder<P>
where
    P: MiniBatched,
{
    fn observe_init(
        &mut self,
        _name: &str,
        state: &RaceState<J, H, R>,
        kv: &KV,
    ) -> std::result::Result<(), ArgminError> {
        self.record(state.get_param(), state.get_func_counts(), kv)
    }

    fn observe_iter(
        &mut self,
        state: &RaceState<J, H, R>,
        kv: &KV,
    ) -> std::result::Result<(), ArgminError> {
        self.record(state.get_param(), state.get_func_counts(), kv)
    }

    fn observe_final(
        &mut self,
        state: &RaceState<J, H, R>,
    ) -> std::result::Result<(), ArgminError> {
        self.lock().termination = Some(state.get_termination_status().clone());
        Ok(())
    }
}
