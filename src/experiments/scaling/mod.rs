//! The scaling study of chapter 9: what each optimizer pays per iteration,
//! in time and in memory, as the network grows from `D ≈ 10` to `D ≥ 10⁵`
//! parameters, measured on this crate's own code.
//!
//! ```no_run
//! use quad_vs_grad::experiments::scaling::{ScalingConfig, ScalingStudy};
//!
//! let study = ScalingStudy::run(&ScalingConfig::quick())?;
//! println!("{}", study.slopes_table());
//! study.figure(900, 760)?.save("scaling.png")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is measured
//! Two families of full networks on the separable XOR ([`Dataset::separable`],
//! `N = 100` examples), every weight trained ([`XorProblem::full`]):
//! `2-h-1` (`D = 4h + 1`) and `2-h-h-1` (`D = h² + 5h + 1`). For each
//! optimizer and size the study
//! - runs the real solver through [`crate::race::run`] (argmin's `Executor`,
//!   the race's recorder) for a few iterations from the seeded Glorot start
//!   and takes the **median time of one iteration** (the recorder's own
//!   evaluations are not timed), and the evaluation counts per iteration from
//!   [`Trace::counts`] ([`per_iteration`]);
//! - for Newton, also times its two parts on their own: forming `H`
//!   (`Hessian::hessian`) and solving `(H + λI) Δ = −g` (`solve_damped`);
//! - computes the **memory its curvature state needs** from the data
//!   structures it builds ([`curvature_memory`]): `D²` f64 for a dense
//!   Hessian, GGN or BFGS inverse, `2mD` for L-BFGS's pairs, `Σ_l (n_in+1)² + n_out²`
//!   for K-FAC's factors, a few vectors of `D` for GD, Adam and Hessian-free.
//!
//! # The budget: measured or extrapolated, never mixed up
//! Before each run the study predicts the iteration's time from the cost
//! model ([`iteration_work`], calibrated on the last measured size) and its
//! peak memory ([`Memory::peak_bytes`]); if either exceeds the declared
//! [`Budget`], or a smaller network of the same family already did, the point
//! is **not run** and is reported as [`Provenance::Extrapolated`], its time
//! given by the calibrated model. Only points that ran are
//! [`Provenance::Measured`], and only they enter the slope fits.
//!
//! # Theory
//! Multiply-add counts per iteration ([`iteration_work`]), `N` examples, `D`
//! parameters, `m` L-BFGS pairs, `n` layer widths:
//!
//! | optimizer | time per iteration | curvature memory |
//! |---|---|---|
//! | GD, Adam | `N·D` (one loss and gradient) | `D`, `2D` |
//! | L-BFGS | `N·D` per evaluation `+ 4mD` | `2mD` |
//! | BFGS (argmin) | `N·D + 4D³` (argmin forms the update with two dense `D × D` products; the textbook update is `O(D²)`) | `D²` |
//! | Newton | forming `H` `~ N·D²`, solving `~ D³/3` | `D²` |
//! | GGN | forming `G = JᵀΛJ/N` `~ N·D²`, solving `~ D³/3` | `D²` |
//! | Hessian-free | CG steps `× N·D` | `~6D` |
//! | K-FAC | `Σ_l (N n² + n³)` | `Σ_l (n_in+1)² + n_out²` |
//!
//! # References
//! J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer
//! 2006 (BFGS, L-BFGS, CG); J. Martens, *Deep learning via Hessian-free
//! optimization*, ICML 2010; J. Martens and R. Grosse, *Optimizing Neural
//! Networks with Kronecker-factored Approximate Curvature*, ICML 2015.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use argmin::core::{Gradient, Hessian};
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::mlp::Mlp;
use crate::plot::scaling::{scaling_figure, ScalingMark, ScalingPanel, ScalingSeries};
use crate::plot::{self, Figure};
use crate::problem::XorProblem;
use crate::race::{run, OptimizerKind, OptimizerSpec, RaceConfig};
use crate::solvers::solve_damped;
use crate::trace::Trace;

/// Number of `(s, y)` pairs argmin's L-BFGS keeps in the race (`m`).
pub const LBFGS_MEMORY: usize = 10;

/// Bytes of one `f64`.
const F64: f64 = 8.0;

/// A family of full networks of growing width `h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Family {
    /// One hidden layer, `2-h-1`: `D = 4h + 1`.
    Shallow,
    /// Two hidden layers, `2-h-h-1`: `D = h² + 5h + 1`.
    Deep,
}

impl Family {
    /// Both families.
    pub const ALL: [Family; 2] = [Family::Shallow, Family::Deep];

    /// The hidden widths at width `h`.
    pub fn hidden(self, h: usize) -> Vec<usize> {
        match self {
            Self::Shallow => vec![h],
            Self::Deep => vec![h, h],
        }
    }

    /// The number of parameters `D` at width `h`.
    pub fn dim(self, h: usize) -> usize {
        match self {
            Self::Shallow => 4 * h + 1,
            Self::Deep => h * h + 5 * h + 1,
        }
    }

    /// The (real) width at which the family has `d` parameters, the inverse
    /// of [`Family::dim`].
    pub fn width_for_dim(self, d: f64) -> f64 {
        match self {
            Self::Shallow => (d - 1.0) / 4.0,
            Self::Deep => (-5.0 + (21.0 + 4.0 * d).max(0.0).sqrt()) / 2.0,
        }
    }

    /// `"2-h-1"` or `"2-h-h-1"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Shallow => "2-h-1",
            Self::Deep => "2-h-h-1",
        }
    }
}

/// The declared budget of one iteration: a point predicted to exceed it is
/// not run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Longest predicted time of one iteration, in seconds.
    pub seconds_per_iter: f64,
    /// Largest predicted peak memory of the curvature state, in bytes.
    pub bytes: f64,
}

impl Default for Budget {
    /// 0.5 s per iteration and 2 GB: the sweep then finishes in about two
    /// minutes on a 2-core machine.
    fn default() -> Self {
        Self {
            seconds_per_iter: 0.5,
            bytes: 2e9,
        }
    }
}

/// What the study does with a point.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Run and measure it.
    Run,
    /// Do not run it; report the model's prediction, for the reason given.
    Extrapolate(String),
}

/// Decides whether a point fits the budget. `smaller_over` says whether a
/// smaller network of the same family and optimizer was already over budget
/// (then this one is too, whatever the prediction).
pub fn decide(
    budget: &Budget,
    predicted_seconds: f64,
    peak_bytes: f64,
    smaller_over: bool,
) -> Decision {
    if smaller_over {
        Decision::Extrapolate("a smaller network was already over budget".into())
    } else if peak_bytes.is_nan() || peak_bytes > budget.bytes {
        Decision::Extrapolate(format!(
            "memory: peak {} > budget {}",
            format_bytes(peak_bytes),
            format_bytes(budget.bytes)
        ))
    } else if predicted_seconds.is_nan() || predicted_seconds > budget.seconds_per_iter {
        Decision::Extrapolate(format!(
            "time: predicted {} per iteration > budget {}",
            format_seconds(predicted_seconds),
            format_seconds(budget.seconds_per_iter)
        ))
    } else {
        Decision::Run
    }
}

/// Where a point's time comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    /// Run and timed.
    Measured,
    /// Not run (over budget); the time is the calibrated cost model's.
    Extrapolated,
    /// Run, but the solver stopped before two timed iterations.
    Failed,
}

/// Evaluations per iteration, averaged over iterations `2 … k` of a trace
/// (iteration 1 also carries the evaluations of the solver's `init`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PerIteration {
    /// Loss evaluations.
    pub cost: f64,
    /// Gradient evaluations.
    pub gradient: f64,
    /// Dense Hessians.
    pub hessian: f64,
    /// Curvature-vector products, dense GGNs or K-FAC factor sets.
    pub curvature: f64,
    /// Linear solves (factorisations, eigendecompositions, CG runs).
    pub linear_solve: f64,
}

