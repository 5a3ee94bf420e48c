//! Chapter 15: line search — how far to go along a quasi-Newton direction,
//! and why BFGS needs the curvature condition.
//!
//! Along a search direction `d` from `x` the loss is a function of one
//! variable, `φ(α) = f(x + α d)`, with slope `φ'(α) = ∇f(x + α d)ᵀ d`. A
//! line search picks a step length `α` that satisfies the (weak) Wolfe
//! conditions
//!
//! ```text
//! φ(α) ≤ φ(0) + c₁ α φ'(0)      (Armijo, sufficient decrease; c₁ = 1e−4)
//! φ'(α) ≥ c₂ φ'(0)              (curvature; c₂ = 0.9 for quasi-Newton)
//! ```
//!
//! With `s = α d` and `y = ∇f(x + s) − ∇f(x)` the curvature condition gives
//! `yᵀs = α (φ'(α) − φ'(0)) ≥ α (c₂ − 1) φ'(0) > 0` whenever `d` descends:
//! exactly what keeps BFGS's inverse-Hessian update positive definite.
//!
//! This module draws `φ` with both sets shaded ([`line_profile`],
//! [`line_profile_figure`]), marks the `α` each of argmin's line searches
//! picks ([`line_search_picks`]), compares them inside argmin's BFGS over
//! many starts ([`compare_line_searches`]) and audits BFGS with an
//! Armijo-only backtracking search, which can accept pairs with `yᵀs ≤ 0`
//! ([`curvature_audit`]).
//!
//! # References
//! - J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed.,
//!   Springer 2006: §3.1 (the Wolfe conditions, Lemma 3.1 on the existence
//!   of acceptable steps), §3.5 (step-length selection), §6.1 (BFGS, the
//!   curvature condition `yᵀs > 0`).
//! - J. J. Moré and D. J. Thuente, *Line search algorithms with guaranteed
//!   sufficient decrease*, ACM TOMS 20 (1994).
//! - W. W. Hager and H. Zhang, *A new conjugate gradient method with
//!   guaranteed descent and an efficient line search*, SIAM J. Optim. 16
//!   (2005): the approximate Wolfe conditions.

mod audit;
mod compare;
mod figure;
mod profile;
mod search;
mod watch;

pub use audit::{curvature_audit, AuditRun, CurvatureAudit};
pub use compare::{compare_line_searches, Comparison, ComparisonRow};
pub use figure::{draw_line_profile, line_profile_figure};
pub use profile::{line_profile, line_search_picks, LineProfile, Pick};
pub use search::{bfgs_point, converged, run_bfgs, BfgsPoint, LineSearch, STATIONARY};
pub use watch::{Pair, PairWatch};
