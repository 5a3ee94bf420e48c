//! The loss heatmap, as one interpolated raster with iso-lines blended in
//! or as merged cells for vector backends.

use plotters::coord::Shift;
use plotters::element::{BitMapElement, Rectangle};
use plotters::prelude::*;

use super::Layout;
use crate::plot::colour::{landscape_colour, rgb, ColourScale, Rgb, NO_VALUE};
use crate::plot::error::{draw_err, PlotError, Result};
use crate::plot::grid::LossGrid;

/// How the loss heatmap is put on the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeatmapRender {
    /// One image, every pixel bilinearly interpolated from the grid and
    /// coloured: smooth, and fast on bitmap backends (a single blit).
    Raster,
    /// One rectangle per grid cell (horizontal runs of equal colour merged):
    /// what a vector backend such as SVG needs.
    Cells,
}

/// Draws the heatmap of `grid` into the plot rectangle of `l`; in raster
/// mode `iso_lines` (data-space segments) are blended into the image.
pub(crate) fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    grid: &LossGrid,
    scale: &ColourScale,
    mode: HeatmapRender,
    iso_lines: &[[(f64, f64); 2]],
) -> Result<()> {
    let colour_of = |v: f64| -> Rgb {
        if v.is_finite() {
            landscape_colour(scale.t(v))
        } else if v == f64::INFINITY {
            landscape_colour(1.0)
        } else {
            NO_VALUE
        }
    };
    match mode {
        HeatmapRender::Raster => {
            let (pw, ph) = ((l.right - l.left) as usize, (l.bottom - l.top) as usize);
            if pw == 0 || ph == 0 {
                return Ok(());
            }
            let (x0, x1) = l.x_range;
            let (y0, y1) = l.y_range;
            let (nx, ny) = (grid.xs.len(), grid.ys.len());
            // Positions in the colour scale; +∞ is the top, NaN stays NaN.
            let tv: Vec<f64> = grid
                .values
                .iter()
                .map(|&v| if v == f64::INFINITY { 1.0 } else { scale.t(v) })
                .collect();
            // Per column / row: the grid cell and the weight of its far side.
            let cell = |v: f64, lo: f64, hi: f64, n: usize| -> (usize, f64) {
                let f = ((v - lo) / (hi - lo) * (n - 1) as f64).clamp(0.0, (n - 1) as f64);
                let i = (f.floor() as usize).min(n - 2);
                (i, f - i as f64)
            };
            let (gx0, gx1) = grid.x_range();
            let (gy0, gy1) = grid.y_range();
            let cols: Vec<(usize, f64)> = (0..pw)
                .map(|px| {
                    cell(
                        x0 + px as f64 / (pw - 1).max(1) as f64 * (x1 - x0),
                        gx0,
                        gx1,
                        nx,
                    )
                })
                .collect();
            // A 1024-step table of the colour map (finer than 8-bit colour).
            let lut: Vec<Rgb> = (0..1024)
                .map(|k| landscape_colour(k as f64 / 1023.0))
                .collect();
            let mut buf = vec![0u8; pw * ph * 3];
            for py in 0..ph {
                let y = y1 - (py as f64) / ((ph - 1).max(1) as f64) * (y1 - y0);
                let (j, ty) = cell(y, gy0, gy1, ny);
                let (r0, r1) = (&tv[j * nx..(j + 1) * nx], &tv[(j + 1) * nx..(j + 2) * nx]);
                let row = &mut buf[py * pw * 3..(py + 1) * pw * 3];
                for (px, &(i, tx)) in cols.iter().enumerate() {
                    let a = r0[i] + (r0[i + 1] - r0[i]) * tx;
                    let b = r1[i] + (r1[i + 1] - r1[i]) * tx;
                    let t = a + (b - a) * ty;
                    let c = if t.is_finite() {
                        lut[(t.clamp(0.0, 1.0) * 1023.0).round() as usize]
                    } else {
                        // Next to a hole: the nearest grid value's colour.
                        let ii = if tx < 0.5 { i } else { i + 1 };
                        let jj = if ty < 0.5 { j } else { j + 1 };
                        colour_of(grid.values[[jj, ii]])
                    };
                    row[px * 3..px * 3 + 3].copy_from_slice(&c);
                }
            }
            blend_lines(
                &mut buf,
                pw,
                ph,
                l,
                iso_lines,
                [0x1a, 0x1a, 0x1a],
                ISO_ALPHA,
            );
            let el = BitMapElement::with_owned_buffer((l.left, l.top), (pw as u32, ph as u32), buf)
                .ok_or_else(|| PlotError::Drawing("heatmap buffer size".into()))?;
            root.draw(&el).map_err(draw_err)
        }
        HeatmapRender::Cells => {
            // Cell (j, i) is centred on the grid point; its edges are the
            // midpoints to the neighbours, clipped to the grid range.
            let (nx, ny) = (grid.xs.len(), grid.ys.len());
            let edge = |v: &[f64], k: usize| -> f64 {
                if k == 0 {
                    v[0]
                } else if k >= v.len() {
                    v[v.len() - 1]
                } else {
                    0.5 * (v[k - 1] + v[k])
                }
            };
            for j in 0..ny {
                let ya = l.px((grid.xs[0], edge(&grid.ys, j))).1;
                let yb = l.px((grid.xs[0], edge(&grid.ys, j + 1))).1;
                let mut i = 0;
                while i < nx {
                    let c = colour_of(grid.values[[j, i]]);
                    // Quantise so that runs merge: 64 levels per channel step.
                    let q = |c: Rgb| [c[0] >> 2, c[1] >> 2, c[2] >> 2];
                    let mut k = i + 1;
                    while k < nx && q(colour_of(grid.values[[j, k]])) == q(c) {
                        k += 1;
                    }
                    let xa = l.px((edge(&grid.xs, i), grid.ys[0])).0;
                    let xb = l.px((edge(&grid.xs, k), grid.ys[0])).0;
                    root.draw(&Rectangle::new([(xa, yb), (xb, ya)], rgb(c).filled()))
                        .map_err(draw_err)?;
                    i = k;
                }
            }
            Ok(())
        }
    }
}

