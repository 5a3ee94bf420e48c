//! Lesson 10, stochasticity: batch size × damping (or learning rate) at a
//! fixed data budget.
//!
//! # The experiment
//! For each method (Gauss–Newton, K-FAC, Hessian-free, Adam, SGD), each
//! batch size `B` and each value `v` of its swept hyperparameter (the
//! damping `λ` of the curvature methods, the learning rate `η` of the
//! first-order ones), the method runs from one start on fresh seeded
//! mini-batches for `⌊budget / B⌋` iterations, once per seed of the batch
//! sampler. Every cell therefore touches the same number of examples
//! (`B · ⌊budget / B⌋ ≤ budget`): a small batch buys many noisy steps, a
//! large one few precise ones. Each run records its final full-batch loss,
//! or its divergence ([`StopReason::Diverged`](crate::trace::StopReason::Diverged)).
//!
//! The question the table answers, for each method and batch size: which
//! `λ` (or `η`) gives the lowest median final loss without a diverged run,
//! and does a larger batch allow a smaller damping? (The experiment is the
//! one of the Numerics of ML course of the University of Tübingen, here on
//! the 2-3-1 XOR network.)

mod config;
mod confirm;
mod results;
mod run;

pub use config::{log_grid, SweepConfig, SweepMethod};
pub use confirm::{confirm_best, Confirmation, Confirmed, Paired};
pub use results::{BatchSweep, MethodSweep, SweepCell};
pub use run::batch_damping_sweep;
