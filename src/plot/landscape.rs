//! The loss landscape with optimizer paths: the picture of `paths.png` and
//! the background of every `journey.gif` frame.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::{BitMapElement, Circle, PathElement, Polygon, Rectangle};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, RGBAColor};

use super::colour::{format_value, landscape_colour, path_colour, rgb, tick, ColourScale, Rgb};
use super::grid::march;
use super::{draw_err, ensure_fonts, Figure, LossGrid, PlotError, Result, FONT};
use crate::trace::Trace;

/// How the loss heatmap is put on the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeatmapRender {
    /// One image, every pixel bilinearly interpolated from the grid and
    /// coloured: smooth, and fast on bitmap backends (a single blit).
    Raster,
    /// One rectangle per grid cell (horizontal runs of equal colour merged):
    /// what a vector backend such as SVG needs.
    Cells,
}

/// Options of [`draw_paths`] and [`paths_figure`].
#[derive(Clone, Debug, PartialEq)]
pub struct PathsStyle {
    /// Image width in pixels (figure wrappers only; default 960).
    pub width: u32,
    /// Image height in pixels (figure wrappers only; default 720).
    pub height: u32,
    /// The title; `None` uses the grid's title.
    pub title: Option<String>,
    /// A second, smaller line under the title; `None` for the grid's
    /// [`LossGrid::note`], or "Loss landscape and optimizer paths" without one.
    /// (The animation shows its step counter there instead.)
    pub subtitle: Option<String>,
    /// Name of the plotted value (colour-bar label; default `"loss"`).
    pub value_label: String,
    /// The colour scale; `None` picks [`ColourScale::auto`] from the grid's
    /// finite values.
    pub scale: Option<ColourScale>,
    /// About how many iso-lines to draw (0 for none; default 12).
    pub levels: usize,
    /// How the heatmap is drawn (default [`HeatmapRender::Raster`]).
    pub heatmap: HeatmapRender,
    /// Width of path lines in pixels (default 2).
    pub line_width: u32,
    /// Mark the grid's smallest value with a cross (default `true`).
    pub mark_minimum: bool,
    /// Draw a dot at every iterate of runs with at most this many steps,
    /// so that the few long steps of second-order methods are visible
    /// (default 60).
    pub dots_up_to: usize,
}

impl Default for PathsStyle {
    fn default() -> Self {
        Self {
            width: 960,
            height: 720,
            title: None,
            subtitle: None,
            value_label: "loss".into(),
            scale: None,
            levels: 12,
            heatmap: HeatmapRender::Raster,
            line_width: 2,
            mark_minimum: true,
            dots_up_to: 60,
        }
    }
}

// ---------------------------------------------------------------- helpers

pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
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

/// Splits a sequence of points into its runs of consecutive `Some` points:
/// a `None` (a point that cannot be drawn) breaks a line. Empty runs are
/// dropped.
pub(crate) fn point_runs(
    points: impl IntoIterator<Item = Option<(f64, f64)>>,
) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![Vec::new()];
    for p in points {
        match (p, runs.last_mut()) {
            (Some(p), Some(r)) => r.push(p),
            (None, Some(r)) if !r.is_empty() => runs.push(Vec::new()),
            _ => {}
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// Liang–Barsky clipping of the segment `a → b` to the box; `None` if it
/// misses the box or is not finite.
pub(crate) fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    if !(a.0.is_finite() && a.1.is_finite() && b.0.is_finite() && b.1.is_finite()) {
        return None;
    }
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-dx, a.0 - x0),
        (dx, x1 - a.0),
        (-dy, a.1 - y0),
        (dy, y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 || !t0.is_finite() || !t1.is_finite() {
        return None;
    }
    Some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// The marker shapes that tell optimizers apart besides colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Pentagon,
}

impl Marker {
    pub(crate) fn nth(i: usize) -> Self {
        const ALL: [Marker; 6] = [
            Marker::Circle,
            Marker::Square,
            Marker::TriangleUp,
            Marker::Diamond,
            Marker::TriangleDown,
            Marker::Pentagon,
        ];
        ALL[i % ALL.len()]
    }

    fn polygon(self, (cx, cy): (i32, i32), r: f64) -> Vec<(i32, i32)> {
        let pts: Vec<(f64, f64)> = match self {
            Marker::Circle => (0..16)
                .map(|k| std::f64::consts::TAU * k as f64 / 16.0)
                .map(|a| (r * a.cos(), r * a.sin()))
                .collect(),
            Marker::Square => {
                let s = r * 0.85;
                vec![(-s, -s), (s, -s), (s, s), (-s, s)]
            }
            Marker::TriangleUp => vec![(0.0, -1.2 * r), (1.1 * r, 0.75 * r), (-1.1 * r, 0.75 * r)],
            Marker::TriangleDown => {
                vec![(0.0, 1.2 * r), (1.1 * r, -0.75 * r), (-1.1 * r, -0.75 * r)]
            }
            Marker::Diamond => vec![(0.0, -1.25 * r), (r, 0.0), (0.0, 1.25 * r), (-r, 0.0)],
            Marker::Pentagon => (0..5)
                .map(|k| -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * k as f64 / 5.0)
                .map(|a| (1.1 * r * a.cos(), 1.1 * r * a.sin()))
                .collect(),
        };
        pts.into_iter()
            .map(|(x, y)| (cx + x.round() as i32, cy + y.round() as i32))
            .collect()
    }

    /// A filled marker with a white rim.
    pub(crate) fn draw<DB: DrawingBackend>(
        self,
        area: &DrawingArea<DB, Shift>,
        at: (i32, i32),
        r: f64,
        colour: &RGBColor,
    ) -> Result<()> {
        area.draw(&Polygon::new(self.polygon(at, r + 1.6), WHITE.filled()))
            .map_err(draw_err)?;
        area.draw(&Polygon::new(self.polygon(at, r), colour.filled()))
            .map_err(draw_err)
    }
}

// ---------------------------------------------------------------- layout

/// Where everything of a landscape figure is, in pixels; shared by the
/// static figure and every animation frame.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// Plot rectangle `[left, right) × [top, bottom)`.
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    /// Legend: left edge, first entry's top, entry height, entry width.
    pub legend_x: i32,
    pub legend_y: i32,
    pub legend_dy: i32,
    pub legend_w: i32,
    /// Whether the legend has a second (detail) line per entry.
    pub legend_detail: bool,
    /// Number of legend entries drawn (the rest are summarised).
    pub legend_shown: usize,
    /// Centre of the subtitle line (the animation's step counter).
    pub subtitle_at: (i32, i32),
    /// Font scale relative to a 720-pixel-high image.
    pub font_scale: f64,
}

