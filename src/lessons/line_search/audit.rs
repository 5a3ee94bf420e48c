//! BFGS with a line search that checks sufficient decrease only: how often
//! it takes a pair with `yᵀs ≤ 0`, and what follows.

use std::fmt;

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::search::{converged, run_bfgs, LineSearch};
use super::watch::Pair;
use crate::curvature::Recordable;
use crate::error::{Error, Result};
use crate::race::RaceConfig;
use crate::trace::StopReason;

/// One run of BFGS with a given line search, seen through its pairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRun {
    /// The start.
    pub start: Vec<f64>,
    /// Every pair the run took.
    pub pairs: Vec<Pair>,
    /// How the run ended.
    pub stop: StopReason,
    /// Whether it [`converged`](super::converged).
    pub converged: bool,
    /// Its final loss.
    pub final_loss: f64,
    /// Iterations.
    pub iterations: u64,
    /// Cost + gradient evaluations.
    pub evals: u64,
}

impl AuditRun {
    /// The first pair with `yᵀs ≤ 0` (or not a number), if any.
    pub fn first_bad(&self) -> Option<&Pair> {
        self.pairs.iter().find(|p| p.is_bad())
    }

    /// Whether the estimate right after the first bad pair is indefinite
    /// (smallest eigenvalue `< 0`) or not finite.
    pub fn indefinite_after_bad(&self) -> bool {
        self.first_bad()
            .is_some_and(|p| p.min_eig.is_nan() || p.min_eig <= 0.0)
    }

    /// Whether the direction right after the first bad pair goes uphill
    /// (`gᵀd > 0`) or is not finite.
    pub fn uphill_after_bad(&self) -> bool {
        self.first_bad()
            .is_some_and(|p| p.next_slope.is_nan() || p.next_slope >= 0.0)
    }

    /// Whether the estimate became non-finite at some pair (`NaN` entries:
    /// a pair with `yᵀs = 0` divides by zero).
    pub fn estimate_broke(&self) -> bool {
        self.pairs.iter().any(|p| p.min_eig.is_nan())
    }
}

/// BFGS with one line search from many starts, audited pair by pair.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvatureAudit {
    /// The problem's name.
    pub problem: String,
    /// The line search.
    pub line_search: LineSearch,
    /// One entry per start.
    pub runs: Vec<AuditRun>,
}

impl CurvatureAudit {
    /// Runs that took at least one pair with `yᵀs ≤ 0`.
    pub fn bad_runs(&self) -> Vec<&AuditRun> {
        self.runs
            .iter()
            .filter(|r| r.first_bad().is_some())
            .collect()
    }

    /// All pairs taken, and those with `yᵀs ≤ 0`.
    pub fn pair_counts(&self) -> (usize, usize) {
        let all = self.runs.iter().map(|r| r.pairs.len()).sum();
        let bad = self
            .runs
            .iter()
            .map(|r| r.pairs.iter().filter(|p| p.is_bad()).count())
            .sum();
        (all, bad)
    }
}

/// Runs argmin's BFGS with `line_search` from every start (race settings
/// `cfg`) and records every pair (`yᵀs`, the new estimate's smallest
/// eigenvalue, the next direction's slope).
///
/// argmin's BFGS applies its update to every pair, whatever the sign of
/// `yᵀs` (argmin 0.11, `solver/quasinewton/bfgs.rs`: `ρ = 1/(yᵀs)` with no
/// check); with a negative `yᵀs` the new estimate satisfies `H y = s`, so
/// `yᵀ H y = yᵀs < 0`: it is indefinite.
///
/// # Errors
/// [`Error::InvalidConfig`] with no start, or a parameter argmin rejects.
pub fn curvature_audit<P: Recordable>(
    problem: &P,
    name: &str,
    starts: &[Array1<f64>],
    line_search: LineSearch,
    cfg: &RaceConfig,
) -> Result<CurvatureAudit> {
    if starts.is_empty() {
        return Err(Error::InvalidConfig("need at least one start".into()));
    }
    let runs = starts
        .iter()
        .map(|x0| {
            let (trace, pairs) = run_bfgs(problem, x0, line_search, cfg)?;
            let c = trace.total_counts();
            Ok(AuditRun {
                start: x0.to_vec(),
                pairs,
                converged: converged(&trace),
                stop: trace.stop.clone(),
                final_loss: trace.final_loss(),
                iterations: c.iterations,
                evals: c.cost + c.gradient,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(CurvatureAudit {
        problem: name.to_string(),
        line_search,
        runs,
    })
}

impl fmt::Display for CurvatureAudit {
    /// The counts: pairs, bad pairs, runs with one, and what followed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (all, bad) = self.pair_counts();
        let bad_runs = self.bad_runs();
        let n = self.runs.len();
        let count = |p: &dyn Fn(&AuditRun) -> bool| bad_runs.iter().filter(|r| p(r)).count();
        writeln!(
            f,
            "BFGS + {} on {} from {n} starts",
            self.line_search, self.problem
        )?;
        writeln!(f, "pairs taken: {all}, with yᵀs ≤ 0: {bad}")?;
        writeln!(f, "runs with a pair yᵀs ≤ 0: {} of {n}", bad_runs.len())?;
        if !bad_runs.is_empty() {
            writeln!(
                f,
                "  of these: estimate indefinite right after it {}, next direction uphill {},\n  \
                 estimate non-finite later {}, converged anyway {}",
                count(&|r| r.indefinite_after_bad()),
                count(&|r| r.uphill_after_bad()),
                count(&|r| r.estimate_broke()),
                count(&|r| r.converged)
            )?;
        }
        let good: Vec<&AuditRun> = self
            .runs
            .iter()
            .filter(|r| r.first_bad().is_none())
            .collect();
        write!(
            f,
            "runs without one: {}, converged: {}",
            good.len(),
            good.iter().filter(|r| r.converged).count()
        )?;
        let mut stops: Vec<(String, usize)> = Vec::new();
        for r in &bad_runs {
            let s = r.stop.short();
            match stops.iter_mut().find(|(k, _)| *k == s) {
                Some((_, c)) => *c += 1,
                None => stops.push((s, 1)),
            }
        }
        if stops.is_empty() {
            return Ok(());
        }
        let stops: Vec<String> = stops.iter().map(|(s, c)| format!("{s} × {c}")).collect();
        write!(
            f,
            "\nhow the runs with a bad pair ended: {}",
            stops.join(", ")
        )
    }
}
