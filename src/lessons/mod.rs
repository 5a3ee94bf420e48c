//! The course's lessons: one module per chapter, named after its notebook
//! (`notebooks/NN-name.ipynb` ↔ `lessons::name`), holding the chapter's
//! experiments and the figures only that chapter draws.
//!
//! A lesson's notebook imports the [`prelude`](crate::prelude) and its own
//! lesson module, nothing else: what a chapter borrows from an earlier one,
//! its lesson module re-exports. The loops live here, compiled and tested
//! with the crate, so the notebooks stay short and cannot drift from the
//! library; every number a chapter's prose quotes is pinned by
//! `tests/course/chNN.rs`. Figures that several chapters or the CLI draw
//! stay in [`plot`](crate::plot).
//!
//! | module | chapter | what it measures |
//! |---|---|---|
//! | [`tour`] | 0. A tour | (re-exports only: the tour runs the prelude's race and borrows two measurements of chapters 1 and 2) |
//! | [`xor_mlp`] | 1. The XOR problem and the MLP | the frozen features of the output slice, the symmetry bound near `ln 2`, the best loss of the slice; the data figure |
//! | [`gradient_descent`] | 2. Gradient descent and the learning rate | step-size theory from a Hessian, learning-rate sweeps, steps to a tolerance against the condition number, escaping a saddle; the small-multiples figure |
//! | [`momentum`] | 3. Momentum and Nesterov | Polyak's and Nesterov's tunings on the quadratic bowl, predicted and measured contraction per step, the momentum sweep, the rate map |
//! | [`adam`] | 4. RMSprop and Adam | what a diagonal preconditioner can and cannot fix, Adam's bias correction and its effective step size |
//! | [`noise`] | 5. Noise as a tool | noisy gradient descent from many starts, the measured noise of mini-batch gradients, mini-batch SGD against Langevin descent with the same noise size; the many-start paths and loss figures |
//! | [`newton`] | 6. Newton's method | undamped Newton's quadratic convergence and what damping costs near a minimum |
//! | [`curvature_zoo`] | 7. The curvature zoo | the zoo (Hessian, GGN, Fishers, K-FAC) as a table, the Monte-Carlo Fisher against the number of samples, the empirical Fisher along a run, BFGS learning an inverse Hessian, L-BFGS memories |
//! | [`non_convexity`] | 8. Non-convexity | Newton on `x·cos(πx)` and on the saddle `x² − y²`, detailed runs with their diagnostics, how well Newton's model predicts the loss along a run; the 1-D toy figures (the quadratic-model overlay is the paths figure's, in `plot`) |
//! | [`damping`] | 9. Damping | the adaptive methods' damping histories, the smallest damping that makes Newton's step descend, the damped Newton step probed, Levenberg–Marquardt factor sweeps; the damping dashboard |
//! | [`cost_of_curvature`] | 10. The cost of curvature | time per iteration, curvature memory and evaluation counts on full networks from `D ≈ 10` to `D ≥ 10⁵`, log-log slopes against theory, wall time to a target loss; the scaling figures |
//! | [`stochasticity`] | 11. Stochasticity | the noise of mini-batch gradients, Hessian eigenvalues and Newton steps against the batch size; K-FAC with and without moving averages; batch size × damping at a fixed data budget; the heat tables |
//! | [`bake_off`] | 12. The bake-off | whether the wells bake-off's ranking survives other seeds, the cost of reaching a target loss, the grid search of `N^d` points, the full-network race from several starts; the bake-off bars and summary |
//! | [`checking_derivatives`] | 14. Appendix: checking derivatives | the gradient and Hessian check of every problem, the error of a central difference against its step, deliberately wrong gradients |
//! | [`line_search`] | 15. Line search | the loss along a BFGS direction with the Armijo and curvature sets, the steps argmin's line searches pick, BFGS with each line search from many starts, BFGS with Armijo-only backtracking audited pair by pair; the line-profile figure |
//! | [`hessian_vector_products`] | 16. Hessian-vector products and conjugate gradients | three ways to get `H v` on a full network (R-operator, finite differences of gradients and their U-shaped error, the dense Hessian) with their accuracy and cost against `D`; CG on the damped Gauss–Newton system against its spectrum, and truncation as regularisation; the error, timing, CG-spectrum and truncation figures |
//! | [`adaptive_gd`] | 17. Condition-number-adaptive gradient descent | the `κ`, `λ_max` and `λ_max + λ_min` step rules on bowls of several scales, many starts on the Gaussian wells and the XOR slices against gradient descent at its best step, the Hessian's sign and `κ` along the runs |
//! | [`rosenbrock`] | 18. Rosenbrock's banana | every registry optimizer on the banana with tuned learning rates, the valley's curvature and gradient descent's measured crawl, many starts, the chained function in 5 and 50 dimensions and its second minimum |
//! | [`generalization`] | 19. Generalization | training against test loss of `2-h-1` networks trained by four optimizers on a small noisy XOR set, the sharpness (largest Hessian eigenvalue) of their end points, Spearman correlations over seeds; the train–test and gap–sharpness scatters |
//!
//! Two modules serve several lessons: [`explorables`] writes the data of the
//! book's interactive figures (chapters 2, 3, 9 and 11) and the crate's
//! values their pages must reproduce; `checks` holds the configuration
//! checks the experiments share.

pub mod adam;
pub mod adaptive_gd;
pub mod bake_off;
pub mod checking_derivatives;
mod checks;
pub mod cost_of_curvature;
pub mod curvature_zoo;
pub mod damping;
pub mod explorables;
pub mod generalization;
pub mod gradient_descent;
pub mod hessian_vector_products;
pub mod line_search;
pub mod momentum;
pub mod newton;
pub mod noise;
pub mod non_convexity;
pub mod rosenbrock;
pub mod stochasticity;
pub mod tour;
pub mod xor_mlp;
