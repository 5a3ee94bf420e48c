//! The Hessian's eigenvalues on a regular grid over a 2-D slice
//! ([`CurvatureGrid`]): the data of the eigenvalue-sign and condition maps.

use argmin::core::Hessian;
use ndarray::Array2;

use super::error::{PlotError, Result};
use super::grid::{grid_axes, titles};
use crate::problem::XorProblem;

/// The Hessian's eigenvalues on a regular grid over a 2-D slice.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvatureGrid {
    /// Grid abscissae, increasing.
    pub xs: Vec<f64>,
    /// Grid ordinates, increasing.
    pub ys: Vec<f64>,
    /// Smaller eigenvalue `μ₁` of the 2 × 2 Hessian, `ny × nx` (NaN where
    /// the Hessian could not be evaluated).
    pub mu_min: Array2<f64>,
    /// Larger eigenvalue `μ₂`, `ny × nx`.
    pub mu_max: Array2<f64>,
    /// Name of the horizontal coordinate.
    pub x_label: String,
    /// Name of the vertical coordinate.
    pub y_label: String,
    /// A title for figures (normally the problem's name).
    pub title: String,
}

impl CurvatureGrid {
    /// Eigenvalues of a symmetric-matrix field `h(x, y) = [[a, b], [b, d]]`
    /// (returned as `(a, b, d)`) on an `n × n` grid, in closed form:
    /// `μ = (a + d)/2 ∓ √(((a − d)/2)² + b²)`.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] if `n < 2` or a range is bad.
    pub fn from_fn(
        x_range: (f64, f64),
        y_range: (f64, f64),
        n: usize,
        mut h: impl FnMut(f64, f64) -> (f64, f64, f64),
    ) -> Result<Self> {
        let (xs, ys) = grid_axes(x_range, y_range, n)?;
        let eig = Array2::from_shape_fn((n, n), |(j, i)| {
            let (a, b, d) = h(xs[i], ys[j]);
            sym2_eigenvalues(a, b, d)
        });
        let mu_min = eig.mapv(|e| e.0);
        let mu_max = eig.mapv(|e| e.1);
        Ok(Self {
            xs,
            ys,
            mu_min,
            mu_max,
            x_label: "p1".into(),
            y_label: "p2".into(),
            title: String::new(),
        })
    }

