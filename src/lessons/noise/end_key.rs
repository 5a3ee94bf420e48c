//! The key under the many-start paths figure ([`super::draw_batch_paths`]):
//! what its dots and its cross mean.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::draw_err as de;
use crate::plot::kit::{note, text_width, INK};
use crate::plot::Result;

/// Green, the colour of an end point near the global minimum.
pub(super) const REACHED: RGBColor = RGBColor(0x1a, 0x9e, 0x3a);
/// Red, the colour of an end point elsewhere.
pub(super) const MISSED: RGBColor = RGBColor(0xd6, 0x27, 0x28);

/// The key under [`super::draw_batch_paths`]'s chart, one centred row: start,
/// end near the global minimum (within `radius`), end elsewhere, and the
/// global minimum's cross (when there is one).
pub(super) fn draw_end_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    has_global: bool,
    radius: f64,
) -> Result<()> {
    let grey = RGBColor(0x70, 0x70, 0x70);
    let mut items: Vec<(u8, RGBColor, String)> = vec![(0, grey, "start".into())];
    if has_global {
        items.push((
            1,
            REACHED,
            format!("end within {radius} of the global minimum"),
        ));
        items.push((1, MISSED, "end farther away".into()));
        items.push((2, INK, "global minimum".into()));
    } else {
        items.push((1, MISSED, "end".into()));
    }
    let font = 13.0;
    let (gap, sample) = (22, 16);
    let widths: Vec<i32> = items
        .iter()
        .map(|(_, _, t)| text_width(area, t, font, false) as i32 + sample + 6)
        .collect();
    let total = widths.iter().sum::<i32>() + gap * (items.len() as i32 - 1);
    let (w, h) = area.dim_in_pixel();
    let (mut x, y) = (((w as i32 - total) / 2).max(4), h as i32 / 2);
    for ((kind, colour, label), wd) in items.iter().zip(&widths) {
        let c = (x + sample / 2, y);
        match kind {
            0 => area.draw(&Circle::new(c, 2, colour.filled())),
            1 => area.draw(&Circle::new(c, 4, colour.filled())),
            _ => area.draw(&Cross::new(c, 6, colour.stroke_width(3))),
        }
        .map_err(de)?;
        note(area, label, (x + sample + 6, y), font, &INK)?;
        x += wd + gap;
    }
    Ok(())
}
