//! The predicted contraction per step of gradient descent, the heavy ball
//! and Nesterov on a quadratic, and the three classical tunings.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::solvers::Momentum;

/// A choice of step and momentum with the contraction per step it predicts
/// on a quadratic with the given eigenvalues.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tuning {
    /// Learning rate `η`.
    pub lr: f64,
    /// Momentum variant and coefficient `β`.
    pub momentum: Momentum,
    /// The predicted rate ([`predicted_rate`]) at these settings.
    pub rate: f64,
}

impl Tuning {
    /// The momentum coefficient `β` (0 for plain gradient descent).
    pub fn beta(&self) -> f64 {
        match self.momentum {
            Momentum::None => 0.0,
            Momentum::HeavyBall(b) | Momentum::Nesterov(b) => b,
        }
    }
}

/// `0 < x < 1` (false for NaN).
pub(crate) fn in_open_unit(x: f64) -> bool {
    x > 0.0 && x < 1.0
}

fn check_spectrum(mu_min: f64, mu_max: f64) -> Result<()> {
    if mu_min.is_finite() && mu_max.is_finite() && 0.0 < mu_min && mu_min <= mu_max {
        Ok(())
    } else {
        Err(Error::InvalidConfig(format!(
            "a tuning needs finite eigenvalues 0 < μ_min ≤ μ_max, got {mu_min} and {mu_max}"
        )))
    }
}

/// Gradient descent at its best fixed step `η = 2/(μ_min + μ_max)`, rate
/// `(κ − 1)/(κ + 1)`.
///
/// # Errors
/// [`Error::InvalidConfig`] unless `0 < mu_min ≤ mu_max` are finite.
pub fn gd_tuning(mu_min: f64, mu_max: f64) -> Result<Tuning> {
    check_spectrum(mu_min, mu_max)?;
    let lr = 2.0 / (mu_min + mu_max);
    let momentum = Momentum::None;
    Ok(Tuning {
        lr,
        momentum,
        rate: predicted_rate(momentum, lr, (mu_min, mu_max)),
    })
}

/// Polyak's optimal heavy ball: `η = 4/(√μ_max + √μ_min)²`,
/// `β = ((√κ − 1)/(√κ + 1))²`, rate `(√κ − 1)/(√κ + 1)`.
///
/// Both extreme eigendirections are critically damped (their characteristic
/// polynomials have a double root `√β`), and every direction in between is
/// underdamped with modulus `√β`.
///
/// # Errors
/// [`Error::InvalidConfig`] unless `0 < mu_min ≤ mu_max` are finite.
pub fn polyak_tuning(mu_min: f64, mu_max: f64) -> Result<Tuning> {
    check_spectrum(mu_min, mu_max)?;
    let (a, b) = (mu_min.sqrt(), mu_max.sqrt());
    let lr = 4.0 / (a + b).powi(2);
    let r = (b - a) / (b + a);
    let momentum = Momentum::HeavyBall(r * r);
    Ok(Tuning {
        lr,
        momentum,
        rate: predicted_rate(momentum, lr, (mu_min, mu_max)),
    })
}

/// Nesterov's constant-momentum tuning: `η = 1/μ_max`,
/// `β = (√κ − 1)/(√κ + 1)`, rate `1 − 1/√κ` on a quadratic.
///
/// # Errors
/// [`Error::InvalidConfig`] unless `0 < mu_min ≤ mu_max` are finite.
pub fn nesterov_tuning(mu_min: f64, mu_max: f64) -> Result<Tuning> {
    check_spectrum(mu_min, mu_max)?;
    let sk = (mu_max / mu_min).sqrt();
    let lr = 1.0 / mu_max;
    let momentum = Momentum::Nesterov((sk - 1.0) / (sk + 1.0));
    Ok(Tuning {
        lr,
        momentum,
        rate: predicted_rate(momentum, lr, (mu_min, mu_max)),
    })
}

/// The largest modulus of the roots of `ζ² − a ζ + c` (real `a`, `c`).
fn root_modulus(a: f64, c: f64) -> f64 {
    let d = a * a - 4.0 * c;
    if d < 0.0 {
        c.sqrt()
    } else {
        let s = d.sqrt();
        (a + s).abs().max((a - s).abs()) / 2.0
    }
}

