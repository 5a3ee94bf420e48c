//! `journey.gif`: the paths growing over the loss landscape, frame by frame.
//!
//! The landscape (heatmap, iso-lines, axes, colour bar, legend names) is
//! rendered once into an RGB buffer. Each frame starts from the previous
//! one, restores from the background only the regions that move (the plot
//! rectangle with room for markers, the step counter, and the legend lines
//! whose text changed) and draws there the paths up to that frame's step,
//! the step counter and the running losses; the result is pixel for pixel
//! what redrawing everything on a fresh copy of the background gives.
//! Frames are quantised to one fixed global palette (the colour map, the path
//! colours, greys and their blends, built once) through an exact
//! nearest-colour memo, and every frame after the first stores only the
//! rectangle that changed, with unchanged pixels transparent, which keeps
//! the file small.

use std::io::IsTerminal;

use gif::{Encoder, Frame, Repeat};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::gif_frames::{Quantiser, Rect};
use super::kit::{draw_legend_detail, legend_detail, text, Layout, INK};
use super::output::render_rgb;
use super::paths::{draw_background, draw_overlay, draw_traces};
use super::quadratic_model::ModelLayer;
use super::{draw_err, Animation, LossGrid, PathsStyle, PlotError, Result};
use crate::trace::Trace;

/// Options of [`journey_animation`].
#[derive(Clone, Debug, PartialEq)]
pub struct AnimationOptions {
    /// Most frames to render (default 120). Runs shorter than this get one
    /// frame per step.
    pub frames: usize,
    /// Frames per second (default 20; GIF delays are whole hundredths of a
    /// second and browsers slow down anything above 50).
    pub fps: f64,
    /// How long the first frame (the start) stays, in milliseconds (default 600).
    pub hold_first_ms: u32,
    /// How long the last frame stays before the loop restarts, in
    /// milliseconds (default 2500).
    pub hold_last_ms: u32,
    /// Image width (default 800).
    pub width: u32,
    /// Image height (default 640).
    pub height: u32,
    /// Largest file in bytes (default 3 MB = 3 × 2²⁰): a longer result is
    /// re-rendered with proportionally fewer frames.
    pub max_bytes: usize,
    /// Show a progress bar on standard error while rendering, only if it is
    /// a terminal (default `false`, so notebooks and tests stay quiet).
    pub progress: bool,
    /// Landscape options (title, colour scale, iso-lines, line width, and
    /// the quadratic-model overlay [`PathsStyle::model`], drawn at each
    /// frame's iterate of its trace); its `width` and `height` are ignored in
    /// favour of the fields above.
    pub style: PathsStyle,
}

impl Default for AnimationOptions {
    fn default() -> Self {
        Self {
            frames: 120,
            fps: 20.0,
            hold_first_ms: 600,
            hold_last_ms: 2500,
            width: 800,
            height: 640,
            max_bytes: 3 * 1024 * 1024,
            progress: false,
            style: PathsStyle::default(),
        }
    }
}

/// The step shown by each frame: distinct, increasing, from 0 to
/// `max_steps`, at most `frames` of them (at least 2).
///
/// With `max_steps < frames` every step gets a frame. Otherwise the steps
/// follow `s(u) = M (e^{c u} − 1)/(e^{c} − 1)`, `u = f/(F − 1)`, with `c`
/// chosen so that the first frames advance about one step each: the few
/// decisive steps of a second-order method are seen one by one, and a
/// 500-step gradient run still reaches its end.
pub fn frame_schedule(max_steps: usize, frames: usize) -> Vec<usize> {
    let frames = frames.max(2);
    if max_steps < frames {
        return (0..=max_steps).collect();
    }
    let m = max_steps as f64;
    let du = 1.0 / (frames - 1) as f64;
    let first = |c: f64| m * ((c * du).exp_m1()) / c.exp_m1();
    // first(c) decreases in c; find c with first(c) ≈ 1 (c = 0 means linear).
    let mut out: Vec<usize>;
    if m * du <= 1.0 {
        out = (0..frames)
            .map(|f| (f as f64 * m * du).round() as usize)
            .collect();
    } else {
        let (mut lo, mut hi) = (1e-9_f64, 60.0_f64);
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if first(mid) > 1.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let c = 0.5 * (lo + hi);
        out = (0..frames)
            .map(|f| {
                let u = f as f64 * du;
                (m * (c * u).exp_m1() / c.exp_m1()).round() as usize
            })
            .collect();
    }
    out[0] = 0;
    if let Some(last) = out.last_mut() {
        *last = max_steps;
    }
    out.dedup();
    out
}

