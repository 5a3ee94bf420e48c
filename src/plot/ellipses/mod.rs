//! The curvature zoo as one picture: the unit curves `sᵀ C s = 1` of several
//! symmetric 2 × 2 curvature matrices overlaid on equal axes.
//!
//! A curvature matrix `C` defines the quadratic model `½ sᵀ C s` of the loss
//! around a point; its unit curve is where that model has risen by ½. For a
//! positive-definite `C` the curve is an ellipse whose semi-axes point along
//! the eigenvectors `u_i` with lengths `1/√λ_i`: a long axis is a direction
//! of low curvature, where a Newton-type method takes long steps. The same
//! picture tells the other cases apart:
//!
//! | eigenvalues | `sᵀCs = 1` | drawn as |
//! |---|---|---|
//! | both `> 0` | an ellipse | a solid closed curve |
//! | one `< 0`, one `> 0` (indefinite) | two hyperbola branches, plus two for `sᵀCs = −1` | solid (`+1`) and dashed (`−1`) branches |
//! | one `= 0`, one `> 0` (singular) | two parallel lines along the null direction | solid lines clipped to the view |
//! | both `< 0` | nothing; `sᵀCs = −1` is an ellipse | a dashed ellipse |
//! | both `= 0` | nothing | only the legend entry |
//!
//! Every level set of a quadratic form is star-shaped around the origin:
//! along the ray of unit direction `d(φ) = (cos φ, sin φ)` the form is
//! `r² q(φ)` with `q(φ) = d(φ)ᵀ C d(φ)`, so the ray meets `sᵀCs = sign q` at
//! `r(φ) = 1/√|q(φ)|` and no level at all where `q(φ) = 0`. [`unit_curves`]
//! samples `φ` (always including the four eigenvector directions, where `q`
//! has its extremes, so `r` is monotone between samples and the semi-axes
//! are hit exactly), subdivides where consecutive points are far apart, and
//! locates by bisection where a piece leaves the disk of the view. The
//! geometry is closed-form arithmetic (no LAPACK), so the curves are the same
//! on every machine.
//!
//! [`curvature_zoo`] collects the matrices an [`XorProblem`](crate::problem::XorProblem) can give at a
//! point (Hessian, GGN, the three Fishers, K-FAC); for a problem with more
//! than two parameters, [`NamedMatrix::project`] restricts each to a 2-D
//! subspace (for example [`top_eigen_basis`] of the GGN), `Q C Qᵀ`, which is
//! the curvature of the loss restricted to that plane.

mod figure;
mod geometry;
mod projection;

pub use figure::{
    auto_half_width, curvature_ellipses_figure, draw_curvature_ellipses, EllipseStyle,
};
pub use geometry::{unit_curves, CurveKind, UnitCurves, ZERO_TOL};
pub use projection::{curvature_zoo, project_curvature, top_eigen_basis, NamedMatrix};
