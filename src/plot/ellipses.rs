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
//! [`curvature_zoo`] collects the matrices an [`XorProblem`] can give at a
//! point (Hessian, GGN, the three Fishers, K-FAC); for a problem with more
//! than two parameters, [`NamedMatrix::project`] restricts each to a 2-D
//! subspace (for example [`top_eigen_basis`] of the GGN), `Q C Qᵀ`, which is
//! the curvature of the loss restricted to that plane.

use ndarray::{Array1, Array2};
use plotters::coord::Shift;
use plotters::element::PathElement;
use plotters::prelude::*;
use plotters::style::RGBAColor;

use super::colour::{rgb, tick};
use super::kit::{clip_segment, font_scale, fsize, note, titled, INK, MUTED};
use super::{draw_err, Figure, PlotError, Result, FONT};
use crate::curvature::{sym_eig, CurvatureProducts, FisherKind, KfacCurvature};
use crate::problem::XorProblem;
use argmin::core::Hessian;

/// A symmetric curvature matrix with the name its legend entry shows.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedMatrix {
    /// Legend name, e.g. `"Hessian"`.
    pub name: String,
    /// The symmetric matrix (`k × k`; 2 × 2 to be drawn).
    pub matrix: Array2<f64>,
}

impl NamedMatrix {
    /// A named matrix.
    pub fn new(name: impl Into<String>, matrix: Array2<f64>) -> Self {
        Self {
            name: name.into(),
            matrix,
        }
    }

    /// The matrix restricted to the subspace spanned by the rows of `basis`
    /// (`m × k`): `Q C Qᵀ` with `Q` the rows of `basis` orthonormalised in
    /// order (Gram–Schmidt), so `sᵀ (Q C Qᵀ) s` is the form of `C` at the
    /// point `Qᵀ s` of the subspace. The name is kept.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] if the shapes do not fit, an entry is not
    /// finite, or the rows of `basis` are linearly dependent.
    pub fn project(&self, basis: &Array2<f64>) -> Result<Self> {
        Ok(Self::new(
            self.name.clone(),
            project_curvature(&self.matrix, basis)?,
        ))
    }
}

/// `Q C Qᵀ` for the rows of `basis` (`m × k`) orthonormalised in order; see
/// [`NamedMatrix::project`]. The result is symmetrised.
///
/// # Errors
/// [`PlotError::InvalidInput`] if `c` is not square `k × k`, the shapes do
/// not fit, an entry is not finite, or the rows of `basis` are linearly
/// dependent (a row's part orthogonal to the previous ones is shorter than
/// `1e−10` of the row).
pub fn project_curvature(c: &Array2<f64>, basis: &Array2<f64>) -> Result<Array2<f64>> {
    let k = c.nrows();
    if c.ncols() != k || basis.ncols() != k || basis.nrows() == 0 {
        return Err(PlotError::InvalidInput(format!(
            "cannot project a {} × {} matrix onto {} directions of length {}",
            c.nrows(),
            c.ncols(),
            basis.nrows(),
            basis.ncols()
        )));
    }
    if c.iter().chain(basis.iter()).any(|v| !v.is_finite()) {
        return Err(PlotError::InvalidInput(
            "the matrix or the basis has non-finite entries".into(),
        ));
    }
    let mut q = basis.to_owned();
    for i in 0..q.nrows() {
        let norm0 = q.row(i).dot(&q.row(i)).sqrt();
        for j in 0..i {
            let proj = q.row(i).dot(&q.row(j));
            let qj = q.row(j).to_owned();
            q.row_mut(i).scaled_add(-proj, &qj);
        }
        let norm = q.row(i).dot(&q.row(i)).sqrt();
        if norm.is_nan() || norm <= 1e-10 * norm0 || norm == 0.0 {
            return Err(PlotError::InvalidInput(format!(
                "direction {} of the basis is zero or depends on the previous ones",
                i + 1
            )));
        }
        q.row_mut(i).mapv_inplace(|v| v / norm);
    }
    let m = q.dot(c).dot(&q.t());
    let mt = m.t().to_owned();
    Ok((m + mt) * 0.5)
}

