//! The classic toy objectives of the from-scratch notes (*Optimizers-from-Scratch*,
//! see the [sources](super#sources)), each isolating one obstacle.
//!
//! | toy | `f` | `f'` (or `∇f`) | `f''` (or `∇²f`) |
//! |---|---|---|---|
//! | [`CosineWell`] | `x cos(πx)` | `cos(πx) − πx sin(πx)` | `−2π sin(πx) − π²x cos(πx)` |
//! | [`Saddle`] | `x² − y²` | `(2x, −2y)` | `diag(2, −2)` |
//! | [`TanhSlope`] | `tanh x` | `1 − tanh²x` | `−2 tanh x (1 − tanh²x)` |
//! | [`CoshValley`] | `cosh(cx)` | `c sinh(cx)` | `c² cosh(cx)` |

use argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian};
use ndarray::{array, Array1, Array2};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

use super::{bisect, check_len, impl_dataless, Landscape, Minimum};

/// Implements argmin's three traits for a 1-D toy from its `f`, `f'`, `f''`.
macro_rules! impl_1d {
    ($ty:ty) => {
        impl CostFunction for $ty {
            type Param = Array1<f64>;
            type Output = f64;

            fn cost(&self, p: &Array1<f64>) -> std::result::Result<f64, ArgminError> {
                check_len(&Landscape::name(self), p, 1)?;
                Ok(self.f(p[0]))
            }
        }

        impl Gradient for $ty {
            type Param = Array1<f64>;
            type Gradient = Array1<f64>;

            fn gradient(&self, p: &Array1<f64>) -> std::result::Result<Array1<f64>, ArgminError> {
                check_len(&Landscape::name(self), p, 1)?;
                Ok(array![self.df(p[0])])
            }
        }

        impl Hessian for $ty {
            type Param = Array1<f64>;
            type Hessian = Array2<f64>;

            fn hessian(&self, p: &Array1<f64>) -> std::result::Result<Array2<f64>, ArgminError> {
                check_len(&Landscape::name(self), p, 1)?;
                Ok(array![[self.d2f(p[0])]])
            }
        }

        impl_dataless!($ty);
    };
}

/// `f(x) = x cos(πx)` on `[−1, 2]`: a local minimum near `x ≈ −0.274`
/// (`f ≈ −0.179`) and the global minimum on the interval near `x ≈ 1.090`
/// (`f ≈ −1.047`), separated by a local maximum near `x ≈ 0.274`.
///
/// Gradient descent started left of the maximum ends in the local minimum,
/// started right of it in the global one. Outside `[−1, 2]` the function is
/// unbounded below; the interval only bounds figures and the minimum search.
///
/// ```text
/// f(x)   = x cos(πx)
/// f'(x)  = cos(πx) − πx sin(πx)
/// f''(x) = −2π sin(πx) − π² x cos(πx)
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CosineWell;

impl CosineWell {
    /// The interval of the lesson.
    pub const INTERVAL: (f64, f64) = (-1.0, 2.0);

    /// `f(x)`.
    pub fn f(&self, x: f64) -> f64 {
        x * (PI * x).cos()
    }

    /// `f'(x)`.
    pub fn df(&self, x: f64) -> f64 {
        (PI * x).cos() - PI * x * (PI * x).sin()
    }

    /// `f''(x)`.
    pub fn d2f(&self, x: f64) -> f64 {
        -2.0 * PI * (PI * x).sin() - PI * PI * x * (PI * x).cos()
    }

    /// The two local minima in `[−1, 2]`, global first. Each is the root of
    /// `f'` in a bracket where `f'` changes sign from − to +
    /// (`[0.75, 1.5]` and `[−0.5, 0]`), found by bisection to adjacent
    /// floating-point numbers; the end points `f(−1) = 1` and `f(2) = 2` are
    /// higher than both.
    pub fn local_minima(&self) -> [Minimum; 2] {
        let min_in = |lo: f64, hi: f64| {
            let x = bisect(|x| self.df(x), lo, hi);
            Minimum {
                point: array![x],
                value: self.f(x),
            }
        };
        [min_in(0.75, 1.5), min_in(-0.5, 0.0)]
    }

    /// The local maximum between the two minima (root of `f'` in `[0, 0.75]`):
    /// the watershed of gradient descent.
    pub fn local_maximum(&self) -> f64 {
        bisect(|x| self.df(x), 0.0, 0.75)
    }
}

impl_1d!(CosineWell);

