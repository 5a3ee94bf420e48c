//! The scaling study of chapter 10: what each optimizer pays per iteration,
//! in time and in memory, as the network grows from `D ≈ 10` to `D ≥ 10⁵`
//! parameters, measured on this crate's own code.
//!
//! ```no_run
//! use quad_vs_grad::lessons::cost_of_curvature::{ScalingConfig, ScalingStudy};
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
//! | BFGS (argmin) | `N·D + 2D³` (argmin forms the update with two dense `D × D` products; the textbook update is `O(D²)`) | `D²` |
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
//!
//! [`Dataset::separable`]: crate::data::Dataset::separable
//! [`XorProblem::full`]: crate::problem::XorProblem::full
//! [`Trace::counts`]: crate::trace::Trace::counts

mod figures;
mod fit;
mod ledger;
mod loglog;
mod memory;
mod model;
mod report;
mod results;
mod study;
mod target;

pub use figures::{
    draw_scaling, scaling_figure, scaling_svg, ScalingMark, ScalingPanel, ScalingSeries,
};
pub use ledger::{ledger, ledger_table, LedgerRow};
pub use loglog::{fit_loglog, upper_range, SlopeFit};
pub use memory::{
    curvature_memory, dense_bytes, kfac_factor_entries, max_dense_width, memory_slope,
};
pub use model::{
    decide, form_work, iteration_work, newton_flop_crossover, per_iteration, solve_work, theory,
    Budget, Decision, NetworkFamily, PerIteration, Provenance, Work, LBFGS_MEMORY,
};
pub use report::provenance_label;
pub use results::{
    Crossover, Memory, ScalingConfig, ScalingPoint, ScalingStudy, SlopeRow, TargetRun,
};
pub use study::study_optimizers;
