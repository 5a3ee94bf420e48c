//! Small multiples: one panel per run on the same landscape, so that runs
//! which differ in one setting (a learning-rate sweep) can be compared side
//! by side without their paths hiding each other.

use plotters::coord::Shift;
use plotters::element::BitMapElement;
use plotters::prelude::*;

use crate::plot::draw_paths;
use crate::plot::kit::{book_scale, centred_line, INK};
use crate::plot::{draw_err, ensure_fonts, Figure, LossGrid, PathsStyle, PlotError, Result};
use crate::trace::{StopReason, Trace};

/// What a panel's subtitle says about a run: `converged in 8 steps`,
/// `DIVERGED at step 3`, `still moving after 500 steps`, `FAILED …`.
pub fn run_status(t: &Trace) -> String {
    let k = t.steps();
    match &t.stop {
        StopReason::Diverged(_) => format!("DIVERGED at step {k}"),
        StopReason::Failed(msg) => format!("FAILED: {msg}"),
        StopReason::MaxIters => format!("still moving after {k} steps"),
        _ => format!("converged in {k} steps"),
    }
}

/// Draws one landscape panel per trace, `cols` panels per row, under a
/// common `title`: each panel is [`draw_paths`] with that run alone, titled
/// with the run's label and subtitled with [`run_status`]. Every panel uses
/// the same grid and the same colour scale, so the panels compare directly.
///
/// # Errors
/// [`PlotError::InvalidInput`] for no traces or `cols == 0`, and the errors
/// of [`draw_paths`].
pub fn draw_small_multiples<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    grid: &LossGrid,
    traces: &[Trace],
    cols: usize,
    title: &str,
) -> Result<()> {
    if traces.is_empty() || cols == 0 {
        return Err(PlotError::InvalidInput(
            "small multiples need at least one trace and one column".into(),
        ));
    }
    ensure_fonts();
    root.fill(&WHITE).map_err(draw_err)?;
    let (w, _) = root.dim_in_pixel();
    let s = book_scale((w as f64 / 1200.0).clamp(0.7, 2.0), w);
    centred_line(
        root,
        title,
        ((w / 2) as i32, (18.0 * s) as i32),
        20.0 * s,
        &INK,
        true,
        w.saturating_sub(20).max(10),
    )?;
    let body = root.margin((38.0 * s) as i32, 0, 0, 0);
    let cols = cols.min(traces.len());
    let rows = traces.len().div_ceil(cols);
    let scale = grid
        .finite_range()
        .map(|(lo, hi)| crate::plot::ColourScale::auto(lo, hi));
    // Each panel is drawn on its own bitmap and then blitted into place, so
    // that nothing of one run (a diverging path, a legend) can spill into
    // its neighbours.
    let (bw, bh) = body.dim_in_pixel();
    let (pw, ph) = ((bw as usize / cols) as u32, (bh as usize / rows) as u32);
    if pw == 0 || ph == 0 {
        return Err(PlotError::InvalidInput(format!(
            "{bw} × {bh} pixels cannot hold {rows} × {cols} panels"
        )));
    }
    for (i, t) in traces.iter().enumerate() {
        let style = PathsStyle {
            title: Some(t.optimizer.clone()),
            subtitle: Some(run_status(t)),
            scale,
            levels: 8,
            ..PathsStyle::default()
        };
        let buf = crate::plot::output::render_rgb(pw, ph, |panel| {
            draw_paths(panel, grid, std::slice::from_ref(t), &style)
        })?;
        let at = (
            ((i % cols) as u32 * pw) as i32,
            ((i / cols) as u32 * ph) as i32,
        );
        let el = BitMapElement::with_owned_buffer(at, (pw, ph), buf)
            .ok_or_else(|| PlotError::Drawing("panel buffer size".into()))?;
        body.draw(&el).map_err(draw_err)?;
    }
    Ok(())
}

/// Renders [`draw_small_multiples`] to a PNG [`Figure`], each panel
/// `panel.0 × panel.1` pixels.
///
/// # Errors
/// As [`draw_small_multiples`]; [`PlotError::InvalidInput`] if the image
/// would be out of range.
pub fn small_multiples_figure(
    grid: &LossGrid,
    traces: &[Trace],
    cols: usize,
    panel: (u32, u32),
    title: &str,
) -> Result<Figure> {
    if traces.is_empty() || cols == 0 {
        return Err(PlotError::InvalidInput(
            "small multiples need at least one trace and one column".into(),
        ));
    }
    let c = cols.min(traces.len()) as u32;
    let r = traces.len().div_ceil(cols) as u32;
    let w = panel.0.saturating_mul(c);
    let h = panel.1.saturating_mul(r).saturating_add(40);
    crate::plot::render_png(w, h, |root| {
        draw_small_multiples(root, grid, traces, cols, title)
    })
}
