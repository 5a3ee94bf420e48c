//! Damping for every damped second-order solver (damped and saddle-free
//! Newton, Gauss–Newton, K-FAC, Hessian-free): a fixed `λ`, or
//! Levenberg–Marquardt adaptation from the reduction ratio. The iteration
//! that applies it is [`super::Damped`]'s.

use argmin::core::Error;
use serde::{Deserialize, Serialize};

use super::common::check_positive;

/// The Levenberg–Marquardt rule for adapting a damping `λ` from the
/// reduction ratio
///
/// ```text
/// ρ = (L(p + Δ) − L(p)) / (q(Δ) − q(0)),     q(Δ) − q(0) = gᵀΔ + ½ ΔᵀCΔ
/// ```
///
/// (actual over predicted decrease, with the *undamped* quadratic model of
/// curvature `C`): `λ ← λ·shrink` if `ρ > 3/4` (the model is trustworthy),
/// `λ ← λ·grow` if `ρ < 1/4` (it is not), unchanged otherwise, and clamped
/// to `[min, max]`. Martens (2010) uses `shrink = 2/3`, `grow = 3/2`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevenbergMarquardt {
    /// Factor applied when `ρ > 3/4` (in `(0, 1)`, default 2/3).
    pub shrink: f64,
    /// Factor applied when `ρ < 1/4` (> 1, default 3/2).
    pub grow: f64,
    /// Lower clamp of `λ` (default 1e-8).
    pub min: f64,
    /// Upper clamp of `λ` (default 1e8).
    pub max: f64,
}

impl Default for LevenbergMarquardt {
    fn default() -> Self {
        Self {
            shrink: 2.0 / 3.0,
            grow: 1.5,
            min: 1e-8,
            max: 1e8,
        }
    }
}

impl LevenbergMarquardt {
    /// The next damping after a step with reduction ratio `rho` (NaN counts as bad).
    // ANCHOR: lm_lambda
    pub fn update(&self, lambda: f64, rho: f64) -> f64 {
        let next = if rho > 0.75 {
            lambda * self.shrink
        } else if rho >= 0.25 {
            lambda
        } else {
            lambda * self.grow
        };
        next.clamp(self.min, self.max)
    }
    // ANCHOR_END: lm_lambda
}

/// The radius rule of a trust-region method, the other way to act on the
/// reduction ratio: instead of damping the model, trust it within a ball of
/// radius `r` around the iterate, take the model's best step `p` with
/// `‖p‖ ≤ r` (argmin solves that subproblem with Steihaug's CG), and judge it
/// by
///
/// ```text
/// ρ = (f(x) − f(x + p)) / (m(0) − m(p)),     m(p) = f(x) + gᵀp + ½ pᵀHp
/// ```
///
/// `ρ < 1/4`: the model was wrong at that distance, so the radius shrinks to
/// a quarter of the step just taken; `ρ > 3/4` with a step on the boundary
/// (`‖p‖ = r`, to 10 ulp): the model was right and the ball was what held the
/// step back, so the radius doubles, up to `max_radius`; otherwise it stays.
/// The step is taken only when `ρ > η`. A NaN `ρ` keeps the radius and
/// rejects the step.
///
/// These are argmin's `TrustRegion` constants and tests (`max_radius = 100`,
/// `η = 1/8`, start radius 1), which is the race's `trust-region`; the test
/// `trust_region_rule_reproduces_argmins_trust_region` (tests/solvers.rs)
/// runs this rule with argmin's subproblem and gets argmin's iterates, bit
/// for bit. Reference: J. Nocedal and S. J. Wright, *Numerical
/// Optimization*, 2nd ed., Algorithm 4.1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrustRegionRule {
    /// The largest radius (argmin's default 100).
    pub max_radius: f64,
    /// A step is taken when `ρ > η` (`η ∈ [0, 1/4)`, argmin's default 1/8).
    pub eta: f64,
}

impl Default for TrustRegionRule {
    fn default() -> Self {
        Self {
            max_radius: 100.0,
            eta: 0.125,
        }
    }
}

