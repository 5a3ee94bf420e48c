//! The three methods at their tunings on one bowl, and across condition
//! numbers.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::rates::{gd_tuning, in_open_unit, nesterov_tuning, polyak_tuning, Tuning};
use super::runs::{measured_rate, run_tuning, start_distance, steps_to_distance, RATE_WINDOW};
use crate::error::{Error, Result};
use crate::landscapes::{Landscape, Quadratic};
use crate::trace::Trace;

/// One method's result in a [`BowlComparison`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MethodResult {
    /// The settings it ran with (and their predicted rate).
    pub tuning: Tuning,
    /// Contraction per step measured over [`RATE_WINDOW`].
    pub measured_rate: Option<f64>,
    /// Steps until the distance to the minimum is `rel_tol` times the start's.
    pub steps: Option<usize>,
    /// The run.
    pub trace: Trace,
}

/// Gradient descent, Polyak's heavy ball and Nesterov, each at its tuning,
/// on one bowl.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BowlComparison {
    /// Condition number `κ` of the bowl.
    pub kappa: f64,
    /// The relative distance that counts as arrived.
    pub rel_tol: f64,
    /// Gradient descent at `2/(μ_min + μ_max)`, heavy ball at Polyak's
    /// tuning, Nesterov at its tuning, in this order.
    pub results: Vec<MethodResult>,
}

impl BowlComparison {
    /// The three traces (for figures).
    pub fn traces(&self) -> Vec<Trace> {
        self.results.iter().map(|r| r.trace.clone()).collect()
    }
}

/// Runs [`gd_tuning`], [`polyak_tuning`] and [`nesterov_tuning`] on `bowl`
/// for at most `max_iters` steps each (ending a run once its steps are a
/// thousandth of the smallest distance to be measured), and measures their
/// rates over [`RATE_WINDOW`] and their steps to `rel_tol`.
///
/// # Errors
/// [`Error::InvalidConfig`] if `rel_tol` is not in `(0, 1)`.
pub fn compare_on_bowl(bowl: &Quadratic, rel_tol: f64, max_iters: u64) -> Result<BowlComparison> {
    if !in_open_unit(rel_tol) {
        return Err(Error::InvalidConfig(format!(
            "the relative tolerance must be in (0, 1), got {rel_tol}"
        )));
    }
    let (lo, hi) = bowl.eigenvalues();
    let centre = bowl
        .global_minimum()
        .map(|m| m.point.to_vec())
        .unwrap_or_else(|| vec![0.0, 0.0]);
    // Stop a run once its steps are a thousandth of the smallest distance measured.
    let step_tol = start_distance(bowl) * rel_tol.min(RATE_WINDOW.1) * 1e-3;
    let tunings = [
        (gd_tuning(lo, hi)?, "GD (best step)"),
        (polyak_tuning(lo, hi)?, "Heavy ball (Polyak)"),
        (nesterov_tuning(lo, hi)?, "Nesterov"),
    ];
    let results = tunings
        .iter()
        .map(|(t, label)| {
            let trace = run_tuning(bowl, t, label, max_iters, step_tol);
            MethodResult {
                tuning: *t,
                measured_rate: measured_rate(&trace, &centre, RATE_WINDOW),
                steps: steps_to_distance(&trace, &centre, rel_tol),
                trace,
            }
        })
        .collect();
    Ok(BowlComparison {
        kappa: bowl.condition_number(),
        rel_tol,
        results,
    })
}

fn opt_usize(v: Option<usize>) -> String {
    v.map_or_else(|| "—".into(), |s| s.to_string())
}

fn opt_f64(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |s| format!("{s:.4}"))
}

impl fmt::Display for BowlComparison {
    /// One line per method: step, momentum, predicted and measured rate, steps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bowl with κ = {}; steps = until the distance to the minimum is {:e} of the start's",
            self.kappa, self.rel_tol
        )?;
        writeln!(
            f,
            "{:<20} {:>9} {:>7} {:>10} {:>10} {:>7}",
            "method", "step η", "β", "predicted", "measured", "steps"
        )?;
        for r in &self.results {
            writeln!(
                f,
                "{:<20} {:>9.5} {:>7.4} {:>10.4} {:>10} {:>7}",
                r.trace.optimizer,
                r.tuning.lr,
                r.tuning.beta(),
                r.tuning.rate,
                opt_f64(r.measured_rate),
                opt_usize(r.steps)
            )?;
        }
        Ok(())
    }
}

/// The comparison for several condition numbers: how the steps of each
/// method grow with `κ`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditioningTable {
    /// One comparison per `κ`.
    pub rows: Vec<BowlComparison>,
}

/// Runs [`compare_on_bowl`] on `Quadratic::with_condition(κ, angle)` for
/// every `κ` of `kappas`.
///
/// # Errors
/// As [`Quadratic::with_condition`] and [`compare_on_bowl`].
pub fn conditioning_table(
    kappas: &[f64],
    angle: f64,
    rel_tol: f64,
    max_iters: u64,
) -> Result<ConditioningTable> {
    let rows = kappas
        .iter()
        .map(|&k| compare_on_bowl(&Quadratic::with_condition(k, angle)?, rel_tol, max_iters))
        .collect::<Result<_>>()?;
    Ok(ConditioningTable { rows })
}

impl fmt::Display for ConditioningTable {
    /// One line per `κ`: the steps of each method and the ratio GD / heavy ball.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>7} {:>9} {:>11} {:>9} {:>13} {:>5}",
            "κ", "GD steps", "heavy ball", "Nesterov", "GD/heavy ball", "√κ"
        )?;
        for row in &self.rows {
            let s = |i: usize| row.results.get(i).and_then(|r| r.steps);
            let ratio = match (s(0), s(1)) {
                (Some(a), Some(b)) if b > 0 => format!("{:.1}", a as f64 / b as f64),
                _ => "—".into(),
            };
            writeln!(
                f,
                "{:>7} {:>9} {:>11} {:>9} {:>13} {:>5.1}",
                row.kappa,
                opt_usize(s(0)),
                opt_usize(s(1)),
                opt_usize(s(2)),
                ratio,
                row.kappa.sqrt()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_ball_measured_rate_matches_the_prediction() {
        let bowl = Quadratic::with_condition(25.0, 0.4).unwrap();
        let c = compare_on_bowl(&bowl, 1e-8, 5000).unwrap();
        for r in &c.results {
            let m = r.measured_rate.unwrap();
            // Repeated roots (critical damping) add a factor k to the error, so the
            // measured rate sits slightly above the spectral radius.
            assert!(
                m >= r.tuning.rate - 1e-3 && m <= r.tuning.rate + 0.03,
                "{}: {m} vs {}",
                r.trace.optimizer,
                r.tuning.rate
            );
        }
        let steps: Vec<usize> = c.results.iter().map(|r| r.steps.unwrap()).collect();
        assert!(steps[1] < steps[2] && steps[2] < steps[0], "{steps:?}");
    }
}
