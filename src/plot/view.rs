//! The view that frames a set of paths ([`view_bounds`]).

use crate::trace::Trace;

/// A view `((x_lo, x_hi), (y_lo, y_hi))` framing a set of 2-D paths.
///
/// The core box covers every start point, every finite iterate of the runs
/// that did not diverge, and `include` (e.g. a region of interest). Iterates
/// of diverged runs widen it by at most the core box's own size on each side,
/// so a run that flew off to 10¹² does not shrink everything else to a dot.
/// Finally `margin` (a fraction of the width and height) is added on each
/// side, and a degenerate box is widened to at least ±1 around its centre.
/// Only the first two coordinates of each iterate are used; without any
/// finite point the view is `((-1, 1), (-1, 1))`. The bounds are rounded to
/// about a millionth of the span, so that iterates that differ in their
/// last bits (as they do between machines) give the same view.
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
    snap_view((x0 - dx, x1 + dx), (y0 - dy, y1 + dy))
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

/// Rounds `v` to the nearest multiple of `step` (a power of two).
fn snap_to(v: f64, step: f64) -> f64 {
    (v / step).round() * step
}

/// Snaps the bounds of a view to a lattice of about a millionth of its
/// span: `2^(round(log₂ span) − 20)`.
///
/// A view computed from iterates inherits their last bits, which differ
/// between machines (see [`crate::plot`], "Same bytes on every machine");
/// snapped, it is the same on every machine unless a bound lies within
/// those bits of a half-step, and so are the grid drawn over it and every
/// pixel mapped through it. The lattice's fragile points (odd multiples of
/// half a step, and spans at `√2 · 2ᵏ`) are not values a view takes by
/// construction, as integers or simple fractions are. The view moves by at
/// most a two-millionth of its span.
fn snap_view((x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> ((f64, f64), (f64, f64)) {
    let snap = |lo: f64, hi: f64| -> (f64, f64) {
        let span = hi - lo;
        if !(span.is_finite() && span > 0.0) {
            return (lo, hi);
        }
        let step = 2f64.powi(span.log2().round() as i32 - 20);
        let (a, b) = (snap_to(lo, step), snap_to(hi, step));
        if a < b && a.is_finite() && b.is_finite() {
            (a, b)
        } else {
            (lo, hi)
        }
    };
    (snap(x0, x1), snap(y0, y1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{test_trace, StopReason};

    fn trace(points: &[(f64, f64)], stop: StopReason) -> Trace {
        test_trace(points, stop)
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
        assert!((x0 - 0.35).abs() < 3e-6 && (x1 - 2.15).abs() < 3e-6);
        assert_eq!(view_bounds(&[], None, 0.1), ((-1.0, 1.0), (-1.0, 1.0)));
        let single = trace(&[(3.0, 3.0)], StopReason::MaxIters);
        assert_eq!(view_bounds(&[single], None, 0.0), ((2.0, 4.0), (2.0, 4.0)));
    }

    #[test]
    fn snapped_views_ignore_the_last_bits() {
        let base = (
            (-0.980_641_967_325_866_6, 2.0),
            (-2.0, 1.064_757_584_247_126),
        );
        let other = (
            (-0.980_641_967_325_862_2, 2.0),
            (-2.0, 1.064_757_584_247_119),
        );
        assert_eq!(snap_view(base.0, base.1), snap_view(other.0, other.1));
        let ((a, b), (c, d)) = snap_view(base.0, base.1);
        assert!((a - base.0 .0).abs() < 3e-6 && (d - base.1 .1).abs() < 3e-6);
        assert_eq!((b, c), (2.0, -2.0)); // simple values stay exact
    }
}
