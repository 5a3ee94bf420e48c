//! Drawing the dashboard: [`draw_damping_dashboard`] on any backend, as a
//! PNG [`damping_dashboard_figure`] or an SVG [`damping_dashboard_svg`].

use plotters::coord::Shift;
use plotters::element::PathElement;
use plotters::prelude::*;
use plotters::style::RGBAColor;

use super::history::{key_text, DampingHistory};
use super::panels::{panels, Panel};
use crate::plot::colour::{path_colour, rgb, tick};
use crate::plot::kit::{font_scale, fsize, note, point_runs, text_width, titled, INK, MUTED};
use crate::plot::{draw_err, Figure, PlotError, Result, FONT};

/// Draws the damping dashboard of `runs` on `root`: a title, a key (one
/// entry per run: colour, label, iterations, rejected steps, final `λ` or
/// radius) and the panels of the module documentation, aligned on one
/// iteration axis, one colour per run (the race's path colours).
///
/// Runs without any damping data (a first-order method, an empty
/// diagnostics list) still get their loss curve; a diverged run is drawn up
/// to its last finite values and marked "diverged" in the key. An empty
/// slice draws empty axes.
///
/// # Errors
/// [`PlotError::Drawing`] if the backend fails.
pub fn draw_damping_dashboard<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    runs: &[DampingHistory],
    title: &str,
) -> Result<()> {
    let s = font_scale(root);
    let subtitle = "crosses: rejected steps (the iterate stays put)";
    let area = titled(root, title, subtitle)?;
    let key_h = draw_key(&area, runs, s)?;
    let area = area.margin(key_h, 0, 0, 0);
    let panels = panels(runs);
    let (_, h) = area.dim_in_pixel();
    let x_axis = (46.0 * s) as u32;
    let each = (h.saturating_sub(x_axis) / panels.len() as u32).max(1);
    let mut breaks = Vec::new();
    for k in 1..panels.len() as u32 {
        breaks.push((k * each) as i32);
    }
    let areas = area.split_by_breakpoints::<i32, i32, _, _>([], breaks);
    let x_hi = runs
        .iter()
        .filter_map(|r| r.iterations.last())
        .max()
        .copied()
        .unwrap_or(0)
        .max(1) as f64;
    let x_range = (-0.02 * x_hi, x_hi * 1.02);
    for (k, (panel, sub)) in panels.iter().zip(&areas).enumerate() {
        draw_panel(sub, *panel, runs, x_range, k + 1 == panels.len(), s)?;
    }
    Ok(())
}

