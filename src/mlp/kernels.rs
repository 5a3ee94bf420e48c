//! The fast derivative kernels: whole-batch passes on contiguous,
//! unit-major buffers.
//!
//! Every signal of a layer is stored **unit-major**: `n_l × N`, one
//! contiguous row of `N` examples per unit, so that the inner loops run over
//! examples (vectorised) and each layer step is a small matrix product
//! written as a few `axpy`s, or a GEMM (ndarray's `general_mat_mul`, which
//! dispatches to the system BLAS) where both of its sides are at least
//! [`GEMM_MIN`] wide. A pass allocates its buffers once per call, never per
//! example.

use std::borrow::Cow;
use std::cell::RefCell;

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayBase, ArrayView2, ArrayViewMut2, Data, Ix1, ShapeBuilder};

use super::fastmath;
use super::Mlp;

/// Below this width a layer product is a loop of `axpy`s; at or above it on
/// both sides (fan-in and fan-out), a GEMM.
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

/// A zero-filled buffer of `len` entries, from the pool if one is free.
pub(crate) fn buffer(len: usize) -> Vec<f64> {
    let mut v = POOL
        .try_with(|p| p.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_default();
    v.clear();
    v.resize(len, 0.0);
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

/// Compiles a kernel for SSE2 (any x86-64), AVX2 and AVX-512F, and runs the
/// widest the CPU supports. No fused multiply-add is enabled and every sum
/// has a fixed order (element-wise updates, sixteen interleaved accumulators),
/// so the three builds give identical bits; `$portable` is the SSE2 build.
macro_rules! multiversioned {
    ($(#[$attr:meta])* fn $name:ident / $portable:ident ($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        $(#[$attr])*
        pub(crate) fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                unsafe fn wide512($($arg: $ty),*) {
                    $portable($($arg),*)
                }
                #[target_feature(enable = "avx2")]
                unsafe fn wide256($($arg: $ty),*) {
                    $portable($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports AVX-512F (checked just above).
                    return unsafe { wide512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2 (checked just above).
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

/// `o += w · a`.
#[inline(always)]
fn axpy(o: &mut [f64], w: f64, a: &[f64]) {
    for (o, a) in o.iter_mut().zip(a) {
        *o += w * a;
    }
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

multiversioned! {
/// `out (rows × N) ← [accumulate ? out : 0] + W a (+ b if `bias`)`, with
/// `W` the weight part of `w_hat` and `a` (`fan_in × N`).
    fn layer_product / layer_product_portable(
    b: Block,
    w_hat: &[f64],
    a: &[f64],
    n: usize,
    out: &mut [f64],
    bias: bool,
    accumulate: bool,
) {
    let k = b.fan_in();
    if !accumulate {
        for i in 0..b.rows {
            let v = if bias { w_hat[i * b.cols + k] } else { 0.0 };
            out[i * n..(i + 1) * n].fill(v);
        }
    } else if bias {
        for i in 0..b.rows {
            let v = w_hat[i * b.cols + k];
            out[i * n..(i + 1) * n].iter_mut().for_each(|o| *o += v);
        }
    }
    if b.gemm_sized() {
        let mut c = view_mut(out, b.rows, n);
        general_mat_mul(1.0, &b.weights(w_hat), &view(a, k, n), 1.0, &mut c);
        return;
    }
    for i in 0..b.rows {
        let o = &mut out[i * n..(i + 1) * n];
        let row = &w_hat[i * b.cols..i * b.cols + k];
        for (j, &w) in row.iter().enumerate() {
            axpy(o, w, &a[j * n..(j + 1) * n]);
        }
    }
}}

multiversioned! {
/// `out (fan_in × N) ← [accumulate ? out : 0] + Wᵀ d`, `d` (`rows × N`).
    fn layer_product_t / layer_product_t_portable(
    b: Block,
    w_hat: &[f64],
    d: &[f64],
    n: usize,
    out: &mut [f64],
    accumulate: bool,
) {
    let k = b.fan_in();
    if !accumulate {
        out[..k * n].fill(0.0);
    }
    if b.gemm_sized() {
        let mut c = view_mut(out, k, n);
        general_mat_mul(1.0, &b.weights(w_hat).t(), &view(d, b.rows, n), 1.0, &mut c);
        return;
    }
    for j in 0..k {
        let o = &mut out[j * n..(j + 1) * n];
        for i in 0..b.rows {
            axpy(o, w_hat[i * b.cols + j], &d[i * n..(i + 1) * n]);
        }
    }
}}

multiversioned! {
/// `g (rows × cols, row-major) += d âᵀ`: weights `d aᵀ`, bias column `d 1`.
/// `a` is `fan_in × N`; with `a = None` the input is zero and only the bias
/// column would be touched (it is not: the caller passes the bias flag).
    fn outer_accumulate / outer_accumulate_portable(
    b: Block,
    d: &[f64],
    a: &[f64],
    n: usize,
    g: &mut [f64],
    with_bias: bool,
) {
    let k = b.fan_in();
    if b.gemm_sized() {
        let mut gw = ArrayViewMut2::from_shape((b.rows, k).strides((b.cols, 1)), &mut g[..])
            .expect("layer block fits θ");
        general_mat_mul(1.0, &view(d, b.rows, n), &view(a, k, n).t(), 1.0, &mut gw);
    } else {
        for i in 0..b.rows {
            let di = &d[i * n..(i + 1) * n];
            for j in 0..k {
                g[i * b.cols + j] += dot(di, &a[j * n..(j + 1) * n]);
            }
        }
    }
    if with_bias {
        for i in 0..b.rows {
            g[i * b.cols + k] += sum(&d[i * n..(i + 1) * n]);
        }
    }
}}

/// The forward pass of a batch, unit-major.
pub(crate) struct Pass {
    /// Number of examples `N`.
    pub n: usize,
    /// Layer geometry.
    pub blocks: Vec<Block>,
    /// `acts[l]` is `a_l` (`n_l × N`) for `l = 0 … L−1`; `a_0 = xᵀ`.
    pub acts: Vec<Vec<f64>>,
    /// Output logits `z_L` (`N`).
    pub logits: Vec<f64>,
}

impl Drop for Pass {
    fn drop(&mut self) {
        recycle_all(std::mem::take(&mut self.acts));
    }
}

impl Pass {
    /// Runs the network on `x` (`N × 2`); θ must have the network's length
    /// (checked by the caller).
    pub fn new(mlp: &Mlp, theta: &[f64], x: ArrayView2<f64>) -> Self {
        let n = x.nrows();
        let blocks = blocks(mlp);
        let mut acts = Vec::with_capacity(blocks.len());
        let mut a0 = buffer(x.ncols() * n);
        for (e, row) in x.rows().into_iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                a0[j * n + e] = v;
            }
        }
        acts.push(a0);
        let mut logits = vec![0.0; n];
        let last = blocks.len() - 1;
        for (l, &b) in blocks.iter().enumerate() {
            let w_hat = b.of(theta);
            if l == last {
                layer_product(b, w_hat, &acts[l], n, &mut logits, true, false);
            } else {
                let mut z = buffer(b.rows * n);
                layer_product(b, w_hat, &acts[l], n, &mut z, true, false);
                fastmath::tanh_in_place(&mut z);
                acts.push(z);
            }
        }
        Self {
            n,
            blocks,
            acts,
            logits,
        }
    }

    /// Mean loss, and per-example `σ(z_n)` written into `probs`.
    pub fn loss_and_probs(&self, y: &[f64], probs: &mut [f64]) -> f64 {
        let mut terms = vec![0.0; self.n];
        for (((t, p), &z), &y) in terms
            .iter_mut()
            .zip(probs.iter_mut())
            .zip(&self.logits)
            .zip(y)
        {
            let e = fastmath::exp_nonpositive(-z.abs());
            *t = z.max(0.0) + fastmath::ln_1p_unit(e) - y * z;
            let inv = 1.0 / (1.0 + e);
            *p = if z >= 0.0 { inv } else { e * inv };
        }
        sum(&terms) / self.n as f64
    }

    /// Per-example `σ(z_n)`.
    pub fn probs(&self) -> Vec<f64> {
        self.logits
            .iter()
            .map(|&z| {
                let e = fastmath::exp_nonpositive(-z.abs());
                let inv = 1.0 / (1.0 + e);
                if z >= 0.0 {
                    inv
                } else {
                    e * inv
                }
            })
            .collect()
    }

    /// Back-propagates the output signal `u` (`N`): returns `Jᵀ u` (`D`).
    pub fn backprop(&self, theta: &[f64], u: &[f64]) -> Vec<f64> {
        self.backprop_with(theta, u, true, None)
    }

    /// Each layer's output signal `g_l = ∂z_L/∂z_l` (`n_l × N`), without the gradient.
    pub fn output_signals(&self, theta: &[f64]) -> Vec<Vec<f64>> {
        let mut signals = Vec::with_capacity(self.blocks.len());
        self.backprop_with(theta, &vec![1.0; self.n], false, Some(&mut signals));
        signals
    }

    /// Back-propagation of `u`: `Jᵀ u` if `with_grad` (else an empty vector),
    /// and each layer's `∂(Σ u z)/∂z_l` (`n_l × N`) into `signals` if given.
    fn backprop_with(
        &self,
        theta: &[f64],
        u: &[f64],
        with_grad: bool,
        mut signals: Option<&mut Vec<Vec<f64>>>,
    ) -> Vec<f64> {
        let n = self.n;
        let d_total = self.blocks.last().map_or(0, |b| b.off + b.size());
        let mut grad = vec![0.0; if with_grad { d_total } else { 0 }];
        let mut delta = buffer(0);
        delta.extend_from_slice(u);
        let mut next = buffer(0);
        for l in (0..self.blocks.len()).rev() {
            let b = self.blocks[l];
            if with_grad {
                outer_accumulate(b, &delta, &self.acts[l], n, b.of_mut(&mut grad), true);
            }
            if l > 0 {
                next.resize(b.fan_in() * n, 0.0);
                layer_product_t(b, b.of(theta), &delta, n, &mut next, false);
                for (d, &a) in next.iter_mut().zip(&self.acts[l]) {
                    *d *= 1.0 - a * a;
                }
            }
            if let Some(s) = signals.as_deref_mut() {
                s.push(std::mem::take(&mut delta));
            }
            std::mem::swap(&mut delta, &mut next);
        }
        if let Some(s) = signals {
            s.reverse();
        }
        recycle(delta);
        recycle(next);
        grad
    }

    /// R-forward pass along `v`: `R{a_l}` for `l = 1 … L−1` (index `l`,
    /// entry 0 unused and empty) and `R{z_L} = J v` (`N`).
    pub fn r_forward(&self, theta: &[f64], v: &[f64]) -> (Vec<Vec<f64>>, Vec<f64>) {
        let n = self.n;
        let last = self.blocks.len() - 1;
        let mut r_acts: Vec<Vec<f64>> = vec![Vec::new()];
        let mut jv = vec![0.0; n];
        for (l, &b) in self.blocks.iter().enumerate() {
            let out_len = b.rows * n;
            let mut r_z = if l == last {
                std::mem::take(&mut jv)
            } else {
                buffer(out_len)
            };
            // R{z_l} = V̂_l â_{l−1} + W_l R{a_{l−1}}
            layer_product(b, b.of(v), &self.acts[l], n, &mut r_z, true, false);
            if l > 0 {
                layer_product(b, b.of(theta), &r_acts[l], n, &mut r_z, false, true);
            }
            if l == last {
                jv = r_z;
            } else {
                for (r, &a) in r_z.iter_mut().zip(&self.acts[l + 1]) {
                    *r *= 1.0 - a * a;
                }
                r_acts.push(r_z);
            }
        }
        (r_acts, jv)
    }

    /// Exact `H v` for the mean cross-entropy with labels `y` (Pearlmutter).
    pub fn hvp(&self, theta: &[f64], v: &[f64], y: &[f64], probs: &[f64]) -> Vec<f64> {
        let n = self.n;
        let inv_n = 1.0 / n as f64;
        let (r_acts, r_z) = self.r_forward(theta, v);
        let (mut delta, mut r_delta) = (buffer(n), buffer(n));
        for e in 0..n {
            let s = probs[e];
            delta[e] = (s - y[e]) * inv_n;
            r_delta[e] = s * (1.0 - s) * r_z[e] * inv_n;
        }
        let d_total = self.blocks.last().map_or(0, |b| b.off + b.size());
        let mut hv = vec![0.0; d_total];
        let (mut dw, mut r_new) = (buffer(0), buffer(0));
        for l in (0..self.blocks.len()).rev() {
            let b = self.blocks[l];
            let g = b.of_mut(&mut hv);
            outer_accumulate(b, &r_delta, &self.acts[l], n, g, true);
            if l > 0 {
                outer_accumulate(b, &delta, &r_acts[l], n, g, false);
                let len = b.fan_in() * n;
                dw.resize(len, 0.0);
                r_new.resize(len, 0.0);
                layer_product_t(b, b.of(theta), &delta, n, &mut dw, false);
                layer_product_t(b, b.of(theta), &r_delta, n, &mut r_new, false);
                layer_product_t(b, b.of(v), &delta, n, &mut r_new, true);
                let a = &self.acts[l];
                let ra = &r_acts[l];
                delta.resize(len, 0.0);
                r_delta.resize(len, 0.0);
                for e in 0..len {
                    let s = 1.0 - a[e] * a[e];
                    r_delta[e] = r_new[e] * s - 2.0 * dw[e] * a[e] * ra[e];
                    delta[e] = dw[e] * s;
                }
            }
        }
        recycle_all(vec![delta, r_delta, dw, r_new]);
        recycle_all(r_acts);
        hv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(seed: u64, len: usize) -> Vec<f64> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn every_instruction_set_gives_the_same_bits() {
        let n = 203; // not a multiple of any vector width
        for (rows, fan_in) in [(7, 3), (1, 12), (5, 1)] {
            let b = Block {
                off: 0,
                rows,
                cols: fan_in + 1,
            };
            let w_hat = stream(1, b.size());
            let a = stream(2, fan_in * n);
            let d = stream(3, rows * n);
            for (bias, accumulate) in [(true, false), (false, true), (true, true)] {
                let mut fast = stream(4, rows * n);
                let mut portable = fast.clone();
                layer_product(b, &w_hat, &a, n, &mut fast, bias, accumulate);
                layer_product_portable(b, &w_hat, &a, n, &mut portable, bias, accumulate);
                assert_eq!(fast, portable);
            }
            let mut fast = stream(5, fan_in * n);
            let mut portable = fast.clone();
            layer_product_t(b, &w_hat, &d, n, &mut fast, true);
            layer_product_t_portable(b, &w_hat, &d, n, &mut portable, true);
            assert_eq!(fast, portable);
            let mut fast = stream(6, b.size());
            let mut portable = fast.clone();
            outer_accumulate(b, &d, &a, n, &mut fast, true);
            outer_accumulate_portable(b, &d, &a, n, &mut portable, true);
            assert_eq!(fast, portable);
        }
    }
}
