//! The heavy ball's convergence rate over the whole `(η, β)` plane of a
//! quadratic, after G. Goh, *Why momentum really works* (Distill, 2017).
//!
//! Along an eigendirection with eigenvalue `μ` the heavy ball's error pair
//! `(e_k, e_{k−1})` is multiplied at every step by
//!
//! ```text
//! M(μ) = ⎡1 + β − ημ   −β⎤
//!        ⎣    1         0⎦ ,
//! ```
//!
//! whose characteristic polynomial is `ζ² − (1 + β − ημ) ζ + β`, so the
//! spectral radius `ρ(M(μ))` is [`mode_rate`]. The rate on the whole bowl is
//! the slowest direction's, `max_i ρ(M(μ_i))`. It is below 1 exactly on the
//! stability triangle `0 < ημ_max < 2(1 + β)`, `0 ≤ β < 1`, and smallest at
//! Polyak's `(η⋆, β⋆)` ([`polyak_tuning`]), where it is `(√κ − 1)/(√κ + 1)`.
//! A direction is critically damped (a double root) on the curve
//! `β = (1 − √(ημ))²` ([`critical_damping_beta`]): underdamped above it,
//! overdamped below.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::rates::{gd_tuning, mode_rate, polyak_tuning, Tuning};
use crate::error::{Error, Result};
use crate::plot::{ColourScale, FieldLine, FieldLineShape, FieldMap, FieldMark, LossGrid};
use crate::solvers::Momentum;

/// The heavy ball's contraction per step on a quadratic with Hessian
/// eigenvalues `eigenvalues`: `max_i ρ(M(μ_i))`, the largest spectral radius
/// of the iteration matrices `M(μ_i) = [[1 + β − ημ_i, −β], [1, 0]]`
/// (module doc). 1 or more means the run does not converge; an empty
/// spectrum gives 0.
pub fn heavy_ball_rate(lr: f64, beta: f64, eigenvalues: &[f64]) -> f64 {
    eigenvalues
        .iter()
        .map(|&l| mode_rate(Momentum::HeavyBall(beta), lr, l))
        .fold(0.0, f64::max)
}

/// The momentum `β = (1 − √(ημ))²` at which the direction with eigenvalue
/// `μ` is critically damped for the step `η`: the discriminant
/// `(1 + β − ημ)² − 4β` of its characteristic polynomial vanishes, with the
/// double root `ζ = 1 − √(ημ)`. NaN for `ημ < 0`.
pub fn critical_damping_beta(lr: f64, mu: f64) -> f64 {
    (1.0 - (lr * mu).sqrt()).powi(2)
}

/// [`heavy_ball_rate`] on a regular grid of steps `η` and momenta `β`, with
/// the quadratic's eigenvalues and its two classical tunings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateMap {
    /// The Hessian eigenvalues `μ_i` of the quadratic (positive).
    pub eigenvalues: Vec<f64>,
    /// Step sizes `η` (columns), evenly spaced.
    pub lrs: Vec<f64>,
    /// Momenta `β` (rows), evenly spaced.
    pub betas: Vec<f64>,
    /// `rates[[j, i]]`: the rate at `(lrs[i], betas[j])`.
    pub rates: Array2<f64>,
    /// Polyak's optimal heavy ball ([`polyak_tuning`]).
    pub polyak: Tuning,
    /// Gradient descent at its best step ([`gd_tuning`]), the `β = 0` edge.
    pub gd: Tuning,
}

