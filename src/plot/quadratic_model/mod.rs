//! The local quadratic model a second-order method minimises, drawn over the
//! loss landscape: [`QuadraticModel`], [`ModelOverlay`].
//!
//! At the iterate `p` a second-order method replaces the loss by
//!
//! ```text
//! m(s) = gᵀs + ½ sᵀ(C + λI)s,    g = ∇L(p),
//! ```
//!
//! for its curvature `C` ([`ModelCurvature`]: the Hessian, saddle-free
//! `|H|`, the GGN, K-FAC, or BFGS's estimate) and damping `λ`, and steps to
//! the model's stationary point `s = −(C + λI)⁻¹g`. Whether that step is
//! any good depends on the model's shape ([`ModelShape`]), read off the
//! eigenvalues `μ_i` of `A = C + λI`:
//!
//! - all `μ_i > 0`: a **bowl** with the unique minimiser `s*`;
//! - some `μ_i < 0 < μ_j`: a **saddle**, unbounded below along the
//!   eigenvector of the most negative `μ`; Newton's step goes to the saddle's
//!   stationary point, which need not be downhill at all;
//! - all `μ_i < 0`: a **dome**, whose stationary point is its maximum;
//! - some `μ_i = 0` (within `1e−12 · max|μ|`): **degenerate**; no minimum
//!   unless `g` is orthogonal to the flat directions.
//!
//! The figure ([`ModelOverlay`], an option of
//! [`PathsStyle::model`](super::PathsStyle::model) and therefore of the
//! journey animation's [`AnimationOptions::style`](super::AnimationOptions))
//! draws the model's contours as thin dashed white lines over the loss
//! heatmap, an arrow from the iterate to the stationary point with a marker
//! there (a white dot for a minimiser, a ring for a saddle point or maximum),
//! an arrow along the direction the model runs off to when it has no
//! minimum, and the trust-region radius as a circle where the method has
//! one. A caption in the plot's top-left corner names the model, its shape
//! and the eigenvalues of `C + λI`.
//!
//! References: J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd
//! ed., Springer 2006, ch. 4 (trust regions and the model), ch. 6 (BFGS);
//! Y. N. Dauphin et al., *Identifying and attacking the saddle point problem
//! in high-dimensional non-convex optimization*, NeurIPS 2014.

mod bfgs;
mod curvature;
mod draw;
mod model;
mod overlay;

pub use curvature::ModelCurvature;
pub(crate) use draw::{draw_model, ModelLayer};
pub use model::{ModelShape, QuadraticModel};
pub use overlay::ModelOverlay;
