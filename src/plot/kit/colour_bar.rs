//! The colour bar beside a heatmap: gradient, iso-line ticks, range ends
//! and the rotated label.

use plotters::coord::Shift;
use plotters::element::{PathElement, Rectangle};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBAColor;

use super::{fsize, note, text, HeatmapRender, INK, MUTED};
use crate::plot::colour::{landscape_colour, rgb, ColourScale};
use crate::plot::error::{draw_err, Result};
use crate::plot::font::FONT;

/// Draws a vertical colour bar for `scale` with its top-left corner at
/// `(x, y)` and size `(bw, bh)`, ticks at `levels`, and `label` along it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_colour_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scale: &ColourScale,
    levels: &[f64],
    label: &str,
    (x, y): (i32, i32),
    (bw, bh): (i32, i32),
    s: f64,
    mode: HeatmapRender,
) -> Result<()> {
    if bh < 4 {
        return Ok(());
    }
    // Gradient, top = high values.
    let step = if mode == HeatmapRender::Cells { 3 } else { 1 };
    let mut r = 0;
    while r < bh {
        let t = 1.0 - r as f64 / (bh - 1) as f64;
        let c = rgb(landscape_colour(t));
        root.draw(&Rectangle::new(
            [(x, y + r), (x + bw, y + (r + step).min(bh))],
            c.filled(),
        ))
        .map_err(draw_err)?;
        r += step;
    }
    root.draw(&Rectangle::new(
        [(x - 1, y - 1), (x + bw, y + bh)],
        INK.stroke_width(1),
    ))
    .map_err(draw_err)?;
    // Ticks at the iso-line levels (thinned to fit), plus the ends.
    let ypos = |v: f64| -> i32 { y + ((1.0 - scale.t(v)) * (bh - 1) as f64).round() as i32 };
    let font = 12.0 * s;
    let min_gap = (font * 1.3) as i32;
    let mut last: Option<i32> = None;
    let (lo, hi) = scale.range();
    let mut ticks: Vec<f64> = levels.to_vec();
    if ticks.len() > 12 {
        let k = ticks.len().div_ceil(12);
        ticks = ticks.into_iter().step_by(k).collect();
    }
    for &v in ticks.iter().rev() {
        let py = ypos(v);
        // Iso-line mark across the bar.
        root.draw(&PathElement::new(
            vec![(x, py), (x + bw - 1, py)],
            RGBAColor(0x1a, 0x1a, 0x1a, 0.45).stroke_width(1),
        ))
        .map_err(draw_err)?;
        if last.is_some_and(|l| py - l < min_gap)
            || py - y < min_gap / 2
            || y + bh - py < min_gap / 2
        {
            continue;
        }
        root.draw(&PathElement::new(
            vec![(x + bw, py), (x + bw + 4, py)],
            INK.stroke_width(1),
        ))
        .map_err(draw_err)?;
        note(root, &crate::fmt::compact(v), (x + bw + 7, py), font, &INK)?;
        last = Some(py);
    }
    // Range ends.
    text(
        root,
        &crate::fmt::compact(hi),
        (x + bw / 2, y - (9.0 * s) as i32),
        font * 0.92,
        &MUTED,
        HPos::Center,
        VPos::Center,
        false,
    )?;
    text(
        root,
        &crate::fmt::compact(lo),
        (x + bw / 2, y + bh + (10.0 * s) as i32),
        font * 0.92,
        &MUTED,
        HPos::Center,
        VPos::Center,
        false,
    )?;
    let label = if scale.is_log() {
        format!("{label} (log scale)")
    } else {
        label.to_string()
    };
    // The label, rotated along the bar.
    let ts = TextStyle::from((FONT, fsize(14.0 * s)).into_font())
        .color(&INK)
        .transform(FontTransform::Rotate270)
        .pos(Pos::new(HPos::Center, VPos::Center));
    root.draw_text(&label, &ts, (x + bw + (50.0 * s) as i32, y + bh / 2))
        .map_err(draw_err)
}
