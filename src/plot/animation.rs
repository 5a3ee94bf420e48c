//! `journey.gif`: the paths growing over the loss landscape, frame by frame.
//!
//! The landscape (heatmap, iso-lines, axes, colour bar, legend names) is
//! rendered once into an RGB buffer. Each frame is drawn over an earlier
//! one, restoring from the background only the regions that move (the plot
//! rectangle with room for markers, the step counter, and the legend lines
//! whose text changed) and drawing there the paths up to that frame's step,
//! the step counter and the running losses; the result is pixel for pixel
//! what redrawing everything on a fresh copy of the background gives, so a
//! frame is a pure function of its step. Frames are quantised to one fixed
//! global palette (the colour map, the path colours, greys and their blends,
//! built once) by an exact nearest-colour search behind a memo, and every
//! frame after the first stores only the rectangle that changed, with
//! unchanged pixels transparent, which keeps the file small.
//!
//! The frames are split into contiguous chunks, one per core; each chunk
//! draws, quantises and LZW-compresses its frames on its own thread (the
//! first frame of a chunk is compared with its predecessor, which the chunk
//! draws first), and the compressed frames are written in order. The bytes
//! are the same for any number of threads (a test checks 1, 2, 3 and 5).

use std::io::IsTerminal;

use gif::{Encoder, Frame, Repeat};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::error::{draw_err, PlotError, Result};
use super::gif_frames::{Quantiser, Rect};
use super::grid::LossGrid;
use super::kit::{draw_legend_detail, legend_detail, text, Layout, INK};
use super::output::render_rgb;
use super::output::Animation;
use super::paths::PathsStyle;
use super::paths::{draw_background, draw_overlay, draw_traces};
use super::quadratic_model::ModelLayer;
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
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    render_with(grid, traces, opts, frames, threads)
}

/// [`render`] on at most `threads` threads (the bytes do not depend on it).
fn render_with(
    grid: &LossGrid,
    traces: &[Trace],
    opts: &AnimationOptions,
    frames: usize,
    threads: usize,
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
    let n = schedule.len();

    let bar = progress_bar(opts.progress, n);
    let frame_cs = (100.0 / opts.fps).round().clamp(2.0, 65_535.0) as u16;
    let delays: Vec<u16> = (0..n)
        .map(|fi| {
            if fi == 0 {
                (opts.hold_first_ms / 10).max(frame_cs as u32) as u16
            } else if fi + 1 == n {
                (opts.hold_last_ms / 10).max(frame_cs as u32).min(65_535) as u16
            } else {
                frame_cs
            }
        })
        .collect();
    let painter = Painter {
        background: &background,
        regions: Regions::new(&layout, w as usize, h as usize),
        layout: &layout,
        traces,
        style: &style,
        max_steps,
        w,
        h,
    };
    // Frames are split into contiguous chunks, one per thread; a chunk
    // first redraws the frame before its first one, so every frame is
    // compared with exactly the pixels of its predecessor, and each frame
    // is a pure function of its step: the bytes do not depend on the
    // number of threads.
    let chunks = chunk_bounds(n, threads.clamp(1, 8).min(n.div_ceil(8)));
    let parts: Vec<Vec<Option<Frame<'static>>>> = if chunks.len() <= 2 {
        vec![painter.chunk(&schedule, 0..n, &bar)?]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .windows(2)
                .map(|c| {
                    let (painter, schedule, bar) = (&painter, &schedule, &bar);
                    let range = c[0]..c[1];
                    scope.spawn(move || painter.chunk(schedule, range, bar))
                })
                .collect();
            handles
                .into_iter()
                .map(|t| {
                    t.join()
                        .map_err(|_| PlotError::Encode("a GIF rendering thread panicked".into()))?
                })
                .collect::<Result<Vec<_>>>()
        })?
    };
    bar.finish_and_clear();

    let mut encoded: Vec<Frame<'static>> = Vec::with_capacity(n);
    for (frame, &delay) in parts.into_iter().flatten().zip(&delays) {
        match frame {
            Some(mut f) => {
                f.delay = delay;
                encoded.push(f);
            }
            // Nothing changed: show the previous frame longer.
            None => {
                if let Some(p) = encoded.last_mut() {
                    p.delay = p.delay.saturating_add(delay);
                }
            }
        }
    }

    let mut out = Vec::new();
    {
        let mut enc = Encoder::new(&mut out, w as u16, h as u16, &Quantiser::palette_bytes())
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
        frames: encoded.len(),
        width: w,
        height: h,
    })
}

