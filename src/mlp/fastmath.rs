//! Branch-free, vectorisable `exp`, `tanh` and `ln(1 + e)` for the fast
//! derivative kernels.
//!
//! The platform's `libm` evaluates one value per call, out of line, at
//! 10–20 ns each; the kernels need thousands per gradient. These versions are
//! written so that the compiler vectorises a loop over a slice (SSE2 on any
//! x86-64): Cody–Waite range reduction `x = k ln 2 + r`, `|r| ≤ ln 2 / 2`, a
//! degree-13 Taylor polynomial for `e^r − 1` (truncation below `10⁻¹⁷`), and
//! `2^k` assembled from its bits. They agree with `libm` to a few units in the
//! last place (tested below), propagate NaN, and, being IEEE arithmetic whose
//! every fused multiply-add is an explicit `mul_add` (rounded once, by the
//! FMA instruction or the C library's exact `fma`), give the same bits on
//! every x86-64 machine, whichever vector width runs them. The fused
//! Horner steps make `tanh` about a third cheaper than separate multiplies and
//! adds.

/// `ln 2` split so that `k · LN2_HI` is exact for `|k| < 2¹¹`.
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
const INV_LN2: f64 = std::f64::consts::LOG2_E;
/// `1.5 · 2⁵²`: adding it rounds to an integer held in the low mantissa bits.
const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;

/// `e^r − 1 − r − r²/2` is left to the polynomial; Taylor coefficients `1/k!`, `k = 3 … 13`.
const C: [f64; 11] = [
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// `e^r − 1` for `|r| ≤ 0.35`, without cancellation.
#[inline(always)]
fn expm1_reduced(r: f64) -> f64 {
    let mut p = C[10];
    p = p.mul_add(r, C[9]);
    p = p.mul_add(r, C[8]);
    p = p.mul_add(r, C[7]);
    p = p.mul_add(r, C[6]);
    p = p.mul_add(r, C[5]);
    p = p.mul_add(r, C[4]);
    p = p.mul_add(r, C[3]);
    p = p.mul_add(r, C[2]);
    p = p.mul_add(r, C[1]);
    p = p.mul_add(r, C[0]);
    let r2 = r * r;
    r2.mul_add(r.mul_add(p, 0.5), r)
}

/// Splits `x` (with `|x| < 2¹⁰ ln 2`) as `k ln 2 + r`; returns `(2^k, r)`.
#[inline(always)]
fn reduce(x: f64) -> (f64, f64) {
    let shifted = x.mul_add(INV_LN2, ROUND_MAGIC);
    let kf = shifted - ROUND_MAGIC;
    let k = shifted.to_bits().wrapping_sub(ROUND_MAGIC.to_bits());
    let scale = f64::from_bits(k.wrapping_add(1023) << 52);
    let r = (-kf).mul_add(LN2_LO, (-kf).mul_add(LN2_HI, x));
    (scale, r)
}

/// `e^x` for `x ≤ 0` (values below −708 are treated as −708, so the result
/// never underflows to a subnormal: `e^{−708} ≈ 3·10⁻³⁰⁸`). NaN stays NaN.
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f64) -> f64 {
    let x = if x < -708.0 { -708.0 } else { x };
    let (scale, r) = reduce(x);
    scale.mul_add(expm1_reduced(r), scale)
}

/// `tanh(x)` as `sign(x) · t / (t + 2)` with `t = e^{2|x|} − 1`; `|x| > 20`
/// gives ±1 exactly (as `tanh` rounds there), NaN stays NaN.
#[inline(always)]
pub(crate) fn tanh(x: f64) -> f64 {
    let ax = x.abs();
    let ax = if ax > 20.0 { 20.0 } else { ax };
    let (scale, r) = reduce(2.0 * ax);
    let t = scale.mul_add(expm1_reduced(r), scale - 1.0);
    (t / (t + 2.0)).copysign(x)
}

/// `ln(1 + e)` for `0 ≤ e ≤ 1`, as `2 atanh(s)` with `s = e / (2 + e) ≤ 1/3`
/// (odd series to `s³³`, truncation below `10⁻¹⁷` relative).
#[inline(always)]
pub(crate) fn ln_1p_unit(e: f64) -> f64 {
    let s = e / (2.0 + e);
    let s2 = s * s;
    let mut p: f64 = 1.0 / 33.0;
    p = p.mul_add(s2, 1.0 / 31.0);
    p = p.mul_add(s2, 1.0 / 29.0);
    p = p.mul_add(s2, 1.0 / 27.0);
    p = p.mul_add(s2, 1.0 / 25.0);
    p = p.mul_add(s2, 1.0 / 23.0);
    p = p.mul_add(s2, 1.0 / 21.0);
    p = p.mul_add(s2, 1.0 / 19.0);
    p = p.mul_add(s2, 1.0 / 17.0);
    p = p.mul_add(s2, 1.0 / 15.0);
    p = p.mul_add(s2, 1.0 / 13.0);
    p = p.mul_add(s2, 1.0 / 11.0);
    p = p.mul_add(s2, 1.0 / 9.0);
    p = p.mul_add(s2, 1.0 / 7.0);
    p = p.mul_add(s2, 1.0 / 5.0);
    p = p.mul_add(s2, 1.0 / 3.0);
    2.0 * (s * s2).mul_add(p, s)
}

