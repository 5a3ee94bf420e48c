//! BFGS's quadratic models along a path: the inverse-Hessian estimate the
//! BFGS update builds from the path's gradient differences, turned into a
//! model at every point (what [`ModelOverlay::along`](super::ModelOverlay::along)
//! draws for [`ModelCurvature::Bfgs`]).

use argmin::core::Gradient;
use ndarray::{Array1, Array2};

use super::curvature::ModelCurvature;
use super::model::{QuadraticModel, ZERO_TOL};
use crate::curvature::sym_eig;
use crate::linalg::FixedDot;

/// The BFGS models at `points` (a path), each with damping `damping`: the
/// estimate starts at the identity and takes one update per step whose
/// curvature pair has `yᵀs > 0`; `None` where the gradient is not finite or
/// the estimate is not positive definite.
pub(super) fn bfgs_models<P>(
    problem: &P,
    points: &[Array1<f64>],
    damping: f64,
) -> Vec<Option<QuadraticModel>>
where
    P: Gradient<Param = Array1<f64>, Gradient = Array1<f64>>,
{
    let grads: Vec<Option<Array1<f64>>> = points
        .iter()
        .map(|p| {
            problem
                .gradient(p)
                .ok()
                .filter(|g| g.iter().all(|v| v.is_finite()))
        })
        .collect();
    let n = points.first().map_or(0, Array1::len);
    let mut h = Array2::<f64>::eye(n);
    let mut out = Vec::with_capacity(points.len());
    for k in 0..points.len() {
        let model = grads[k].as_ref().and_then(|g| {
            let b = spd_inverse(&h)?;
            QuadraticModel::new(points[k].clone(), g.clone(), b, damping)
                .ok()
                .map(|m| m.with_kind(ModelCurvature::Bfgs))
        });
        out.push(model);
        if let (Some(g0), Some(Some(g1))) = (grads[k].as_ref(), grads.get(k + 1)) {
            let s = &points[k + 1] - &points[k];
            let y = g1 - g0;
            let ys = y.fdot(&s);
            if ys.is_finite() && ys > 0.0 {
                let rho = 1.0 / ys;
                let e = Array2::<f64>::eye(n);
                let sy = outer(&s, &y) * rho;
                let left = &e - &sy;
                let right = &e - &sy.t();
                h = left.fdot(&h).fdot(&right) + outer(&s, &s) * rho;
            }
        }
    }
    out
}

fn outer(a: &Array1<f64>, b: &Array1<f64>) -> Array2<f64> {
    Array2::from_shape_fn((a.len(), b.len()), |(i, j)| a[i] * b[j])
}

/// `M⁻¹` of a symmetric positive definite `M` by its eigen-decomposition;
/// `None` if it is not (numerically) positive definite.
fn spd_inverse(m: &Array2<f64>) -> Option<Array2<f64>> {
    let sym = (m + &m.t()) * 0.5;
    let (mu, v) = sym_eig(&sym).ok()?;
    let top = mu.iter().fold(0.0_f64, |a, x| a.max(x.abs()));
    if mu.iter().any(|&x| x <= ZERO_TOL * top) {
        return None;
    }
    let scaled = &v * &mu.mapv(|x| 1.0 / x);
    Some(scaled.fdot(&v.t()))
}
