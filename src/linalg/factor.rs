//! Cholesky and LU factorisations, and the solves and inverse built on them,
//! each in one fixed order of operations.

use ndarray::{Array1, Array2, ArrayBase, Data, Ix1, Ix2};

use super::lanes::dot_tile;
use crate::error::{Error, Result};

/// The fixed-order fused dot product of the factorisations (inlined into each
/// multiversioned kernel, so it runs at the kernel's SIMD level).
#[inline(always)]
fn fdot(a: &[f64], b: &[f64]) -> f64 {
    dot_tile::<1, true>(a, [b])[0]
}

multiversioned! {
/// In place, row by row (Cholesky–Banachiewicz), the lower factor `L` of the
/// `n × n` row-major matrix `a` (only its lower triangle is read):
/// `L_ij = (a_ij − L_i,<j · L_j,<j) / L_jj`, `L_jj = √(a_jj − ‖L_j,<j‖²)`.
/// The strict upper triangle is zeroed. `Err(j)` at the first pivot that is
/// not positive (or not finite).
    fn cholesky_kernel / cholesky_kernel_portable(a: &mut [f64], n: usize) -> std::result::Result<(), usize> {
    for i in 0..n {
        for j in 0..=i {
            let (before, row_i) = a.split_at_mut(i * n);
            let s = if j < i {
                let lj = &before[j * n..j * n + j];
                row_i[j] - fdot(&row_i[..j], lj)
            } else {
                row_i[j] - fdot(&row_i[..j], &row_i[..j])
            };
            if j < i {
                row_i[j] = s / before[j * n + j];
            } else {
                // `!(s > 0)` also catches NaN.
                if !(s > 0.0 && s.is_finite()) {
                    return Err(i);
                }
                row_i[i] = s.sqrt();
            }
        }
        a[i * n + i + 1..(i + 1) * n].fill(0.0);
    }
    Ok(())
}}

multiversioned! {
/// In place, right-looking Gaussian elimination with partial pivoting of the
/// `n × n` row-major `a`: afterwards its strict lower triangle holds the unit
/// lower factor `L` and its upper triangle `U`, with `P a = L U` and row `k`
/// swapped with row `piv[k]` at step `k` (the first largest `|a_ik|`, `i ≥ k`).
/// Each update `a_ij ← a_ij − l_ik u_kj` is one fused multiply-add, in order
/// of `k`. `Err(k)` at the first zero (or non-finite) pivot.
    fn lu_kernel / lu_kernel_portable(a: &mut [f64], n: usize, piv: &mut [usize]) -> std::result::Result<(), usize> {
    for k in 0..n {
        let mut p = k;
        let mut best = a[k * n + k].abs();
        for i in k + 1..n {
            let v = a[i * n + k].abs();
            if v > best {
                best = v;
                p = i;
            }
        }
        if !(best > 0.0 && best.is_finite()) {
            return Err(k);
        }
        piv[k] = p;
        if p != k {
            for j in 0..n {
                a.swap(k * n + j, p * n + j);
            }
        }
        let (top, rest) = a.split_at_mut((k + 1) * n);
        let row_k = &top[k * n..(k + 1) * n];
        let pivot = row_k[k];
        for row_i in rest.chunks_exact_mut(n) {
            let l = row_i[k] / pivot;
            row_i[k] = l;
            for (x, &u) in row_i[k + 1..].iter_mut().zip(&row_k[k + 1..]) {
                *x = (-l).mul_add(u, *x);
            }
        }
    }
    Ok(())
}}

/// Row-major entries and order of a square matrix, after checking it.
fn square_entries<S: Data<Elem = f64>>(
    a: &ArrayBase<S, Ix2>,
    what: &str,
) -> Result<(Vec<f64>, usize)> {
    let (n, m) = a.dim();
    if n != m {
        return Err(Error::Shape(format!(
            "{what} needs a square matrix, got {n}×{m}"
        )));
    }
    if a.iter().any(|v| !v.is_finite()) {
        return Err(Error::Linalg(format!(
            "{what}: the matrix has non-finite entries"
        )));
    }
    Ok((a.iter().copied().collect(), n))
}

