//! What the scaling study measures and derives, as plain data: one
//! [`ScalingPoint`] per optimizer and size, the [`ScalingStudy`] that holds
//! them with the fitted slopes ([`SlopeRow`]), the Newton crossovers
//! ([`Crossover`]), the memory of a curvature state ([`Memory`]) and the
//! runs to a target loss ([`TargetRun`]). The other files compute these;
//! this one depends on none of them.

use serde::{Deserialize, Serialize};

use super::loglog::SlopeFit;
use super::model::{Budget, NetworkFamily, PerIteration, Provenance, Work};
use crate::race::{OptimizerKind, OptimizerSpec};

/// Settings of the study.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingConfig {
    /// Widths `h` of the `2-h-1` networks.
    pub shallow_widths: Vec<usize>,
    /// Widths `h` of the `2-h-h-1` networks.
    pub deep_widths: Vec<usize>,
    /// The optimizers ([`study_optimizers`](super::study_optimizers) by default).
    pub optimizers: Vec<OptimizerSpec>,
    /// The budget of one iteration.
    pub budget: Budget,
    /// Timed iterations per run (the median is taken); at least 2. Points
    /// predicted to be cheap get more, up to 5 times as many (as many as fit
    /// in 20 ms).
    pub repeats: usize,
    /// Seed of the Glorot start.
    pub seed: u64,
    /// Widths `h` of the `2-h-1` networks for the time-to-target runs.
    pub target_widths: Vec<usize>,
    /// The target full-batch loss.
    pub target_loss: f64,
    /// Wall-time cap of one time-to-target run, in seconds (the iteration
    /// limit is set from the predicted time per iteration).
    pub target_cap_seconds: f64,
}

/// One optimizer at one network size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingPoint {
    /// The optimizer's label.
    pub optimizer: String,
    /// Its kind.
    pub kind: OptimizerKind,
    /// The network family.
    pub family: NetworkFamily,
    /// The hidden width `h`.
    pub width: usize,
    /// The number of parameters `D`.
    pub dim: usize,
    /// Measured, extrapolated or failed.
    pub provenance: Provenance,
    /// Why it was extrapolated or failed (empty when measured).
    pub note: String,
    /// Median seconds per iteration (measured), or the calibrated model's
    /// prediction (extrapolated); NaN when failed.
    pub seconds_per_iter: f64,
    /// Newton only: seconds to form `H` (median; predicted when extrapolated).
    pub form_seconds: Option<f64>,
    /// Newton only: seconds of the damped solve (median; predicted when extrapolated).
    pub solve_seconds: Option<f64>,
    /// Curvature state and peak, in bytes ([`curvature_memory`](super::curvature_memory)).
    pub memory: Memory,
    /// Evaluations per iteration (measured; for an extrapolated point, those
    /// of the last measured size).
    pub counts: PerIteration,
    /// The cost model's multiply-adds per iteration ([`iteration_work`](super::iteration_work)).
    pub work: Work,
}

/// The results of the study.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingStudy {
    /// The settings it ran with.
    pub config: ScalingConfig,
    /// Every (optimizer, family, width) point, in sweep order.
    pub points: Vec<ScalingPoint>,
    /// Slopes per optimizer and family.
    pub slopes: Vec<SlopeRow>,
    /// Newton's crossover per family, where it can be located.
    pub crossovers: Vec<Crossover>,
    /// Time-to-target runs.
    pub targets: Vec<TargetRun>,
    /// Wall seconds the whole study took.
    pub seconds: f64,
}

/// Measured slopes of one optimizer on one family beside the theory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlopeRow {
    /// The optimizer's label.
    pub optimizer: String,
    /// Its kind.
    pub kind: OptimizerKind,
    /// The family.
    pub family: NetworkFamily,
    /// Measured points.
    pub measured: usize,
    /// Time per iteration against `D`, upper range of the measured points ([`upper_range`](super::upper_range)).
    pub time_upper: Option<SlopeFit>,
    /// Time per iteration against `D`, every measured point.
    pub time_all: Option<SlopeFit>,
    /// The cost model's slope over the same upper range (its counts, exact exponents).
    pub theory_range: Option<f64>,
    /// The asymptotic exponent of the theory in `D` ([`theory`](super::theory)).
    pub theory_asymptotic: f64,
    /// Curvature-state bytes against `D`, over the measured points.
    pub memory: Option<SlopeFit>,
    /// Where and why the measured slope departs from the theory.
    pub note: String,
}

/// The width at which Newton's solve overtakes forming `H`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Crossover {
    /// The family.
    pub family: NetworkFamily,
    /// `D` at the crossover.
    pub dim: f64,
    /// The width `h` at the crossover.
    pub width: f64,
    /// Measured (the two measured curves cross between two measured sizes,
    /// interpolated in log-log) or extrapolated (from the calibrated models).
    pub provenance: Provenance,
    /// Seconds per multiply-add of forming `H` (largest measured size).
    pub form_rate: f64,
    /// Seconds per multiply-add of the solve (largest measured size).
    pub solve_rate: f64,
}

/// The memory an optimizer's curvature machinery needs on a network.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Bytes of the curvature state it builds or keeps (the matrix, the
    /// pairs, the factors, the working vectors), excluding the iterate and
    /// its gradient.
    pub state_bytes: f64,
    /// Bytes at the peak of an iteration in this crate's implementation,
    /// temporaries included (what the budget checks).
    pub peak_bytes: f64,
}

/// Time to a target loss of one optimizer on one network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetRun {
    /// The optimizer's label.
    pub optimizer: String,
    /// The width `h` of the `2-h-1` network.
    pub width: usize,
    /// `D`.
    pub dim: usize,
    /// The iteration limit the cap allowed.
    pub max_iters: u64,
    /// Iterations to reach the target, if reached.
    pub iterations: Option<usize>,
    /// Wall seconds to reach the target (the optimizer's time, recorder
    /// excluded), if reached.
    pub seconds: Option<f64>,
    /// The final full-batch loss.
    pub final_loss: f64,
    /// Why the run stopped ([`crate::trace::StopReason::short`]), or why it
    /// did not run.
    pub stop: String,
}
