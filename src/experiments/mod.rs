//! The measurements behind the course's lessons: sweeps, rates and
//! multi-start statistics that a notebook calls and prints, each tested.
//!
//! A lesson's notebook only calls these functions and draws what they return;
//! every number its prose quotes comes from here and is pinned by a test in
//! `tests/course_NN.rs`.
//!
//! - [`momentum`] (chapter 3): Polyak's and Nesterov's tunings on the
//!   quadratic bowl, predicted and measured contraction per step, the
//!   momentum sweep;
//! - [`adaptive`] (chapter 4): what a diagonal preconditioner can and cannot
//!   fix, Adam's bias correction and its effective step size;
//! - [`noise`] (chapter 5): noisy gradient descent from many starts (success
//!   fraction, final-loss spread, how far runs are from stopping) and the
//!   measured noise of mini-batch gradients.

pub mod adaptive;
pub mod momentum;
pub mod noise;