/// In place `a ← tanh(a)` over a slice (the kernels apply [`tanh`] inside
/// their own multiversioned loops; this dispatcher remains for the test that
/// every instruction set gives the same bits over a dense grid).
///
/// On x86-64 the loop is compiled three times, for SSE2, AVX2 and AVX-512F,
/// and the widest the CPU supports runs. The arithmetic is the same IEEE
/// operations in the same order on every lane (fused multiply-adds only
/// where written), so the three give identical bits (tested below); only the
/// speed differs.
#[cfg(test)]
pub(crate) fn tanh_in_place(a: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::simd::{simd_level, SimdLevel};
        match simd_level() {
            // SAFETY: `simd_level` returns only levels the CPU supports.
            SimdLevel::Avx512 => return unsafe { simd::tanh_avx512(a) },
            // SAFETY: as above.
            SimdLevel::Avx2 => return unsafe { simd::tanh_avx2(a) },
            SimdLevel::Portable => {}
        }
    }
    tanh_portable(a);
}

#[cfg(test)]
fn tanh_portable(a: &mut [f64]) {
    for v in a {
        *v = tanh(*v);
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod simd {
    use super::tanh;

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tanh_avx2(a: &mut [f64]) {
        for v in a {
            *v = tanh(*v);
        }
    }

    /// # Safety
    /// The CPU must support AVX-512F and FMA.
    #[target_feature(enable = "avx512f,fma")]
    pub(super) unsafe fn tanh_avx512(a: &mut [f64]) {
        for v in a {
            *v = tanh(*v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        if a == b {
            return 0;
        }
        let scale = f64::EPSILON * b.abs().max(f64::MIN_POSITIVE);
        ((a - b).abs() / scale).ceil() as u64
    }

    fn grid() -> impl Iterator<Item = f64> {
        (0..200_001)
            .map(|i| -25.0 + 50.0 * i as f64 / 200_000.0)
            .chain(
                (0..2_000).map(|i| 1e-300_f64.powf(1.0 - i as f64 / 2_000.0) * 0.5), // tiny magnitudes
            )
    }

    #[test]
    fn tanh_agrees_with_libm_to_a_few_ulps() {
        let worst = grid()
            .flat_map(|x| [x, -x])
            .map(|x| ulps(tanh(x), x.tanh()))
            .max()
            .unwrap();
        assert!(worst <= 3, "worst {worst} ulps");
        assert_eq!(tanh(0.0), 0.0);
        assert!(tanh(-0.0).is_sign_negative());
        assert_eq!(tanh(1e6), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
        assert!(tanh(f64::NAN).is_nan());
    }

    #[test]
    fn every_instruction_set_gives_the_same_bits() {
        let x: Vec<f64> = grid().flat_map(|x| [x, -x]).collect();
        let mut portable = x.clone();
        tanh_portable(&mut portable);
        let mut dispatched = x.clone();
        tanh_in_place(&mut dispatched);
        assert!(portable
            .iter()
            .zip(&dispatched)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                let mut v = x.clone();
                // SAFETY: AVX2 and FMA are available (checked).
                unsafe { simd::tanh_avx2(&mut v) };
                assert!(portable
                    .iter()
                    .zip(&v)
                    .all(|(a, b)| a.to_bits() == b.to_bits()));
            }
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("fma")
            {
                let mut v = x;
                // SAFETY: AVX-512F and FMA are available (checked).
                unsafe { simd::tanh_avx512(&mut v) };
                assert!(portable
                    .iter()
                    .zip(&v)
                    .all(|(a, b)| a.to_bits() == b.to_bits()));
            }
        }
    }

    #[test]
    fn exp_agrees_with_libm_to_a_few_ulps() {
        let worst = (0..400_001)
            .map(|i| -708.0 * i as f64 / 400_000.0)
            .chain(grid().map(|x| -x.abs()))
            .map(|x| ulps(exp_nonpositive(x), x.exp()))
            .max()
            .unwrap();
        assert!(worst <= 2, "worst {worst} ulps");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert!(exp_nonpositive(f64::NAN).is_nan());
        assert!(exp_nonpositive(-1e6) > 0.0 && exp_nonpositive(-1e6) < 1e-307);
    }

    #[test]
    fn ln_1p_agrees_with_libm_to_a_few_ulps() {
        let worst = (0..200_001)
            .map(|i| i as f64 / 200_000.0)
            .chain((0..2_000).map(|i| 1e-300_f64.powf(i as f64 / 2_000.0)))
            .map(|e| ulps(ln_1p_unit(e), e.ln_1p()))
            .max()
            .unwrap();
        assert!(worst <= 2, "worst {worst} ulps");
        assert_eq!(ln_1p_unit(0.0), 0.0);
        assert!(ln_1p_unit(f64::NAN).is_nan());
    }
}