/// The evaluation counts per iteration of a run, from [`Trace::counts`]:
/// `(counts[k] − counts[1]) / (k − 1)` with `k` the last iterate; `None`
/// for a run of fewer than two iterations.
pub fn per_iteration(trace: &Trace) -> Option<PerIteration> {
    let k = trace.counts.len().checked_sub(1)?;
    if k < 2 {
        return None;
    }
    let (a, b) = (trace.counts[1], trace.counts[k]);
    let per = |x: u64, y: u64| y.saturating_sub(x) as f64 / (k - 1) as f64;
    Some(PerIteration {
        cost: per(a.cost, b.cost),
        gradient: per(a.gradient, b.gradient),
        hessian: per(a.hessian, b.hessian),
        curvature: per(a.curvature, b.curvature),
        linear_solve: per(a.linear_solve, b.linear_solve),
    })
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

/// `Σ_l (n_{l−1}+1)² + n_l²`: the entries of K-FAC's factors `A_l`, `G_l`.
pub fn kfac_factor_entries(mlp: &Mlp) -> f64 {
    let w = mlp.widths();
    (0..mlp.num_layers())
        .map(|l| ((w[l] + 1).pow(2) + w[l + 1].pow(2)) as f64)
        .sum()
}

/// The memory of `kind`'s curvature state on `mlp` with `n_examples`
/// examples, computed from the data structures it builds (`f64` entries ×
/// 8 bytes, `D` = [`Mlp::num_params`]):
///
/// | kind | state | peak (temporaries of this crate and argmin) |
/// |---|---|---|
/// | GD | `D` (the step) | `D` |
/// | Adam | `2D` (moments) | `3D` |
/// | L-BFGS | `2mD + m` | `2mD + m + 2D` |
/// | BFGS | `D²` (inverse Hessian) | `8D²` (argmin's update builds seven `D × D` temporaries) |
/// | Newton | `D²` | `4D²` (Cholesky copy, factor, its transpose) |
/// | GGN | `D² + ND` (`G` and `J`) | `4D² + 2ND` |
/// | Hessian-free | `6D` (CG's `x, Ax, r, d, Ad` and the warm start) | `7D` |
/// | K-FAC | `Σ_l (n_{l−1}+1)² + n_l²` | twice that (eigenvectors) `+ 3D` |
///
/// Kinds outside the study's eight get the dense `D²` of a Hessian.
pub fn curvature_memory(kind: OptimizerKind, mlp: &Mlp, n_examples: usize) -> Memory {
    use OptimizerKind as K;
    let d = mlp.num_params() as f64;
    let n = n_examples as f64;
    let m = LBFGS_MEMORY as f64;
    let (state, peak) = match kind {
        K::Gd | K::Momentum | K::Nesterov | K::Langevin => (d, d),
        K::Adam | K::RmsProp => (2.0 * d, 3.0 * d),
        K::Lbfgs => (2.0 * m * d + m, 2.0 * m * d + m + 2.0 * d),
        K::Bfgs => (d * d, 8.0 * d * d),
        K::Ggn | K::GgnLm => (d * d + n * d, 4.0 * d * d + 2.0 * n * d),
        K::HessianFree | K::HessianFreeLm => (6.0 * d, 7.0 * d),
        K::Kfac | K::KfacLm => {
            let f = kfac_factor_entries(mlp);
            (f, 2.0 * f + 3.0 * d)
        }
        _ => (d * d, 4.0 * d * d),
    };
    Memory {
        state_bytes: F64 * state,
        peak_bytes: F64 * peak,
    }
}

/// Bytes of a dense `D × D` f64 matrix, `8 D²`.
pub fn dense_bytes(d: f64) -> f64 {
    F64 * d * d
}

/// The cost model of one iteration, in multiply-adds, split in the parts the
/// study reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Work {
    /// Forming the curvature: the dense Hessian or GGN, K-FAC's factors.
    pub form: f64,
    /// Solving with it: a dense factorisation, K-FAC's factor
    /// eigendecompositions, BFGS's dense update.
    pub solve: f64,
    /// Everything else: losses, gradients, curvature-vector products, vector updates.
    pub other: f64,
}

impl Work {
    /// `form + solve + other`.
    pub fn total(&self) -> f64 {
        self.form + self.solve + self.other
    }
}

/// Multiply-adds of forming a dense Hessian or GGN as a Gram product over the
/// batch, `N D²` (the crate's implementations differ from it by a constant).
pub fn form_work(d: f64, n: f64) -> f64 {
    n * d * d
}

/// Multiply-adds of a dense Cholesky solve, `D³/6 + D²` (factorisation plus
/// two triangular solves); `D³/3` flops.
pub fn solve_work(d: f64) -> f64 {
    d * d * d / 6.0 + d * d
}

/// The width `D` at which a Cholesky solve (`D³/6` multiply-adds) overtakes
/// forming `H` as a Gram product (`N D²`) when both run at the same speed:
/// `D* = 6N` (the `D²` of the triangular solves neglected).
pub fn newton_flop_crossover(n_examples: usize) -> f64 {
    6.0 * n_examples as f64
}

/// The cost model of one iteration of `kind` on `mlp` with `n` examples and
/// the evaluation counts `c` per iteration (multiply-adds; a loss is `N D`, a
/// gradient `3 N D`, a curvature-vector product `7 N D`).
pub fn iteration_work(kind: OptimizerKind, mlp: &Mlp, n: usize, c: &PerIteration) -> Work {
    use OptimizerKind as K;
    let d = mlp.num_params() as f64;
    let n = n as f64;
    let evals = c.cost * n * d + c.gradient * 3.0 * n * d;
    let w = mlp.widths();
    let layers = mlp.num_layers();
    match kind {
        K::Newton | K::SaddleFree | K::ArgminNewton => Work {
            form: c.hessian * form_work(d, n),
            solve: c.linear_solve * solve_work(d),
            other: evals + d,
        },
        K::Ggn | K::GgnLm => Work {
            form: c.curvature * (form_work(d, n) + 3.0 * n * d),
            solve: c.linear_solve * solve_work(d),
            other: evals + d,
        },
        K::Bfgs => Work {
            form: 0.0,
            solve: 2.0 * d * d * d + 3.0 * d * d,
            other: evals + d * d,
        },
        K::Lbfgs => Work {
            other: evals + 4.0 * LBFGS_MEMORY as f64 * d,
            ..Work::default()
        },
        K::HessianFree | K::HessianFreeLm => Work {
            other: evals + c.curvature * (7.0 * n * d + 5.0 * d),
            ..Work::default()
        },
        K::Kfac | K::KfacLm => {
            let (mut factors, mut eig) = (0.0, 0.0);
            for l in 0..layers {
                let (a, g) = ((w[l] + 1) as f64, w[l + 1] as f64);
                factors += n * (a * a + g * g);
                // two symmetric eigendecompositions (≈ 4n³ each) and the
                // preconditioning G⁻¹ V A⁻¹ (four products of g × a by a or g)
                eig += 4.0 * (a * a * a + g * g * g) + 2.0 * (g * g * a + g * a * a);
            }
            let solves = (c.linear_solve / (2.0 * layers as f64)).max(0.0);
            Work {
                form: c.curvature * (factors + 2.0 * n * d),
                solve: solves * eig,
                other: evals + d,
            }
        }
        K::Adam | K::RmsProp => Work {
            other: evals + 5.0 * d,
            ..Work::default()
        },
        _ => Work {
            other: evals + d,
            ..Work::default()
        },
    }
}

/// The evaluation counts assumed before a kind's first measurement.
fn nominal_counts(kind: OptimizerKind, mlp: &Mlp) -> PerIteration {
    use OptimizerKind as K;
    let layers = mlp.num_layers() as f64;
    let base = PerIteration {
        cost: 1.0,
        gradient: 1.0,
        ..PerIteration::default()
    };
    match kind {
        K::Newton => PerIteration {
            hessian: 1.0,
            linear_solve: 1.0,
            ..base
        },
        K::Ggn => PerIteration {
            curvature: 1.0,
            linear_solve: 1.0,
            ..base
        },
        K::HessianFree => PerIteration {
            curvature: 20.0,
            linear_solve: 1.0,
            ..base
        },
        K::Kfac => PerIteration {
            curvature: 1.0,
            linear_solve: 2.0 * layers,
            ..base
        },
        _ => base,
    }
}

