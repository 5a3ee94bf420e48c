//! [`PathRecorder`]: the argmin observer that records every run of the race,
//! and the one conversion from its [`Recording`] to a [`Trace`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argmin::core::observers::Observe;
use argmin::core::{Error as ArgminError, KvValue, State, TerminationStatus, KV};
use ndarray::Array1;

use super::runner::RaceState;
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
}

impl Recording {
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
/// the reason and returns a [`Diverged`] error, which ends the run.
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
            extra_solves_per_iter: 0,
        }
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
        let gnorm = self
            .problem
            .full_batch_gradient(p)
            .map(|g| g.dot(&g).sqrt())
            .unwrap_or(f64::NAN);
        let get = |k: &str| counts.get(k).copied().unwrap_or(0);
        let iter = data.iterates.len() as u64;
        let c = Counts {
            cost: get("cost_count"),
            gradient: get("gradient_count"),
            hessian: get("hessian_count"),
            curvature: get(CURVATURE_COUNT),
            linear_solve: get(LINEAR_SOLVE_COUNT) + self.extra_solves_per_iter * iter,
        };
        data.iterates.push(p.to_vec());
        data.loss.push(loss);
        data.grad_norm.push(gnorm);
        data.counts.push(c);
        data.elapsed_ms.push(solver_time.as_secs_f64() * 1e3);
        data.diagnostics.push(diagnostics(kv));
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
        drop(data);
        self.overhead += t0.elapsed();
        match verdict {
            Some(why) if iter > 0 => Err(Diverged(why).into()),
            _ => Ok(()),
        }
    }
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
