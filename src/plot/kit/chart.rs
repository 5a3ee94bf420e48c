//! The frame of a chart: font scale and the title block.

use plotters::coord::Shift;
use plotters::prelude::*;

use plotters::coord::types::RangedCoordf64;

use super::{centred_line, fsize, INK, MUTED};
use crate::plot::colour::tick;
use crate::plot::error::{draw_err, Result};
use crate::plot::font::{ensure_fonts, FONT};

/// Width in pixels of the book's text column (mdBook's default content
/// width): a wider figure is shown scaled down to it.
pub(crate) const BOOK_WIDTH: f64 = 750.0;

/// Font scale of a chart: its diagonal relative to a 900 × 560 chart, but
/// at least its width over [`BOOK_WIDTH`], so that text keeps its nominal
/// size (13 px tick labels) when the book shrinks the figure to its text
/// column; within `[0.85, 2]`.
pub(crate) fn font_scale<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> f64 {
    let (w, h) = root.dim_in_pixel();
    let diagonal = (w as f64 * h as f64).sqrt() / (900.0f64 * 560.0).sqrt();
    book_scale(diagonal.max(0.85), w)
}

/// `s`, raised to the figure's width over [`BOOK_WIDTH`] (and at most 2):
/// the floor that keeps a figure's text readable in the book whatever
/// scale its own layout starts from.
pub(crate) fn book_scale(s: f64, width: u32) -> f64 {
    s.max(width as f64 / BOOK_WIDTH).min(2.0)
}

/// Title and subtitle at the top; returns the area below them.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>> {
    ensure_fonts();
    root.fill(&WHITE).map_err(draw_err)?;
    let s = font_scale(root);
    let w = root.dim_in_pixel().0 as i32;
    let (at, max_w) = (|y: f64| (w / 2, (y * s) as i32), (w - 20).max(10) as u32);
    centred_line(root, title, at(17.0), 18.0 * s, &INK, true, max_w)?;
    let mut top = (34.0 * s) as i32;
    if !subtitle.is_empty() {
        centred_line(root, subtitle, at(38.0), 13.0 * s, &MUTED, false, max_w)?;
        top = (54.0 * s) as i32;
    }
    Ok(root.margin(top, 0, 0, 0))
}

/// The axes of a map (a landscape, a field, a curvature classification):
/// no grid lines over the colours, about eight ticks a side with as many
/// decimals as the span needs, the axis names, all at font scale `s`.
pub(crate) fn draw_map_axes<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    (x_label, y_label): (&str, &str),
    s: f64,
) -> Result<()> {
    let (x, y) = (chart.x_range(), chart.y_range());
    let (x_span, y_span) = (x.end - x.start, y.end - y.start);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|v| tick(*v, x_span))
        .y_label_formatter(&|v| tick(*v, y_span))
        .axis_desc_style((FONT, fsize(15.0 * s)))
        .label_style((FONT, fsize(13.0 * s)))
        .axis_style(INK)
        .draw()
        .map_err(draw_err)
}
