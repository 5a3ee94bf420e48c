//! The matrices of the zoo, [`NamedMatrix`], [`curvature_zoo`], and their
//! restriction to a plane, [`project_curvature`], [`top_eigen_basis`].

use crate::linalg::FixedDot;
use ndarray::{Array1, Array2};

use crate::curvature::{sym_eig, CurvatureProducts, FisherKind, KfacCurvature};
use crate::plot::error::{PlotError, Result};
use crate::problem::XorProblem;
use argmin::core::Hessian;

/// A symmetric curvature matrix with the name its legend entry shows.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedMatrix {
    /// Legend name, e.g. `"Hessian"`.
    pub name: String,
    /// The symmetric matrix (`k × k`; 2 × 2 to be drawn).
    pub matrix: Array2<f64>,
}

impl NamedMatrix {
    /// A named matrix.
    pub fn new(name: impl Into<String>, matrix: Array2<f64>) -> Self {
        Self {
            name: name.into(),
            matrix,
        }
    }

    /// The matrix restricted to the subspace spanned by the rows of `basis`
    /// (`m × k`): `Q C Qᵀ` with `Q` the rows of `basis` orthonormalised in
    /// order (Gram–Schmidt), so `sᵀ (Q C Qᵀ) s` is the form of `C` at the
    /// point `Qᵀ s` of the subspace. The name is kept.
    ///
    /// # Errors
    /// [`PlotError::InvalidInput`] if the shapes do not fit, an entry is not
    /// finite, or the rows of `basis` are linearly dependent.
    pub fn project(&self, basis: &Array2<f64>) -> Result<Self> {
        Ok(Self::new(
            self.name.clone(),
            project_curvature(&self.matrix, basis)?,
        ))
    }
}

/// `Q C Qᵀ` for the rows of `basis` (`m × k`) orthonormalised in order; see
/// [`NamedMatrix::project`]. The result is symmetrised.
///
/// # Errors
/// [`PlotError::InvalidInput`] if `c` is not square `k × k`, the shapes do
/// not fit, an entry is not finite, or the rows of `basis` are linearly
/// dependent (a row's part orthogonal to the previous ones is shorter than
/// `1e−10` of the row).
pub fn project_curvature(c: &Array2<f64>, basis: &Array2<f64>) -> Result<Array2<f64>> {
    let k = c.nrows();
    if c.ncols() != k || basis.ncols() != k || basis.nrows() == 0 {
        return Err(PlotError::InvalidInput(format!(
            "cannot project a {} × {} matrix onto {} directions of length {}",
            c.nrows(),
            c.ncols(),
            basis.nrows(),
            basis.ncols()
        )));
    }
    if c.iter().chain(basis.iter()).any(|v| !v.is_finite()) {
        return Err(PlotError::InvalidInput(
            "the matrix or the basis has non-finite entries".into(),
        ));
    }
    let mut q = basis.to_owned();
    for i in 0..q.nrows() {
        let norm0 = q.row(i).fdot(&q.row(i)).sqrt();
        for j in 0..i {
            let proj = q.row(i).fdot(&q.row(j));
            let qj = q.row(j).to_owned();
            q.row_mut(i).scaled_add(-proj, &qj);
        }
        let norm = q.row(i).fdot(&q.row(i)).sqrt();
        if norm.is_nan() || norm <= 1e-10 * norm0 || norm == 0.0 {
            return Err(PlotError::InvalidInput(format!(
                "direction {} of the basis is zero or depends on the previous ones",
                i + 1
            )));
        }
        q.row_mut(i).mapv_inplace(|v| v / norm);
    }
    let m = q.fdot(c).fdot(&q.t());
    let mt = m.t().to_owned();
    Ok((m + mt) * 0.5)
}

/// The two leading eigenvectors of a symmetric matrix (those of its largest
/// eigenvalues), as the rows of a `2 × k` basis for
/// [`NamedMatrix::project`], each signed so that its largest entry in size
/// is positive (so the picture does not flip between machines).
///
/// # Errors
/// [`PlotError::InvalidInput`] for a matrix smaller than 2 × 2 or not
/// square; [`PlotError::Problem`] if the eigendecomposition fails (for
/// example on non-finite entries).
pub fn top_eigen_basis(c: &Array2<f64>) -> Result<Array2<f64>> {
    let k = c.nrows();
    if k < 2 || c.ncols() != k {
        return Err(PlotError::InvalidInput(format!(
            "need a square matrix of order ≥ 2, got {} × {}",
            c.nrows(),
            c.ncols()
        )));
    }
    let (_, u) = sym_eig(c)?;
    let mut b = Array2::zeros((2, k));
    b.row_mut(0).assign(&u.column(k - 1));
    b.row_mut(1).assign(&u.column(k - 2));
    // An eigenvector's sign is arbitrary: make each one's largest entry in
    // size positive (`linalg::sym_eig` already does; kept for any other
    // source of the matrix's vectors).
    for mut row in b.rows_mut() {
        let big = row
            .iter()
            .copied()
            .fold(0.0_f64, |m, v| if v.abs() > m.abs() { v } else { m });
        if big < 0.0 {
            row.mapv_inplace(|v| -v);
        }
    }
    Ok(b)
}

/// The curvature zoo of `problem` at `p`, in the problem's parameter space:
/// the Hessian, the GGN, the exact Fisher, the Monte-Carlo Fisher with
/// `mc_samples` labels per example drawn with `mc_seed`, the empirical
/// Fisher, and K-FAC (`blockdiag(G_l ⊗ A_l)` of the exact Fisher, mapped
/// to `p`-space). See [`crate::curvature`] for the definitions.
///
/// For sigmoid + cross-entropy the exact Fisher equals the GGN, so their
/// curves coincide; on a model linear in `p` (the reference output slice)
/// the Hessian does too.
///
/// # Errors
/// [`PlotError::Problem`] if `p` has the wrong length or an evaluation fails.
pub fn curvature_zoo(
    problem: &XorProblem,
    p: &Array1<f64>,
    mc_samples: usize,
    mc_seed: u64,
) -> Result<Vec<NamedMatrix>> {
    let wrap = |e: argmin::core::Error| PlotError::Problem(crate::Error::from(e));
    let hessian = problem.hessian(p).map_err(wrap)?;
    let ggn = problem.ggn(p).map_err(wrap)?;
    let exact = problem.fisher(p, FisherKind::Exact)?;
    let mc = problem.fisher(
        p,
        FisherKind::MonteCarlo {
            samples: mc_samples,
            seed: mc_seed,
        },
    )?;
    let emp = problem.fisher(p, FisherKind::Empirical)?;
    let kfac = problem
        .kfac_factors(p, FisherKind::Exact)
        .map_err(wrap)?
        .dense()
        .map_err(|e| wrap(e.into()))?;
    Ok(vec![
        NamedMatrix::new("Hessian", hessian),
        NamedMatrix::new("GGN", ggn),
        NamedMatrix::new("Fisher (exact)", exact),
        NamedMatrix::new(format!("Fisher (MC, S = {mc_samples})"), mc),
        NamedMatrix::new("Fisher (empirical)", emp),
        NamedMatrix::new("K-FAC", kfac),
    ])
}
