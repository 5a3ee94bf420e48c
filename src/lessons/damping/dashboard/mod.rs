//! The damping dashboard: what an adaptive second-order method did with its
//! damping, one figure of vertically aligned panels sharing the iteration
//! axis.
//!
//! Levenberg–Marquardt damping and trust regions both rest on one number per
//! step, the reduction ratio
//!
//! ```text
//! ρ = (L(p + Δ) − L(p)) / (q(Δ) − q(0))        actual over predicted change
//! ```
//!
//! of the loss `L` and the method's quadratic model `q`. A ratio near 1
//! means the model can be trusted (`λ` shrinks, the radius `Δ` may grow),
//! a small or negative one that it cannot (`λ` grows, the radius shrinks);
//! an uphill step is rejected and the iterate stays put. The panels show,
//! per iteration:
//!
//! 1. the damping `λ` (log scale), or the radius `Δ` for a trust region;
//! 2. `ρ` with the thresholds of the rules drawn as lines: `ρ = 0` (the
//!    crate's Levenberg–Marquardt accepts a step iff the loss does not rise,
//!    i.e. `ρ ≥ 0`), `ρ = 1/4` (below it `λ` grows, the radius shrinks) and
//!    `ρ = 3/4` (above it `λ` shrinks, a radius on the boundary doubles);
//! 3. conjugate-gradient iterations, for Hessian-free;
//! 4. the loss (log scale).
//!
//! Rejected steps are crosses on the `ρ` and loss panels. A panel whose data
//! no run reports is left out.
//!
//! The data come from the solvers' argmin KV entries, which
//! [`run_detailed`](crate::race::run_detailed) returns beside the trace
//! (`RunOutput::diagnostics`); [`DampingHistory::new`] reads them, so this
//! module depends on the trace and a map of numbers, never on the race.

mod figure;
mod history;
mod panels;

pub use figure::{damping_dashboard_figure, damping_dashboard_svg, draw_damping_dashboard};
pub use history::{
    DampingHistory, DampingQuantity, ACCEPTED_KEY, CG_KEY, DAMPING_KEY, RADIUS_KEY, RHO_KEY,
    RHO_RANGE,
};
