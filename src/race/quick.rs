//! The race's front door: one optimizer, or a few, by name and with every
//! default, in one call.
//!
//! ```
//! use quad_vs_grad::prelude::*;
//!
//! let problem = XorProblem::reference();            // starts at (2, −2)
//! let newton = problem.run("newton")?;              // one optimizer, defaults
//! let traces = problem.race().with("adam").with("lbfgs").run()?;
//! assert_eq!(newton.optimizer, "Newton (λ = 0.1)");
//! assert_eq!(traces.len(), 2);
//! assert!((traces[1].final_loss() - newton.final_loss()).abs() < 1e-6);
//! # Ok::<(), quad_vs_grad::Error>(())
//! ```
//!
//! Names are the command line's (`gd`, `adam`, `newton`, `ggn`, `kfac`,
//! `lbfgs`, …, see [`OptimizerKind::all_names`]). The start is the problem's
//! own ([`Recordable::default_start`](crate::curvature::Recordable::default_start)) unless [`Race::from`] gives one, and
//! the settings are [`RaceConfig::default`] unless [`Race::config`] gives
//! others. When settings per optimizer matter, build an [`OptimizerSpec`]
//! and call [`run`](super::run) or [`race`](super::race) directly; this is
//! that call with the defaults filled in.

use ndarray::Array1;

use super::traits::RaceProblem;
use super::{race, OptimizerKind, OptimizerSpec, RaceConfig};
use crate::error::{Error, Result};
use crate::trace::Trace;

/// One call to race a problem: `problem.run("newton")`, or
/// `problem.race().with("adam").with("lbfgs").run()`. Implemented for every
/// problem the race can run.
pub trait Raceable: RaceProblem + Sized {
    /// Runs the optimizer `name` from the problem's start with the default
    /// settings and returns its trace (a run that fails or diverges is a
    /// trace too, with its [`StopReason`](crate::trace::StopReason)).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an unknown name (the message lists the
    /// known ones) or a problem without a default start.
    fn run(&self, name: &str) -> Result<Trace> {
        let mut traces = self.race().with(name).run()?;
        Ok(traces.remove(0))
    }

    /// A race on this problem, to fill with [`Race::with`] and run.
    fn race(&self) -> Race<'_, Self> {
        Race {
            problem: self,
            start: None,
            entries: Vec::new(),
            cfg: RaceConfig::default(),
        }
    }
}

impl<P: RaceProblem> Raceable for P {}

/// A race being assembled by [`Raceable::race`]; nothing runs until
/// [`Race::run`].
#[derive(Clone, Debug)]
pub struct Race<'a, P> {
    problem: &'a P,
    start: Option<Array1<f64>>,
    entries: Vec<Entry>,
    cfg: RaceConfig,
}

/// One optimizer of a [`Race`]: a name, parsed when the race runs (so an
/// unknown name is reported by `run`, not in the middle of the chain), or a
/// spec.
#[derive(Clone, Debug)]
enum Entry {
    Name(String),
    Spec(OptimizerSpec),
}

impl<P: RaceProblem> Race<'_, P> {
    /// Adds the optimizer `name` with its default settings.
    pub fn with(mut self, name: &str) -> Self {
        self.entries.push(Entry::Name(name.to_string()));
        self
    }

    /// Adds an optimizer with settings of its own.
    pub fn with_spec(mut self, spec: OptimizerSpec) -> Self {
        self.entries.push(Entry::Spec(spec));
        self
    }

    /// Starts every run at `start` instead of the problem's own start.
    pub fn from(mut self, start: Array1<f64>) -> Self {
        self.start = Some(start);
        self
    }

    /// Runs with `cfg` instead of [`RaceConfig::default`].
    pub fn config(mut self, cfg: RaceConfig) -> Self {
        self.cfg = cfg;
        self
    }

    /// Runs every optimizer, in the order added, and returns one trace each.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an unknown name, an empty race, or no
    /// start (neither [`Race::from`] nor the problem's
    /// [`Recordable::default_start`](crate::curvature::Recordable::default_start)).
    pub fn run(self) -> Result<Vec<Trace>> {
        let specs = self
            .entries
            .iter()
            .map(|e| match e {
                Entry::Name(name) => name.parse::<OptimizerKind>().map(OptimizerSpec::new),
                Entry::Spec(spec) => Ok(spec.clone()),
            })
            .collect::<Result<Vec<_>>>()?;
        if specs.is_empty() {
            return Err(Error::InvalidConfig(
                "the race has no optimizer: add one with `.with(\"adam\")`".into(),
            ));
        }
        let Some(start) = self.start.or_else(|| self.problem.default_start()) else {
            return Err(Error::InvalidConfig(format!(
                "{} has no default start: give one with `.race().from(start)`",
                self.problem.race_name()
            )));
        };
        Ok(race(self.problem, &start, &specs, &self.cfg))
    }
}
