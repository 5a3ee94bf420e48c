//! The symmetric eigendecomposition, by Householder tridiagonalisation and
//! the implicit QL algorithm, in one fixed order of operations.
//!
//! Reference: the EISPACK routines `tred2` and `tql2` (Bowdler, Martin,
//! Reinsch and Wilkinson, *Numerische Mathematik* 11, 1968), in the form of
//! the public-domain JAMA package (Hicks, Moler, Boisvert and others, NIST).

use ndarray::{Array1, Array2, ArrayBase, Data, Ix2};

use crate::error::{Error, Result};

/// QL sweeps allowed per eigenvalue before giving up (two or three are usual).
const MAX_SWEEPS: usize = 64;

/// `√(a² + b²)` without overflow or underflow in the squares.
fn hypot(a: f64, b: f64) -> f64 {
    let (a, b) = (a.abs(), b.abs());
    let (big, small) = if a >= b { (a, b) } else { (b, a) };
    if big == 0.0 {
        return 0.0;
    }
    let r = small / big;
    big * (1.0 + r * r).sqrt()
}

/// Householder reduction of the symmetric `v` (row-major, `n × n`, both
/// triangles set) to tridiagonal form: diagonal `d`, sub-diagonal `e[1..]`,
/// and the orthogonal transformation accumulated in `v`.
#[allow(clippy::needless_range_loop)] // the indices are the algorithm's
fn tridiagonalise(v: &mut [f64], n: usize, d: &mut [f64], e: &mut [f64]) {
    let at = |i: usize, j: usize| i * n + j;
    for j in 0..n {
        d[j] = v[at(n - 1, j)];
    }
    for i in (1..n).rev() {
        let mut scale = 0.0;
        let mut h = 0.0;
        for k in 0..i {
            scale += d[k].abs();
        }
        if scale == 0.0 {
            e[i] = d[i - 1];
            for j in 0..i {
                d[j] = v[at(i - 1, j)];
                v[at(i, j)] = 0.0;
                v[at(j, i)] = 0.0;
            }
        } else {
            for k in 0..i {
                d[k] /= scale;
                h += d[k] * d[k];
            }
            let mut f = d[i - 1];
            let mut g = h.sqrt();
            if f > 0.0 {
                g = -g;
            }
            e[i] = scale * g;
            h -= f * g;
            d[i - 1] = f - g;
            for j in 0..i {
                e[j] = 0.0;
            }
            for j in 0..i {
                f = d[j];
                v[at(j, i)] = f;
                g = e[j] + v[at(j, j)] * f;
                for k in j + 1..i {
                    g += v[at(k, j)] * d[k];
                    e[k] += v[at(k, j)] * f;
                }
                e[j] = g;
            }
            f = 0.0;
            for j in 0..i {
                e[j] /= h;
                f += e[j] * d[j];
            }
            let hh = f / (h + h);
            for j in 0..i {
                e[j] -= hh * d[j];
            }
            for j in 0..i {
                f = d[j];
                g = e[j];
                for k in j..i {
                    v[at(k, j)] -= f * e[k] + g * d[k];
                }
                d[j] = v[at(i - 1, j)];
                v[at(i, j)] = 0.0;
            }
        }
        d[i] = h;
    }
    for i in 0..n - 1 {
        v[at(n - 1, i)] = v[at(i, i)];
        v[at(i, i)] = 1.0;
        let h = d[i + 1];
        if h != 0.0 {
            for k in 0..=i {
                d[k] = v[at(k, i + 1)] / h;
            }
            for j in 0..=i {
                let mut g = 0.0;
                for k in 0..=i {
                    g += v[at(k, i + 1)] * v[at(k, j)];
                }
                for k in 0..=i {
                    v[at(k, j)] -= g * d[k];
                }
            }
        }
        for k in 0..=i {
            v[at(k, i + 1)] = 0.0;
        }
    }
    for j in 0..n {
        d[j] = v[at(n - 1, j)];
        v[at(n - 1, j)] = 0.0;
    }
    v[at(n - 1, n - 1)] = 1.0;
    e[0] = 0.0;
}

