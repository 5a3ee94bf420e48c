//! A rotated quadratic bowl with a chosen condition number: the problem on
//! which the theory of gradient descent and momentum is exact.

use crate::linalg::FixedDot;
use argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian};
use ndarray::{array, Array1, Array2};
use serde::{Deserialize, Serialize};

use super::{check_len, Landscape, Minimum};
use crate::error::{Error, Result};

/// `f(x) = ½ (x − x⋆)ᵀ H (x − x⋆)` in two dimensions, with
/// `H = R(φ) diag(μ_min, μ_max) R(φ)ᵀ` positive definite (`R(φ)` the rotation
/// by `φ = angle`), minimum `f(x⋆) = 0`.
///
/// Its Hessian is `H` everywhere, so every statement about gradient descent
/// near a minimum holds here exactly: along the eigendirection of `μ` the
/// error is multiplied by `1 − ημ` per step, the step is stable for
/// `η < 2/μ_max`, the best fixed step is `η⋆ = 2/(μ_min + μ_max)` with
/// contraction `(κ − 1)/(κ + 1)` per step, where `κ = μ_max/μ_min` is the
/// condition number. Undamped Newton lands on `x⋆` in one step from anywhere.
///
/// It is also a sum of squares, `f = ½‖H^{1/2}(x − x⋆)‖²`, with residual
/// Jacobian `H^{1/2}`: its Gauss–Newton matrix is `H`, the Hessian.
///
/// ```text
/// ∇f = H (x − x⋆),   ∇²f = H
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quadratic {
    a: Array2<f64>,
    centre: Array1<f64>,
    mu: (f64, f64),
    angle: f64,
}

impl Quadratic {
    /// The bowl with eigenvalues `mu_min ≤ mu_max` (both `> 0`), its
    /// long axis (the eigenvector of `mu_min`) at `angle` radians from the
    /// `x` axis, minimum at the origin.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `0 < mu_min ≤ mu_max` are
    /// finite and `angle` is finite.
    pub fn new(mu_min: f64, mu_max: f64, angle: f64) -> Result<Self> {
        if !(mu_min.is_finite()
            && mu_max.is_finite()
            && mu_min > 0.0
            && mu_min <= mu_max
            && angle.is_finite())
        {
            return Err(Error::InvalidConfig(format!(
                "a quadratic bowl needs finite eigenvalues 0 < μ_min ≤ μ_max and a finite angle, \
                 got μ_min = {mu_min}, μ_max = {mu_max}, angle = {angle}"
            )));
        }
        let (c, s) = (angle.cos(), angle.sin());
        // Columns of R: the long axis (μ_min) and the short axis (μ_max).
        let r = array![[c, -s], [s, c]];
        let d = Array2::from_diag(&array![mu_min, mu_max]);
        let mut a = r.fdot(&d).fdot(&r.t());
        // Exactly symmetric.
        let off = 0.5 * (a[[0, 1]] + a[[1, 0]]);
        a[[0, 1]] = off;
        a[[1, 0]] = off;
        Ok(Self {
            a,
            centre: array![0.0, 0.0],
            mu: (mu_min, mu_max),
            angle,
        })
    }

    /// The bowl with condition number `kappa ≥ 1`: eigenvalues `1` and
    /// `kappa`, long axis at `angle`.
    ///
    /// # Errors
    /// As [`Quadratic::new`].
    pub fn with_condition(kappa: f64, angle: f64) -> Result<Self> {
        Self::new(1.0, kappa, angle)
    }

    /// The same bowl with its minimum moved to `centre`.
    ///
    /// # Errors
    /// [`Error::Shape`] unless `centre` has two finite entries.
    pub fn centred_at(mut self, centre: Array1<f64>) -> Result<Self> {
        check_len("quadratic bowl", &centre, 2)?;
        if !centre.iter().all(|v| v.is_finite()) {
            return Err(Error::InvalidConfig(format!(
                "the centre of a quadratic bowl must be finite, got {centre}"
            )));
        }
        self.centre = centre;
        Ok(self)
    }

    /// The matrix `H` (the Hessian everywhere).
    pub fn matrix(&self) -> &Array2<f64> {
        &self.a
    }

    /// `(μ_min, μ_max)`.
    pub fn eigenvalues(&self) -> (f64, f64) {
        self.mu
    }

    /// The condition number `κ = μ_max / μ_min`.
    pub fn condition_number(&self) -> f64 {
        self.mu.1 / self.mu.0
    }

    /// The largest stable fixed step of gradient descent, `2/μ_max`.
    pub fn stability_limit(&self) -> f64 {
        2.0 / self.mu.1
    }

    /// The best fixed step of gradient descent, `2/(μ_min + μ_max)`.
    pub fn best_step(&self) -> f64 {
        2.0 / (self.mu.0 + self.mu.1)
    }

