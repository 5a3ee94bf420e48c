//! The loss landscape with optimizer paths: the picture of `paths.png` and
//! the background of every `journey.gif` frame.

use plotters::coord::Shift;
use plotters::element::{Circle, DashedPathElement, PathElement, Rectangle};
use plotters::prelude::*;
use plotters::style::RGBAColor;

use super::colour::{path_colour, rgb, ColourScale};
use super::contour::march;
use super::error::{draw_err, PlotError, Result};
use super::font::ensure_fonts;
use super::grid::LossGrid;
use super::kit::{
    book_scale, centred_line, clip_segment, dash_patterns, draw_colour_bar, draw_heatmap,
    draw_legend, draw_legend_details, draw_map_axes, split_sharp_turns, HeatmapRender, Layout,
    LegendKey, Marker, INK, MUTED,
};
use super::output::Figure;
use super::quadratic_model::ModelOverlay;
use super::quadratic_model::{draw_model, ModelLayer};
use crate::trace::Trace;

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
    /// The quadratic model of one trace to draw under the paths
    /// ([`ModelOverlay`]; default `None`): [`draw_paths`] draws the model at
    /// [`ModelOverlay::step`], the journey animation the model at each
    /// frame's iterate.
    pub model: Option<ModelOverlay>,
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
            model: None,
        }
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
    let s = book_scale((h as f64 / 720.0).clamp(0.6, 2.0), w as u32); // font scale
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
    let legend_w = ((w as f64 * 0.27) as i32).clamp((150.0 * s) as i32, (300.0 * s) as i32);
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
    draw_map_axes(&mut chart, (&grid.x_label, &grid.y_label), s)?;
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
    let key = LegendKey {
        line_width: style.line_width,
        minimum: style.mark_minimum && grid.argmin().is_some(),
    };
    draw_legend(
        root,
        &mut layout,
        traces,
        key,
        (lx, ly),
        legend_w - (14.0 * s) as i32,
        s,
    )?;

    // Start markers (shared start drawn once per distinct point).
    draw_start_markers(root, &layout, traces, s)?;
    Ok(layout)
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

/// The last entry of `t` to draw when drawing up to iteration `upto` (all
/// of it for `None`); thinned traces hold fewer entries than iterations.
fn upto_entry(t: &Trace, upto: Option<usize>) -> usize {
    t.entry_at(upto.unwrap_or(usize::MAX))
}

/// Draws each trace up to (and including) iteration `upto[i]`: the line with a
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
        let end = upto_entry(t, upto.get(i).copied());
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
    let polylines: Vec<(usize, Vec<(i32, i32)>)> = polylines
        .into_iter()
        .flat_map(|(i, pl)| split_sharp_turns(&pl).into_iter().map(move |p| (i, p)))
        .collect();
    for (_, pl) in &polylines {
        root.draw(&PathElement::new(
            pl.clone(),
            WHITE.mix(0.85).stroke_width(lw + 2),
        ))
        .map_err(draw_err)?;
    }
    // A path that runs on top of an earlier one is dashed, so both show.
    let dashes = dash_patterns(traces, l.x_range, l.y_range);
    for (i, pl) in &polylines {
        let style = rgb(path_colour(*i)).stroke_width(lw);
        match dashes[*i] {
            Some((dash, gap)) => root.draw(&DashedPathElement::new(pl.clone(), dash, gap, style)),
            None => root.draw(&PathElement::new(pl.clone(), style)),
        }
        .map_err(draw_err)?;
    }
    // Dots at the iterates of short runs.
    for (i, t) in traces.iter().enumerate() {
        if t.steps() > style.dots_up_to {
            continue;
        }
        let end = upto_entry(t, upto.get(i).copied());
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
        let end = upto_entry(t, upto.get(i).copied());
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

/// Draws one layer of the model of `overlay` at iteration `iteration` of
/// its trace (the entry holding it), if the trace and a model there exist.
pub(crate) fn draw_overlay<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    traces: &[Trace],
    overlay: &ModelOverlay,
    iteration: usize,
    layer: ModelLayer,
) -> Result<()> {
    let Some(t) = traces.get(overlay.trace) else {
        return Err(PlotError::InvalidInput(format!(
            "the model overlay names trace {} of {}",
            overlay.trace,
            traces.len()
        )));
    };
    let entry = t.entry_at(iteration);
    match overlay.model(entry) {
        Some(m) => draw_model(
            root,
            l,
            m,
            overlay.levels,
            (overlay.trace, t.iteration(entry)),
            layer,
        ),
        None => Ok(()),
    }
}

/// Draws the loss landscape of `grid` with the paths of `traces` on any
/// plotters backend: heatmap (with iso-lines at "nice" levels and a colour
/// bar), one colour and marker shape per optimizer (start ring, end marker),
/// a legend with step counts and final losses, labelled axes and a title.
///
/// The view is the grid's range; iterates outside it or non-finite are cut
/// out of the lines. Iterates must be 2-D (see [`super::pca_plane`]).
/// With [`PathsStyle::model`] set, the quadratic model of one trace at one
/// step is drawn under the paths (see [`super::quadratic_model`]).
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
    if let Some(overlay) = &style.model {
        draw_overlay(
            root,
            &layout,
            traces,
            overlay,
            overlay.step,
            ModelLayer::Contours,
        )?;
    }
    let all: Vec<usize> = traces.iter().map(|t| t.iterates.len()).collect();
    draw_traces(root, &layout, traces, &all, style)?;
    if let Some(overlay) = &style.model {
        draw_overlay(
            root,
            &layout,
            traces,
            overlay,
            overlay.step,
            ModelLayer::Marks,
        )?;
    }
    draw_legend_details(root, &layout, traces, None)?;
    root.present().map_err(draw_err)
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
}