impl TrustRegionRule {
    // ANCHOR: trust_region_radius
    /// The next radius after a step of length `step_norm` with ratio `rho`.
    pub fn next_radius(&self, rho: f64, radius: f64, step_norm: f64) -> f64 {
        if rho < 0.25 {
            0.25 * step_norm // the model was wrong: shrink
        } else if rho > 0.75 && (step_norm - radius).abs() <= 10.0 * f64::EPSILON {
            self.max_radius.min(2.0 * radius) // right, on the boundary: grow
        } else {
            radius
        }
    }

    /// Whether the step is taken (a NaN `rho` rejects it).
    pub fn accepts(&self, rho: f64) -> bool {
        rho > self.eta
    }
    // ANCHOR_END: trust_region_radius
}

/// The reduction ratio `ρ = actual / predicted` (see [`LevenbergMarquardt`]).
///
/// A non-negative prediction (the model promises no decrease) gives `ρ = −∞`
/// unless the actual change is zero too (`ρ = 1`).
pub fn reduction_ratio(actual: f64, predicted: f64) -> f64 {
    if predicted < 0.0 {
        actual / predicted
    } else if actual == 0.0 {
        1.0
    } else {
        f64::NEG_INFINITY
    }
}

/// How a damped solver damps its curvature `C`: it solves with `C + λI` (or
/// a factored equivalent, for K-FAC), with `λ` either fixed, or adapted by
/// the [`LevenbergMarquardt`] rule, in which case steps that raise the loss
/// (on the current batch) are rejected: the iterate stays put and `λ` grows.
///
/// Build it with [`Damping::fixed`] or [`Damping::adaptive`], which validate
/// `λ`, so a `Damping` is valid by construction; every damped solver takes it
/// through the same `with_damping(Damping) -> Self`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Damping {
    lambda: f64,
    adaptive: Option<LevenbergMarquardt>,
}

