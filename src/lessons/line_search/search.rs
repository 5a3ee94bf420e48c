//! argmin's three line searches, named, and argmin's BFGS run with any of them.

use std::fmt;
use std::sync::{Arc, Mutex};

use argmin::core::{Executor, State};
use argmin::solver::linesearch::condition::ArmijoCondition;
use argmin::solver::linesearch::{
    BacktrackingLineSearch, HagerZhangLineSearch, MoreThuenteLineSearch,
};
use argmin::solver::quasinewton::BFGS;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::watch::{Pair, PairWatch};
use crate::curvature::Recordable;
use crate::error::{Error, Result};
use crate::linalg::FixedDot;
use crate::race::{run_solver_with, RaceConfig};
use crate::trace::{StopReason, Trace};

/// One of argmin's line searches with its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum LineSearch {
    /// `BacktrackingLineSearch` with `ArmijoCondition`: try `α = 1, ρ, ρ², …`
    /// (argmin's `ρ = 0.9`) until `φ(α) ≤ φ(0) + c₁ α φ'(0)`. Sufficient
    /// decrease only: no curvature condition.
    Armijo {
        /// Armijo constant `c₁`, in `(0, 1)`.
        c1: f64,
    },
    /// `MoreThuenteLineSearch`: safeguarded cubic interpolation until the
    /// strong Wolfe conditions hold, `φ(α) ≤ φ(0) + c₁ α φ'(0)` and
    /// `|φ'(α)| ≤ c₂ |φ'(0)|` (Moré and Thuente 1994).
    MoreThuente {
        /// Sufficient-decrease constant `c₁`.
        c1: f64,
        /// Curvature constant `c₂`, in `(c₁, 1)`.
        c2: f64,
    },
    /// `HagerZhangLineSearch`: bracketing and secant steps until the Wolfe
    /// or the approximate Wolfe conditions hold, `(2δ − 1) φ'(0) ≥ φ'(α) ≥ σ φ'(0)`
    /// (Hager and Zhang 2005).
    HagerZhang {
        /// Sufficient-decrease constant `δ` (argmin's default 0.1).
        delta: f64,
        /// Curvature constant `σ` (argmin's default 0.9).
        sigma: f64,
    },
}

impl LineSearch {
    /// Backtracking with the Armijo condition, `c₁ = 10⁻⁴`.
    pub const ARMIJO: LineSearch = LineSearch::Armijo { c1: 1e-4 };
    /// More–Thuente with argmin's defaults `c₁ = 10⁻⁴`, `c₂ = 0.9` (what the
    /// crate's race uses inside BFGS and L-BFGS).
    pub const MORE_THUENTE: LineSearch = LineSearch::MoreThuente { c1: 1e-4, c2: 0.9 };
    /// Hager–Zhang with argmin's defaults `δ = 0.1`, `σ = 0.9`.
    pub const HAGER_ZHANG: LineSearch = LineSearch::HagerZhang {
        delta: 0.1,
        sigma: 0.9,
    };

    /// The three, in the order the chapter lists them.
    pub fn defaults() -> [LineSearch; 3] {
        [Self::ARMIJO, Self::MORE_THUENTE, Self::HAGER_ZHANG]
    }

    /// A short label: `Armijo backtracking`, `More–Thuente (c₂ = 0.9)`, …
    pub fn label(&self) -> String {
        match *self {
            LineSearch::Armijo { c1 } => {
                if c1 == 1e-4 {
                    "Armijo backtracking".into()
                } else {
                    format!("Armijo backtracking (c₁ = {c1})")
                }
            }
            LineSearch::MoreThuente { c1, c2 } => {
                if c1 == 1e-4 {
                    format!("More–Thuente (c₂ = {c2})")
                } else {
                    format!("More–Thuente (c₁ = {c1}, c₂ = {c2})")
                }
            }
            LineSearch::HagerZhang { delta, sigma } => {
                format!("Hager–Zhang (δ = {delta}, σ = {sigma})")
            }
        }
    }
}