impl Layout {
    /// The plotting rectangle of `chart` in `root`'s pixels, with the
    /// chart's data ranges and no legend.
    pub fn of_chart<DB: DrawingBackend>(
        root: &DrawingArea<DB, Shift>,
        chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        font_scale: f64,
    ) -> Self {
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let (bx, by) = root.get_base_pixel();
        let (x, y) = (chart.x_range(), chart.y_range());
        Self {
            left: xr.start - bx,
            top: yr.start - by,
            right: xr.end - bx,
            bottom: yr.end - by,
            x_range: (x.start, x.end),
            y_range: (y.start, y.end),
            legend_x: 0,
            legend_y: 0,
            legend_dy: 0,
            legend_w: 0,
            legend_detail: false,
            legend_shown: 0,
            subtitle_at: (0, 0),
            font_scale,
        }
    }

    /// Data → pixel (not rounded).
    pub fn to_px(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        let fx = (x - x0) / (x1 - x0);
        let fy = (y - y0) / (y1 - y0);
        (
            self.left as f64 + fx * (self.right - self.left - 1) as f64,
            (self.bottom - 1) as f64 - fy * (self.bottom - self.top - 1) as f64,
        )
    }

    fn px(&self, p: (f64, f64)) -> (i32, i32) {
        let (a, b) = self.to_px(p);
        (a.round() as i32, b.round() as i32)
    }

    fn inside(&self, (x, y): (f64, f64)) -> bool {
        x >= self.x_range.0 && x <= self.x_range.1 && y >= self.y_range.0 && y <= self.y_range.1
    }

    /// The rectangle of legend entry `i`'s detail line (for per-frame text).
    pub fn detail_rect(&self, i: usize) -> ((i32, i32), (i32, i32)) {
        let y = self.legend_y + i as i32 * self.legend_dy;
        (
            (self.legend_x + 34, y + self.legend_dy / 2 - 1),
            (self.legend_x + self.legend_w, y + self.legend_dy - 2),
        )
    }
}

/// The colour scale of a grid under a style.
pub(crate) fn scale_for(grid: &LossGrid, style: &PathsStyle) -> ColourScale {
    style.scale.unwrap_or_else(|| {
        let (lo, hi) = grid.finite_range().unwrap_or((0.0, 1.0));
        ColourScale::auto(lo, hi)
    })
}

fn check_inputs(grid: &LossGrid, traces: &[Trace]) -> Result<()> {
    let (ny, nx) = grid.values.dim();
    if nx != grid.xs.len() || ny != grid.ys.len() || nx < 2 || ny < 2 {
        return Err(PlotError::InvalidInput(format!(
            "grid values are {ny} × {nx} but the axes have {} × {} points (need ≥ 2 each)",
            grid.ys.len(),
            grid.xs.len()
        )));
    }
    let (x0, x1) = grid.x_range();
    let (y0, y1) = grid.y_range();
    if !(x0.is_finite() && x1.is_finite() && y0.is_finite() && y1.is_finite() && x0 < x1 && y0 < y1)
    {
        return Err(PlotError::InvalidInput(
            "grid axes must be finite and increasing".into(),
        ));
    }
    if let Some(t) = traces
        .iter()
        .find(|t| t.iterates.iter().any(|p| p.len() != 2))
    {
        return Err(PlotError::InvalidInput(format!(
            "trace '{}' has iterates that are not 2-D; project them first (pca_plane)",
            t.optimizer
        )));
    }
    Ok(())
}