/// The two leading eigenvectors of a symmetric matrix (those of its largest
/// eigenvalues), as the rows of a `2 × k` basis for
/// [`NamedMatrix::project`], each signed so that its largest entry in size
/// is positive (so the picture does not flip between machines).
///
/// # Errors
/// [`PlotError::InvalidInput`] for a matrix smaller than 2 × 2 or not
/// square; [`PlotError::Problem`] if the eigendecomposition fails (for
/// example on non-finite entries).
pub fn top_eigen_basis(c: &Array2<f64>) -> Result<Array2<f64>> {
    let k = c.nrows();
    if k < 2 || c.ncols() != k {
        return Err(PlotError::InvalidInput(format!(
            "need a square matrix of order ≥ 2, got {} × {}",
            c.nrows(),
            c.ncols()
        )));
    }
    let (_, u) = sym_eig(c)?;
    let mut b = Array2::zeros((2, k));
    b.row_mut(0).assign(&u.column(k - 1));
    b.row_mut(1).assign(&u.column(k - 2));
    // An eigenvector's sign is arbitrary (LAPACK's choice can differ between
    // machines): make each one's largest entry in size positive.
    for mut row in b.rows_mut() {
        let big = row
            .iter()
            .copied()
            .fold(0.0_f64, |m, v| if v.abs() > m.abs() { v } else { m });
        if big < 0.0 {
            row.mapv_inplace(|v| -v);
        }
    }
    Ok(b)
}

/// The curvature zoo of `problem` at `p`, in the problem's parameter space:
/// the Hessian, the GGN, the exact Fisher, the Monte-Carlo Fisher with
/// `mc_samples` labels per example drawn with `mc_seed`, the empirical
/// Fisher, and K-FAC (`blockdiag(G_l ⊗ A_l)` of the exact Fisher, mapped
/// to `p`-space). See [`crate::curvature`] for the definitions.
///
/// For sigmoid + cross-entropy the exact Fisher equals the GGN, so their
/// curves coincide; on a model linear in `p` (the reference output slice)
/// the Hessian does too.
///
/// # Errors
/// [`PlotError::Problem`] if `p` has the wrong length or an evaluation fails.
pub fn curvature_zoo(
    problem: &XorProblem,
    p: &Array1<f64>,
    mc_samples: usize,
    mc_seed: u64,
) -> Result<Vec<NamedMatrix>> {
    let wrap = |e: argmin::core::Error| PlotError::Problem(crate::Error::from(e));
    let hessian = problem.hessian(p).map_err(wrap)?;
    let ggn = problem.ggn(p).map_err(wrap)?;
    let exact = problem.fisher(p, FisherKind::Exact)?;
    let mc = problem.fisher(
        p,
        FisherKind::MonteCarlo {
            samples: mc_samples,
            seed: mc_seed,
        },
    )?;
    let emp = problem.fisher(p, FisherKind::Empirical)?;
    let kfac = problem
        .kfac_factors(p, FisherKind::Exact)
        .map_err(wrap)?
        .dense();
    Ok(vec![
        NamedMatrix::new("Hessian", hessian),
        NamedMatrix::new("GGN", ggn),
        NamedMatrix::new("Fisher (exact)", exact),
        NamedMatrix::new(format!("Fisher (MC, S = {mc_samples})"), mc),
        NamedMatrix::new("Fisher (empirical)", emp),
        NamedMatrix::new("K-FAC", kfac),
    ])
}

/// What the unit curve of a 2 × 2 symmetric matrix is (see the
/// [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CurveKind {
    /// Both eigenvalues positive: an ellipse.
    Ellipse,
    /// One negative, one positive eigenvalue: hyperbolas for `±1`.
    Hyperbola,
    /// One zero, one positive eigenvalue: a pair of parallel lines.
    ParallelLines,
    /// Both negative: no `+1` curve, an ellipse for `−1`.
    NegativeEllipse,
    /// One zero, one negative: a pair of parallel lines for `−1`.
    NegativeParallelLines,
    /// The zero matrix: no curve.
    Empty,
}

/// An eigenvalue with `|λ| ≤ ZERO_TOL · max|λ|` counts as zero.
pub const ZERO_TOL: f64 = 1e-12;

