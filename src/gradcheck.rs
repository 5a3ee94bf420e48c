//! Gradient checks: analytic derivatives against central finite differences,
//! for any argmin problem of the crate.
//!
//! With the step `h_i = h · max(1, |p_i|)` along coordinate `i`:
//!
//! ```text
//! gradient:  ∂L/∂p_i   ≈ [ L(p + h_i e_i) − L(p − h_i e_i) ] / (2 h_i)
//! Hessian:   ∂²L/∂p_i∂p_j ≈ [ ∂_i L(p + h_j e_j) − ∂_i L(p − h_j e_j) ] / (2 h_j)
//! ```
//!
//! The Hessian is checked against differences of the *analytic gradient*
//! (column `j` of the estimate is the difference quotient of `∇L` along
//! `e_j`), so a gradient that passes its own check vouches for the Hessian's
//! reference. Central differences have truncation error `O(h²)` and rounding
//! error `O(ε_mach |L| / h)`; `h ≈ 1e−5` (the default, [`DEFAULT_STEP`])
//! balances the two for `|L|` and derivatives of order one, giving about
//! `1e−10` agreement.
//!
//! # Error measure
//! Entry-wise, `err_i = |a_i − f_i| / max(1, |a_i|, |f_i|)` for analytic `a`
//! and finite-difference `f`: relative where an entry is larger than one,
//! absolute below (a relative error of a near-zero entry measures only
//! rounding noise). [`GradCheck::max_rel_err`] is the largest `err_i`,
//! [`GradCheck::max_abs_err`] the largest `|a_i − f_i|`.
//!
//! The course notebook *Optimization in many dimensions* (The University of
//! Texas at Austin) checks its analytic Gaussian-wells gradient the same way
//! before trusting any optimizer built on it.
//!
//! ```
//! use quad_vs_grad::gradcheck::{check_gradient, check_hessian, DEFAULT_STEP};
//! use quad_vs_grad::landscapes::Rosenbrock;
//! use quad_vs_grad::prelude::*;
//!
//! let problem = Rosenbrock::classic();
//! let p = array![-0.7, 1.3];
//! assert!(check_gradient(&problem, &p, DEFAULT_STEP)?.passes(1e-6));
//! assert!(check_hessian(&problem, &p, DEFAULT_STEP)?.passes(1e-6));
//! # Ok::<(), argmin::core::Error>(())
//! ```

use argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Default finite-difference step `h` (scaled by `max(1, |p_i|)`).
pub const DEFAULT_STEP: f64 = 1e-5;

/// `|a − b| / max(1, |a|, |b|)`: the mixed relative/absolute error of this module.
pub fn mixed_error(a: f64, b: f64) -> f64 {
    (a - b).abs() / 1.0_f64.max(a.abs()).max(b.abs())
}

/// The outcome of [`check_gradient`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradCheck {
    /// The analytic gradient `∇L(p)`.
    pub analytic: Array1<f64>,
    /// The central-difference estimate.
    pub fd: Array1<f64>,
    /// `max_i |a_i − f_i|`.
    pub max_abs_err: f64,
    /// `max_i |a_i − f_i| / max(1, |a_i|, |f_i|)` (see the [module docs](self)).
    pub max_rel_err: f64,
}

impl GradCheck {
    /// `true` if [`GradCheck::max_rel_err`] is at most `tol` (and finite).
    pub fn passes(&self, tol: f64) -> bool {
        self.max_rel_err <= tol
    }
}

/// The outcome of [`check_hessian`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HessCheck {
    /// The analytic Hessian `∇²L(p)` (`k × k`).
    pub analytic: Array2<f64>,
    /// The estimate from central differences of the analytic gradient (`k × k`;
    /// column `j` is the difference along `e_j`, not symmetrised).
    pub fd: Array2<f64>,
    /// `max_ij |a_ij − f_ij|`.
    pub max_abs_err: f64,
    /// `max_ij |a_ij − f_ij| / max(1, |a_ij|, |f_ij|)`.
    pub max_rel_err: f64,
    /// `max_ij |a_ij − a_ji|`: how far the analytic Hessian is from symmetric.
    pub asymmetry: f64,
}

impl HessCheck {
    /// `true` if both [`HessCheck::max_rel_err`] and the asymmetry
    /// (relative to `max(1, max |a_ij|)`) are at most `tol`.
    pub fn passes(&self, tol: f64) -> bool {
        let scale = self.analytic.iter().fold(1.0_f64, |m, v| m.max(v.abs()));
        self.max_rel_err <= tol && self.asymmetry / scale <= tol
    }
}

fn check_step(h: f64) -> Result<(), ArgminError> {
    if h.is_finite() && h > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidConfig(format!(
            "finite-difference step must be finite and > 0, got {h}"
        ))
        .into())
    }
}

/// Checks `problem`'s gradient at `p` against central differences of its
/// cost with step `h` (`2k` cost evaluations for `k` parameters).
///
/// # Errors
/// If `h` is not finite and positive, the problem fails to evaluate, or the
/// gradient does not have `k` entries.
pub fn check_gradient<P>(problem: &P, p: &Array1<f64>, h: f64) -> Result<GradCheck, ArgminError>
where
    P: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>,
{
    check_step(h)?;
    let analytic = problem.gradient(p)?;
    if analytic.len() != p.len() {
        return Err(Error::Shape(format!(
            "gradient has {} entries for {} parameters",
            analytic.len(),
            p.len()
        ))
        .into());
    }
    let mut fd = Array1::zeros(p.len());
    let mut x = p.clone();
    for i in 0..p.len() {
        let hi = h * p[i].abs().max(1.0);
        x[i] = p[i] + hi;
        let up = problem.cost(&x)?;
        x[i] = p[i] - hi;
        let down = problem.cost(&x)?;
        x[i] = p[i];
        fd[i] = (up - down) / (2.0 * hi);
    }
    let (max_abs_err, max_rel_err) = errors(analytic.iter().zip(fd.iter()));
    Ok(GradCheck {
        analytic,
        fd,
        max_abs_err,
        max_rel_err,
    })
}