    /// The per-step error factor of gradient descent with step `lr` in the
    /// worst eigendirection, `max(|1 − ημ_min|, |1 − ημ_max|)`.
    pub fn gd_contraction(&self, lr: f64) -> f64 {
        (1.0 - lr * self.mu.0)
            .abs()
            .max((1.0 - lr * self.mu.1).abs())
    }

    fn offset(&self, p: &Array1<f64>) -> std::result::Result<Array1<f64>, ArgminError> {
        check_len("quadratic bowl", p, 2)?;
        Ok(p - &self.centre)
    }
}

impl CostFunction for Quadratic {
    type Param = Array1<f64>;
    type Output = f64;

    fn cost(&self, p: &Array1<f64>) -> std::result::Result<f64, ArgminError> {
        let e = self.offset(p)?;
        Ok(0.5 * e.fdot(&self.a.fdot(&e)))
    }
}

impl Gradient for Quadratic {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    fn gradient(&self, p: &Array1<f64>) -> std::result::Result<Array1<f64>, ArgminError> {
        let e = self.offset(p)?;
        Ok(self.a.fdot(&e))
    }
}

impl Hessian for Quadratic {
    type Param = Array1<f64>;
    type Hessian = Array2<f64>;

    fn hessian(&self, p: &Array1<f64>) -> std::result::Result<Array2<f64>, ArgminError> {
        check_len("quadratic bowl", p, 2)?;
        Ok(self.a.clone())
    }
}

impl crate::curvature::CurvatureProducts for Quadratic {
    fn hessian_vec(
        &self,
        p: &Array1<f64>,
        v: &Array1<f64>,
    ) -> std::result::Result<Array1<f64>, ArgminError> {
        check_len("quadratic bowl", p, 2)?;
        check_len("quadratic bowl", v, 2)?;
        Ok(self.a.fdot(v))
    }

    /// The residual `H^{1/2}(x − x⋆)` has Jacobian `H^{1/2}`: the GGN is `H`.
    fn ggn_vec(
        &self,
        p: &Array1<f64>,
        v: &Array1<f64>,
    ) -> std::result::Result<Array1<f64>, ArgminError> {
        self.hessian_vec(p, v)
    }

    fn ggn(&self, p: &Array1<f64>) -> std::result::Result<Array2<f64>, ArgminError> {
        self.hessian(p)
    }
}

super::impl_dataless!(@rest Quadratic);

impl Landscape for Quadratic {
    fn name(&self) -> String {
        format!("quadratic bowl (κ = {})", self.condition_number())
    }

    fn dim(&self) -> usize {
        2
    }

    fn domain(&self) -> Vec<(f64, f64)> {
        let (cx, cy) = (self.centre[0], self.centre[1]);
        vec![(cx - 2.0, cx + 2.0), (cy - 2.0, cy + 2.0)]
    }

    /// A start two units from the minimum along the long axis rotated by
    /// 45°, so that both eigendirections carry error.
    fn start(&self) -> Array1<f64> {
        let t = self.angle + std::f64::consts::FRAC_PI_4;
        array![
            self.centre[0] + 1.5 * t.cos(),
            self.centre[1] + 1.5 * t.sin()
        ]
    }

    fn global_minimum(&self) -> Option<Minimum> {
        Some(Minimum {
            point: self.centre.clone(),
            value: 0.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curvature::eigenvalues;

    #[test]
    fn matrix_has_the_requested_spectrum() {
        let q = Quadratic::new(0.5, 50.0, 0.7).unwrap();
        let ev = eigenvalues(q.matrix()).unwrap();
        assert!((ev[0] - 0.5).abs() < 1e-12 && (ev[1] - 50.0).abs() < 1e-12);
        assert!((q.condition_number() - 100.0).abs() < 1e-12);
        assert!((q.best_step() - 2.0 / 50.5).abs() < 1e-15);
        // At the best step both directions contract by (κ − 1)/(κ + 1).
        assert!((q.gd_contraction(q.best_step()) - 99.0 / 101.0).abs() < 1e-12);
    }

    #[test]
    fn gradient_is_a_times_offset_and_minimum_is_zero() {
        let q = Quadratic::with_condition(10.0, 0.3)
            .unwrap()
            .centred_at(array![1.0, -1.0])
            .unwrap();
        let m = q.global_minimum().unwrap();
        assert_eq!(q.cost(&m.point).unwrap(), 0.0);
        let p = array![0.2, 0.4];
        let g = q.gradient(&p).unwrap();
        let e = &p - &array![1.0, -1.0];
        assert!((&g - &q.matrix().fdot(&e)).iter().all(|d| d.abs() < 1e-14));
    }

    #[test]
    fn rejects_bad_spectra() {
        assert!(Quadratic::new(0.0, 1.0, 0.0).is_err());
        assert!(Quadratic::new(2.0, 1.0, 0.0).is_err());
        assert!(Quadratic::new(1.0, f64::INFINITY, 0.0).is_err());
        assert!(Quadratic::with_condition(4.0, 0.0)
            .unwrap()
            .centred_at(array![f64::NAN, 0.0])
            .is_err());
    }
}
