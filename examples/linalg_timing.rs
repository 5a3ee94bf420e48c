//! Dense solves and eigendecompositions: the crate's fixed-order
//! [`linalg`](quad_vs_grad::linalg) against OpenBLAS's LAPACK, on damped
//! Gram matrices `Bᵀ B + 0.1 I` of the orders the course meets (a 2-h-1
//! network has `D = 4h + 1` parameters).
//!
//! Columns, median of repeated calls, microseconds:
//! - `cholesky+solve`: [`Cholesky::new`] then [`Cholesky::solve`] (what every
//!   damped Newton, GGN and K-FAC step runs);
//! - `lapack 1 thread`: ndarray-linalg's Cholesky and triangular solves on a
//!   single-threaded OpenBLAS, in place;
//! - `lapack + thread`: the same inside a freshly spawned thread with a
//!   64 MiB stack, which is what the crate did for every call of order ≥ 64
//!   before it had its own routines (OpenBLAS's threaded factorisations
//!   recursed on the caller's stack);
//! - `sym_eig` and `lapack eigh`: the full symmetric eigendecomposition.
//!
//! ```sh
//! OPENBLAS_NUM_THREADS=1 cargo run --release --example linalg_timing
//! ```
#![allow(clippy::disallowed_methods)] // LAPACK is the point of comparison here

use std::time::Instant;

use ndarray::{Array1, Array2};
use ndarray_linalg::{Cholesky as _, Diag, Eigh, SolveTriangular, UPLO};
use quad_vs_grad::linalg::{blas_single_threaded, sym_eig, Cholesky, FixedDot};
use quad_vs_grad::{ndarray, ndarray_linalg};

fn spd(n: usize) -> Array2<f64> {
    let mut x: u64 = 7;
    let b = Array2::from_shape_fn((n, n), |_| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    });
    let mut a = b.t().fdot(&b);
    for i in 0..n {
        a[[i, i]] += 0.1;
    }
    a
}

/// Median of `reps` timings of `f`, in microseconds.
fn median_us(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

fn lapack_solve(a: &Array2<f64>, b: &Array1<f64>) -> Array1<f64> {
    let l = a.cholesky(UPLO::Lower).expect("SPD");
    let y = l
        .solve_triangular(UPLO::Lower, Diag::NonUnit, b)
        .expect("solve");
    l.t()
        .to_owned()
        .solve_triangular(UPLO::Upper, Diag::NonUnit, &y)
        .expect("solve")
}

fn main() {
    blas_single_threaded();
    let (threads, core) = quad_vs_grad::linalg::blas_info();
    println!("OpenBLAS: {threads} thread(s), {core} kernels");
    println!(
        "{:>5} {:>16} {:>16} {:>16} {:>12} {:>12}",
        "n", "cholesky+solve", "lapack 1 thread", "lapack + thread", "sym_eig", "lapack eigh"
    );
    for n in [33, 64, 65, 129, 257, 513] {
        let a = spd(n);
        let b = Array1::from_shape_fn(n, |i| (i as f64).sin());
        let reps = if n > 200 { 15 } else { 101 };
        let ours = median_us(reps, || {
            let x = Cholesky::new(&a).and_then(|c| c.solve(&b)).expect("SPD");
            std::hint::black_box(x);
        });
        let lapack = median_us(reps, || {
            std::hint::black_box(lapack_solve(&a, &b));
        });
        let spawned = median_us(reps, || {
            let x = std::thread::scope(|s| {
                std::thread::Builder::new()
                    .stack_size(64 << 20)
                    .spawn_scoped(s, || lapack_solve(&a, &b))
                    .expect("thread")
                    .join()
                    .expect("join")
            });
            std::hint::black_box(x);
        });
        let eig_reps = if n > 200 { 5 } else { 21 };
        let eig = median_us(eig_reps, || {
            std::hint::black_box(sym_eig(&a).expect("finite"));
        });
        let lapack_eig = median_us(eig_reps, || {
            std::hint::black_box(a.eigh(UPLO::Lower).expect("finite"));
        });
        println!(
            "{n:>5} {ours:>16.1} {lapack:>16.1} {spawned:>16.1} {eig:>12.1} {lapack_eig:>12.1}"
        );
    }
}