/// Implicit QL iterations on the tridiagonal `(d, e)`; `w` holds the
/// eigenvectors as **rows** (`w[i][k]` = component `k` of vector `i`), so
/// each plane rotation updates two contiguous rows. `Err` if an eigenvalue
/// needs more than [`MAX_SWEEPS`] sweeps.
#[allow(clippy::needless_range_loop)]
fn ql_implicit(w: &mut [f64], n: usize, d: &mut [f64], e: &mut [f64]) -> Result<()> {
    for i in 1..n {
        e[i - 1] = e[i];
    }
    e[n - 1] = 0.0;
    let mut f = 0.0;
    let mut tst1: f64 = 0.0;
    let eps = f64::EPSILON;
    for l in 0..n {
        tst1 = tst1.max(d[l].abs() + e[l].abs());
        let mut m = l;
        while m < n {
            if e[m].abs() <= eps * tst1 {
                break;
            }
            m += 1;
        }
        if m > l {
            let mut sweeps = 0;
            loop {
                sweeps += 1;
                if sweeps > MAX_SWEEPS {
                    return Err(Error::Linalg(format!(
                        "symmetric eigenvalues: no convergence at eigenvalue {l} of {n}"
                    )));
                }
                let mut g = d[l];
                let mut p = (d[l + 1] - g) / (2.0 * e[l]);
                let mut r = hypot(p, 1.0);
                if p < 0.0 {
                    r = -r;
                }
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                let dl1 = d[l + 1];
                let mut h = g - d[l];
                for di in d.iter_mut().skip(l + 2) {
                    *di -= h;
                }
                f += h;
                p = d[m];
                let mut c = 1.0;
                let mut c2 = c;
                let mut c3 = c;
                let el1 = e[l + 1];
                let mut s = 0.0;
                let mut s2 = 0.0;
                for i in (l..m).rev() {
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    g = c * e[i];
                    h = c * p;
                    r = hypot(p, e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    let (lo, hi) = w.split_at_mut((i + 1) * n);
                    let (wi, wi1) = (&mut lo[i * n..], &mut hi[..n]);
                    for (a, b) in wi.iter_mut().zip(wi1.iter_mut()) {
                        let h = *b;
                        *b = s * *a + c * h;
                        *a = c * *a - s * h;
                    }
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1;
                e[l] = s * p;
                d[l] = c * p;
                if e[l].abs() <= eps * tst1 {
                    break;
                }
            }
        }
        d[l] += f;
        e[l] = 0.0;
    }
    Ok(())
}

/// Eigenvalues (ascending) and unit eigenvectors (the columns of the second
/// matrix) of a symmetric matrix, `A = U diag(λ) Uᵀ`, in the crate's fixed
/// order of operations: the same bits on every CPU, at every SIMD level and
/// thread count (LAPACK's `dsyevd` in OpenBLAS is blocked by the CPU's kernels
/// and threaded). Only the lower triangle of `A` is read. Each eigenvector's
/// sign is fixed so that its largest entry in magnitude (the first, on a tie)
/// is positive.
///
/// ```
/// use quad_vs_grad::linalg::sym_eig;
/// use quad_vs_grad::ndarray::array;
///
/// let (ev, u) = sym_eig(&array![[2.0, 1.0], [1.0, 2.0]])?;
/// assert!((ev[0] - 1.0).abs() < 1e-15 && (ev[1] - 3.0).abs() < 1e-15);
/// let s = 0.5f64.sqrt();
/// assert!((u[[0, 1]] - s).abs() < 1e-15 && (u[[1, 1]] - s).abs() < 1e-15);
/// # Ok::<(), quad_vs_grad::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`] if `a` is not square; [`Error::Linalg`] for non-finite
/// entries (or, never seen in practice, no convergence).
pub fn sym_eig<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix2>) -> Result<(Array1<f64>, Array2<f64>)> {
    let (n, m) = a.dim();
    if n != m {
        return Err(Error::Shape(format!(
            "symmetric eigenvalues need a square matrix, got {n}×{m}"
        )));
    }
    if a.iter().any(|v| !v.is_finite()) {
        return Err(Error::Linalg("matrix has non-finite entries".into()));
    }
    if n == 0 {
        return Ok((Array1::zeros(0), Array2::zeros((0, 0))));
    }
    // Symmetrise from the lower triangle.
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            v[i * n + j] = a[[i, j]];
            v[j * n + i] = a[[i, j]];
        }
    }
    let (mut d, mut e) = (vec![0.0; n], vec![0.0; n]);
    tridiagonalise(&mut v, n, &mut d, &mut e);
    // Rows of `w` are the columns of `v`.
    let mut w = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            w[i * n + k] = v[k * n + i];
        }
    }
    ql_implicit(&mut w, n, &mut d, &mut e)?;
    // Ascending order (stable, so equal eigenvalues keep their order).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| d[i].total_cmp(&d[j]));
    let values = Array1::from_iter(order.iter().map(|&i| d[i]));
    let mut vectors = Array2::zeros((n, n));
    for (col, &i) in order.iter().enumerate() {
        let row = &w[i * n..(i + 1) * n];
        let mut big = 0;
        for (k, x) in row.iter().enumerate() {
            if x.abs() > row[big].abs() {
                big = k;
            }
        }
        let sign = if row[big] < 0.0 { -1.0 } else { 1.0 };
        for (k, x) in row.iter().enumerate() {
            vectors[[k, col]] = sign * x;
        }
    }
    Ok((values, vectors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::FixedDot;
    use ndarray::array;

    fn random_sym(n: usize, seed: u64) -> Array2<f64> {
        let b = crate::linalg::testing::matrix(n, n, seed);
        &b + &b.t()
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // LAPACK as the reference
    fn decomposes_and_agrees_with_lapack() {
        for n in [1, 2, 3, 8, 33, 97] {
            let a = random_sym(n, n as u64 + 7);
            let (ev, u) = sym_eig(&a).unwrap();
            assert!(ev.windows(2).into_iter().all(|w| w[0] <= w[1]));
            let back = (&u * &ev).fdot(&u.t());
            assert!((&back - &a).iter().all(|d| d.abs() < 1e-12), "n = {n}");
            let gram = u.t().fdot(&u);
            for i in 0..n {
                for j in 0..n {
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((gram[[i, j]] - want).abs() < 1e-12);
                }
            }
            use ndarray_linalg::{Eigh, UPLO};
            let (lapack, _) = a.eigh(UPLO::Lower).unwrap();
            assert!((&ev - &lapack).iter().all(|d| d.abs() < 1e-12), "n = {n}");
            // the sign convention
            for col in u.columns() {
                let big = col
                    .iter()
                    .fold(0.0_f64, |m, v| if v.abs() > m.abs() { *v } else { m });
                assert!(big > 0.0);
            }
        }
    }

    #[test]
    fn degenerate_and_special_matrices() {
        let (ev, u) = sym_eig(&Array2::<f64>::eye(4)).unwrap();
        assert_eq!(ev, Array1::from_elem(4, 1.0));
        assert_eq!(u, Array2::<f64>::eye(4));
        let (ev, _) = sym_eig(&Array2::<f64>::zeros((3, 3))).unwrap();
        assert_eq!(ev, Array1::<f64>::zeros(3));
        let (ev, _) = sym_eig(&array![[4.0, 0.0], [0.0, -1.0]]).unwrap();
        assert_eq!(ev, array![-1.0, 4.0]);
        let (ev, _) = sym_eig(&array![[1e300, 1e300], [1e300, 1e300]]).unwrap();
        assert!(ev[0].abs() < 1e285 && (ev[1] - 2e300).abs() < 1e286);
        assert!(matches!(
            sym_eig(&array![[f64::NAN]]),
            Err(Error::Linalg(_))
        ));
        assert!(matches!(sym_eig(&array![[1.0, 2.0]]), Err(Error::Shape(_))));
        assert_eq!(sym_eig(&Array2::<f64>::zeros((0, 0))).unwrap().0.len(), 0);
        assert!((hypot(3e200, 4e200) - 5e200).abs() <= 5e200 * f64::EPSILON);
        assert_eq!(hypot(0.0, 0.0), 0.0);
    }
}
