//! Chapter 5's figures: many-start trajectories over a landscape's heatmap,
//! with a key of where runs ended, and the loss of every start against
//! iteration with the mean in bold.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::landscapes::Minimum;
use crate::plot::colour::ColourScale;
use crate::plot::draw_err as de;
use crate::plot::kit::INK;
use crate::plot::landscape_figures::{heat, legend, line_chart, visible_runs};
use crate::plot::output::render_png;
use crate::plot::{ensure_fonts, Figure, LossGrid, Result, FONT};
use crate::trace::Trace;

use super::end_key::{draw_end_key, MISSED, REACHED};

/// Draws the landscape as a heatmap with every run's path (thin,
/// translucent), its start (small grey dot) and its end point (green if it
/// lies within `radius` of the global minimum, red otherwise), and the
/// global minimum as a white-edged black cross, with equal units on both
/// axes; a key in a row under the chart names the four. Paths leaving the
/// view are cut; non-finite iterates are skipped.
///
/// # Errors
/// [`PlotError::Drawing`](crate::plot::PlotError::Drawing) if the backend fails.
pub fn draw_batch_paths<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    grid: &LossGrid,
    traces: &[Trace],
    global: Option<&Minimum>,
    radius: f64,
    title: &str,
) -> Result<()> {
    root.fill(&WHITE).map_err(de)?;
    ensure_fonts();
    let key_h = 34;
    let (plot_area, key_area) = root.split_vertically(root.dim_in_pixel().1.saturating_sub(key_h));
    draw_end_key(&key_area, global.is_some(), radius)?;
    let root = &plot_area;
    let (xr, yr) = (grid.x_range(), grid.y_range());
    let body = root.titled(title, (FONT, 20)).map_err(de)?;
    // Equal units on both axes: measure the plot rectangle with plain
    // margins (building a chart without a caption draws nothing), then
    // widen the margins on the long side.
    let (ew, eh) = {
        let probe = ChartBuilder::on(&body)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
            .map_err(de)?;
        let (px, py) = probe.plotting_area().get_pixel_range();
        let (pw, ph) = (f64::from(px.end - px.start), f64::from(py.end - py.start));
        let unit = (pw / (xr.1 - xr.0)).min(ph / (yr.1 - yr.0));
        (
            (pw - unit * (xr.1 - xr.0)).max(0.0) as u32,
            (ph - unit * (yr.1 - yr.0)).max(0.0) as u32,
        )
    };
    let mut chart = ChartBuilder::on(&body)
        .margin_top(12 + eh / 2)
        .margin_bottom(12 + eh - eh / 2)
        .margin_left(12 + ew / 2)
        .margin_right(12 + ew - ew / 2)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
        .map_err(de)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(grid.x_label.as_str())
        .y_desc(grid.y_label.as_str())
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(de)?;
    let (lo, hi) = grid.finite_range().unwrap_or((0.0, 1.0));
    let scale = ColourScale::auto(lo, hi);
    let (nx, ny) = (grid.xs.len(), grid.ys.len());
    let half = |v: &[f64], i: usize| {
        let a = if i > 0 { 0.5 * (v[i] + v[i - 1]) } else { v[i] };
        let b = if i + 1 < v.len() {
            0.5 * (v[i] + v[i + 1])
        } else {
            v[i]
        };
        (a, b)
    };
    chart
        .draw_series((0..ny).flat_map(|j| {
            (0..nx).map(move |i| {
                let (xa, xb) = half(&grid.xs, i);
                let (ya, yb) = half(&grid.ys, j);
                Rectangle::new(
                    [(xa, ya), (xb, yb)],
                    heat(grid.values[[j, i]], &scale).filled(),
                )
            })
        }))
        .map_err(de)?;
    let path_style = RGBColor(0x1f, 0x2a, 0x44).mix(0.35).stroke_width(1);
    for t in traces {
        for run in visible_runs(t, xr, yr) {
            chart
                .draw_series(LineSeries::new(run, path_style))
                .map_err(de)?;
        }
    }
    let in_view =
        |p: &[f64]| p.len() == 2 && (xr.0..=xr.1).contains(&p[0]) && (yr.0..=yr.1).contains(&p[1]);
    chart
        .draw_series(
            traces
                .iter()
                .filter_map(|t| t.iterates.first())
                .filter(|p| in_view(p))
                .map(|p| Circle::new((p[0], p[1]), 2, RGBColor(0x70, 0x70, 0x70).filled())),
        )
        .map_err(de)?;
    let reached = |p: &[f64]| {
        global.is_some_and(|m| {
            m.point.len() == p.len()
                && m.point
                    .iter()
                    .zip(p)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    .sqrt()
                    <= radius
        })
    };
    chart
        .draw_series(
            traces
                .iter()
                .filter_map(|t| t.final_point())
                .filter(|p| in_view(p))
                .map(|p| {
                    let c = if reached(p) { REACHED } else { MISSED };
                    Circle::new((p[0], p[1]), 4, c.filled())
                }),
        )
        .map_err(de)?;
    if let Some(m) = global.filter(|m| m.point.len() == 2) {
        let at = (m.point[0], m.point[1]);
        chart
            .draw_series([
                Cross::new(at, 9, WHITE.stroke_width(5)),
                Cross::new(at, 8, INK.stroke_width(3)),
            ])
            .map_err(de)?;
    }
    Ok(())
}

