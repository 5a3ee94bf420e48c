//! The Rosenbrock function: a curved, ill-conditioned valley.
//!
//! The chained form in `d ≥ 2` dimensions, with `a` and `b > 0`:
//!
//! ```text
//! f(x) = Σ_{i=0}^{d−2} [ (a − x_i)² + b (x_{i+1} − x_i²)² ]
//! ```
//!
//! is a sum of squared residuals `r_{2i} = a − x_i`,
//! `r_{2i+1} = √b (x_{i+1} − x_i²)`, so it has a genuine Gauss–Newton
//! matrix `G = 2 JᵀJ`, where `J` is the residuals' Jacobian, and
//!
//! ```text
//! ∇f = 2 Jᵀ r
//! ∇²f = 2 JᵀJ + 2 Σ_k r_k ∇²r_k,    ∇²r_{2i+1} = −2√b e_i e_iᵀ
//! ```
//!
//! For `d = 2` the minimum is `(a, a²)` with `f = 0`; for `d > 2` the crate
//! fixes `a = 1`, where the minimum is `(1, …, 1)`. At the minimum of the
//! classic `(a, b) = (1, 100)` the Hessian is `[[802, −400], [−400, 200]]`,
//! condition number about 2508: gradient descent zig-zags across the valley
//! floor while Newton follows it.
//!
//! Reference: H. H. Rosenbrock, *An automatic method for finding the greatest
//! or least value of a function*, The Computer Journal 3(3), 1960.

use crate::linalg::FixedDot;
use argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::{check_len, impl_dataless, Landscape, Minimum};
use crate::curvature::CurvatureProducts;
use crate::error::{Error, Result};

/// The (chained) Rosenbrock function; see the [module docs](self).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rosenbrock {
    dim: usize,
    a: f64,
    b: f64,
}

impl Default for Rosenbrock {
    /// The classic 2-D function, `(a, b) = (1, 100)`.
    fn default() -> Self {
        Self::classic()
    }
}

impl Rosenbrock {
    /// The classic 2-D function `(1 − x)² + 100 (y − x²)²`.
    pub fn classic() -> Self {
        Self {
            dim: 2,
            a: 1.0,
            b: 100.0,
        }
    }

    /// The 2-D function `(a − x)² + b (y − x²)²`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `a` is finite and `b` finite and `> 0`.
    pub fn new(a: f64, b: f64) -> Result<Self> {
        if !(a.is_finite() && b.is_finite() && b > 0.0) {
            return Err(Error::InvalidConfig(format!(
                "Rosenbrock needs finite a and b > 0, got a = {a}, b = {b}"
            )));
        }
        Ok(Self { dim: 2, a, b })
    }

    /// The chained function in `dim ≥ 2` dimensions with `a = 1`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `dim < 2` or `b` is not finite and `> 0`.
    pub fn chained(dim: usize, b: f64) -> Result<Self> {
        if dim < 2 {
            return Err(Error::InvalidConfig(format!(
                "Rosenbrock needs at least 2 dimensions, got {dim}"
            )));
        }
        let mut r = Self::new(1.0, b)?;
        r.dim = dim;
        Ok(r)
    }

    /// `a`.
    pub fn a(&self) -> f64 {
        self.a
    }

    /// `b`.
    pub fn b(&self) -> f64 {
        self.b
    }

    /// The residuals `r` (`2(d − 1)`) and their Jacobian `J` (`2(d − 1) × d`).
    pub fn residuals(&self, p: &Array1<f64>) -> Result<(Array1<f64>, Array2<f64>)> {
        check_len("Rosenbrock", p, self.dim)?;
        let m = 2 * (self.dim - 1);
        let sb = self.b.sqrt();
        let mut r = Array1::zeros(m);
        let mut j = Array2::zeros((m, self.dim));
        for i in 0..self.dim - 1 {
            r[2 * i] = self.a - p[i];
            j[[2 * i, i]] = -1.0;
            r[2 * i + 1] = sb * (p[i + 1] - p[i] * p[i]);
            j[[2 * i + 1, i]] = -2.0 * sb * p[i];
            j[[2 * i + 1, i + 1]] = sb;
        }
        Ok((r, j))
    }

    /// The Gauss–Newton matrix `G = 2 JᵀJ` (positive semi-definite).
    pub fn gauss_newton(&self, p: &Array1<f64>) -> Result<Array2<f64>> {
        let (_, j) = self.residuals(p)?;
        Ok(j.t().fdot(&j) * 2.0)
    }
}

impl CostFunction for Rosenbrock {
    type Param = Array1<f64>;
    type Output = f64;

    fn cost(&self, p: &Array1<f64>) -> std::result::Result<f64, ArgminError> {
        let (r, _) = self.residuals(p)?;
        Ok(r.fdot(&r))
    }
}

