//! Projection of high-dimensional paths onto the plane of their first two
//! principal components, so that a full-network run can be drawn on a loss
//! landscape.

use crate::linalg::FixedDot;
use ndarray::{Array1, Array2, Axis};

use super::error::{PlotError, Result};
use super::grid::LossGrid;
use crate::curvature::sym_eig;
use crate::problem::{Plane, XorProblem};
use crate::trace::Trace;

/// The affine map between parameter space and the plane of the first two
/// principal components of a set of iterates.
///
/// With `μ` the mean of the iterates and `u₁, u₂` the two leading
/// eigenvectors of their covariance `(1/m) Σ (pᵢ − μ)(pᵢ − μ)ᵀ`
/// (`components`, one per row), a point maps to `c = U (p − μ)` and back to
/// `p = μ + Uᵀ c`.
#[derive(Clone, Debug, PartialEq)]
pub struct PcaProjection {
    /// The mean `μ` of all finite iterates (`k` entries).
    pub mean: Array1<f64>,
    /// The principal directions `u₁, u₂` as rows (`2 × k`), orthonormal;
    /// each signed so that its largest-magnitude entry is positive.
    pub components: Array2<f64>,
    /// Fraction of the total variance along `u₁` and `u₂` (NaN when the
    /// iterates do not vary at all).
    pub explained: [f64; 2],
    /// Largest distance of an iterate from the plane, `‖(I − UᵀU)(p − μ)‖`.
    pub max_residual: f64,
}

impl PcaProjection {
    /// `c = U (p − μ)`; `[NaN, NaN]` for a point of the wrong length or with
    /// a non-finite entry.
    pub fn project(&self, p: &[f64]) -> [f64; 2] {
        if p.len() != self.mean.len() || p.iter().any(|v| !v.is_finite()) {
            return [f64::NAN; 2];
        }
        let d = Array1::from_iter(p.iter().zip(self.mean.iter()).map(|(a, b)| a - b));
        let c = self.components.fdot(&d);
        [c[0], c[1]]
    }

    /// Distance of `p` from the plane, `‖(I − UᵀU)(p − μ)‖`: how much of
    /// the point a figure drawn on the plane cannot show. NaN for a point of
    /// the wrong length or with a non-finite entry.
    pub fn distance(&self, p: &[f64]) -> f64 {
        if p.len() != self.mean.len() || p.iter().any(|v| !v.is_finite()) {
            return f64::NAN;
        }
        let d = Array1::from_iter(p.iter().zip(self.mean.iter()).map(|(a, b)| a - b));
        self.residual(&d.view())
    }

    /// `‖(I − UᵀU) d‖` of a centred point `d = p − μ`.
    fn residual(&self, d: &ndarray::ArrayView1<f64>) -> f64 {
        let c = self.components.fdot(d);
        let back = self.components.t().fdot(&c);
        (d - &back).mapv(|v| v * v).sum().sqrt()
    }

    /// `p = μ + Uᵀ c`.
    pub fn lift(&self, c: [f64; 2]) -> Array1<f64> {
        &self.mean + &(&self.components.row(0) * c[0]) + &(&self.components.row(1) * c[1])
    }

    /// Axis labels `"PC1 (93.1% of variance)"`, `"PC2 (…)"`.
    pub fn labels(&self) -> (String, String) {
        let l = |i: usize| {
            let e = self.explained[i];
            if e.is_finite() {
                format!("PC{} ({:.1}% of variance)", i + 1, 100.0 * e)
            } else {
                format!("PC{}", i + 1)
            }
        };
        (l(0), l(1))
    }
}

/// The result of [`pca_plane`].
#[derive(Clone, Debug)]
pub struct PcaPlane {
    /// The same data and network with the parameterisation
    /// `θ = θ(μ) + c₁ ∂θ/∂p u₁ + c₂ ∂θ/∂p u₂`: the plane through the mean of
    /// all iterates along their first two principal components. Its name
    /// ends with "plane of PC1/PC2 of all iterates".
    pub problem: XorProblem,
    /// The traces with every iterate replaced by its 2-D coordinates `c`
    /// (non-finite iterates become NaN). Losses, counts and times are those
    /// of the original run: where an iterate lies off the plane, the
    /// landscape under its projection differs from its recorded loss.
    pub traces: Vec<Trace>,
    /// The projection itself.
    pub projection: PcaProjection,
}

impl PcaPlane {
    /// The loss on the plane on an `n × n` grid, labelled with the
    /// principal components and their share of the variance, with a
    /// [`LossGrid::note`] that says so (figures show it as their subtitle).
    ///
    /// # Errors
    /// As [`LossGrid::for_problem`].
    pub fn grid(&self, x_range: (f64, f64), y_range: (f64, f64), n: usize) -> Result<LossGrid> {
        let (xl, yl) = self.projection.labels();
        let mut grid =
            LossGrid::for_problem(&self.problem, x_range, y_range, n)?.with_labels(xl, yl);
        let e = self.projection.explained;
        let share = if e[0].is_finite() && e[1].is_finite() {
            format!(" ({:.1}% of their variance)", 100.0 * (e[0] + e[1]))
        } else {
            String::new()
        };
        grid.note = format!(
            "Loss on the plane of the first two principal components of all iterates{share}; paths are projected onto it"
        );
        Ok(grid)
    }
}

