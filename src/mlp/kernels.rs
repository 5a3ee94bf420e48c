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

/// A buffer of `len` entries from the pool, **not** cleared: its contents
/// are whatever the last user left (zeros if it is fresh). For outputs that
/// a kernel overwrites in full.
pub(crate) fn scratch(len: usize) -> Vec<f64> {
    let mut v = POOL
        .try_with(|p| p.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_default();
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

/// Examples per register block of the fused small-layer kernels: the
/// accumulators of one block stay in registers while every input row is
/// added, so each output row is stored once.
const CHUNK: usize = 32;

/// How a small layer product starts each output entry.
#[derive(Clone, Copy)]
enum Start {
    /// From a constant (the bias, or zero).
    Const(f64),
    /// From the output's current value.
    Out,
    /// From the output's current value plus a constant (the bias).
    OutPlus(f64),
}

/// One block of `len ≤ CHUNK` examples from `e0` of an output row `o`:
/// `o[e] ← f(start + Σ_j w_j · a_j[e])`, the sum in the order `j = 0, 1, …`
/// (the same bits as a start value followed by one `axpy` per row); `a_j` is
/// row `j` of `a` (stride `n`). `f` finishes the block in place, given `e0`
/// and `len`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn chunk_combine(
    o: &mut [f64],
    start: Start,
    w: impl Iterator<Item = f64>,
    a: &[f64],
    n: usize,
    e0: usize,
    len: usize,
    f: &impl Fn(&mut [f64; CHUNK], usize, usize),
) {
    let oc = &mut o[e0..e0 + len];
    let mut acc = [0.0; CHUNK];
    match start {
        Start::Const(v) => acc = [v; CHUNK],
        Start::Out => acc[..len].copy_from_slice(oc),
        Start::OutPlus(v) => {
            acc[..len].copy_from_slice(oc);
            for x in &mut acc {
                *x += v;
            }
        }
    }
    for (j, w) in w.enumerate() {
        let row = &a[j * n + e0..j * n + e0 + len];
        for k in 0..len {
            acc[k] += w * row[k];
        }
    }
    f(&mut acc, e0, len);
    oc.copy_from_slice(&acc[..len]);
}

/// One output row `o` (`N`) of a small layer product, block by block of
/// [`CHUNK`] examples (see [`chunk_combine`]).
#[inline(always)]
fn combine_row(
    o: &mut [f64],
    start: Start,
    w: impl Iterator<Item = f64> + Clone,
    a: &[f64],
    n: usize,
    f: &impl Fn(&mut [f64; CHUNK], usize, usize),
) {
    let full = n - n % CHUNK;
    let mut e0 = 0;
    while e0 < full {
        chunk_combine(o, start, w.clone(), a, n, e0, CHUNK, f);
        e0 += CHUNK;
    }
    if full < n {
        chunk_combine(o, start, w, a, n, full, n - full, f);
    }
}

/// The product `W a` (+ bias) of a layer narrower than [`GEMM_MIN`], each
/// block of an output row finished in place by `f(row, block, e0, len)`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn small_product(
    b: Block,
    w_hat: &[f64],
    a: &[f64],
    n: usize,
    out: &mut [f64],
    bias: bool,
    accumulate: bool,
    f: impl Fn(usize, &mut [f64; CHUNK], usize, usize),
) {
    let k = b.fan_in();
    for i in 0..b.rows {
        let v = if bias { w_hat[i * b.cols + k] } else { 0.0 };
        let start = match (accumulate, bias) {
            (true, true) => Start::OutPlus(v),
            (true, false) => Start::Out,
            (false, _) => Start::Const(v),
        };
        let row = &w_hat[i * b.cols..i * b.cols + k];
        let fi = |x: &mut [f64; CHUNK], e0: usize, len: usize| f(i, x, e0, len);
        combine_row(
            &mut out[i * n..(i + 1) * n],
            start,
            row.iter().copied(),
            a,
            n,
            &fi,
        );
    }
}

/// The product `Wᵀ d` of a layer narrower than [`GEMM_MIN`], each block of
/// an output row finished in place by `f(row, block, e0, len)`.
#[inline(always)]
fn small_product_t(
    b: Block,
    w_hat: &[f64],
    d: &[f64],
    n: usize,
    out: &mut [f64],
    accumulate: bool,
    f: impl Fn(usize, &mut [f64; CHUNK], usize, usize),
) {
    let start = if accumulate {
        Start::Out
    } else {
        Start::Const(0.0)
    };
    for j in 0..b.fan_in() {
        let col = (0..b.rows).map(|i| w_hat[i * b.cols + j]);
        let fj = |x: &mut [f64; CHUNK], e0: usize, len: usize| f(j, x, e0, len);
        combine_row(&mut out[j * n..(j + 1) * n], start, col, d, n, &fj);
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
    if b.gemm_sized() {
        gemm_product(b, w_hat, a, n, out, bias, accumulate);
    } else {
        small_product(b, w_hat, a, n, out, bias, accumulate, |_, _, _, _| {});
    }
}}