impl Landscape for CosineWell {
    fn name(&self) -> String {
        "x·cos(πx) on [−1, 2]".into()
    }

    fn dim(&self) -> usize {
        1
    }

    fn domain(&self) -> Vec<(f64, f64)> {
        vec![Self::INTERVAL]
    }

    /// `x = −0.8`, left of the watershed: gradient descent ends in the
    /// local, not the global, minimum.
    fn start(&self) -> Array1<f64> {
        array![-0.8]
    }

    /// The global minimum on `[−1, 2]`.
    fn global_minimum(&self) -> Option<Minimum> {
        let [global, _] = self.local_minima();
        Some(global)
    }
}

/// `f(x, y) = x² − y²`: a saddle point at the origin, a minimum along `x` and
/// a maximum along `y`; unbounded below.
///
/// Gradient descent with step `η` maps `(x, y)` to `((1 − 2η) x, (1 + 2η) y)`:
/// from a start on the `x` axis (`y = 0`) it converges to the saddle, from
/// any start with `y ≠ 0` the `y` coordinate grows geometrically and the
/// iterate escapes. The Hessian `diag(2, −2)` is constant and indefinite, so
/// undamped Newton jumps straight onto the saddle from anywhere.
///
/// ```text
/// ∇f = (2x, −2y),   ∇²f = diag(2, −2)
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Saddle;

impl CostFunction for Saddle {
    type Param = Array1<f64>;
    type Output = f64;

    fn cost(&self, p: &Array1<f64>) -> std::result::Result<f64, ArgminError> {
        check_len("x² − y²", p, 2)?;
        Ok(p[0] * p[0] - p[1] * p[1])
    }
}

impl Gradient for Saddle {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    fn gradient(&self, p: &Array1<f64>) -> std::result::Result<Array1<f64>, ArgminError> {
        check_len("x² − y²", p, 2)?;
        Ok(array![2.0 * p[0], -2.0 * p[1]])
    }
}

impl Hessian for Saddle {
    type Param = Array1<f64>;
    type Hessian = Array2<f64>;

    fn hessian(&self, p: &Array1<f64>) -> std::result::Result<Array2<f64>, ArgminError> {
        check_len("x² − y²", p, 2)?;
        Ok(array![[2.0, 0.0], [0.0, -2.0]])
    }
}

impl_dataless!(Saddle);

impl Landscape for Saddle {
    fn name(&self) -> String {
        "x² − y² (saddle)".into()
    }

    fn dim(&self) -> usize {
        2
    }

    fn domain(&self) -> Vec<(f64, f64)> {
        vec![(-2.0, 2.0), (-2.0, 2.0)]
    }

    /// `(1.5, 0)`, on the `x` axis: the start from which gradient descent
    /// converges to the saddle.
    fn start(&self) -> Array1<f64> {
        array![1.5, 0.0]
    }

    /// `None`: the function is unbounded below (`f(0, y) = −y²`).
    fn global_minimum(&self) -> Option<Minimum> {
        None
    }
}

/// `f(x) = tanh x` started at `x = 4`: a vanishing gradient.
///
/// `f'(4) = 1 − tanh²4 ≈ 1.34e−3`, so gradient descent with step `η` moves
/// about `1.3e−3 η` per step; the infimum `−1` is approached only as
/// `x → −∞`, and there is no minimiser.
///
/// ```text
/// f'(x) = 1 − tanh²x,   f''(x) = −2 tanh x (1 − tanh²x)
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TanhSlope;

impl TanhSlope {
    /// `f(x)`.
    pub fn f(&self, x: f64) -> f64 {
        x.tanh()
    }

    /// `f'(x)`.
    pub fn df(&self, x: f64) -> f64 {
        let t = x.tanh();
        1.0 - t * t
    }

    /// `f''(x)`.
    pub fn d2f(&self, x: f64) -> f64 {
        let t = x.tanh();
        -2.0 * t * (1.0 - t * t)
    }
}

impl_1d!(TanhSlope);

impl Landscape for TanhSlope {
    fn name(&self) -> String {
        "tanh(x) from x = 4".into()
    }

    fn dim(&self) -> usize {
        1
    }

    fn domain(&self) -> Vec<(f64, f64)> {
        vec![(-5.0, 5.0)]
    }

    /// `x = 4`.
    fn start(&self) -> Array1<f64> {
        array![4.0]
    }

    /// `None`: the infimum −1 is not attained.
    fn global_minimum(&self) -> Option<Minimum> {
        None
    }
}