/// PNG of [`draw_batch_paths`].
///
/// # Errors
/// As [`draw_batch_paths`].
pub fn batch_paths_figure(
    grid: &LossGrid,
    traces: &[Trace],
    global: Option<&Minimum>,
    radius: f64,
    title: &str,
    size: (u32, u32),
) -> Result<Figure> {
    render_png(size.0, size.1, |root| {
        draw_batch_paths(root, grid, traces, global, radius, title)
    })
}

/// The loss of each run at every iteration, a run that stopped early
/// holding its final loss (it stays where it stopped), so that every curve
/// spans the longest run.
fn padded_losses(traces: &[Trace]) -> (usize, Vec<Vec<f64>>) {
    let len = traces.iter().map(|t| t.loss.len()).max().unwrap_or(0);
    let curves = traces
        .iter()
        .map(|t| {
            let last = t.loss.last().copied().unwrap_or(f64::NAN);
            (0..len)
                .map(|k| t.loss.get(k).copied().unwrap_or(last))
                .collect()
        })
        .collect();
    (len, curves)
}

/// Draws the loss against the iteration for every run (thin grey) and their
/// mean over runs (bold black; a run that stopped early counts with its
/// final loss, non-finite losses are left out of the mean), on a linear axis
/// (the wells' losses are negative), with `global` as a dashed line.
///
/// # Errors
/// [`PlotError::Drawing`](crate::plot::PlotError::Drawing) if the backend fails.
pub fn draw_batch_losses<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    traces: &[Trace],
    global: Option<f64>,
    title: &str,
) -> Result<()> {
    let (len, curves) = padded_losses(traces);
    let finite = curves.iter().flatten().copied().filter(|v| v.is_finite());
    let (mut lo, mut hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if let Some(g) = global {
        lo = lo.min(g);
        hi = hi.max(g);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = 0.05 * (hi - lo).max(1e-12);
    let mut chart = line_chart(
        root,
        title,
        0.0..(len.max(2) - 1) as f64,
        (lo - pad)..(hi + pad),
        ("iteration", "loss"),
    )?;
    let grey = RGBColor(0x88, 0x88, 0x88).mix(0.25).stroke_width(1);
    for c in &curves {
        let pts: Vec<(f64, f64)> = c
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(k, &v)| (k as f64, v))
            .collect();
        chart.draw_series(LineSeries::new(pts, grey)).map_err(de)?;
    }
    let mean: Vec<(f64, f64)> = (0..len)
        .filter_map(|k| {
            let vals: Vec<f64> = curves
                .iter()
                .map(|c| c[k])
                .filter(|v| v.is_finite())
                .collect();
            (!vals.is_empty()).then(|| (k as f64, vals.iter().sum::<f64>() / vals.len() as f64))
        })
        .collect();
    chart
        .draw_series(LineSeries::new(mean, INK.stroke_width(3)))
        .map_err(de)?
        .label("mean over starts")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], INK.stroke_width(3)));
    if let Some(g) = global {
        let dashes = (0..len.max(2) - 1)
            .step_by(((len / 60).max(1)) * 2)
            .map(|k| {
                let a = k as f64;
                let b = (a + (len / 60).max(1) as f64).min((len.max(2) - 1) as f64);
                PathElement::new([(a, g), (b, g)], RGBColor(0x1a, 0x9e, 0x3a).stroke_width(2))
            });
        chart
            .draw_series(dashes)
            .map_err(de)?
            .label("global minimum")
            .legend(|(x, y)| {
                PathElement::new(
                    [(x, y), (x + 20, y)],
                    RGBColor(0x1a, 0x9e, 0x3a).stroke_width(2),
                )
            });
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// PNG of [`draw_batch_losses`].
///
/// # Errors
/// As [`draw_batch_losses`].
pub fn batch_losses_figure(
    traces: &[Trace],
    global: Option<f64>,
    title: &str,
    size: (u32, u32),
) -> Result<Figure> {
    render_png(size.0, size.1, |root| {
        draw_batch_losses(root, traces, global, title)
    })
}