/// Projects the paths of a (normally full-network) problem onto the plane of
/// the first two principal components of all their finite iterates, and
/// builds the problem restricted to that plane so its loss can be drawn.
///
/// Works for any parameterisation of dimension `k ≥ 2`: for a plane
/// `θ = θ₀ + Dᵀ p` the new plane is `θ = θ₀ + Dᵀ μ + (U D)ᵀ c`.
/// When the iterates span fewer than two directions the missing component is
/// still an orthonormal direction (`linalg::sym_eig`'s choice, deterministic).
///
/// # Errors
/// [`PlotError::InvalidInput`] if `k < 2` or no trace has a finite iterate
/// of length `k`; [`PlotError::Problem`] if the eigen-decomposition fails.
pub fn pca_plane(problem: &XorProblem, traces: &[Trace]) -> Result<PcaPlane> {
    let k = problem.dim();
    if k < 2 {
        return Err(PlotError::InvalidInput(format!(
            "a PCA plane needs at least 2 parameters, the problem has {k}"
        )));
    }
    let points: Vec<&Vec<f64>> = traces
        .iter()
        .flat_map(|t| t.iterates.iter())
        .filter(|p| p.len() == k && p.iter().all(|v| v.is_finite()))
        .collect();
    if points.is_empty() {
        return Err(PlotError::InvalidInput(
            "no finite iterate of the problem's dimension to project".into(),
        ));
    }
    let m = points.len();
    let x = Array2::from_shape_fn((m, k), |(i, j)| points[i][j]);
    let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(k));
    let centred = &x - &mean;
    let cov = centred.t().fdot(&centred) / m as f64;
    let (ev, vecs) = sym_eig(&cov)?;
    let total: f64 = ev.iter().map(|v| v.max(0.0)).sum();
    let mut components = Array2::zeros((2, k));
    let mut explained = [f64::NAN; 2];
    for (r, share) in explained.iter_mut().enumerate() {
        let col = k - 1 - r; // eigenvalues ascending
        let mut u = vecs.column(col).to_owned();
        let lead = u
            .iter()
            .copied()
            .fold(0.0_f64, |a, b| if b.abs() > a.abs() { b } else { a });
        if lead < 0.0 {
            u.mapv_inplace(|v| -v);
        }
        components.row_mut(r).assign(&u);
        if total > 0.0 {
            *share = ev[col].max(0.0) / total;
        }
    }
    let mut projection = PcaProjection {
        mean,
        components,
        explained,
        max_residual: 0.0,
    };
    projection.max_residual = centred
        .rows()
        .into_iter()
        .map(|row| projection.residual(&row))
        .fold(0.0_f64, f64::max);

    let param = problem.parameterisation();
    let origin = problem.theta(&projection.mean)?;
    let d_theta = origin.len();
    let mut directions = Array2::zeros((2, d_theta));
    for r in 0..2 {
        let u = projection.components.row(r).to_owned();
        directions.row_mut(r).assign(&param.expand_vec(&u)?);
    }
    let plane = Plane { origin, directions };
    let name = format!("{}, plane of PC1/PC2 of all iterates", problem.name());
    let new_problem = XorProblem::new(
        problem.data().clone(),
        problem.mlp().clone(),
        crate::problem::Parameterisation::Plane(plane),
    )?
    .with_name(name);

    let projected = traces
        .iter()
        .map(|t| {
            let mut t2 = t.clone();
            t2.iterates = t
                .iterates
                .iter()
                .map(|p| projection.project(p).to_vec())
                .collect();
            t2.problem = new_problem.name().to_string();
            t2
        })
        .collect();
    Ok(PcaPlane {
        problem: new_problem,
        traces: projected,
        projection,
    })
}

/// Everything a landscape figure needs from a problem and its runs, in one
/// call: for a 2-D problem, the loss grid over the view of the paths (see
/// [`super::view_bounds`], with `include` and a 5% margin) and the traces
/// unchanged; for any other dimension, the same on the plane of the first
/// two principal components of all iterates ([`pca_plane`]), with the
/// traces projected onto it and the figure labelled accordingly.
///
/// ```
/// use quad_vs_grad::plot::{path_view, paths_figure, PathsStyle};
/// use quad_vs_grad::prelude::*;
/// let problem = XorProblem::reference();
/// let (grid, traces) = path_view(&problem, &[], Some(((-3.0, 3.0), (-3.0, 3.0))), 50)?;
/// assert_eq!(grid.values.dim(), (50, 50));
/// let fig = paths_figure(&grid, &traces, &PathsStyle::default())?;
/// # Ok::<(), quad_vs_grad::plot::PlotError>(())
/// ```
///
/// # Errors
/// As [`LossGrid::for_problem`] and [`pca_plane`] (e.g. a full-network
/// problem without any finite iterate).
pub fn path_view(
    problem: &XorProblem,
    traces: &[Trace],
    include: Option<((f64, f64), (f64, f64))>,
    n: usize,
) -> Result<(LossGrid, Vec<Trace>)> {
    if problem.dim() == 2 {
        let (xr, yr) = super::view_bounds(traces, include, 0.05);
        let grid = LossGrid::for_problem(problem, xr, yr, n)?;
        return Ok((grid, traces.to_vec()));
    }
    let pca = pca_plane(problem, traces)?;
    let (xr, yr) = super::view_bounds(&pca.traces, include, 0.05);
    let grid = pca.grid(xr, yr, n)?;
    Ok((grid, pca.traces))
}
