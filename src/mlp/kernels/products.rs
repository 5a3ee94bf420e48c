//! The layer products of a pass: register-blocked small products with their
//! element-wise tails fused in, in one order of operations at every width.

use super::*;

/// Examples per register block of the fused small-layer kernels: the
/// accumulators of one block stay in registers while every input row is
/// added, so each output row is stored once. What is left of a row is done
/// in blocks of [`TAIL_CHUNK`], then one example at a time, each again a
/// block of fixed length (a block of run-time length lives on the stack and
/// was slower than the whole rest of the row).
pub(super) const CHUNK: usize = 32;
/// Examples per block of the remainder of a row (one AVX-512 vector).
pub(super) const TAIL_CHUNK: usize = 8;

/// How a small layer product starts each output entry.
#[derive(Clone, Copy)]
pub(super) enum Start {
    /// From a constant (the bias, or zero).
    Const(f64),
    /// From the output's current value.
    Out,
    /// From the output's current value plus a constant (the bias).
    OutPlus(f64),
}

/// One block of `C` examples from `e0` of an output row `o`:
/// `o[e] ← f(start + Σ_j w_j · a_j[e])`, the sum one fused multiply-add
/// per input row in the order `j = 0, 1, …`; `a_j` is row `j` of `a`
/// (stride `n`). `f` finishes the block in place, given `e0`. The bits of an
/// entry do not depend on the block it falls in.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn chunk_combine<const C: usize>(
    o: &mut [f64],
    start: Start,
    w: impl Iterator<Item = f64>,
    a: &[f64],
    n: usize,
    e0: usize,
    f: &impl Fn(&mut [f64], usize),
) {
    let oc = &mut o[e0..e0 + C];
    let mut acc = [0.0; C];
    match start {
        Start::Const(v) => acc = [v; C],
        Start::Out => acc.copy_from_slice(oc),
        Start::OutPlus(v) => {
            acc.copy_from_slice(oc);
            for x in &mut acc {
                *x += v;
            }
        }
    }
    for (j, w) in w.enumerate() {
        let row = &a[j * n + e0..j * n + e0 + C];
        for k in 0..C {
            acc[k] = w.mul_add(row[k], acc[k]);
        }
    }
    f(&mut acc, e0);
    oc.copy_from_slice(&acc);
}

/// One output row `o` (`N`) of a small layer product, block by block of
/// [`CHUNK`] examples, then [`TAIL_CHUNK`], then one (see [`chunk_combine`]).
#[inline(always)]
pub(super) fn combine_row(
    o: &mut [f64],
    start: Start,
    w: impl Iterator<Item = f64> + Clone,
    a: &[f64],
    n: usize,
    f: &impl Fn(&mut [f64], usize),
) {
    let mut e0 = 0;
    while e0 + CHUNK <= n {
        chunk_combine::<CHUNK>(o, start, w.clone(), a, n, e0, f);
        e0 += CHUNK;
    }
    while e0 + TAIL_CHUNK <= n {
        chunk_combine::<TAIL_CHUNK>(o, start, w.clone(), a, n, e0, f);
        e0 += TAIL_CHUNK;
    }
    while e0 < n {
        chunk_combine::<1>(o, start, w.clone(), a, n, e0, f);
        e0 += 1;
    }
}

/// The product `W a` (+ bias) of a layer, each
/// block of an output row finished in place by `f(row, block, e0)`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn small_product(
    b: Block,
    w_hat: &[f64],
    a: &[f64],
    n: usize,
    out: &mut [f64],
    bias: bool,
    accumulate: bool,
    f: impl Fn(usize, &mut [f64], usize),
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
        let fi = |x: &mut [f64], e0: usize| f(i, x, e0);
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

/// The product `Wᵀ d` of a layer, each block of
/// an output row finished in place by `f(row, block, e0)`.
#[inline(always)]
pub(super) fn small_product_t(
    b: Block,
    w_hat: &[f64],
    d: &[f64],
    n: usize,
    out: &mut [f64],
    accumulate: bool,
    f: impl Fn(usize, &mut [f64], usize),
) {
    let start = if accumulate {
        Start::Out
    } else {
        Start::Const(0.0)
    };
    for j in 0..b.fan_in() {
        let col = (0..b.rows).map(|i| w_hat[i * b.cols + j]);
        let fj = |x: &mut [f64], e0: usize| f(j, x, e0);
        combine_row(&mut out[j * n..(j + 1) * n], start, col, d, n, &fj);
    }
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
    small_product(b, w_hat, a, n, out, bias, accumulate, |_, _, _| {});
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
    small_product(b, w_hat, a, n, out, true, false, |_, x, _| {
        for v in x.iter_mut() {
            *v = fastmath::tanh(*v);
        }
    });
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
    small_product_t(b, w_hat, d, n, out, accumulate, |_, _, _| {});
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
    let a = &a[..len];
    small_product_t(b, w_hat, d, n, out, false, |j, x, e0| {
        let ac = &a[j * n + e0..j * n + e0 + x.len()];
        for (x, &a) in x.iter_mut().zip(ac) {
            *x *= 1.0 - a * a;
        }
    });
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
    if k < 4 && b.rows >= 4 {
        // A layer with few inputs (the first: two) and many units: tiles of
        // four units per input, so that no tile repeats a row, and the bias
        // column as plain sums. The bits are those of the branch below:
        // `fma(a, d, s)` is `fma(d, a, s)`, and `fma(d, 1, s)` is `s + d`.
        for j in 0..k {
            let aj = &a[j * n..(j + 1) * n];
            let col = |i: usize| &d[i * n..(i + 1) * n];
            dots_each::<true>(aj, col, (0, b.rows), |i, v| g[i * b.cols + j] += v);
        }
        if with_bias {
            for i in 0..b.rows {
                g[i * b.cols + k] += sum(&d[i * n..(i + 1) * n]);
            }
        }
        return;
    }
    // The bias column as a dot product with a row of ones: `x · 1` is `x`
    // exactly, so it has the bits of `sum`.
    let mut ones = scratch(if with_bias { n } else { 0 });
    ones.fill(1.0);
    let cols = if with_bias { k + 1 } else { k };
    let row = |j: usize| if j < k { &a[j * n..(j + 1) * n] } else { &ones[..] };
    for i in 0..b.rows {
        let di = &d[i * n..(i + 1) * n];
        dots_accumulate(di, row, &mut g[i * b.cols..i * b.cols + cols]);
    }
    recycle(ones);
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

multiversioned! {
/// `g (rows × rows, row-major with row stride `ld` ≥ rows) ← alpha · a bᵀ`
/// for `a`, `b` (`rows × N`, row-major) whose product is known to be
/// symmetric: the upper triangle is computed and mirrored, each entry
/// `alpha · dot(a_i, b_j)` with exactly the bits of [`dot`] (four dot
/// products side by side, plain multiplies and adds), so that `g` is exactly
/// symmetric. The stride lets the Gram fill the top-left block of a larger
/// matrix in place (K-FAC's input factor) instead of going through a copy.
    fn gram_triangle / gram_triangle_portable(
    a: &[f64],
    b: &[f64],
    rows: usize,
    n: usize,
    alpha: f64,
    g: &mut [f64],
    ld: usize,
) {
    for i in 0..rows {
        let ai = &a[i * n..(i + 1) * n];
        dots_each::<false>(ai, |j| &b[j * n..(j + 1) * n], (i, rows), |j, v| {
            let v = alpha * v;
            g[i * ld + j] = v;
            g[j * ld + i] = v;
        });
    }
}}