/// Renders the journey animation: the landscape of `grid` with every path
/// growing frame by frame, a step counter and each optimizer's running loss,
/// looping forever. Runs of different lengths share one clock (step `k` of
/// every run is shown at the same frame; a finished run stays at its end).
///
/// # Errors
/// [`PlotError::InvalidInput`] for bad sizes, inconsistent grids or non-2-D
/// iterates; [`PlotError::Encode`] if the result cannot be brought under
/// `max_bytes` even with few frames.
pub fn journey_animation(
    grid: &LossGrid,
    traces: &[Trace],
    opts: &AnimationOptions,
) -> Result<Animation> {
    if opts.width == 0 || opts.height == 0 || opts.width > 4096 || opts.height > 4096 {
        return Err(PlotError::InvalidInput(format!(
            "animation size {} × {} is out of range",
            opts.width, opts.height
        )));
    }
    if !(opts.fps.is_finite() && opts.fps > 0.0) {
        return Err(PlotError::InvalidInput(format!(
            "fps must be positive, got {}",
            opts.fps
        )));
    }
    let mut frames = opts.frames.max(2);
    loop {
        let anim = render(grid, traces, opts, frames)?;
        if anim.gif.len() <= opts.max_bytes {
            return Ok(anim);
        }
        if frames <= 8 {
            return Err(PlotError::Encode(format!(
                "the animation needs {} bytes even with {frames} frames (limit {})",
                anim.gif.len(),
                opts.max_bytes
            )));
        }
        let ratio = opts.max_bytes as f64 / anim.gif.len() as f64;
        frames = ((frames as f64 * ratio * 0.9) as usize).clamp(8, frames - 1);
    }
}

fn render(
    grid: &LossGrid,
    traces: &[Trace],
    opts: &AnimationOptions,
    frames: usize,
) -> Result<Animation> {
    let (w, h) = (opts.width, opts.height);
    let mut style = opts.style.clone();
    style.width = w;
    style.height = h;

    let mut layout: Option<Layout> = None;
    let background = render_rgb(w, h, |root| {
        layout = Some(draw_background(root, grid, traces, &style, true, true)?);
        Ok(())
    })?;
    let layout = layout.ok_or_else(|| PlotError::Drawing("no layout".into()))?;

    let max_steps = traces.iter().map(Trace::steps).max().unwrap_or(0);
    let schedule = frame_schedule(max_steps, frames);

    let mut quant = Quantiser::new();
    let bar = progress_bar(opts.progress, schedule.len());
    let frame_cs = (100.0 / opts.fps).round().clamp(2.0, 65_535.0) as u16;
    // Drawing and quantising stay on this thread; LZW compression, the
    // other half of the work, runs on a second one as frames are finished.
    // Compression is a pure function of each frame, so the bytes do not
    // depend on the threading.
    let (tx, rx) = std::sync::mpsc::channel::<Frame<'static>>();
    let encoded = std::thread::scope(|scope| -> Result<Vec<Frame<'static>>> {
        let worker = scope.spawn(move || {
            rx.into_iter()
                .map(|mut f| {
                    f.make_lzw_pre_encoded();
                    f
                })
                .collect::<Vec<_>>()
        });
        let send = |f: Frame<'static>| tx.send(f).map_err(|e| PlotError::Encode(e.to_string()));
        let mut prev: Option<Vec<u8>> = None;
        let mut pending: Option<Frame<'static>> = None;
        let mut buf = background.clone();
        let regions = Regions::new(&layout, w as usize, h as usize);
        let mut shown: Vec<Option<String>> = vec![None; layout.legend_shown.min(traces.len())];
        for (fi, &step) in schedule.iter().enumerate() {
            let upto: Vec<usize> = traces.iter().map(|t| step.min(t.steps())).collect();
            let mut dirty = regions.paths.union(regions.counter);
            for r in [regions.paths, regions.counter] {
                r.restore(&mut buf, &background, w as usize);
            }
            {
                let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
                // Legend lines: only those whose text changed are redrawn.
                let mut changed: Vec<(usize, String)> = Vec::new();
                if layout.legend_detail {
                    for (i, (t, old)) in traces.iter().zip(shown.iter_mut()).enumerate() {
                        let msg = legend_detail(&root, &layout, t, Some(upto[i]));
                        if old.as_deref() != Some(msg.as_str()) {
                            changed.push((i, msg.clone()));
                            *old = Some(msg);
                        }
                    }
                }
                drop(root);
                for &(i, _) in &changed {
                    let r = regions.detail(&layout, i);
                    r.restore(&mut buf, &background, w as usize);
                    dirty = dirty.union(r);
                }
                let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
                let model_at = style.model.as_ref().map(|o| {
                    let k = o.trace;
                    (o, upto.get(k).copied().unwrap_or(0))
                });
                if let Some((o, at)) = model_at {
                    draw_overlay(&root, &layout, traces, o, at, ModelLayer::Contours)?;
                }
                draw_traces(&root, &layout, traces, &upto, &style)?;
                if let Some((o, at)) = model_at {
                    draw_overlay(&root, &layout, traces, o, at, ModelLayer::Marks)?;
                }
                for (i, msg) in &changed {
                    draw_legend_detail(&root, &layout, *i, msg)?;
                }
                let s = layout.font_scale;
                let msg = if max_steps == 0 {
                    "step 0".to_string()
                } else {
                    format!("step {step} of {max_steps}")
                };
                text(
                    &root,
                    &msg,
                    layout.subtitle_at,
                    15.0 * s,
                    &INK,
                    HPos::Center,
                    VPos::Center,
                    true,
                )?;
                root.present().map_err(draw_err)?;
            }
            let delay = if fi == 0 {
                (opts.hold_first_ms / 10).max(frame_cs as u32) as u16
            } else if fi + 1 == schedule.len() {
                (opts.hold_last_ms / 10).max(frame_cs as u32).min(65_535) as u16
            } else {
                frame_cs
            };
            match quant.frame(
                &buf,
                prev.as_deref().map(|p| (p, dirty)),
                w as usize,
                h as usize,
            ) {
                Some(mut frame) => {
                    frame.delay = delay;
                    if let Some(p) = pending.take() {
                        send(p)?;
                    }
                    pending = Some(frame);
                }
                None => {
                    // Nothing changed: show the previous frame longer.
                    if let Some(p) = pending.as_mut() {
                        p.delay = p.delay.saturating_add(delay);
                    }
                }
            }
            match prev.as_mut() {
                Some(p) => dirty.restore(p, &buf, w as usize),
                None => prev = Some(buf.clone()),
            }
            bar.inc(1);
        }
        if let Some(p) = pending.take() {
            send(p)?;
        }
        drop(tx);
        worker
            .join()
            .map_err(|_| PlotError::Encode("the GIF compression thread panicked".into()))
    })?;
    bar.finish_and_clear();

    let mut out = Vec::new();
    {
        let mut enc = Encoder::new(&mut out, w as u16, h as u16, &quant.palette_bytes())
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        enc.set_repeat(Repeat::Infinite)
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        for f in &encoded {
            enc.write_lzw_pre_encoded_frame(f)
                .map_err(|e| PlotError::Encode(e.to_string()))?;
        }
    }
    Ok(Animation {
        gif: out,
        frames: quant.frames_written,
        width: w,
        height: h,
    })
}

