//! A scalar field over two parameters as a heatmap with a colour bar,
//! highlighted iso-lines, curves and marked points, each named in a key
//! beside the plot ([`FieldMap`], [`field_map_figure`]).
//!
//! The field can be anything evaluated on a [`LossGrid`]: a loss over a
//! 2-D slice (with equal units on both axes) or a convergence rate over
//! two hyperparameters (with a ceiling above which a value means
//! divergence, painted in a colour of its own).

use plotters::coord::Shift;
use plotters::element::{BitMapElement, PathElement, Rectangle};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::colour::{landscape_colour, path_colour, rgb, ColourScale, Rgb, NO_VALUE};
use super::contour::contour_segments;
use super::error::{draw_err, PlotError, Result};
use super::grid::LossGrid;
use super::kit::{
    blend_lines, clip_segment, draw_colour_bar, draw_map_axes, fit_text, font_scale, note, text,
    titled, HeatmapRender, Layout, Marker, INK,
};
use super::output::{render_png, Figure};

/// A line drawn over the field and named in the key.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldLine {
    /// Name in the key.
    pub label: String,
    /// Index into the path palette ([`path_colour`]).
    pub colour: usize,
    /// What to draw: an iso-line of the field or a polyline in data space.
    pub shape: FieldLineShape,
}

/// The shape of a [`FieldLine`].
#[derive(Clone, Debug, PartialEq)]
pub enum FieldLineShape {
    /// The iso-line `value = level` of the field (marching squares).
    Level(f64),
    /// A polyline through these data points (clipped to the view).
    Curve(Vec<(f64, f64)>),
}

/// A point marked over the field and named in the key.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldMark {
    /// Name in the key.
    pub label: String,
    /// Position in data space.
    pub point: (f64, f64),
    /// Index into the path palette (marker shape and colour).
    pub colour: usize,
}

/// Everything a field map shows: the grid (its axis labels, its title as
/// the subtitle), how values map to colours, and the overlays.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldMap {
    /// The field's values on a regular grid.
    pub grid: LossGrid,
    /// The figure's title.
    pub title: String,
    /// The colour bar's label.
    pub colour_label: String,
    /// The colour scale; `None` spans the finite values below the ceiling.
    pub scale: Option<ColourScale>,
    /// Values at or above this are painted in a colour of their own and
    /// named in the key (e.g. "diverges" for a rate ≥ 1).
    pub ceiling: Option<(f64, String)>,
    /// Highlighted iso-lines and curves.
    pub lines: Vec<FieldLine>,
    /// Marked points.
    pub marks: Vec<FieldMark>,
    /// One data unit is the same length in pixels on both axes.
    pub equal_aspect: bool,
}

impl FieldMap {
    /// A map of `grid` with no overlays, a scale over its finite values and
    /// free aspect.
    pub fn new(grid: LossGrid, title: impl Into<String>, colour_label: impl Into<String>) -> Self {
        Self {
            grid,
            title: title.into(),
            colour_label: colour_label.into(),
            scale: None,
            ceiling: None,
            lines: Vec::new(),
            marks: Vec::new(),
            equal_aspect: false,
        }
    }

    /// The colour scale in use: [`FieldMap::scale`], or a linear scale over
    /// the finite values below the ceiling.
    pub fn colour_scale(&self) -> ColourScale {
        if let Some(s) = self.scale {
            return s;
        }
        let cap = self.ceiling.as_ref().map_or(f64::INFINITY, |c| c.0);
        let (lo, hi) = self
            .grid
            .values
            .iter()
            .filter(|v| v.is_finite() && **v < cap)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        match ColourScale::auto(lo, hi) {
            ColourScale::Log { lo, hi } => ColourScale::Linear { lo, hi },
            s => s,
        }
    }
}

/// Colour of values at or above a [`FieldMap::ceiling`]: a dark warm grey,
/// apart from both ends of the lightened viridis map and from the
/// "no value" grey.
pub const CEILING_COLOUR: Rgb = [0x6b, 0x5b, 0x55];

