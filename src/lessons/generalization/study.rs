//! The experiment of chapter 19: train `2-h-1` networks on a small noisy XOR
//! training set with several optimizers, then measure each end point on a
//! large test set from the same distribution and the sharpness of the
//! training loss there.

use std::fmt;

use argmin::core::Hessian;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::curvature::eigenvalues;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::mlp::bce_from_logit;
use crate::problem::XorProblem;
use crate::race::{run, OptimizerKind, OptimizerSpec, RaceConfig};
use crate::trace::StopReason;

/// The sizes and seeds of a [`GeneralizationStudy`].
///
/// Seed `s` draws the training set `Dataset::noisy_xor(n_train, noise,
/// data_seed_base + s)` and the Glorot start `Mlp::init(s)`; the test set is
/// one draw `Dataset::noisy_xor(n_test, noise, test_seed)` of the same
/// recipe, shared by every run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudyConfig {
    /// Training examples per seed.
    pub n_train: usize,
    /// Test examples (one set for all runs).
    pub n_test: usize,
    /// Standard deviation of the input noise of [`Dataset::noisy_xor`].
    pub noise: f64,
    /// Hidden widths `h` of the `2-h-1` networks.
    pub widths: Vec<usize>,
    /// Seeds (training set and start).
    pub seeds: Vec<u64>,
    /// Offset added to a seed to get its training set's data seed.
    pub data_seed_base: u64,
    /// Data seed of the test set.
    pub test_seed: u64,
    /// The optimizers.
    pub specs: Vec<OptimizerSpec>,
    /// Iteration limit, tolerance and damping of every run.
    pub race: RaceConfig,
}

impl StudyConfig {
    /// The chapter's study: 40 training and 4000 test points (noise 0.2),
    /// widths 2, 4 and 8, seeds 0 to 7, and four optimizers with their
    /// registry defaults — gradient descent (`η = 0.8`), Adam (`η = 0.05`),
    /// Gauss–Newton and K-FAC with Levenberg–Marquardt damping — for at most
    /// 300 iterations each (stop when a step is shorter than `10⁻⁵`).
    pub fn chapter() -> Self {
        let race = RaceConfig {
            max_iters: 300,
            max_recorded: 4,
            ..RaceConfig::default()
        };
        Self {
            n_train: 40,
            n_test: 4000,
            noise: 0.2,
            widths: vec![2, 4, 8],
            seeds: (0..8).collect(),
            data_seed_base: 1000,
            test_seed: 99,
            specs: [
                OptimizerKind::Gd,
                OptimizerKind::Adam,
                OptimizerKind::GgnLm,
                OptimizerKind::KfacLm,
            ]
            .into_iter()
            .map(OptimizerSpec::new)
            .collect(),
            race,
        }
    }

    /// The training set of seed `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for `n_train == 0` or a bad noise level.
    pub fn training_set(&self, seed: u64) -> Result<Dataset> {
        Dataset::noisy_xor(self.n_train, self.noise, self.data_seed_base + seed)
    }

    /// The test set.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for `n_test == 0` or a bad noise level.
    pub fn test_set(&self) -> Result<Dataset> {
        Dataset::noisy_xor(self.n_test, self.noise, self.test_seed)
    }

    fn check(&self) -> Result<()> {
        if self.widths.is_empty() || self.seeds.is_empty() || self.specs.is_empty() {
            return Err(Error::InvalidConfig(format!(
                "need widths, seeds and optimizers, got {} widths, {} seeds, {} optimizers",
                self.widths.len(),
                self.seeds.len(),
                self.specs.len()
            )));
        }
        for s in &self.specs {
            s.check(&self.race)?;
        }
        Ok(())
    }
}

/// One trained network, measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudyRun {
    /// The seed (training set and start).
    pub seed: u64,
    /// Hidden width `h`.
    pub width: usize,
    /// The optimizer's label.
    pub optimizer: String,
    /// Index of the optimizer in [`StudyConfig::specs`].
    pub optimizer_index: usize,
    /// Iterations run.
    pub iterations: usize,
    /// Why the run stopped.
    pub stop: StopReason,
    /// Mean cross-entropy on the training set at the end point.
    pub train_loss: f64,
    /// Mean cross-entropy on the test set at the end point.
    pub test_loss: f64,
    /// Standard error of the test loss as an estimate of the expected loss:
    /// the standard deviation of the per-example losses over `√n_test`.
    pub test_loss_se: f64,
    /// Fraction of training points classified right (logit sign).
    pub train_accuracy: f64,
    /// Fraction of test points classified right.
    pub test_accuracy: f64,
    /// Largest eigenvalue `λ_max` of the training loss's Hessian at the end point.
    pub lambda_max: f64,
}

impl StudyRun {
    /// The generalization gap: test loss minus training loss.
    pub fn gap(&self) -> f64 {
        self.test_loss - self.train_loss
    }

    /// The value of `metric` for this run.
    pub fn metric(&self, metric: Metric) -> f64 {
        match metric {
            Metric::TrainLoss => self.train_loss,
            Metric::TestLoss => self.test_loss,
            Metric::TestAccuracy => self.test_accuracy,
            Metric::TrainAccuracy => self.train_accuracy,
            Metric::TestLossSe => self.test_loss_se,
            Metric::Gap => self.gap(),
            Metric::LambdaMax => self.lambda_max,
        }
    }
}