/// Splits the frames `0..n` into at most `threads` contiguous chunks of
/// about equal work; returns the chunk boundaries, `0` first and `n` last.
///
/// Measured on the reference race, a frame costs about the same whatever
/// its step (the paths grow, but the changed rectangle shrinks), except
/// the first, which stores the whole image: it counts as [`FIRST_FRAME_COST`]
/// frames. A chunk after the first also redraws the frame before it.
fn chunk_bounds(n: usize, threads: usize) -> Vec<usize> {
    let threads = threads.clamp(1, n.max(1));
    let total = n as f64 + FIRST_FRAME_COST - 1.0 + (threads - 1) as f64;
    let mut bounds = vec![0];
    for k in 1..threads {
        // Chunk 0 holds FIRST_FRAME_COST − 1 extra; the others one each.
        let share = total / threads as f64;
        let end = share * k as f64 - (FIRST_FRAME_COST - 1.0) - (k - 1) as f64;
        let end = (end.round().max(0.0) as usize).clamp(bounds[k - 1] + 1, n - (threads - k));
        bounds.push(end);
    }
    bounds.push(n);
    bounds.dedup();
    bounds
}

/// The work of the first frame (the whole image, about 12 ms against 1 ms
/// for a later frame on the reference race) in ordinary frames.
const FIRST_FRAME_COST: f64 = 12.0;

/// What every frame draws from: the background, where the moving parts go,
/// and what they show.
struct Painter<'a> {
    background: &'a [u8],
    regions: Regions,
    layout: &'a Layout,
    traces: &'a [Trace],
    style: &'a PathsStyle,
    max_steps: usize,
    w: u32,
    h: u32,
}