/// The heavy ball's rate over `η ∈ [0, lr_max]` × `β ∈ [0, 1]` on an
/// `n × n` grid for a quadratic with the given eigenvalues.
///
/// # Errors
/// [`Error::InvalidConfig`] if an eigenvalue is not finite and positive,
/// `lr_max` is not finite and positive, or `n < 2`.
pub fn heavy_ball_rate_map(eigenvalues: &[f64], lr_max: f64, n: usize) -> Result<RateMap> {
    let bad = eigenvalues.is_empty()
        || eigenvalues.iter().any(|l| !(l.is_finite() && *l > 0.0))
        || !(lr_max.is_finite() && lr_max > 0.0)
        || n < 2;
    if bad {
        return Err(Error::InvalidConfig(format!(
            "a rate map needs positive finite eigenvalues, a positive step range and n ≥ 2, \
             got {eigenvalues:?}, {lr_max} and {n}"
        )));
    }
    let lo = eigenvalues.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = eigenvalues.iter().copied().fold(0.0, f64::max);
    let axis = |top: f64| -> Vec<f64> { (0..n).map(|k| top * k as f64 / (n - 1) as f64).collect() };
    let (lrs, betas) = (axis(lr_max), axis(1.0));
    let rates = Array2::from_shape_fn((n, n), |(j, i)| {
        heavy_ball_rate(lrs[i], betas[j], eigenvalues)
    });
    Ok(RateMap {
        eigenvalues: eigenvalues.to_vec(),
        lrs,
        betas,
        rates,
        polyak: polyak_tuning(lo, hi)?,
        gd: gd_tuning(lo, hi)?,
    })
}

impl RateMap {
    /// The smallest and largest eigenvalue.
    pub fn extremes(&self) -> (f64, f64) {
        let lo = self
            .eigenvalues
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let hi = self.eigenvalues.iter().copied().fold(0.0, f64::max);
        (lo, hi)
    }

    /// The grid point with the smallest rate: `(η, β, rate)`.
    pub fn best_on_grid(&self) -> (f64, f64, f64) {
        let mut best = (f64::NAN, f64::NAN, f64::INFINITY);
        for ((j, i), &r) in self.rates.indexed_iter() {
            if r < best.2 {
                best = (self.lrs[i], self.betas[j], r);
            }
        }
        best
    }

    /// The share of the grid where the heavy ball converges (rate < 1).
    pub fn converging_fraction(&self) -> f64 {
        let n = self.rates.iter().filter(|&&r| r < 1.0).count();
        n as f64 / self.rates.len().max(1) as f64
    }