impl Gradient for Rosenbrock {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    fn gradient(&self, p: &Array1<f64>) -> std::result::Result<Array1<f64>, ArgminError> {
        let (r, j) = self.residuals(p)?;
        Ok(j.t().fdot(&r) * 2.0)
    }
}

impl Hessian for Rosenbrock {
    type Param = Array1<f64>;
    type Hessian = Array2<f64>;

    fn hessian(&self, p: &Array1<f64>) -> std::result::Result<Array2<f64>, ArgminError> {
        let (r, j) = self.residuals(p)?;
        let mut h = j.t().fdot(&j) * 2.0;
        let sb = self.b.sqrt();
        for i in 0..self.dim - 1 {
            h[[i, i]] += 2.0 * r[2 * i + 1] * (-2.0 * sb);
        }
        Ok(h)
    }
}

impl CurvatureProducts for Rosenbrock {
    fn hessian_vec(
        &self,
        p: &Array1<f64>,
        v: &Array1<f64>,
    ) -> std::result::Result<Array1<f64>, ArgminError> {
        check_len("Rosenbrock", v, self.dim)?;
        Ok(self.hessian(p)?.fdot(v))
    }

    /// `G v = 2 Jᵀ(J v)`.
    fn ggn_vec(
        &self,
        p: &Array1<f64>,
        v: &Array1<f64>,
    ) -> std::result::Result<Array1<f64>, ArgminError> {
        check_len("Rosenbrock", v, self.dim)?;
        let (_, j) = self.residuals(p)?;
        Ok(j.t().fdot(&j.fdot(v)) * 2.0)
    }

    fn ggn(&self, p: &Array1<f64>) -> std::result::Result<Array2<f64>, ArgminError> {
        Ok(self.gauss_newton(p)?)
    }
}

impl_dataless!(@rest Rosenbrock);

impl Landscape for Rosenbrock {
    fn name(&self) -> String {
        if self.dim == 2 {
            format!("Rosenbrock (a = {}, b = {})", self.a, self.b)
        } else {
            format!("Rosenbrock (d = {}, b = {})", self.dim, self.b)
        }
    }

    fn dim(&self) -> usize {
        self.dim
    }

    /// `x ∈ [−2, 2]`, `y ∈ [−1, 3]` (every further coordinate like `y`).
    fn domain(&self) -> Vec<(f64, f64)> {
        let mut d = vec![(-2.0, 2.0)];
        d.extend(std::iter::repeat((-1.0, 3.0)).take(self.dim - 1));
        d
    }

    /// `(−1.2, 1, 1, …)`, the classic start.
    fn start(&self) -> Array1<f64> {
        let mut s = Array1::ones(self.dim);
        s[0] = -1.2;
        s
    }

    /// `(a, a²)` in 2-D, `(1, …, 1)` in the chained form; the value is 0.
    fn global_minimum(&self) -> Option<Minimum> {
        let mut x = Array1::from_elem(self.dim, self.a);
        if self.dim == 2 {
            x[1] = self.a * self.a;
        }
        Some(Minimum {
            point: x,
            value: 0.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curvature::condition_number;
    use ndarray::array;

    #[test]
    fn classic_values() {
        let r = Rosenbrock::classic();
        let m = r.global_minimum().unwrap();
        assert_eq!(r.cost(&m.point).unwrap(), 0.0);
        assert_eq!(r.gradient(&m.point).unwrap(), array![0.0, 0.0]);
        let h = r.hessian(&m.point).unwrap();
        assert_eq!(h, array![[802.0, -400.0], [-400.0, 200.0]]);
        let k = condition_number(&h).unwrap();
        assert!((k - 2508.0).abs() < 1.0, "{k}");
        assert!((r.cost(&r.start()).unwrap() - 24.2).abs() < 1e-12);
        // f_xx = 2 − 4b(y − x²) + 8b x² at (0.5, 2)
        let h = r.hessian(&array![0.5, 2.0]).unwrap();
        assert!((h[[0, 0]] - (2.0 - 400.0 * 1.75 + 800.0 * 0.25)).abs() < 1e-12);
        // At the minimum the residuals vanish, so G = H.
        assert_eq!(
            r.gauss_newton(&m.point).unwrap(),
            r.hessian(&m.point).unwrap()
        );
    }

    #[test]
    fn chained_minimum_and_validation() {
        let r = Rosenbrock::chained(5, 100.0).unwrap();
        let m = r.global_minimum().unwrap();
        assert_eq!(r.cost(&m.point).unwrap(), 0.0);
        assert!(r.gradient(&m.point).unwrap().iter().all(|&g| g == 0.0));
        assert!(Rosenbrock::chained(1, 100.0).is_err());
        assert!(Rosenbrock::new(1.0, 0.0).is_err());
        assert!(r.cost(&array![1.0, 1.0]).is_err());
    }
}
