//! Chapter 8's 1-D toy figures: a function with the iterates of several
//! optimizers on it.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::landscapes::Landscape;
use crate::plot::colour::{path_colour, rgb};
use crate::plot::draw_err as de;
use crate::plot::kit::INK;
use crate::plot::landscape_figures::{legend, line_chart};
use crate::plot::output::render_png;
use crate::plot::{Figure, PlotError, Result};
use crate::trace::Trace;

/// Draws a 1-D landscape over its domain with the iterates of each run
/// (`(x_k, f(x_k))`, dots joined by a thin line, one colour per run, the
/// legend giving the run's optimizer and final point). Iterates outside the
/// domain are left out.
///
/// # Errors
/// [`PlotError::InvalidInput`](crate::plot::PlotError::InvalidInput) if the landscape is not 1-D;
/// [`PlotError::Drawing`](crate::plot::PlotError::Drawing) if the backend fails.
pub fn draw_toy_1d<DB: DrawingBackend, L: Landscape>(
    root: &DrawingArea<DB, Shift>,
    landscape: &L,
    traces: &[Trace],
) -> Result<()> {
    let dom = landscape.domain();
    if dom.len() != 1 {
        return Err(PlotError::InvalidInput(format!(
            "{} has dimension {}, a 1-D plot needs 1",
            landscape.name(),
            dom.len()
        )));
    }
    let (a, b) = dom[0];
    let f = |x: f64| landscape.cost(&ndarray::array![x]).unwrap_or(f64::NAN);
    let curve: Vec<(f64, f64)> = (0..=400)
        .map(|i| a + (b - a) * i as f64 / 400.0)
        .map(|x| (x, f(x)))
        .filter(|(_, y)| y.is_finite())
        .collect();
    let (lo, hi) = curve
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &(_, y)| {
            (l.min(y), h.max(y))
        });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = 0.06 * (hi - lo).max(1e-12);
    let mut chart = line_chart(
        root,
        &landscape.name(),
        a..b,
        (lo - pad)..(hi + pad),
        ("x", "f(x)"),
    )?;
    chart
        .draw_series(LineSeries::new(curve, INK.stroke_width(2)))
        .map_err(de)?;
    for (i, t) in traces.iter().enumerate() {
        let c = rgb(path_colour(i));
        let pts: Vec<(f64, f64)> = t
            .iterates
            .iter()
            .filter(|p| p.len() == 1 && p[0].is_finite() && (a..=b).contains(&p[0]))
            .map(|p| (p[0], f(p[0])))
            .collect();
        let end = t.final_point().map_or(f64::NAN, |p| p[0]);
        chart
            .draw_series(LineSeries::new(pts.clone(), c.mix(0.5).stroke_width(1)))
            .map_err(de)?
            .label(format!(
                "{} (end x = {end:.4}, {} steps)",
                t.optimizer,
                t.steps()
            ))
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled()));
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))
            .map_err(de)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

/// PNG of [`draw_toy_1d`].
///
/// # Errors
/// As [`draw_toy_1d`].
pub fn toy_1d_figure<L: Landscape>(
    landscape: &L,
    traces: &[Trace],
    size: (u32, u32),
) -> Result<Figure> {
    render_png(size.0, size.1, |root| draw_toy_1d(root, landscape, traces))
}