/// The theory of a kind, as printed beside the measured slopes:
/// (time per iteration, its asymptotic exponent in `D` on `family`, memory).
pub fn theory(kind: OptimizerKind, family: Family) -> (&'static str, f64, &'static str) {
    use OptimizerKind as K;
    match (kind, family) {
        (K::Gd, _) => ("N·D", 1.0, "D"),
        (K::Adam, _) => ("N·D", 1.0, "2D"),
        (K::Lbfgs, _) => ("N·D + 4mD", 1.0, "2mD"),
        (K::Bfgs, _) => ("N·D + 4D³ (argmin's dense update)", 3.0, "D²"),
        (K::Newton, _) => ("form N·D² + solve D³/6", 3.0, "D²"),
        (K::Ggn, _) => ("form N·D² + solve D³/6", 3.0, "D²"),
        (K::HessianFree, _) => ("CG steps × N·D", 1.0, "6D"),
        (K::Kfac, Family::Shallow) => ("Σ(N n² + n³), n ≈ D/4", 3.0, "Σ n² ≈ D²/8"),
        (K::Kfac, Family::Deep) => ("Σ(N n² + n³), n ≈ √D", 1.5, "Σ n² ≈ 4D"),
        _ => ("N·D", 1.0, "D"),
    }
}

/// One optimizer at one network size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingPoint {
    /// The optimizer's label.
    pub optimizer: String,
    /// Its kind.
    pub kind: OptimizerKind,
    /// The network family.
    pub family: Family,
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
    /// Curvature state and peak, in bytes ([`curvature_memory`]).
    pub memory: Memory,
    /// Evaluations per iteration (measured; for an extrapolated point, those
    /// of the last measured size).
    pub counts: PerIteration,
    /// The cost model's multiply-adds per iteration ([`iteration_work`]).
    pub work: Work,
}

/// Settings of the study.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingConfig {
    /// Widths `h` of the `2-h-1` networks.
    pub shallow_widths: Vec<usize>,
    /// Widths `h` of the `2-h-h-1` networks.
    pub deep_widths: Vec<usize>,
    /// The optimizers ([`study_optimizers`] by default).
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

/// The study's eight optimizers with the reference race's settings: GD
/// (step 0.5), Adam (step 0.05), L-BFGS, BFGS, Newton, GGN, Hessian-free and
/// K-FAC (damping 0.1).
pub fn study_optimizers() -> Vec<OptimizerSpec> {
    use OptimizerKind as K;
    vec![
        OptimizerSpec::new(K::Gd).lr(0.5),
        OptimizerSpec::new(K::Adam).lr(0.05),
        OptimizerSpec::new(K::Lbfgs),
        OptimizerSpec::new(K::Bfgs),
        OptimizerSpec::new(K::Newton),
        OptimizerSpec::new(K::Ggn),
        OptimizerSpec::new(K::HessianFree),
        OptimizerSpec::new(K::Kfac),
    ]
}

impl ScalingConfig {
    /// The full sweep: `2-h-1` from `h = 2` (`D = 9`) to `h = 25 000`
    /// (`D = 100 001`), `2-h-h-1` from `h = 2` (`D = 15`) to `h = 316`
    /// (`D = 101 437`), the default [`Budget`] (0.5 s, 2 GB), 3 timed
    /// iterations, time to loss 0.05 at `h = 4, 16, 64, 256` capped at 2 s.
    pub fn full() -> Self {
        Self {
            shallow_widths: vec![
                2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 25000,
            ],
            deep_widths: vec![2, 3, 5, 8, 12, 18, 27, 40, 60, 90, 135, 200, 316],
            optimizers: study_optimizers(),
            budget: Budget::default(),
            repeats: 3,
            seed: 0,
            target_widths: vec![4, 16, 64, 256],
            target_loss: 0.05,
            target_cap_seconds: 2.0,
        }
    }

    /// A sweep for tests and the notebook (a few seconds): `2-h-1` up to
    /// `h = 2048`, `2-h-h-1` up to `h = 60`, a budget of 20 ms and 64 MB per
    /// iteration, time to loss 0.05 at `h = 4, 16` capped at 0.25 s.
    pub fn quick() -> Self {
        Self {
            shallow_widths: vec![2, 4, 8, 16, 32, 64, 128, 256, 512, 2048],
            deep_widths: vec![2, 4, 8, 16, 32, 60],
            budget: Budget {
                seconds_per_iter: 0.02,
                bytes: 64e6,
            },
            target_widths: vec![4, 16],
            target_cap_seconds: 0.25,
            ..Self::full()
        }
    }

    /// The widths of `family`.
    pub fn widths(&self, family: Family) -> &[usize] {
        match family {
            Family::Shallow => &self.shallow_widths,
            Family::Deep => &self.deep_widths,
        }
    }

    fn validate(&self) -> Result<()> {
        let bad = |what: &str| Err(Error::InvalidConfig(format!("scaling study: {what}")));
        if self.repeats < 2 {
            return bad("at least 2 timed iterations are needed for a median");
        }
        if !(self.budget.seconds_per_iter > 0.0 && self.budget.bytes > 0.0) {
            return bad("the budget must be positive");
        }
        let widths = self.shallow_widths.iter().chain(&self.deep_widths);
        if widths.chain(&self.target_widths).any(|&h| h == 0) {
            return bad("widths must be positive");
        }
        if !(self.target_loss.is_finite() && self.target_cap_seconds > 0.0) {
            return bad("the target loss must be finite and the cap positive");
        }
        Ok(())
    }
}

/// A least-squares line through `(ln x, ln y)`: `ln y = intercept + slope ln x`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlopeFit {
    /// The log-log slope (the exponent of the power law).
    pub slope: f64,
    /// The intercept `ln a` of `y = a x^slope`.
    pub intercept: f64,
    /// Number of points fitted.
    pub points: usize,
    /// Smallest `x` fitted.
    pub x_min: f64,
    /// Largest `x` fitted.
    pub x_max: f64,
}

impl SlopeFit {
    /// The fitted power law at `x`.
    pub fn at(&self, x: f64) -> f64 {
        (self.intercept + self.slope * x.ln()).exp()
    }
}

/// Fits `y = a x^b` by least squares on `(ln x, ln y)`, skipping
/// non-positive or non-finite pairs; `None` with fewer than two usable
/// points or a single distinct `x`.
pub fn fit_loglog(points: &[(f64, f64)]) -> Option<SlopeFit> {
    let usable: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0 && x.is_finite() && y.is_finite())
        .collect();
    let logs: Vec<(f64, f64)> = usable.iter().map(|(x, y)| (x.ln(), y.ln())).collect();
    let k = logs.len() as f64;
    if logs.len() < 2 {
        return None;
    }
    let mx = logs.iter().map(|p| p.0).sum::<f64>() / k;
    let my = logs.iter().map(|p| p.1).sum::<f64>() / k;
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx <= 1e-300 {
        return None;
    }
    let slope = sxy / sxx;
    let xs = usable.iter().map(|p| p.0);
    Some(SlopeFit {
        slope,
        intercept: my - slope * mx,
        points: logs.len(),
        x_min: xs.clone().fold(f64::INFINITY, f64::min),
        x_max: xs.fold(0.0, f64::max),
    })
}

/// The upper range of `points` sorted by `x`: the largest `max(3, ⌈n/2⌉)`
/// (all of them when there are at most 3), where fixed per-iteration
/// overhead weighs least.
pub fn upper_range(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut p = points.to_vec();
    p.sort_by(|a, b| a.0.total_cmp(&b.0));
    let keep = 3.max(p.len().div_ceil(2)).min(p.len());
    p.split_off(p.len() - keep)
}

