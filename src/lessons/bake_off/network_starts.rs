//! Chapter 12, section 3: the full-network race from several seeded
//! initialisations, so that a ranking rests on more than one start.
//!
//! [`network_starts`] races the same optimizers from the Glorot starts of
//! seeds `s₀, s₀ + 1, …` on one network ([`RacePreset::full_network`]) and
//! reports, per optimizer, on how many starts it reached a target loss and
//! the iterations it took; and, for each run that ended above the target,
//! the inertia of the full-batch Hessian at its end point (how many
//! eigenvalues are negative, near zero and positive), which says whether it
//! stopped at a minimum, a saddle or a flat region.

use std::ops::Range;

use argmin::core::Hessian;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::cost::cost_to_target;
use crate::curvature::{eigenvalues, MiniBatched};
use crate::error::{Error, Result};
use crate::plot::CurveAxis;
use crate::race::{OptimizerKind, OptimizerSpec, RacePreset};

/// Where a run that missed the target ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StuckEnd {
    /// The start's seed.
    pub seed: u64,
    /// The final full-batch loss.
    pub loss: f64,
    /// Eigenvalues of the full-batch Hessian there, ascending.
    pub eigenvalues: Vec<f64>,
}

impl StuckEnd {
    /// `(negative, near zero, positive)` eigenvalue counts, "near zero"
    /// meaning `|μ| ≤ rel · max |μ|`.
    pub fn inertia(&self, rel: f64) -> (usize, usize, usize) {
        let scale = self.eigenvalues.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let tol = rel * scale;
        let neg = self.eigenvalues.iter().filter(|&&v| v < -tol).count();
        let pos = self.eigenvalues.iter().filter(|&&v| v > tol).count();
        (neg, self.eigenvalues.len() - neg - pos, pos)
    }
}

/// One optimizer over the starts of [`network_starts`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkRow {
    /// The optimizer's label.
    pub optimizer: String,
    /// Iterations to the target per start, in seed order (`None`: missed).
    pub iterations: Vec<Option<u64>>,
    /// The runs that missed the target, with their end points' curvature.
    pub stuck: Vec<StuckEnd>,
}

impl NetworkRow {
    /// Starts from which the target was reached.
    pub fn reached(&self) -> usize {
        self.iterations.iter().flatten().count()
    }

    /// Median iterations to the target over the starts that reached it
    /// (the lower middle for an even count; `None` if none did).
    pub fn median_iterations(&self) -> Option<u64> {
        let mut v: Vec<u64> = self.iterations.iter().flatten().copied().collect();
        v.sort_unstable();
        (!v.is_empty()).then(|| v[(v.len() - 1) / 2])
    }
}

/// Races `kinds` (registry defaults) for at most `max_iters` iterations on
/// the `2-hidden-1` network of [`RacePreset::full_network`] from the start
/// of every seed in `seeds`, and measures the iterations to `target`.
///
/// # Errors
/// [`Error::InvalidConfig`] for no kinds, no seeds or a target that is not
/// finite; errors of the preset or of the Hessian at an end point.
pub fn network_starts(
    hidden: &[usize],
    kinds: &[OptimizerKind],
    seeds: Range<u64>,
    max_iters: u64,
    target: f64,
) -> Result<Vec<NetworkRow>> {
    if kinds.is_empty() || seeds.is_empty() || !target.is_finite() {
        return Err(Error::InvalidConfig(format!(
            "need optimizers, seeds and a finite target, got {} kinds, seeds {seeds:?}, target {target}",
            kinds.len()
        )));
    }
    let mut rows: Vec<NetworkRow> = Vec::new();
    for seed in seeds {
        let mut net = RacePreset::full_network(hidden, seed)?;
        net.specs = kinds.iter().map(|&k| OptimizerSpec::new(k)).collect();
        net.cfg.max_iters = max_iters;
        let traces = net.run();
        let mut problem = net.problem.clone();
        problem
            .set_batch(None)
            .map_err(|e| Error::InvalidConfig(e.to_string()))?;
        for (i, t) in traces.iter().enumerate() {
            if rows.len() <= i {
                rows.push(NetworkRow {
                    optimizer: t.optimizer.clone(),
                    iterations: Vec::new(),
                    stuck: Vec::new(),
                });
            }
            let it = cost_to_target(t, target, CurveAxis::Iteration).map(|v| v as u64);
            rows[i].iterations.push(it);
            if it.is_none() {
                let p = Array1::from(t.final_point().unwrap_or(&net.start.to_vec()).to_vec());
                let h = problem
                    .hessian(&p)
                    .map_err(|e| Error::InvalidConfig(e.to_string()))?;
                let mut ev = eigenvalues(&h)?.to_vec();
                ev.sort_by(f64::total_cmp);
                rows[i].stuck.push(StuckEnd {
                    seed,
                    loss: t.final_loss(),
                    eigenvalues: ev,
                });
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn races_every_start_and_reports_the_stuck_ends() {
        let kinds = [OptimizerKind::Newton, OptimizerKind::GgnLm];
        let rows = network_starts(&[3], &kinds, 0..2, 200, 0.01).unwrap();
        assert_eq!(rows.len(), 2);
        for r in &rows {
            assert_eq!(r.iterations.len(), 2);
            assert_eq!(r.stuck.len(), 2 - r.reached());
            for s in &r.stuck {
                assert_eq!(s.eigenvalues.len(), 13);
                let (n, z, p) = s.inertia(1e-3);
                assert_eq!(n + z + p, 13);
            }
        }
        assert!(rows[1].median_iterations().is_some());
        assert!(network_starts(&[3], &kinds, 0..0, 10, 0.01).is_err());
        assert!(network_starts(&[3], &[], 0..1, 10, 0.01).is_err());
    }
}
