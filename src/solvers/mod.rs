//! The crate's optimizers, each an argmin `Solver` around a small pure update rule.
pub mod adaptive_gd;
pub mod langevin;
