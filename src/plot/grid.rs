//! Values on a regular grid over a 2-D slice: the loss ([`LossGrid`]), the
//! Hessian's eigenvalues ([`CurvatureGrid`]); the view that frames a set of
//! paths ([`view_bounds`]); iso-lines by marching squares ([`contour_segments`]).

use ndarray::{Array1, Array2};

use super::{PlotError, Result};
use std::sync::OnceLock;

use crate::mlp::softplus;
use crate::problem::{Parameterisation, XorProblem};
use crate::trace::Trace;

/// `n ≥ 2` equally spaced points from `lo` to `hi`, both included.
fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let d = (hi - lo) / (n - 1) as f64;
    (0..n)
        .map(|i| if i + 1 == n { hi } else { lo + d * i as f64 })
        .collect()
}

/// The `n` abscissae and ordinates of a grid over `x_range × y_range`.
///
/// # Errors
/// [`PlotError::InvalidInput`] if `n < 2` or a range is empty or not finite.
fn grid_axes(x_range: (f64, f64), y_range: (f64, f64), n: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    if n < 2 {
        return Err(PlotError::InvalidInput(format!(
            "a grid needs at least 2 points per axis, got {n}"
        )));
    }
    for (name, (lo, hi)) in [("x", x_range), ("y", y_range)] {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(PlotError::InvalidInput(format!(
                "the {name} range ({lo}, {hi}) must be finite and increasing"
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
    /// (`θ = θ₀ + p₁ d₁ + p₂ d₂`, see [`Parameterisation::Plane`]) on an
    /// `n × n` grid. The title is the problem's name, the axes its [`XorProblem::axis_labels`]
    /// (rename them with [`LossGrid::with_labels`]).
    ///
    /// Evaluation is the same softplus cross-entropy as
    /// [`XorProblem`]'s `full_batch_cost` to within `1e−13` absolute (the softplus's
    /// logarithmic part comes from an accurate table) and fast: every layer
    /// before the first one the plane moves is evaluated once per example,
    /// and that layer's pre-activation is affine in `p`,
    /// `z(p) = Ŵ(θ₀) â + p₁ Ŵ(d₁) â + p₂ Ŵ(d₂) â`, so on the output-weight
    /// slice each grid point costs one multiply-add pair and one softplus
    /// per example.
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
        grid_axes(x_range, y_range, n)?; // a bad range fails before any set-up
        let eval = PlaneLoss::new(problem)?;
        let mut scratch = eval.scratch();
        let mut grid = Self::from_fn(x_range, y_range, n, |x, y| eval.loss(x, y, &mut scratch))?;
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

/// The full-batch loss on a 2-D plane through weight space, with the layers
/// the plane does not move evaluated once.
struct PlaneLoss<'a> {
    problem: &'a XorProblem,
    /// First layer with a moving weight.
    first: usize,
    /// Width of that layer's output.
    width: usize,
    /// Per example (row-major `N × width`): pre-activations at `p = 0` and
    /// their derivatives along `d₁` and `d₂`.
    z0: Vec<f64>,
    c1: Vec<f64>,
    c2: Vec<f64>,
    origin: Array1<f64>,
    d1: Array1<f64>,
    d2: Array1<f64>,
    /// `Σ y_n z0_n`, `Σ y_n c1_n`, `Σ y_n c2_n` (used when the plane moves
    /// only the output layer).
    label_sums: [f64; 3],
}

/// Per-point scratch: θ(p) and two activation buffers.
struct Scratch {
    theta: Vec<f64>,
    a: Vec<f64>,
    b: Vec<f64>,
}

impl<'a> PlaneLoss<'a> {
    fn new(problem: &'a XorProblem) -> Result<Self> {
        let plane = match problem.parameterisation() {
            Parameterisation::Plane(pl) if pl.directions.nrows() == 2 => pl,
            Parameterisation::Plane(pl) => {
                return Err(PlotError::InvalidInput(format!(
                    "a loss grid needs a 2-D slice; this plane has {} directions",
                    pl.directions.nrows()
                )))
            }
            Parameterisation::Full => {
                return Err(PlotError::InvalidInput(
                    "a loss grid needs a 2-D slice; project a full-network problem onto a plane first (pca_plane)"
                        .into(),
                ))
            }
        };
        let mlp = problem.mlp();
        let layers = mlp.num_layers();
        let d1 = plane.directions.row(0).to_owned();
        let d2 = plane.directions.row(1).to_owned();
        let first = (0..layers)
            .find(|&l| {
                let (off, rows, cols) = mlp.layer_block(l);
                (off..off + rows * cols).any(|k| d1[k] != 0.0 || d2[k] != 0.0)
            })
            .unwrap_or(layers - 1);
        let data = problem.data();
        let origin = plane.origin.clone();
        let widths = mlp.widths();
        let width = widths[first + 1];
        let n = data.len();
        let (mut z0, mut c1, mut c2) = (
            Vec::with_capacity(n * width),
            Vec::with_capacity(n * width),
            Vec::with_capacity(n * width),
        );
        let mut a = Vec::new();
        let mut b = Vec::new();
        let origin_v = origin.to_vec();
        let (d1_v, d2_v) = (d1.to_vec(), d2.to_vec());
        for row in data.x.rows() {
            a.clear();
            a.extend(row.iter().copied());
            for l in 0..first {
                affine(mlp.layer_block(l), &origin_v, &a, &mut b);
                b.iter_mut().for_each(|v| *v = v.tanh());
                std::mem::swap(&mut a, &mut b);
            }
            let block = mlp.layer_block(first);
            // The pre-activation is affine in p: Ŵ(θ₀ + p₁d₁ + p₂d₂) â
            // = Ŵ(θ₀) â + p₁ Ŵ(d₁) â + p₂ Ŵ(d₂) â (â holds the constant 1
            // that multiplies the bias entries).
            for (dir, out) in [(&origin_v, &mut z0), (&d1_v, &mut c1), (&d2_v, &mut c2)] {
                affine(block, dir, &a, &mut b);
                out.extend_from_slice(&b);
            }
        }
        let dot = |v: &[f64]| -> f64 {
            if width == 1 {
                v.iter().zip(data.y.iter()).map(|(a, b)| a * b).sum()
            } else {
                f64::NAN
            }
        };
        let label_sums = [dot(&z0), dot(&c1), dot(&c2)];
        Ok(Self {
            problem,
            first,
            width,
            label_sums,
            z0,
            c1,
            c2,
            origin,
            d1,
            d2,
        })
    }

    fn scratch(&self) -> Scratch {
        Scratch {
            theta: vec![0.0; self.origin.len()],
            a: Vec::new(),
            b: Vec::new(),
        }
    }

    fn loss(&self, x: f64, y: f64, s: &mut Scratch) -> f64 {
        let mlp = self.problem.mlp();
        let layers = mlp.num_layers();
        let data = self.problem.data();
        let last = self.first + 1 == layers;
        if !last {
            for (k, t) in s.theta.iter_mut().enumerate() {
                *t = self.origin[k] + x * self.d1[k] + y * self.d2[k];
            }
        }
        let w = self.width;
        if last {
            // The logit is affine in p: z_n = z0_n + x c1_n + y c2_n, and
            // Σ y_n z_n = Σ y_n z0_n + x Σ y_n c1_n + y Σ y_n c2_n.
            let [yz0, yc1, yc2] = self.label_sums;
            let mut total = -(yz0 + x * yc1 + y * yc2);
            for ((&z0, &c1), &c2) in self.z0.iter().zip(&self.c1).zip(&self.c2) {
                total += fast_softplus(z0 + x * c1 + y * c2);
            }
            return total / data.len() as f64;
        }
        let mut total = 0.0;
        for (n, &label) in data.y.iter().enumerate() {
            let r = n * w..(n + 1) * w;
            s.a.clear();
            s.a.extend(
                self.z0[r.clone()]
                    .iter()
                    .zip(&self.c1[r.clone()])
                    .zip(&self.c2[r])
                    .map(|((&z, &c1), &c2)| (z + x * c1 + y * c2).tanh()),
            );
            for l in self.first + 1..layers {
                affine(mlp.layer_block(l), &s.theta, &s.a, &mut s.b);
                if l + 1 < layers {
                    s.b.iter_mut().for_each(|v| *v = v.tanh());
                }
                std::mem::swap(&mut s.a, &mut s.b);
            }
            let z = s.a[0];
            total += fast_softplus(z) - label * z;
        }
        total / data.len() as f64
    }
}

/// Spacing of the softplus table.
const SP_H: f64 = 1.0 / 256.0;
/// End of the softplus table; beyond it `ln(1 + e^{−u}) < 5e−18`.
const SP_MAX: f64 = 40.0;

/// `(f(u_k), h f′(u_k))` at `u_k = k h` for `f(u) = ln(1 + e^{−u})`.
fn softplus_table() -> &'static [(f64, f64)] {
    static TABLE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let n = (SP_MAX / SP_H) as usize + 2;
        (0..n)
            .map(|k| {
                let u = k as f64 * SP_H;
                let e = (-u).exp();
                (e.ln_1p(), -SP_H * e / (1.0 + e))
            })
            .collect()
    })
}

/// `softplus(z) = max(z, 0) + ln(1 + e^{−|z|})` with the logarithmic part
/// from a cubic Hermite table (`h = 1/256`, values and slopes exact): the
/// interpolation error is at most `h⁴ max|f⁗| / 384 < 1e−13` absolute,
/// invisible in a heatmap, and it is several times faster than `exp` plus
/// `ln_1p` (the loss grid's whole cost on the output-weight slice).
#[inline]
fn fast_softplus(z: f64) -> f64 {
    let u = z.abs();
    if u.is_nan() || u >= SP_MAX {
        // Far tails, and NaN: the exact formula.
        return softplus(z);
    }
    let table = softplus_table();
    let f = u / SP_H;
    let k = f as usize;
    let t = f - k as f64;
    let (f0, d0) = table[k];
    let (f1, d1) = table[k + 1];
    let t2 = t * t;
    let t3 = t2 * t;
    let h00 = 2.0 * t3 - 3.0 * t2 + 1.0;
    let h10 = t3 - 2.0 * t2 + t;
    let h01 = -2.0 * t3 + 3.0 * t2;
    let h11 = t3 - t2;
    z.max(0.0) + h00 * f0 + h10 * d0 + h01 * f1 + h11 * d1
}

/// `out = Ŵ â` for one example, with `Ŵ` the row-major `[W | b]` block
/// `(off, rows, cols)` of `theta`.
fn affine((off, rows, cols): (usize, usize, usize), theta: &[f64], a: &[f64], out: &mut Vec<f64>) {
    out.clear();
    for r in 0..rows {
        let w = &theta[off + r * cols..off + (r + 1) * cols];
        let mut z = w[cols - 1];
        for (wi, ai) in w[..cols - 1].iter().zip(a) {
            z += wi * ai;
        }
        out.push(z);
    }
}

/// The Hessian's eigenvalues on a regular grid over a 2-D slice.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvatureGrid {
    /// Grid abscissae, increasing.
    pub xs: Vec<f64>,
    /// Grid ordinates, increasing.
    pub ys: Vec<f64>,
    /// Smaller eigenvalue `λ₁` of the 2 × 2 Hessian, `ny × nx` (NaN where
    /// the Hessian could not be evaluated).
    pub lambda_min: Array2<f64>,
    /// Larger eigenvalue `λ₂`, `ny × nx`.
    pub lambda_max: Array2<f64>,
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
    /// `λ = (a + d)/2 ∓ √(((a − d)/2)² + b²)`.
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
        let lambda_min = eig.mapv(|e| e.0);
        let lambda_max = eig.mapv(|e| e.1);
        Ok(Self {
            xs,
            ys,
            lambda_min,
            lambda_max,
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
        let mut grid =
            Self::from_fn(
                x_range,
                y_range,
                n,
                |x, y| match argmin::core::Hessian::hessian(problem, &ndarray::array![x, y]) {
                    Ok(h) => (h[[0, 0]], 0.5 * (h[[0, 1]] + h[[1, 0]]), h[[1, 1]]),
                    Err(_) => (f64::NAN, f64::NAN, f64::NAN),
                },
            )?;
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
    /// zero within `tol · max|λ|` (flat / degenerate).
    pub fn class(&self, j: usize, i: usize, tol: f64) -> Option<u8> {
        let (lo, hi) = (self.lambda_min[[j, i]], self.lambda_max[[j, i]]);
        if !(lo.is_finite() && hi.is_finite()) {
            return None;
        }
        let thr = tol * lo.abs().max(hi.abs());
        if lo.abs() <= thr || hi.abs() <= thr || hi == 0.0 {
            return None;
        }
        Some((lo > 0.0) as u8 + (hi > 0.0) as u8)
    }

    /// `log₁₀ κ` with `κ = max|λ| / min|λ|`, `ny × nx` (`+∞` where singular,
    /// NaN where undefined).
    pub fn log10_condition(&self) -> Array2<f64> {
        let mut out = Array2::from_elem(self.lambda_min.dim(), f64::NAN);
        for ((j, i), o) in out.indexed_iter_mut() {
            let (a, b) = (self.lambda_min[[j, i]].abs(), self.lambda_max[[j, i]].abs());
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

/// Eigenvalues `(λ_min, λ_max)` of `[[a, b], [b, d]]`, in a form that keeps
/// full relative accuracy for the larger-magnitude one.
pub(crate) fn sym2_eigenvalues(a: f64, b: f64, d: f64) -> (f64, f64) {
    if !(a.is_finite() && b.is_finite() && d.is_finite()) {
        return (f64::NAN, f64::NAN);
    }
    let m = 0.5 * (a + d);
    let r = (0.5 * (a - d)).hypot(b);
    // λ_big = m ± r with the sign of m avoids cancellation; the other one
    // from the determinant, λ₁ λ₂ = a d − b².
    let det = a * d - b * b;
    let big = if m >= 0.0 { m + r } else { m - r };
    let small = if big != 0.0 { det / big } else { 0.0 };
    (big.min(small), big.max(small))
}

/// A view `((x_lo, x_hi), (y_lo, y_hi))` framing a set of 2-D paths.
///
/// The core box covers every start point, every finite iterate of the runs
/// that did not diverge, and `include` (e.g. a region of interest). Iterates
/// of diverged runs widen it by at most the core box's own size on each side,
/// so a run that flew off to 10¹² does not shrink everything else to a dot.
/// Finally `margin` (a fraction of the width and height) is added on each
/// side, and a degenerate box is widened to at least ±1 around its centre.
/// Only the first two coordinates of each iterate are used; without any
/// finite point the view is `((-1, 1), (-1, 1))`.
pub fn view_bounds(
    traces: &[Trace],
    include: Option<((f64, f64), (f64, f64))>,
    margin: f64,
) -> ((f64, f64), (f64, f64)) {
    let finite2 = |p: &Vec<f64>| p.len() >= 2 && p[0].is_finite() && p[1].is_finite();
    let mut core = BBox::default();
    if let Some(((x0, x1), (y0, y1))) = include {
        core.add(x0, y0);
        core.add(x1, y1);
    }
    for t in traces {
        if let Some(p) = t.iterates.first().filter(|p| finite2(p)) {
            core.add(p[0], p[1]);
        }
        if !t.diverged() {
            for p in t.iterates.iter().filter(|p| finite2(p)) {
                core.add(p[0], p[1]);
            }
        }
    }
    let mut bx = core.clone();
    if let Some(((x0, x1), (y0, y1))) = core.bounds() {
        let (w, h) = ((x1 - x0).max(1.0), (y1 - y0).max(1.0));
        for t in traces.iter().filter(|t| t.diverged()) {
            for p in t.iterates.iter().filter(|p| finite2(p)) {
                bx.add(p[0].clamp(x0 - w, x1 + w), p[1].clamp(y0 - h, y1 + h));
            }
        }
    } else {
        for t in traces {
            for p in t.iterates.iter().filter(|p| finite2(p)) {
                bx.add(p[0].clamp(-1e6, 1e6), p[1].clamp(-1e6, 1e6));
            }
        }
    }
    let Some(((mut x0, mut x1), (mut y0, mut y1))) = bx.bounds() else {
        return ((-1.0, 1.0), (-1.0, 1.0));
    };
    let widen = |lo: &mut f64, hi: &mut f64| {
        if *hi - *lo < 1e-9 * lo.abs().max(hi.abs()).max(1.0) {
            *lo -= 1.0;
            *hi += 1.0;
        }
    };
    widen(&mut x0, &mut x1);
    widen(&mut y0, &mut y1);
    let m = margin.max(0.0);
    let (dx, dy) = ((x1 - x0) * m, (y1 - y0) * m);
    ((x0 - dx, x1 + dx), (y0 - dy, y1 + dy))
}

#[derive(Clone, Default)]
struct BBox(Option<((f64, f64), (f64, f64))>);

impl BBox {
    fn add(&mut self, x: f64, y: f64) {
        self.0 = Some(match self.0 {
            None => ((x, x), (y, y)),
            Some(((x0, x1), (y0, y1))) => ((x0.min(x), x1.max(x)), (y0.min(y), y1.max(y))),
        });
    }
    fn bounds(&self) -> Option<((f64, f64), (f64, f64))> {
        self.0
    }
}

/// The iso-line `value = level` of a grid, as straight segments
/// `[(x, y), (x, y)]`, by marching squares with linear interpolation along
/// cell edges (ambiguous saddle cells resolved by the cell's mean). Cells with
/// a non-finite corner are skipped.
pub fn contour_segments(grid: &LossGrid, level: f64) -> Vec<[(f64, f64); 2]> {
    marching_squares(&grid.xs, &grid.ys, &grid.values, level, |v| v)
}

/// Marching squares on `f(values)` (e.g. `log10`) at `f(level)`.
pub(crate) fn marching_squares(
    xs: &[f64],
    ys: &[f64],
    values: &Array2<f64>,
    level: f64,
    f: impl Fn(f64) -> f64,
) -> Vec<[(f64, f64); 2]> {
    let fv: Vec<f64> = values.iter().map(|&v| f(v)).collect();
    march(xs, ys, &fv, f(level))
}

/// Marching squares on row-major values `fv` (`ys.len() × xs.len()`) at `lv`.
pub(crate) fn march(xs: &[f64], ys: &[f64], fv: &[f64], lv: f64) -> Vec<[(f64, f64); 2]> {
    let mut out = Vec::new();
    let (ny, nx) = (ys.len(), xs.len());
    if !lv.is_finite() || fv.len() != nx * ny {
        return out;
    }
    let at = |j: usize, i: usize| fv[j * nx + i];
    for j in 0..ny.saturating_sub(1) {
        for i in 0..nx.saturating_sub(1) {
            // Corners counter-clockwise from bottom-left.
            let c = [at(j, i), at(j, i + 1), at(j + 1, i + 1), at(j + 1, i)];
            if c.iter().any(|v| !v.is_finite()) {
                continue;
            }
            let p = [
                (xs[i], ys[j]),
                (xs[i + 1], ys[j]),
                (xs[i + 1], ys[j + 1]),
                (xs[i], ys[j + 1]),
            ];
            let above = [c[0] > lv, c[1] > lv, c[2] > lv, c[3] > lv];
            if above.iter().all(|&a| a == above[0]) {
                continue;
            }
            // Crossing points on edges k = (corner k, corner k+1).
            let mut pts = [(0usize, (0.0, 0.0)); 4];
            let mut np = 0;
            for k in 0..4 {
                let k2 = (k + 1) % 4;
                if above[k] != above[k2] {
                    let t = (lv - c[k]) / (c[k2] - c[k]);
                    pts[np] = (
                        k,
                        (
                            p[k].0 + t * (p[k2].0 - p[k].0),
                            p[k].1 + t * (p[k2].1 - p[k].1),
                        ),
                    );
                    np += 1;
                }
            }
            match np {
                2 => out.push([pts[0].1, pts[1].1]),
                4 => {
                    // Saddle cell: join edges according to the centre value.
                    let centre = 0.25 * c.iter().sum::<f64>();
                    let q = [pts[0].1, pts[1].1, pts[2].1, pts[3].1];
                    if (centre > lv) == above[0] {
                        out.push([q[0], q[1]]);
                        out.push([q[2], q[3]]);
                    } else {
                        out.push([q[3], q[0]]);
                        out.push([q[1], q[2]]);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The title and axis labels a grid over `problem` carries: the problem's
/// name and its [`XorProblem::axis_labels`] (the defaults when it has not two).
fn titles(problem: &XorProblem, x: &str, y: &str) -> (String, String, String) {
    let (x, y) = match problem.axis_labels() {
        [a, b] => (a.clone(), b.clone()),
        _ => (x.to_string(), y.to_string()),
    };
    (problem.name().to_string(), x, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Counts, StopReason};
    use ndarray::array;

    fn trace(points: &[(f64, f64)], stop: StopReason) -> Trace {
        let n = points.len();
        Trace {
            optimizer: "t".into(),
            problem: "p".into(),
            iterates: points.iter().map(|&(x, y)| vec![x, y]).collect(),
            loss: vec![1.0; n],
            grad_norm: vec![1.0; n],
            counts: vec![Counts::default(); n],
            elapsed_ms: vec![0.0; n],
            stop,
            settings: Default::default(),
        }
    }

    #[test]
    fn fast_plane_loss_matches_problem_on_both_presets() {
        for problem in [XorProblem::reference(), XorProblem::hidden_slice()] {
            let eval = PlaneLoss::new(&problem).unwrap();
            let mut s = eval.scratch();
            for &(x, y) in &[(0.0, 0.0), (2.0, -2.0), (-1.3, 0.7), (3.5, 2.25)] {
                let fast = eval.loss(x, y, &mut s);
                let slow = crate::curvature::MiniBatched::full_batch_cost(&problem, &array![x, y])
                    .unwrap();
                assert!(
                    (fast - slow).abs() <= 1e-12 * slow.max(1.0),
                    "{fast} vs {slow}"
                );
            }
        }
    }

    #[test]
    fn table_softplus_is_accurate() {
        let mut worst = 0.0_f64;
        for k in 0..200_000 {
            let z = -45.0 + 90.0 * k as f64 / 200_000.0 + 1e-7;
            worst = worst.max((fast_softplus(z) - softplus(z)).abs());
        }
        assert!(worst < 1e-13, "worst error {worst}");
        assert!(fast_softplus(f64::NAN).is_nan());
        assert_eq!(fast_softplus(1e300), 1e300);
        assert_eq!(fast_softplus(f64::NEG_INFINITY), 0.0);
    }

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

    #[test]
    fn view_bounds_ignore_runaway_iterates() {
        let good = trace(&[(2.0, -2.0), (0.5, 0.5)], StopReason::StepNorm);
        let bad = trace(
            &[(2.0, -2.0), (50.0, 1e12), (f64::NAN, 1.0)],
            StopReason::Diverged("x".into()),
        );
        let ((x0, x1), (y0, y1)) = view_bounds(&[good.clone(), bad], None, 0.0);
        assert_eq!((x0, y0), (0.5, -2.0));
        assert!(
            x1 <= 2.0 + 1.5 + 1e-12 && y1 <= 0.5 + 2.5 + 1e-12,
            "{x1} {y1}"
        );
        let ((x0, x1), _) = view_bounds(&[good], None, 0.1);
        assert!((x0 - 0.35).abs() < 1e-12 && (x1 - 2.15).abs() < 1e-12);
        assert_eq!(view_bounds(&[], None, 0.1), ((-1.0, 1.0), (-1.0, 1.0)));
        let single = trace(&[(3.0, 3.0)], StopReason::MaxIters);
        assert_eq!(view_bounds(&[single], None, 0.0), ((2.0, 4.0), (2.0, 4.0)));
    }

    #[test]
    fn contours_of_a_cone_are_circles() {
        let g =
            LossGrid::from_fn((-2.0, 2.0), (-2.0, 2.0), 81, |x, y| (x * x + y * y).sqrt()).unwrap();
        let segs = contour_segments(&g, 1.0);
        assert!(segs.len() > 50);
        for s in &segs {
            for &(x, y) in s {
                let r = (x * x + y * y).sqrt();
                assert!((r - 1.0).abs() < 0.01, "r = {r}");
            }
        }
        // Total length ≈ 2π.
        let len: f64 = segs
            .iter()
            .map(|s| ((s[1].0 - s[0].0).powi(2) + (s[1].1 - s[0].1).powi(2)).sqrt())
            .sum();
        assert!((len - std::f64::consts::TAU).abs() < 0.02, "{len}");
    }
}
