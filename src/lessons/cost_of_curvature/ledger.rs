//! The ledger of a race: what each optimizer paid per iteration, counted
//! rather than timed.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::memory::curvature_memory;
use super::model::{per_iteration, PerIteration};
use super::study::study_optimizers;
use crate::error::Result;

/// One optimizer's line in the ledger of a race: what it paid per iteration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerRow {
    /// The optimizer's label.
    pub optimizer: String,
    /// Iterations run.
    pub iterations: usize,
    /// Evaluations per iteration ([`per_iteration`]); `None` for a run of
    /// fewer than two iterations.
    pub per_iteration: Option<PerIteration>,
    /// Iterations to reach the target loss, if reached.
    pub iterations_to_target: Option<usize>,
    /// The final full-batch loss.
    pub final_loss: f64,
    /// The curvature state it holds ([`curvature_memory`]), bytes.
    pub state_bytes: f64,
    /// Why it stopped ([`crate::trace::StopReason::short`]).
    pub stop: String,
}

/// The ledger of a race of [`study_optimizers`] on the full `2-hidden…-1`
/// network on the separable XOR from the seeded Glorot start
/// ([`crate::race::RacePreset::full_network`], default
/// [`RaceConfig`](crate::race::RaceConfig)): per optimizer, the evaluations
/// it paid per iteration, from [`Trace::counts`](crate::trace::Trace::counts),
/// and the iterations it needed to reach `target`. Deterministic: no wall
/// time.
///
/// # Errors
/// [`Error::InvalidConfig`](crate::error::Error::InvalidConfig) for an empty
/// or zero width.
pub fn ledger(hidden: &[usize], seed: u64, target: f64) -> Result<Vec<LedgerRow>> {
    let mut preset = crate::race::RacePreset::full_network(hidden, seed)?;
    preset.specs = study_optimizers();
    let n = preset.problem.data().len();
    let mlp = preset.problem.mlp().clone();
    Ok(preset
        .run()
        .iter()
        .zip(&preset.specs)
        .map(|(t, spec)| LedgerRow {
            optimizer: t.optimizer.clone(),
            iterations: t.steps(),
            per_iteration: per_iteration(t),
            iterations_to_target: t.iterations_to(target),
            final_loss: t.final_loss(),
            state_bytes: curvature_memory(spec.kind, &mlp, n).state_bytes,
            stop: t.stop.short(),
        })
        .collect())
}

/// The ledger as a text table (fixed decimals, no wall time).
pub fn ledger_table(rows: &[LedgerRow]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<13} {:>5} {:>6} {:>6} {:>6} {:>6} {:>6}  {:>9} {:>10} {:>10}  stop",
        "optimizer",
        "iters",
        "loss",
        "grad",
        "hess",
        "curv",
        "solve",
        "to target",
        "final loss",
        "state"
    );
    let _ = writeln!(s, "{:<13} {:>5} {:-^38}", "", "", " per iteration ");
    for r in rows {
        let c = r.per_iteration.unwrap_or_default();
        let _ = writeln!(
            s,
            "{:<13} {:>5} {:>6.2} {:>6.2} {:>6.2} {:>6.2} {:>6.2}  {:>9} {:>10.4} {:>10}  {}",
            r.optimizer,
            r.iterations,
            c.cost,
            c.gradient,
            c.hessian,
            c.curvature,
            c.linear_solve,
            r.iterations_to_target.map_or("-".into(), |k| k.to_string()),
            r.final_loss,
            crate::fmt::bytes(r.state_bytes),
            r.stop
        );
    }
    s
}
