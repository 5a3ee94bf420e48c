//! What a run did with its damping, read from its KV diagnostics:
//! [`DampingHistory`] and the keys it reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::trace::Trace;

/// KV key of the damping `λ` a step used ([`Damped`](crate::solvers::Damped)).
pub const DAMPING_KEY: &str = "damping";
/// KV key of the trust-region radius a step used (argmin's `TrustRegion`).
pub const RADIUS_KEY: &str = "radius";
/// KV key of the reduction ratio `ρ`.
pub const RHO_KEY: &str = "rho";
/// KV key of the accept flag (1 accepted, 0 rejected).
pub const ACCEPTED_KEY: &str = "accepted";
/// KV key of the conjugate-gradient iterations ([`HessianFree`](crate::solvers::HessianFree)).
pub const CG_KEY: &str = "cg_iters";

/// The range of `ρ` the dashboard shows; values outside are drawn at its
/// edge (a non-positive prediction gives `ρ = −∞`).
pub const RHO_RANGE: (f64, f64) = (-1.0, 2.0);

/// What a run's damping panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DampingQuantity {
    /// The Levenberg–Marquardt damping `λ` (KV `"damping"`).
    Lambda,
    /// The trust-region radius `Δ` (KV `"radius"`).
    Radius,
    /// Neither was reported.
    None,
}

/// One run's damping history, read from its [`Trace`] and per-entry
/// diagnostics: the input of [`damping_dashboard_figure`](crate::lessons::damping::damping_dashboard_figure).
///
/// Entry `i` of every vector belongs to trace entry `i`; the diagnostics of
/// entry `i > 0` describe the step that led from entry `i − 1` to entry `i`
/// (the `λ` or radius it used, its `ρ`, whether it was accepted). Missing
/// values are NaN.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DampingHistory {
    /// Legend label (the trace's optimizer).
    pub label: String,
    /// The iteration of each entry ([`Trace::iteration`]).
    pub iterations: Vec<usize>,
    /// Full-batch loss of each entry.
    pub loss: Vec<f64>,
    /// `λ` or the radius used by the step to each entry (see [`DampingHistory::quantity`]).
    pub damping: Vec<f64>,
    /// Which quantity [`DampingHistory::damping`] holds.
    pub quantity: DampingQuantity,
    /// Reduction ratio of the step to each entry.
    pub rho: Vec<f64>,
    /// CG iterations of the step to each entry.
    pub cg_iters: Vec<f64>,
    /// `true` where the step to the entry was rejected: the KV `"accepted"`
    /// is 0, or, for a solver that does not report it (argmin's trust
    /// region), the entry follows the previous iteration and its iterate
    /// is bit-for-bit the previous one (the race's convention: a rejected
    /// step leaves the iterate unchanged).
    pub rejected: Vec<bool>,
    /// `true` if the run diverged or failed.
    pub diverged: bool,
    /// The run's iterations ([`Trace::steps`]).
    pub steps: usize,
}

impl DampingHistory {
    /// Reads the history of a run from its trace and per-entry diagnostics
    /// (`RunOutput::diagnostics` of [`run_detailed`](crate::race::run_detailed);
    /// missing or extra diagnostics entries are tolerated).
    ///
    /// In a thinned trace only the kept entries are seen: run with
    /// `RaceConfig::max_recorded` above the iteration limit to count every
    /// rejected step.
    pub fn new(trace: &Trace, diagnostics: &[BTreeMap<String, f64>]) -> Self {
        let n = trace.loss.len();
        let get = |i: usize, key: &str| {
            diagnostics
                .get(i)
                .and_then(|d| d.get(key))
                .copied()
                .unwrap_or(f64::NAN)
        };
        let has = |key: &str| diagnostics.iter().take(n).any(|d| d.contains_key(key));
        let quantity = if has(DAMPING_KEY) {
            DampingQuantity::Lambda
        } else if has(RADIUS_KEY) {
            DampingQuantity::Radius
        } else {
            DampingQuantity::None
        };
        let damping_key = match quantity {
            DampingQuantity::Radius => RADIUS_KEY,
            _ => DAMPING_KEY,
        };
        let iterations: Vec<usize> = (0..n).map(|i| trace.iteration(i)).collect();
        let reports_accept = has(ACCEPTED_KEY);
        let rejected = (0..n)
            .map(|i| {
                if i == 0 {
                    return false;
                }
                if reports_accept {
                    return get(i, ACCEPTED_KEY) == 0.0;
                }
                quantity == DampingQuantity::Radius
                    && iterations[i] == iterations[i - 1] + 1
                    && trace.iterates.get(i).is_some()
                    && trace.iterates.get(i) == trace.iterates.get(i - 1)
            })
            .collect();
        Self {
            label: trace.optimizer.clone(),
            iterations,
            loss: trace.loss.clone(),
            damping: (0..n).map(|i| get(i, damping_key)).collect(),
            quantity,
            rho: (0..n).map(|i| get(i, RHO_KEY)).collect(),
            cg_iters: (0..n).map(|i| get(i, CG_KEY)).collect(),
            rejected,
            diverged: trace.diverged(),
            steps: trace.steps(),
        }
    }