multiversioned! {
/// `out (rows × N) ← tanh(W a + b)`: a hidden layer's forward step, the
/// `tanh` applied while each block of examples is still in registers.
    fn layer_forward_tanh / layer_forward_tanh_portable(
    b: Block,
    w_hat: &[f64],
    a: &[f64],
    n: usize,
    out: &mut [f64],
) {
    if b.gemm_sized() {
        gemm_product(b, w_hat, a, n, out, true, false);
        for v in &mut out[..b.rows * n] {
            *v = fastmath::tanh(*v);
        }
    } else {
        small_product(b, w_hat, a, n, out, true, false, |_, x, _, _| {
            for v in x.iter_mut() {
                *v = fastmath::tanh(*v);
            }
        });
    }
}}

/// `out ← [accumulate ? out : 0] + W a (+ b)` by the system BLAS.
fn gemm_product(
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
    let mut c = view_mut(out, b.rows, n);
    general_mat_mul(1.0, &b.weights(w_hat), &view(a, k, n), 1.0, &mut c);
}

/// `out ← [accumulate ? out : 0] + Wᵀ d` by the system BLAS.
fn gemm_product_t(b: Block, w_hat: &[f64], d: &[f64], n: usize, out: &mut [f64], accumulate: bool) {
    let k = b.fan_in();
    if !accumulate {
        out[..k * n].fill(0.0);
    }
    let mut c = view_mut(out, k, n);
    general_mat_mul(1.0, &b.weights(w_hat).t(), &view(d, b.rows, n), 1.0, &mut c);
}

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
    if b.gemm_sized() {
        gemm_product_t(b, w_hat, d, n, out, accumulate);
    } else {
        small_product_t(b, w_hat, d, n, out, accumulate, |_, _, _, _| {});
    }
}}

multiversioned! {
/// `out (fan_in × N) ← (Wᵀ d) ⊙ (1 − a²)`: back-propagation through the
/// layer and the `tanh` below it, `a` (`fan_in × N`) the layer's input.
    fn layer_backward_tanh / layer_backward_tanh_portable(
    b: Block,
    w_hat: &[f64],
    d: &[f64],
    a: &[f64],
    n: usize,
    out: &mut [f64],
) {
    let len = b.fan_in() * n;
    if b.gemm_sized() {
        gemm_product_t(b, w_hat, d, n, out, false);
        for (o, &a) in out[..len].iter_mut().zip(&a[..len]) {
            *o *= 1.0 - a * a;
        }
    } else {
        let a = &a[..len];
        small_product_t(b, w_hat, d, n, out, false, |j, x, e0, len| {
            let ac = &a[j * n + e0..j * n + e0 + len];
            for (x, &a) in x.iter_mut().zip(ac) {
                *x *= 1.0 - a * a;
            }
        });
    }
}}

multiversioned! {
/// `g (rows × cols, row-major) += d âᵀ`: weights `d aᵀ`, bias column `d 1`
/// if `with_bias`. `a` is `fan_in × N`.
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
        if with_bias {
            for i in 0..b.rows {
                g[i * b.cols + k] += sum(&d[i * n..(i + 1) * n]);
            }
        }
        return;
    }
    for i in 0..b.rows {
        let di = &d[i * n..(i + 1) * n];
        for j in 0..k {
            g[i * b.cols + j] += dot(di, &a[j * n..(j + 1) * n]);
        }
        if with_bias {
            g[i * b.cols + k] += sum(di);
        }
    }
}}

