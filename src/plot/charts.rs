//! Charts of runs and of curvature: loss curves, the bake-off, the Hessian's
//! eigenvalue-sign map and its condition-number map.

use plotters::coord::Shift;
use plotters::element::{BitMapElement, PathElement, Rectangle};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::RGBAColor;

use super::colour::{
    format_value, landscape_colour, path_colour, rgb, tick, ColourScale, Rgb, NO_VALUE,
};
use super::landscape::{
    centred_line, draw_colour_bar, draw_traces, fit_text, format_loss, fsize, note, point_runs,
    text, HeatmapRender, Layout, Marker, INK, MUTED,
};
use super::{draw_err, ensure_fonts, CurvatureGrid, Figure, PathsStyle, PlotError, Result, FONT};
use crate::trace::Trace;

/// What the horizontal axis of [`draw_loss_curves`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CurveAxis {
    /// Iterations.
    Iteration,
    /// Loss evaluations made by the optimizer (`Counts::cost`).
    CostEvals,
    /// Gradient evaluations (`Counts::gradient`).
    GradientEvals,
    /// All oracle calls: loss + gradient + Hessian + curvature products.
    Evaluations,
    /// Wall time in milliseconds.
    WallTime,
}

impl CurveAxis {
    fn label(self) -> &'static str {
        match self {
            Self::Iteration => "iteration",
            Self::CostEvals => "loss evaluations",
            Self::GradientEvals => "gradient evaluations",
            Self::Evaluations => "evaluations (loss + gradient + Hessian + curvature products)",
            Self::WallTime => "wall time (ms)",
        }
    }

    fn value(self, t: &Trace, k: usize) -> f64 {
        let c = t.counts.get(k).copied().unwrap_or_default();
        match self {
            Self::Iteration => k as f64,
            Self::CostEvals => c.cost as f64,
            Self::GradientEvals => c.gradient as f64,
            Self::Evaluations => (c.cost + c.gradient + c.hessian + c.curvature) as f64,
            Self::WallTime => t.elapsed_ms.get(k).copied().unwrap_or(f64::NAN),
        }
    }
}

fn font_scale<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> f64 {
    let (w, h) = root.dim_in_pixel();
    ((w as f64 * h as f64).sqrt() / (900.0f64 * 560.0).sqrt()).clamp(0.85, 2.0)
}

/// Title and subtitle at the top; returns the area below them.
fn titled<DB: DrawingBackend>(
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

/// Draws each run's full-batch loss against `axis` on a logarithmic loss
/// axis, one colour per run (the same colours as the landscape), with the
/// run's final point marked. With `baseline = Some(L*)` it draws the
/// suboptimality `L − L*` instead (points at or below `L*` are left out),
/// which is what shows linear versus quadratic convergence.
///
/// Non-finite or non-positive values break a curve; an empty slice draws
/// empty axes.
///
/// # Errors
/// [`PlotError::Drawing`] if the backend fails.
pub fn draw_loss_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    traces: &[Trace],
    axis: CurveAxis,
    baseline: Option<f64>,
) -> Result<()> {
    let s = font_scale(root);
    let what = match baseline {
        Some(b) => format!("loss − {}", format_value(b)),
        None => "loss".into(),
    };
    let axis_name = axis.label().split(" (").next().unwrap_or("");
    let title = match baseline {
        Some(b) => format!("Loss above {} vs {axis_name}", format_value(b)),
        None => format!("Loss vs {axis_name}"),
    };
    let problem = traces.first().map(|t| t.problem.as_str()).unwrap_or("");
    let area = titled(root, &title, problem)?;
    // The k-th point of a run's curve, `None` where it cannot be drawn.
    let point = |t: &Trace, k: usize| -> Option<(f64, f64)> {
        let (x, y) = (axis.value(t, k), t.loss[k] - baseline.unwrap_or(0.0));
        (x.is_finite() && y.is_finite() && y > 0.0).then_some((x, y))
    };
    // Ranges over the drawable points.
    let (mut x_hi, mut y_lo, mut y_hi) = (0.0_f64, f64::INFINITY, 0.0_f64);
    for t in traces {
        for (x, y) in (0..t.loss.len()).filter_map(|k| point(t, k)) {
            x_hi = x_hi.max(x);
            y_lo = y_lo.min(y);
            y_hi = y_hi.max(y);
        }
    }
    if !(y_lo.is_finite() && y_hi > 0.0) {
        (y_lo, y_hi) = (0.1, 1.0);
    }
    let (y_lo, y_hi) = if y_hi / y_lo < 1.5 {
        (y_lo / 1.25, y_hi * 1.25)
    } else {
        (y_lo / 1.6, y_hi * 1.6)
    };
    let x_hi = if x_hi > 0.0 { x_hi * 1.02 } else { 1.0 };
    let mut chart = ChartBuilder::on(&area)
        .margin((12.0 * s) as i32)
        .x_label_area_size((44.0 * s) as i32)
        .y_label_area_size((70.0 * s) as i32)
        .build_cartesian_2d(0.0..x_hi, (y_lo..y_hi).log_scale())
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc(axis.label())
        .y_desc(format!("{what} (log scale)"))
        .axis_desc_style((FONT, fsize(14.0 * s)))
        .label_style((FONT, fsize(12.0 * s)))
        .x_label_formatter(&|v| tick(*v, x_hi))
        .y_label_formatter(&|v| format_value(*v))
        .light_line_style(RGBAColor(0, 0, 0, 0.05))
        .bold_line_style(RGBAColor(0, 0, 0, 0.12))
        .axis_style(INK)
        .draw()
        .map_err(draw_err)?;
    for (i, t) in traces.iter().enumerate() {
        let c = rgb(path_colour(i));
        let runs = point_runs(
            (0..t.loss.len()).map(|k| point(t, k).map(|(x, y)| (x, y.clamp(y_lo, y_hi)))),
        );
        let label = format!("{} ({})", t.optimizer, super::landscape::run_summary(t));
        let mut first = true;
        for r in runs {
            let series = chart
                .draw_series(std::iter::once(PathElement::new(
                    r.clone(),
                    c.stroke_width(2),
                )))
                .map_err(draw_err)?;
            if first {
                series.label(label.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3))
                });
                first = false;
            }
            if let Some(&(x, y)) = r.last() {
                chart
                    .draw_series(std::iter::once(Circle::new((x, y), 4, c.filled())))
                    .map_err(draw_err)?;
            }
        }
    }
    if !traces.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.88))
            .border_style(RGBAColor(0, 0, 0, 0.3))
            .label_font((FONT, fsize(12.0 * s)))
            .draw()
            .map_err(draw_err)?;
    }
    Ok(())
}