/// Measured slopes of one optimizer on one family beside the theory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlopeRow {
    /// The optimizer's label.
    pub optimizer: String,
    /// Its kind.
    pub kind: OptimizerKind,
    /// The family.
    pub family: Family,
    /// Measured points.
    pub measured: usize,
    /// Time per iteration against `D`, upper range of the measured points ([`upper_range`]).
    pub time_upper: Option<SlopeFit>,
    /// Time per iteration against `D`, every measured point.
    pub time_all: Option<SlopeFit>,
    /// The cost model's slope over the same upper range (its counts, exact exponents).
    pub theory_range: Option<f64>,
    /// The asymptotic exponent of the theory in `D` ([`theory`]).
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
    pub family: Family,
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

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let k = v.len();
    if k % 2 == 1 {
        v[k / 2]
    } else {
        0.5 * (v[k / 2 - 1] + v[k / 2])
    }
}

fn median_seconds<T>(repeats: usize, mut f: impl FnMut() -> T) -> f64 {
    median(
        (0..repeats)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

struct Measurement {
    seconds: f64,
    counts: PerIteration,
    form: Option<f64>,
    solve: Option<f64>,
}

/// Runs `spec` for `repeats + 1` iterations (no step-norm stop) and takes
/// the median time of iterations `2 … repeats + 1`; for Newton also times
/// forming `H` and the damped solve on their own.
fn measure(
    problem: &XorProblem,
    start: &Array1<f64>,
    spec: &OptimizerSpec,
    repeats: usize,
) -> std::result::Result<Measurement, String> {
    let cfg = RaceConfig {
        max_iters: repeats as u64 + 1,
        tol: 0.0,
        divergence_factor: 1e12,
        ..RaceConfig::default()
    };
    let trace = run(problem, start, spec, &cfg);
    let counts = per_iteration(&trace).ok_or_else(|| {
        format!(
            "stopped after {} iteration(s): {}",
            trace.steps(),
            trace.stop.short()
        )
    })?;
    let times: Vec<f64> = (2..trace.elapsed_ms.len())
        .map(|i| (trace.elapsed_ms[i] - trace.elapsed_ms[i - 1]) * 1e-3)
        .collect();
    let (mut form, mut solve) = (None, None);
    if spec.kind == OptimizerKind::Newton {
        let lambda = spec.settings(&cfg).damping.unwrap_or(cfg.damping);
        let h = Hessian::hessian(problem, start).map_err(|e| e.to_string())?;
        let g = Gradient::gradient(problem, start).map_err(|e| e.to_string())?;
        form = Some(median_seconds(repeats, || Hessian::hessian(problem, start)));
        solve = Some(median_seconds(repeats, || solve_damped(&h, lambda, &g)));
    }
    Ok(Measurement {
        seconds: median(times),
        counts,
        form,
        solve,
    })
}

/// Timed iterations for a point predicted to take `predicted` seconds per
/// iteration: as many as fit in 20 ms, at least `repeats` and at most
/// `5 × repeats` (cheap points are the noisiest).
fn timed_iterations(predicted: f64, repeats: usize) -> usize {
    let fit = (0.02 / predicted).floor();
    if fit.is_finite() && fit > 0.0 {
        (fit.min(1e6) as usize).clamp(repeats, 5 * repeats)
    } else {
        repeats
    }
}

/// What the sweep remembers of the last measured size of one optimizer and family.
#[derive(Clone, Copy)]
struct Calibration {
    seconds_per_work: f64,
    form_rate: Option<f64>,
    solve_rate: Option<f64>,
    counts: PerIteration,
}

impl ScalingStudy {
    /// Runs the study (see the module documentation).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an invalid configuration. A solver that
    /// fails gives a [`Provenance::Failed`] point, never an error.
    pub fn run(cfg: &ScalingConfig) -> Result<Self> {
        Self::run_with(cfg, |_| {})
    }

    /// [`ScalingStudy::run`], calling `progress` after each point.
    ///
    /// # Errors
    /// As [`ScalingStudy::run`].
    pub fn run_with(cfg: &ScalingConfig, mut progress: impl FnMut(&ScalingPoint)) -> Result<Self> {
        cfg.validate()?;
        let t0 = Instant::now();
        let data = Dataset::separable();
        let n = data.len();
        let mut points = Vec::new();
        for family in Family::ALL {
            for spec in &cfg.optimizers {
                let mut cal: Option<Calibration> = None;
                let mut over = false;
                for &h in cfg.widths(family) {
                    let problem = XorProblem::full(data.clone(), &family.hidden(h))?;
                    let mlp = problem.mlp().clone();
                    let memory = curvature_memory(spec.kind, &mlp, n);
                    let counts = cal.map_or_else(|| nominal_counts(spec.kind, &mlp), |c| c.counts);
                    let work = iteration_work(spec.kind, &mlp, n, &counts);
                    // Before any measurement: assume 1 ns per multiply-add.
                    let rate = cal.map_or(1e-9, |c| c.seconds_per_work);
                    let predicted = rate * work.total();
                    let mut point = ScalingPoint {
                        optimizer: spec.label.clone(),
                        kind: spec.kind,
                        family,
                        width: h,
                        dim: mlp.num_params(),
                        provenance: Provenance::Extrapolated,
                        note: String::new(),
                        seconds_per_iter: predicted,
                        form_seconds: None,
                        solve_seconds: None,
                        memory,
                        counts,
                        work,
                    };
                    match decide(&cfg.budget, predicted, memory.peak_bytes, over) {
                        Decision::Extrapolate(why) => {
                            over = true;
                            point.note = why;
                            if let Some(c) = cal {
                                point.form_seconds = c.form_rate.map(|r| r * work.form);
                                point.solve_seconds = c.solve_rate.map(|r| r * work.solve);
                            }
                        }
                        Decision::Run => {
                            let start = mlp.init(cfg.seed);
                            let reps = timed_iterations(predicted, cfg.repeats);
                            match measure(&problem, &start, spec, reps) {
                                Ok(m) => {
                                    let work = iteration_work(spec.kind, &mlp, n, &m.counts);
                                    point.provenance = Provenance::Measured;
                                    point.seconds_per_iter = m.seconds;
                                    point.form_seconds = m.form;
                                    point.solve_seconds = m.solve;
                                    point.counts = m.counts;
                                    point.work = work;
                                    cal = Some(Calibration {
                                        seconds_per_work: m.seconds / work.total(),
                                        form_rate: m.form.map(|s| s / work.form),
                                        solve_rate: m.solve.map(|s| s / work.solve),
                                        counts: m.counts,
                                    });
                                    over = m.seconds > cfg.budget.seconds_per_iter;
                                }
                                Err(why) => {
                                    point.provenance = Provenance::Failed;
                                    point.seconds_per_iter = f64::NAN;
                                    point.note = why;
                                }
                            }
                        }
                    }
                    progress(&point);
                    points.push(point);
                }
            }
        }
        let mut study = Self {
            config: cfg.clone(),
            points,
            slopes: Vec::new(),
            crossovers: Vec::new(),
            targets: Vec::new(),
            seconds: 0.0,
        };
        study.slopes = study.fit_slopes();
        study.crossovers = Family::ALL
            .iter()
            .filter_map(|&f| study.newton_crossover(f, n))
            .collect();
        study.targets = study.time_to_target(&data)?;
        study.seconds = t0.elapsed().as_secs_f64();
        Ok(study)
    }

    /// The points of one optimizer (by label) on one family, by width.
    pub fn series(&self, optimizer: &str, family: Family) -> Vec<&ScalingPoint> {
        self.points
            .iter()
            .filter(|p| p.optimizer == optimizer && p.family == family)
            .collect()
    }

    /// The slope row of one optimizer (by label) on one family.
    pub fn slope(&self, optimizer: &str, family: Family) -> Option<&SlopeRow> {
        self.slopes
            .iter()
            .find(|r| r.optimizer == optimizer && r.family == family)
    }

    fn fit_slopes(&self) -> Vec<SlopeRow> {
        let mut rows = Vec::new();
        for family in Family::ALL {
            for spec in &self.config.optimizers {
                let measured: Vec<&ScalingPoint> = self
                    .series(&spec.label, family)
                    .into_iter()
                    .filter(|p| p.provenance == Provenance::Measured)
                    .collect();
                let time: Vec<(f64, f64)> = measured
                    .iter()
                    .map(|p| (p.dim as f64, p.seconds_per_iter))
                    .collect();
                let upper = upper_range(&time);
                let upper_dims: Vec<f64> = upper.iter().map(|p| p.0).collect();
                let model: Vec<(f64, f64)> = measured
                    .iter()
                    .filter(|p| upper_dims.contains(&(p.dim as f64)))
                    .map(|p| (p.dim as f64, p.work.total()))
                    .collect();
                let memory: Vec<(f64, f64)> = measured
                    .iter()
                    .map(|p| (p.dim as f64, p.memory.state_bytes))
                    .collect();
                let mut row = SlopeRow {
                    optimizer: spec.label.clone(),
                    kind: spec.kind,
                    family,
                    measured: measured.len(),
                    time_upper: fit_loglog(&upper),
                    time_all: fit_loglog(&time),
                    theory_range: fit_loglog(&model).map(|f| f.slope),
                    theory_asymptotic: theory(spec.kind, family).1,
                    memory: fit_loglog(&memory),
                    note: String::new(),
                };
                let cg = measured.last().map(|p| p.counts.curvature);
                row.note = deviation_note(&row, cg);
                rows.push(row);
            }
        }
        rows
    }

    fn newton_crossover(&self, family: Family, n: usize) -> Option<Crossover> {
        let newton = self
            .config
            .optimizers
            .iter()
            .find(|s| s.kind == OptimizerKind::Newton)?;
        let pts: Vec<(f64, f64, f64)> = self
            .series(&newton.label, family)
            .into_iter()
            .filter(|p| p.provenance == Provenance::Measured)
            .filter_map(|p| Some((p.dim as f64, p.form_seconds?, p.solve_seconds?)))
            .filter(|(_, f, s)| *f > 0.0 && *s > 0.0)
            .collect();
        let &(d_top, f_top, s_top) = pts.last()?;
        let form_rate = f_top / form_work(d_top, n as f64);
        let solve_rate = s_top / solve_work(d_top);
        // Measured only if the solve leads at the largest measured size; then
        // the last place where it took the lead (timing noise can make the
        // curves touch earlier).
        let crossing = pts
            .windows(2)
            .rev()
            .take_while(|_| s_top >= f_top)
            .find_map(|w| {
                let (r0, r1) = ((w[0].2 / w[0].1).ln(), (w[1].2 / w[1].1).ln());
                (r0 < 0.0 && r1 >= 0.0).then(|| {
                    let t = -r0 / (r1 - r0);
                    (w[0].0.ln() + t * (w[1].0.ln() - w[0].0.ln())).exp()
                })
            });
        let (dim, provenance) = match crossing {
            Some(d) => (d, Provenance::Measured),
            None => {
                // c_f N D² = c_s (D³/6 + D²)  ⇒  D = 6 (c_f N / c_s − 1)
                let d = 6.0 * (form_rate * n as f64 / solve_rate - 1.0);
                (d.max(1.0), Provenance::Extrapolated)
            }
        };
        Some(Crossover {
            family,
            dim,
            width: family.width_for_dim(dim),
            provenance,
            form_rate,
            solve_rate,
        })
    }

    fn time_to_target(&self, data: &Dataset) -> Result<Vec<TargetRun>> {
        let cfg = &self.config;
        let mut out = Vec::new();
        for &h in &cfg.target_widths {
            let problem = XorProblem::full(data.clone(), &[h])?;
            let mlp = problem.mlp().clone();
            let start = mlp.init(cfg.seed);
            for spec in &cfg.optimizers {
                let per_iter = self.predict_seconds(&spec.label, Family::Shallow, &mlp, data.len());
                let memory = curvature_memory(spec.kind, &mlp, data.len());
                let iters = (cfg.target_cap_seconds / per_iter).floor().min(500.0);
                let mut run_out = TargetRun {
                    optimizer: spec.label.clone(),
                    width: h,
                    dim: mlp.num_params(),
                    max_iters: 0,
                    iterations: None,
                    seconds: None,
                    final_loss: f64::NAN,
                    stop: String::new(),
                };
                if memory.peak_bytes > cfg.budget.bytes || iters.is_nan() || iters < 1.0 {
                    run_out.stop = format!(
                        "not run: one iteration exceeds the cap ({})",
                        format_seconds(per_iter)
                    );
                    out.push(run_out);
                    continue;
                }
                let race_cfg = RaceConfig {
                    max_iters: iters as u64,
                    ..RaceConfig::default()
                };
                let trace = run(&problem, &start, spec, &race_cfg);
                run_out.max_iters = race_cfg.max_iters;
                run_out.iterations = trace.iterations_to(cfg.target_loss);
                run_out.seconds = run_out
                    .iterations
                    .and_then(|k| trace.elapsed_ms.get(k))
                    .map(|ms| ms * 1e-3);
                run_out.final_loss = trace.final_loss();
                run_out.stop = trace.stop.short();
                out.push(run_out);
            }
        }
        Ok(out)
    }

    /// Predicted seconds per iteration of an optimizer on `mlp`: the measured
    /// point at that size if there is one, else the calibrated model of the
    /// nearest measured size of `family`.
    fn predict_seconds(&self, optimizer: &str, family: Family, mlp: &Mlp, n: usize) -> f64 {
        let series = self.series(optimizer, family);
        if let Some(p) = series
            .iter()
            .find(|p| p.dim == mlp.num_params() && p.provenance == Provenance::Measured)
        {
            return p.seconds_per_iter;
        }
        let nearest = series
            .iter()
            .filter(|p| p.provenance == Provenance::Measured)
            .min_by(|a, b| {
                let da = (a.dim as f64 / mlp.num_params() as f64).ln().abs();
                let db = (b.dim as f64 / mlp.num_params() as f64).ln().abs();
                da.total_cmp(&db)
            });
        match nearest {
            Some(p) => {
                let w = iteration_work(p.kind, mlp, n, &p.counts).total();
                p.seconds_per_iter / p.work.total() * w
            }
            None => f64::INFINITY,
        }
    }

    /// The points as a text table (one line per point).
    pub fn points_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<13} {:<8} {:>6} {:>8} {:>12} {:>10} {:>10} {:>10}  {:<12} counts/iter (loss grad hess curv solve)",
            "optimizer", "family", "h", "D", "s/iter", "form s", "solve s", "state", "provenance"
        );
        for p in &self.points {
            let opt = |v: Option<f64>| v.map_or("-".to_string(), format_seconds);
            let c = &p.counts;
            let _ = writeln!(
                s,
                "{:<13} {:<8} {:>6} {:>8} {:>12} {:>10} {:>10} {:>10}  {:<12} {:.1} {:.1} {:.1} {:.1} {:.1}{}",
                p.optimizer,
                p.family.label(),
                p.width,
                p.dim,
                format_seconds(p.seconds_per_iter),
                opt(p.form_seconds),
                opt(p.solve_seconds),
                format_bytes(p.memory.state_bytes),
                provenance_label(p.provenance),
                c.cost,
                c.gradient,
                c.hessian,
                c.curvature,
                c.linear_solve,
                if p.note.is_empty() { String::new() } else { format!("  ({})", p.note) }
            );
        }
        s
    }

    /// The slopes beside the theory, with a note for each deviation.
    pub fn slopes_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<13} {:<8} {:>4}  {:>9} {:>9} {:>9} {:>6}  {:>7}  theory (time; memory)",
            "optimizer", "family", "pts", "time, top", "time, all", "model", "asym", "memory"
        );
        let f = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.2}"));
        for r in &self.slopes {
            let (t, _, m) = theory(r.kind, r.family);
            let _ = writeln!(
                s,
                "{:<13} {:<8} {:>4}  {:>9} {:>9} {:>9} {:>6.1}  {:>7}  {t}; {m}",
                r.optimizer,
                r.family.label(),
                r.measured,
                f(r.time_upper.map(|x| x.slope)),
                f(r.time_all.map(|x| x.slope)),
                f(r.theory_range),
                r.theory_asymptotic,
                f(r.memory.map(|x| x.slope)),
            );
            let _ = writeln!(s, "{:<13}   → {}", "", r.note);
        }
        s
    }

    /// Newton's crossovers as text.
    pub fn crossover_text(&self) -> String {
        let mut s = String::new();
        for c in &self.crossovers {
            let _ = writeln!(
                s,
                "Newton, {}: the solve overtakes forming H at D ≈ {:.0} (h ≈ {:.0}), {}; \
                 forming runs at {:.2} ns and the solve at {:.2} ns per multiply-add",
                c.family.label(),
                c.dim,
                c.width,
                match c.provenance {
                    Provenance::Measured => "measured (between two measured sizes)",
                    _ => "extrapolated from the calibrated models",
                },
                c.form_rate * 1e9,
                c.solve_rate * 1e9,
            );
        }
        s
    }

    /// Time to the target loss as a text table.
    pub fn targets_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "time to loss {} on 2-h-1 (cap {} per run)",
            self.config.target_loss,
            format_seconds(self.config.target_cap_seconds)
        );
        let _ = writeln!(
            s,
            "{:<13} {:>5} {:>7} {:>10} {:>11} {:>10}  stop",
            "optimizer", "h", "D", "iters", "seconds", "final loss"
        );
        for t in &self.targets {
            let _ = writeln!(
                s,
                "{:<13} {:>5} {:>7} {:>10} {:>11} {:>10.4}  {}",
                t.optimizer,
                t.width,
                t.dim,
                t.iterations.map_or("-".into(), |k| k.to_string()),
                t.seconds.map_or("-".into(), format_seconds),
                t.final_loss,
                t.stop
            );
        }
        s
    }

    /// The points as CSV (one row per point; extrapolated rows say so in
    /// `provenance`).
    ///
    /// # Errors
    /// [`Error::InvalidData`] if serialisation fails.
    pub fn to_csv(&self) -> Result<String> {
        #[derive(Serialize)]
        struct Row<'a> {
            optimizer: &'a str,
            family: &'a str,
            width: usize,
            dim: usize,
            provenance: &'a str,
            seconds_per_iter: f64,
            form_seconds: Option<f64>,
            solve_seconds: Option<f64>,
            state_bytes: f64,
            peak_bytes: f64,
            cost_per_iter: f64,
            gradient_per_iter: f64,
            hessian_per_iter: f64,
            curvature_per_iter: f64,
            solves_per_iter: f64,
            model_work: f64,
            note: &'a str,
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        for p in &self.points {
            let c = &p.counts;
            w.serialize(Row {
                optimizer: &p.optimizer,
                family: p.family.label(),
                width: p.width,
                dim: p.dim,
                provenance: provenance_label(p.provenance),
                seconds_per_iter: p.seconds_per_iter,
                form_seconds: p.form_seconds,
                solve_seconds: p.solve_seconds,
                state_bytes: p.memory.state_bytes,
                peak_bytes: p.memory.peak_bytes,
                cost_per_iter: c.cost,
                gradient_per_iter: c.gradient,
                hessian_per_iter: c.hessian,
                curvature_per_iter: c.curvature,
                solves_per_iter: c.linear_solve,
                model_work: p.work.total(),
                note: &p.note,
            })
            .map_err(|e| Error::InvalidData(e.to_string()))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| Error::InvalidData(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| Error::InvalidData(e.to_string()))
    }

    /// Writes [`ScalingStudy::to_csv`] to `path` atomically.
    ///
    /// # Errors
    /// As [`ScalingStudy::to_csv`], or [`Error::Io`].
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::report::write_atomic(path.as_ref(), self.to_csv()?.as_bytes())
    }

    /// The figure's four panels: time per iteration (theory dashed, the
    /// model through the largest measured size) and curvature memory, for
    /// each family; extrapolated points hollow.
    pub fn panels(&self) -> Vec<ScalingPanel> {
        let mut panels = Vec::new();
        for time in [true, false] {
            for family in Family::ALL {
                let mut series = Vec::new();
                for spec in &self.config.optimizers {
                    let pts = self.series(&spec.label, family);
                    let marks: Vec<ScalingMark> = pts
                        .iter()
                        .filter(|p| p.provenance != Provenance::Failed)
                        .map(|p| ScalingMark {
                            x: p.dim as f64,
                            y: if time {
                                p.seconds_per_iter
                            } else {
                                p.memory.state_bytes
                            },
                            measured: p.provenance == Provenance::Measured,
                        })
                        .collect();
                    let theory_line = if time {
                        // The cost model, scaled through the largest measured point.
                        let top = pts
                            .iter()
                            .rev()
                            .find(|p| p.provenance == Provenance::Measured);
                        top.map(|t| {
                            let rate = t.seconds_per_iter / t.work.total();
                            pts.iter()
                                .map(|p| (p.dim as f64, rate * p.work.total()))
                                .collect()
                        })
                        .unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                    series.push(ScalingSeries {
                        label: spec.label.clone(),
                        marks,
                        theory: theory_line,
                    });
                }
                panels.push(ScalingPanel {
                    title: format!(
                        "{}, {}",
                        if time {
                            "time per iteration"
                        } else {
                            "curvature memory"
                        },
                        family.label()
                    ),
                    y_label: if time { "seconds" } else { "bytes" }.into(),
                    budget: Some(if time {
                        self.config.budget.seconds_per_iter
                    } else {
                        self.config.budget.bytes
                    }),
                    series,
                });
            }
        }
        panels
    }

    /// The study's log-log figure as a PNG (see [`ScalingStudy::panels`]).
    ///
    /// # Errors
    /// As [`scaling_figure`].
    pub fn figure(&self, width: u32, height: u32) -> plot::Result<Figure> {
        scaling_figure(
            "The cost of curvature: per iteration, against the number of parameters D",
            &self.panels(),
            width,
            height,
        )
    }
}