/// The unit curves of one 2 × 2 symmetric matrix within a disk.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitCurves {
    /// Eigenvalues, ascending.
    pub eigenvalues: [f64; 2],
    /// Unit eigenvectors, `eigenvectors[i]` for `eigenvalues[i]`.
    pub eigenvectors: [[f64; 2]; 2],
    /// The shape of the curves.
    pub kind: CurveKind,
    /// Pieces (polylines) of `sᵀCs = +1` inside the disk.
    pub plus: Vec<Vec<(f64, f64)>>,
    /// Pieces of `sᵀCs = −1` inside the disk.
    pub minus: Vec<Vec<(f64, f64)>>,
    /// Whether some piece reaches the edge of the disk (a curve that does
    /// not fit the view, or an unbounded one).
    pub clipped: bool,
}

impl UnitCurves {
    /// Semi-axis lengths `1/√|λ_i|` along each eigenvector (`+∞` for a zero
    /// eigenvalue): where the `±1` curve crosses that axis.
    pub fn semi_axes(&self) -> [f64; 2] {
        let scale = self.eigenvalues[0].abs().max(self.eigenvalues[1].abs());
        self.eigenvalues.map(|l| {
            if l.abs() <= ZERO_TOL * scale || l == 0.0 {
                f64::INFINITY
            } else {
                1.0 / l.abs().sqrt()
            }
        })
    }

    /// A short description for a legend: `"indefinite: 1 negative
    /// eigenvalue"`, `"singular: parallel lines"`, …; empty for an ellipse
    /// that fits the view, `"clipped to the view"` for one that does not.
    pub fn note(&self) -> String {
        match self.kind {
            CurveKind::Ellipse if self.clipped => "ellipse clipped to the view".into(),
            CurveKind::Ellipse => String::new(),
            CurveKind::Hyperbola => "indefinite: 1 negative eigenvalue (dashed: −1)".into(),
            CurveKind::ParallelLines => "singular: parallel lines".into(),
            CurveKind::NegativeEllipse => "negative definite (dashed: −1)".into(),
            CurveKind::NegativeParallelLines => "singular, negative (dashed: −1)".into(),
            CurveKind::Empty => "zero matrix: no curve".into(),
        }
    }
}

/// Eigenvalues (ascending) and unit eigenvectors of a symmetric 2 × 2
/// matrix, in closed form.
fn eig2(a: f64, b: f64, d: f64) -> ([f64; 2], [[f64; 2]; 2]) {
    let m = 0.5 * (a + d);
    let r = (0.5 * (a - d)).hypot(b);
    let theta = 0.5 * (2.0 * b).atan2(a - d);
    let (s, c) = theta.sin_cos();
    ([m - r, m + r], [[-s, c], [c, s]])
}

/// Checks that `c` is a finite symmetric 2 × 2 matrix; returns `(a, b, d)`.
fn check_sym2(c: &Array2<f64>) -> Result<(f64, f64, f64)> {
    if c.dim() != (2, 2) {
        return Err(PlotError::InvalidInput(format!(
            "a unit curve needs a 2 × 2 matrix, got {} × {} (project it first)",
            c.nrows(),
            c.ncols()
        )));
    }
    if c.iter().any(|v| !v.is_finite()) {
        return Err(PlotError::InvalidInput(
            "the matrix has non-finite entries".into(),
        ));
    }
    let scale = c.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    if (c[[0, 1]] - c[[1, 0]]).abs() > 1e-9 * scale {
        return Err(PlotError::InvalidInput(format!(
            "the matrix is not symmetric ({:.3e} against {:.3e})",
            c[[0, 1]],
            c[[1, 0]]
        )));
    }
    Ok((c[[0, 0]], 0.5 * (c[[0, 1]] + c[[1, 0]]), c[[1, 1]]))
}

