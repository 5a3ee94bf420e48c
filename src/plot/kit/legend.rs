//! The legend column of a landscape figure: one entry per run (line sample,
//! marker, name, detail line) and the key to the markers.

use plotters::coord::Shift;
use plotters::element::{Circle, DashedPathElement, PathElement};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{dash_patterns, fit_text, note, text, Layout, Marker, INK, MUTED};
use crate::plot::colour::{path_colour, rgb};
use crate::plot::error::{draw_err, Result};
use crate::trace::Trace;

/// What the legend's key explains besides the runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LegendKey {
    /// Width of the path lines (the samples are one pixel wider).
    pub line_width: u32,
    /// Whether the figure marks the lowest grid value with a cross.
    pub minimum: bool,
}

/// A short description of a run for the legend: "6 steps, loss 0.6870".
pub(crate) fn run_summary(t: &Trace) -> String {
    let steps = t.steps();
    let loss = t.final_loss();
    if t.diverged() {
        format!("diverged after {steps} steps")
    } else if loss.is_finite() {
        format!("{steps} steps, loss {}", crate::fmt::loss(loss))
    } else {
        format!("{steps} steps")
    }
}

/// Draws the legend at `(x, y)`, `w` pixels wide, and records where its
/// entries are in `layout` (for the per-frame detail lines).
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &mut Layout,
    traces: &[Trace],
    key: LegendKey,
    (x, y): (i32, i32),
    w: i32,
    s: f64,
) -> Result<()> {
    let detail = layout.legend_detail;
    let avail = layout.bottom - y - (80.0 * s) as i32;
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
    let dashes = dash_patterns(traces, layout.x_range, layout.y_range);
    for (i, t) in traces.iter().enumerate().take(shown) {
        let c = rgb(path_colour(i));
        let ey = y0 + i as i32 * dy;
        let cy = ey + if detail { (10.0 * s) as i32 } else { dy / 2 };
        let sample = vec![(x, cy), (x + (26.0 * s) as i32, cy)];
        let style = c.stroke_width(key.line_width + 1);
        match dashes[i] {
            Some((dash, gap)) => root.draw(&DashedPathElement::new(sample, dash, gap, style)),
            None => root.draw(&PathElement::new(sample, style)),
        }
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
    let ky0 = ky - (20.0 * s) as i32;
    let ring = Circle::new(
        (x + (8.0 * s) as i32, ky0),
        (5.5 * s) as i32,
        INK.stroke_width(2),
    );
    root.draw(&ring).map_err(draw_err)?;
    note(
        root,
        "start",
        (x + (20.0 * s) as i32, ky0),
        12.0 * s,
        &MUTED,
    )?;
    Marker::Circle.draw(root, (x + (8.0 * s) as i32, ky), 4.5 * s, &MUTED)?;
    note(
        root,
        "end (shape per run)",
        (x + (20.0 * s) as i32, ky),
        12.0 * s,
        &MUTED,
    )?;
    if key.minimum {
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
    for (i, t) in traces.iter().enumerate().take(l.legend_shown) {
        let k = at.map(|steps| steps.get(i).copied().unwrap_or(0));
        let msg = legend_detail(root, l, t, k);
        draw_legend_detail(root, l, i, &msg)?;
    }
    Ok(())
}

/// The detail line of a legend entry, fitted to its width: the run summary,
/// or with `Some(step)` the loss at that step of the animation.
pub(crate) fn legend_detail<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    t: &Trace,
    at: Option<usize>,
) -> String {
    let msg = match at {
        None => run_summary(t),
        Some(k) => {
            let k = k.min(t.steps());
            let loss = t.loss.get(t.entry_at(k)).copied().unwrap_or(f64::NAN);
            if k == t.steps() {
                if t.diverged() {
                    format!("diverged at step {k}")
                } else {
                    format!("done: {k} steps, loss {}", crate::fmt::loss(loss))
                }
            } else {
                // a thinned trace shows its latest kept iterate
                let shown = t.iteration(t.entry_at(k));
                format!("step {shown}: loss {}", crate::fmt::loss(loss))
            }
        }
    };
    fit_text(
        root,
        &msg,
        12.0 * l.font_scale,
        false,
        (l.legend_w - 36).max(10) as u32,
    )
}

/// Writes `msg` as the detail line of legend entry `i` (inside
/// [`Layout::detail_rect`]).
pub(crate) fn draw_legend_detail<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    i: usize,
    msg: &str,
) -> Result<()> {
    let ((x, y), (_, y1)) = l.detail_rect(i);
    note(
        root,
        msg,
        (x + 2, (y + y1) / 2),
        12.0 * l.font_scale,
        &MUTED,
    )
}
