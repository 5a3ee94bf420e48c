//! Geometry in data and pixel space: runs of drawable points, clipping,
//! and the snapping of pixel coordinates that keeps figure bytes independent
//! of the machine.

/// Splits a sequence of points into its runs of consecutive `Some` points:
/// a `None` (a point that cannot be drawn) breaks a line. Empty runs are
/// dropped.
pub(crate) fn point_runs(
    points: impl IntoIterator<Item = Option<(f64, f64)>>,
) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![Vec::new()];
    for p in points {
        match (p, runs.last_mut()) {
            (Some(p), Some(r)) => r.push(p),
            (None, Some(r)) if !r.is_empty() => runs.push(Vec::new()),
            _ => {}
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// Splits a pixel polyline at its sharp turns (more than 120°), sharing the
/// turning vertex. A thick polyline is drawn with mitred joins, and the mitre
/// of a near-reversal (an oscillating optimizer's zig-zag) reaches far past
/// both segments: unsplit, the η = 21 panel of the learning-rate sweep drew
/// spikes across its neighbours. Pieces of one point are dropped.
pub(crate) fn split_sharp_turns(line: &[(i32, i32)]) -> Vec<Vec<(i32, i32)>> {
    let mut pieces = Vec::new();
    let mut current: Vec<(i32, i32)> = Vec::new();
    for (i, &p) in line.iter().enumerate() {
        current.push(p);
        if let (Some(&a), Some(&b)) = (i.checked_sub(1).and_then(|j| line.get(j)), line.get(i + 1))
        {
            let u = (f64::from(p.0 - a.0), f64::from(p.1 - a.1));
            let v = (f64::from(b.0 - p.0), f64::from(b.1 - p.1));
            let dot = u.0 * v.0 + u.1 * v.1;
            let norms = (u.0.hypot(u.1)) * (v.0.hypot(v.1));
            // cos(turn) < cos(120°) = −½
            if norms > 0.0 && dot < -0.5 * norms {
                pieces.push(std::mem::replace(&mut current, vec![p]));
            }
        }
    }
    pieces.push(current);
    pieces.retain(|piece| piece.len() > 1);
    pieces
}

/// Liang–Barsky clipping of the segment `a → b` to the box; `None` if it
/// misses the box or is not finite.
pub(crate) fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    if !(a.0.is_finite() && a.1.is_finite() && b.0.is_finite() && b.1.is_finite()) {
        return None;
    }
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-dx, a.0 - x0),
        (dx, x1 - a.0),
        (-dy, a.1 - y0),
        (dy, y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 || !t0.is_finite() || !t1.is_finite() {
        return None;
    }
    Some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// Sub-pixel lattice of [`snap_px`]: `1/64` pixel.
const SNAP: f64 = 64.0;

/// Rounds a pixel coordinate to the nearest pixel, first snapping it to a
/// lattice of `1/64` pixel.
///
/// Drawn coordinates are computed from iterates whose lowest bits depend on
/// the machine (the forward pass and the Newton-family solves go through
/// OpenBLAS, which picks its kernels per CPU). Plain rounding decides ties
/// by those bits, and ties are common by construction: a view with 5 %
/// margins puts the path's extreme points (the shared start) at exactly
/// `k + ½` pixels on some image sizes, so on another CPU every path left the
/// start one pixel over. Snapping first moves the fragile points from the
/// half-pixels, where geometry puts them, to the odd multiples of `1/128`
/// pixel, where it does not; a coordinate within `1/128` pixel of a
/// half-pixel rounds the same way whatever its last bits. Non-finite values
/// and values beyond ±2³⁰ are clamped (callers clip to the view first).
pub(crate) fn snap_px(v: f64) -> i32 {
    let k = (v.clamp(-1.0e9, 1.0e9) * SNAP).round();
    // Ties of the second rounding go up (k is an exact multiple of 1/64).
    ((k + SNAP / 2.0) / SNAP).floor() as i32
}

/// A dash pattern, `(dash, gap)` in pixels.
pub(crate) type Dash = (u32, u32);

/// Which paths of a figure to draw dashed: a path that runs on top of an
/// earlier one for most of its length would hide it, so the `k`-th path
/// that coincides with earlier ones gets dashes with gaps that grow with
/// `k` (the earlier colours show through the gaps); every other path is
/// solid (`None`). "Coincides": at least 60 % of its length, sampled evenly
/// along the path, lies within 1.2 % of the view's size of an earlier path
/// (so a cluster of iterates at a shared end point does not count). The
/// view is `x_range × y_range`, each axis measured relative to its span.
pub(crate) fn dash_patterns(
    traces: &[crate::trace::Trace],
    x_range: (f64, f64),
    y_range: (f64, f64),
) -> Vec<Option<Dash>> {
    let (sx, sy) = (x_range.1 - x_range.0, y_range.1 - y_range.0);
    if sx <= 0.0 || sy <= 0.0 {
        return vec![None; traces.len()];
    }
    let paths: Vec<Vec<(f64, f64)>> = traces
        .iter()
        .map(|t| {
            t.iterates
                .iter()
                .filter(|p| p.len() >= 2 && p[0].is_finite() && p[1].is_finite())
                .map(|p| ((p[0] - x_range.0) / sx, (p[1] - y_range.0) / sy))
                .filter(|q| (-0.01..=1.01).contains(&q.0) && (-0.01..=1.01).contains(&q.1))
                .collect()
        })
        .collect();
    coincident_dashes(&paths)
}

/// [`dash_patterns`] for paths already in the unit square.
pub(crate) fn coincident_dashes(paths: &[Vec<(f64, f64)>]) -> Vec<Option<Dash>> {
    // Each path thinned to at most 400 vertices, for the distance tests.
    let thin: Vec<Vec<(f64, f64)>> = paths
        .iter()
        .map(|pts| {
            let step = pts.len().div_ceil(400).max(1);
            let mut kept: Vec<(f64, f64)> = pts.iter().step_by(step).copied().collect();
            if let (Some(&last), Some(&end)) = (kept.last(), pts.last()) {
                if last != end {
                    kept.push(end);
                }
            }
            kept
        })
        .collect();
    let near = |q: (f64, f64), path: &[(f64, f64)]| match path {
        [] => false,
        [only] => segment_distance(q, *only, *only) < 0.012,
        _ => path
            .windows(2)
            .any(|w| segment_distance(q, w[0], w[1]) < 0.012),
    };
    let mut dashed = 0u32;
    thin.iter()
        .enumerate()
        .map(|(i, path)| {
            let samples = along(path, 100);
            if samples.is_empty() {
                return None;
            }
            let covered = samples
                .iter()
                .filter(|&&q| thin[..i].iter().any(|earlier| near(q, earlier)))
                .count();
            (covered as f64 >= 0.6 * samples.len() as f64).then(|| {
                dashed += 1;
                (8, 6 + 6 * (dashed - 1))
            })
        })
        .collect()
}

/// `n + 1` points evenly spaced by arc length along `path` (none for a path
/// shorter than 1 % of the view).
fn along(path: &[(f64, f64)], n: usize) -> Vec<(f64, f64)> {
    let seg = |w: &[(f64, f64)]| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt();
    let total: f64 = path.windows(2).map(seg).sum();
    if total < 0.01 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(n + 1);
    let (mut k, mut walked) = (0usize, 0.0f64);
    for j in 0..=n {
        let at = total * j as f64 / n as f64;
        while k + 2 < path.len() && walked + seg(&path[k..k + 2]) < at {
            walked += seg(&path[k..k + 2]);
            k += 1;
        }
        let len = seg(&path[k..k + 2]);
        let t = if len > 0.0 {
            ((at - walked) / len).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (a, b) = (path[k], path[k + 1]);
        out.push((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
    }
    out
}

/// Distance from `q` to the segment `a`–`b`.
fn segment_distance(q: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((q.0 - a.0) * dx + (q.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (px, py) = (a.0 + t * dx, a.1 + t * dy);
    ((q.0 - px).powi(2) + (q.1 - py).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{test_trace, StopReason, Trace};
    use proptest::prelude::*;

    fn trace(points: &[(f64, f64)]) -> Trace {
        test_trace(points, StopReason::StepNorm)
    }

    #[test]
    fn coincident_paths_get_growing_dashes_and_distinct_ones_stay_solid() {
        let line: Vec<(f64, f64)> = (0..=20).map(|k| (k as f64 / 20.0, 0.5)).collect();
        // the same line with other iterates on it, 0.5 % of the view away
        let near: Vec<(f64, f64)> = (0..=7).map(|k| (k as f64 / 7.0, 0.505)).collect();
        let apart: Vec<(f64, f64)> = (0..=20).map(|k| (k as f64 / 20.0, 0.9)).collect();
        let half: Vec<(f64, f64)> = (0..=20)
            .map(|k| (k as f64 / 20.0, k as f64 / 20.0))
            .collect();
        let traces = [
            trace(&line),
            trace(&apart),
            trace(&near),
            trace(&line),
            trace(&half),
        ];
        let d = dash_patterns(&traces, (0.0, 1.0), (0.0, 1.0));
        assert_eq!(d, vec![None, None, Some((8, 6)), Some((8, 12)), None]);
        // the view decides: the same paths in a view 40 times larger coincide
        let d = dash_patterns(&traces[..2], (-20.0, 20.0), (-20.0, 20.0));
        assert_eq!(d, vec![None, Some((8, 6))]);
    }

    proptest! {
        /// A clipped segment lies in the box, on the original segment, and
        /// is missing only when no point of the segment is in the box.
        #[test]
        fn clipped_segments_stay_in_the_box_and_on_the_line(
            ax in -5.0..5.0f64, ay in -5.0..5.0f64, bx in -5.0..5.0f64, by in -5.0..5.0f64,
        ) {
            let (xb, yb) = ((-1.0, 2.0), (-0.5, 1.5));
            let inside = |p: (f64, f64)| p.0 >= xb.0 - 1e-9 && p.0 <= xb.1 + 1e-9 && p.1 >= yb.0 - 1e-9 && p.1 <= yb.1 + 1e-9;
            match clip_segment((ax, ay), (bx, by), xb, yb) {
                Some((p, q)) => {
                    prop_assert!(inside(p) && inside(q));
                    // Collinear with the original: cross product ≈ 0.
                    for r in [p, q] {
                        let cross = (bx - ax) * (r.1 - ay) - (by - ay) * (r.0 - ax);
                        prop_assert!(cross.abs() < 1e-9);
                    }
                }
                None => {
                    for k in 0..=100 {
                        let t = k as f64 / 100.0;
                        let r = (ax + t * (bx - ax), ay + t * (by - ay));
                        prop_assert!(!(r.0 > xb.0 && r.0 < xb.1 && r.1 > yb.0 && r.1 < yb.1));
                    }
                }
            }
        }
    }

    #[test]
    fn sharp_turns_split_lines_and_gentle_ones_do_not() {
        // a zig-zag reverses at every vertex: one piece per segment
        let zig = [(0, 0), (10, 1), (0, 2), (10, 3)];
        assert_eq!(
            split_sharp_turns(&zig),
            vec![
                vec![(0, 0), (10, 1)],
                vec![(10, 1), (0, 2)],
                vec![(0, 2), (10, 3)]
            ]
        );
        // right angles and straight runs stay one line
        let gentle = [(0, 0), (10, 0), (10, 10), (10, 20), (0, 20)];
        assert_eq!(split_sharp_turns(&gentle), vec![gentle.to_vec()]);
        // a turn of exactly 135° splits, one of 90° does not
        assert_eq!(split_sharp_turns(&[(0, 0), (10, 0), (0, 10)]).len(), 2);
        assert!(split_sharp_turns(&[(0, 0)]).is_empty());
        assert!(split_sharp_turns(&[]).is_empty());
    }

    #[test]
    fn clipping() {
        let b = ((0.0, 1.0), (0.0, 1.0));
        assert_eq!(
            clip_segment((0.5, 0.5), (0.6, 0.6), b.0, b.1),
            Some(((0.5, 0.5), (0.6, 0.6)))
        );
        let c = clip_segment((-1.0, 0.5), (2.0, 0.5), b.0, b.1).unwrap();
        assert_eq!(c, ((0.0, 0.5), (1.0, 0.5)));
        assert!(clip_segment((2.0, 2.0), (3.0, 3.0), b.0, b.1).is_none());
        assert!(clip_segment((0.5, 0.5), (f64::NAN, 0.0), b.0, b.1).is_none());
        let c = clip_segment((0.5, 0.5), (0.5, 1e300), b.0, b.1).unwrap();
        assert_eq!(c.1, (0.5, 1.0));
    }

    #[test]
    fn snapping_decides_half_pixel_ties_by_geometry_not_by_the_last_bit() {
        // 603.5 and its neighbours one ulp away round alike.
        for v in [603.5, 603.499_999_999_999_9, 603.500_000_000_000_1] {
            assert_eq!(snap_px(v), 604, "{v}");
        }
        assert_eq!(snap_px(-2.5), -2);
        assert_eq!(snap_px(-2.500_000_000_000_1), -2);
        assert_eq!(snap_px(10.49), 10);
        assert_eq!(snap_px(10.51), 11);
        assert_eq!(snap_px(f64::INFINITY), 1_000_000_000);
    }
}