/// The unit curves `sᵀCs = ±1` of a symmetric 2 × 2 matrix `c` inside the
/// disk `‖s‖ ≤ radius`, with its eigen-decomposition and shape.
///
/// ```
/// use quad_vs_grad::plot::unit_curves;
/// use quad_vs_grad::prelude::*;
///
/// let c = array![[4.0, 0.0], [0.0, 1.0]];
/// let u = unit_curves(&c, 3.0)?;
/// assert_eq!(u.semi_axes(), [1.0, 0.5]); // 1/√1 along y, 1/√4 along x
/// let far = u.plus[0].iter().map(|&(x, y)| x.hypot(y)).fold(0.0, f64::max);
/// assert!((far - 1.0).abs() < 1e-12);
/// # Ok::<(), quad_vs_grad::plot::PlotError>(())
/// ```
///
/// # Errors
/// [`PlotError::InvalidInput`] if `c` is not 2 × 2, has a non-finite entry,
/// is not symmetric (`|c₁₂ − c₂₁| > 1e−9 · max|c_ij|`), or `radius` is not a
/// positive finite number.
pub fn unit_curves(c: &Array2<f64>, radius: f64) -> Result<UnitCurves> {
    let (a, b, d) = check_sym2(c)?;
    if !(radius.is_finite() && radius > 0.0) {
        return Err(PlotError::InvalidInput(format!(
            "the view radius must be positive and finite, got {radius}"
        )));
    }
    let (ev, u) = eig2(a, b, d);
    let scale = ev[0].abs().max(ev[1].abs());
    let tol = ZERO_TOL * scale;
    let sign = |l: f64| {
        if l.abs() <= tol {
            0
        } else if l < 0.0 {
            -1
        } else {
            1
        }
    };
    let kind = match (sign(ev[0]), sign(ev[1])) {
        _ if scale == 0.0 => CurveKind::Empty,
        (1, 1) => CurveKind::Ellipse,
        (-1, 1) => CurveKind::Hyperbola,
        (0, 1) => CurveKind::ParallelLines,
        (-1, -1) => CurveKind::NegativeEllipse,
        (-1, 0) => CurveKind::NegativeParallelLines,
        _ => CurveKind::Empty,
    };
    let mut out = UnitCurves {
        eigenvalues: ev,
        eigenvectors: u,
        kind,
        plus: Vec::new(),
        minus: Vec::new(),
        clipped: false,
    };
    if kind == CurveKind::Empty {
        return Ok(out);
    }

    // The form along a ray, with the level it meets (0: none) and the point.
    let q = |phi: f64| {
        let (s, c) = phi.sin_cos();
        a * c * c + 2.0 * b * c * s + d * s * s
    };
    let point = |phi: f64| -> (i8, (f64, f64)) {
        let v = q(phi);
        if v.abs() <= tol {
            return (0, (0.0, 0.0));
        }
        let r = 1.0 / v.abs().sqrt();
        if r > radius {
            return (0, (0.0, 0.0));
        }
        let (s, c) = phi.sin_cos();
        (if v > 0.0 { 1 } else { -1 }, (r * c, r * s))
    };

    // Samples: a uniform grid plus the eigen-directions (q's extremes).
    const N: usize = 720;
    let tau = std::f64::consts::TAU;
    let theta = u[1][1].atan2(u[1][0]).rem_euclid(tau);
    let mut phis: Vec<f64> = (0..N).map(|i| tau * i as f64 / N as f64).collect();
    for k in 0..4 {
        phis.push((theta + k as f64 * 0.25 * tau).rem_euclid(tau));
    }
    phis.sort_by(f64::total_cmp);
    phis.dedup_by(|x, y| (*x - *y).abs() < 1e-15);
    let states: Vec<(i8, (f64, f64))> = phis.iter().map(|&p| point(p)).collect();
    let n = phis.len();
    // Start the walk at an invisible sample if there is one, so pieces
    // begin and end at the disk's edge; otherwise the curve is closed.
    let start = states.iter().position(|s| s.0 == 0);
    let closed = start.is_none();
    let start = start.unwrap_or(0);
    let max_chord = radius / 60.0;

    let mut pieces: Vec<(i8, Vec<(f64, f64)>)> = Vec::new();
    let mut cur: Option<(i8, Vec<(f64, f64)>)> = None;
    if closed {
        cur = Some((states[0].0, vec![states[0].1]));
    }
    for step in 0..n {
        let i = (start + step) % n;
        let j = (i + 1) % n;
        let (pa, pb) = (phis[i], if j == 0 { phis[0] + tau } else { phis[j] });
        let (sa, sb) = (states[i], states[j]);
        match (sa.0, sb.0) {
            (0, 0) => {}
            (la, lb) if la == lb => {
                let piece = cur.get_or_insert_with(|| (la, vec![sa.1]));
                refine(&point, pa, pb, sa.1, sb.1, max_chord, 0, &mut piece.1);
                piece.1.push(sb.1);
            }
            (la, lb) => {
                if la != 0 {
                    // leaving the disk (or the level) between pa and pb
                    let (phi, p) = bisect(&point, la, pa, pb);
                    if let Some(mut piece) = cur.take() {
                        refine(&point, pa, phi, sa.1, p, max_chord, 0, &mut piece.1);
                        piece.1.push(p);
                        pieces.push(piece);
                    }
                    out.clipped = true;
                }
                if lb != 0 {
                    let (phi, p) = bisect(&point, lb, pb, pa);
                    let mut v = vec![p];
                    refine(&point, phi, pb, p, sb.1, max_chord, 0, &mut v);
                    v.push(sb.1);
                    cur = Some((lb, v));
                    out.clipped = true;
                }
            }
        }
    }
    if let Some(piece) = cur.take() {
        pieces.push(piece);
    }
    for (level, piece) in pieces {
        if piece.len() < 2 {
            continue;
        }
        if level > 0 {
            out.plus.push(piece);
        } else {
            out.minus.push(piece);
        }
    }
    Ok(out)
}

