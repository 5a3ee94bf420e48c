//! Drawing the model over a 2-D figure: contours, arrows, markers, caption.

use plotters::coord::Shift;
use plotters::element::{Circle, PathElement, Rectangle};
use plotters::prelude::*;

use super::model::{ModelShape, QuadraticModel};
use crate::plot::colour::{path_colour, rgb};
use crate::plot::error::{draw_err, PlotError, Result};
use crate::plot::kit::{clip_segment, fsize, note, text_width, Layout, INK};

/// Colour of the model's contours and arrows.
const MODEL_INK: RGBColor = RGBColor(255, 255, 255);

/// The two layers of the drawn model: contours under the paths, marks
/// (trust circle, arrows, markers, caption) over them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ModelLayer {
    Contours,
    Marks,
}

/// Draws one layer of the model of a 2-D problem over the plot rectangle of
/// `l`: the contours (dashed: the segments in every other 2 × 2 block of
/// marching-squares cells), or the trust circle, the arrow to the
/// stationary point with its marker, the escape arrow and a caption.
pub(crate) fn draw_model<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    model: &QuadraticModel,
    levels: usize,
    (colour_index, iteration): (usize, usize),
    layer: ModelLayer,
) -> Result<()> {
    if model.centre.len() != 2 {
        return Err(PlotError::InvalidInput(format!(
            "the model overlay needs a 2-D problem, the model has dimension {}",
            model.centre.len()
        )));
    }
    let c = (model.centre[0], model.centre[1]);
    let (x0, x1) = l.x_range;
    let (y0, y1) = l.y_range;
    if layer == ModelLayer::Marks {
        return draw_marks(root, l, model, colour_index, iteration);
    }
    // Contours on a grid of about 4-pixel cells over the view.
    let nx = (((l.right - l.left) as f64 / 4.0).round() as usize).clamp(8, 600);
    let ny = (((l.bottom - l.top) as f64 / 4.0).round() as usize).clamp(8, 600);
    let xs: Vec<f64> = (0..=nx)
        .map(|i| x0 + (x1 - x0) * i as f64 / nx as f64)
        .collect();
    let ys: Vec<f64> = (0..=ny)
        .map(|j| y0 + (y1 - y0) * j as f64 / ny as f64)
        .collect();
    let mut fv = Vec::with_capacity(xs.len() * ys.len());
    for &y in &ys {
        for &x in &xs {
            fv.push(model.value(&ndarray::array![x - c.0, y - c.1]));
        }
    }
    let anchor = model.stationary.as_ref().map_or(0.0, |st| model.value(st));
    let spread = fv.iter().fold(0.0_f64, |m, v| m.max((v - anchor).abs()));
    let n = levels.max(1) as f64;
    if spread > 0.0 && spread.is_finite() && levels > 0 {
        // Levels anchor ± Δ k²: evenly spaced rings in a bowl, evenly
        // spaced hyperbolas in a saddle (k = 0 draws its asymptotes).
        let delta = spread / (n * n);
        let mut lvls = Vec::new();
        let k_max = (n.ceil() as i64) + 1;
        for k in 0..=k_max {
            let off = delta * (k * k) as f64;
            if k == 0 {
                if model.shape == ModelShape::Saddle {
                    lvls.push(anchor);
                }
                continue;
            }
            lvls.push(anchor + off);
            lvls.push(anchor - off);
        }
        let (dx, dy) = ((x1 - x0) / nx as f64, (y1 - y0) / ny as f64);
        for lv in lvls {
            for seg in crate::plot::contour::march(&xs, &ys, &fv, lv) {
                let mx = 0.5 * (seg[0].0 + seg[1].0);
                let my = 0.5 * (seg[0].1 + seg[1].1);
                let ci = ((mx - x0) / dx).floor() as i64;
                let cj = ((my - y0) / dy).floor() as i64;
                if (ci.div_euclid(2) + cj.div_euclid(2)).rem_euclid(2) == 1 {
                    continue; // the gaps of the dashes
                }
                let (a, b) = (l.px(seg[0]), l.px(seg[1]));
                if a != b {
                    root.draw(&PathElement::new(vec![a, b], MODEL_INK.stroke_width(1)))
                        .map_err(draw_err)?;
                }
            }
        }
    }
    Ok(())
}