/// A quantity measured on every run of a [`GeneralizationStudy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    /// [`StudyRun::train_loss`].
    TrainLoss,
    /// [`StudyRun::test_loss`].
    TestLoss,
    /// [`StudyRun::test_accuracy`].
    TestAccuracy,
    /// [`StudyRun::train_accuracy`].
    TrainAccuracy,
    /// [`StudyRun::test_loss_se`].
    TestLossSe,
    /// [`StudyRun::gap`].
    Gap,
    /// [`StudyRun::lambda_max`].
    LambdaMax,
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Metric::TrainLoss => "train loss",
            Metric::TestLoss => "test loss",
            Metric::TestAccuracy => "test accuracy",
            Metric::TrainAccuracy => "train accuracy",
            Metric::TestLossSe => "test loss s.e.",
            Metric::Gap => "gap",
            Metric::LambdaMax => "λmax",
        })
    }
}

/// Fraction of the points of `data` whose label the network `theta` of
/// `problem`'s architecture predicts (logit `> 0` means class 1).
///
/// # Errors
/// [`Error::Shape`] if `theta` does not fit the network.
pub fn accuracy(problem: &XorProblem, theta: &Array1<f64>, data: &Dataset) -> Result<f64> {
    let z = problem.mlp().logits(theta.view(), data.x.view())?;
    let right = z
        .iter()
        .zip(&data.y)
        .filter(|(&z, &y)| (z > 0.0) == (y == 1.0))
        .count();
    Ok(right as f64 / data.len() as f64)
}

/// The standard error of the mean cross-entropy of `theta` on `data`:
/// `s / √n` with `s` the sample standard deviation of the per-example
/// losses `ℓᵢ = softplus(zᵢ) − yᵢ zᵢ`.
///
/// # Errors
/// [`Error::Shape`] if `theta` does not fit the network.
pub fn loss_standard_error(
    problem: &XorProblem,
    theta: &Array1<f64>,
    data: &Dataset,
) -> Result<f64> {
    let z = problem.mlp().logits(theta.view(), data.x.view())?;
    let n = data.len() as f64;
    let losses: Vec<f64> = z
        .iter()
        .zip(&data.y)
        .map(|(&z, &y)| bce_from_logit(z, y))
        .collect();
    let mean = losses.iter().sum::<f64>() / n;
    if data.len() < 2 {
        return Ok(f64::NAN);
    }
    let var = losses.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Ok((var / n).sqrt())
}

/// Every run of the study.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeneralizationStudy {
    /// The configuration it ran with.
    pub config: StudyConfig,
    /// The optimizers' labels, in [`StudyConfig::specs`] order.
    pub optimizers: Vec<String>,
    /// One run per seed × width × optimizer, in that nesting order.
    pub runs: Vec<StudyRun>,
    /// Fraction of test points whose label disagrees with the XOR of their
    /// noisy position ([`Dataset::label_noise_fraction`]): a classifier that
    /// predicts that XOR gets `1 −` this right.
    pub test_label_noise: f64,
}

/// Runs the study: for every seed and width, each optimizer from the same
/// start on the same training set (full batch), then the training and test
/// loss and accuracy at its last iterate and the largest eigenvalue of the
/// training loss's Hessian there.
///
/// # Errors
/// [`Error::InvalidConfig`] for no widths, seeds or optimizers or an
/// invalid spec; data and shape errors of the sets and networks.
pub fn generalization_study(config: &StudyConfig) -> Result<GeneralizationStudy> {
    config.check()?;
    let test = config.test_set()?;
    let mut runs = Vec::new();
    for &seed in &config.seeds {
        let train = config.training_set(seed)?;
        for &width in &config.widths {
            let problem = XorProblem::full(train.clone(), &[width])?;
            let start = problem.mlp().init(seed);
            for (i, spec) in config.specs.iter().enumerate() {
                let trace = run(&problem, &start, spec, &config.race);
                let end = trace
                    .final_point()
                    .map_or_else(|| start.clone(), |p| Array1::from(p.to_vec()));
                let mlp = problem.mlp();
                let h = problem.hessian(&end)?;
                let ev = eigenvalues(&h)?;
                runs.push(StudyRun {
                    seed,
                    width,
                    optimizer: trace.optimizer.clone(),
                    optimizer_index: i,
                    iterations: trace.steps(),
                    stop: trace.stop.clone(),
                    train_loss: mlp.loss(end.view(), &train)?,
                    test_loss: mlp.loss(end.view(), &test)?,
                    test_loss_se: loss_standard_error(&problem, &end, &test)?,
                    train_accuracy: accuracy(&problem, &end, &train)?,
                    test_accuracy: accuracy(&problem, &end, &test)?,
                    lambda_max: ev.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v)),
                });
            }
        }
    }
    let optimizers = config
        .specs
        .iter()
        .map(|s| s.display_label(&config.race))
        .collect();
    Ok(GeneralizationStudy {
        config: config.clone(),
        optimizers,
        runs,
        test_label_noise: test.label_noise_fraction(),
    })
}