impl Default for Damping {
    /// [`Damping::DEFAULT`], a fixed `λ = 0.1`.
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Damping {
    /// Fixed `λ = 0`: no damping (damped Newton's default).
    pub const NONE: Self = Self {
        lambda: 0.0,
        adaptive: None,
    };

    /// Fixed `λ = 0.1`: the default of saddle-free Newton, Gauss–Newton,
    /// K-FAC and Hessian-free, and the reference race's damping.
    pub const DEFAULT: Self = Self {
        lambda: 0.1,
        adaptive: None,
    };

    /// A constant `λ ≥ 0`; every step is taken.
    ///
    /// # Errors
    /// `InvalidParameter` unless `lambda` is finite and `>= 0`.
    pub fn fixed(lambda: f64) -> Result<Self, Error> {
        Ok(Self {
            lambda: check_positive("Damping", "damping", lambda, true)?,
            adaptive: None,
        })
    }

    /// Levenberg–Marquardt adaptation from `initial > 0` with Martens'
    /// factors ([`LevenbergMarquardt::default`]).
    ///
    /// # Errors
    /// `InvalidParameter` unless `initial` is finite and `> 0`.
    pub fn adaptive(initial: f64) -> Result<Self, Error> {
        Ok(Self {
            lambda: check_positive("Damping", "initial damping", initial, false)?,
            adaptive: Some(LevenbergMarquardt::default()),
        })
    }

    /// Levenberg–Marquardt adaptation from `initial > 0` with the given rule.
    ///
    /// # Errors
    /// `InvalidParameter` unless `initial` is finite and `> 0`, `0 < shrink < 1 < grow`
    /// (finite), `0 < min ≤ max` (finite) and `initial ∈ [min, max]`.
    pub fn adaptive_with(initial: f64, rule: LevenbergMarquardt) -> Result<Self, Error> {
        let lambda = check_positive("Damping", "initial damping", initial, false)?;
        let ok = rule.shrink > 0.0
            && rule.shrink < 1.0
            && rule.grow > 1.0
            && rule.grow.is_finite()
            && rule.min > 0.0
            && rule.min <= rule.max
            && rule.max.is_finite()
            && (rule.min..=rule.max).contains(&lambda);
        if !ok {
            return Err(argmin::core::ArgminError::InvalidParameter {
                text: format!(
                    "`Damping`: need 0 < shrink < 1 < grow, 0 < min <= initial <= max < inf; got {rule:?} and initial {initial}"
                ),
            }
            .into());
        }
        Ok(Self {
            lambda,
            adaptive: Some(rule),
        })
    }

    /// The damping `λ` the next step uses.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// `true` for Levenberg–Marquardt adaptation.
    pub fn is_adaptive(&self) -> bool {
        self.adaptive.is_some()
    }

    /// The adaptation rule, if adaptive.
    pub fn rule(&self) -> Option<&LevenbergMarquardt> {
        self.adaptive.as_ref()
    }

    /// After a step with reduction ratio `rho`: adapts `λ` (if adaptive) and
    /// tells whether to accept the step, given the losses before (`before`)
    /// and at the trial point (`after`, `None` if not evaluated). A fixed
    /// damping accepts every step; an adaptive one only a step that does not
    /// raise the loss.
    pub fn update(&mut self, rho: f64, before: f64, after: Option<f64>) -> bool {
        match &self.adaptive {
            None => true,
            Some(rule) => {
                self.lambda = rule.update(self.lambda, rho);
                after.is_some_and(|f1| f1 <= before)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lm_rule() {
        let lm = LevenbergMarquardt::default();
        assert!((lm.update(1.0, 0.9) - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(lm.update(1.0, 0.5), 1.0);
        assert_eq!(lm.update(1.0, 0.1), 1.5);
        assert_eq!(lm.update(1.0, f64::NAN), 1.5);
        assert_eq!(lm.update(1e8, -1.0), 1e8);
        assert_eq!(lm.update(1e-8, 1.0), 1e-8);
    }

    #[test]
    fn ratio() {
        assert_eq!(reduction_ratio(-1.0, -2.0), 0.5);
        assert_eq!(reduction_ratio(1.0, 0.0), f64::NEG_INFINITY);
        assert_eq!(reduction_ratio(0.0, 0.0), 1.0);
    }

    #[test]
    fn constructors() {
        assert!(Damping::fixed(-1.0).is_err());
        assert!(Damping::fixed(f64::INFINITY).is_err());
        assert!(Damping::adaptive(0.0).is_err());
        assert!(Damping::adaptive(f64::NAN).is_err());
        assert_eq!(Damping::adaptive(0.1).unwrap().lambda(), 0.1);
        assert!(!Damping::fixed(0.0).unwrap().is_adaptive());
        let lm = LevenbergMarquardt::default();
        assert!(Damping::adaptive_with(0.1, lm).is_ok());
        for bad in [
            LevenbergMarquardt { shrink: 1.0, ..lm },
            LevenbergMarquardt { grow: 0.9, ..lm },
            LevenbergMarquardt { min: 0.0, ..lm },
            LevenbergMarquardt {
                min: 1.0,
                max: 0.5,
                ..lm
            },
        ] {
            assert!(Damping::adaptive_with(0.1, bad).is_err(), "{bad:?}");
        }
        assert!(Damping::adaptive_with(1e9, lm).is_err());
    }

    #[test]
    fn update_adapts_and_accepts() {
        let mut fixed = Damping::fixed(0.1).unwrap();
        assert!(fixed.update(-5.0, 1.0, Some(2.0)));
        assert_eq!(fixed.lambda(), 0.1);
        let mut lm = Damping::adaptive(0.3).unwrap();
        assert!(lm.update(0.9, 1.0, Some(0.5)));
        assert!((lm.lambda() - 0.2).abs() < 1e-15);
        assert!(!lm.update(-1.0, 1.0, Some(1.5)));
        assert!((lm.lambda() - 0.3).abs() < 1e-15);
        assert!(!lm.update(f64::NAN, 1.0, None));
    }
}
