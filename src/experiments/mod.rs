//! The measurements behind the course's lessons, one file per topic.
//!
//! A lesson (an Evcxr notebook under `notebooks/`) calls these helpers and
//! prints or draws what they return; every number the lesson's prose quotes
//! is then pinned by a test in `tests/course/chNN.rs`. Keeping the loops here,
//! compiled and tested with the crate, keeps the notebooks short, fast and
//! impossible to drift from the library.
//!
//! | module | lesson | what it measures |
//! |---|---|---|
//! | [`xor`] | 1. The XOR problem and the MLP | the frozen features of the output slice, the symmetry bound near `ln 2`, the best loss of the slice |
//! | [`learning_rate`] | 2. Gradient descent and the learning rate | step-size theory from a Hessian, learning-rate sweeps, steps to a tolerance against the condition number, escaping a saddle |
//! | [`momentum`] | 3. Momentum and Nesterov | Polyak's and Nesterov's tunings on the quadratic bowl, predicted and measured contraction per step, the momentum sweep |
//! | [`adaptive`] | 4. RMSprop and Adam | what a diagonal preconditioner can and cannot fix, Adam's bias correction and its effective step size |
//! | [`noise`] | 5. Noise as a tool | noisy gradient descent from many starts (success fraction, final-loss spread, distance from stopping), the measured noise of mini-batch gradients |
//! | [`sampling`] | 5. Noise as a tool | mini-batch SGD on shuffled epochs and on independent batches against Langevin descent with the same noise size, and the stationary excess loss that independent noise predicts |
//! | [`network_starts`] | 11. The bake-off | the full-network race from several seeded starts: starts that reach the target, iterations to it, and the Hessian inertia where a run got stuck |
//! | [`newton`] | 6. Newton and the curvature zoo | undamped Newton's quadratic convergence and what damping costs near a minimum, the curvature zoo (Hessian, GGN, Fishers, K-FAC) as a table, the Monte-Carlo Fisher against the number of samples, the empirical Fisher along a run, BFGS learning an inverse Hessian, L-BFGS memories |
//! | [`nonconvex`] | 7. Non-convexity | Newton on `x·cos(πx)` and on the saddle `x² − y²`, detailed runs with their diagnostics for the quadratic-model figures, how well Newton's model predicts the loss along a run |
//! | [`damping`] | 8. Damping | the adaptive methods' damping histories, the smallest damping that makes Newton's step descend, the damped Newton step probed, Levenberg–Marquardt factor sweeps |
//! | [`scaling`] | 9. The cost of curvature | time per iteration, curvature memory and evaluation counts of eight optimizers on full networks from `D ≈ 10` to `D ≥ 10⁵`, log-log slopes against theory, where Newton's solve overtakes forming `H`, wall time to a target loss |
//! | [`stochastic`] | 10. Stochasticity | the noise of mini-batch gradients (the 1/B law with the finite-population factor), of mini-batch Hessian eigenvalues and of the Newton steps they give, against the batch size; K-FAC with and without moving averages of its factors |
//! | [`sweep`] | 10. Stochasticity | batch size × damping (or learning rate) at a fixed data budget for GGN, K-FAC, Hessian-free, Adam and SGD: final loss, divergence, best value per batch size |
//! | [`bakeoff`] | 11. The bake-off | whether the wells bake-off's ranking survives other seeds of starts (Spearman's ρ), the cost of reaching a target loss in iterations, evaluations and wall time, the grid search of `N^d` points and its extrapolation |
//! | [`derivatives`] | Appendix. Checking derivatives | the gradient and Hessian check of every problem of the crate, the error of a central difference against its step (the U between truncation and rounding), deliberately wrong gradients |

pub mod adaptive;
pub mod bakeoff;
mod checks;
pub mod damping;
pub mod derivatives;
pub mod learning_rate;
pub mod momentum;
pub mod network_starts;
pub mod newton;
pub mod noise;
pub mod nonconvex;
pub mod sampling;
pub mod scaling;
pub mod stochastic;
pub mod sweep;
pub mod xor;
