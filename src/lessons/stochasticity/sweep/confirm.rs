//! The sweep's winners, re-run on fresh seeds: [`confirm_best`].
//!
//! A sweep picks each method's best value per batch size on its own seeds,
//! so the winning medians are optimistic (the winner's curse: of several
//! noisy cells, the one that drew lucky seeds looks best). Re-running each
//! winner on seeds the sweep never used gives an unbiased estimate, and
//! running the methods on the *same* fresh seeds lets them be compared
//! seed by seed: the paired difference `L_A(s) − L_B(s)` removes the part
//! of the noise that the two share (a hard batch sequence is hard for
//! both), so its standard error is what decides a ranking.

use std::fmt;
use std::ops::Range;

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::config::SweepMethod;
use super::results::BatchSweep;
use super::run::run_cell;
use crate::error::{Error, Result};
use crate::problem::XorProblem;
use crate::race::OptimizerKind;

/// One method's best value at one batch size, re-run on fresh seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Confirmed {
    /// The optimizer.
    pub kind: OptimizerKind,
    /// The batch size.
    pub batch_size: usize,
    /// The value the sweep picked (learning rate or damping).
    pub value: f64,
    /// The final full-batch loss on each fresh seed, in seed order (`None`:
    /// the run diverged).
    pub losses: Vec<Option<f64>>,
}

impl Confirmed {
    /// Runs that diverged.
    pub fn diverged(&self) -> usize {
        self.losses.iter().filter(|l| l.is_none()).count()
    }

    /// Mean and standard error of the final loss over the runs that did not
    /// diverge (NaN for none; standard error NaN for one).
    pub fn mean_se(&self) -> (f64, f64) {
        let v: Vec<f64> = self.losses.iter().flatten().copied().collect();
        mean_se(&v)
    }
}

/// The paired comparison of two [`Confirmed`] entries on the same seeds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// Mean over the seeds of `L_A(s) − L_B(s)` (negative: A lower).
    pub mean: f64,
    /// Its standard error.
    pub se: f64,
    /// Seeds on which A ended lower.
    pub a_lower: usize,
    /// Seeds compared (those on which neither diverged).
    pub seeds: usize,
}

/// The winners of a sweep re-run on fresh seeds ([`confirm_best`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The fresh seeds.
    pub seeds: Range<u64>,
    /// One entry per batch size and method, batch sizes ascending.
    pub entries: Vec<Confirmed>,
}

impl Confirmation {
    /// The entry of `kind` at batch size `b`.
    pub fn get(&self, kind: OptimizerKind, b: usize) -> Option<&Confirmed> {
        self.entries
            .iter()
            .find(|e| e.kind == kind && e.batch_size == b)
    }

    /// The batch sizes, ascending.
    pub fn batch_sizes(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.entries.iter().map(|e| e.batch_size).collect();
        v.dedup();
        v
    }

    /// `a` against `b` at batch size `batch`, seed by seed (`None` if either
    /// is missing or no seed has both runs finite).
    pub fn paired(&self, a: OptimizerKind, b: OptimizerKind, batch: usize) -> Option<Paired> {
        let (x, y) = (self.get(a, batch)?, self.get(b, batch)?);
        let d: Vec<f64> = x
            .losses
            .iter()
            .zip(&y.losses)
            .filter_map(|(p, q)| Some((*p)? - (*q)?))
            .collect();
        if d.is_empty() {
            return None;
        }
        let (mean, se) = mean_se(&d);
        Some(Paired {
            mean,
            se,
            a_lower: d.iter().filter(|v| **v < 0.0).count(),
            seeds: d.len(),
        })
    }

    /// The entry with the lowest mean loss among `kinds` at batch size `b`
    /// (entries with a diverged run excluded).
    pub fn best_of(&self, kinds: &[OptimizerKind], b: usize) -> Option<&Confirmed> {
        kinds
            .iter()
            .filter_map(|&k| self.get(k, b))
            .filter(|e| e.diverged() == 0)
            .min_by(|p, q| p.mean_se().0.total_cmp(&q.mean_se().0))
    }
}

