//! Lesson 0, a tour: the reference race on the output-weight slice, then the
//! same race on a hidden-weight slice where non-convexity breaks it.
//!
//! The tour runs the prelude's race and draws the prelude's figures; it
//! borrows two measurements of later chapters, re-exported here so that the
//! notebook imports only the prelude and this module.

pub use super::gradient_descent::{gd_sweep, GdTheory};
pub use super::xor_mlp::best_loss;