/// Checks `problem`'s Hessian at `p` against central differences of its
/// analytic gradient with step `h` (`2k` gradient evaluations).
///
/// # Errors
/// If `h` is not finite and positive, the problem fails to evaluate, or the
/// Hessian is not `k × k`.
pub fn check_hessian<P>(problem: &P, p: &Array1<f64>, h: f64) -> Result<HessCheck, ArgminError>
where
    P: Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>,
{
    check_step(h)?;
    let k = p.len();
    let analytic = problem.hessian(p)?;
    if analytic.dim() != (k, k) {
        return Err(Error::Shape(format!(
            "Hessian is {:?} for {k} parameters",
            analytic.dim()
        ))
        .into());
    }
    let mut fd = Array2::zeros((k, k));
    let mut x = p.clone();
    for j in 0..k {
        let hj = h * p[j].abs().max(1.0);
        x[j] = p[j] + hj;
        let up = problem.gradient(&x)?;
        x[j] = p[j] - hj;
        let down = problem.gradient(&x)?;
        x[j] = p[j];
        if up.len() != k || down.len() != k {
            return Err(Error::Shape(format!("gradient does not have {k} entries")).into());
        }
        fd.column_mut(j).assign(&((up - down) / (2.0 * hj)));
    }
    let (max_abs_err, max_rel_err) = errors(analytic.iter().zip(fd.iter()));
    let asymmetry = (0..k)
        .flat_map(|i| (0..k).map(move |j| (i, j)))
        .map(|(i, j)| (analytic[[i, j]] - analytic[[j, i]]).abs())
        .fold(0.0, f64::max);
    Ok(HessCheck {
        analytic,
        fd,
        max_abs_err,
        max_rel_err,
        asymmetry,
    })
}

/// `(max |a − b|, max mixed error)`; a non-finite entry makes both
/// infinite, so that `passes` fails.
fn errors<'a>(pairs: impl Iterator<Item = (&'a f64, &'a f64)>) -> (f64, f64) {
    pairs.fold((0.0_f64, 0.0_f64), |(abs, rel), (&a, &b)| {
        if a.is_finite() && b.is_finite() {
            (abs.max((a - b).abs()), rel.max(mixed_error(a, b)))
        } else {
            (f64::INFINITY, f64::INFINITY)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// `L = x³ + x y²` with a deliberately wrong gradient in `y` when `wrong`.
    #[derive(Clone)]
    struct Cubic {
        wrong: bool,
    }

    impl CostFunction for Cubic {
        type Param = Array1<f64>;
        type Output = f64;
        fn cost(&self, p: &Array1<f64>) -> Result<f64, ArgminError> {
            Ok(p[0].powi(3) + p[0] * p[1] * p[1])
        }
    }
    impl Gradient for Cubic {
        type Param = Array1<f64>;
        type Gradient = Array1<f64>;
        fn gradient(&self, p: &Array1<f64>) -> Result<Array1<f64>, ArgminError> {
            let gy = if self.wrong {
                p[0] * p[1]
            } else {
                2.0 * p[0] * p[1]
            };
            Ok(array![3.0 * p[0] * p[0] + p[1] * p[1], gy])
        }
    }
    impl Hessian for Cubic {
        type Param = Array1<f64>;
        type Hessian = Array2<f64>;
        fn hessian(&self, p: &Array1<f64>) -> Result<Array2<f64>, ArgminError> {
            Ok(array![[6.0 * p[0], 2.0 * p[1]], [2.0 * p[1], 2.0 * p[0]]])
        }
    }

    #[test]
    fn detects_a_wrong_gradient() {
        let p = array![0.7, -1.3];
        let ok = check_gradient(&Cubic { wrong: false }, &p, DEFAULT_STEP).unwrap();
        assert!(ok.passes(1e-8), "{ok:?}");
        let bad = check_gradient(&Cubic { wrong: true }, &p, DEFAULT_STEP).unwrap();
        assert!(!bad.passes(1e-3));
        assert!((bad.max_abs_err - 0.91).abs() < 1e-6);
        // The right Hessian matches differences of the right gradient, and
        // disagrees with differences of the wrong one.
        assert!(check_hessian(&Cubic { wrong: false }, &p, DEFAULT_STEP)
            .unwrap()
            .passes(1e-7));
        assert!(!check_hessian(&Cubic { wrong: true }, &p, DEFAULT_STEP)
            .unwrap()
            .passes(1e-3));
        assert!(check_gradient(&Cubic { wrong: false }, &p, 0.0).is_err());
    }

    #[test]
    fn mixed_error_definition() {
        assert_eq!(mixed_error(1e-3, 2e-3), 1e-3);
        assert_eq!(mixed_error(100.0, 101.0), 1.0 / 101.0);
        assert_eq!(errors([(&1.0, &f64::NAN)].into_iter()).1, f64::INFINITY);
    }
}
