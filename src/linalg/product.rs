//! Dot products, matrix-vector and matrix-matrix products in one summation
//! order ([`FixedDot::fdot`], [`dot`]).

use std::borrow::Cow;

use ndarray::{Array1, Array2, ArrayBase, ArrayView2, Data, Ix1, Ix2};

use super::lanes::dot_tile;

multiversioned! {
/// `a · b` with fused multiply-adds, sixteen lanes, reduced pairwise.
    fn dot_kernel / dot_kernel_portable(a: &[f64], b: &[f64]) -> f64 {
    dot_tile::<1, true>(a, [b])[0]
}}

multiversioned! {
/// `c[i·n + j] = a_i · bt_j` for the `m` rows `a_i` of `a` and the `n` rows
/// `bt_j` of `bt`, all `k` long: four dot products side by side.
    fn rows_dots / rows_dots_portable(a: &[f64], m: usize, k: usize, bt: &[f64], n: usize, c: &mut [f64]) {
    fn row(s: &[f64], k: usize, i: usize) -> &[f64] {
        &s[i * k..(i + 1) * k]
    }
    for i in 0..m {
        let x = row(a, k, i);
        let out = &mut c[i * n..(i + 1) * n];
        let mut j = 0;
        while j + 4 <= n {
            let d = dot_tile::<4, true>(x, [row(bt, k, j), row(bt, k, j + 1), row(bt, k, j + 2), row(bt, k, j + 3)]);
            out[j..j + 4].copy_from_slice(&d);
            j += 4;
        }
        while j < n {
            out[j] = dot_tile::<1, true>(x, [row(bt, k, j)])[0];
            j += 1;
        }
    }
}}

/// The dot product `Σ_k a_k b_k` in the crate's fixed order: lane `k mod 16`
/// of sixteen accumulates entries `k, k + 16, …` with fused multiply-adds,
/// the lanes are summed pairwise in one order, then the last `len mod 16`
/// entries are added one by one. The same bits at every SIMD level.
///
/// # Panics
/// If the lengths differ.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(
        a.len(),
        b.len(),
        "dot product of {} and {} entries",
        a.len(),
        b.len()
    );
    dot_kernel(a, b)
}

/// A standard-layout (row-major, contiguous) view of `a`'s entries, copied
/// only when `a` is not already laid out that way.
fn rows_of<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix2>) -> Cow<'_, [f64]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().copied().collect()),
    }
}

fn vec_of<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix1>) -> Cow<'_, [f64]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().copied().collect()),
    }
}

/// `A B` for `A` (`m × k`) and the rows of `Bᵀ` (`n × k`): each entry one
/// [`dot`].
fn mat_mul_rows(a: ArrayView2<'_, f64>, bt: ArrayView2<'_, f64>) -> Array2<f64> {
    let (m, k) = a.dim();
    let n = bt.nrows();
    let mut c = vec![0.0; m * n];
    if k == 0 {
        return Array2::zeros((m, n));
    }
    rows_dots(&rows_of(&a), m, k, &rows_of(&bt), n, &mut c);
    Array2::from_shape_vec((m, n), c).expect("m × n entries")
}

/// Products of vectors and matrices with the crate's fixed summation order:
/// every entry of a result is one [`dot`] of a row of the left factor with a
/// column of the right one.
///
/// ndarray's own `dot` calls the system BLAS (OpenBLAS) for `f64`: its kernels
/// are chosen for the CPU at run time (SkylakeX on an AVX-512 machine, Haswell
/// or Zen on an AVX2 one) and sum in different orders, so the last bits of a
/// product, and after hundreds of steps the numbers a lesson prints, depended
/// on the machine. `fdot` gives the same bits on every x86-64 CPU, at every
/// [`SimdLevel`](crate::simd::SimdLevel) and at any thread count. The crate's
/// own code uses it everywhere (`clippy.toml` forbids ndarray's `dot` in it).
///
/// ```
/// use quad_vs_grad::linalg::FixedDot;
/// use quad_vs_grad::ndarray::array;
///
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let x = array![1.0, -1.0];
/// assert_eq!(a.fdot(&x), array![-1.0, -1.0]);
/// assert_eq!(x.fdot(&x), 2.0);
/// assert_eq!(a.fdot(&a), array![[7.0, 10.0], [15.0, 22.0]]);
/// assert_eq!(x.fdot(&a), array![-2.0, -2.0]);
/// ```
///
/// # Panics
/// If the inner dimensions differ, as ndarray's `dot` does.
pub trait FixedDot<Rhs> {
    /// The product's type: `f64`, [`Array1`] or [`Array2`].
    type Output;
    /// The product `self · rhs`.
    fn fdot(&self, rhs: &Rhs) -> Self::Output;
}

impl<S: Data<Elem = f64>, S2: Data<Elem = f64>> FixedDot<ArrayBase<S2, Ix1>> for ArrayBase<S, Ix1> {
    type Output = f64;
    fn fdot(&self, rhs: &ArrayBase<S2, Ix1>) -> f64 {
        dot(&vec_of(self), &vec_of(rhs))
    }
}

