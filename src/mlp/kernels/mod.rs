//! The fast derivative kernels: whole-batch passes on contiguous,
//! unit-major buffers.
//!
//! Every signal of a layer is stored **unit-major**: `n_l × N`, one
//! contiguous row of `N` examples per unit, so that the inner loops run over
//! examples (vectorised) and each layer step is a matrix product in one
//! fixed order at every width (no system BLAS, whose kernels and so whose
//! last bits depend on the CPU).
//!
//! A small product runs over blocks of [`CHUNK`] examples whose accumulators
//! stay in registers while every input row is added, and the step's
//! element-wise tail is fused in before the block is stored: `tanh` on the way
//! forward, the factor `1 − a²` on the way back. The loss, `σ` and the output
//! signal `(σ − y)/N` are one pass over the logits. Buffers come from a
//! per-thread pool, and those a kernel overwrites in full are not zeroed.

use std::borrow::Cow;
use std::cell::RefCell;

use ndarray::{ArrayBase, ArrayView2, Data, Ix1};

use super::fastmath;
use super::Mlp;

thread_local! {
    /// Per-thread pool of signal buffers, so that repeated calls reuse memory
    /// instead of mapping fresh pages (buffers of `n_l × N` are often larger
    /// than the allocator's threshold for returning memory to the system).
    static POOL: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
}

/// Buffers kept per thread, and the largest one kept (16 MiB).
const POOL_BUFFERS: usize = 32;
const POOL_MAX_LEN: usize = 1 << 21;

/// A buffer from the pool for `len` entries: the shortest one at least that
/// long (so that a short request does not shorten a long buffer, which the
/// next long request would have to zero again) unless that one is more than
/// [`SHORTEN_MAX`] times too long; else the longest shorter one (the fewest
/// entries to zero when it grows); else a new one. A request for nothing
/// takes nothing: a pass asks for buffers of `N` and of `n_l × N` entries,
/// and the long ones shortened by short requests cost two `memset`s of
/// `n_l × N` entries per gradient of 2-32-1 before.
fn take(len: usize) -> Vec<f64> {
    if len == 0 {
        return Vec::new();
    }
    POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        let fit = p
            .iter()
            .enumerate()
            .filter(|(_, v)| v.len() >= len && v.len() <= len.saturating_mul(SHORTEN_MAX).max(64))
            .min_by_key(|(_, v)| v.len())
            .map(|(i, _)| i);
        let grow = || {
            p.iter()
                .enumerate()
                .filter(|(_, v)| v.len() < len)
                .max_by_key(|(_, v)| v.len())
                .map(|(i, _)| i)
        };
        fit.or_else(grow).map(|i| p.swap_remove(i))
    })
    .ok()
    .flatten()
    .unwrap_or_default()
}

/// How many times longer than a request a pooled buffer may be and still be
/// shortened to serve it.
const SHORTEN_MAX: usize = 4;

/// A zero-filled buffer of `len` entries, from the pool if one is free.
pub(crate) fn buffer(len: usize) -> Vec<f64> {
    let mut v = take(len);
    v.clear();
    v.resize(len, 0.0);
    v
}

/// A buffer of `len` entries from the pool, **not** cleared: its contents
/// are whatever the last user left (zeros if it is fresh). For outputs that
/// a kernel overwrites in full.
pub(crate) fn scratch(len: usize) -> Vec<f64> {
    let mut v = take(len);
    if v.len() >= len {
        v.truncate(len);
    } else {
        v.resize(len, 0.0);
    }
    v
}

/// Returns a buffer to the pool.
pub(crate) fn recycle(v: Vec<f64>) {
    if v.capacity() == 0 || v.capacity() > POOL_MAX_LEN {
        return;
    }
    let _ = POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < POOL_BUFFERS {
            p.push(v);
        }
    });
}

/// Returns every buffer of a list to the pool.
pub(crate) fn recycle_all(vs: Vec<Vec<f64>>) {
    vs.into_iter().for_each(recycle);
}

/// θ (or a direction) as a contiguous slice, copied only if the view is strided.
pub(crate) fn contiguous<S: Data<Elem = f64>>(v: &ArrayBase<S, Ix1>) -> Cow<'_, [f64]> {
    match v.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(v.iter().copied().collect()),
    }
}

pub(crate) use crate::linalg::lanes::{dot, dot_tile, sum};

/// `f(j, x · row(j))` for `j = j0 … j1 − 1`, in tiles of four
/// [`dot_tile`]s (each value's bits do not depend on the tile it is in; a
/// remainder of two or three is one more tile of four with its last row
/// repeated, as LLVM vectorises tiles of four cleanly at every width while a
/// tile of three came out as spilled 128-bit code).
#[inline(always)]
pub(crate) fn dots_each<'a, const FUSED: bool>(
    x: &[f64],
    row: impl Fn(usize) -> &'a [f64],
    (j0, j1): (usize, usize),
    mut f: impl FnMut(usize, f64),
) {
    let mut j = j0;
    while j + 4 <= j1 {
        let t = dot_tile::<4, FUSED>(x, [row(j), row(j + 1), row(j + 2), row(j + 3)]);
        t.into_iter().enumerate().for_each(|(k, v)| f(j + k, v));
        j += 4;
    }
    match j1 - j {
        0 => {}
        1 => f(j, dot_tile::<1, FUSED>(x, [row(j)])[0]),
        r => {
            let last = j + r - 1;
            let t =
                dot_tile::<4, FUSED>(x, [row(j), row(j + 1), row((j + 2).min(last)), row(last)]);
            t.into_iter()
                .take(r)
                .enumerate()
                .for_each(|(k, v)| f(j + k, v));
        }
    }
}

/// `out[j] += x · row(j)` (fused) for `j = 0 … out.len() − 1`, by [`dots_each`].
#[inline(always)]
pub(crate) fn dots_accumulate<'a>(x: &[f64], row: impl Fn(usize) -> &'a [f64], out: &mut [f64]) {
    dots_each::<true>(x, row, (0, out.len()), |j, v| out[j] += v);
}

/// Geometry of one layer in θ: offset, rows `n_l`, columns `n_{l−1} + 1`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Block {
    pub off: usize,
    pub rows: usize,
    pub cols: usize,
}

impl Block {
    pub fn fan_in(&self) -> usize {
        self.cols - 1
    }
    pub fn size(&self) -> usize {
        self.rows * self.cols
    }
    pub fn of<'a>(&self, theta: &'a [f64]) -> &'a [f64] {
        &theta[self.off..self.off + self.size()]
    }
    pub fn of_mut<'a>(&self, theta: &'a mut [f64]) -> &'a mut [f64] {
        &mut theta[self.off..self.off + self.size()]
    }
}

pub(crate) fn blocks(mlp: &Mlp) -> Vec<Block> {
    (0..mlp.num_layers())
        .map(|l| {
            let (off, rows, cols) = mlp.layer_block(l);
            Block { off, rows, cols }
        })
        .collect()
}

mod pass;
mod products;
#[cfg(test)]
mod tests;

pub(crate) use pass::Pass;
pub(crate) use products::gram_triangle;
