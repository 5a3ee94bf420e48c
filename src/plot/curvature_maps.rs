//! Maps of curvature over a slice: the Hessian's eigenvalue signs and its
//! condition number, with paths on top.

use plotters::coord::Shift;
use plotters::element::{BitMapElement, PathElement, Rectangle};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::colour::{landscape_colour, path_colour, rgb, ColourScale, Rgb, NO_VALUE};
use super::curvature_grid::CurvatureGrid;
use super::error::{draw_err, PlotError, Result};
use super::font::ensure_fonts;
use super::kit::{
    draw_colour_bar, draw_map_axes, fit_text, font_scale, note, text, titled, HeatmapRender,
    Layout, Marker, INK, MUTED,
};
use super::output::Figure;
use super::paths::draw_traces;
use super::paths::PathsStyle;
use crate::trace::Trace;

/// Colours of the eigenvalue-sign classes: both positive (a bowl), mixed
/// (a saddle), both negative (a dome), undefined or singular.
const CLASS_COLOURS: [Rgb; 4] = [
    [0xd7, 0x30, 0x27], // 0: both negative
    [0xfd, 0xae, 0x61], // 1: saddle
    [0x91, 0xbf, 0xdb], // 2: both positive
    [0xdd, 0xdd, 0xdd], // undefined
];

/// A field over `grid`'s slice (axes named by the grid, its title as the
/// subtitle) with optional paths and a right panel of `panel_w` pixels for
/// a key. Returns the plot layout.
#[allow(clippy::too_many_arguments)]
fn field_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    grid: &CurvatureGrid,
    title: &str,
    panel_w: i32,
    key_offset: i32,
    colour: &dyn Fn(usize, usize) -> Rgb,
    traces: &[Trace],
    render: HeatmapRender,
) -> Result<Layout> {
    let (xs, ys) = (&grid.xs[..], &grid.ys[..]);
    if xs.len() < 2 || ys.len() < 2 {
        return Err(PlotError::InvalidInput(
            "a map needs at least 2 × 2 grid points".into(),
        ));
    }
    if traces
        .iter()
        .any(|t| t.iterates.iter().any(|p| p.len() != 2))
    {
        return Err(PlotError::InvalidInput(
            "map overlays need 2-D iterates".into(),
        ));
    }
    let area = titled(root, title, &grid.title)?;
    let s = font_scale(root);
    let w = area.dim_in_pixel().0 as i32;
    let (chart_area, _) = area.split_horizontally(w - panel_w);
    let (x0, x1) = (xs[0], xs[xs.len() - 1]);
    let (y0, y1) = (ys[0], ys[ys.len() - 1]);
    let mut chart = ChartBuilder::on(&chart_area)
        .margin((10.0 * s) as i32)
        .x_label_area_size((44.0 * s) as i32)
        .y_label_area_size((60.0 * s) as i32)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_err)?;
    draw_map_axes(&mut chart, (&grid.x_label, &grid.y_label), s)?;
    let layout = Layout::of_chart(root, &chart, s);
    // Nearest grid point for every pixel (cells are honest for classes).
    let idx = |v: &[f64], t: f64| -> usize {
        let f = (t - v[0]) / (v[v.len() - 1] - v[0]) * (v.len() - 1) as f64;
        (f.round().max(0.0) as usize).min(v.len() - 1)
    };
    let (pw, ph) = (
        (layout.right - layout.left).max(1) as usize,
        (layout.bottom - layout.top).max(1) as usize,
    );
    if render == HeatmapRender::Raster {
        let mut buf = vec![0u8; pw * ph * 3];
        for py in 0..ph {
            let y = y1 - py as f64 / (ph - 1).max(1) as f64 * (y1 - y0);
            let j = idx(ys, y);
            for px in 0..pw {
                let x = x0 + px as f64 / (pw - 1).max(1) as f64 * (x1 - x0);
                let c = colour(j, idx(xs, x));
                buf[(py * pw + px) * 3..(py * pw + px) * 3 + 3].copy_from_slice(&c);
            }
        }
        let el = BitMapElement::with_owned_buffer(
            (layout.left, layout.top),
            (pw as u32, ph as u32),
            buf,
        )
        .ok_or_else(|| PlotError::Drawing("map buffer size".into()))?;
        root.draw(&el).map_err(draw_err)?;
    } else {
        let edge = |v: &[f64], k: usize| -> f64 {
            if k == 0 {
                v[0]
            } else if k >= v.len() {
                v[v.len() - 1]
            } else {
                0.5 * (v[k - 1] + v[k])
            }
        };
        for j in 0..ys.len() {
            let ya = layout.to_px((x0, edge(ys, j))).1.round() as i32;
            let yb = layout.to_px((x0, edge(ys, j + 1))).1.round() as i32;
            let mut i = 0;
            while i < xs.len() {
                let c = colour(j, i);
                let mut k = i + 1;
                while k < xs.len() && colour(j, k) == c {
                    k += 1;
                }
                let xa = layout.to_px((edge(xs, i), y0)).0.round() as i32;
                let xb = layout.to_px((edge(xs, k), y0)).0.round() as i32;
                root.draw(&Rectangle::new([(xa, yb), (xb, ya)], rgb(c).filled()))
                    .map_err(draw_err)?;
                i = k;
            }
        }
    }
    let style = PathsStyle::default();
    let all: Vec<usize> = traces.iter().map(|t| t.iterates.len()).collect();
    draw_traces(root, &layout, traces, &all, &style)?;
    root.draw(&Rectangle::new(
        [
            (layout.left - 1, layout.top - 1),
            (layout.right, layout.bottom),
        ],
        INK.stroke_width(1),
    ))
    .map_err(draw_err)?;
    // Path key under the panel key, if any.
    if !traces.is_empty() {
        let x = layout.right + key_offset;
        let mut y = layout.bottom - (20.0 * s) as i32 * traces.len().min(8) as i32;
        for (i, t) in traces.iter().enumerate().take(8) {
            let c = rgb(path_colour(i));
            root.draw(&PathElement::new(
                vec![(x, y), (x + (22.0 * s) as i32, y)],
                c.stroke_width(3),
            ))
            .map_err(draw_err)?;
            Marker::nth(i).draw(root, (x + (22.0 * s) as i32, y), 4.0 * s, &c)?;
            let nm = fit_text(
                root,
                &t.optimizer,
                12.0 * s,
                false,
                (panel_w - key_offset - (40.0 * s) as i32).max(10) as u32,
            );
            note(root, &nm, (x + (32.0 * s) as i32, y), 12.0 * s, &INK)?;
            y += (20.0 * s) as i32;
        }
    }
    Ok(layout)
}