impl<S: Data<Elem = f64>, S2: Data<Elem = f64>> FixedDot<ArrayBase<S2, Ix1>> for ArrayBase<S, Ix2> {
    type Output = Array1<f64>;
    fn fdot(&self, rhs: &ArrayBase<S2, Ix1>) -> Array1<f64> {
        let (m, k) = self.dim();
        assert_eq!(
            k,
            rhs.len(),
            "{m}×{k} matrix times a vector of {}",
            rhs.len()
        );
        // The one vector against the matrix's rows: four dots side by side.
        let x = rhs.view().insert_axis(ndarray::Axis(0));
        mat_mul_rows(x, self.view())
            .into_shape_with_order(m)
            .expect("m entries")
    }
}

impl<S: Data<Elem = f64>, S2: Data<Elem = f64>> FixedDot<ArrayBase<S2, Ix2>> for ArrayBase<S, Ix2> {
    type Output = Array2<f64>;
    fn fdot(&self, rhs: &ArrayBase<S2, Ix2>) -> Array2<f64> {
        let ((m, k), (k2, n)) = (self.dim(), rhs.dim());
        assert_eq!(k, k2, "{m}×{k} matrix times a {k2}×{n} matrix");
        mat_mul_rows(self.view(), rhs.t())
    }
}

impl<S: Data<Elem = f64>, S2: Data<Elem = f64>> FixedDot<ArrayBase<S2, Ix2>> for ArrayBase<S, Ix1> {
    type Output = Array1<f64>;
    fn fdot(&self, rhs: &ArrayBase<S2, Ix2>) -> Array1<f64> {
        let (k, n) = rhs.dim();
        assert_eq!(
            self.len(),
            k,
            "a vector of {} times a {k}×{n} matrix",
            self.len()
        );
        let x = self.view().insert_axis(ndarray::Axis(0));
        mat_mul_rows(x, rhs.t())
            .into_shape_with_order(n)
            .expect("n entries")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::testing::{fused_dot as reference_dot, stream};
    use crate::simd::{with_simd_level, SimdLevel};
    use ndarray::Array;

    #[test]
    fn every_product_has_the_bits_of_the_documented_dot_at_every_level() {
        for level in SimdLevel::ALL.into_iter().filter(|l| l.supported()) {
            with_simd_level(level, || {
                for (m, k, n) in [(1, 1, 1), (3, 17, 5), (7, 33, 9), (2, 200, 6), (13, 40, 13)] {
                    let a = Array::from_shape_vec((m, k), stream(1, m * k)).unwrap();
                    let b = Array::from_shape_vec((k, n), stream(2, k * n)).unwrap();
                    let c = a.fdot(&b);
                    for i in 0..m {
                        for j in 0..n {
                            let col: Vec<f64> = b.column(j).to_vec();
                            let want = reference_dot(a.row(i).as_slice().unwrap(), &col);
                            assert_eq!(c[[i, j]].to_bits(), want.to_bits());
                        }
                    }
                    let x = Array1::from(stream(3, k));
                    let y = a.fdot(&x);
                    for i in 0..m {
                        let want =
                            reference_dot(a.row(i).as_slice().unwrap(), x.as_slice().unwrap());
                        assert_eq!(y[i].to_bits(), want.to_bits());
                    }
                    // strided views give the same bits as contiguous copies
                    let at = a.t().to_owned();
                    assert_eq!(at.t().fdot(&x), y);
                    assert_eq!(
                        x.fdot(&x).to_bits(),
                        reference_dot(x.as_slice().unwrap(), x.as_slice().unwrap()).to_bits()
                    );
                }
            });
        }
    }

    #[test]
    fn products_agree_with_ndarray() {
        let a = Array::from_shape_vec((6, 35), stream(4, 210)).unwrap();
        let b = Array::from_shape_vec((35, 4), stream(5, 140)).unwrap();
        #[allow(clippy::disallowed_methods)]
        let want = a.dot(&b);
        assert!((&a.fdot(&b) - &want).iter().all(|d| d.abs() < 1e-13));
        let v = Array1::from(stream(6, 6));
        #[allow(clippy::disallowed_methods)]
        let want = v.dot(&a);
        assert!((&v.fdot(&a) - &want).iter().all(|d| d.abs() < 1e-13));
        let empty = Array2::<f64>::zeros((2, 0));
        assert_eq!(
            empty.fdot(&Array2::<f64>::zeros((0, 3))),
            Array2::<f64>::zeros((2, 3))
        );
    }

    #[test]
    #[should_panic(expected = "matrix times a vector")]
    fn mismatched_shapes_panic_as_ndarray_does() {
        let _ = Array2::<f64>::zeros((2, 3)).fdot(&Array1::<f64>::zeros(2));
    }
}
