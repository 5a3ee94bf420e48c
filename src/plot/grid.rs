//! The loss on a regular grid over a 2-D slice ([`LossGrid`]) and the grid
//! helpers the other grids share.

use ndarray::Array2;

use super::error::{PlotError, Result};
use crate::problem::XorProblem;

/// `n ≥ 2` equally spaced points from `lo` to `hi`, both included.
pub(crate) fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let d = (hi - lo) / (n - 1) as f64;
    (0..n)
        .map(|i| if i + 1 == n { hi } else { lo + d * i as f64 })
        .collect()
}

/// The most points per axis of a grid (`n × n` values of 8 bytes: 4096
/// points per axis take 128 MiB), checked before anything is allocated.
pub const MAX_GRID_POINTS: usize = 4096;

/// The `n` abscissae and ordinates of a grid over `x_range × y_range`.
///
/// # Errors
/// [`PlotError::InvalidInput`] if `n < 2` or `n >` [`MAX_GRID_POINTS`], or
/// a range is empty or not finite.
pub(crate) fn grid_axes(
    x_range: (f64, f64),
    y_range: (f64, f64),
    n: usize,
) -> Result<(Vec<f64>, Vec<f64>)> {
    if !(2..=MAX_GRID_POINTS).contains(&n) {
        return Err(PlotError::InvalidInput(format!(
            "a grid needs 2 to {MAX_GRID_POINTS} points per axis, got {n}"
        )));
    }
    for (name, (lo, hi)) in [("x", x_range), ("y", y_range)] {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(PlotError::InvalidInput(format!(
                "the {name} range ({lo:e}, {hi:e}) must be finite and increasing"
            )));
        }
    }
    Ok((
        linspace(x_range.0, x_range.1, n),
        linspace(y_range.0, y_range.1, n),
    ))
}

/// A scalar (normally the loss) sampled on a regular `ny × nx` grid over a
/// 2-D slice: `values[[j, i]] = f(xs[i], ys[j])`.
#[derive(Clone, Debug, PartialEq)]
pub struct LossGrid {
    /// Grid abscissae, increasing.
    pub xs: Vec<f64>,
    /// Grid ordinates, increasing.
    pub ys: Vec<f64>,
    /// Values, `ny × nx` (row `j` is `y = ys[j]`). May hold NaN or ±∞.
    pub values: Array2<f64>,
    /// Name of the horizontal coordinate (`"v1"`, `"PC1 (87% of variance)"`).
    pub x_label: String,
    /// Name of the vertical coordinate.
    pub y_label: String,
    /// A title for figures (normally the problem's name).
    pub title: String,
    /// A note for figures' subtitles (empty for none), e.g. that the slice
    /// is a PCA plane and the paths are projections.
    pub note: String,
}

impl LossGrid {
    /// Samples `f(x, y)` at `n × n` points spanning `x_range × y_range`
    /// (ends included). Axis labels default to `"p1"`, `"p2"`.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] if `n < 2` or a range is empty or not finite.
    pub fn from_fn(
        x_range: (f64, f64),
        y_range: (f64, f64),
        n: usize,
        mut f: impl FnMut(f64, f64) -> f64,
    ) -> Result<Self> {
        let (xs, ys) = grid_axes(x_range, y_range, n)?;
        let values = Array2::from_shape_fn((n, n), |(j, i)| f(xs[i], ys[j]));
        Ok(Self {
            xs,
            ys,
            values,
            x_label: "p1".into(),
            y_label: "p2".into(),
            title: String::new(),
            note: String::new(),
        })
    }