/// The log-log slope of `kind`'s curvature-state bytes against `D` over the
/// widths `widths` of `family`, from [`curvature_memory`] alone (no run).
pub fn memory_slope(kind: OptimizerKind, family: Family, widths: &[usize]) -> Option<f64> {
    let pts: Vec<(f64, f64)> = widths
        .iter()
        .filter_map(|&h| {
            let mlp = Mlp::with_hidden(&family.hidden(h)).ok()?;
            let bytes = curvature_memory(kind, &mlp, Dataset::separable().len()).state_bytes;
            Some((mlp.num_params() as f64, bytes))
        })
        .collect();
    fit_loglog(&pts).map(|f| f.slope)
}

/// The largest width `h` of `family` whose dense `D × D` f64 matrix
/// ([`dense_bytes`]) fits in `bytes` (0 if none does).
pub fn max_dense_width(family: Family, bytes: f64) -> usize {
    let mut h = 0;
    while dense_bytes(family.dim(h + 1) as f64) <= bytes {
        h += 1;
    }
    h
}

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
/// ([`crate::race::RacePreset::full_network`], default [`RaceConfig`]):
/// per optimizer, the evaluations it paid per iteration, from
/// [`Trace::counts`], and the iterations it needed to reach `target`.
/// Deterministic: no wall time.
///
/// # Errors
/// [`Error::InvalidConfig`] for an empty or zero width.
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
            format_bytes(r.state_bytes),
            r.stop
        );
    }
    s
}

