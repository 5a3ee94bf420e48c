//! Iso-lines by marching squares ([`contour_segments`]).

use ndarray::Array2;

use super::grid::LossGrid;

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

#[cfg(test)]
mod tests {
    use super::*;

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
