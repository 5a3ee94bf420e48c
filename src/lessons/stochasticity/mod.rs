//! Lesson 10, stochasticity: how noisy the mini-batch gradient `ĝ`, the
//! mini-batch Hessian `Ĥ` and the Newton step they give are, against the
//! batch size `B`, at one fixed point of a network.
//!
//! # The 1/B law, with the finite-population factor
//! With per-example gradients `g_i` (`i = 1..N`), full gradient
//! `g = (1/N) Σ g_i` and `σ² = (1/N) Σ ‖g_i − g‖²`, the mean gradient of a
//! batch of `B` examples drawn uniformly *without replacement* has
//!
//! ```text
//! E ‖ĝ_B − g‖² = (σ² / B) · (N − B) / (N − 1)
//! ```
//!
//! (Cochran, *Sampling Techniques*, 3rd ed., 1977, Theorem 2.2, summed over
//! coordinates): the `1/B` law of independent draws, times the
//! finite-population factor, which takes it to exactly 0 at `B = N`.
//! [`batch_noise`] measures the left side over many seeded draws and
//! computes the right side exactly from the per-example gradients.
//!
//! # Why `Ĥ` hurts more than `ĝ`
//! A gradient step `−η ĝ` carries the noise of `ĝ` linearly, scaled by
//! `η`. A Newton step `−(Ĥ + λI)⁻¹ ĝ` carries the noise of `Ĥ` through an
//! inverse: an eigenvalue of `Ĥ` that noise pushes near `−λ` makes the step
//! explode along its eigenvector, and one pushed below `−λ` turns the step
//! uphill. The table reports the spread of `Ĥ`'s extreme eigenvalues and
//! the relative error of the damped Newton step next to that of the
//! gradient.
//!
//! # K-FAC's moving averages
//! [`kfac_averaging`] runs K-FAC on mini-batches with and without
//! exponential moving averages of its Kronecker factors, over several
//! seeds: with small damping and small batches, fresh factors from one
//! batch make K-FAC diverge where averaged ones do not.

mod batch_noise;
mod heat_table;
mod kfac_averaging;
mod spread;
mod sweep;

pub use batch_noise::{
    batch_noise, batch_size_grid, exact_subset_variance, BatchNoise, NoiseConfig, NoiseRow,
};
pub use heat_table::{draw_heat_tables, heat_table_figure, HeatTable};
pub use kfac_averaging::{kfac_averaging, AveragingConfig, AveragingRow, KfacAveraging};
pub use spread::Spread;
pub use sweep::{
    batch_damping_sweep, confirm_best, log_grid, BatchSweep, Confirmation, Confirmed, MethodSweep,
    Paired, SweepCell, SweepConfig, SweepMethod,
};