impl Painter<'_> {
    /// The GIF frames (LZW-compressed, delay not set) of the frames
    /// `range` of `schedule`: `None` for a frame equal to its predecessor.
    fn chunk(
        &self,
        schedule: &[usize],
        range: std::ops::Range<usize>,
        bar: &indicatif::ProgressBar,
    ) -> Result<Vec<Option<Frame<'static>>>> {
        let (w, h) = (self.w as usize, self.h as usize);
        let lines = self.layout.legend_shown.min(self.traces.len());
        let mut quant = Quantiser::new();
        // Two canvases in turn: a frame is drawn over the one before its
        // predecessor, and compared with the other, so no frame is copied.
        // `shown[c]` is what canvas c's legend lines show.
        let mut canvas = [self.background.to_vec(), self.background.to_vec()];
        let mut shown: [Vec<Option<String>>; 2] = [vec![None; lines], vec![None; lines]];
        // Which canvas holds the previous frame, and its legend lines.
        let mut prev: Option<(usize, Vec<Option<String>>)> = None;
        if range.start > 0 {
            self.draw(&mut canvas[1], &mut shown[1], schedule[range.start - 1])?;
            prev = Some((1, shown[1].clone()));
        }
        let mut out = Vec::with_capacity(range.len());
        for &step in &schedule[range] {
            let c = prev.as_ref().map_or(0, |p| 1 - p.0);
            let mut dirty = self.draw(&mut canvas[c], &mut shown[c], step)?;
            let [a, b] = &canvas;
            let (cur, old) = if c == 0 { (a, b) } else { (b, a) };
            let frame = match &prev {
                None => quant.frame(cur, None, w, h),
                Some((_, old_lines)) => {
                    // Legend lines whose text differs from the previous
                    // frame's changed too, even where this canvas already
                    // showed the right text.
                    for (i, (new, was)) in shown[c].iter().zip(old_lines).enumerate() {
                        if new != was {
                            dirty = dirty.union(self.regions.detail(self.layout, i));
                        }
                    }
                    quant.frame(cur, Some((old, dirty)), w, h)
                }
            };
            out.push(frame);
            prev = Some((c, shown[c].clone()));
            bar.inc(1);
        }
        Ok(out)
    }

    /// Turns `buf`, which holds a frame drawn by this function (or the
    /// background) and whose legend lines show `shown`, into the frame of
    /// `step`; returns the rectangle outside which `buf` did not change.
    fn draw(&self, buf: &mut [u8], shown: &mut [Option<String>], step: usize) -> Result<Rect> {
        let (w, h) = (self.w, self.h);
        let (layout, traces, regions) = (self.layout, self.traces, &self.regions);
        let upto: Vec<usize> = traces.iter().map(|t| step.min(t.steps())).collect();
        let mut dirty = regions.paths.union(regions.counter);
        for r in [regions.paths, regions.counter] {
            r.restore(buf, self.background, w as usize);
        }
        let root = BitMapBackend::with_buffer(buf, (w, h)).into_drawing_area();
        // Legend lines: only those whose text changed are redrawn.
        let mut changed: Vec<(usize, String)> = Vec::new();
        if layout.legend_detail {
            for (i, (t, old)) in traces.iter().zip(shown.iter_mut()).enumerate() {
                let msg = legend_detail(&root, layout, t, Some(upto[i]));
                if old.as_deref() != Some(msg.as_str()) {
                    changed.push((i, msg.clone()));
                    *old = Some(msg);
                }
            }
        }
        drop(root);
        for &(i, _) in &changed {
            let r = regions.detail(layout, i);
            r.restore(buf, self.background, w as usize);
            dirty = dirty.union(r);
        }
        let root = BitMapBackend::with_buffer(buf, (w, h)).into_drawing_area();
        let model_at = self.style.model.as_ref().map(|o| {
            let k = o.trace;
            (o, upto.get(k).copied().unwrap_or(0))
        });
        if let Some((o, at)) = model_at {
            draw_overlay(&root, layout, traces, o, at, ModelLayer::Contours)?;
        }
        draw_traces(&root, layout, traces, &upto, self.style)?;
        if let Some((o, at)) = model_at {
            draw_overlay(&root, layout, traces, o, at, ModelLayer::Marks)?;
        }
        for (i, msg) in &changed {
            draw_legend_detail(&root, layout, *i, msg)?;
        }
        let s = layout.font_scale;
        let msg = if self.max_steps == 0 {
            "step 0".to_string()
        } else {
            format!("step {step} of {}", self.max_steps)
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
        Ok(dirty)
    }
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

    #[test]
    fn chunks_cover_the_frames_in_order() {
        for n in [1usize, 2, 7, 8, 9, 120, 500] {
            for threads in 1..=8 {
                let b = chunk_bounds(n, threads);
                assert_eq!((b[0], *b.last().unwrap()), (0, n), "{n} {threads}");
                assert!(b.windows(2).all(|w| w[0] < w[1]), "{b:?}");
                assert!(b.len() - 1 <= threads.min(n));
            }
        }
        // The first chunk is shorter: its first frame is the whole image.
        assert_eq!(chunk_bounds(120, 2), vec![0, 55, 120]);
    }

    #[test]
    fn the_bytes_do_not_depend_on_the_threads() {
        let preset = crate::race::RacePreset::reference();
        let traces = preset.run();
        let (grid, shown) = crate::plot::path_view(&preset.problem, &traces, None, 60).unwrap();
        let opts = AnimationOptions {
            width: 400,
            height: 320,
            ..AnimationOptions::default()
        };
        let one = render_with(&grid, &shown, &opts, 40, 1).unwrap();
        assert!(one.frames() > 30, "{}", one.frames());
        for threads in [2, 3, 5] {
            let many = render_with(&grid, &shown, &opts, 40, threads).unwrap();
            assert!(one.bytes() == many.bytes(), "{threads} threads");
        }
    }
}
