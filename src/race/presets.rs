//! Ready-made races: [`reference_race`] and [`RacePreset`] (problem, start,
//! optimizers and settings of the course's experiments).

use ndarray::Array1;

use super::{race, OptimizerKind, OptimizerSpec, RaceConfig};
use crate::data::Dataset;
use crate::error::Result;
use crate::problem::XorProblem;
use crate::trace::Trace;

/// The reference race, in the reference's order, every optimizer with its
/// registry defaults: GD (lr 0.8), Adam (lr 0.05), Newton (damping from the
/// config, 0.1 by default), BFGS, L-BFGS, GGN (damping), K-FAC (damping, the
/// reference's `Γ·A + λI` on the output-weight slice), plus argmin's
/// SteepestDescent. No spec sets a hyperparameter, so [`RaceConfig::lr`]
/// and [`RaceConfig::damping`] (the CLI's `--lr`, `--damping`) apply to all.
pub fn reference_race() -> Vec<OptimizerSpec> {
    use OptimizerKind as K;
    vec![
        OptimizerSpec::new(K::Gd),
        OptimizerSpec::new(K::Adam),
        OptimizerSpec::new(K::Newton),
        OptimizerSpec::new(K::Bfgs),
        OptimizerSpec::new(K::Lbfgs),
        OptimizerSpec::new(K::Ggn),
        OptimizerSpec::new(K::Kfac),
        OptimizerSpec::new(K::SteepestDescent),
    ]
}

/// A ready-to-run race: problem, start point, optimizers and settings.
#[derive(Clone, Debug)]
pub struct RacePreset {
    /// The problem.
    pub problem: XorProblem,
    /// The start point.
    pub start: Array1<f64>,
    /// The optimizers.
    pub specs: Vec<OptimizerSpec>,
    /// The settings.
    pub cfg: RaceConfig,
}

impl RacePreset {
    /// The reference experiment: [`reference_race`] on
    /// [`XorProblem::reference`] from `(2, −2)`, 500 steps, step-norm
    /// tolerance 1e-5, damping 0.1.
    pub fn reference() -> Self {
        Self {
            problem: XorProblem::reference(),
            start: ndarray::array![2.0, -2.0],
            specs: reference_race(),
            cfg: RaceConfig::default(),
        }
    }

    /// The same race on the non-convex hidden-weight slice
    /// ([`XorProblem::hidden_slice`]), from `(−2.5, 1.5)`, a start where the
    /// Hessian is indefinite and Newton's direction points uphill.
    pub fn hidden_slice() -> Self {
        Self {
            problem: XorProblem::hidden_slice(),
            start: ndarray::array![-2.5, 1.5],
            specs: reference_race(),
            cfg: RaceConfig::default(),
        }
    }

    /// The same race on every weight of an MLP with the given hidden widths
    /// on the separable XOR ([`Dataset::separable`]), from the seeded
    /// Glorot initialisation [`crate::mlp::Mlp::init`]`(seed)`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) for an empty or zero width.
    pub fn full_network(hidden: &[usize], seed: u64) -> Result<Self> {
        let problem = XorProblem::full(Dataset::separable(), hidden)?;
        let start = problem.mlp().init(seed);
        Ok(Self {
            problem,
            start,
            specs: reference_race(),
            cfg: RaceConfig::default(),
        })
    }

    /// Runs the preset's race.
    pub fn run(&self) -> Vec<Trace> {
        race(&self.problem, &self.start, &self.specs, &self.cfg)
    }
}