fn check_rhs<S: Data<Elem = f64>>(n: usize, b: &ArrayBase<S, Ix1>) -> Result<Vec<f64>> {
    if b.len() != n {
        return Err(Error::Shape(format!(
            "a {n}×{n} system needs a right-hand side of {n} entries, got {}",
            b.len()
        )));
    }
    if b.iter().any(|v| !v.is_finite()) {
        return Err(Error::Linalg(
            "the right-hand side has non-finite entries".into(),
        ));
    }
    Ok(b.to_vec())
}

/// The Cholesky factorisation `A = L Lᵀ` of a symmetric positive-definite
/// matrix, in the crate's fixed order (the same bits on every CPU, at every
/// SIMD level; LAPACK's `dpotrf` in OpenBLAS is blocked and threaded by the
/// CPU and the core count). Only the lower triangle of `A` is read.
///
/// ```
/// use quad_vs_grad::linalg::Cholesky;
/// use quad_vs_grad::ndarray::array;
///
/// let a = array![[4.0, 2.0], [2.0, 3.0]];
/// let c = Cholesky::new(&a)?;
/// assert_eq!(c.l(), array![[2.0, 0.0], [1.0, 2f64.sqrt()]]);
/// let x = c.solve(&array![2.0, 1.0])?;
/// assert!((x[0] - 0.5).abs() < 1e-15 && x[1].abs() < 1e-15);
/// # Ok::<(), quad_vs_grad::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Cholesky {
    n: usize,
    /// `L`, row-major.
    l: Vec<f64>,
    /// `Lᵀ`, row-major (so the backward solve reads rows too).
    lt: Vec<f64>,
}

impl Cholesky {
    /// Factorises `a`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `a` is not square; [`Error::Linalg`] if it has
    /// non-finite entries or is not positive definite (naming the pivot).
    pub fn new<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix2>) -> Result<Self> {
        let (mut l, n) = square_entries(a, "Cholesky")?;
        cholesky_kernel(&mut l, n).map_err(|k| {
            Error::Linalg(format!(
                "matrix is not positive definite (pivot {k} of {n})"
            ))
        })?;
        let mut lt = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                lt[j * n + i] = l[i * n + j];
            }
        }
        Ok(Cholesky { n, l, lt })
    }

    /// The lower factor `L`.
    pub fn l(&self) -> Array2<f64> {
        Array2::from_shape_vec((self.n, self.n), self.l.clone()).expect("n × n entries")
    }

    /// `ln det A = 2 Σ ln L_ii`.
    pub fn log_det(&self) -> f64 {
        2.0 * (0..self.n)
            .map(|i| self.l[i * self.n + i].ln())
            .sum::<f64>()
    }

    /// Solves `A x = b` by `L y = b`, then `Lᵀ x = y`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `b` has the wrong length; [`Error::Linalg`] if it
    /// has non-finite entries.
    pub fn solve<S: Data<Elem = f64>>(&self, b: &ArrayBase<S, Ix1>) -> Result<Array1<f64>> {
        let n = self.n;
        let mut x = check_rhs(n, b)?;
        for i in 0..n {
            let s = x[i] - fdot(&self.l[i * n..i * n + i], &x[..i]);
            x[i] = s / self.l[i * n + i];
        }
        for i in (0..n).rev() {
            let s = x[i] - fdot(&self.lt[i * n + i + 1..(i + 1) * n], &x[i + 1..]);
            x[i] = s / self.lt[i * n + i];
        }
        Ok(Array1::from(x))
    }
}

/// The LU factorisation `P A = L U` with partial pivoting, in the crate's
/// fixed order: for symmetric indefinite and general square systems (undamped
/// Newton on a non-convex loss meets them).
///
/// ```
/// use quad_vs_grad::linalg::Lu;
/// use quad_vs_grad::ndarray::array;
///
/// let a = array![[1.0, 0.0], [0.0, -2.0]]; // indefinite
/// let x = Lu::new(&a)?.solve(&array![1.0, 1.0])?;
/// assert_eq!(x, array![1.0, -0.5]);
/// # Ok::<(), quad_vs_grad::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Lu {
    n: usize,
    /// `L` (strictly below the diagonal, unit diagonal implied) and `U`.
    lu: Vec<f64>,
    piv: Vec<usize>,
}