/// The point on the level `level` nearest to the edge of its visible part
/// between `from` (visible on `level`) and `to` (not), by bisection in `φ`.
fn bisect(
    point: &impl Fn(f64) -> (i8, (f64, f64)),
    level: i8,
    mut from: f64,
    mut to: f64,
) -> (f64, (f64, f64)) {
    let mut best = point(from);
    for _ in 0..60 {
        let mid = 0.5 * (from + to);
        let s = point(mid);
        if s.0 == level {
            from = mid;
            best = s;
        } else {
            to = mid;
        }
    }
    (from, best.1)
}

/// Appends the points strictly between `φa` and `φb` needed so that no chord
/// is longer than `max_chord` (at most 2¹⁰ per interval).
#[allow(clippy::too_many_arguments)]
fn refine(
    point: &impl Fn(f64) -> (i8, (f64, f64)),
    pa: f64,
    pb: f64,
    a: (f64, f64),
    b: (f64, f64),
    max_chord: f64,
    depth: u32,
    out: &mut Vec<(f64, f64)>,
) {
    if depth >= 10 || (a.0 - b.0).hypot(a.1 - b.1) <= max_chord {
        return;
    }
    let mid = 0.5 * (pa + pb);
    let (level, m) = point(mid);
    if level == 0 {
        return;
    }
    refine(point, pa, mid, a, m, max_chord, depth + 1, out);
    out.push(m);
    refine(point, mid, pb, m, b, max_chord, depth + 1, out);
}

/// How [`draw_curvature_ellipses`] lays out its figure.
#[derive(Clone, Debug, PartialEq)]
pub struct EllipseStyle {
    /// Title (default `"Curvature ellipses sᵀCs = 1"`).
    pub title: String,
    /// Subtitle, e.g. the point (default empty).
    pub subtitle: String,
    /// Half-width of the square view around `s = 0`; `None` (default): from
    /// the curves (see [`auto_half_width`]).
    pub half_width: Option<f64>,
    /// Draw each matrix's eigenvector axes, dotted, up to its semi-axes
    /// (default `false`).
    pub eigen_axes: bool,
    /// Axis names (default `"s₁"`, `"s₂"`).
    pub axis_labels: (String, String),
}

impl Default for EllipseStyle {
    fn default() -> Self {
        Self {
            title: "Curvature ellipses sᵀCs = 1".into(),
            subtitle: String::new(),
            half_width: None,
            eigen_axes: false,
            axis_labels: ("s₁".into(), "s₂".into()),
        }
    }
}