/// Opacity of the iso-lines.
pub(crate) const ISO_ALPHA: f64 = 0.32;

/// Blends antialiased 1-pixel lines (data-space segments) into an RGB
/// buffer covering the plot rectangle of `l`. Coverage is accumulated with
/// `max` and blended once, so joints and crossings of a translucent line do
/// not show darker dots (Xiaolin Wu's line sampling).
pub(crate) fn blend_lines(
    buf: &mut [u8],
    pw: usize,
    ph: usize,
    l: &Layout,
    segments: &[[(f64, f64); 2]],
    ink: Rgb,
    alpha: f64,
) {
    if segments.is_empty() || pw == 0 || ph == 0 {
        return;
    }
    let mut cover = vec![0f32; pw * ph];
    let mut plot = |x: i64, y: i64, c: f64| {
        if x >= 0 && y >= 0 && (x as usize) < pw && (y as usize) < ph {
            let m = &mut cover[y as usize * pw + x as usize];
            *m = m.max(c as f32);
        }
    };
    for seg in segments {
        let (ax, ay) = l.to_px(seg[0]);
        let (bx, by) = l.to_px(seg[1]);
        let (ax, ay, bx, by) = (
            ax - l.left as f64,
            ay - l.top as f64,
            bx - l.left as f64,
            by - l.top as f64,
        );
        let steep = (by - ay).abs() > (bx - ax).abs();
        let (mut a0, mut b0, mut a1, mut b1) = if steep {
            (ay, ax, by, bx)
        } else {
            (ax, ay, bx, by)
        };
        if a0 > a1 {
            std::mem::swap(&mut a0, &mut a1);
            std::mem::swap(&mut b0, &mut b1);
        }
        let slope = if a1 > a0 { (b1 - b0) / (a1 - a0) } else { 0.0 };
        let (start, end) = (a0.round() as i64, a1.round() as i64);
        for a in start..=end {
            let b = b0 + slope * (a as f64 - a0);
            let bf = b.floor();
            let frac = b - bf;
            let (p, q) = (bf as i64, bf as i64 + 1);
            if steep {
                plot(p, a, 1.0 - frac);
                plot(q, a, frac);
            } else {
                plot(a, p, 1.0 - frac);
                plot(a, q, frac);
            }
        }
    }
    for (k, &m) in cover.iter().enumerate() {
        if m > 0.0 {
            let w = alpha * m as f64;
            for ch in 0..3 {
                let v = buf[k * 3 + ch] as f64;
                buf[k * 3 + ch] = (v + (ink[ch] as f64 - v) * w).round() as u8;
            }
        }
    }
}