/// Which quantity [`draw_bakeoff_bars`] compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BakeoffMetric {
    /// Final full-batch loss and wall time, side by side.
    Both,
    /// Final full-batch loss only.
    FinalLoss,
    /// Wall time only.
    WallTime,
}

/// Draws the bake-off: one horizontal bar per run for its final loss and/or
/// its wall time, with the value written at the bar's end; diverged or
/// failed runs are drawn hatched in grey and labelled. Final losses are
/// drawn from the smallest one (minus a margin), not from zero, so that
/// differences in the fourth digit are visible; the axis says so.
///
/// # Errors
/// [`PlotError::Drawing`] if the backend fails.
pub fn draw_bakeoff_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    traces: &[Trace],
    metric: BakeoffMetric,
) -> Result<()> {
    let problem = traces.first().map(|t| t.problem.as_str()).unwrap_or("");
    let area = titled(
        root,
        "Bake-off: where each optimizer ended, and at what cost",
        problem,
    )?;
    let panels: Vec<bool> = match metric {
        BakeoffMetric::Both => vec![true, false],
        BakeoffMetric::FinalLoss => vec![true],
        BakeoffMetric::WallTime => vec![false],
    };
    let cols = area.split_evenly((1, panels.len()));
    for (panel, is_loss) in cols.iter().zip(panels) {
        bar_panel(panel, traces, is_loss)?;
    }
    Ok(())
}