fn draw_marks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    model: &QuadraticModel,
    colour_index: usize,
    iteration: usize,
) -> Result<()> {
    let s = l.font_scale;
    let c = (model.centre[0], model.centre[1]);
    let (x0, x1) = l.x_range;
    let (y0, y1) = l.y_range;
    let path_ink = rgb(path_colour(colour_index));
    // Trust-region circle.
    if let Some(r) = model.radius {
        let pts: Vec<(f64, f64)> = (0..=96)
            .map(|k| std::f64::consts::TAU * k as f64 / 96.0)
            .map(|a| (c.0 + r * a.cos(), c.1 + r * a.sin()))
            .collect();
        for w in pts.windows(2) {
            if let Some((a, b)) = clip_segment(w[0], w[1], l.x_range, l.y_range) {
                let (pa, pb) = (l.px(a), l.px(b));
                for (col, wd) in [(MODEL_INK, 4), (path_ink, 2)] {
                    root.draw(&PathElement::new(vec![pa, pb], col.stroke_width(wd)))
                        .map_err(draw_err)?;
                }
            }
        }
    }
    // Arrow to the stationary point, marker there.
    if let Some(st) = model.stationary.as_ref() {
        let target = (c.0 + st[0], c.1 + st[1]);
        arrow(root, l, c, target, s)?;
        if l.inside(target) {
            let at = l.px(target);
            let r = (7.0 * s) as i32;
            if model.minimiser.is_some() {
                root.draw(&Circle::new(at, r, INK.filled()))
                    .map_err(draw_err)?;
                root.draw(&Circle::new(at, r - 2, MODEL_INK.filled()))
                    .map_err(draw_err)?;
            } else {
                root.draw(&Circle::new(at, r, INK.stroke_width(5)))
                    .map_err(draw_err)?;
                root.draw(&Circle::new(at, r, MODEL_INK.stroke_width(2)))
                    .map_err(draw_err)?;
            }
        }
    }
    // Escape arrow: a fifth of the view's smaller span, or the trust radius.
    if let Some(d) = model.escape.as_ref() {
        let len = model.radius.unwrap_or(0.2 * (x1 - x0).min(y1 - y0));
        let tip = (c.0 + len * d[0], c.1 + len * d[1]);
        arrow(root, l, c, tip, s)?;
        if l.inside(tip) {
            let at = l.px(tip);
            let msg = "to −∞";
            let size = 13.0 * s;
            let tw = text_width(root, msg, size, false) as i32;
            let right = d[0] >= 0.0;
            let x = if right {
                at.0 + (6.0 * s) as i32
            } else {
                at.0 - (6.0 * s) as i32 - tw
            };
            let x = x.clamp(l.left + 2, (l.right - tw - 2).max(l.left + 2));
            label_box(root, msg, (x, at.1), size, tw)?;
        }
    }
    // Caption.
    let mu = &model.eigenvalues;
    let eig: Vec<String> = mu.iter().map(|&v| crate::fmt::compact(v)).collect();
    let msg = format!(
        "{} at step {iteration}: {} (eigenvalues {})",
        model.caption(),
        model.shape.name(),
        eig.join(", ")
    );
    let size = 12.0 * s;
    let max_w = (l.right - l.left - (12.0 * s) as i32).max(10);
    let msg = crate::plot::kit::fit_text(root, &msg, size, false, max_w as u32);
    let tw = text_width(root, &msg, size, false) as i32;
    let at = (l.left + (6.0 * s) as i32, l.top + (13.0 * s) as i32);
    label_box(root, &msg, at, size, tw)?;
    let key = if model.minimiser.is_some() {
        "dashed: model contours · arrow: step to its minimum (●)"
    } else if model.stationary.is_some() {
        "dashed: model contours · arrow: step to its stationary point (○)"
    } else {
        "dashed: model contours · no stationary point"
    };
    let key = crate::plot::kit::fit_text(root, key, size, false, max_w as u32);
    let tw = text_width(root, &key, size, false) as i32;
    let at = (at.0, at.1 + (fsize(size) * 1.5) as i32 + 2);
    label_box(root, &key, at, size, tw)?;
    Ok(())
}

/// A line of text on a white box, left edge at `at.0`, centred on `at.1`.
fn label_box<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    msg: &str,
    at: (i32, i32),
    size: f64,
    tw: i32,
) -> Result<()> {
    let h = (fsize(size) * 0.75) as i32 + 2;
    root.draw(&Rectangle::new(
        [(at.0 - 4, at.1 - h), (at.0 + tw + 4, at.1 + h)],
        WHITE.filled(),
    ))
    .map_err(draw_err)?;
    note(root, msg, at, size, &INK)
}

/// An arrow from `a` to `b` (data coordinates), white on a dark halo,
/// clipped to the view; the head only if `b` is in view.
fn arrow<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    a: (f64, f64),
    b: (f64, f64),
    s: f64,
) -> Result<()> {
    let Some((ca, cb)) = clip_segment(a, b, l.x_range, l.y_range) else {
        return Ok(());
    };
    let (pa, pb) = (l.to_px(ca), l.to_px(cb));
    let (dx, dy) = (pb.0 - pa.0, pb.1 - pa.1);
    let len = dx.hypot(dy);
    if len < 1.0 {
        return Ok(());
    }
    let mut lines = vec![vec![l.px(ca), l.px(cb)]];
    if l.inside(b) {
        let head = (9.0 * s).min(0.6 * len);
        let (ux, uy) = (dx / len, dy / len);
        for sign in [1.0, -1.0] {
            let (hx, hy) = (
                pb.0 - head * (ux * 0.866 - sign * uy * 0.5),
                pb.1 - head * (uy * 0.866 + sign * ux * 0.5),
            );
            lines.push(vec![l.px(cb), (hx.round() as i32, hy.round() as i32)]);
        }
    }
    for (col, wd) in [(INK, 5), (MODEL_INK, 2)] {
        for pl in &lines {
            root.draw(&PathElement::new(pl.clone(), col.stroke_width(wd)))
                .map_err(draw_err)?;
        }
    }
    Ok(())
}