    /// Number of rejected steps seen.
    pub fn rejected_steps(&self) -> usize {
        self.rejected.iter().filter(|&&r| r).count()
    }

    /// The iterations whose step was rejected.
    pub fn rejected_iterations(&self) -> Vec<usize> {
        self.iterations
            .iter()
            .zip(&self.rejected)
            .filter(|(_, &r)| r)
            .map(|(&i, _)| i)
            .collect()
    }

    /// The last finite `λ` (or radius) a step used.
    pub fn final_damping(&self) -> Option<f64> {
        self.damping.iter().rev().copied().find(|v| v.is_finite())
    }

    /// The smallest and largest finite `λ` (or radius) a step used.
    pub fn damping_range(&self) -> Option<(f64, f64)> {
        let finite = self.damping.iter().copied().filter(|v| v.is_finite());
        finite.fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })
    }

    /// The first iteration whose loss is at most `target`, if any.
    pub fn iterations_to(&self, target: f64) -> Option<usize> {
        self.loss
            .iter()
            .position(|&l| l <= target)
            .and_then(|i| self.iterations.get(i).copied())
    }

    /// Total CG iterations over the run (0 without CG).
    pub fn total_cg_iters(&self) -> f64 {
        self.cg_iters
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0, |a, v| a + v)
    }

    pub(super) fn any_finite(v: &[f64]) -> bool {
        v.iter().skip(1).any(|x| x.is_finite())
    }
}

/// "GGN-LM: 23 it., 0 rejected, λ 1.5e-4" for the key.
pub(super) fn key_text(r: &DampingHistory) -> String {
    let mut t = format!("{}: {} it.", r.label, r.steps);
    if r.quantity != DampingQuantity::None || r.rejected_steps() > 0 {
        t += &format!(", {} rejected", r.rejected_steps());
    }
    if let Some(d) = r.final_damping() {
        let name = if r.quantity == DampingQuantity::Radius {
            "Δ"
        } else {
            "λ"
        };
        t += &format!(", last {name} {}", crate::fmt::compact(d));
    }
    if r.diverged {
        t += ", diverged";
    }
    t
}

#[cfg(test)]
mod tests {
    use super::super::panels::{panels, Panel};
    use super::*;
    use crate::trace::{Counts, StopReason};

    fn trace(iterates: Vec<Vec<f64>>, loss: Vec<f64>) -> Trace {
        let counts = (0..loss.len())
            .map(|i| Counts {
                iterations: i as u64,
                ..Counts::default()
            })
            .collect();
        Trace {
            optimizer: "test".into(),
            problem: "p".into(),
            grad_norm: vec![f64::NAN; loss.len()],
            elapsed_ms: vec![0.0; loss.len()],
            iterates,
            loss,
            counts,
            stop: StopReason::MaxIters,
            settings: Default::default(),
        }
    }

    fn kv(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn reads_lm_and_trust_region_entries() {
        let t = trace(vec![vec![0.0], vec![1.0], vec![1.0]], vec![1.0, 0.5, 0.5]);
        let lm = DampingHistory::new(
            &t,
            &[
                kv(&[]),
                kv(&[("damping", 0.1), ("rho", 0.9), ("accepted", 1.0)]),
                kv(&[("damping", 0.2), ("rho", -3.0), ("accepted", 0.0)]),
            ],
        );
        assert_eq!(lm.quantity, DampingQuantity::Lambda);
        assert_eq!(lm.rejected, vec![false, false, true]);
        assert_eq!(lm.rejected_iterations(), vec![2]);
        assert_eq!(lm.final_damping(), Some(0.2));
        assert_eq!(lm.damping_range(), Some((0.1, 0.2)));
        // argmin's trust region reports only the radius: a rejected step is
        // an unchanged iterate.
        let tr = DampingHistory::new(
            &t,
            &[kv(&[]), kv(&[("radius", 1.0)]), kv(&[("radius", 2.0)])],
        );
        assert_eq!(tr.quantity, DampingQuantity::Radius);
        assert_eq!(tr.rejected, vec![false, false, true]);
        // no diagnostics at all: nothing rejected, only the loss panel
        let none = DampingHistory::new(&t, &[]);
        assert_eq!(none.quantity, DampingQuantity::None);
        assert_eq!(none.rejected_steps(), 0);
        assert_eq!(panels(&[none]), vec![Panel::Loss]);
        assert_eq!(
            panels(std::slice::from_ref(&lm)),
            vec![Panel::Damping, Panel::Rho, Panel::Loss]
        );
        assert_eq!(key_text(&lm), "test: 2 it., 1 rejected, last λ 0.2");
    }
}