/// The automatic half-width of the view: 1.15 times the longest finite
/// semi-axis of all matrices, but at most 6 times the longest of each
/// matrix's shortest semi-axis (so one near-singular matrix does not shrink
/// the others to dots); 1 when no matrix has a finite semi-axis.
///
/// # Errors
/// As [`unit_curves`], for each matrix.
pub fn auto_half_width(matrices: &[NamedMatrix]) -> Result<f64> {
    let mut longest = 0.0_f64;
    let mut shortest = 0.0_f64;
    for m in matrices {
        let u = unit_curves(&m.matrix, 1.0)?;
        let axes: Vec<f64> = u
            .semi_axes()
            .into_iter()
            .filter(|v| v.is_finite())
            .collect();
        if let Some(short) = axes.iter().copied().reduce(f64::min) {
            shortest = shortest.max(short);
        }
        longest = axes.iter().copied().fold(longest, f64::max);
    }
    if longest == 0.0 {
        return Ok(1.0);
    }
    Ok(1.15 * longest.min(6.0 * shortest))
}

/// The colour of the `i`-th matrix: a palette distinct on white, cycled.
fn zoo_colour(i: usize) -> RGBColor {
    const ZOO: [[u8; 3]; 7] = [
        [0x22, 0x22, 0x22], // near black
        [0x00, 0x72, 0xb2], // blue
        [0xe6, 0x9f, 0x00], // orange
        [0x00, 0x9e, 0x73], // green
        [0xcc, 0x79, 0xa7], // purple
        [0xd5, 0x5e, 0x00], // vermillion
        [0x56, 0xb4, 0xe9], // sky blue
    ];
    rgb(ZOO[i % ZOO.len()])
}

/// Line width in pixels of the `i`-th matrix: 2 (at font scale 1), or 6
/// when a later matrix coincides with it (`halo`), so the later one is
/// drawn as a thin line inside a wide band of the earlier one's colour and
/// both stay visible (the GGN and the exact Fisher always coincide here).
fn line_width(halo: bool, s: f64) -> u32 {
    ((if halo { 6.0 } else { 2.0 }) * s).round().max(1.0) as u32
}

/// Whether two matrices are equal up to `1e−9` of their size.
fn coincide(a: &Array2<f64>, b: &Array2<f64>) -> bool {
    let scale = a
        .iter()
        .chain(b.iter())
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    a.dim() == b.dim()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| (x - y).abs() <= 1e-9 * scale)
}

/// Splits a polyline into dashes of `on` followed by gaps of `off` (data units).
fn dashes(path: &[(f64, f64)], on: f64, off: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut pos = 0.0; // position within the on+off period
    let mut drawing = true;
    for w in path.windows(2) {
        let (mut a, b) = (w[0], w[1]);
        let mut len = (b.0 - a.0).hypot(b.1 - a.1);
        if drawing && cur.is_empty() {
            cur.push(a);
        }
        while len > 0.0 {
            let left = if drawing { on - pos } else { on + off - pos };
            if left >= len {
                pos += len;
                if drawing {
                    cur.push(b);
                }
                break;
            }
            let t = left / len;
            let p = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            if drawing {
                cur.push(p);
                out.push(std::mem::take(&mut cur));
            } else {
                cur = vec![p];
            }
            drawing = !drawing;
            pos = if drawing { 0.0 } else { on };
            len -= left;
            a = p;
        }
    }
    if cur.len() >= 2 {
        out.push(cur);
    }
    out
}

