//! Chapter 3: heavy-ball and Nesterov momentum on the quadratic bowl.
//!
//! On `f(x) = ½ xᵀHx` every first-order method with fixed hyperparameters
//! is a linear recurrence, so its speed is the spectral radius of a small
//! matrix per eigendirection of `H`. This module gives those radii
//! ([`mode_rate`], [`predicted_rate`]), the classical tunings
//! ([`gd_tuning`], [`polyak_tuning`], [`nesterov_tuning`]), and the
//! measurements that check them on real runs of the crate's
//! [`GradientDescent`](crate::solvers::GradientDescent) through the race
//! ([`compare_on_bowl`], [`momentum_sweep`]), and the map of the heavy
//! ball's rate over the whole `(η, β)` plane ([`heavy_ball_rate_map`]).
//!
//! # The rates
//! Along an eigendirection with eigenvalue `μ`, write `e_k` for the error.
//!
//! - Gradient descent: `e_{k+1} = (1 − ημ) e_k`, rate `|1 − ημ|`.
//! - Heavy ball, `p_{k+1} = p_k − η∇f(p_k) + β(p_k − p_{k−1})`:
//!   `e_{k+1} = (1 + β − ημ) e_k − β e_{k−1}`, whose characteristic
//!   polynomial is `ζ² − (1 + β − ημ) ζ + β`; the rate is its largest root
//!   in modulus, `√β` when the roots are complex (an underdamped mode).
//! - Nesterov (the crate's PyTorch form, iterates at the look-ahead points):
//!   `ζ² − (1 + β) q ζ + β q` with `q = 1 − ημ`.
//!
//! Gradient descent at its best step `2/(μ_min + μ_max)` contracts by
//! `(κ − 1)/(κ + 1)`. The heavy ball is fastest when both extreme modes are
//! critically damped (a double root), `√β = 1 − √(ημ_min) = √(ημ_max) − 1`,
//! which gives Polyak's
//!
//! ```text
//! η = 4/(√μ_max + √μ_min)²,   β = ((√κ − 1)/(√κ + 1))²,   rate (√κ − 1)/(√κ + 1).
//! ```
//!
//! Nesterov's tuning for `μ_min`-strongly convex, `μ_max`-smooth functions,
//! `η = 1/μ_max`, `β = (√κ − 1)/(√κ + 1)`, has rate `1 − 1/√κ` on a quadratic.
//!
//! # References
//! - B. T. Polyak, *Some methods of speeding up the convergence of iteration
//!   methods*, USSR Comput. Math. Math. Phys. 4(5), 1964 (and *Introduction to
//!   Optimization*, 1987, §3.2.1).
//! - Y. Nesterov, *Introductory Lectures on Convex Optimization*, 2004, §2.2.
//! - L. Lessard, B. Recht, A. Packard, *Analysis and design of optimization
//!   algorithms via integral quadratic constraints*, SIAM J. Optim. 26(1), 2016
//!   (the rates above on quadratics, and a smooth strongly convex function on
//!   which Polyak's tuning of the heavy ball fails to converge).
//! - G. Goh, *Why momentum really works*, Distill, 2017.

mod compare;
mod rate_map;
mod rates;
mod runs;
mod sweep;

pub use crate::solvers::Momentum;
pub use compare::{
    compare_on_bowl, conditioning_table, BowlComparison, ConditioningTable, MethodResult,
};
pub use rate_map::{critical_damping_beta, heavy_ball_rate, heavy_ball_rate_map, RateMap};
pub(crate) use rates::in_open_unit;
pub use rates::{
    gd_tuning, mode_rate, nesterov_tuning, polyak_tuning, predicted_rate, predicted_steps, Tuning,
};
pub use runs::{
    bowl_config, distances, first_steps, measured_rate, peak_loss_ratio, run_tuning,
    steps_to_distance, view_grid, BOWL_DIVERGENCE_FACTOR, RATE_WINDOW,
};
pub use sweep::{beta_grid, momentum_sweep, sweep_chart, MomentumSweep, SweepPoint};