/// Draws the Hessian's eigenvalue-sign map over a slice: where the loss is
/// locally a bowl (both eigenvalues positive: Newton's step points
/// downhill), a saddle (one negative: Newton's step can point uphill or to
/// the saddle), or a dome (both negative). The key gives each class's share
/// of the grid. `traces` (2-D, possibly empty) are drawn on top.
///
/// Eigenvalues within `1e-10 · max|λ|` of zero count as undefined (grey).
///
/// # Errors
/// [`PlotError::InvalidInput`] for a grid smaller than 2 × 2 or non-2-D
/// iterates; [`PlotError::Drawing`] if the backend fails.
pub fn draw_eigen_sign_map<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    grid: &CurvatureGrid,
    traces: &[Trace],
    render: HeatmapRender,
) -> Result<()> {
    ensure_fonts();
    let s = font_scale(root);
    let tol = 1e-10;
    let class_colour = |j: usize, i: usize| -> Rgb {
        match grid.class(j, i, tol) {
            Some(c) => CLASS_COLOURS[c as usize],
            None => CLASS_COLOURS[3],
        }
    };
    let panel_w = (200.0 * s) as i32;
    let layout = field_chart(
        root,
        grid,
        "Signs of the Hessian's eigenvalues",
        panel_w,
        (22.0 * s) as i32,
        &class_colour,
        traces,
        render,
    )?;
    let mut counts = [0usize; 4];
    for j in 0..grid.ys.len() {
        for i in 0..grid.xs.len() {
            counts[grid.class(j, i, tol).map_or(3, |c| c as usize)] += 1;
        }
    }
    let total = counts.iter().sum::<usize>().max(1) as f64;
    let x = layout.right + (22.0 * s) as i32;
    let mut y = layout.top + (8.0 * s) as i32;
    text(
        root,
        "Curvature",
        (x, y),
        14.0 * s,
        &INK,
        HPos::Left,
        VPos::Top,
        true,
    )?;
    y += (30.0 * s) as i32;
    for (k, name) in [
        (2usize, "bowl: λ₁, λ₂ > 0"),
        (1, "saddle: λ₁ < 0 < λ₂"),
        (0, "dome: λ₁, λ₂ < 0"),
        (3, "flat or undefined"),
    ] {
        if k == 3 && counts[3] == 0 {
            continue;
        }
        let swatch = [
            (x, y - (8.0 * s) as i32),
            (x + (16.0 * s) as i32, y + (8.0 * s) as i32),
        ];
        for style in [rgb(CLASS_COLOURS[k]).filled(), INK.stroke_width(1)] {
            root.draw(&Rectangle::new(swatch, style))
                .map_err(draw_err)?;
        }
        note(
            root,
            name,
            (x + (24.0 * s) as i32, y - (1.0 * s) as i32),
            12.0 * s,
            &INK,
        )?;
        note(
            root,
            &format!("{:.1}% of the grid", 100.0 * counts[k] as f64 / total),
            (x + (24.0 * s) as i32, y + (15.0 * s) as i32),
            11.0 * s,
            &MUTED,
        )?;
        y += (44.0 * s) as i32;
    }
    Ok(())
}

