//! The one table of optimizers: every [`OptimizerKind`] has one
//! [`Descriptor`] (label, command-line name, aliases, family, default
//! hyperparameters, capabilities), and [`run_kind`] builds its solver.
//!
//! # Adding an optimizer
//! 1. its solver file under `src/solvers/` (an argmin `Solver`);
//! 2. one entry in the `registry!` table (`table.rs`; the compiler refuses an
//!    entry with a missing field);
//! 3. one arm in [`run_kind`] (`build.rs`; the compiler refuses a missing arm);
//! 4. its line in the README's optimizer list (a test compares the two).
//!
//! Everything else (parsing, `--help`, the CLI's `--lr`, the mini-batch
//! mode, the settings recorded in each trace) reads the descriptor.

mod build;
mod table;

pub(crate) use build::run_kind;
pub use table::{DampingUse, Descriptor, OptimizerFamily, OptimizerKind, Stochastic, REGISTRY};
