//! The race from many starts: how often each optimizer reaches the minimum,
//! and at what cost, so that a ranking does not rest on one run.

use crate::stats::median;
use std::fmt;

use ndarray::Array1;

use super::{evaluations, iterations_to_distance};
use crate::error::{Error, Result};
use crate::landscapes::{Landscape, Rosenbrock};
use crate::race::multistart::run_starts;
use crate::race::{OptimizerSpec, RaceConfig};

/// One optimizer over many starts.
#[derive(Clone, Debug, PartialEq)]
pub struct StartsRow {
    /// The optimizer's label.
    pub optimizer: String,
    /// Per start: the iteration at which the run came within the tolerance
    /// of the global minimum, if it did.
    pub iterations: Vec<Option<usize>>,
    /// Per start: every evaluation of the whole run (loss, gradient,
    /// Hessian, curvature).
    pub evaluations: Vec<u64>,
}

impl StartsRow {
    /// How many starts reached the minimum.
    pub fn reached(&self) -> usize {
        self.iterations.iter().flatten().count()
    }

    /// The share of starts that reached the minimum.
    pub fn share(&self) -> f64 {
        self.reached() as f64 / self.iterations.len().max(1) as f64
    }

    /// The median iteration of arrival over the starts that arrived.
    pub fn median_iterations(&self) -> Option<f64> {
        median_of(
            self.iterations
                .iter()
                .flatten()
                .map(|&k| k as f64)
                .collect(),
        )
    }

    /// The median evaluations of a whole run over the starts that arrived.
    pub fn median_evaluations(&self) -> Option<f64> {
        median_of(
            self.iterations
                .iter()
                .zip(&self.evaluations)
                .filter(|(k, _)| k.is_some())
                .map(|(_, &e)| e as f64)
                .collect(),
        )
    }

    /// The interquartile range (25th to 75th percentile, nearest rank) of
    /// the iteration of arrival, over the starts that arrived.
    pub fn iterations_iqr(&self) -> Option<(usize, usize)> {
        let mut v: Vec<usize> = self.iterations.iter().flatten().copied().collect();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let q = |p: f64| v[((p * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
        Some((q(0.25), q(0.75)))
    }
}

/// Runs every spec from every start on the problem and records, per start,
/// when (if ever) the run came within `tol` of the global minimum and how
/// many evaluations it made. Each run's seed is derived from `cfg.seed`
/// and the start's index ([`run_starts`]).
///
/// # Errors
/// [`Error::InvalidConfig`] for no starts, a start of the wrong length or a
/// tolerance that is not `> 0`.
pub fn many_starts(
    problem: &Rosenbrock,
    specs: &[OptimizerSpec],
    starts: &[Array1<f64>],
    cfg: &RaceConfig,
    tol: f64,
) -> Result<Vec<StartsRow>> {
    if starts.is_empty()
        || starts.iter().any(|s| s.len() != problem.dim())
        || tol.is_nan()
        || tol <= 0.0
    {
        return Err(Error::InvalidConfig(format!(
            "many_starts needs at least one start of length {} and tol > 0",
            problem.dim()
        )));
    }
    let min = problem
        .global_minimum()
        .map(|m| m.point.to_vec())
        .unwrap_or_default();
    Ok(specs
        .iter()
        .map(|spec| {
            let traces = run_starts(problem, spec, starts, cfg);
            StartsRow {
                optimizer: spec.display_label(cfg),
                iterations: traces
                    .iter()
                    .map(|t| iterations_to_distance(t, &min, tol))
                    .collect(),
                evaluations: traces.iter().map(evaluations).collect(),
            }
        })
        .collect())
}

/// The rows as a table: reached share, median and IQR of the arrival
/// iteration, median evaluations.
pub struct StartsTable<'a>(pub &'a [StartsRow]);

impl fmt::Display for StartsTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<28} {:>9} {:>12} {:>13} {:>12}",
            "optimizer", "reached", "median its", "IQR its", "median evals"
        )?;
        for r in self.0 {
            let med = r
                .median_iterations()
                .map_or("–".into(), |m| format!("{m:.1}"));
            let iqr = r
                .iterations_iqr()
                .map_or("–".into(), |(a, b)| format!("{a}–{b}"));
            let ev = r
                .median_evaluations()
                .map_or("–".into(), |m| format!("{m:.0}"));
            writeln!(
                f,
                "{:<28} {:>5} / {:<2} {:>12} {:>13} {:>12}",
                r.optimizer,
                r.reached(),
                r.iterations.len(),
                med,
                iqr,
                ev
            )?;
        }
        Ok(())
    }
}

/// The median of a sample, `None` when it is empty.
fn median_of(v: Vec<f64>) -> Option<f64> {
    (!v.is_empty()).then(|| median(&v))
}
