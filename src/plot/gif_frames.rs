//! The GIF side of `journey.gif`: a fixed palette with an exact
//! nearest-colour search behind a memo, frames that store only their
//! changed rectangle, a fast LZW encoder that writes exactly the `gif`
//! crate's bytes, and the pixel rectangles the animation restores and
//! compares.

use std::borrow::Cow;

use gif::{DisposalMethod, Frame};

use super::colour::{landscape_colour, path_colour, Rgb, NO_VALUE};
use super::gif_lzw::lzw_encode;

/// Index of the transparent colour in the palette.
pub(crate) const TRANSPARENT: u8 = 255;

/// The fixed palette: the colour map, its iso-line shades, greys for text,
/// the path colours and their blends (255 colours; index 255 is
/// [`TRANSPARENT`]).
fn palette() -> Vec<Rgb> {
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
    pal
}

/// A fixed 255-colour palette and an exact nearest-colour memo: an
/// open-addressing hash table of the colours met so far (the heatmap alone
/// has tens of thousands), small enough to stay in cache.
pub(crate) struct Quantiser {
    /// The palette's red, green and blue channels, padded to 256 entries
    /// with a colour far from every RGB value.
    channels: [[i32; 256]; 3],
    /// `rgb << 8 | index`, or [`NO_COLOUR`]; at most half full.
    memo: Vec<u32>,
    /// Number of colours in `memo`.
    known: usize,
    /// The last frame's palette indices (kept for its allocation).
    indices: Vec<u8>,
}

/// An empty slot of the memo (no colour maps to index 255, the transparent
/// slot, so no entry has this value).
const NO_COLOUR: u32 = u32::MAX;

impl Quantiser {
    pub(crate) fn new() -> Self {
        let palette = palette();
        let mut channels = [[10_000i32; 256]; 3];
        for (i, p) in palette.iter().enumerate() {
            for c in 0..3 {
                channels[c][i] = i32::from(p[c]);
            }
        }
        Self {
            channels,
            memo: vec![NO_COLOUR; 1 << 16],
            known: 0,
            indices: Vec::new(),
        }
    }

    /// The global colour table: the 255 colours and the transparent slot.
    pub(crate) fn palette_bytes() -> Vec<u8> {
        let mut out: Vec<u8> = palette().iter().flatten().copied().collect();
        out.extend_from_slice(&[255, 0, 255]); // the transparent slot
        out
    }

    #[inline]
    fn index(&mut self, r: u8, g: u8, b: u8) -> u8 {
        let rgb = (u32::from(r) << 16) | (u32::from(g) << 8) | u32::from(b);
        let mask = self.memo.len() - 1;
        let mut at = Self::slot(rgb, mask);
        loop {
            let e = self.memo[at];
            if e == NO_COLOUR {
                break;
            }
            if e >> 8 == rgb {
                return e as u8;
            }
            at = (at + 1) & mask;
        }
        let i = self.nearest(r, g, b);
        self.remember(rgb, i);
        i
    }

    #[inline]
    fn slot(rgb: u32, mask: usize) -> usize {
        (rgb.wrapping_mul(0x9E37_79B1) >> 8) as usize & mask
    }

    /// Adds a colour that is not in the memo, doubling it when half full.
    #[cold]
    fn remember(&mut self, rgb: u32, index: u8) {
        if 2 * (self.known + 1) > self.memo.len() {
            let grown = vec![NO_COLOUR; 2 * self.memo.len()];
            let old = std::mem::replace(&mut self.memo, grown);
            self.known = 0;
            for e in old.into_iter().filter(|&e| e != NO_COLOUR) {
                self.remember(e >> 8, e as u8);
            }
        }
        let mask = self.memo.len() - 1;
        let mut at = Self::slot(rgb, mask);
        while self.memo[at] != NO_COLOUR {
            at = (at + 1) & mask;
        }
        self.memo[at] = (rgb << 8) | u32::from(index);
        self.known += 1;
    }

