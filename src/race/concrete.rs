//! Non-generic front doors for notebook cells: the race on the course's own
//! problem, [`XorProblem`], compiled once in this crate.
//!
//! Evcxr compiles every cell as a crate of its own, and a generic function
//! called from a cell is instantiated (and compiled, unoptimised) in that
//! cell: `problem.race().with("adam").run()` builds the whole race for
//! `XorProblem` again in the first cell that calls it: 2–4 s for that cell
//! on two busy cores (`scripts/cell_latency.py`). These methods are plain
//! functions of this crate, so a cell only calls them. They return exactly
//! what the generic calls return.
//!
//! ```
//! use quad_vs_grad::prelude::*;
//!
//! let problem = XorProblem::reference();
//! let traces = problem.race_of(&["adam", "lbfgs", "newton"])?;
//! let same = problem.race().with("adam").with("lbfgs").with("newton").run()?;
//! assert_eq!(traces[2].final_loss(), same[2].final_loss());
//! # Ok::<(), quad_vs_grad::Error>(())
//! ```

use ndarray::Array1;

use super::{OptimizerSpec, RaceConfig, Raceable};
use crate::error::Result;
use crate::problem::XorProblem;
use crate::trace::Trace;

impl XorProblem {
    /// Races the optimizers `names` (the command line's names) from the
    /// problem's start with the default settings: `problem.race().with(…)…
    /// .run()` without generics in the calling cell.
    ///
    /// # Errors
    /// As [`Race::run`](super::Race::run): an unknown name, no name, or no start.
    #[inline(never)]
    pub fn race_of(&self, names: &[&str]) -> Result<Vec<Trace>> {
        names
            .iter()
            .fold(self.race(), |race, name| race.with(name))
            .run()
    }

    /// As [`XorProblem::race_of`], from `start` and with the settings `cfg`.
    ///
    /// # Errors
    /// As [`XorProblem::race_of`].
    #[inline(never)]
    pub fn race_of_from(
        &self,
        names: &[&str],
        start: Array1<f64>,
        cfg: RaceConfig,
    ) -> Result<Vec<Trace>> {
        names
            .iter()
            .fold(self.race(), |race, name| race.with(name))
            .from(start)
            .config(cfg)
            .run()
    }

    /// Races the optimizers `specs` (each with its own settings) from the
    /// problem's start with the settings `cfg`.
    ///
    /// # Errors
    /// As [`XorProblem::race_of`].
    #[inline(never)]
    pub fn race_specs(&self, specs: &[OptimizerSpec], cfg: RaceConfig) -> Result<Vec<Trace>> {
        specs
            .iter()
            .fold(self.race(), |race, spec| race.with_spec(spec.clone()))
            .config(cfg)
            .run()
    }
}