    /// The exact Hessian `∇²_p L` (on the problem's active batch) of a
    /// problem with a 2-D parameterisation, on an `n × n` grid. Each point
    /// costs two Hessian-vector products; `n` of 60–100 is plenty for a map.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] if the problem is not 2-D or the grid is bad.
    pub fn for_problem(
        problem: &XorProblem,
        x_range: (f64, f64),
        y_range: (f64, f64),
        n: usize,
    ) -> Result<Self> {
        if problem.dim() != 2 {
            return Err(PlotError::InvalidInput(format!(
                "a curvature map needs a 2-D slice; the problem has dimension {}",
                problem.dim()
            )));
        }
        let mut grid = Self::from_fn(x_range, y_range, n, |x, y| {
            match problem.hessian(&ndarray::array![x, y]) {
                Ok(h) => (h[[0, 0]], 0.5 * (h[[0, 1]] + h[[1, 0]]), h[[1, 1]]),
                Err(_) => (f64::NAN, f64::NAN, f64::NAN),
            }
        })?;
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

    /// The inertia class at grid point `(j, i)`: `2` both eigenvalues
    /// positive (locally convex), `1` one negative (saddle-shaped), `0` both
    /// negative (locally concave), `None` if an eigenvalue is non-finite or
    /// zero within `tol · max|μ|` (flat / degenerate).
    pub fn class(&self, j: usize, i: usize, tol: f64) -> Option<u8> {
        let (lo, hi) = (self.mu_min[[j, i]], self.mu_max[[j, i]]);
        if !(lo.is_finite() && hi.is_finite()) {
            return None;
        }
        let thr = tol * lo.abs().max(hi.abs());
        if lo.abs() <= thr || hi.abs() <= thr || hi == 0.0 {
            return None;
        }
        Some((lo > 0.0) as u8 + (hi > 0.0) as u8)
    }

    /// `log₁₀ κ` with `κ = max|μ| / min|μ|`, `ny × nx` (`+∞` where singular,
    /// NaN where undefined).
    pub fn log10_condition(&self) -> Array2<f64> {
        let mut out = Array2::from_elem(self.mu_min.dim(), f64::NAN);
        for ((j, i), o) in out.indexed_iter_mut() {
            let (a, b) = (self.mu_min[[j, i]].abs(), self.mu_max[[j, i]].abs());
            if a.is_finite() && b.is_finite() {
                let (lo, hi) = (a.min(b), a.max(b));
                *o = if lo == 0.0 {
                    f64::INFINITY
                } else {
                    (hi / lo).log10()
                };
            }
        }
        out
    }

    /// Shares of the grid points (with a defined [`CurvatureGrid::class`] at
    /// `tol`) that are locally concave, saddle-shaped and convex:
    /// `[domes, saddles, bowls]`, summing to 1 (NaN if no point has a class).
    pub fn class_shares(&self, tol: f64) -> [f64; 3] {
        let mut counts = [0usize; 3];
        for j in 0..self.ys.len() {
            for i in 0..self.xs.len() {
                if let Some(c) = self.class(j, i, tol) {
                    counts[c as usize] += 1;
                }
            }
        }
        let all = counts.iter().sum::<usize>() as f64;
        counts.map(|c| if all == 0.0 { f64::NAN } else { c as f64 / all })
    }

    /// Fraction of grid points (with a defined class) where the Hessian has a
    /// negative eigenvalue.
    pub fn negative_fraction(&self) -> f64 {
        let (mut neg, mut all) = (0usize, 0usize);
        for j in 0..self.ys.len() {
            for i in 0..self.xs.len() {
                if let Some(c) = self.class(j, i, 0.0) {
                    all += 1;
                    neg += (c < 2) as usize;
                }
            }
        }
        if all == 0 {
            f64::NAN
        } else {
            neg as f64 / all as f64
        }
    }
}

/// Eigenvalues `(μ_min, μ_max)` of `[[a, b], [b, d]]`, in a form that keeps
/// full relative accuracy for the larger-magnitude one.
pub(crate) fn sym2_eigenvalues(a: f64, b: f64, d: f64) -> (f64, f64) {
    if !(a.is_finite() && b.is_finite() && d.is_finite()) {
        return (f64::NAN, f64::NAN);
    }
    let m = 0.5 * (a + d);
    let r = (0.5 * (a - d)).hypot(b);
    // μ_big = m ± r with the sign of m avoids cancellation; the other one
    // from the determinant, μ₁ μ₂ = a d − b².
    let det = a * d - b * b;
    let big = if m >= 0.0 { m + r } else { m - r };
    let small = if big != 0.0 { det / big } else { 0.0 };
    (big.min(small), big.max(small))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigenvalues_of_2x2() {
        let (lo, hi) = sym2_eigenvalues(2.0, 1.0, 2.0);
        assert!((lo - 1.0).abs() < 1e-14 && (hi - 3.0).abs() < 1e-14);
        let (lo, hi) = sym2_eigenvalues(1.0, 0.0, -4.0);
        assert_eq!((lo, hi), (-4.0, 1.0));
        let (lo, hi) = sym2_eigenvalues(1e8, 0.0, 1e-8);
        assert!((lo - 1e-8).abs() < 1e-22 && hi == 1e8);
    }

    #[test]
    fn curvature_classes_of_a_saddle() {
        // f = x² − y² + x⁴ … use a field: H = [[2, 0], [0, −2 + 4x]].
        let g = CurvatureGrid::from_fn((-1.0, 1.0), (-1.0, 1.0), 5, |x, _| {
            (2.0, 0.0, -2.0 + 4.0 * x)
        })
        .unwrap();
        assert_eq!(g.class(0, 0, 1e-12), Some(1)); // x = −1: saddle
        assert_eq!(g.class(0, 4, 1e-12), Some(2)); // x = 1: convex
        assert_eq!(g.class(0, 3, 1e-12), None); // x = 0.5: singular
        let lc = g.log10_condition();
        assert!((lc[[0, 0]] - (6f64 / 2.0).log10()).abs() < 1e-12);
        assert!(lc[[0, 3]].is_infinite());
        assert!((g.negative_fraction() - 0.75).abs() < 1e-12); // x = −1, −½, 0 of the defined four
        let [dome, saddle, bowl] = g.class_shares(1e-12);
        assert_eq!((dome, saddle, bowl), (0.0, 0.75, 0.25));
        assert!((dome + saddle + bowl - 1.0).abs() < 1e-12);
    }

    #[test]
    fn hidden_slice_curvature_is_mixed() {
        let problem = XorProblem::hidden_slice();
        let g = CurvatureGrid::for_problem(&problem, (-3.0, 3.0), (-3.0, 3.0), 9).unwrap();
        let f = g.negative_fraction();
        assert!(f > 0.05 && f < 0.95, "negative fraction {f}");
        let reference =
            CurvatureGrid::for_problem(&XorProblem::reference(), (-3.0, 3.0), (-3.0, 3.0), 5)
                .unwrap();
        assert_eq!(reference.negative_fraction(), 0.0);
    }
}