impl Lu {
    /// Factorises `a`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `a` is not square; [`Error::Linalg`] if it has
    /// non-finite entries or is singular (a zero pivot).
    pub fn new<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix2>) -> Result<Self> {
        let (mut lu, n) = square_entries(a, "LU")?;
        let mut piv = vec![0; n];
        lu_kernel(&mut lu, n, &mut piv)
            .map_err(|k| Error::Linalg(format!("matrix is singular (zero pivot {k} of {n})")))?;
        Ok(Lu { n, lu, piv })
    }

    /// Solves `A x = b`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `b` has the wrong length; [`Error::Linalg`] if it
    /// has non-finite entries or the solution overflows.
    pub fn solve<S: Data<Elem = f64>>(&self, b: &ArrayBase<S, Ix1>) -> Result<Array1<f64>> {
        let n = self.n;
        let mut x = check_rhs(n, b)?;
        for (k, &p) in self.piv.iter().enumerate() {
            x.swap(k, p);
        }
        for i in 0..n {
            x[i] -= fdot(&self.lu[i * n..i * n + i], &x[..i]);
        }
        for i in (0..n).rev() {
            let s = x[i] - fdot(&self.lu[i * n + i + 1..(i + 1) * n], &x[i + 1..]);
            x[i] = s / self.lu[i * n + i];
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::Linalg("matrix is numerically singular".into()));
        }
        Ok(Array1::from(x))
    }

    /// `A⁻¹`, one solve per column of the identity.
    ///
    /// # Errors
    /// [`Error::Linalg`] if the inverse overflows.
    pub fn inverse(&self) -> Result<Array2<f64>> {
        let n = self.n;
        let mut inv = Array2::zeros((n, n));
        for j in 0..n {
            let mut e = Array1::zeros(n);
            e[j] = 1.0;
            inv.column_mut(j).assign(&self.solve(&e)?);
        }
        Ok(inv)
    }
}

/// Solves `A x = b` for a square `A`: Cholesky when `A` is symmetric positive
/// definite, else LU with partial pivoting. The same bits on every machine.
///
/// # Errors
/// [`Error::Shape`] for mismatched shapes; [`Error::Linalg`] for non-finite
/// entries or a singular matrix.
pub fn solve<S: Data<Elem = f64>, S2: Data<Elem = f64>>(
    a: &ArrayBase<S, Ix2>,
    b: &ArrayBase<S2, Ix1>,
) -> Result<Array1<f64>> {
    let symmetric = a.is_square() && (0..a.nrows()).all(|i| (0..i).all(|j| a[[i, j]] == a[[j, i]]));
    if symmetric {
        if let Ok(c) = Cholesky::new(a) {
            return c.solve(b);
        }
    }
    Lu::new(a)?.solve(b)
}

/// [`solve`] as a method: `a.fsolve(&b)` solves `A x = b` in the crate's fixed
/// order (Cholesky when `A` is symmetric positive definite, else LU).
///
/// ```
/// use quad_vs_grad::linalg::FixedSolve;
/// use quad_vs_grad::ndarray::array;
///
/// let x = array![[4.0, 0.0], [0.0, 16.0]].fsolve(&array![1.0, 1.0])?;
/// assert_eq!(x, array![0.25, 0.0625]);
/// # Ok::<(), quad_vs_grad::Error>(())
/// ```
pub trait FixedSolve {
    /// The solution `x` of `self · x = b`.
    ///
    /// # Errors
    /// As [`solve`].
    fn fsolve<S2: Data<Elem = f64>>(&self, b: &ArrayBase<S2, Ix1>) -> Result<Array1<f64>>;
}

impl<S: Data<Elem = f64>> FixedSolve for ArrayBase<S, Ix2> {
    fn fsolve<S2: Data<Elem = f64>>(&self, b: &ArrayBase<S2, Ix1>) -> Result<Array1<f64>> {
        solve(self, b)
    }
}

