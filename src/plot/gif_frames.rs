//! The GIF side of `journey.gif`: a fixed palette with an exact
//! nearest-colour memo, frames that store only their changed rectangle, and
//! the pixel rectangles the animation restores and compares.

use std::borrow::Cow;

use gif::{DisposalMethod, Frame};

use super::colour::{landscape_colour, path_colour, Rgb, NO_VALUE};

/// Index of the transparent colour in the palette.
pub(crate) const TRANSPARENT: u8 = 255;

/// A fixed 255-colour palette and an exact nearest-colour memo over all
/// 2²⁴ RGB values (filled lazily, so only colours that occur cost anything).
pub(crate) struct Quantiser {
    palette: Vec<Rgb>,
    /// `memo[rgb] = index + 1`, 0 when not yet computed.
    memo: Vec<u8>,
    pub(crate) frames_written: usize,
}

impl Quantiser {
    pub(crate) fn new() -> Self {
        let mut pal: Vec<Rgb> = Vec::with_capacity(256);
        let white = [255u8, 255, 255];
        let mix = |a: Rgb, b: Rgb, t: f64| -> Rgb {
            let mut o = [0u8; 3];
            for c in 0..3 {
                o[c] = (a[c] as f64 * (1.0 - t) + b[c] as f64 * t).round() as u8;
            }
            o
        };
        // The colour map (what most pixels are).
        for k in 0..112 {
            pal.push(landscape_colour(k as f64 / 111.0));
        }
        // The colour map under a translucent dark iso-line.
        for k in 0..24 {
            pal.push(mix(
                landscape_colour(k as f64 / 23.0),
                [0x1a, 0x1a, 0x1a],
                0.30,
            ));
        }
        pal.push(NO_VALUE);
        // Greys for text and its antialiasing.
        for k in 0..24 {
            let v = (0x22 as f64 + (255.0 - 0x22 as f64) * k as f64 / 23.0).round() as u8;
            pal.push([v, v, v]);
        }
        // Path colours, and their blends with white (halo, antialiasing) and
        // with the middle of the colour map.
        for i in 0..10 {
            let c = path_colour(i);
            pal.push(c);
            pal.push(mix(c, white, 0.35));
            pal.push(mix(c, white, 0.7));
            pal.push(mix(c, landscape_colour(0.5), 0.45));
            pal.push(mix(c, [0x22, 0x22, 0x22], 0.3));
        }
        // The colour map lightened by a white halo's antialiased edge.
        while pal.len() < 255 {
            let k = pal.len();
            pal.push(mix(landscape_colour((k % 47) as f64 / 46.0), white, 0.5));
        }
        pal.truncate(255);
        Self {
            palette: pal,
            memo: vec![0u8; 1 << 24],
            frames_written: 0,
        }
    }

    pub(crate) fn palette_bytes(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self.palette.iter().flatten().copied().collect();
        out.extend_from_slice(&[255, 0, 255]); // the transparent slot
        out
    }

    fn index(&mut self, r: u8, g: u8, b: u8) -> u8 {
        let key = ((r as usize) << 16) | ((g as usize) << 8) | b as usize;
        let m = self.memo[key];
        if m != 0 {
            return m - 1;
        }
        // Nearest by a luminance-weighted squared distance (weights 2, 4, 3).
        let mut best = (u32::MAX, 0usize);
        for (i, p) in self.palette.iter().enumerate() {
            let dr = r as i32 - p[0] as i32;
            let dg = g as i32 - p[1] as i32;
            let db = b as i32 - p[2] as i32;
            let d = (2 * dr * dr + 4 * dg * dg + 3 * db * db) as u32;
            if d < best.0 {
                best = (d, i);
            }
        }
        self.memo[key] = best.1 as u8 + 1;
        best.1 as u8
    }

    /// Encodes `cur` as a GIF frame: the whole image, or only the bounding
    /// rectangle of the pixels that differ from `prev`, with unchanged pixels
    /// transparent. `None` if nothing changed. With `prev`, the caller
    /// promises that pixels outside the rectangle `within` are unchanged.
    pub(crate) fn frame(
        &mut self,
        cur: &[u8],
        prev: Option<(&[u8], Rect)>,
        w: usize,
        h: usize,
    ) -> Option<Frame<'static>> {
        let (x0, y0, x1, y1) = match prev {
            None => (0, 0, w, h),
            Some((p, within)) => changed_rect_within(cur, p, w, within)?,
        };
        let prev = prev.map(|p| p.0);
        let (fw, fh) = (x1 - x0, y1 - y0);
        let mut idx = Vec::with_capacity(fw * fh);
        for y in y0..y1 {
            let span = y * w * 3 + x0 * 3..y * w * 3 + x1 * 3;
            let row = &cur[span.clone()];
            match prev {
                None => idx.extend(row.chunks_exact(3).map(|p| self.index(p[0], p[1], p[2]))),
                Some(prev) => {
                    for (p, q) in row.chunks_exact(3).zip(prev[span.clone()].chunks_exact(3)) {
                        idx.push(if p == q {
                            TRANSPARENT
                        } else {
                            self.index(p[0], p[1], p[2])
                        });
                    }
                }
            }
        }
        self.frames_written += 1;
        Some(Frame {
            delay: 0,
            dispose: DisposalMethod::Keep,
            transparent: prev.map(|_| TRANSPARENT),
            needs_user_input: false,
            top: y0 as u16,
            left: x0 as u16,
            width: fw as u16,
            height: fh as u16,
            interlaced: false,
            palette: None,
            buffer: Cow::Owned(idx),
        })
    }
}

