//! Chapter 12's summary of a multi-start bake-off: the share of starts
//! that reached the global minimum and the mean final loss, per optimizer.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::colour::{path_colour, rgb};
use crate::plot::draw_err as de;
use crate::plot::output::render_png;
use crate::plot::{Figure, Result, FONT};
use crate::race::multistart::Bakeoff;

/// Draws the bake-off as three bar charts side by side: mean final loss,
/// percentage of starts that reached the global minimum, and total wall
/// time (ms), one bar per optimizer in the bake-off's order.
///
/// # Errors
/// [`PlotError::Drawing`](crate::plot::PlotError::Drawing) if the backend fails.
pub fn draw_bakeoff_summary<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    bakeoff: &Bakeoff,
) -> Result<()> {
    root.fill(&WHITE).map_err(de)?;
    let runs = bakeoff.rows.first().map_or(0, |r| r.runs);
    let title = format!("Bake-off on {} ({runs} starts each)", bakeoff.problem);
    let body = root.titled(&title, (FONT, 20)).map_err(de)?;
    let panels = body.split_evenly((1, 3));
    let labels: Vec<String> = bakeoff.rows.iter().map(|r| r.optimizer.clone()).collect();
    let metrics: [(&str, Vec<f64>); 3] = [
        (
            "mean final loss",
            bakeoff.rows.iter().map(|r| r.mean_final_loss).collect(),
        ),
        (
            "reached global minimum (%)",
            bakeoff
                .rows
                .iter()
                .map(|r| 100.0 * r.reached_global)
                .collect(),
        ),
        (
            "total wall time (ms)",
            bakeoff.rows.iter().map(|r| r.wall_ms).collect(),
        ),
    ];
    let n = labels.len();
    if n == 0 {
        return Ok(());
    }
    for (k, (panel, (name, values))) in panels.iter().zip(metrics).enumerate() {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((0.0_f64, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
        let span = (hi - lo).max(1e-12);
        let mut chart = ChartBuilder::on(panel)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(if k == 0 { 150 } else { 10 })
            .build_cartesian_2d(
                (lo - 0.05 * span)..(hi + 0.05 * span),
                (0..n - 1).into_segmented(),
            )
            .map_err(de)?;
        let names = labels.clone();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .x_desc(name)
            .x_labels(5)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if k == 0 => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(de)?;
        chart
            .draw_series(
                values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(i, &v)| {
                        let colour = rgb(path_colour(i));
                        let mut bar = Rectangle::new(
                            [
                                (0.0, SegmentValue::Exact(i)),
                                (v, SegmentValue::Exact(i + 1)),
                            ],
                            colour.mix(0.8).filled(),
                        );
                        bar.set_margin(4, 4, 0, 0);
                        bar
                    }),
            )
            .map_err(de)?;
    }
    Ok(())
}

/// PNG of [`draw_bakeoff_summary`].
///
/// # Errors
/// As [`draw_bakeoff_summary`].
pub fn bakeoff_summary_figure(bakeoff: &Bakeoff, size: (u32, u32)) -> Result<Figure> {
    render_png(size.0, size.1, |root| draw_bakeoff_summary(root, bakeoff))
}
