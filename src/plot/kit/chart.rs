//! The frame of a chart: font scale and the title block.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{centred_line, INK, MUTED};
use crate::plot::{draw_err, ensure_fonts, Result};

/// Font scale of a chart: its diagonal relative to a 900 × 560 chart,
/// within `[0.85, 2]`.
pub(crate) fn font_scale<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> f64 {
    let (w, h) = root.dim_in_pixel();
    ((w as f64 * h as f64).sqrt() / (900.0f64 * 560.0).sqrt()).clamp(0.85, 2.0)
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
