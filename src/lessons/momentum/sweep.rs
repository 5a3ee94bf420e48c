//! The momentum sweep: heavy-ball runs at one step and many `β`, measured
//! beside the prediction, and their chart.

use serde::{Deserialize, Serialize};

use super::rates::{in_open_unit, predicted_rate, predicted_steps, Tuning};
use super::runs::{run_tuning, start_distance, steps_to_distance};
use crate::error::{Error, Result};
use crate::landscapes::{Landscape, Quadratic};
use crate::plot::{LegendCorner, Series, SeriesChart, SeriesStyle};
use crate::solvers::Momentum;

/// One run of a [`MomentumSweep`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Momentum coefficient `β`.
    pub beta: f64,
    /// Measured steps to the tolerance (`None`: not reached or diverged).
    pub steps: Option<usize>,
    /// `true` if the run diverged.
    pub diverged: bool,
    /// The predicted rate at this `β`.
    pub predicted_rate: f64,
    /// [`predicted_steps`] of that rate.
    pub predicted_steps: f64,
}

/// Heavy-ball runs at one step size and many momentum coefficients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MomentumSweep {
    /// Condition number of the bowl.
    pub kappa: f64,
    /// The step size `η` of every run.
    pub lr: f64,
    /// Relative distance that counts as arrived.
    pub rel_tol: f64,
    /// One point per `β`, in the order given.
    pub points: Vec<SweepPoint>,
}

impl MomentumSweep {
    /// The `β` with the fewest measured steps (the first such on ties).
    pub fn best(&self) -> Option<SweepPoint> {
        self.points
            .iter()
            .filter(|p| p.steps.is_some())
            .min_by_key(|p| p.steps)
            .copied()
    }

    /// The smallest `β` of the sweep whose run did not diverge.
    pub fn smallest_stable_beta(&self) -> Option<f64> {
        self.points.iter().find(|p| !p.diverged).map(|p| p.beta)
    }

    /// The measured steps as markers (diverged runs as crosses) and the
    /// predicted steps as a line, in palette colour `colour`.
    pub fn series(&self, colour: usize) -> [Series; 2] {
        let measured = self
            .points
            .iter()
            .filter_map(|p| p.steps.map(|s| (p.beta, s as f64)))
            .collect();
        let failed = self
            .points
            .iter()
            .filter(|p| p.diverged)
            .map(|p| p.beta)
            .collect();
        let predicted = self
            .points
            .iter()
            .map(|p| (p.beta, p.predicted_steps))
            .collect();
        [
            Series::new(
                format!("measured, η = {:.4}", self.lr),
                measured,
                SeriesStyle::Markers,
                colour,
            )
            .with_failed(failed),
            Series::new(
                format!("predicted, η = {:.4}", self.lr),
                predicted,
                SeriesStyle::Line,
                colour,
            ),
        ]
    }
}

/// The chart of several sweeps on one bowl: steps to tolerance against `β`
/// (log scale), measured and predicted, with Polyak's `β⋆` marked.
///
/// # Errors
/// [`Error::InvalidConfig`] if `sweeps` is empty.
pub fn sweep_chart(sweeps: &[MomentumSweep], beta_star: f64) -> Result<SeriesChart> {
    let first = sweeps
        .first()
        .ok_or_else(|| Error::InvalidConfig("a sweep chart needs at least one sweep".into()))?;
    let mut chart = SeriesChart::new(
        format!(
            "Heavy ball on the bowl with κ = {}: steps to {:e} of the start's distance",
            first.kappa, first.rel_tol
        ),
        "momentum β",
        "steps (log scale)",
    )
    .log_y()
    .legend_at(LegendCorner::LowerLeft)
    .with_marker(beta_star, format!("β⋆ = {beta_star:.3}"));
    for (i, s) in sweeps.iter().enumerate() {
        for series in s.series(i + 1) {
            chart = chart.with_series(series);
        }
    }
    Ok(chart)
}