fn bar_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    traces: &[Trace],
    loss: bool,
) -> Result<()> {
    let s = font_scale(area);
    let n = traces.len().max(1);
    let value = |t: &Trace| if loss { t.final_loss() } else { t.wall_ms() };
    let vals: Vec<f64> = traces.iter().map(value).collect();
    let ok = |i: usize| !traces[i].diverged() && vals[i].is_finite();
    let finite: Vec<f64> = (0..traces.len())
        .filter(|&i| ok(i))
        .map(|i| vals[i])
        .collect();
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    // Losses spanning more than a factor 20 are compared on a log axis
    // (drawn as log10 values on a linear axis, labelled with the values).
    let log = loss && lo > 0.0 && hi / lo > 20.0;
    let tr = |v: f64| if log { v.log10() } else { v };
    let (lo, hi) = if log {
        (lo.log10(), hi.log10())
    } else {
        (lo, hi)
    };
    let (x0, x1) = if log {
        (lo - 0.5, hi + 0.5)
    } else if !hi.is_finite() {
        (0.0, 1.0)
    } else if loss && lo > 0.0 && (hi - lo) < 0.5 * lo {
        // Zoom on the spread of final losses.
        let pad = ((hi - lo) * 0.6).max(lo * 2e-4);
        ((lo - pad).max(0.0), hi + pad * 1.4)
    } else {
        (0.0_f64.min(lo), if hi > 0.0 { hi * 1.3 } else { 1.0 })
    };
    let names: Vec<String> = traces.iter().map(|t| t.optimizer.clone()).collect();
    let label_w = names
        .iter()
        .map(|nm| super::landscape::text_width(area, nm, fsize(12.0 * s), false))
        .max()
        .unwrap_or(40)
        .clamp(40, (area.dim_in_pixel().0 / 3).max(40)) as i32
        + 12;
    let desc = if loss {
        if log {
            "final loss (log scale)".to_string()
        } else if x0 > 0.0 {
            "final loss (axis starts at ".to_string() + &format_value(x0) + ")"
        } else {
            "final loss".into()
        }
    } else {
        "wall time (ms)".into()
    };
    let mut chart = ChartBuilder::on(area)
        .margin((12.0 * s) as i32)
        .x_label_area_size((44.0 * s) as i32)
        .y_label_area_size(label_w)
        .build_cartesian_2d(x0..x1, -0.5..(n as f64 - 0.5))
        .map_err(draw_err)?;
    let names_for_fmt = names.clone();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&move |v| {
            let k = v.round();
            if (v - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < names_for_fmt.len() {
                // Top bar is the first optimizer.
                names_for_fmt[names_for_fmt.len() - 1 - k as usize].clone()
            } else {
                String::new()
            }
        })
        .x_desc(desc)
        .x_labels(6)
        .x_label_formatter(&|v| {
            if log {
                format_value(10f64.powf(*v))
            } else {
                tick(*v, x1 - x0)
            }
        })
        .axis_desc_style((FONT, fsize(13.0 * s)))
        .label_style((FONT, fsize(12.0 * s)))
        .light_line_style(RGBAColor(0, 0, 0, 0.0))
        .bold_line_style(RGBAColor(0, 0, 0, 0.1))
        .axis_style(INK)
        .draw()
        .map_err(draw_err)?;
    let plot = chart.plotting_area();
    for (i, t) in traces.iter().enumerate() {
        let yc = (traces.len() - 1 - i) as f64;
        let (ya, yb) = (yc - 0.32, yc + 0.32);
        if ok(i) {
            let c = rgb(path_colour(i));
            let v = tr(vals[i]).clamp(x0, x1);
            plot.draw(&Rectangle::new([(x0, ya), (v, yb)], c.mix(0.85).filled()))
                .map_err(draw_err)?;
            let label = if loss {
                format_loss(vals[i])
            } else {
                format!("{} ms", format_value(vals[i]))
            };
            let (px, py) = chart.backend_coord(&(v, yc));
            let (ax, ay) = area.get_base_pixel();
            note(area, &label, (px - ax + 5, py - ay), 11.5 * s, &INK)?;
        } else {
            let grey = RGBColor(0xb0, 0xb0, 0xb0);
            plot.draw(&Rectangle::new(
                [(x0, ya), (x0 + 0.25 * (x1 - x0), yb)],
                grey.mix(0.5).filled(),
            ))
            .map_err(draw_err)?;
            let (px, py) = chart.backend_coord(&(x0 + 0.25 * (x1 - x0), yc));
            let (ax, ay) = area.get_base_pixel();
            let why = if t.diverged() {
                t.stop.short()
            } else {
                "no value".into()
            };
            text(
                area,
                &why,
                (px - ax + 5, py - ay),
                11.5 * s,
                &RGBColor(0xb0, 0x20, 0x20),
                HPos::Left,
                VPos::Center,
                true,
            )?;
        }
    }
    Ok(())
}

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
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(grid.x_label.as_str())
        .y_desc(grid.y_label.as_str())
        .x_label_formatter(&|v| tick(*v, x1 - x0))
        .y_label_formatter(&|v| tick(*v, y1 - y0))
        .axis_desc_style((FONT, fsize(14.0 * s)))
        .label_style((FONT, fsize(12.0 * s)))
        .axis_style(INK)
        .draw()
        .map_err(draw_err)?;
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

/// Loss curves as a PNG [`Figure`] (`width × height`).
///
/// # Errors
/// As [`draw_loss_curves`].
pub fn loss_curves_figure(
    traces: &[Trace],
    axis: CurveAxis,
    baseline: Option<f64>,
    width: u32,
    height: u32,
) -> Result<Figure> {
    super::render_png(width, height, |root| {
        draw_loss_curves(root, traces, axis, baseline)
    })
}

/// Loss curves as SVG text.
///
/// # Errors
/// As [`draw_loss_curves`].
pub fn loss_curves_svg(
    traces: &[Trace],
    axis: CurveAxis,
    baseline: Option<f64>,
    width: u32,
    height: u32,
) -> Result<String> {
    super::render_svg(width, height, |root| {
        draw_loss_curves(root, traces, axis, baseline)
    })
}

/// The bake-off as a PNG [`Figure`].
///
/// # Errors
/// As [`draw_bakeoff_bars`].
pub fn bakeoff_figure(
    traces: &[Trace],
    metric: BakeoffMetric,
    width: u32,
    height: u32,
) -> Result<Figure> {
    super::render_png(width, height, |root| {
        draw_bakeoff_bars(root, traces, metric)
    })
}

/// The bake-off as SVG text.
///
/// # Errors
/// As [`draw_bakeoff_bars`].
pub fn bakeoff_svg(
    traces: &[Trace],
    metric: BakeoffMetric,
    width: u32,
    height: u32,
) -> Result<String> {
    super::render_svg(width, height, |root| {
        draw_bakeoff_bars(root, traces, metric)
    })
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
