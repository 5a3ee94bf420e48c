//! Text: the two ink colours, font sizes that sit on the baseline, anchored
//! and fitted lines.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::plot::error::{draw_err, Result};
use crate::plot::font::FONT;

/// The colour of text, frames and axes.
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// The colour of secondary text (subtitles, key notes).
pub(crate) const MUTED: RGBColor = RGBColor(0x5a, 0x5a, 0x5a);

/// A font size rounded to an even number of pixels: plotters' glyph
/// placement truncates `size / 2 + offset` towards zero, so with odd or
/// fractional sizes short glyphs (".", ",") sit a pixel off the baseline.
pub(crate) fn fsize(x: f64) -> f64 {
    ((x / 2.0).round() * 2.0).max(6.0)
}

/// Draws `s` with its anchor `pos` at `(x, y)`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    (x, y): (i32, i32),
    size: f64,
    colour: &RGBColor,
    h: HPos,
    v: VPos,
    bold: bool,
) -> Result<()> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    let ts = TextStyle::from((FONT, fsize(size), style).into_font())
        .color(colour)
        .pos(Pos::new(h, v));
    area.draw_text(s, &ts, (x, y)).map_err(draw_err)
}

/// [`text`] in the regular face, its left edge at `x` and centred on `y`:
/// the style of every key entry and value label.
pub(crate) fn note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    at: (i32, i32),
    size: f64,
    colour: &RGBColor,
) -> Result<()> {
    text(area, s, at, size, colour, HPos::Left, VPos::Center, false)
}

/// [`text`] centred on `at`, shortened with an ellipsis to fit `max_w`
/// pixels: the style of titles and subtitles.
pub(crate) fn centred_line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    at: (i32, i32),
    size: f64,
    colour: &RGBColor,
    bold: bool,
    max_w: u32,
) -> Result<()> {
    let s = fit_text(area, s, size, bold, max_w);
    text(area, &s, at, size, colour, HPos::Center, VPos::Center, bold)
}

/// Width of `s` in pixels at `size`.
pub(crate) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    size: f64,
    bold: bool,
) -> u32 {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    let ts = TextStyle::from((FONT, fsize(size), style).into_font());
    area.estimate_text_size(s, &ts).map(|d| d.0).unwrap_or(0)
}

/// Shortens `s` with an ellipsis until it fits in `max` pixels.
pub(crate) fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    size: f64,
    bold: bool,
    max: u32,
) -> String {
    if text_width(area, s, size, bold) <= max {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut n = chars.len();
    while n > 1 {
        n -= 1;
        let t: String = chars[..n].iter().collect::<String>() + "…";
        if text_width(area, &t, size, bold) <= max {
            return t;
        }
    }
    "…".into()
}
