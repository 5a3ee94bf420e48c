//! Dense linear algebra in one fixed order of operations: the same bits on
//! every x86-64 CPU, at every SIMD level, at any thread count.
//!
//! # Why the crate has its own
//! ndarray's `dot` and ndarray-linalg's solves and eigendecompositions call
//! the system BLAS and LAPACK (OpenBLAS). OpenBLAS picks its kernels for the
//! CPU when it loads (SkylakeX kernels on an AVX-512 machine, Haswell or Zen
//! ones on an AVX2 machine), and those kernels sum in different orders; its
//! factorisations also split the work differently with the thread count. A
//! last-bit difference in one product is harmless, but the course's
//! experiments run hundreds of steps, and some of what they count (conjugate
//! gradient iterations, a bake-off's share of wins) is chaotic in the last
//! bits. Measured: four of the course's pinned numbers differed between an
//! AVX-512 machine and an AVX2 one, and forcing OpenBLAS's Haswell kernels
//! (`OPENBLAS_CORETYPE=Haswell`) on the AVX-512 machine reproduced all four.
//!
//! So every product, solve and eigendecomposition in the crate goes through
//! this module, which sums in one documented order (sixteen interleaved
//! lanes, reduced pairwise, then the tail; fused multiply-adds, rounded once
//! on every machine) and is compiled for each [`SimdLevel`](crate::simd::SimdLevel)
//! with identical results (tested level against level). `clippy.toml`
//! forbids ndarray's `dot`, `general_mat_mul` and ndarray-linalg's solvers in
//! the crate's code.
//!
//! argmin's own solvers (BFGS, L-BFGS, the line searches, argmin's Newton)
//! compute their products through ndarray, and so through OpenBLAS, inside
//! argmin; [`blas_single_threaded`] makes OpenBLAS single-threaded from the
//! crate's first call, so those results cannot depend on the core count. What
//! they may still depend on is listed in the README ("Reproducibility").
//!
//! # Contents
//! - [`FixedDot::fdot`]: vector · vector, matrix · vector, vector · matrix,
//!   matrix · matrix; [`dot`] on slices;
//! - [`Cholesky`] and [`Lu`] (partial pivoting) factorisations with solves,
//!   [`solve`] (Cholesky, else LU; also as the method [`FixedSolve::fsolve`])
//!   and [`inverse`];
//! - [`sym_eig`]: the symmetric eigendecomposition (Householder + implicit QL).
//!
//! For the small matrices of the course (order 2 to a few hundred) they run
//! within a small factor of OpenBLAS's single-threaded speed
//! (`cargo bench --bench derivatives -- linalg`).

mod eigen;
mod factor;
pub(crate) mod lanes;
mod product;

pub use eigen::sym_eig;
pub use factor::{inverse, solve, Cholesky, FixedSolve, Lu};
pub use product::{dot, FixedDot};

use std::sync::Once;

extern "C" {
    fn openblas_set_num_threads(num_threads: std::os::raw::c_int);
    fn openblas_get_num_threads() -> std::os::raw::c_int;
    fn openblas_get_corename() -> *const std::os::raw::c_char;
}

/// Makes OpenBLAS single-threaded for the rest of the process (once; later
/// calls do nothing). The crate calls it before its first kernel runs and
/// before every race, so the products argmin's solvers compute through
/// ndarray cannot depend on the number of cores. `OPENBLAS_NUM_THREADS=1` in
/// the environment has the same effect from the start.
pub fn blas_single_threaded() {
    static ONCE: Once = Once::new();
    // SAFETY: OpenBLAS's documented setter; it only stores the count.
    ONCE.call_once(|| unsafe { openblas_set_num_threads(1) });
}

/// What the linked OpenBLAS reports: its thread count and the name of the
/// kernels it chose for this CPU (for example `"SkylakeX"` or `"Haswell"`),
/// so that a report of a moved number can say which kernels argmin's
/// products ran on (`cargo run --release --example linalg_timing` prints it).
pub fn blas_info() -> (usize, String) {
    // SAFETY: OpenBLAS's documented getters; the core name is a static C string.
    unsafe {
        let threads = openblas_get_num_threads().max(1) as usize;
        let name = openblas_get_corename();
        let core = if name.is_null() {
            "unknown".to_string()
        } else {
            std::ffi::CStr::from_ptr(name)
                .to_string_lossy()
                .into_owned()
        };
        (threads, core)
    }
}

/// Deterministic test data shared by the crate's unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use ndarray::Array2;

    /// `len` numbers in `[-1, 1)` from a 64-bit linear congruential
    /// generator seeded with `seed` (no `rand`, so the values never change).
    pub(crate) fn stream(seed: u64, len: usize) -> Vec<f64> {
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

    /// The fixed-order fused dot product written out as documented: lane
    /// `k mod 16` of sixteen accumulates entries `k, k + 16, …`, the lanes
    /// are summed pairwise in one order, then the tail one by one. The
    /// specification the kernels are tested against, bit for bit.
    pub(crate) fn fused_dot(x: &[f64], y: &[f64]) -> f64 {
        let full = x.len() - x.len() % 16;
        let mut lanes = [0.0; 16];
        for e in 0..full {
            lanes[e % 16] = x[e].mul_add(y[e], lanes[e % 16]);
        }
        let h: Vec<f64> = (0..8).map(|k| lanes[k] + lanes[k + 8]).collect();
        let q = [h[0] + h[4], h[1] + h[5], h[2] + h[6], h[3] + h[7]];
        let mut s = (q[0] + q[2]) + (q[1] + q[3]);
        for e in full..x.len() {
            s = x[e].mul_add(y[e], s);
        }
        s
    }

    /// An `n × m` matrix of [`stream`] values halved, in `[-0.5, 0.5)`.
    pub(crate) fn matrix(n: usize, m: usize, seed: u64) -> Array2<f64> {
        Array2::from_shape_vec((n, m), stream(seed, n * m)).expect("n × m entries") * 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blas_becomes_single_threaded() {
        blas_single_threaded();
        let (threads, core) = blas_info();
        assert_eq!(threads, 1);
        assert!(!core.is_empty());
    }
}