    /// The full-batch loss of a problem with a 2-D plane parameterisation
    /// (`θ = θ₀ + p₁ d₁ + p₂ d₂`, see [`crate::problem::Parameterisation::Plane`]) on an
    /// `n × n` grid. The title is the problem's name, the axes its [`XorProblem::axis_labels`]
    /// (rename them with [`LossGrid::with_labels`]).
    ///
    /// The values come from [`XorProblem::cost_grid`], the problem's own
    /// loss organised for many points (equal to its full-batch
    /// [`cost`](argmin::core::CostFunction::cost) to rounding, bit-identical on every machine, rows spread over the
    /// available cores).
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] for a full or non-2-D parameterisation
    /// (project onto a plane first, see [`super::pca_plane`]), `n < 2` or a
    /// bad range.
    pub fn for_problem(
        problem: &XorProblem,
        x_range: (f64, f64),
        y_range: (f64, f64),
        n: usize,
    ) -> Result<Self> {
        let (xs, ys) = grid_axes(x_range, y_range, n)?;
        let values = problem.cost_grid(&xs, &ys).map_err(|e| match e {
            crate::error::Error::Shape(m) => PlotError::InvalidInput(m),
            e => PlotError::Problem(e),
        })?;
        let mut grid = Self {
            xs,
            ys,
            values,
            x_label: "p1".into(),
            y_label: "p2".into(),
            title: String::new(),
            note: String::new(),
        };
        (grid.title, grid.x_label, grid.y_label) = titles(problem, &grid.x_label, &grid.y_label);
        Ok(grid)
    }

    /// Sets the axis labels.
    pub fn with_labels(mut self, x: impl Into<String>, y: impl Into<String>) -> Self {
        self.x_label = x.into();
        self.y_label = y.into();
        self
    }

    /// Sets the title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// `(x_min, x_max)` of the grid.
    pub fn x_range(&self) -> (f64, f64) {
        (self.xs[0], self.xs[self.xs.len() - 1])
    }

    /// `(y_min, y_max)` of the grid.
    pub fn y_range(&self) -> (f64, f64) {
        (self.ys[0], self.ys[self.ys.len() - 1])
    }

    /// Smallest and largest finite value, or `None` if there is none.
    pub fn finite_range(&self) -> Option<(f64, f64)> {
        finite_min_max(self.values.iter().copied())
    }

    /// The smallest finite value and its grid point `(x, y, value)`.
    pub fn argmin(&self) -> Option<(f64, f64, f64)> {
        let mut best: Option<(f64, f64, f64)> = None;
        for ((j, i), &v) in self.values.indexed_iter() {
            if v.is_finite() && best.map_or(true, |b| v < b.2) {
                best = Some((self.xs[i], self.ys[j], v));
            }
        }
        best
    }

    /// Number of non-finite values.
    pub fn non_finite_count(&self) -> usize {
        self.values.iter().filter(|v| !v.is_finite()).count()
    }

    /// Bilinear interpolation at `(x, y)`; NaN outside the grid or next to a
    /// non-finite value.
    pub fn interpolate(&self, x: f64, y: f64) -> f64 {
        interpolate(&self.xs, &self.ys, &self.values, x, y)
    }
}

/// Bilinear interpolation on a regular grid (NaN outside).
pub(crate) fn interpolate(xs: &[f64], ys: &[f64], v: &Array2<f64>, x: f64, y: f64) -> f64 {
    let (nx, ny) = (xs.len(), ys.len());
    let fx = (x - xs[0]) / (xs[nx - 1] - xs[0]) * (nx - 1) as f64;
    let fy = (y - ys[0]) / (ys[ny - 1] - ys[0]) * (ny - 1) as f64;
    if !(fx >= 0.0 && fy >= 0.0 && fx <= (nx - 1) as f64 && fy <= (ny - 1) as f64) {
        return f64::NAN;
    }
    let i = (fx.floor() as usize).min(nx - 2);
    let j = (fy.floor() as usize).min(ny - 2);
    let (tx, ty) = (fx - i as f64, fy - j as f64);
    let a = v[[j, i]] * (1.0 - tx) + v[[j, i + 1]] * tx;
    let b = v[[j + 1, i]] * (1.0 - tx) + v[[j + 1, i + 1]] * tx;
    a * (1.0 - ty) + b * ty
}

pub(crate) fn finite_min_max(it: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    it.filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// The title and axis labels a grid over `problem` carries: the problem's
/// name and its [`XorProblem::axis_labels`] (the defaults when it has not two).
pub(crate) fn titles(problem: &XorProblem, x: &str, y: &str) -> (String, String, String) {
    let (x, y) = match problem.axis_labels() {
        [a, b] => (a.clone(), b.clone()),
        _ => (x.to_string(), y.to_string()),
    };
    (problem.name().to_string(), x, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_parameterisation_is_rejected() {
        let problem = XorProblem::full(crate::data::Dataset::separable(), &[2]).unwrap();
        assert!(LossGrid::for_problem(&problem, (-1.0, 1.0), (-1.0, 1.0), 10).is_err());
        assert!(LossGrid::from_fn((0.0, 1.0), (0.0, 1.0), 1, |_, _| 0.0).is_err());
        assert!(LossGrid::from_fn((1.0, 0.0), (0.0, 1.0), 5, |_, _| 0.0).is_err());
        assert!(LossGrid::from_fn((0.0, f64::NAN), (0.0, 1.0), 5, |_, _| 0.0).is_err());
    }

    #[test]
    fn interpolation_is_exact_for_bilinear_functions() {
        let g = LossGrid::from_fn((-1.0, 2.0), (0.0, 3.0), 7, |x, y| 1.0 + 2.0 * x - y + x * y)
            .unwrap();
        let v = g.interpolate(0.3, 1.7);
        assert!((v - (1.0 + 0.6 - 1.7 + 0.51)).abs() < 1e-12);
        assert!(g.interpolate(5.0, 1.0).is_nan());
        assert_eq!(g.argmin().map(|m| (m.0, m.1)), Some((-1.0, 3.0)));
    }
}
