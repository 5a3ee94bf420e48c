//! The unit curves `sᵀCs = ±1` of a 2 × 2 symmetric matrix inside a disk,
//! [`unit_curves`], in closed form (no LAPACK).

use ndarray::Array2;

use crate::plot::error::{PlotError, Result};

/// What the unit curve of a 2 × 2 symmetric matrix is (see the
/// [module docs](crate::plot::ellipses)).
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
pub(super) fn eig2(a: f64, b: f64, d: f64) -> ([f64; 2], [[f64; 2]; 2]) {
    let m = 0.5 * (a + d);
    let r = (0.5 * (a - d)).hypot(b);
    let theta = 0.5 * (2.0 * b).atan2(a - d);
    let (s, c) = theta.sin_cos();
    ([m - r, m + r], [[-s, c], [c, s]])
}

/// Checks that `c` is a finite symmetric 2 × 2 matrix; returns `(a, b, d)`.
pub(super) fn check_sym2(c: &Array2<f64>) -> Result<(f64, f64, f64)> {
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
pub(super) fn bisect(
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
pub(super) fn refine(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::FixedDot;
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
                let r = m.fdot(&v) - &v * ev[k];
                assert!(r.iter().all(|x| x.abs() < 1e-12), "{a} {b} {d}");
            }
            assert!(ev[0] <= ev[1]);
        }
    }
}