/// Draws a [`FieldMap`]: the heatmap (bilinear between grid points, faint
/// iso-lines at the colour bar's ticks), the highlighted lines and marks,
/// and on the right the colour bar and a key naming the ceiling colour, each
/// line and each mark.
///
/// # Errors
/// [`PlotError::InvalidInput`] for a grid smaller than 2 × 2;
/// [`PlotError::Drawing`] if the backend fails.
pub fn draw_field_map<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    map: &FieldMap,
) -> Result<()> {
    let grid = &map.grid;
    if grid.xs.len() < 2 || grid.ys.len() < 2 {
        return Err(PlotError::InvalidInput(
            "a field map needs at least 2 × 2 grid points".into(),
        ));
    }
    let area = titled(root, &map.title, &grid.title)?;
    let s = font_scale(root);
    let (aw, ah) = area.dim_in_pixel();
    let (aw, ah) = (aw as i32, ah as i32);
    let panel = (300.0 * s) as i32;
    let (m, lx, ly) = ((12.0 * s) as i32, (66.0 * s) as i32, (46.0 * s) as i32);
    let ((x0, x1), (y0, y1)) = (grid.x_range(), grid.y_range());
    // Extra right/bottom margins that make the units equal on both axes.
    let (mut extra_w, mut extra_h) = (0, 0);
    if map.equal_aspect {
        let (pw, ph) = ((aw - panel - lx - 2 * m) as f64, (ah - ly - 2 * m) as f64);
        let unit = (pw / (x1 - x0)).min(ph / (y1 - y0));
        extra_w = (pw - unit * (x1 - x0)).max(0.0) as i32;
        extra_h = (ph - unit * (y1 - y0)).max(0.0) as i32;
    }
    let mut chart = ChartBuilder::on(&area)
        .margin_top(m + extra_h / 2)
        .margin_bottom(m + extra_h - extra_h / 2)
        .margin_left(m + extra_w / 2)
        .margin_right(m + panel + extra_w - extra_w / 2)
        .x_label_area_size(ly)
        .y_label_area_size(lx)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_err)?;
    draw_map_axes(&mut chart, (&grid.x_label, &grid.y_label), s)?;
    let l = Layout::of_chart(root, &chart, s);
    let scale = map.colour_scale();
    let cap = map.ceiling.as_ref().map_or(f64::INFINITY, |c| c.0);
    let levels: Vec<f64> = scale
        .nice_levels(8)
        .into_iter()
        .filter(|&v| v < cap)
        .collect();
    raster(root, &l, map, &scale, cap, &levels)?;
    for line in &map.lines {
        let c = rgb(path_colour(line.colour));
        let segments: Vec<[(f64, f64); 2]> = match &line.shape {
            FieldLineShape::Level(v) => contour_segments(grid, *v),
            FieldLineShape::Curve(pts) => pts.windows(2).map(|w| [w[0], w[1]]).collect(),
        };
        for [a, b] in segments {
            if let Some((a, b)) = clip_segment(a, b, l.x_range, l.y_range) {
                root.draw(&PathElement::new(vec![l.px(a), l.px(b)], c.stroke_width(3)))
                    .map_err(draw_err)?;
            }
        }
    }
    for (k, mark) in map.marks.iter().enumerate() {
        if l.inside(mark.point) {
            let c = rgb(path_colour(mark.colour));
            Marker::nth(k).draw(root, l.px(mark.point), 6.5 * s, &c)?;
        }
    }
    root.draw(&Rectangle::new(
        [(l.left - 1, l.top - 1), (l.right, l.bottom)],
        INK.stroke_width(1),
    ))
    .map_err(draw_err)?;
    let bar_x = l.right + extra_w - extra_w / 2 + (16.0 * s) as i32;
    draw_colour_bar(
        root,
        &scale,
        &levels,
        &map.colour_label,
        (bar_x, l.top + (14.0 * s) as i32),
        (
            (16.0 * s) as i32,
            (l.bottom - l.top - (28.0 * s) as i32).max(4),
        ),
        s,
        HeatmapRender::Raster,
    )?;
    let key_x = bar_x + (80.0 * s) as i32;
    draw_key(
        root,
        map,
        (key_x, l.top),
        (root.dim_in_pixel().0 as i32 - key_x - 6).max(20),
        s,
    )
}

