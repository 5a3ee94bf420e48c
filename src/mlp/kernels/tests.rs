//! Same bits on every instruction set, and the fused kernels against their
//! definitions.

use super::products::*;
use super::*;
use crate::linalg::testing::{fused_dot, stream};
use crate::simd::{with_simd_level, SimdLevel};

/// Runs a check once at every instruction-set level this CPU has.
fn at_every_level(check: impl Fn()) {
    for level in SimdLevel::ALL.into_iter().filter(|l| l.supported()) {
        with_simd_level(level, &check);
    }
}

#[test]
fn every_instruction_set_gives_the_same_bits() {
    at_every_level(every_instruction_set_gives_the_same_bits_here);
}

fn every_instruction_set_gives_the_same_bits_here() {
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
    at_every_level(the_fused_kernels_match_their_definition_here);
}

fn the_fused_kernels_match_their_definition_here() {
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
                    v = w_hat[i * b.cols + j].mul_add(a[j * n + e], v);
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
                    v = w_hat[i * b.cols + j].mul_add(d[i * n + e], v);
                }
                let s = a[j * n + e];
                expect[j * n + e] = v * (1.0 - s * s);
            }
        }
        let mut got = vec![0.0; fan_in * n];
        layer_backward_tanh(b, &w_hat, &d, &a, n, &mut got);
        assert_eq!(got, expect);
    }
    // The tiled outer products against one plain fused dot product per
    // entry in the documented order (sixteen lanes, pairwise, then the
    // tail), for every remainder of the tiles of four.
    let ones = vec![1.0; n];
    for (rows, fan_in) in [(3, 1), (2, 2), (5, 3), (1, 4), (3, 5), (1, 9), (2, 15)] {
        let b = Block {
            off: 0,
            rows,
            cols: fan_in + 1,
        };
        let a = stream(14, fan_in * n);
        let d = stream(15, rows * n);
        for with_bias in [true, false] {
            let mut expect = stream(16, b.size());
            let mut got = expect.clone();
            for i in 0..rows {
                let di = &d[i * n..(i + 1) * n];
                for j in 0..fan_in {
                    expect[i * b.cols + j] += fused_dot(di, &a[j * n..(j + 1) * n]);
                }
                if with_bias {
                    expect[i * b.cols + fan_in] += fused_dot(di, &ones);
                }
            }
            outer_accumulate(b, &d, &a, n, &mut got, with_bias);
            assert!(got
                .iter()
                .zip(&expect)
                .all(|(x, y)| x.to_bits() == y.to_bits()));
        }
    }
}

#[test]
fn the_gram_triangle_has_the_bits_of_one_dot_per_entry() {
    at_every_level(the_gram_triangle_has_the_bits_of_one_dot_per_entry_here);
}

fn the_gram_triangle_has_the_bits_of_one_dot_per_entry_here() {
    for (rows, n) in [(1, 7), (3, 203), (5, 16), (6, 200), (9, 33), (15, 203)] {
        let a = stream(21, rows * n);
        let b = stream(22, rows * n);
        let alpha = 0.37;
        let mut fast = vec![f64::NAN; rows * rows];
        let mut portable = fast.clone();
        gram_triangle(&a, &b, rows, n, alpha, &mut fast, rows);
        gram_triangle_portable(&a, &b, rows, n, alpha, &mut portable, rows);
        for i in 0..rows {
            for j in 0..rows {
                let (lo, hi) = (i.min(j), i.max(j));
                let want = alpha * dot(&a[lo * n..(lo + 1) * n], &b[hi * n..(hi + 1) * n]);
                assert_eq!(
                    fast[i * rows + j].to_bits(),
                    want.to_bits(),
                    "{rows}×{n} ({i}, {j})"
                );
                assert_eq!(portable[i * rows + j].to_bits(), want.to_bits());
            }
        }
    }
}