/// Clips a polyline to the square `[−h, h]²`, splitting it where it leaves.
fn clip_path(path: &[(f64, f64)], h: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for w in path.windows(2) {
        match clip_segment(w[0], w[1], (-h, h), (-h, h)) {
            Some((a, b)) => {
                if cur.last() != Some(&a) {
                    if cur.len() >= 2 {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur = vec![a];
                }
                cur.push(b);
            }
            None => {
                if cur.len() >= 2 {
                    out.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() >= 2 {
        out.push(cur);
    }
    out
}

/// Formats an eigenvalue for the legend with 3 significant digits.
fn fmt_eig(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if (1e-3..1e4).contains(&v.abs()) {
        let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
        format!("{v:.digits$}")
    } else {
        format!("{v:.2e}")
    }
}

/// Draws the unit curves of every matrix on any plotters backend: a square
/// view with equal axes on the left, each matrix in its own colour (`+1`
/// solid, `−1` dashed, eigenvector axes dotted when
/// [`EllipseStyle::eigen_axes`]; a matrix equal to an earlier one is drawn
/// thin inside a wide band of the earlier one), and on the right a legend with each name,
/// its eigenvalues and what its curve is (see [`UnitCurves::note`]).
///
/// # Errors
/// [`PlotError::InvalidInput`] if there is no matrix, a matrix is not a
/// finite symmetric 2 × 2 matrix, or the half-width is not positive and
/// finite; [`PlotError::Drawing`] if the backend fails.
pub fn draw_curvature_ellipses<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    matrices: &[NamedMatrix],
    style: &EllipseStyle,
) -> Result<()> {
    if matrices.is_empty() {
        return Err(PlotError::InvalidInput("no matrix to draw".into()));
    }
    let h = match style.half_width {
        Some(h) => h,
        None => auto_half_width(matrices)?,
    };
    if !(h.is_finite() && h > 0.0) {
        return Err(PlotError::InvalidInput(format!(
            "the view half-width must be positive and finite, got {h}"
        )));
    }
    let curves = matrices
        .iter()
        .map(|m| unit_curves(&m.matrix, h * std::f64::consts::SQRT_2 * 1.01))
        .collect::<Result<Vec<_>>>()?;

    let area = titled(root, &style.title, &style.subtitle)?;
    let s = font_scale(root);
    let (w, ht) = area.dim_in_pixel();
    let legend_w = ((w as f64 * 0.36).max(200.0 * s) as u32).min(w / 2);
    let side = (w - legend_w).min(ht);
    let (plot_area, rest) = area.split_horizontally(side);
    let plot_area = plot_area.margin(0, 0, 0, 0);
    let label = (44.0 * s) as u32;
    let margin = (10.0 * s) as u32;
    let square = plot_area.margin(0, (ht - side) as i32, 0, 0);
    let mut chart = ChartBuilder::on(&square)
        .margin(margin)
        .x_label_area_size(label)
        .y_label_area_size(label)
        .build_cartesian_2d(-h..h, -h..h)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc(style.axis_labels.0.as_str())
        .y_desc(style.axis_labels.1.as_str())
        .axis_desc_style((FONT, fsize(14.0 * s)))
        .label_style((FONT, fsize(12.0 * s)))
        .x_label_formatter(&|v| tick(*v, 2.0 * h))
        .y_label_formatter(&|v| tick(*v, 2.0 * h))
        .light_line_style(RGBAColor(0, 0, 0, 0.04))
        .bold_line_style(RGBAColor(0, 0, 0, 0.10))
        .axis_style(INK)
        .draw()
        .map_err(draw_err)?;

    // same[i]: the earlier matrix that matrix i coincides with, if any.
    let same: Vec<Option<usize>> = (0..matrices.len())
        .map(|i| (0..i).find(|&j| coincide(&matrices[j].matrix, &matrices[i].matrix)))
        .collect();
    let halo: Vec<bool> = (0..matrices.len())
        .map(|i| same.contains(&Some(i)))
        .collect();
    let (on, off) = (h / 30.0, h / 45.0);
    for (i, u) in curves.iter().enumerate() {
        let colour = zoo_colour(i);
        let lw = line_width(halo[i], s);
        if style.eigen_axes {
            let axes = u.semi_axes();
            for (k, v) in u.eigenvectors.iter().enumerate() {
                let len = if axes[k].is_finite() {
                    axes[k]
                } else {
                    2.0 * h
                };
                let seg = [(-len * v[0], -len * v[1]), (len * v[0], len * v[1])];
                for piece in clip_path(&seg, h) {
                    for d in dashes(&piece, h / 120.0, h / 80.0) {
                        chart
                            .draw_series(std::iter::once(PathElement::new(
                                d,
                                colour.mix(0.6).stroke_width(1),
                            )))
                            .map_err(draw_err)?;
                    }
                }
            }
        }
        for piece in &u.plus {
            for p in clip_path(piece, h) {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        p,
                        colour.stroke_width(lw),
                    )))
                    .map_err(draw_err)?;
            }
        }
        for piece in &u.minus {
            for p in clip_path(piece, h) {
                for d in dashes(&p, on, off) {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            d,
                            colour.stroke_width(lw),
                        )))
                        .map_err(draw_err)?;
                }
            }
        }
    }

    // The legend: a sample line, the name, the eigenvalues and the note.
    let x0 = (12.0 * s) as i32;
    let mut y = (30.0 * s) as i32;
    let size = 13.0 * s;
    for (i, (m, u)) in matrices.iter().zip(&curves).enumerate() {
        let colour = zoo_colour(i);
        let lw = line_width(halo[i], s);
        let seg = (30.0 * s) as i32;
        rest.draw(&PathElement::new(
            vec![(x0, y), (x0 + seg, y)],
            colour.stroke_width(lw),
        ))
        .map_err(draw_err)?;
        note(&rest, &m.name, (x0 + seg + (8.0 * s) as i32, y), size, &INK)?;
        y += (18.0 * s) as i32;
        let eig = format!(
            "λ = {}, {}",
            fmt_eig(u.eigenvalues[0]),
            fmt_eig(u.eigenvalues[1])
        );
        note(
            &rest,
            &eig,
            (x0 + seg + (8.0 * s) as i32, y),
            0.85 * size,
            &MUTED,
        )?;
        let mut extra = u.note();
        if let Some(j) = same[i] {
            let also = format!("same as {} (thin line inside)", matrices[j].name);
            extra = if extra.is_empty() {
                also
            } else {
                format!("{also}; {extra}")
            };
        }
        if !extra.is_empty() {
            y += (16.0 * s) as i32;
            note(
                &rest,
                &extra,
                (x0 + seg + (8.0 * s) as i32, y),
                0.85 * size,
                &MUTED,
            )?;
        }
        y += (26.0 * s) as i32;
    }
    Ok(())
}