/// Mean and standard error (`s/√n`) of `v`.
fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Re-runs, for every batch size of `sweep` and every method of `kinds`,
/// the value with the lowest median in `sweep` ([`MethodSweep::best`](super::MethodSweep::best))
/// from `start` on the fresh `seeds`, at the sweep's data budget. A batch
/// size where a method had no value without a diverged run is left out for
/// that method.
///
/// # Errors
/// [`Error::InvalidConfig`] for an empty seed range or a kind the sweep
/// did not run.
pub fn confirm_best(
    problem: &XorProblem,
    start: &Array1<f64>,
    sweep: &BatchSweep,
    kinds: &[OptimizerKind],
    seeds: Range<u64>,
) -> Result<Confirmation> {
    if seeds.is_empty() {
        return Err(Error::InvalidConfig("need at least one fresh seed".into()));
    }
    let mut entries = Vec::new();
    let batch_sizes = sweep
        .methods
        .first()
        .map(|m| m.batch_sizes.clone())
        .unwrap_or_default();
    for &b in &batch_sizes {
        for &kind in kinds {
            let m = sweep
                .method(kind)
                .ok_or_else(|| Error::InvalidConfig(format!("the sweep did not run {kind}")))?;
            let Some(best) = m.best(b) else { continue };
            let method = SweepMethod {
                kind,
                values: vec![best.value],
            };
            let (_, losses) = run_cell(
                problem,
                start,
                &method,
                best.value,
                b,
                sweep.budget,
                seeds.clone(),
            );
            entries.push(Confirmed {
                kind,
                batch_size: b,
                value: best.value,
                losses,
            });
        }
    }
    Ok(Confirmation { seeds, entries })
}

impl fmt::Display for Confirmation {
    /// One line per batch size and method: the value, mean ± standard
    /// error over the fresh seeds, and the diverged runs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "best value per batch size, re-run on fresh seeds {}..{}: mean final loss ± s.e.",
            self.seeds.start, self.seeds.end
        )?;
        for e in &self.entries {
            let (mean, se) = e.mean_se();
            writeln!(
                f,
                "{:>5}  {:<14} {:>8}  {:.4} ± {:.4}{}",
                e.batch_size,
                e.kind.default_label(),
                crate::fmt::number(e.value),
                mean,
                se,
                if e.diverged() > 0 {
                    format!("  ({} diverged)", e.diverged())
                } else {
                    String::new()
                }
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::stochasticity::{batch_damping_sweep, SweepConfig};
    use ndarray::array;

    #[test]
    fn winners_rerun_on_fresh_seeds_and_pair() {
        let problem = XorProblem::reference();
        let start = array![2.0, -2.0];
        let cfg = SweepConfig {
            methods: vec![
                SweepMethod {
                    kind: OptimizerKind::Gd,
                    values: vec![0.1, 1.0],
                },
                SweepMethod {
                    kind: OptimizerKind::Ggn,
                    values: vec![0.1, 1.0],
                },
            ],
            batch_sizes: vec![10, 100],
            budget: 400,
            seeds: 2,
        };
        let sweep = batch_damping_sweep(&problem, &start, &cfg).unwrap();
        let kinds = [OptimizerKind::Gd, OptimizerKind::Ggn];
        let c = confirm_best(&problem, &start, &sweep, &kinds, 5..9).unwrap();
        assert_eq!(c.batch_sizes(), vec![10, 100]);
        let gd = c.get(OptimizerKind::Gd, 10).unwrap();
        assert_eq!(gd.losses.len(), 4);
        assert_eq!(
            gd.value,
            sweep
                .method(OptimizerKind::Gd)
                .unwrap()
                .best(10)
                .unwrap()
                .value
        );
        let p = c.paired(OptimizerKind::Ggn, OptimizerKind::Gd, 10).unwrap();
        let g = c.get(OptimizerKind::Ggn, 10).unwrap();
        assert_eq!(p.seeds, 4);
        assert!((p.mean - (g.mean_se().0 - gd.mean_se().0)).abs() < 1e-12);
        // The paired difference is the same as the difference of the means
        // when no run diverged; its standard error is not.
        assert!(p.se.is_finite());
        assert!(c.best_of(&kinds, 100).is_some());
        assert!(confirm_best(&problem, &start, &sweep, &kinds, 3..3).is_err());
        assert!(confirm_best(&problem, &start, &sweep, &[OptimizerKind::Adam], 0..2).is_err());
        assert!(c.to_string().contains("fresh seeds 5..9"));
    }
}