/// `A⁻¹` of a square matrix, by LU with partial pivoting.
///
/// # Errors
/// [`Error::Shape`] if `a` is not square; [`Error::Linalg`] for non-finite
/// entries or a singular matrix.
pub fn inverse<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix2>) -> Result<Array2<f64>> {
    Lu::new(a)?.inverse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::FixedDot;
    use crate::simd::{with_simd_level, SimdLevel};
    use ndarray::array;

    fn spd(n: usize, seed: u64) -> Array2<f64> {
        let b = crate::linalg::testing::matrix(n, n, seed);
        let mut a = b.t().fdot(&b);
        for i in 0..n {
            a[[i, i]] += 0.1;
        }
        a
    }

    #[test]
    fn cholesky_reconstructs_and_solves() {
        for n in [1, 2, 5, 17, 64, 130] {
            let a = spd(n, n as u64);
            let c = Cholesky::new(&a).unwrap();
            let l = c.l();
            let back = l.fdot(&l.t());
            let scale = a.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            assert!(
                (&back - &a).iter().all(|d| d.abs() <= 1e-13 * scale),
                "n = {n}"
            );
            let b = Array1::from_shape_fn(n, |i| (i as f64).sin());
            let x = c.solve(&b).unwrap();
            let r = a.fdot(&x) - &b;
            assert!(r.iter().all(|v| v.abs() < 1e-9), "n = {n}");
            let y = Lu::new(&a).unwrap().solve(&b).unwrap();
            assert!((&x - &y)
                .iter()
                .all(|v| v.abs() < 1e-8 * (1.0 + x[0].abs())));
        }
    }

    #[test]
    fn every_level_gives_the_same_bits() {
        let a = spd(37, 3);
        let b = Array1::from_shape_fn(37, |i| (i as f64).cos());
        let run = || {
            let c = Cholesky::new(&a).unwrap();
            let lu = Lu::new(&a).unwrap();
            (
                c.l(),
                c.solve(&b).unwrap(),
                lu.solve(&b).unwrap(),
                lu.inverse().unwrap(),
            )
        };
        let (portable, _) = with_simd_level(SimdLevel::Portable, run);
        for level in SimdLevel::ALL.into_iter().filter(|l| l.supported()) {
            let (got, _) = with_simd_level(level, run);
            assert!(got
                .0
                .iter()
                .zip(&portable.0)
                .all(|(x, y)| x.to_bits() == y.to_bits()));
            assert!(got
                .1
                .iter()
                .zip(&portable.1)
                .all(|(x, y)| x.to_bits() == y.to_bits()));
            assert!(got
                .2
                .iter()
                .zip(&portable.2)
                .all(|(x, y)| x.to_bits() == y.to_bits()));
            assert!(got
                .3
                .iter()
                .zip(&portable.3)
                .all(|(x, y)| x.to_bits() == y.to_bits()));
        }
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // LAPACK as the reference
    fn lu_solves_indefinite_and_general_systems_and_inverts() {
        let a = array![[0.0, 2.0, 1.0], [1.0, -1.0, 0.5], [3.0, 0.0, -2.0]];
        let b = array![1.0, 2.0, 3.0];
        let x = solve(&a, &b).unwrap();
        assert!((a.fdot(&x) - &b).iter().all(|v| v.abs() < 1e-14));
        let inv = inverse(&a).unwrap();
        let eye = a.fdot(&inv);
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((eye[[i, j]] - want).abs() < 1e-14);
            }
        }
        // agrees with LAPACK (OpenBLAS) to round-off
        use ndarray_linalg::Solve;
        let lapack = a.solve(&b).unwrap();
        assert!((&x - &lapack).iter().all(|v| v.abs() < 1e-14));
    }

    #[test]
    fn errors_name_the_problem() {
        let sing = array![[1.0, 2.0], [2.0, 4.0]];
        assert!(
            matches!(Cholesky::new(&sing), Err(Error::Linalg(m)) if m.contains("positive definite"))
        );
        assert!(matches!(Lu::new(&sing), Err(Error::Linalg(m)) if m.contains("singular")));
        assert!(matches!(Lu::new(&array![[1.0, 2.0]]), Err(Error::Shape(_))));
        assert!(matches!(
            Lu::new(&array![[f64::NAN]]),
            Err(Error::Linalg(_))
        ));
        let lu = Lu::new(&array![[2.0]]).unwrap();
        assert!(matches!(lu.solve(&array![1.0, 2.0]), Err(Error::Shape(_))));
        assert!(matches!(
            lu.solve(&array![f64::INFINITY]),
            Err(Error::Linalg(_))
        ));
        assert!(solve(&array![[0.0, 0.0], [0.0, 1.0]], &array![1.0, 1.0]).is_err());
        // an indefinite symmetric matrix falls back to LU
        assert_eq!(
            solve(&array![[1.0, 0.0], [0.0, -2.0]], &array![1.0, 1.0]).unwrap(),
            array![1.0, -0.5]
        );
        assert_eq!(
            Cholesky::new(&Array2::<f64>::zeros((0, 0)))
                .unwrap()
                .solve(&Array1::<f64>::zeros(0))
                .unwrap()
                .len(),
            0
        );
    }
}