/// Evenly spaced `β` from 0 to `hi` inclusive (`n ≥ 2` values).
///
/// # Errors
/// [`Error::InvalidConfig`] unless `n ≥ 2` and `0 < hi < 1`.
pub fn beta_grid(n: usize, hi: f64) -> Result<Vec<f64>> {
    if n < 2 || !(hi > 0.0 && hi < 1.0) {
        return Err(Error::InvalidConfig(format!(
            "a β grid needs n ≥ 2 values up to 0 < hi < 1, got n = {n}, hi = {hi}"
        )));
    }
    Ok((0..n).map(|i| hi * i as f64 / (n - 1) as f64).collect())
}

/// Runs the heavy ball with step `lr` and each momentum of `betas` on `bowl`
/// (at most `max_iters` steps each, ending a run once its steps are
/// `10⁻³ · rel_tol` of the starting distance) and records the steps each needs to
/// bring the distance to the minimum down to `rel_tol` of the start's, next
/// to the prediction [`predicted_steps`]`(`[`predicted_rate`]`)`.
///
/// # Errors
/// [`Error::InvalidConfig`] for a non-positive `lr`, a `β` outside `[0, 1)`
/// or `rel_tol` outside `(0, 1)`.
pub fn momentum_sweep(
    bowl: &Quadratic,
    lr: f64,
    betas: &[f64],
    rel_tol: f64,
    max_iters: u64,
) -> Result<MomentumSweep> {
    if !(lr.is_finite() && lr > 0.0 && in_open_unit(rel_tol)) {
        return Err(Error::InvalidConfig(format!(
            "a momentum sweep needs a step > 0 and a relative tolerance in (0, 1), got {lr} and {rel_tol}"
        )));
    }
    if let Some(b) = betas.iter().find(|b| !(0.0..1.0).contains(*b)) {
        return Err(Error::InvalidConfig(format!(
            "momentum coefficients must be in [0, 1), got {b}"
        )));
    }
    let centre = bowl
        .global_minimum()
        .map(|m| m.point.to_vec())
        .unwrap_or_else(|| vec![0.0, 0.0]);
    let step_tol = start_distance(bowl) * rel_tol * 1e-3;
    let points = betas
        .iter()
        .map(|&beta| {
            let momentum = Momentum::HeavyBall(beta);
            let tuning = Tuning {
                lr,
                momentum,
                rate: predicted_rate(momentum, lr, bowl.eigenvalues()),
            };
            let trace = run_tuning(bowl, &tuning, "heavy ball", max_iters, step_tol);
            SweepPoint {
                beta,
                steps: steps_to_distance(&trace, &centre, rel_tol),
                diverged: trace.diverged(),
                predicted_rate: tuning.rate,
                predicted_steps: predicted_steps(tuning.rate, rel_tol),
            }
        })
        .collect();
    Ok(MomentumSweep {
        kappa: bowl.condition_number(),
        lr,
        rel_tol,
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::momentum::polyak_tuning;

    #[test]
    fn sweep_finds_the_optimum_near_polyak_and_reports_divergence() {
        let bowl = Quadratic::with_condition(100.0, 0.5).unwrap();
        let hb = polyak_tuning(1.0, 100.0).unwrap();
        let betas = beta_grid(34, 0.99).unwrap();
        let sweep = momentum_sweep(&bowl, hb.lr, &betas, 1e-6, 3000).unwrap();
        // η⋆ > 2/μ_max: without enough momentum the run diverges.
        assert!(sweep.points[0].diverged);
        let best = sweep.best().unwrap();
        assert!((best.beta - hb.beta()).abs() < 0.07, "{best:?}");
        assert!(momentum_sweep(&bowl, hb.lr, &[1.0], 1e-6, 10).is_err());
        assert!(sweep_chart(&[sweep], hb.beta()).is_ok());
    }
}
