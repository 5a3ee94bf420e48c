//! argmin's BFGS with each line search, from many starts.

use crate::stats::median;
use std::fmt;

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::search::{converged, run_bfgs, LineSearch};
use crate::curvature::Recordable;
use crate::error::{Error, Result};
use crate::race::RaceConfig;

/// One run's numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// Iterations (accepted steps).
    pub iterations: u64,
    /// Cost evaluations.
    pub cost_evals: u64,
    /// Gradient evaluations.
    pub gradient_evals: u64,
    /// Final loss.
    pub final_loss: f64,
    /// Whether the run [`converged`](super::converged).
    pub converged: bool,
    /// Pairs with `yᵀs ≤ 0` the run took.
    pub bad_pairs: usize,
}

/// BFGS with one line search, over all starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// The line search.
    pub line_search: LineSearch,
    /// One entry per start, in the order of the starts.
    pub runs: Vec<RunStats>,
}

impl ComparisonRow {
    /// Runs that [`converged`](super::converged).
    pub fn converged(&self) -> usize {
        self.runs.iter().filter(|r| r.converged).count()
    }

    fn median_of(&self, f: impl Fn(&RunStats) -> f64) -> f64 {
        median(
            &self
                .runs
                .iter()
                .filter(|r| r.converged)
                .map(f)
                .collect::<Vec<_>>(),
        )
    }

    /// Median iterations of the converged runs.
    pub fn median_iterations(&self) -> f64 {
        self.median_of(|r| r.iterations as f64)
    }

    /// Median cost evaluations of the converged runs.
    pub fn median_cost_evals(&self) -> f64 {
        self.median_of(|r| r.cost_evals as f64)
    }

    /// Median gradient evaluations of the converged runs.
    pub fn median_gradient_evals(&self) -> f64 {
        self.median_of(|r| r.gradient_evals as f64)
    }

    /// Median over the converged runs of (cost + gradient evaluations) per
    /// iteration: what one accepted step costs.
    pub fn median_evals_per_step(&self) -> f64 {
        self.median_of(|r| (r.cost_evals + r.gradient_evals) as f64 / r.iterations.max(1) as f64)
    }

    /// Median final loss over all runs.
    pub fn median_final_loss(&self) -> f64 {
        median(&self.runs.iter().map(|r| r.final_loss).collect::<Vec<_>>())
    }

    /// Runs that took at least one pair with `yᵀs ≤ 0`.
    pub fn runs_with_bad_pairs(&self) -> usize {
        self.runs.iter().filter(|r| r.bad_pairs > 0).count()
    }
}

/// argmin's BFGS with several line searches on one problem, from the same starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The problem's name.
    pub problem: String,
    /// The race's tolerance (`RaceConfig::tol`) the runs used.
    pub tol: f64,
    /// One row per line search.
    pub rows: Vec<ComparisonRow>,
}

impl Comparison {
    /// The row of `line_search`, if it was run.
    pub fn row(&self, line_search: LineSearch) -> Option<&ComparisonRow> {
        self.rows.iter().find(|r| r.line_search == line_search)
    }
}

/// Runs argmin's BFGS ([`run_bfgs`]) with each of `searches` from every
/// start, with the race settings `cfg` (gradient tolerance `cfg.tol`,
/// iteration and evaluation budgets).
///
/// # Errors
/// [`Error::InvalidConfig`] with no start or no line search, or a
/// parameter argmin rejects.
pub fn compare_line_searches<P: Recordable>(
    problem: &P,
    name: &str,
    starts: &[Array1<f64>],
    searches: &[LineSearch],
    cfg: &RaceConfig,
) -> Result<Comparison> {
    if starts.is_empty() || searches.is_empty() {
        return Err(Error::InvalidConfig(
            "need at least one start and one line search".into(),
        ));
    }
    let rows = searches
        .iter()
        .map(|&ls| {
            let runs = starts
                .iter()
                .map(|x0| {
                    let (trace, pairs) = run_bfgs(problem, x0, ls, cfg)?;
                    let c = trace.total_counts();
                    Ok(RunStats {
                        iterations: c.iterations,
                        cost_evals: c.cost,
                        gradient_evals: c.gradient,
                        final_loss: trace.final_loss(),
                        converged: converged(&trace),
                        bad_pairs: pairs.iter().filter(|p| p.is_bad()).count(),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(ComparisonRow {
                line_search: ls,
                runs,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Comparison {
        problem: name.to_string(),
        tol: cfg.tol,
        rows,
    })
}

impl fmt::Display for Comparison {
    /// One line per line search: converged runs, then medians over the
    /// converged runs of iterations, evaluations and evaluations per step,
    /// and the median final loss over all runs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "BFGS on {} from {} starts (medians over the runs that converged: ‖g‖ < {:e} at the end)",
            self.problem,
            self.rows.first().map_or(0, |r| r.runs.len()),
            super::STATIONARY
        )?;
        writeln!(
            f,
            "{:<32} {:>9} {:>6} {:>6} {:>6} {:>10} {:>11}",
            "line search", "converged", "iters", "costs", "grads", "evals/step", "final loss"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<32} {:>5} / {:<2} {:>6} {:>6} {:>6} {:>10.2} {:>11.3e}",
                r.line_search.label(),
                r.converged(),
                r.runs.len(),
                r.median_iterations(),
                r.median_cost_evals(),
                r.median_gradient_evals(),
                r.median_evals_per_step(),
                r.median_final_loss()
            )?;
        }
        Ok(())
    }
}