/// Draws everything that does not depend on how far the paths have got:
/// title, axes, heatmap, iso-lines, colour bar, legend names, grid minimum
/// and start markers. Returns the layout for the moving parts.
pub(crate) fn draw_background<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    grid: &LossGrid,
    traces: &[Trace],
    style: &PathsStyle,
    legend_detail: bool,
    skip_subtitle: bool,
) -> Result<Layout> {
    ensure_fonts();
    check_inputs(grid, traces)?;
    let (w, h) = root.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let s = (h as f64 / 720.0).clamp(0.6, 2.0); // font scale
    root.fill(&WHITE).map_err(draw_err)?;

    // Title block.
    let title = style.title.clone().unwrap_or_else(|| grid.title.clone());
    let subtitle = style.subtitle.clone().unwrap_or_else(|| {
        if grid.note.is_empty() {
            "Loss landscape and optimizer paths".into()
        } else {
            grid.note.clone()
        }
    });
    let title_h = (68.0 * s) as i32;
    let at = |y: f64| (w / 2, (y * s) as i32);
    centred_line(
        root,
        &title,
        at(18.0),
        19.0 * s,
        &INK,
        true,
        (w - 24) as u32,
    )?;
    if !skip_subtitle {
        let (size, max_w) = (13.5 * s, (w - 24) as u32);
        centred_line(root, &subtitle, at(42.0), size, &MUTED, false, max_w)?;
    }

    // Column widths: chart | colour bar | legend.
    let legend_w = ((w as f64 * 0.24) as i32).clamp(150, 260);
    let cbar_w = (86.0 * s) as i32;
    let chart_right = w - legend_w - cbar_w;
    let (chart_area, _) = root.split_horizontally(chart_right);
    let chart_area = chart_area.margin(
        title_h,
        (10.0 * s) as i32,
        (8.0 * s) as i32,
        (14.0 * s) as i32,
    );

    let (x0, x1) = grid.x_range();
    let (y0, y1) = grid.y_range();
    let mut chart = ChartBuilder::on(&chart_area)
        .x_label_area_size((46.0 * s) as i32)
        .y_label_area_size((60.0 * s) as i32)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(grid.x_label.as_str())
        .y_desc(grid.y_label.as_str())
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|v| tick(*v, x1 - x0))
        .y_label_formatter(&|v| tick(*v, y1 - y0))
        .axis_desc_style((FONT, fsize(15.0 * s)))
        .label_style((FONT, fsize(13.0 * s)))
        .axis_style(INK)
        .draw()
        .map_err(draw_err)?;
    let layout_base = Layout {
        legend_detail,
        subtitle_at: (w / 2, (42.0 * s) as i32),
        ..Layout::of_chart(root, &chart, s)
    };
    let scale = scale_for(grid, style);

    // Iso-lines at "nice" levels, traced in the colour scale's space (log
    // values on a log scale) so that they follow the colours.
    let levels = if style.levels > 0 {
        scale.nice_levels(style.levels)
    } else {
        Vec::new()
    };
    let to_space = |v: f64| -> f64 {
        if !scale.is_log() {
            v
        } else if v > 0.0 {
            v.ln()
        } else {
            f64::NAN
        }
    };
    let fv: Vec<f64> = grid.values.iter().map(|&v| to_space(v)).collect();
    let segments: Vec<[(f64, f64); 2]> = levels
        .iter()
        .flat_map(|&lv| march(&grid.xs, &grid.ys, &fv, to_space(lv)))
        .collect();

    // Heatmap (raster mode blends the iso-lines into it).
    draw_heatmap(root, &layout_base, grid, &scale, style.heatmap, &segments)?;
    if style.heatmap == HeatmapRender::Cells {
        let iso = RGBAColor(0x1a, 0x1a, 0x1a, 0.30);
        for seg in &segments {
            let a = layout_base.px(seg[0]);
            let b = layout_base.px(seg[1]);
            if a != b {
                root.draw(&PathElement::new(vec![a, b], iso.stroke_width(1)))
                    .map_err(draw_err)?;
            }
        }
    }

    // Grid minimum.
    if style.mark_minimum {
        if let Some((mx, my, _)) = grid.argmin() {
            let (cx, cy) = layout_base.px((mx, my));
            let r = (6.0 * s) as i32;
            for (col, wdt) in [(WHITE, 4), (INK, 2)] {
                root.draw(&PathElement::new(
                    vec![(cx - r, cy - r), (cx + r, cy + r)],
                    col.stroke_width(wdt),
                ))
                .map_err(draw_err)?;
                root.draw(&PathElement::new(
                    vec![(cx - r, cy + r), (cx + r, cy - r)],
                    col.stroke_width(wdt),
                ))
                .map_err(draw_err)?;
            }
        }
    }

    // Plot frame.
    root.draw(&Rectangle::new(
        [
            (layout_base.left - 1, layout_base.top - 1),
            (layout_base.right, layout_base.bottom),
        ],
        INK.stroke_width(1),
    ))
    .map_err(draw_err)?;

    // Colour bar.
    draw_colour_bar(
        root,
        &scale,
        &levels,
        &style.value_label,
        (chart_right + (10.0 * s) as i32, layout_base.top),
        ((16.0 * s) as i32, layout_base.bottom - layout_base.top),
        s,
        style.heatmap,
    )?;

    // Legend (names, line samples, markers).
    let mut layout = layout_base;
    let lx = w - legend_w + (6.0 * s) as i32;
    let ly = layout.top;
    draw_legend(
        root,
        &mut layout,
        grid,
        traces,
        style,
        (lx, ly),
        legend_w - (14.0 * s) as i32,
        s,
    )?;

    // Start markers (shared start drawn once per distinct point).
    draw_start_markers(root, &layout, traces, s)?;
    Ok(layout)
}

fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    grid: &LossGrid,
    scale: &ColourScale,
    mode: HeatmapRender,
    iso_lines: &[[(f64, f64); 2]],
) -> Result<()> {
    let colour_of = |v: f64| -> Rgb {
        if v.is_finite() {
            landscape_colour(scale.t(v))
        } else if v == f64::INFINITY {
            landscape_colour(1.0)
        } else {
            super::colour::NO_VALUE
        }
    };
    match mode {
        HeatmapRender::Raster => {
            let (pw, ph) = ((l.right - l.left) as usize, (l.bottom - l.top) as usize);
            if pw == 0 || ph == 0 {
                return Ok(());
            }
            let (x0, x1) = l.x_range;
            let (y0, y1) = l.y_range;
            let (nx, ny) = (grid.xs.len(), grid.ys.len());
            // Positions in the colour scale; +∞ is the top, NaN stays NaN.
            let tv: Vec<f64> = grid
                .values
                .iter()
                .map(|&v| if v == f64::INFINITY { 1.0 } else { scale.t(v) })
                .collect();
            // Per column / row: the grid cell and the weight of its far side.
            let cell = |v: f64, lo: f64, hi: f64, n: usize| -> (usize, f64) {
                let f = ((v - lo) / (hi - lo) * (n - 1) as f64).clamp(0.0, (n - 1) as f64);
                let i = (f.floor() as usize).min(n - 2);
                (i, f - i as f64)
            };
            let (gx0, gx1) = grid.x_range();
            let (gy0, gy1) = grid.y_range();
            let cols: Vec<(usize, f64)> = (0..pw)
                .map(|px| {
                    cell(
                        x0 + px as f64 / (pw - 1).max(1) as f64 * (x1 - x0),
                        gx0,
                        gx1,
                        nx,
                    )
                })
                .collect();
            // A 1024-step table of the colour map (finer than 8-bit colour).
            let lut: Vec<Rgb> = (0..1024)
                .map(|k| landscape_colour(k as f64 / 1023.0))
                .collect();
            let mut buf = vec![0u8; pw * ph * 3];
            for py in 0..ph {
                let y = y1 - (py as f64) / ((ph - 1).max(1) as f64) * (y1 - y0);
                let (j, ty) = cell(y, gy0, gy1, ny);
                let (r0, r1) = (&tv[j * nx..(j + 1) * nx], &tv[(j + 1) * nx..(j + 2) * nx]);
                let row = &mut buf[py * pw * 3..(py + 1) * pw * 3];
                for (px, &(i, tx)) in cols.iter().enumerate() {
                    let a = r0[i] + (r0[i + 1] - r0[i]) * tx;
                    let b = r1[i] + (r1[i + 1] - r1[i]) * tx;
                    let t = a + (b - a) * ty;
                    let c = if t.is_finite() {
                        lut[(t.clamp(0.0, 1.0) * 1023.0).round() as usize]
                    } else {
                        // Next to a hole: the nearest grid value's colour.
                        let ii = if tx < 0.5 { i } else { i + 1 };
                        let jj = if ty < 0.5 { j } else { j + 1 };
                        colour_of(grid.values[[jj, ii]])
                    };
                    row[px * 3..px * 3 + 3].copy_from_slice(&c);
                }
            }
            blend_lines(
                &mut buf,
                pw,
                ph,
                l,
                iso_lines,
                [0x1a, 0x1a, 0x1a],
                ISO_ALPHA,
            );
            let el = BitMapElement::with_owned_buffer((l.left, l.top), (pw as u32, ph as u32), buf)
                .ok_or_else(|| PlotError::Drawing("heatmap buffer size".into()))?;
            root.draw(&el).map_err(draw_err)
        }
        HeatmapRender::Cells => {
            // Cell (j, i) is centred on the grid point; its edges are the
            // midpoints to the neighbours, clipped to the grid range.
            let (nx, ny) = (grid.xs.len(), grid.ys.len());
            let edge = |v: &[f64], k: usize| -> f64 {
                if k == 0 {
                    v[0]
                } else if k >= v.len() {
                    v[v.len() - 1]
                } else {
                    0.5 * (v[k - 1] + v[k])
                }
            };
            for j in 0..ny {
                let ya = l.px((grid.xs[0], edge(&grid.ys, j))).1;
                let yb = l.px((grid.xs[0], edge(&grid.ys, j + 1))).1;
                let mut i = 0;
                while i < nx {
                    let c = colour_of(grid.values[[j, i]]);
                    // Quantise so that runs merge: 64 levels per channel step.
                    let q = |c: Rgb| [c[0] >> 2, c[1] >> 2, c[2] >> 2];
                    let mut k = i + 1;
                    while k < nx && q(colour_of(grid.values[[j, k]])) == q(c) {
                        k += 1;
                    }
                    let xa = l.px((edge(&grid.xs, i), grid.ys[0])).0;
                    let xb = l.px((edge(&grid.xs, k), grid.ys[0])).0;
                    root.draw(&Rectangle::new([(xa, yb), (xb, ya)], rgb(c).filled()))
                        .map_err(draw_err)?;
                    i = k;
                }
            }
            Ok(())
        }
    }
}