/// Draws `log₁₀ κ(∇²L)`, the condition number `κ = max|λ| / min|λ|` of the
/// Hessian, over a slice, with a colour bar: where gradient descent must
/// take many small steps (large κ) and where a Newton step helps most.
/// Singular points (κ = ∞) take the top colour, undefined ones grey.
/// `traces` (2-D, possibly empty) are drawn on top.
///
/// # Errors
/// As [`draw_eigen_sign_map`].
pub fn draw_condition_map<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    grid: &CurvatureGrid,
    traces: &[Trace],
    render: HeatmapRender,
) -> Result<()> {
    ensure_fonts();
    let s = font_scale(root);
    let lc = grid.log10_condition();
    // A robust colour range (2nd to 98th percentile): near-singular points
    // would otherwise squeeze everything else into one colour; the bar's top
    // then means "this or worse".
    let mut fin: Vec<f64> = lc.iter().copied().filter(|v| v.is_finite()).collect();
    fin.sort_by(f64::total_cmp);
    let (lo, hi) = if fin.is_empty() {
        (0.0, 1.0)
    } else {
        let q = |f: f64| fin[((fin.len() - 1) as f64 * f).round() as usize];
        (q(0.02), q(0.98))
    };
    let scale = ColourScale::auto(lo.min(hi), hi);
    let scale = match scale {
        ColourScale::Log { lo, hi } => ColourScale::Linear { lo, hi },
        other => other,
    };
    let colour = |j: usize, i: usize| -> Rgb {
        let v = lc[[j, i]];
        if v == f64::INFINITY {
            landscape_colour(1.0)
        } else if v.is_finite() {
            landscape_colour(scale.t(v))
        } else {
            NO_VALUE
        }
    };
    let panel_w = (120.0 * s) as i32;
    let layout = field_chart(
        root,
        grid,
        "Condition number of the Hessian, log₁₀ κ",
        panel_w
            + if traces.is_empty() {
                0
            } else {
                (170.0 * s) as i32
            },
        panel_w,
        &colour,
        traces,
        render,
    )?;
    let levels = scale.nice_levels(8);
    draw_colour_bar(
        root,
        &scale,
        &levels,
        "log₁₀ κ",
        (
            layout.right + (14.0 * s) as i32,
            layout.top + (14.0 * s) as i32,
        ),
        (
            (16.0 * s) as i32,
            (layout.bottom - layout.top - (28.0 * s) as i32).max(4),
        ),
        s,
        render,
    )
}

/// The eigenvalue-sign map as a PNG [`Figure`].
///
/// # Errors
/// As [`draw_eigen_sign_map`].
pub fn eigen_sign_figure(
    grid: &CurvatureGrid,
    traces: &[Trace],
    width: u32,
    height: u32,
) -> Result<Figure> {
    super::render_png(width, height, |root| {
        draw_eigen_sign_map(root, grid, traces, HeatmapRender::Raster)
    })
}

/// The eigenvalue-sign map as SVG text (cells as rectangles).
///
/// # Errors
/// As [`draw_eigen_sign_map`].
pub fn eigen_sign_svg(
    grid: &CurvatureGrid,
    traces: &[Trace],
    width: u32,
    height: u32,
) -> Result<String> {
    super::render_svg(width, height, |root| {
        draw_eigen_sign_map(root, grid, traces, HeatmapRender::Cells)
    })
}

/// The condition-number map as a PNG [`Figure`].
///
/// # Errors
/// As [`draw_condition_map`].
pub fn condition_figure(
    grid: &CurvatureGrid,
    traces: &[Trace],
    width: u32,
    height: u32,
) -> Result<Figure> {
    super::render_png(width, height, |root| {
        draw_condition_map(root, grid, traces, HeatmapRender::Raster)
    })
}

/// The condition-number map as SVG text (cells as rectangles).
///
/// # Errors
/// As [`draw_condition_map`].
pub fn condition_svg(
    grid: &CurvatureGrid,
    traces: &[Trace],
    width: u32,
    height: u32,
) -> Result<String> {
    super::render_svg(width, height, |root| {
        draw_condition_map(root, grid, traces, HeatmapRender::Cells)
    })
}
