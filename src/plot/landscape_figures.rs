//! Figures of the landscapes lessons, drawn with plotters through the
//! crate's figure library ([`crate::plot`]): many-start trajectories over a
//! heatmap, loss against iteration for every start with the mean in bold,
//! the bake-off bars, 1-D toy functions with the iterates of several
//! optimizers, and the Hessian maps of a 2-D landscape (eigenvalue signs and
//! `log₁₀ κ`, drawn by [`crate::plot::eigen_sign_figure`] and
//! [`crate::plot::condition_figure`] from [`curvature_grid`]).
//!
//! Every `draw_*` function is generic over the plotters backend; the
//! `*_figure` functions render a PNG [`Figure`] (shown inline in Evcxr,
//! saved with [`Figure::save`]).

use std::ops::Range;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::colour::rgb;
use super::colour::{landscape_colour, path_colour, ColourScale};
use super::curvature_grid::CurvatureGrid;
use super::draw_err as de;
use super::error::{PlotError, Result};
use super::font::{ensure_fonts, FONT};
use super::grid::LossGrid;
use super::kit::{point_runs, INK};
use super::output::{render_png, Figure};
use crate::landscapes::{Landscape, Minimum};
// The multi-start runner's result, wherever the runner lives.
use crate::race::multistart::Bakeoff;
use crate::trace::Trace;

mod end_key;
use end_key::{draw_end_key, MISSED, REACHED};

/// The heatmap colour of `v` on `scale`: the figure library's landscape
/// colour map, so these figures match [`crate::plot::paths_figure`].
fn heat(v: f64, scale: &ColourScale) -> RGBColor {
    rgb(landscape_colour(scale.t(v)))
}

/// The loss of a 2-D landscape on an `n × n` grid over its domain, for
/// [`draw_batch_paths`] and [`crate::plot::paths_figure`].
///
/// # Errors
/// [`PlotError::InvalidInput`] if the landscape is not 2-D or `n < 2`.
pub fn loss_grid<L: Landscape>(landscape: &L, n: usize) -> Result<LossGrid> {
    let dom = two_d(landscape)?;
    let grid = LossGrid::from_fn(dom[0], dom[1], n, |x, y| {
        landscape.cost(&ndarray::array![x, y]).unwrap_or(f64::NAN)
    })?;
    Ok(grid.with_labels("x₁", "x₂").with_title(landscape.name()))
}

/// The Hessian eigenvalues of a 2-D landscape on an `n × n` grid over its
/// domain, for [`crate::plot::eigen_sign_figure`] (the eigenvalue-sign map
/// of the many-dimensions notebook, see [`crate::landscapes`]) and [`crate::plot::condition_figure`] (`log₁₀ κ`).
///
/// # Errors
/// [`PlotError::InvalidInput`] if the landscape is not 2-D or `n < 2`.
pub fn curvature_grid<L: Landscape>(landscape: &L, n: usize) -> Result<CurvatureGrid> {
    let dom = two_d(landscape)?;
    let grid = CurvatureGrid::from_fn(dom[0], dom[1], n, |x, y| {
        match landscape.hessian(&ndarray::array![x, y]) {
            Ok(h) => (h[[0, 0]], 0.5 * (h[[0, 1]] + h[[1, 0]]), h[[1, 1]]),
            Err(_) => (f64::NAN, f64::NAN, f64::NAN),
        }
    })?;
    Ok(grid.with_labels("x₁", "x₂").with_title(landscape.name()))
}

fn two_d<L: Landscape>(landscape: &L) -> Result<Vec<(f64, f64)>> {
    let dom = landscape.domain();
    if dom.len() == 2 {
        Ok(dom)
    } else {
        Err(PlotError::InvalidInput(format!(
            "{} has dimension {}, this figure needs 2",
            landscape.name(),
            dom.len()
        )))
    }
}

/// Splits a 2-D path into the runs of consecutive finite points inside the view.
fn visible_runs(t: &Trace, (x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    point_runs(t.iterates.iter().map(|p| {
        let inside = p.len() == 2
            && p[0].is_finite()
            && p[1].is_finite()
            && (x0..=x1).contains(&p[0])
            && (y0..=y1).contains(&p[1]);
        inside.then(|| (p[0], p[1]))
    }))
}

/// A titled chart over `x × y` with a light mesh and the axis names
/// `desc`: the frame of the line plots below.
fn line_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x: Range<f64>,
    y: Range<f64>,
    desc: (&str, &str),
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    root.fill(&WHITE).map_err(de)?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x, y)
        .map_err(de)?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(0xee, 0xee, 0xee))
        .x_desc(desc.0)
        .y_desc(desc.1)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(de)?;
    Ok(chart)
}

