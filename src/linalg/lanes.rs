//! Fixed-order sums and dot products: sixteen interleaved accumulators,
//! reduced pairwise in one order, so every vector width gives the same bits.

/// Lanes of the interleaved accumulators of [`sum`] and [`dot`]: enough
/// independent chains to hide the latency of an addition at any vector width.
pub(crate) const LANES: usize = 16;

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