/// [`draw_curvature_ellipses`] as a PNG [`Figure`] of `width × height`.
///
/// ```
/// use quad_vs_grad::plot::{curvature_ellipses_figure, EllipseStyle, NamedMatrix};
/// use quad_vs_grad::prelude::*;
///
/// let zoo = vec![
///     NamedMatrix::new("bowl", array![[2.0, 0.5], [0.5, 1.0]]),
///     NamedMatrix::new("saddle", array![[1.0, 0.0], [0.0, -0.5]]),
/// ];
/// let fig = curvature_ellipses_figure(&zoo, &EllipseStyle::default(), 860, 560)?;
/// assert_eq!((fig.width(), fig.height()), (860, 560));
/// # Ok::<(), quad_vs_grad::plot::PlotError>(())
/// ```
///
/// # Errors
/// As [`draw_curvature_ellipses`], and [`PlotError::InvalidInput`] for a
/// size out of range.
pub fn curvature_ellipses_figure(
    matrices: &[NamedMatrix],
    style: &EllipseStyle,
    width: u32,
    height: u32,
) -> Result<Figure> {
    super::render_png(width, height, |root| {
        draw_curvature_ellipses(root, matrices, style)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn eig2_matches_definition() {
        for (a, b, d) in [
            (2.0, 0.5, 1.0),
            (1.0, 0.0, -3.0),
            (0.0, 1.0, 0.0),
            (5.0, -2.0, 5.0),
        ] {
            let (ev, u) = eig2(a, b, d);
            let m = array![[a, b], [b, d]];
            for k in 0..2 {
                let v = array![u[k][0], u[k][1]];
                let r = m.dot(&v) - &v * ev[k];
                assert!(r.iter().all(|x| x.abs() < 1e-12), "{a} {b} {d}");
            }
            assert!(ev[0] <= ev[1]);
        }
    }

    #[test]
    fn dashes_cover_about_their_share() {
        let path = vec![(0.0, 0.0), (10.0, 0.0)];
        let d = dashes(&path, 1.0, 1.0);
        assert_eq!(d.len(), 5);
        let total: f64 = d.iter().map(|p| p[p.len() - 1].0 - p[0].0).sum();
        assert!((total - 5.0).abs() < 1e-12);
    }

    #[test]
    fn clip_path_splits_at_the_box() {
        let path = vec![(-3.0, 0.0), (3.0, 0.0), (3.0, 5.0), (0.0, 0.5)];
        let c = clip_path(&path, 1.0);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0], vec![(-1.0, 0.0), (1.0, 0.0)]);
    }
}