/// The key below the title; returns its height.
fn draw_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[DampingHistory],
    s: f64,
) -> Result<i32> {
    let (w, _) = area.dim_in_pixel();
    let size = 13.0 * s;
    let row_h = (20.0 * s) as i32;
    let (left, swatch) = ((80.0 * s) as i32, (22.0 * s) as i32);
    let (mut x, mut y) = (left, row_h / 2 + 2);
    for (i, r) in runs.iter().enumerate() {
        let text = key_text(r);
        let tw = text_width(area, &text, size, false) as i32;
        let entry_w = swatch + 6 + tw + (24.0 * s) as i32;
        if x > left && x + entry_w > w as i32 - 10 {
            x = left;
            y += row_h;
        }
        let c = rgb(path_colour(i));
        area.draw(&PathElement::new(
            vec![(x, y), (x + swatch, y)],
            c.stroke_width(3),
        ))
        .map_err(draw_err)?;
        note(area, &text, (x + swatch + 6, y), size, &INK)?;
        x += entry_w;
    }
    Ok(if runs.is_empty() {
        0
    } else {
        y + row_h / 2 + 4
    })
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: Panel,
    runs: &[DampingHistory],
    (x0, x1): (f64, f64),
    bottom: bool,
    s: f64,
) -> Result<()> {
    let (y0, y1) = panel.range(runs);
    let mut chart = ChartBuilder::on(area)
        .margin_left((10.0 * s) as i32)
        .margin_right((24.0 * s) as i32)
        .margin_top((6.0 * s) as i32)
        .x_label_area_size(if bottom { (46.0 * s) as i32 } else { 0 })
        .y_label_area_size((78.0 * s) as i32)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_err)?;
    let log = panel.log();
    let y_fmt = move |v: &f64| {
        if log {
            crate::fmt::compact(10f64.powf(*v))
        } else {
            tick(*v, y1 - y0)
        }
    };
    let x_fmt = |v: &f64| tick(*v, x1 - x0);
    let mut mesh = chart.configure_mesh();
    mesh.y_desc(panel.label(runs))
        .axis_desc_style((FONT, fsize(13.0 * s)))
        .label_style((FONT, fsize(11.0 * s)))
        .y_labels(5)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .light_line_style(RGBAColor(0, 0, 0, 0.04))
        .bold_line_style(RGBAColor(0, 0, 0, 0.10))
        .axis_style(INK);
    if bottom {
        mesh.x_desc("iteration");
    } else {
        mesh.x_labels(0);
    }
    mesh.draw().map_err(draw_err)?;
    if panel == Panel::Rho {
        use plotters::style::text_anchor::{HPos, Pos, VPos};
        // (ρ, text, colour, text above the line?)
        let lines = [
            (0.0, "accept: ρ ≥ 0", MUTED, false),
            (0.25, "¼: λ grows below", RGBColor(0xb0, 0x30, 0x30), true),
            (0.75, "¾: λ shrinks above", RGBColor(0x20, 0x80, 0x40), true),
        ];
        for (y, text, colour, above) in lines {
            let dashes = (0..60).step_by(2).map(|i| {
                let t = |k: i32| x0 + (x1 - x0) * k as f64 / 60.0;
                PathElement::new([(t(i), y), (t(i + 1), y)], colour.stroke_width(1))
            });
            chart.draw_series(dashes).map_err(draw_err)?;
            let v = if above { VPos::Bottom } else { VPos::Top };
            chart
                .draw_series(std::iter::once(Text::new(
                    text.to_string(),
                    (x1 - 0.005 * (x1 - x0), y),
                    (FONT, fsize(11.0 * s))
                        .into_font()
                        .color(&colour)
                        .pos(Pos::new(HPos::Right, v)),
                )))
                .map_err(draw_err)?;
        }
    }
    for (i, r) in runs.iter().enumerate() {
        let c = rgb(path_colour(i));
        // Earlier runs are drawn wider, so a run that coincides with a
        // later one (Hessian-free with exact CG on a plane is GGN-LM) still
        // shows beneath it.
        let width = (runs.len() - i).clamp(2, 4) as u32;
        let values = panel.values(r);
        let skip = usize::from(panel != Panel::Loss);
        let points = |only_rejected: bool| {
            r.iterations
                .iter()
                .zip(&values)
                .zip(&r.rejected)
                .enumerate()
                .skip(skip)
                .map(move |(_, ((&x, &v), &rej))| {
                    (!only_rejected || rej)
                        .then(|| panel.y(v).map(|y| (x as f64, y)))
                        .flatten()
                })
        };
        for run in point_runs(points(false)) {
            let dots = run.len() <= 60 && panel != Panel::Loss;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    run.clone(),
                    c.stroke_width(width),
                )))
                .map_err(draw_err)?;
            if dots {
                chart
                    .draw_series(run.iter().map(|&p| Circle::new(p, 2, c.filled())))
                    .map_err(draw_err)?;
            }
        }
        if matches!(panel, Panel::Rho | Panel::Loss) {
            let marks: Vec<(f64, f64)> = points(true).flatten().collect();
            chart
                .draw_series(
                    marks
                        .iter()
                        .map(|&p| Cross::new(p, (5.0 * s) as i32, c.stroke_width(2))),
                )
                .map_err(draw_err)?;
        }
    }
    Ok(())
}

/// The damping dashboard of `runs` as a PNG [`Figure`] (`width × height`
/// pixels; about 900 × 200 per panel reads well).
///
/// ```
/// use quad_vs_grad::lessons::damping::{damping_dashboard_figure, DampingHistory};
/// use quad_vs_grad::prelude::*;
/// use quad_vs_grad::race::{run_detailed, OptimizerKind, OptimizerSpec, RaceConfig};
///
/// let preset = RacePreset::hidden_slice();
/// let cfg = RaceConfig { max_iters: 30, ..RaceConfig::default() };
/// let out = run_detailed(&preset.problem, &preset.start,
///     &OptimizerSpec::new(OptimizerKind::GgnLm), &cfg);
/// let run = DampingHistory::new(&out.trace, &out.diagnostics);
/// assert!(run.final_damping().is_some());
/// let fig = damping_dashboard_figure(&[run], "GGN-LM on the hidden slice", 900, 700)?;
/// assert_eq!((fig.width(), fig.height()), (900, 700));
/// # Ok::<(), quad_vs_grad::plot::PlotError>(())
/// ```
///
/// # Errors
/// [`PlotError::InvalidInput`] for an impossible size, or when `runs` is
/// empty; [`PlotError::Drawing`] if drawing fails.
pub fn damping_dashboard_figure(
    runs: &[DampingHistory],
    title: &str,
    width: u32,
    height: u32,
) -> Result<Figure> {
    if runs.is_empty() {
        return Err(PlotError::InvalidInput(
            "the damping dashboard needs at least one run".into(),
        ));
    }
    crate::plot::render_png(width, height, |root| {
        draw_damping_dashboard(root, runs, title)
    })
}

/// The damping dashboard as SVG text.
///
/// # Errors
/// As [`damping_dashboard_figure`].
pub fn damping_dashboard_svg(
    runs: &[DampingHistory],
    title: &str,
    width: u32,
    height: u32,
) -> Result<String> {
    if runs.is_empty() {
        return Err(PlotError::InvalidInput(
            "the damping dashboard needs at least one run".into(),
        ));
    }
    crate::plot::render_svg(width, height, |root| {
        draw_damping_dashboard(root, runs, title)
    })
}