impl fmt::Display for LineSearch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Builds the argmin line search of `$ls` as `$l` (one concrete type per
/// arm) and evaluates `$body` with it; a rejected parameter is an
/// [`Error::InvalidConfig`].
macro_rules! with_line_search {
    ($ls:expr, |$l:ident| $body:expr) => {{
        let bad = |e: argmin::core::Error| Error::InvalidConfig(format!("{}: {e}", $ls.label()));
        match $ls {
            LineSearch::Armijo { c1 } => {
                let $l: BacktrackingLineSearch<Array1<f64>, Array1<f64>, _, f64> =
                    BacktrackingLineSearch::new(ArmijoCondition::new(c1).map_err(bad)?);
                $body
            }
            LineSearch::MoreThuente { c1, c2 } => {
                let $l = MoreThuenteLineSearch::<Array1<f64>, Array1<f64>, f64>::new()
                    .with_c(c1, c2)
                    .map_err(bad)?;
                $body
            }
            LineSearch::HagerZhang { delta, sigma } => {
                let $l = HagerZhangLineSearch::<Array1<f64>, Array1<f64>, f64>::new()
                    .with_delta_sigma(delta, sigma)
                    .map_err(bad)?;
                $body
            }
        }
    }};
}
pub(super) use with_line_search;

/// Runs argmin's BFGS (initial inverse Hessian `I`, gradient tolerance
/// `cfg.tol`, no cost tolerance, as the race's `bfgs`) with `line_search`
/// from `start`, through the race's runner (same counts, budget and
/// stopping rule as every race), and returns its trace with every pair
/// `(s, y)` it took ([`Pair`]).
///
/// # Errors
/// [`Error::InvalidConfig`] for a line-search parameter argmin rejects.
pub fn run_bfgs<P: Recordable>(
    problem: &P,
    start: &Array1<f64>,
    line_search: LineSearch,
    cfg: &RaceConfig,
) -> Result<(Trace, Vec<Pair>)> {
    let n = start.len();
    let log = Arc::new(Mutex::new(Vec::new()));
    let trace = with_line_search!(line_search, |ls| {
        let bfgs = BFGS::new(ls)
            .with_tolerance_grad(cfg.tol)
            .and_then(|s| s.with_tolerance_cost(0.0))
            .map_err(|e| Error::InvalidConfig(e.to_string()))?;
        run_solver_with(
            problem,
            start,
            &format!("BFGS + {}", line_search.label()),
            PairWatch::new(bfgs, Arc::clone(&log)),
            cfg,
            |s| s.inv_hessian(Array2::eye(n)),
        )
        .trace
    });
    let pairs = log.lock().map(|v| v.clone()).unwrap_or_default();
    Ok((trace, pairs))
}

/// Where argmin's BFGS stands after some iterations: the iterate, its loss
/// and gradient, the inverse-Hessian estimate and the next search direction
/// `d = −H g`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BfgsPoint {
    /// Iterations run.
    pub iterations: u64,
    /// The iterate `x`.
    pub x: Array1<f64>,
    /// `f(x)`.
    pub cost: f64,
    /// `∇f(x)`.
    pub gradient: Array1<f64>,
    /// BFGS's inverse-Hessian estimate `H`.
    pub inv_hessian: Array2<f64>,
    /// The search direction `d = −H ∇f(x)`.
    pub direction: Array1<f64>,
}

impl BfgsPoint {
    /// The initial slope `φ'(0) = ∇f(x)ᵀ d` (negative for a descent direction).
    pub fn slope(&self) -> f64 {
        self.gradient.fdot(&self.direction)
    }
}

/// Runs argmin's BFGS with More–Thuente (`c₁ = 10⁻⁴`, `c₂ = 0.9`) from
/// `start` for exactly `iterations` iterations (no other stopping rule) and
/// returns where it stands, with the direction it would search next.
///
/// # Errors
/// [`Error::InvalidConfig`] if the run stops early or its state lacks a
/// gradient or estimate; argmin's errors.
pub fn bfgs_point<P: Recordable>(
    problem: &P,
    start: &Array1<f64>,
    iterations: u64,
) -> Result<BfgsPoint> {
    let n = start.len();
    let bfgs = BFGS::new(MoreThuenteLineSearch::<Array1<f64>, Array1<f64>, f64>::new())
        .with_tolerance_grad(0.0)
        .and_then(|s| s.with_tolerance_cost(0.0))?;
    let res = Executor::new(problem.clone(), bfgs)
        .configure(|s| {
            s.param(start.clone())
                .inv_hessian(Array2::eye(n))
                .max_iters(iterations)
        })
        .ctrlc(false)
        .run()?;
    let state = res.state();
    let missing = |what: &str| Error::InvalidConfig(format!("BFGS state has no {what}"));
    if state.get_iter() != iterations {
        return Err(Error::InvalidConfig(format!(
            "BFGS stopped after {} of {iterations} iterations ({:?})",
            state.get_iter(),
            state.get_termination_status()
        )));
    }
    let x = state.get_param().ok_or_else(|| missing("iterate"))?.clone();
    let gradient = state
        .get_gradient()
        .ok_or_else(|| missing("gradient"))?
        .clone();
    let inv_hessian = state
        .get_inv_hessian()
        .ok_or_else(|| missing("inverse Hessian"))?
        .clone();
    let direction = -inv_hessian.fdot(&gradient);
    Ok(BfgsPoint {
        iterations,
        x,
        cost: state.get_cost(),
        gradient,
        inv_hessian,
        direction,
    })
}

/// The gradient norm below which a run counts as having reached a
/// stationary point ([`converged`]).
pub const STATIONARY: f64 = 1e-3;

/// Whether a run stopped by one of the race's tolerances (`‖g‖ < tol` or a
/// step shorter than `tol`) at a point where `‖g‖ <` [`STATIONARY`]: a step
/// rule stop far from a stationary point is a stall, not convergence.
pub fn converged(t: &Trace) -> bool {
    matches!(t.stop, StopReason::GradientNorm | StopReason::StepNorm)
        && t.final_grad_norm() < STATIONARY
}