fn progress_bar(wanted: bool, len: usize) -> indicatif::ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} frames ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("journey.gif");
    bar
}

/// Where the moving parts of a frame can draw: everything else of a frame is
/// the previous frame's.
struct Regions {
    /// The plot rectangle with room for end markers that stick out of it.
    paths: Rect,
    /// The step counter's line.
    counter: Rect,
    w: usize,
    h: usize,
}

impl Regions {
    fn new(l: &Layout, w: usize, h: usize) -> Self {
        let s = l.font_scale;
        // The largest end marker reaches (5.5 + 2.6 · 5) s + 1.6 + 1 pixels
        // from an iterate in view: 32 s is a safe bound.
        let m = (32.0 * s).ceil() as i64;
        let paths = Rect::clamped(
            l.left as i64 - m,
            l.top as i64 - m,
            l.right as i64 + m,
            l.bottom as i64 + m,
            w,
            h,
        );
        let (_, cy) = l.subtitle_at;
        let half = (14.0 * s).ceil() as i64;
        let counter = Rect::clamped(0, cy as i64 - half, w as i64, cy as i64 + half, w, h);
        Self {
            paths,
            counter,
            w,
            h,
        }
    }

    /// The detail line of legend entry `i`, with a 2-pixel rim for the
    /// glyphs' antialiasing.
    fn detail(&self, l: &Layout, i: usize) -> Rect {
        let ((x0, y0), (x1, y1)) = l.detail_rect(i);
        Rect::clamped(
            x0 as i64 - 2,
            y0 as i64 - 2,
            x1 as i64 + 2,
            y1 as i64 + 2,
            self.w,
            self.h,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_short_runs_get_every_step() {
        assert_eq!(frame_schedule(5, 120), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(frame_schedule(0, 120), vec![0]);
    }

    #[test]
    fn schedule_long_runs_start_slow_and_end_at_the_end() {
        let s = frame_schedule(500, 120);
        assert!(s.len() <= 120 && s.len() >= 100, "{}", s.len());
        assert_eq!(s[0], 0);
        assert_eq!(*s.last().unwrap(), 500);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert!(s[1] <= 2 && s[5] <= 8, "{:?}", &s[..8]);
        let s = frame_schedule(130, 120);
        assert_eq!(*s.last().unwrap(), 130);
        assert!(s.len() <= 120);
    }
}