/// `"measured"`, `"extrapolated"` or `"failed"`.
pub fn provenance_label(p: Provenance) -> &'static str {
    match p {
        Provenance::Measured => "measured",
        Provenance::Extrapolated => "extrapolated",
        Provenance::Failed => "failed",
    }
}

/// Where and why a measured time slope departs from the theory.
fn deviation_note(r: &SlopeRow, cg_products: Option<f64>) -> String {
    let (Some(top), Some(model)) = (r.time_upper, r.theory_range) else {
        return "too few measured points to fit a slope".into();
    };
    let gap = top.slope - model;
    let all = r.time_all.map_or(top.slope, |f| f.slope);
    let range = format!(
        "top {} sizes, D = {:.0}–{:.0}",
        top.points, top.x_min, top.x_max
    );
    let mut note = if gap.abs() <= 0.3 {
        format!("agrees with the model's {model:.2} ({range})")
    } else if gap < 0.0 {
        let why = if all < top.slope - 0.15 {
            "fixed per-iteration overhead (argmin's executor, allocations, the line search's \
             bookkeeping) still weighs here: the slope over every point is lower still"
        } else if r.theory_asymptotic >= 2.0 {
            "large dense products run faster per multiply-add than small ones (BLAS blocks \
             them), so time grows slower than the count"
        } else {
            "overhead that does not grow with D"
        };
        format!("flatter than the model's {model:.2} ({range}): {why}")
    } else {
        format!(
            "steeper than the model's {model:.2} ({range}): the working set leaves the caches \
             and the machine is shared, so each multiply-add costs more at large D"
        )
    };
    use OptimizerKind as K;
    match (r.kind, r.family) {
        (K::Bfgs, _) => note.push_str(
            "; argmin's BFGS forms its update with two dense D × D products (D³), where the \
             textbook rank-two update is D²",
        ),
        (K::HessianFree, _) => {
            if let Some(k) = cg_products {
                let _ = write!(
                    note,
                    "; {k:.0} GGN-vector products per iteration at the largest measured size"
                );
            }
        }
        (K::Kfac, Family::Shallow) => note.push_str(
            "; one wide layer: its h × h factors make K-FAC's eigendecompositions cubic in D",
        ),
        (K::Kfac, Family::Deep) => {
            note.push_str("; at width h the factors are h × h while D ≈ h²: n³ ≈ D^1.5")
        }
        (K::Newton | K::Ggn, _) => note.push_str(
            "; forming (N D²) dominates until D ≈ 6N × (form rate / solve rate), then the D³ \
             solve takes over",
        ),
        _ => {}
    }
    note
}