multiversioned! {
/// Per example, from the logit `z` and label `y`: the loss term
/// `softplus(z) − y z` into `terms`, `σ(z)` into `probs` and, if `signal`
/// is not empty, `(σ(z) − y) · scale` into it.
    fn loss_terms / loss_terms_portable(
    logits: &[f64],
    y: &[f64],
    scale: f64,
    terms: &mut [f64],
    probs: &mut [f64],
    signal: &mut [f64],
) {
    for (((t, p), &z), &y) in terms
        .iter_mut()
        .zip(probs.iter_mut())
        .zip(logits)
        .zip(y)
    {
        let e = fastmath::exp_nonpositive(-z.abs());
        *t = z.max(0.0) + fastmath::ln_1p_unit(e) - y * z;
        let inv = 1.0 / (1.0 + e);
        *p = if z >= 0.0 { inv } else { e * inv };
    }
    if !signal.is_empty() {
        for ((u, &p), &y) in signal.iter_mut().zip(&*probs).zip(y) {
            *u = (p - y) * scale;
        }
    }
}}

multiversioned! {
/// Per example `σ(z)` from the logit `z`.
    fn sigmoids / sigmoids_portable(logits: &[f64], probs: &mut [f64]) {
    for (p, &z) in probs.iter_mut().zip(logits) {
        let e = fastmath::exp_nonpositive(-z.abs());
        let inv = 1.0 / (1.0 + e);
        *p = if z >= 0.0 { inv } else { e * inv };
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
        let mut a0 = scratch(x.ncols() * n);
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
                let mut a = scratch(b.rows * n);
                layer_forward_tanh(b, w_hat, &acts[l], n, &mut a);
                acts.push(a);
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
        self.loss_and_signal(y, probs, &mut [])
    }

    /// Mean loss, per-example `σ(z_n)` into `probs` and, unless `signal` is
    /// empty, the gradient's output signal `(σ(z_n) − y_n)/N` into `signal`.
    pub fn loss_and_signal(&self, y: &[f64], probs: &mut [f64], signal: &mut [f64]) -> f64 {
        let mut terms = scratch(self.n);
        let inv_n = 1.0 / self.n as f64;
        loss_terms(&self.logits, y, inv_n, &mut terms, probs, signal);
        let loss = sum(&terms) / self.n as f64;
        recycle(terms);
        loss
    }

    /// Per-example `σ(z_n)`.
    pub fn probs(&self) -> Vec<f64> {
        let mut p = vec![0.0; self.n];
        sigmoids(&self.logits, &mut p);
        p
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
        let mut delta = scratch(u.len());
        delta.copy_from_slice(u);
        for l in (0..self.blocks.len()).rev() {
            let b = self.blocks[l];
            if with_grad {
                outer_accumulate(b, &delta, &self.acts[l], n, b.of_mut(&mut grad), true);
            }
            // overwritten in full: a pooled buffer needs no zeroing
            let mut next = scratch(if l > 0 { b.fan_in() * n } else { 0 });
            if l > 0 {
                layer_backward_tanh(b, b.of(theta), &delta, &self.acts[l], n, &mut next);
            }
            match signals.as_deref_mut() {
                Some(s) => s.push(std::mem::replace(&mut delta, next)),
                None => recycle(std::mem::replace(&mut delta, next)),
            }
        }
        if let Some(s) = signals {
            s.reverse();
        }
        recycle(delta);
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
                scratch(out_len) // overwritten in full
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
        // Pooled buffers long enough for every layer (the kernels read and
        // write prefixes only), so none is zeroed or grown.
        let max_len = self
            .blocks
            .iter()
            .map(|b| b.fan_in() * n)
            .fold(n, usize::max);
        let (mut delta, mut r_delta) = (scratch(max_len), scratch(max_len));
        for e in 0..n {
            let s = probs[e];
            delta[e] = (s - y[e]) * inv_n;
            r_delta[e] = s * (1.0 - s) * r_z[e] * inv_n;
        }
        let d_total = self.blocks.last().map_or(0, |b| b.off + b.size());
        let mut hv = vec![0.0; d_total];
        let (mut dw, mut r_new) = (scratch(max_len), scratch(max_len));
        for l in (0..self.blocks.len()).rev() {
            let b = self.blocks[l];
            let g = b.of_mut(&mut hv);
            outer_accumulate(b, &r_delta, &self.acts[l], n, g, true);
            if l > 0 {
                outer_accumulate(b, &delta, &r_acts[l], n, g, false);
                let len = b.fan_in() * n;
                layer_product_t(b, b.of(theta), &delta, n, &mut dw, false);
                layer_product_t(b, b.of(theta), &r_delta, n, &mut r_new, false);
                layer_product_t(b, b.of(v), &delta, n, &mut r_new, true);
                let a = &self.acts[l];
                let ra = &r_acts[l];
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
        let n = 203; // not a multiple of any vector width nor of CHUNK
        for (rows, fan_in) in [(7, 3), (1, 12), (5, 1), (1, 40), (20, 2), (16, 16)] {
            let b = Block {
                off: 0,
                rows,
                cols: fan_in + 1,
            };
            let w_hat = stream(1, b.size());
            let a = stream(2, fan_in * n);
            let d = stream(3, rows * n);
            for (bias, accumulate) in [(true, false), (false, true), (true, true), (false, false)] {
                let mut fast = stream(4, rows * n);
                let mut portable = fast.clone();
                layer_product(b, &w_hat, &a, n, &mut fast, bias, accumulate);
                layer_product_portable(b, &w_hat, &a, n, &mut portable, bias, accumulate);
                assert_eq!(fast, portable);
            }
            let mut fast = stream(4, rows * n);
            let mut portable = fast.clone();
            layer_forward_tanh(b, &w_hat, &a, n, &mut fast);
            layer_forward_tanh_portable(b, &w_hat, &a, n, &mut portable);
            assert_eq!(fast, portable);
            for accumulate in [true, false] {
                let mut fast = stream(5, fan_in * n);
                let mut portable = fast.clone();
                layer_product_t(b, &w_hat, &d, n, &mut fast, accumulate);
                layer_product_t_portable(b, &w_hat, &d, n, &mut portable, accumulate);
                assert_eq!(fast, portable);
            }
            let mut fast = stream(5, fan_in * n);
            let mut portable = fast.clone();
            layer_backward_tanh(b, &w_hat, &d, &a, n, &mut fast);
            layer_backward_tanh_portable(b, &w_hat, &d, &a, n, &mut portable);
            assert_eq!(fast, portable);
            for with_bias in [true, false] {
                let mut fast = stream(6, b.size());
                let mut portable = fast.clone();
                outer_accumulate(b, &d, &a, n, &mut fast, with_bias);
                outer_accumulate_portable(b, &d, &a, n, &mut portable, with_bias);
                assert_eq!(fast, portable);
            }
        }
        // logits from moderate to huge (saturated σ, softplus of ±1000)
        let z: Vec<f64> = stream(7, n)
            .iter()
            .map(|v| v * 40.0)
            .chain([1e3, -1e3, 0.0])
            .collect();
        let y: Vec<f64> = stream(8, z.len())
            .iter()
            .map(|v| f64::from(*v > 0.0))
            .collect();
        let mut fast = (vec![0.0; z.len()], vec![0.0; z.len()], vec![0.0; z.len()]);
        let mut portable = fast.clone();
        loss_terms(&z, &y, 0.25, &mut fast.0, &mut fast.1, &mut fast.2);
        loss_terms_portable(
            &z,
            &y,
            0.25,
            &mut portable.0,
            &mut portable.1,
            &mut portable.2,
        );
        assert_eq!(fast, portable);
        let (mut fast, mut portable) = (vec![0.0; z.len()], vec![0.0; z.len()]);
        sigmoids(&z, &mut fast);
        sigmoids_portable(&z, &mut portable);
        assert_eq!(fast, portable);
    }

    #[test]
    fn the_fused_kernels_match_their_definition() {
        // The chunked kernels against plain loops in the documented order:
        // the same bits, not just close.
        let n = 203;
        for (rows, fan_in) in [(7, 3), (1, 40), (20, 2)] {
            let b = Block {
                off: 0,
                rows,
                cols: fan_in + 1,
            };
            let w_hat = stream(11, b.size());
            let a = stream(12, fan_in * n);
            let d = stream(13, rows * n);
            let mut expect = vec![0.0; rows * n];
            for i in 0..rows {
                for e in 0..n {
                    let mut v = w_hat[i * b.cols + fan_in];
                    for j in 0..fan_in {
                        v += w_hat[i * b.cols + j] * a[j * n + e];
                    }
                    expect[i * n + e] = fastmath::tanh(v);
                }
            }
            let mut got = vec![0.0; rows * n];
            layer_forward_tanh(b, &w_hat, &a, n, &mut got);
            assert_eq!(got, expect);
            let mut expect = vec![0.0; fan_in * n];
            for j in 0..fan_in {
                for e in 0..n {
                    let mut v = 0.0;
                    for i in 0..rows {
                        v += w_hat[i * b.cols + j] * d[i * n + e];
                    }
                    let s = a[j * n + e];
                    expect[j * n + e] = v * (1.0 - s * s);
                }
            }
            let mut got = vec![0.0; fan_in * n];
            layer_backward_tanh(b, &w_hat, &d, &a, n, &mut got);
            assert_eq!(got, expect);
        }
    }
}