    /// The map as a [`FieldMap`]: `log₁₀ rate` in colour, rate ≥ 1 in the
    /// ceiling colour, the critical-damping curves of `μ_min` and `μ_max`,
    /// Polyak's optimum and gradient descent's best step marked.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the grid is smaller than 2 × 2.
    pub fn chart(&self) -> Result<FieldMap> {
        let (lo, hi) = self.extremes();
        let n = self.lrs.len();
        let lr_max = self.lrs[n - 1];
        let grid = LossGrid::from_fn((0.0, lr_max), (0.0, 1.0), n, |x, y| {
            heavy_ball_rate(x, y, &self.eigenvalues).log10()
        })
        .map_err(|e| Error::InvalidConfig(e.to_string()))?
        .with_labels("step size η", "momentum β")
        .with_title(format!(
            "Heavy ball on a quadratic with μ from {lo} to {hi} (κ = {})",
            hi / lo
        ));
        let curve = |mu: f64| -> Vec<(f64, f64)> {
            (0..=400)
                .map(|k| lr_max * k as f64 / 400.0)
                .map(|lr| (lr, critical_damping_beta(lr, mu)))
                .collect()
        };
        let mut map = FieldMap::new(grid, "Convergence rate of the heavy ball", "log₁₀ rate");
        // From the best rate (rounded down to a hundredth of a decade) to
        // rate 1, so that the bar ends at a round 0 rather than at the
        // largest value below it.
        let best = (self.best_on_grid().2.min(self.polyak.rate).log10() * 100.0).floor() / 100.0;
        map.scale = Some(ColourScale::Linear { lo: best, hi: 0.0 });
        map.ceiling = Some((0.0, "rate ≥ 1: no convergence".into()));
        map.lines = vec![
            FieldLine {
                label: format!("critical damping, μmin = {lo}"),
                colour: 0,
                shape: FieldLineShape::Curve(curve(lo)),
            },
            FieldLine {
                label: format!("critical damping, μmax = {hi}"),
                colour: 1,
                shape: FieldLineShape::Curve(curve(hi)),
            },
        ];
        map.marks = vec![
            FieldMark {
                label: format!("Polyak (η⋆, β⋆), rate {:.4}", self.polyak.rate),
                point: (self.polyak.lr, self.polyak.beta()),
                colour: 3,
            },
            FieldMark {
                label: format!("gradient descent, rate {:.4}", self.gd.rate),
                point: (self.gd.lr, 0.0),
                colour: 2,
            },
        ];
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `‖Mᵏ‖^{1/k}` for the 2 × 2 iteration matrix: Gelfand's formula for its
    /// spectral radius, computed without the characteristic polynomial.
    fn gelfand_radius(lr: f64, beta: f64, mu: f64) -> f64 {
        let m = [[1.0 + beta - lr * mu, -beta], [1.0, 0.0]];
        let mut p = [[1.0, 0.0], [0.0, 1.0]];
        let mut log_scale = 0.0;
        let k = 4000;
        for _ in 0..k {
            let q = [
                [
                    p[0][0] * m[0][0] + p[0][1] * m[1][0],
                    p[0][0] * m[0][1] + p[0][1] * m[1][1],
                ],
                [
                    p[1][0] * m[0][0] + p[1][1] * m[1][0],
                    p[1][0] * m[0][1] + p[1][1] * m[1][1],
                ],
            ];
            let norm = q.iter().flatten().map(|v| v.abs()).fold(0.0, f64::max);
            log_scale += norm.ln();
            p = q.map(|row| row.map(|v| v / norm));
        }
        (log_scale / k as f64).exp()
    }

    #[test]
    fn rate_is_the_spectral_radius_of_the_iteration_matrix() {
        for (lr, beta, mu) in [(0.01, 0.5, 100.0), (0.03, 0.7, 1.0), (0.015, 0.1, 50.0)] {
            let want = gelfand_radius(lr, beta, mu);
            let got = heavy_ball_rate(lr, beta, &[mu]);
            assert!(
                (got - want).abs() < 5e-3,
                "{lr} {beta} {mu}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn optimum_has_the_closed_form_rate_and_beats_the_grid() {
        let eig = [1.0, 7.0, 100.0];
        let map = heavy_ball_rate_map(&eig, 0.044, 221).unwrap();
        let sk = 10.0;
        let closed = (sk - 1.0) / (sk + 1.0);
        let p = map.polyak;
        assert!((heavy_ball_rate(p.lr, p.beta(), &eig) - closed).abs() < 1e-6);
        assert!((p.lr - 4.0 / 121.0).abs() < 1e-15);
        assert!((p.beta() - closed * closed).abs() < 1e-15);
        let (lr, beta, rate) = map.best_on_grid();
        assert!(rate >= closed - 1e-9, "{rate} below the optimum {closed}");
        assert!(rate < closed + 0.01, "{rate}");
        assert!((lr - p.lr).abs() < 2e-3 && (beta - p.beta()).abs() < 0.05);
    }

    #[test]
    fn stability_region_and_critical_damping() {
        // Stable iff η μmax < 2 (1 + β) (and η > 0, β < 1).
        assert!(heavy_ball_rate(0.039, 0.96, &[1.0, 100.0]) < 1.0);
        assert!(heavy_ball_rate(0.03, 0.49, &[1.0, 100.0]) > 1.0);
        assert!(heavy_ball_rate(0.03, 0.51, &[1.0, 100.0]) < 1.0);
        // At critical damping the double root is 1 − √(ημ).
        let b = critical_damping_beta(0.0025, 100.0);
        assert!((b - 0.25).abs() < 1e-15);
        assert!((heavy_ball_rate(0.0025, b, &[100.0]) - 0.5).abs() < 1e-7);
        assert!(heavy_ball_rate_map(&[0.0, 1.0], 1.0, 10).is_err());
        assert!(heavy_ball_rate_map(&[1.0], 1.0, 1).is_err());
        let map = heavy_ball_rate_map(&[1.0, 100.0], 0.044, 41).unwrap();
        assert!(map.converging_fraction() > 0.3 && map.converging_fraction() < 1.0);
        assert!(map.chart().is_ok());
    }
}