/// Draws the legend of `chart`'s labelled series at `position`.
fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(0xcc, 0xcc, 0xcc))
        .label_font((FONT, 13))
        .position(position)
        .draw()
        .map_err(de)
}

/// Draws the landscape as a heatmap with every run's path (thin,
/// translucent), its start (small grey dot) and its end point (green if it
/// lies within `radius` of the global minimum, red otherwise), and the
/// global minimum as a white-edged black cross, with equal units on both
/// axes; a key in a row under the chart names the four. Paths leaving the
/// view are cut; non-finite iterates are skipped.
///
/// # Errors
/// [`PlotError::Drawing`] if the backend fails.
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
/// [`PlotError::Drawing`] if the backend fails.
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

/// Draws the bake-off as three bar charts side by side: mean final loss,
/// percentage of starts that reached the global minimum, and total wall
/// time (ms), one bar per optimizer in the bake-off's order.
///
/// # Errors
/// [`PlotError::Drawing`] if the backend fails.
pub fn draw_bakeoff_summary<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    bakeoff: &Bakeoff,
) -> Result<()> {
    root.fill(&WHITE).map_err(de)?;
    let runs = bakeoff.rows.first().map_or(0, |r| r.runs);
    let title = format!("Bake-off on {} ({runs} starts each)", bakeoff.problem);
    let body = root.titled(&title, (FONT, 20)).map_err(de)?;
    let panels = body.split_evenly((1, 3));
    let labels: Vec<String> = bakeoff.rows.iter().map(|r| r.optimizer.clone()).collect();
    let metrics: [(&str, Vec<f64>); 3] = [
        (
            "mean final loss",
            bakeoff.rows.iter().map(|r| r.mean_final_loss).collect(),
        ),
        (
            "reached global minimum (%)",
            bakeoff
                .rows
                .iter()
                .map(|r| 100.0 * r.reached_global)
                .collect(),
        ),
        (
            "total wall time (ms)",
            bakeoff.rows.iter().map(|r| r.wall_ms).collect(),
        ),
    ];
    let n = labels.len();
    if n == 0 {
        return Ok(());
    }
    for (k, (panel, (name, values))) in panels.iter().zip(metrics).enumerate() {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((0.0_f64, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
        let span = (hi - lo).max(1e-12);
        let mut chart = ChartBuilder::on(panel)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(if k == 0 { 150 } else { 10 })
            .build_cartesian_2d(
                (lo - 0.05 * span)..(hi + 0.05 * span),
                (0..n - 1).into_segmented(),
            )
            .map_err(de)?;
        let names = labels.clone();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .x_desc(name)
            .x_labels(5)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if k == 0 => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(de)?;
        chart
            .draw_series(
                values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(i, &v)| {
                        let colour = rgb(path_colour(i));
                        let mut bar = Rectangle::new(
                            [
                                (0.0, SegmentValue::Exact(i)),
                                (v, SegmentValue::Exact(i + 1)),
                            ],
                            colour.mix(0.8).filled(),
                        );
                        bar.set_margin(4, 4, 0, 0);
                        bar
                    }),
            )
            .map_err(de)?;
    }
    Ok(())
}

/// PNG of [`draw_bakeoff_summary`].
///
/// # Errors
/// As [`draw_bakeoff_summary`].
pub fn bakeoff_summary_figure(bakeoff: &Bakeoff, size: (u32, u32)) -> Result<Figure> {
    render_png(size.0, size.1, |root| draw_bakeoff_summary(root, bakeoff))
}

/// Draws a 1-D landscape over its domain with the iterates of each run
/// (`(x_k, f(x_k))`, dots joined by a thin line, one colour per run, the
/// legend giving the run's optimizer and final point). Iterates outside the
/// domain are left out.
///
/// # Errors
/// [`PlotError::InvalidInput`] if the landscape is not 1-D;
/// [`PlotError::Drawing`] if the backend fails.
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
