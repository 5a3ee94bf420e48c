//! A solver wrapper that records every pair `(s, y)` a quasi-Newton solver
//! takes, with what the update made of it.

use std::sync::{Arc, Mutex};

use argmin::core::{Problem, Solver, State, TerminationStatus, KV};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::curvature::eigenvalues;
use crate::linalg::FixedDot;
use crate::race::SolverState;

/// One iteration of a quasi-Newton solver seen from outside: the step
/// `s = x_{k+1} − x_k`, the gradient change `y = g_{k+1} − g_k`, and the
/// inverse-Hessian estimate `H_{k+1}` the update made of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    /// The iteration (1 for the first step).
    pub iteration: u64,
    /// The slope `φ'(0) = g_kᵀ d_k` of the direction searched
    /// (`d_k = −H_k g_k`; negative when it descends).
    pub slope: f64,
    /// The step length `α = sᵀd / dᵀd` the line search accepted.
    pub alpha: f64,
    /// `‖s‖`.
    pub step_norm: f64,
    /// `yᵀs`: positive keeps the estimate positive definite.
    pub sy: f64,
    /// The smallest eigenvalue of the new estimate's symmetric part
    /// (`NaN` when the estimate is not finite).
    pub min_eig: f64,
    /// The slope `g_{k+1}ᵀ d_{k+1}` of the next direction `d_{k+1} = −H_{k+1} g_{k+1}`:
    /// positive means the next direction goes uphill.
    pub next_slope: f64,
}

impl Pair {
    /// Whether `yᵀs ≤ 0` (or is not a number): a pair the BFGS update should not take.
    pub fn is_bad(&self) -> bool {
        self.sy.is_nan() || self.sy <= 0.0
    }
}

/// Wraps a solver whose state carries an inverse-Hessian estimate
/// (argmin's BFGS) and logs a [`Pair`] after every iteration into a shared
/// vector; it changes nothing in the run.
#[derive(Clone, Debug)]
pub struct PairWatch<S> {
    inner: S,
    log: Arc<Mutex<Vec<Pair>>>,
}

impl<S> PairWatch<S> {
    /// Wraps `inner`, logging into `log`.
    pub fn new(inner: S, log: Arc<Mutex<Vec<Pair>>>) -> Self {
        Self { inner, log }
    }
}

fn min_eig(h: &Array2<f64>) -> f64 {
    if !h.iter().all(|v| v.is_finite()) {
        return f64::NAN;
    }
    let sym = (h + &h.t()) * 0.5;
    eigenvalues(&sym)
        .ok()
        .and_then(|e| e.iter().copied().reduce(f64::min))
        .unwrap_or(f64::NAN)
}

impl<O, S> Solver<O, SolverState<Array2<f64>>> for PairWatch<S>
where
    S: Solver<O, SolverState<Array2<f64>>>,
{
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: SolverState<Array2<f64>>,
    ) -> Result<(SolverState<Array2<f64>>, Option<KV>), argmin::core::Error> {
        self.inner.init(problem, state)
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: SolverState<Array2<f64>>,
    ) -> Result<(SolverState<Array2<f64>>, Option<KV>), argmin::core::Error> {
        let before: Option<(Array1<f64>, Array1<f64>, Array2<f64>)> = match (
            state.get_param(),
            state.get_gradient(),
            state.get_inv_hessian(),
        ) {
            (Some(x), Some(g), Some(h)) => Some((x.clone(), g.clone(), h.clone())),
            _ => None,
        };
        let iteration = state.get_iter() + 1;
        let (state, kv) = self.inner.next_iter(problem, state)?;
        if let (Some((x0, g0, h0)), Some(x1), Some(g1), Some(h1)) = (
            before,
            state.get_param(),
            state.get_gradient(),
            state.get_inv_hessian(),
        ) {
            let d0 = -h0.fdot(&g0);
            let s = x1 - &x0;
            let y = g1 - &g0;
            let dd = d0.fdot(&d0);
            let pair = Pair {
                iteration,
                slope: g0.fdot(&d0),
                alpha: if dd > 0.0 { s.fdot(&d0) / dd } else { f64::NAN },
                step_norm: s.fdot(&s).sqrt(),
                sy: y.fdot(&s),
                min_eig: min_eig(h1),
                next_slope: -g1.fdot(&h1.fdot(g1)),
            };
            if let Ok(mut log) = self.log.lock() {
                log.push(pair);
            }
        }
        Ok((state, kv))
    }

    fn terminate(&mut self, state: &SolverState<Array2<f64>>) -> TerminationStatus {
        self.inner.terminate(state)
    }
}