/// The heatmap of `map` into the plot rectangle, values at or above `cap`
/// in [`CEILING_COLOUR`], faint iso-lines at `levels` blended in.
fn raster<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    map: &FieldMap,
    scale: &ColourScale,
    cap: f64,
    levels: &[f64],
) -> Result<()> {
    let (pw, ph) = ((l.right - l.left) as usize, (l.bottom - l.top) as usize);
    if pw == 0 || ph == 0 {
        return Ok(());
    }
    let ((x0, x1), (y0, y1)) = (l.x_range, l.y_range);
    let mut buf = vec![0u8; pw * ph * 3];
    for py in 0..ph {
        let y = y1 - py as f64 / (ph - 1).max(1) as f64 * (y1 - y0);
        for px in 0..pw {
            let x = x0 + px as f64 / (pw - 1).max(1) as f64 * (x1 - x0);
            let v = map.grid.interpolate(x, y);
            let c = if v >= cap {
                CEILING_COLOUR
            } else if v.is_finite() {
                landscape_colour(scale.t(v))
            } else {
                NO_VALUE
            };
            buf[(py * pw + px) * 3..(py * pw + px) * 3 + 3].copy_from_slice(&c);
        }
    }
    let iso: Vec<[(f64, f64); 2]> = levels
        .iter()
        .flat_map(|&v| contour_segments(&map.grid, v))
        .collect();
    blend_lines(&mut buf, pw, ph, l, &iso, [0x1a, 0x1a, 0x1a], 0.25);
    let el = BitMapElement::with_owned_buffer((l.left, l.top), (pw as u32, ph as u32), buf)
        .ok_or_else(|| PlotError::Drawing("field map buffer size".into()))?;
    root.draw(&el).map_err(draw_err)
}

/// The key: a swatch for the ceiling, a line sample per line, a marker per
/// mark, each with its label fitted to `w` pixels.
fn draw_key<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    map: &FieldMap,
    (x, top): (i32, i32),
    w: i32,
    s: f64,
) -> Result<()> {
    text(
        root,
        "Key",
        (x, top),
        14.0 * s,
        &INK,
        HPos::Left,
        VPos::Top,
        true,
    )?;
    let (dy, sample) = ((26.0 * s) as i32, (26.0 * s) as i32);
    let label_w = (w - sample - (8.0 * s) as i32).max(10) as u32;
    let mut y = top + (38.0 * s) as i32;
    let label = |y: i32, s_: &str| -> Result<()> {
        let t = fit_text(root, s_, 12.5 * s, false, label_w);
        note(root, &t, (x + sample + (8.0 * s) as i32, y), 12.5 * s, &INK)
    };
    if let Some((_, name)) = &map.ceiling {
        let sw = [
            (x, y - (8.0 * s) as i32),
            (x + sample, y + (8.0 * s) as i32),
        ];
        for style in [rgb(CEILING_COLOUR).filled(), INK.stroke_width(1)] {
            root.draw(&Rectangle::new(sw, style)).map_err(draw_err)?;
        }
        label(y, name)?;
        y += dy;
    }
    for line in &map.lines {
        let c = rgb(path_colour(line.colour));
        root.draw(&PathElement::new(
            vec![(x, y), (x + sample, y)],
            c.stroke_width(3),
        ))
        .map_err(draw_err)?;
        label(y, &line.label)?;
        y += dy;
    }
    for (k, mark) in map.marks.iter().enumerate() {
        let c = rgb(path_colour(mark.colour));
        Marker::nth(k).draw(root, (x + sample / 2, y), 6.5 * s, &c)?;
        label(y, &mark.label)?;
        y += dy;
    }
    Ok(())
}

/// PNG of [`draw_field_map`].
///
/// # Errors
/// As [`draw_field_map`].
pub fn field_map_figure(map: &FieldMap, width: u32, height: u32) -> Result<Figure> {
    render_png(width, height, |root| draw_field_map(root, map))
}