/// Opacity of the iso-lines.
pub(crate) const ISO_ALPHA: f64 = 0.32;

/// Blends antialiased 1-pixel lines (data-space segments) into an RGB
/// buffer covering the plot rectangle of `l`. Coverage is accumulated with
/// `max` and blended once, so joints and crossings of a translucent line do
/// not show darker dots (Xiaolin Wu's line sampling).
fn blend_lines(
    buf: &mut [u8],
    pw: usize,
    ph: usize,
    l: &Layout,
    segments: &[[(f64, f64); 2]],
    ink: Rgb,
    alpha: f64,
) {
    if segments.is_empty() || pw == 0 || ph == 0 {
        return;
    }
    let mut cover = vec![0f32; pw * ph];
    let mut plot = |x: i64, y: i64, c: f64| {
        if x >= 0 && y >= 0 && (x as usize) < pw && (y as usize) < ph {
            let m = &mut cover[y as usize * pw + x as usize];
            *m = m.max(c as f32);
        }
    };
    for seg in segments {
        let (ax, ay) = l.to_px(seg[0]);
        let (bx, by) = l.to_px(seg[1]);
        let (ax, ay, bx, by) = (
            ax - l.left as f64,
            ay - l.top as f64,
            bx - l.left as f64,
            by - l.top as f64,
        );
        let steep = (by - ay).abs() > (bx - ax).abs();
        let (mut a0, mut b0, mut a1, mut b1) = if steep {
            (ay, ax, by, bx)
        } else {
            (ax, ay, bx, by)
        };
        if a0 > a1 {
            std::mem::swap(&mut a0, &mut a1);
            std::mem::swap(&mut b0, &mut b1);
        }
        let slope = if a1 > a0 { (b1 - b0) / (a1 - a0) } else { 0.0 };
        let (start, end) = (a0.round() as i64, a1.round() as i64);
        for a in start..=end {
            let b = b0 + slope * (a as f64 - a0);
            let bf = b.floor();
            let frac = b - bf;
            let (p, q) = (bf as i64, bf as i64 + 1);
            if steep {
                plot(p, a, 1.0 - frac);
                plot(q, a, frac);
            } else {
                plot(a, p, 1.0 - frac);
                plot(a, q, frac);
            }
        }
    }
    for (k, &m) in cover.iter().enumerate() {
        if m > 0.0 {
            let w = alpha * m as f64;
            for ch in 0..3 {
                let v = buf[k * 3 + ch] as f64;
                buf[k * 3 + ch] = (v + (ink[ch] as f64 - v) * w).round() as u8;
            }
        }
    }
}

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
        note(root, &format_value(v), (x + bw + 7, py), font, &INK)?;
        last = Some(py);
    }
    // Range ends.
    text(
        root,
        &format_value(hi),
        (x + bw / 2, y - (9.0 * s) as i32),
        font * 0.92,
        &MUTED,
        HPos::Center,
        VPos::Center,
        false,
    )?;
    text(
        root,
        &format_value(lo),
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

/// A short description of a run for the legend: "6 steps, loss 0.6870".
pub(crate) fn run_summary(t: &Trace) -> String {
    let steps = t.steps();
    let loss = t.final_loss();
    if t.diverged() {
        format!("diverged after {steps} steps")
    } else if loss.is_finite() {
        format!("{steps} steps, loss {}", format_loss(loss))
    } else {
        format!("{steps} steps")
    }
}

/// A loss with 4 decimals (or 3 significant digits when tiny).
pub(crate) fn format_loss(v: f64) -> String {
    if v.is_finite() && v.abs() < 1e-3 && v != 0.0 {
        format!("{v:.2e}")
    } else {
        format!("{v:.4}")
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &mut Layout,
    grid: &LossGrid,
    traces: &[Trace],
    style: &PathsStyle,
    (x, y): (i32, i32),
    w: i32,
    s: f64,
) -> Result<()> {
    let detail = layout.legend_detail;
    let avail = layout.bottom - y - (60.0 * s) as i32;
    let full_dy = if detail {
        (40.0 * s) as i32
    } else {
        (24.0 * s) as i32
    };
    let n = traces.len() as i32;
    let dy = if n > 0 && n * full_dy > avail {
        (avail / n).max((17.0 * s) as i32)
    } else {
        full_dy
    };
    let detail = detail && dy >= (34.0 * s) as i32;
    let shown = if n == 0 {
        0
    } else {
        ((avail / dy).max(1) as usize).min(traces.len())
    };
    let shown = if shown < traces.len() {
        shown.saturating_sub(1)
    } else {
        shown
    };
    text(
        root,
        "Optimizers",
        (x, y - (2.0 * s) as i32),
        14.0 * s,
        &INK,
        HPos::Left,
        VPos::Top,
        true,
    )?;
    let y0 = y + (24.0 * s) as i32;
    layout.legend_x = x;
    layout.legend_y = y0;
    layout.legend_dy = dy;
    layout.legend_w = w;
    layout.legend_detail = detail;
    layout.legend_shown = shown;
    for (i, t) in traces.iter().enumerate().take(shown) {
        let c = rgb(path_colour(i));
        let ey = y0 + i as i32 * dy;
        let cy = ey + if detail { (10.0 * s) as i32 } else { dy / 2 };
        root.draw(&PathElement::new(
            vec![(x, cy), (x + (26.0 * s) as i32, cy)],
            c.stroke_width(style.line_width + 1),
        ))
        .map_err(draw_err)?;
        Marker::nth(i).draw(root, (x + (26.0 * s) as i32, cy), 4.5 * s, &c)?;
        let name = fit_text(
            root,
            &t.optimizer,
            13.5 * s,
            false,
            (w - (36.0 * s) as i32).max(10) as u32,
        );
        note(root, &name, (x + (36.0 * s) as i32, cy), 13.5 * s, &INK)?;
    }
    if shown < traces.len() {
        let ey = y0 + shown as i32 * dy + dy / 2;
        note(
            root,
            &format!("… and {} more", traces.len() - shown),
            (x + (36.0 * s) as i32, ey),
            12.5 * s,
            &MUTED,
        )?;
    }
    // Key to the markers and the cross, at the bottom of the legend column.
    let ky = layout.bottom - (34.0 * s) as i32;
    let ring = Circle::new(
        (x + (8.0 * s) as i32, ky),
        (5.5 * s) as i32,
        INK.stroke_width(2),
    );
    root.draw(&ring).map_err(draw_err)?;
    note(root, "start", (x + (20.0 * s) as i32, ky), 12.0 * s, &MUTED)?;
    Marker::Circle.draw(root, (x + (72.0 * s) as i32, ky), 4.5 * s, &MUTED)?;
    note(
        root,
        "end (shape per optimizer)",
        (x + (84.0 * s) as i32, ky),
        12.0 * s,
        &MUTED,
    )?;
    if style.mark_minimum && grid.argmin().is_some() {
        let ky2 = ky + (20.0 * s) as i32;
        let (cx, r) = (x + (8.0 * s) as i32, (5.0 * s) as i32);
        root.draw(&PathElement::new(
            vec![(cx - r, ky2 - r), (cx + r, ky2 + r)],
            INK.stroke_width(2),
        ))
        .map_err(draw_err)?;
        root.draw(&PathElement::new(
            vec![(cx - r, ky2 + r), (cx + r, ky2 - r)],
            INK.stroke_width(2),
        ))
        .map_err(draw_err)?;
        note(
            root,
            "lowest grid value",
            (x + (20.0 * s) as i32, ky2),
            12.0 * s,
            &MUTED,
        )?;
    }
    Ok(())
}

fn draw_start_markers<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    traces: &[Trace],
    s: f64,
) -> Result<()> {
    let mut done: Vec<(i32, i32)> = Vec::new();
    for t in traces {
        let Some(p) = t.iterates.first() else {
            continue;
        };
        let p = (p[0], p[1]);
        if !l.inside(p) {
            continue;
        }
        let c = l.px(p);
        if done.contains(&c) {
            continue;
        }
        done.push(c);
        let r = (6.5 * s) as i32;
        root.draw(&Circle::new(c, r + 1, WHITE.stroke_width(4)))
            .map_err(draw_err)?;
        root.draw(&Circle::new(c, r, INK.stroke_width(2)))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// Draws each trace up to (and including) iterate `upto[i]`: the line with a
/// white halo, dots at the iterates of short runs, and a marker at the last
/// drawn iterate (if it is in view). Non-finite iterates break the line.
pub(crate) fn draw_traces<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    traces: &[Trace],
    upto: &[usize],
    style: &PathsStyle,
) -> Result<()> {
    let s = ((root.dim_in_pixel().1 as f64) / 720.0).clamp(0.6, 2.0);
    let lw = style.line_width.max(1);
    // Halos first (all traces), then lines, so a later halo never hides an
    // earlier line.
    let mut polylines: Vec<(usize, Vec<(i32, i32)>)> = Vec::new();
    for (i, t) in traces.iter().enumerate() {
        let end = upto
            .get(i)
            .copied()
            .unwrap_or(usize::MAX)
            .min(t.iterates.len().saturating_sub(1));
        let mut current: Vec<(i32, i32)> = Vec::new();
        for k in 0..end {
            let a = (t.iterates[k][0], t.iterates[k][1]);
            let b = (t.iterates[k + 1][0], t.iterates[k + 1][1]);
            match clip_segment(a, b, l.x_range, l.y_range) {
                Some((ca, cb)) => {
                    let (pa, pb) = (l.px(ca), l.px(cb));
                    if current.last() != Some(&pa) {
                        if current.len() > 1 {
                            polylines.push((i, std::mem::take(&mut current)));
                        }
                        current.clear();
                        current.push(pa);
                    }
                    if current.last() != Some(&pb) {
                        current.push(pb);
                    }
                }
                None => {
                    if current.len() > 1 {
                        polylines.push((i, std::mem::take(&mut current)));
                    }
                    current.clear();
                }
            }
        }
        if current.len() > 1 {
            polylines.push((i, current));
        }
    }
    for (_, pl) in &polylines {
        root.draw(&PathElement::new(
            pl.clone(),
            WHITE.mix(0.85).stroke_width(lw + 2),
        ))
        .map_err(draw_err)?;
    }
    for (i, pl) in &polylines {
        root.draw(&PathElement::new(
            pl.clone(),
            rgb(path_colour(*i)).stroke_width(lw),
        ))
        .map_err(draw_err)?;
    }
    // Dots at the iterates of short runs.
    for (i, t) in traces.iter().enumerate() {
        if t.steps() > style.dots_up_to {
            continue;
        }
        let end = upto
            .get(i)
            .copied()
            .unwrap_or(usize::MAX)
            .min(t.iterates.len().saturating_sub(1));
        let c = rgb(path_colour(i));
        for p in t.iterates.iter().take(end + 1).skip(1) {
            let p = (p[0], p[1]);
            if p.0.is_finite() && p.1.is_finite() && l.inside(p) {
                root.draw(&Circle::new(l.px(p), (2.5 * s).round() as i32, c.filled()))
                    .map_err(draw_err)?;
            }
        }
    }
    // Markers at the current/last finite iterate in view. Runs that end at
    // the same spot get concentric markers: the first run's is the largest
    // and is drawn first, so every colour stays visible.
    let mut ends: Vec<(usize, (i32, i32))> = Vec::new();
    for (i, t) in traces.iter().enumerate() {
        let end = upto
            .get(i)
            .copied()
            .unwrap_or(usize::MAX)
            .min(t.iterates.len().saturating_sub(1));
        let last = t
            .iterates
            .iter()
            .take(end + 1)
            .rev()
            .find(|p| p[0].is_finite() && p[1].is_finite());
        if let Some(p) = last {
            let p = (p[0], p[1]);
            if end > 0 && l.inside(p) {
                ends.push((i, l.px(p)));
            }
        }
    }
    let near = |a: (i32, i32), b: (i32, i32)| (a.0 - b.0).abs() <= 4 && (a.1 - b.1).abs() <= 4;
    let mut sized: Vec<(usize, (i32, i32), f64)> = Vec::new();
    for (k, &(i, at)) in ends.iter().enumerate() {
        let later = ends[k + 1..]
            .iter()
            .filter(|e| near(e.1, at))
            .count()
            .min(5);
        sized.push((i, at, (5.5 + 2.6 * later as f64) * s));
    }
    for (i, at, r) in sized {
        Marker::nth(i).draw(root, at, r, &rgb(path_colour(i)))?;
    }
    Ok(())
}

/// Draws the loss landscape of `grid` with the paths of `traces` on any
/// plotters backend: heatmap (with iso-lines at "nice" levels and a colour
/// bar), one colour and marker shape per optimizer (start ring, end marker),
/// a legend with step counts and final losses, labelled axes and a title.
///
/// The view is the grid's range; iterates outside it or non-finite are cut
/// out of the lines. Iterates must be 2-D (see [`super::pca_plane`]).
///
/// # Errors
/// [`PlotError::InvalidInput`] for an inconsistent grid or non-2-D
/// iterates; [`PlotError::Drawing`] if the backend fails.
pub fn draw_paths<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    grid: &LossGrid,
    traces: &[Trace],
    style: &PathsStyle,
) -> Result<()> {
    let layout = draw_background(root, grid, traces, style, true, false)?;
    let all: Vec<usize> = traces.iter().map(|t| t.iterates.len()).collect();
    draw_traces(root, &layout, traces, &all, style)?;
    draw_legend_details(root, &layout, traces, None)?;
    root.present().map_err(draw_err)
}

/// Writes each legend entry's detail line: the run summary, or with
/// `Some(step)` the loss at that step of the animation.
pub(crate) fn draw_legend_details<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    traces: &[Trace],
    at: Option<&[usize]>,
) -> Result<()> {
    if !l.legend_detail {
        return Ok(());
    }
    let s = ((root.dim_in_pixel().1 as f64) / 720.0).clamp(0.6, 2.0);
    for (i, t) in traces.iter().enumerate().take(l.legend_shown) {
        let ((x, y), (_, y1)) = l.detail_rect(i);
        let msg = match at {
            None => run_summary(t),
            Some(steps) => {
                let k = steps.get(i).copied().unwrap_or(0).min(t.steps());
                let loss = t.loss.get(k).copied().unwrap_or(f64::NAN);
                if k == t.steps() {
                    if t.diverged() {
                        format!("diverged at step {k}")
                    } else {
                        format!("done: {k} steps, loss {}", format_loss(loss))
                    }
                } else {
                    format!("step {k}: loss {}", format_loss(loss))
                }
            }
        };
        let msg = fit_text(
            root,
            &msg,
            12.0 * s,
            false,
            (l.legend_w - 36).max(10) as u32,
        );
        note(root, &msg, (x + 2, (y + y1) / 2), 12.0 * s, &MUTED)?;
    }
    Ok(())
}

