//! Loss against iterations, evaluations or time, one curve per run.

use plotters::coord::Shift;
use plotters::element::{DashedPathElement, PathElement};
use plotters::prelude::*;
use plotters::style::RGBAColor;

use super::colour::{path_colour, rgb, tick};
use super::error::{draw_err, Result};
use super::font::FONT;
use super::kit::{
    coincident_dashes, fit_text, font_scale, fsize, note, point_runs, run_summary, titled, INK,
    MUTED,
};
use super::output::Figure;
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
            Self::Iteration => t.iteration(k) as f64,
            Self::CostEvals => c.cost as f64,
            Self::GradientEvals => c.gradient as f64,
            Self::Evaluations => (c.cost + c.gradient + c.hessian + c.curvature) as f64,
            Self::WallTime => t.elapsed_ms.get(k).copied().unwrap_or(f64::NAN),
        }
    }
}

/// Draws each run's full-batch loss against `axis` on a logarithmic loss
/// axis, one colour per run (the same colours as the landscape), with the
/// run's final point marked. With `baseline = Some(L*)` it draws the
/// suboptimality `L − L*` instead (points at or below `L*` are left out),
/// which is what shows linear versus quadratic convergence.
///
/// The legend (name, steps and final loss of each run) sits in a column to
/// the right of the chart, never over a curve. When the runs' lengths along
/// `axis` differ by more than [`LOG_AXIS_SPREAD`] times, the horizontal axis
/// is logarithmic too (from the first positive value, so iteration 0 is
/// left out), so that a method that stops after 10 iterations is not
/// squashed into the first 1 % of a 1000-iteration axis.
///
/// Non-finite or non-positive values break a curve; an empty slice draws
/// empty axes.
///
/// # Errors
/// [`PlotError::Drawing`](super::PlotError::Drawing) if the backend fails.
pub fn draw_loss_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    traces: &[Trace],
    axis: CurveAxis,
    baseline: Option<f64>,
) -> Result<()> {
    let s = font_scale(root);
    let what = match baseline {
        Some(b) => format!("loss − {}", crate::fmt::compact(b)),
        None => "loss".into(),
    };
    let axis_name = axis.label().split(" (").next().unwrap_or("");
    let title = match baseline {
        Some(b) => format!("Loss above {} vs {axis_name}", crate::fmt::compact(b)),
        None => format!("Loss vs {axis_name}"),
    };
    let problem = traces.first().map(|t| t.problem.as_str()).unwrap_or("");
    let area = titled(root, &title, problem)?;
    let (w, _) = area.dim_in_pixel();
    let legend_w = if traces.is_empty() {
        0
    } else {
        ((w as f64 * 0.3).max(200.0 * s) as u32).min(w / 2)
    };
    let (plot, legend) = area.split_horizontally(w - legend_w);
    let x_log = log_axis(traces, axis);
    // The k-th point of a run's curve, `None` where it cannot be drawn.
    let point = |t: &Trace, k: usize| -> Option<(f64, f64)> {
        let (x, y) = (axis.value(t, k), t.loss[k] - baseline.unwrap_or(0.0));
        (x.is_finite() && y.is_finite() && y > 0.0 && (!x_log || x > 0.0)).then_some((x, y))
    };
    // Ranges over the drawable points.
    let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (f64::INFINITY, 0.0_f64, f64::INFINITY, 0.0_f64);
    for t in traces {
        for (x, y) in (0..t.loss.len()).filter_map(|k| point(t, k)) {
            x_lo = x_lo.min(x);
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
    let x_lo = if x_lo.is_finite() { x_lo / 1.2 } else { 1.0 };
    // Curves that run on top of earlier ones are dashed (judged in the
    // chart's own, logarithmic, coordinates).
    let unit = |(x, y): (f64, f64)| {
        let u = if x_log {
            (x / x_lo).ln() / (x_hi * 1.2 / x_lo).ln()
        } else {
            x / x_hi
        };
        (u, (y / y_lo).ln() / (y_hi / y_lo).ln())
    };
    let dashes = coincident_dashes(
        &traces
            .iter()
            .map(|t| {
                (0..t.loss.len())
                    .filter_map(|k| point(t, k))
                    .map(unit)
                    .collect()
            })
            .collect::<Vec<_>>(),
    );
    let x_desc = if x_log {
        format!("{} (log scale)", axis.label())
    } else {
        axis.label().to_string()
    };
    let mut builder = ChartBuilder::on(&plot);
    builder
        .margin((12.0 * s) as i32)
        .x_label_area_size((44.0 * s) as i32)
        .y_label_area_size((70.0 * s) as i32);
    // The two axis kinds are different types: one body for both.
    macro_rules! curves {
        ($x_range:expr) => {{
            let mut chart = builder
                .build_cartesian_2d($x_range, (y_lo..y_hi).log_scale())
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_desc(x_desc.as_str())
                .y_desc(format!("{what} (log scale)"))
                .axis_desc_style((FONT, fsize(14.0 * s)))
                .label_style((FONT, fsize(13.0 * s)))
                .x_label_formatter(&|v| {
                    if x_log {
                        crate::fmt::compact(*v)
                    } else {
                        tick(*v, x_hi)
                    }
                })
                .y_label_formatter(&|v| crate::fmt::compact(*v))
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
                for r in runs {
                    match dashes[i] {
                        Some((dash, gap)) => chart.draw_series(std::iter::once(
                            DashedPathElement::new(r.clone(), dash, gap, c.stroke_width(2)),
                        )),
                        None => chart.draw_series(std::iter::once(PathElement::new(
                            r.clone(),
                            c.stroke_width(2),
                        ))),
                    }
                    .map_err(draw_err)?;
                    if let Some(&(x, y)) = r.last() {
                        chart
                            .draw_series(std::iter::once(Circle::new((x, y), 4, c.filled())))
                            .map_err(draw_err)?;
                    }
                }
            }
        }};
    }
    if x_log {
        curves!((x_lo..x_hi * 1.2).log_scale());
    } else {
        curves!(0.0..x_hi);
    }
    draw_curve_legend(&legend, traces, &dashes, s)
}

/// The ratio between the longest and the shortest run along the horizontal
/// axis above which [`draw_loss_curves`] makes that axis logarithmic.
pub const LOG_AXIS_SPREAD: f64 = 20.0;

/// Whether the runs' ends along `axis` span more than [`LOG_AXIS_SPREAD`].
fn log_axis(traces: &[Trace], axis: CurveAxis) -> bool {
    let ends: Vec<f64> = traces
        .iter()
        .filter_map(|t| {
            (1..t.loss.len())
                .rev()
                .map(|k| axis.value(t, k))
                .find(|x| x.is_finite() && *x > 0.0)
        })
        .collect();
    let lo = ends.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ends.iter().copied().fold(0.0_f64, f64::max);
    lo.is_finite() && hi / lo > LOG_AXIS_SPREAD
}

/// The legend column: per run a line sample, its name and, below in the
/// muted ink, its steps and final loss.
fn draw_curve_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    traces: &[Trace],
    dashes: &[Option<(u32, u32)>],
    s: f64,
) -> Result<()> {
    if traces.is_empty() {
        return Ok(());
    }
    let (w, h) = area.dim_in_pixel();
    let top = (16.0 * s) as i32;
    let dy = ((h as f64 - 2.0 * top as f64) / traces.len() as f64).min(40.0 * s);
    let two_lines = dy >= 30.0 * s;
    let max_w = w.saturating_sub((40.0 * s) as u32).max(10);
    for (i, t) in traces.iter().enumerate() {
        let y = top + (i as f64 * dy) as i32 + (8.0 * s) as i32;
        let c = rgb(path_colour(i));
        let x0 = (6.0 * s) as i32;
        let sample = vec![(x0, y), (x0 + (22.0 * s) as i32, y)];
        match dashes[i] {
            Some((dash, gap)) => area.draw(&DashedPathElement::new(
                sample,
                dash,
                gap,
                c.stroke_width(3),
            )),
            None => area.draw(&PathElement::new(sample, c.stroke_width(3))),
        }
        .map_err(draw_err)?;
        let tx = x0 + (30.0 * s) as i32;
        let summary = run_summary(t);
        if two_lines {
            let name = fit_text(area, &t.optimizer, 13.0 * s, false, max_w);
            note(area, &name, (tx, y), 13.0 * s, &INK)?;
            let detail = fit_text(area, &summary, 12.0 * s, false, max_w);
            note(area, &detail, (tx, y + (15.0 * s) as i32), 12.0 * s, &MUTED)?;
        } else {
            let line = fit_text(
                area,
                &format!("{}: {summary}", t.optimizer),
                12.0 * s,
                false,
                max_w,
            );
            note(area, &line, (tx, y), 12.0 * s, &INK)?;
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{test_trace, StopReason};

    fn run(steps: usize) -> Trace {
        let mut t = test_trace(&vec![(0.0, 0.0); steps + 1], StopReason::StepNorm);
        t.loss = (0..=steps).map(|k| 1.0 / (k + 1) as f64).collect();
        t
    }

    #[test]
    fn the_axis_turns_logarithmic_when_run_lengths_differ_widely() {
        assert!(!log_axis(&[run(300), run(40)], CurveAxis::Iteration));
        assert!(log_axis(&[run(1000), run(10)], CurveAxis::Iteration));
        assert!(!log_axis(&[run(1000)], CurveAxis::Iteration));
        // wall times of zero say nothing: no log axis
        assert!(!log_axis(&[run(1000), run(10)], CurveAxis::WallTime));
        // both kinds of axis draw
        for runs in [vec![run(1000), run(10)], vec![run(30), run(20)]] {
            loss_curves_figure(&runs, CurveAxis::Iteration, None, 640, 400).unwrap();
        }
    }
}