    /// The palette index nearest to `(r, g, b)`.
    #[cold]
    fn nearest(&self, r: u8, g: u8, b: u8) -> u8 {
        // Nearest by a luminance-weighted squared distance (weights 2, 4, 3),
        // the first of equals: all 256 distances at once (the loop
        // vectorises; the padding slot is far from every colour), then the
        // first index of the smallest.
        let mut d = [0i32; 256];
        let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
        for (i, di) in d.iter_mut().enumerate() {
            let dr = r - self.channels[0][i];
            let dg = g - self.channels[1][i];
            let db = b - self.channels[2][i];
            *di = 2 * dr * dr + 4 * dg * dg + 3 * db * db;
        }
        let min = d.iter().copied().fold(i32::MAX, i32::min);
        d.iter().position(|&v| v == min).unwrap_or(0) as u8
    }

    /// Appends the indices of the RGB pixels `cur`, [`TRANSPARENT`] where
    /// they equal `old`.
    #[inline]
    fn delta_pixels(&mut self, cur: &[u8], old: &[u8], idx: &mut Vec<u8>) {
        for (p, q) in cur.chunks_exact(3).zip(old.chunks_exact(3)) {
            idx.push(if p == q {
                TRANSPARENT
            } else {
                self.index(p[0], p[1], p[2])
            });
        }
    }

    /// Encodes `cur` as a GIF frame, LZW-compressed (see [`lzw_encode`];
    /// for [`gif::Encoder::write_lzw_pre_encoded_frame`]): the whole image,
    /// or only the bounding rectangle of the pixels that differ from `prev`,
    /// with unchanged pixels transparent. `None` if nothing changed. With
    /// `prev`, the caller promises that pixels outside the rectangle
    /// `within` are unchanged.
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
        let mut idx = std::mem::take(&mut self.indices);
        idx.clear();
        idx.reserve(fw * fh);
        for y in y0..y1 {
            let span = y * w * 3 + x0 * 3..y * w * 3 + x1 * 3;
            let row = &cur[span.clone()];
            match prev {
                None => {
                    // Neighbours often share a colour (a heatmap cell is
                    // several pixels wide): reuse the last answer.
                    let mut last = ([0u8; 3], self.index(0, 0, 0));
                    for p in row.chunks_exact(3) {
                        if p != last.0 {
                            last = ([p[0], p[1], p[2]], self.index(p[0], p[1], p[2]));
                        }
                        idx.push(last.1);
                    }
                }
                Some(prev) => {
                    // Blocks of 8 unchanged pixels are skipped in one compare.
                    let old = &prev[span.clone()];
                    let blocks = row.chunks_exact(24).zip(old.chunks_exact(24));
                    let tail = row.len() / 24 * 24;
                    for (p8, q8) in blocks {
                        if p8 == q8 {
                            idx.extend_from_slice(&[TRANSPARENT; 8]);
                        } else {
                            self.delta_pixels(p8, q8, &mut idx);
                        }
                    }
                    self.delta_pixels(&row[tail..], &old[tail..], &mut idx);
                }
            }
        }
        let buffer = lzw_encode(&idx, TRANSPARENT);
        self.indices = idx;
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
            buffer: Cow::Owned(buffer),
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
        let pal = palette();
        assert_eq!(pal.len(), 255);
        for i in [0usize, 50, 111, 140, 200] {
            let c = pal[i];
            let j = q.index(c[0], c[1], c[2]) as usize;
            assert_eq!(pal[j], c);
        }
        // The vectorised search is the plain one (the first index of the
        // smallest weighted distance), before and after the memo grows.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        for k in 0..40_000 {
            let c: Rgb = if k < 255 {
                pal[k]
            } else {
                [rng.random(), rng.random(), rng.random()]
            };
            let mut best = (u32::MAX, 0usize);
            for (i, p) in pal.iter().enumerate() {
                let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2) as u32;
                let d = 2 * d(c[0], p[0]) + 4 * d(c[1], p[1]) + 3 * d(c[2], p[2]);
                if d < best.0 {
                    best = (d, i);
                }
            }
            assert_eq!(q.index(c[0], c[1], c[2]) as usize, best.1, "{c:?}");
            assert_eq!(q.index(c[0], c[1], c[2]) as usize, best.1, "{c:?} (memo)");
        }
    }
}