/// Renders [`draw_paths`] to a PNG [`Figure`] of `style.width × style.height`.
///
/// # Errors
/// As [`draw_paths`].
pub fn paths_figure(grid: &LossGrid, traces: &[Trace], style: &PathsStyle) -> Result<Figure> {
    super::render_png(style.width, style.height, |root| {
        draw_paths(root, grid, traces, style)
    })
}

/// Renders [`draw_paths`] as SVG text (the heatmap drawn as merged cells,
/// so keep the grid near 100 × 100 for a compact file).
///
/// # Errors
/// As [`draw_paths`].
pub fn paths_svg(grid: &LossGrid, traces: &[Trace], style: &PathsStyle) -> Result<String> {
    let mut st = style.clone();
    st.heatmap = HeatmapRender::Cells;
    super::render_svg(st.width, st.height, |root| {
        draw_paths(root, grid, traces, &st)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A clipped segment lies in the box, on the original segment, and
        /// is missing only when no point of the segment is in the box.
        #[test]
        fn clipped_segments_stay_in_the_box_and_on_the_line(
            ax in -5.0..5.0f64, ay in -5.0..5.0f64, bx in -5.0..5.0f64, by in -5.0..5.0f64,
        ) {
            let (xb, yb) = ((-1.0, 2.0), (-0.5, 1.5));
            let inside = |p: (f64, f64)| p.0 >= xb.0 - 1e-9 && p.0 <= xb.1 + 1e-9 && p.1 >= yb.0 - 1e-9 && p.1 <= yb.1 + 1e-9;
            match clip_segment((ax, ay), (bx, by), xb, yb) {
                Some((p, q)) => {
                    prop_assert!(inside(p) && inside(q));
                    // Collinear with the original: cross product ≈ 0.
                    for r in [p, q] {
                        let cross = (bx - ax) * (r.1 - ay) - (by - ay) * (r.0 - ax);
                        prop_assert!(cross.abs() < 1e-9);
                    }
                }
                None => {
                    for k in 0..=100 {
                        let t = k as f64 / 100.0;
                        let r = (ax + t * (bx - ax), ay + t * (by - ay));
                        prop_assert!(!(r.0 > xb.0 && r.0 < xb.1 && r.1 > yb.0 && r.1 < yb.1));
                    }
                }
            }
        }
    }

    #[test]
    fn draws_inside_a_sub_area_only() {
        let grid = LossGrid::from_fn((-1.0, 1.0), (-1.0, 1.0), 20, |x, y| x * x + y * y).unwrap();
        let (w, h) = (1400u32, 720u32);
        let buf = crate::plot::output::render_rgb(w, h, |root| {
            let (left, right) = root.split_horizontally(440);
            left.fill(&WHITE).map_err(draw_err)?;
            draw_paths(&right, &grid, &[], &PathsStyle::default())
        })
        .unwrap();
        // The right part is pixel for pixel the same figure drawn alone.
        let alone = crate::plot::output::render_rgb(960, 720, |root| {
            draw_paths(root, &grid, &[], &PathsStyle::default())
        })
        .unwrap();
        for y in 0..h as usize {
            let row = &buf[(y * w as usize + 440) * 3..(y * w as usize + 1400) * 3];
            assert_eq!(row, &alone[y * 960 * 3..(y + 1) * 960 * 3], "row {y}");
        }
    }

    #[test]
    fn clipping() {
        let b = ((0.0, 1.0), (0.0, 1.0));
        assert_eq!(
            clip_segment((0.5, 0.5), (0.6, 0.6), b.0, b.1),
            Some(((0.5, 0.5), (0.6, 0.6)))
        );
        let c = clip_segment((-1.0, 0.5), (2.0, 0.5), b.0, b.1).unwrap();
        assert_eq!(c, ((0.0, 0.5), (1.0, 0.5)));
        assert!(clip_segment((2.0, 2.0), (3.0, 3.0), b.0, b.1).is_none());
        assert!(clip_segment((0.5, 0.5), (f64::NAN, 0.0), b.0, b.1).is_none());
        let c = clip_segment((0.5, 0.5), (0.5, 1e300), b.0, b.1).unwrap();
        assert_eq!(c.1, (0.5, 1.0));
    }
}