/// A pixel rectangle `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rect {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
}

impl Rect {
    /// The rectangle `[x0, x1) × [y0, y1)` clamped to a `w × h` image.
    pub(crate) fn clamped(x0: i64, y0: i64, x1: i64, y1: i64, w: usize, h: usize) -> Self {
        let c = |v: i64, hi: usize| v.clamp(0, hi as i64) as usize;
        let (x0, x1) = (c(x0, w), c(x1, w));
        let (y0, y1) = (c(y0, h), c(y1, h));
        Self {
            x0,
            y0,
            x1: x1.max(x0),
            y1: y1.max(y0),
        }
    }

    pub(crate) fn union(self, o: Rect) -> Rect {
        if o.x0 == o.x1 || o.y0 == o.y1 {
            return self;
        }
        if self.x0 == self.x1 || self.y0 == self.y1 {
            return o;
        }
        Rect {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }

    /// Copies this rectangle of the RGB image `from` into `to` (width `w`).
    pub(crate) fn restore(self, to: &mut [u8], from: &[u8], w: usize) {
        for y in self.y0..self.y1 {
            let span = (y * w + self.x0) * 3..(y * w + self.x1) * 3;
            to[span.clone()].copy_from_slice(&from[span]);
        }
    }
}

/// Bounding rectangle `(x0, y0, x1, y1)` (exclusive ends) of the pixels
/// where two RGB images of width `w` differ, searching only `within`
/// (outside it they are known to be equal); `None` if they are equal.
fn changed_rect_within(
    a: &[u8],
    b: &[u8],
    w: usize,
    within: Rect,
) -> Option<(usize, usize, usize, usize)> {
    let stride = w * 3;
    let (xa, xb) = (within.x0 * 3, within.x1 * 3);
    let rows: Vec<usize> = (within.y0..within.y1)
        .filter(|&y| a[y * stride + xa..y * stride + xb] != b[y * stride + xa..y * stride + xb])
        .collect();
    let (&y0, &y1) = (rows.first()?, rows.last()?);
    let (mut x0, mut x1) = (within.x1, within.x0);
    let differs = |ra: &[u8], rb: &[u8], x: usize| ra[x * 3..x * 3 + 3] != rb[x * 3..x * 3 + 3];
    for &y in &rows {
        let ra = &a[y * stride..(y + 1) * stride];
        let rb = &b[y * stride..(y + 1) * stride];
        if let Some(first) = (within.x0..within.x1).find(|&x| differs(ra, rb, x)) {
            x0 = x0.min(first);
        }
        if let Some(last) = (within.x0..within.x1).rev().find(|&x| differs(ra, rb, x)) {
            x1 = x1.max(last + 1);
        }
    }
    Some((x0, y0, x1, y1 + 1))
}

/// [`changed_rect_within`] over the whole `w × h` image.
#[cfg(test)]
fn changed_rect(a: &[u8], b: &[u8], w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    changed_rect_within(a, b, w, Rect::clamped(0, 0, w as i64, h as i64, w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_rectangle() {
        let (w, h) = (4, 3);
        let a = vec![0u8; w * h * 3];
        let mut b = a.clone();
        assert_eq!(changed_rect(&a, &b, w, h), None);
        b[(w + 2) * 3 + 1] = 9; // pixel (2, 1)
        b[(2 * w + 1) * 3] = 9; // pixel (1, 2)
        assert_eq!(changed_rect(&a, &b, w, h), Some((1, 1, 3, 3)));
    }

    #[test]
    fn quantiser_maps_palette_colours_to_themselves() {
        let mut q = Quantiser::new();
        assert_eq!(q.palette.len(), 255);
        for i in [0usize, 50, 111, 140, 200] {
            let c = q.palette[i];
            let j = q.index(c[0], c[1], c[2]) as usize;
            assert_eq!(q.palette[j], c);
        }
    }
}