/// `f(x) = cosh(cx)`: a convex valley with its minimum `f(0) = 1`, where
/// Newton's method, `x ← x − tanh(cx)/c`, shows its two regimes.
///
/// Far from 0, `tanh(cx) ≈ ±1` and Newton moves by a constant `1/c` per step
/// (from `x = 10` with `c = 0.5`, steps of 2). Near 0 the error contracts
/// like `e_{k+1} = e_k − tanh(c e_k)/c ≈ c² e_k³ / 3`: faster than
/// quadratic, because `f'''(0) = 0` (an even function), so the quadratic
/// constant `|f'''(0)| / (2 f''(0))` vanishes and the ratio
/// `e_{k+1} / e_k²` tends to 0.
///
/// ```text
/// f'(x) = c sinh(cx),   f''(x) = c² cosh(cx)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoshValley {
    /// The curvature scale `c` (`f''(0) = c²`).
    pub c: f64,
}

impl Default for CoshValley {
    /// `c = 0.5`, as in the from-scratch notes.
    fn default() -> Self {
        Self { c: 0.5 }
    }
}

impl CoshValley {
    /// `cosh(cx)` for a finite, non-zero `c`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] if `c` is zero or not finite.
    pub fn new(c: f64) -> crate::Result<Self> {
        if c.is_finite() && c != 0.0 {
            Ok(Self { c })
        } else {
            Err(crate::Error::InvalidConfig(format!(
                "cosh(cx) needs a finite, non-zero c, got {c}"
            )))
        }
    }

    /// `f(x)`.
    pub fn f(&self, x: f64) -> f64 {
        (self.c * x).cosh()
    }

    /// `f'(x)`.
    pub fn df(&self, x: f64) -> f64 {
        self.c * (self.c * x).sinh()
    }

    /// `f''(x)`.
    pub fn d2f(&self, x: f64) -> f64 {
        self.c * self.c * (self.c * x).cosh()
    }
}

impl_1d!(CoshValley);

impl Landscape for CoshValley {
    fn name(&self) -> String {
        format!("cosh({}·x)", self.c)
    }

    fn dim(&self) -> usize {
        1
    }

    fn domain(&self) -> Vec<(f64, f64)> {
        vec![(-12.0, 12.0)]
    }

    /// `x = 10`, as in the from-scratch notes.
    fn start(&self) -> Array1<f64> {
        array![10.0]
    }

    /// `x* = 0`, `f(x*) = 1`.
    fn global_minimum(&self) -> Option<Minimum> {
        Some(Minimum {
            point: array![0.0],
            value: 1.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curvature::{CurvatureProducts, MiniBatched};

    #[test]
    fn cosine_well_minima() {
        let f = CosineWell;
        let [g, l] = f.local_minima();
        assert!((g.point[0] - 1.09041).abs() < 1e-5 && (g.value + 1.04672).abs() < 1e-5);
        assert!((l.point[0] + 0.27385).abs() < 1e-5 && (l.value + 0.17860).abs() < 1e-5);
        assert!(f.df(g.point[0]).abs() < 1e-14 && f.d2f(g.point[0]) > 0.0);
        assert!(f.df(l.point[0]).abs() < 1e-14 && f.d2f(l.point[0]) > 0.0);
        let m = f.local_maximum();
        assert!(m > l.point[0] && m < g.point[0] && f.d2f(m) < 0.0);
        // global on the interval: below both end points
        assert!(g.value < f.f(-1.0) && g.value < f.f(2.0) && g.value < l.value);
    }

    #[test]
    fn tanh_gradient_at_four() {
        let g = TanhSlope.df(4.0);
        assert!((g - 1.3409e-3).abs() < 1e-6, "{g}");
    }

    #[test]
    fn dataless_traits() {
        let mut s = Saddle;
        let p = array![1.0, 2.0];
        assert_eq!(
            s.hessian_vec(&p, &array![1.0, 1.0]).unwrap(),
            array![2.0, -2.0]
        );
        let err = s.ggn(&p).unwrap_err().to_string();
        assert!(err.contains("no Gauss–Newton structure"), "{err}");
        assert!(s.set_batch(None).is_ok() && s.set_batch(Some(&[0])).is_err());
        assert_eq!(s.num_examples(), 0);
        assert_eq!(s.full_batch_cost(&p).unwrap(), -3.0);
        assert!(s.cost(&array![1.0]).is_err());
        assert!(CoshValley::new(0.0).is_err());
    }
}
