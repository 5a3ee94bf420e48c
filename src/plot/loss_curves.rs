//! Loss against iterations, evaluations or time, one curve per run.

use plotters::coord::Shift;
use plotters::element::PathElement;
use plotters::prelude::*;
use plotters::style::RGBAColor;

use super::colour::{format_value, path_colour, rgb, tick};
use super::kit::{font_scale, fsize, point_runs, run_summary, titled, INK};
use super::{draw_err, Figure, Result, FONT};
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
        let label = format!("{} ({})", t.optimizer, run_summary(t));
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
