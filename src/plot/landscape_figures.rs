//! The landscapes' grids and the chart pieces their figures share: the loss
//! of a 2-D landscape on a grid ([`loss_grid`], for [`crate::plot::paths_figure`])
//! and its Hessian maps ([`curvature_grid`], for
//! [`crate::plot::eigen_sign_figure`] and [`crate::plot::condition_figure`]),
//! used by several chapters; the single-lesson figures built on the shared
//! pieces live with their lessons (chapter 5's many-start paths and losses,
//! chapter 8's 1-D toys, chapter 12's bake-off summary).

use std::ops::Range;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::colour::rgb;
use super::colour::{landscape_colour, ColourScale};
use super::curvature_grid::CurvatureGrid;
use super::draw_err as de;
use super::error::{PlotError, Result};
use super::font::FONT;
use super::grid::LossGrid;
use super::kit::point_runs;
use crate::landscapes::Landscape;
// The multi-start runner's result, wherever the runner lives.
use crate::trace::Trace;

/// The heatmap colour of `v` on `scale`: the figure library's landscape
/// colour map, so these figures match [`crate::plot::paths_figure`].
pub(crate) fn heat(v: f64, scale: &ColourScale) -> RGBColor {
    rgb(landscape_colour(scale.t(v)))
}

/// The loss of a 2-D landscape on an `n × n` grid over its domain, for
/// [`draw_batch_paths`](crate::lessons::noise::draw_batch_paths) and
/// [`crate::plot::paths_figure`].
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

pub(crate) fn two_d<L: Landscape>(landscape: &L) -> Result<Vec<(f64, f64)>> {
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
pub(crate) fn visible_runs(
    t: &Trace,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Vec<Vec<(f64, f64)>> {
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
pub(crate) fn line_chart<'a, DB: DrawingBackend>(
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
pub(crate) fn legend<'a, DB: DrawingBackend + 'a>(
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