/// The contraction per step of one eigendirection (eigenvalue `mu`) of a
/// quadratic under gradient descent with step `lr` and `momentum`: the
/// spectral radius of the method's linear recurrence on that direction
/// (see the module doc). A value above 1 means the direction diverges.
pub fn mode_rate(momentum: Momentum, lr: f64, mu: f64) -> f64 {
    let q = 1.0 - lr * mu;
    match momentum {
        Momentum::None => q.abs(),
        Momentum::HeavyBall(b) => root_modulus(1.0 + b - lr * mu, b),
        Momentum::Nesterov(b) => root_modulus((1.0 + b) * q, b * q),
    }
}

/// The contraction per step on a quadratic with eigenvalues in
/// `[μ_min, μ_max]`: the larger of the two extreme directions' rates.
///
/// For the three methods here the rate of an intermediate eigenvalue never
/// exceeds the larger of the two ends (the modulus is `√β` or `√(βq)` in the
/// complex range and monotone in `μ` outside it), so two evaluations suffice.
pub fn predicted_rate(momentum: Momentum, lr: f64, (mu_min, mu_max): (f64, f64)) -> f64 {
    mode_rate(momentum, lr, mu_min).max(mode_rate(momentum, lr, mu_max))
}

/// The number of steps `ln(rel_tol) / ln(rate)` that a contraction `rate`
/// needs to shrink the error by `rel_tol` (transients ignored); infinite for
/// `rate ≥ 1`.
pub fn predicted_steps(rate: f64, rel_tol: f64) -> f64 {
    if rate < 1.0 && rate > 0.0 {
        rel_tol.ln() / rate.ln()
    } else if rate <= 0.0 {
        1.0
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunings_match_their_closed_forms() {
        let (gd, hb, nag) = (
            gd_tuning(1.0, 100.0).unwrap(),
            polyak_tuning(1.0, 100.0).unwrap(),
            nesterov_tuning(1.0, 100.0).unwrap(),
        );
        assert!((gd.lr - 2.0 / 101.0).abs() < 1e-15);
        assert!((gd.rate - 99.0 / 101.0).abs() < 1e-12);
        assert!((hb.lr - 4.0 / 121.0).abs() < 1e-15);
        assert!((hb.beta() - (9.0f64 / 11.0).powi(2)).abs() < 1e-15);
        assert!((hb.rate - 9.0 / 11.0).abs() < 1e-6, "{}", hb.rate);
        assert!((nag.lr - 0.01).abs() < 1e-15);
        assert!((nag.rate - 0.9).abs() < 1e-6, "{}", nag.rate);
        assert!(polyak_tuning(0.0, 1.0).is_err());
        assert!(gd_tuning(2.0, 1.0).is_err());
    }

    #[test]
    fn polyak_tuning_minimises_the_heavy_ball_rate() {
        let hb = polyak_tuning(1.0, 50.0).unwrap();
        for dl in [-1e-3, 1e-3] {
            for db in [-1e-3, 1e-3] {
                let r = predicted_rate(
                    Momentum::HeavyBall(hb.beta() + db),
                    hb.lr + dl * hb.lr,
                    (1.0, 50.0),
                );
                assert!(r >= hb.rate - 1e-9, "{r} < {}", hb.rate);
            }
        }
    }

    #[test]
    fn mode_rates_by_hand() {
        // GD: |1 − ημ|.
        assert_eq!(mode_rate(Momentum::None, 0.5, 3.0), 0.5);
        // Heavy ball, underdamped: √β.
        assert!((mode_rate(Momentum::HeavyBall(0.81), 0.1, 1.0) - 0.9).abs() < 1e-15);
        // Heavy ball, β = 0: gradient descent.
        assert!((mode_rate(Momentum::HeavyBall(0.0), 0.1, 4.0) - 0.6).abs() < 1e-15);
        // Nesterov with ημ = 1 kills the mode at once.
        assert_eq!(mode_rate(Momentum::Nesterov(0.9), 0.5, 2.0), 0.0);
        assert_eq!(predicted_steps(0.5, 0.25), 2.0);
        assert!(predicted_steps(1.2, 0.1).is_infinite());
    }
}
