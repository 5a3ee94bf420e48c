//! The bake-off: final loss and wall time per optimizer as bars.

use plotters::coord::Shift;
use plotters::element::Rectangle;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::RGBAColor;

use crate::plot::colour::{path_colour, rgb, tick};
use crate::plot::kit::{font_scale, fsize, note, text, text_width, titled, INK};
use crate::plot::{draw_err, Figure, Result, FONT};
use crate::trace::Trace;

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
/// [`PlotError::Drawing`](crate::plot::PlotError::Drawing) if the backend fails.
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
        .map(|nm| text_width(area, nm, fsize(12.0 * s), false))
        .max()
        .unwrap_or(40)
        .clamp(40, (area.dim_in_pixel().0 / 3).max(40)) as i32
        + 12;
    let desc = if loss {
        if log {
            "final loss (log scale)".to_string()
        } else if x0 > 0.0 {
            "final loss (axis starts at ".to_string() + &crate::fmt::compact(x0) + ")"
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
                crate::fmt::compact(10f64.powf(*v))
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
                crate::fmt::loss(vals[i])
            } else {
                format!("{} ms", crate::fmt::compact(vals[i]))
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
    crate::plot::render_png(width, height, |root| {
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
    crate::plot::render_svg(width, height, |root| {
        draw_bakeoff_bars(root, traces, metric)
    })
}
