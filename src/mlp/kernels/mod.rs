//! The fast derivative kernels: whole-batch passes on contiguous,
//! unit-major buffers.
//!
//! Every signal of a layer is stored **unit-major**: `n_l × N`, one
//! contiguous row of `N` examples per unit, so that the inner loops run over
//! examples (vectorised) and each layer step is a small matrix product, or a
//! GEMM (ndarray's `general_mat_mul`, which dispatches to the system BLAS)
//! where both of its sides are at least [`GEMM_MIN`] wide.
//!
//! A small product runs over blocks of [`CHUNK`] examples whose accumulators
//! stay in registers while every input row is added, and the step's
//! element-wise tail is fused in before the block is stored: `tanh` on the way
//! forward, the factor `1 − a²` on the way back. The loss, `σ` and the output
//! signal `(σ − y)/N` are one pass over the logits. Buffers come from a
//! per-thread pool, and those a kernel overwrites in full are not zeroed.

use std::borrow::Cow;
use std::cell::RefCell;

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayBase, ArrayView2, ArrayViewMut2, Data, Ix1, ShapeBuilder};

use super::fastmath;
use super::Mlp;

/// Below this width a layer product is register-blocked plain arithmetic; at
/// or above it on both sides (fan-in and fan-out), a GEMM.
pub(crate) const GEMM_MIN: usize = 16;

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
/// next long request would have to zero again), else any, else a new one.
fn take(len: usize) -> Vec<f64> {
    POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        let fit = p
            .iter()
            .enumerate()
            .filter(|(_, v)| v.len() >= len)
            .min_by_key(|(_, v)| v.len())
            .map(|(i, _)| i);
        match fit {
            Some(i) => Some(p.swap_remove(i)),
            None => p.pop(),
        }
    })
    .ok()
    .flatten()
    .unwrap_or_default()
}

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

/// Compiles a kernel for SSE2 (any x86-64), AVX2 + FMA and AVX-512F + FMA,
/// and runs the widest the CPU supports. Every sum has a fixed order
/// (element-wise updates, sixteen interleaved accumulators) and every fused
/// multiply-add is written as one (`f64::mul_add`, rounded once as IEEE 754
/// requires: the FMA instruction in the wide builds, the C library's `fma`
/// in the portable one), while Rust never fuses `a * b + c` on its own; so
/// the three builds give identical bits. `$portable` is the SSE2 build (slow
/// on a CPU without FMA, where `fma` is emulated, but exact).
macro_rules! multiversioned {
    ($(#[$attr:meta])* fn $name:ident / $portable:ident ($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        $(#[$attr])*
        pub(crate) fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,fma")]
                unsafe fn wide512($($arg: $ty),*) {
                    $portable($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn wide256($($arg: $ty),*) {
                    $portable($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU supports AVX-512F and FMA (checked just above).
                    return unsafe { wide512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                    return unsafe { wide256($($arg),*) };
                }
            }
            $portable($($arg),*)
        }

        /// The portable (SSE2) build of the kernel of the same name.
        #[inline(always)]
        pub(crate) fn $portable($($arg: $ty),*) $body
    };
}

/// Lanes of the interleaved accumulators of [`sum`] and [`dot`]: enough
/// independent chains to hide the latency of an addition at any vector width.
const LANES: usize = 16;

/// Pairwise reduction of the accumulators, in a fixed order.
#[inline(always)]
fn reduce(acc: [f64; LANES]) -> f64 {
    let mut h = [0.0; LANES / 2];
    for k in 0..LANES / 2 {
        h[k] = acc[k] + acc[k + LANES / 2];
    }
    let q = [h[0] + h[4], h[1] + h[5], h[2] + h[6], h[3] + h[7]];
    (q[0] + q[2]) + (q[1] + q[3])
}

/// Sum with sixteen interleaved accumulators (vectorisable, fixed order).
#[inline(always)]
pub(crate) fn sum(a: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let chunks = a.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..LANES {
            acc[k] += c[k];
        }
    }
    let mut s = reduce(acc);
    for &x in rest {
        s += x;
    }
    s
}

/// Dot product with sixteen interleaved accumulators (vectorisable, fixed order).
#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0.0; LANES];
    let ca = a.chunks_exact(LANES);
    let cb = b.chunks_exact(LANES);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..LANES {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = reduce(acc);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// `J` dot products of one row `x` with the rows `ys`, side by side: `x` is
/// loaded once per block and the `J` independent chains hide the latency of
/// the additions. Each dot has a fixed order whatever the vector width: lane
/// `k` of sixteen accumulates entries `k, k + 16, …`, the lanes are summed as
/// in [`dot`], then the last `N mod 16` entries are added one by one; every
/// multiply-add is fused (rounded once) if `FUSED`, else a product and a sum,
/// which gives exactly the bits of [`dot`].
#[inline(always)]
pub(crate) fn dot_tile<const J: usize, const FUSED: bool>(x: &[f64], ys: [&[f64]; J]) -> [f64; J] {
    let madd = |a: f64, b: f64, c: f64| if FUSED { a.mul_add(b, c) } else { c + a * b };
    let n = x.len();
    debug_assert!(ys.iter().all(|y| y.len() == n));
    let full = n - n % LANES;
    let mut acc = [[0.0; LANES]; J];
    let mut e0 = 0;
    while e0 < full {
        let xc = &x[e0..e0 + LANES];
        for (acc, y) in acc.iter_mut().zip(&ys) {
            let yc = &y[e0..e0 + LANES];
            for k in 0..LANES {
                acc[k] = madd(xc[k], yc[k], acc[k]);
            }
        }
        e0 += LANES;
    }
    let mut out = [0.0; J];
    for ((o, acc), y) in out.iter_mut().zip(acc).zip(&ys) {
        let mut s = reduce(acc);
        for (a, b) in x[full..].iter().zip(&y[full..]) {
            s = madd(*a, *b, s);
        }
        *o = s;
    }
    out
}

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
    fn weights<'a>(&self, w_hat: &'a [f64]) -> ArrayView2<'a, f64> {
        ArrayView2::from_shape((self.rows, self.fan_in()).strides((self.cols, 1)), w_hat)
            .expect("layer block fits θ")
    }
    fn gemm_sized(&self) -> bool {
        self.rows >= GEMM_MIN && self.fan_in() >= GEMM_MIN
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

fn view<'a>(buf: &'a [f64], rows: usize, n: usize) -> ArrayView2<'a, f64> {
    ArrayView2::from_shape((rows, n), &buf[..rows * n]).expect("buffer sized rows × N")
}

fn view_mut<'a>(buf: &'a mut [f64], rows: usize, n: usize) -> ArrayViewMut2<'a, f64> {
    ArrayViewMut2::from_shape((rows, n), &mut buf[..rows * n]).expect("buffer sized rows × N")
}

mod pass;
mod products;
#[cfg(test)]
mod tests;

pub(crate) use pass::Pass;
pub(crate) use products::gram_triangle;