/// `1.23 ms`, `4.5 s`, `12 µs`; `-` for NaN.
pub fn format_seconds(s: f64) -> String {
    if !s.is_finite() {
        "-".into()
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

/// A duration for people: seconds as [`format_seconds`], then `min`, `h`,
/// `days`, `years`, `million years`.
pub fn format_duration(s: f64) -> String {
    const YEAR: f64 = 365.25 * 86_400.0;
    if !s.is_finite() || s < 60.0 {
        format_seconds(s)
    } else if s < 3_600.0 {
        format!("{:.1} min", s / 60.0)
    } else if s < 86_400.0 {
        format!("{:.1} h", s / 3_600.0)
    } else if s < YEAR {
        format!("{:.0} days", s / 86_400.0)
    } else if s < 1e6 * YEAR {
        format!("{:.0} years", s / YEAR)
    } else {
        format!("{:.0} million years", s / YEAR / 1e6)
    }
}

/// `8.0 MB`, `8.0 TB`, `8.0 EB` (decimal units); `-` for NaN.
pub fn format_bytes(b: f64) -> String {
    if !b.is_finite() {
        return "-".into();
    }
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = b;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curvature::{CurvatureProducts, FisherKind, KfacCurvature};
    use crate::trace::{Counts, StopReason};

    #[test]
    fn slope_fit_is_exact_on_power_laws() {
        for (a, b) in [(3.0, 1.0), (1e-9, 2.0), (0.5, 3.0), (7.0, 1.5), (2.0, -0.5)] {
            let pts: Vec<(f64, f64)> = [9.0, 33.0, 129.0, 1025.0, 100_001.0]
                .iter()
                .map(|&x: &f64| (x, a * x.powf(b)))
                .collect();
            let f = fit_loglog(&pts).unwrap();
            assert!((f.slope - b).abs() < 1e-12, "{b}: {}", f.slope);
            assert!((f.at(50.0) / (a * 50f64.powf(b)) - 1.0).abs() < 1e-10);
            assert_eq!((f.points, f.x_min, f.x_max), (5, 9.0, 100_001.0));
        }
        // non-positive values are skipped, too few points give None
        let f = fit_loglog(&[(1.0, 2.0), (2.0, 8.0), (3.0, 0.0), (-1.0, 1.0)]).unwrap();
        assert!((f.slope - 2.0).abs() < 1e-12 && f.points == 2);
        assert!(fit_loglog(&[(1.0, 1.0)]).is_none());
        assert!(fit_loglog(&[(2.0, 1.0), (2.0, 3.0)]).is_none());
        // the upper range keeps the largest x
        let pts: Vec<(f64, f64)> = (1..=8).rev().map(|i| (i as f64, 1.0)).collect();
        let up = upper_range(&pts);
        assert_eq!(
            up.iter().map(|p| p.0).collect::<Vec<_>>(),
            [5.0, 6.0, 7.0, 8.0]
        );
        assert_eq!(upper_range(&pts[..2]).len(), 2);
    }

    #[test]
    fn families_and_their_inverse() {
        for h in [1, 2, 7, 100, 25_000] {
            for f in Family::ALL {
                let mlp = Mlp::with_hidden(&f.hidden(h)).unwrap();
                assert_eq!(mlp.num_params(), f.dim(h));
                assert!((f.width_for_dim(f.dim(h) as f64) - h as f64).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn memory_formulas_match_the_data_structures() {
        let data = Dataset::separable();
        let n = data.len();
        for hidden in [vec![3], vec![4, 5]] {
            let problem = XorProblem::full(data.clone(), &hidden).unwrap();
            let mlp = problem.mlp().clone();
            let d = mlp.num_params();
            let p = mlp.init(1);
            let mem = |k| curvature_memory(k, &mlp, n).state_bytes;
            let h = Hessian::hessian(&problem, &p).unwrap();
            assert_eq!(mem(OptimizerKind::Newton), 8.0 * h.len() as f64);
            let g = CurvatureProducts::ggn(&problem, &p).unwrap();
            let j = problem.output_jacobian(&p).unwrap();
            assert_eq!(mem(OptimizerKind::Ggn), 8.0 * (g.len() + j.len()) as f64);
            let f = KfacCurvature::kfac_factors(&problem, &p, FisherKind::Exact).unwrap();
            let entries: usize = f.layers.iter().map(|l| l.a.len() + l.g.len()).sum();
            assert_eq!(mem(OptimizerKind::Kfac), 8.0 * entries as f64);
            assert_eq!(mem(OptimizerKind::Bfgs), 8.0 * (d * d) as f64);
            assert_eq!(mem(OptimizerKind::Lbfgs), 8.0 * (20 * d + 10) as f64);
            assert_eq!(mem(OptimizerKind::Gd), 8.0 * d as f64);
            assert_eq!(mem(OptimizerKind::Adam), 16.0 * d as f64);
            assert_eq!(mem(OptimizerKind::HessianFree), 48.0 * d as f64);
            for &k in OptimizerKind::ALL {
                let m = curvature_memory(k, &mlp, n);
                assert!(m.peak_bytes >= m.state_bytes, "{k}");
            }
        }
        // by hand: 2-3-1 has D = 13; K-FAC's factors are 3×3, 3×3, 4×4, 1×1
        let mlp = Mlp::with_hidden(&[3]).unwrap();
        let k = curvature_memory(OptimizerKind::Kfac, &mlp, 100);
        assert_eq!(k.state_bytes, 8.0 * 35.0);
        assert_eq!(dense_bytes(1e3), 8e6);
        assert_eq!(dense_bytes(1e9), 8e18);
    }

    #[test]
    fn memory_slopes_are_the_exponents() {
        let slope = |k, f: Family| {
            let pts: Vec<(f64, f64)> = [1000, 2000, 4000, 8000]
                .iter()
                .map(|&h| {
                    let mlp = Mlp::with_hidden(&f.hidden(h)).unwrap();
                    (
                        mlp.num_params() as f64,
                        curvature_memory(k, &mlp, 100).state_bytes,
                    )
                })
                .collect();
            fit_loglog(&pts).unwrap().slope
        };
        use OptimizerKind as K;
        for k in [K::Gd, K::Adam, K::Lbfgs, K::HessianFree] {
            assert!((slope(k, Family::Deep) - 1.0).abs() < 1e-3);
        }
        for k in [K::Bfgs, K::Newton] {
            assert!((slope(k, Family::Shallow) - 2.0).abs() < 1e-3);
        }
        assert!((slope(K::Kfac, Family::Shallow) - 2.0).abs() < 0.01);
        assert!((slope(K::Kfac, Family::Deep) - 1.0).abs() < 0.01);
    }

    #[test]
    fn over_budget_is_never_run() {
        let b = Budget {
            seconds_per_iter: 1.0,
            bytes: 1e6,
        };
        assert_eq!(decide(&b, 0.5, 1e5, false), Decision::Run);
        assert_eq!(decide(&b, 1.0, 1e6, false), Decision::Run);
        for (t, m, over) in [
            (1.5, 1e5, false),
            (0.5, 2e6, false),
            (0.1, 1e3, true),
            (f64::NAN, 1e3, false),
            (0.1, f64::INFINITY, false),
        ] {
            assert!(
                matches!(decide(&b, t, m, over), Decision::Extrapolate(_)),
                "{t} {m} {over}"
            );
        }
        // A study whose memory budget only admits the smallest networks.
        let cfg = ScalingConfig {
            shallow_widths: vec![2, 4, 64],
            deep_widths: vec![2, 8],
            optimizers: vec![
                OptimizerSpec::new(OptimizerKind::Gd).lr(0.5),
                OptimizerSpec::new(OptimizerKind::Newton),
                OptimizerSpec::new(OptimizerKind::Kfac),
            ],
            budget: Budget {
                seconds_per_iter: 10.0,
                bytes: 8.0 * 4.0 * 17.0 * 17.0 + 1.0, // Newton at 2-4-1 (D = 17) just fits
            },
            target_widths: vec![2],
            target_cap_seconds: 0.05,
            ..ScalingConfig::quick()
        };
        let study = ScalingStudy::run(&cfg).unwrap();
        assert_eq!(study.points.len(), 3 * 5);
        for p in &study.points {
            let fits = p.memory.peak_bytes <= cfg.budget.bytes;
            if p.provenance == Provenance::Measured {
                assert!(
                    fits,
                    "{} at D = {} measured over budget",
                    p.optimizer, p.dim
                );
                assert!(p.note.is_empty());
            } else {
                assert!(!p.note.is_empty());
            }
            if !fits {
                assert_eq!(p.provenance, Provenance::Extrapolated, "{p:?}");
                assert!(p.seconds_per_iter > 0.0);
            }
        }
        let newton = study.series("Newton", Family::Shallow);
        let prov: Vec<_> = newton.iter().map(|p| p.provenance).collect();
        assert_eq!(
            prov,
            [
                Provenance::Measured,
                Provenance::Measured,
                Provenance::Extrapolated
            ]
        );
        // the extrapolated Newton point splits its prediction too
        assert!(newton[2].form_seconds.is_some() && newton[2].solve_seconds.is_some());
        // slopes are fitted on measured points only
        let row = study.slope("Newton", Family::Shallow).unwrap();
        assert_eq!((row.measured, row.time_all.map(|f| f.points)), (2, Some(2)));
        assert!(study
            .slope("Newton", Family::Deep)
            .unwrap()
            .time_all
            .is_none());
        let csv = study.to_csv().unwrap();
        assert_eq!(csv.lines().count(), 1 + study.points.len());
        assert!(csv.contains(",extrapolated,") && csv.contains(",measured,"));
        assert_eq!(study.panels().len(), 4);
    }

    #[test]
    fn counts_per_iteration_skip_the_init() {
        let c = |cost, gradient, hessian| Counts {
            cost,
            gradient,
            hessian,
            curvature: 0,
            linear_solve: hessian,
        };
        let trace = Trace {
            optimizer: "x".into(),
            problem: "p".into(),
            iterates: vec![vec![0.0]; 4],
            loss: vec![1.0; 4],
            grad_norm: vec![1.0; 4],
            counts: vec![c(0, 0, 0), c(2, 2, 1), c(3, 3, 2), c(4, 4, 3)],
            elapsed_ms: vec![0.0, 1.0, 2.0, 3.0],
            stop: StopReason::MaxIters,
            settings: Default::default(),
        };
        let per = per_iteration(&trace).unwrap();
        assert_eq!((per.cost, per.gradient, per.hessian), (1.0, 1.0, 1.0));
        let short = Trace {
            counts: trace.counts[..2].to_vec(),
            ..trace
        };
        assert!(per_iteration(&short).is_none());
    }

    #[test]
    fn work_model_exponents() {
        use OptimizerKind as K;
        let w = |k, h: usize, f: Family| {
            let mlp = Mlp::with_hidden(&f.hidden(h)).unwrap();
            iteration_work(k, &mlp, 100, &nominal_counts(k, &mlp))
        };
        let d = |h: usize, f: Family| f.dim(h) as f64;
        // Newton: forming N D², solving D³/6 + D²
        let n = w(K::Newton, 1000, Family::Shallow);
        assert_eq!(n.form, 100.0 * d(1000, Family::Shallow).powi(2));
        // doubling h doubles GD's work, multiplies BFGS's by about 8
        let r = w(K::Gd, 2000, Family::Shallow).total() / w(K::Gd, 1000, Family::Shallow).total();
        assert!((r - 2.0).abs() < 0.01);
        let r =
            w(K::Bfgs, 2000, Family::Shallow).total() / w(K::Bfgs, 1000, Family::Shallow).total();
        assert!((r - 8.0).abs() < 0.1);
        assert_eq!(newton_flop_crossover(100), 600.0);
        assert!(
            (solve_work(600.0) - form_work(600.0, 100.0)).abs() / form_work(600.0, 100.0) < 0.011
        );
    }

    #[test]
    fn dense_width_limits() {
        // 24 GiB: D ≤ 56 755; 2-235-235-1 has D = 56 401, 2-236-236-1 has 56 877
        let gib24 = 24.0 * (1u64 << 30) as f64;
        assert_eq!(max_dense_width(Family::Deep, gib24), 235);
        assert_eq!(Family::Deep.dim(235), 56_401);
        assert_eq!(max_dense_width(Family::Shallow, dense_bytes(17.0)), 4);
        assert_eq!(max_dense_width(Family::Shallow, 1.0), 0);
        let s = memory_slope(OptimizerKind::Bfgs, Family::Deep, &[100, 200, 300]).unwrap();
        assert!((s - 2.0).abs() < 1e-9);
    }

    #[test]
    fn cheap_points_get_more_timed_iterations() {
        assert_eq!(timed_iterations(1.0, 3), 3);
        assert_eq!(timed_iterations(0.004, 3), 5);
        assert_eq!(timed_iterations(1e-6, 3), 15);
        assert_eq!(timed_iterations(f64::NAN, 3), 3);
    }

    #[test]
    fn formatting() {
        assert_eq!(format_bytes(8e6), "8.0 MB");
        assert_eq!(format_bytes(8e18), "8.0 EB");
        assert_eq!(format_bytes(512.0), "512 B");
        assert_eq!(format_seconds(2.5), "2.50 s");
        assert_eq!(format_seconds(0.0123), "12.30 ms");
        assert_eq!(format_seconds(1.5e-5), "15.0 µs");
        assert_eq!(format_seconds(f64::NAN), "-");
        assert_eq!(format_duration(1e4), "2.8 h");
        assert_eq!(format_duration(90.0), "1.5 min");
        assert_eq!(format_duration(1e10), "317 years");
        assert_eq!(format_duration(1.7e16), "539 million years");
    }

    #[test]
    fn invalid_configs_are_errors() {
        let bad = [
            ScalingConfig {
                repeats: 1,
                ..ScalingConfig::quick()
            },
            ScalingConfig {
                shallow_widths: vec![0],
                ..ScalingConfig::quick()
            },
            ScalingConfig {
                budget: Budget {
                    seconds_per_iter: 0.0,
                    bytes: 1.0,
                },
                ..ScalingConfig::quick()
            },
        ];
        for cfg in bad {
            assert!(ScalingStudy::run(&cfg).is_err());
        }
    }
}
