//! Chapter 5, the last section: mini-batch SGD against Langevin gradient
//! descent with the same noise size, and what makes them differ.
//!
//! Near a minimum with Hessian `H` (eigenvalues `μᵢ`), constant-step noisy
//! gradient descent `p ← p − η (∇L(p) + ξ_k)` with *independent* zero-mean
//! errors `ξ_k` of covariance `C` settles into a stationary cloud. Along an
//! eigendirection the error obeys `e ← (1 − ημᵢ) e − η ξ`, whose stationary
//! variance is `η cᵢ / (μᵢ (2 − ημᵢ))` (`cᵢ` the noise variance along that
//! direction), so the mean excess loss `½ Σ μᵢ Var eᵢ` is
//!
//! ```text
//! E[L − L*] = Σᵢ η cᵢ / (2 (2 − ημᵢ)).
//! ```
//!
//! With `ημᵢ ≪ 2` only the trace of `C` matters, not its shape. Independent
//! mini-batches and Langevin noise of the same per-coordinate size then give
//! the same excess loss. Training loops do not draw independent batches:
//! they shuffle the data once per epoch and cut it into batches
//! ([`Sampling::Epochs`]). Within an epoch the batch errors then sum to zero,
//! so the noise of successive steps cancels and the iterate stays much
//! closer to the minimum, closest at the end of each epoch ("random
//! reshuffling"). [`sampling_study`] measures all three.
//!
//! # References
//! - S. Mandt, M. D. Hoffman, D. M. Blei, *Stochastic gradient descent as
//!   approximate Bayesian inference*, JMLR 18, 2017 (the stationary
//!   Ornstein–Uhlenbeck cloud).
//! - M. Gürbüzbalaban, A. Ozdaglar, P. A. Parrilo, *Why random reshuffling
//!   beats stochastic gradient descent*, Math. Programming 186, 2021.
//! - K. Mishchenko, A. Khaled, P. Richtárik, *Random reshuffling: simple
//!   analysis with vast improvements*, NeurIPS 2020.

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::gradient_noise::minibatch_gradient_noise;
use crate::curvature::MiniBatched;
use crate::data::Sampling;
use crate::error::{Error, Result};
use crate::linalg::sym_eig;
use crate::problem::XorProblem;
use crate::race::{run, OptimizerKind, OptimizerSpec, RaceConfig};

/// The excess loss `L(p_k) − L*` of one arm of a [`SamplingStudy`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExcessLoss {
    /// The arm's name (`"SGD, shuffled epochs"`, …).
    pub label: String,
    /// Mean over the seeds of each run's excess loss averaged over the last
    /// half of its iterations: the stationary level.
    pub stationary: f64,
    /// Standard error of `stationary` over the seeds.
    pub stationary_se: f64,
    /// Mean over the seeds of the excess loss at the last iterate.
    pub last: f64,
    /// Mean over the seeds of the excess loss at each iterate (entry 0: the
    /// start).
    pub curve: Vec<f64>,
}

/// What [`sampling_study`] measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SamplingStudy {
    /// The minimum (full-batch gradient descent run to convergence).
    pub minimum: Vec<f64>,
    /// The loss there, `L*`.
    pub minimum_loss: f64,
    /// The Hessian's eigenvalues at the minimum, ascending.
    pub eigenvalues: Vec<f64>,
    /// Measured root-mean-square batch-gradient error per coordinate at the
    /// minimum: the Langevin arm's `ν`.
    pub sigma: f64,
    /// The stationary excess loss that independent noise of that size
    /// predicts, `Σᵢ η ν² / (2 (2 − ημᵢ))`.
    pub predicted: f64,
    /// Mini-batches per epoch, `N / B`.
    pub batches_per_epoch: usize,
    /// The arms: SGD on shuffled epochs, SGD on independent batches,
    /// Langevin on the full batch.
    pub arms: Vec<ExcessLoss>,
}

impl SamplingStudy {
    /// The arm named `label`.
    pub fn arm(&self, label: &str) -> Option<&ExcessLoss> {
        self.arms.iter().find(|a| a.label == label)
    }
}

/// The arms' labels, in order.
pub const SAMPLING_ARMS: [&str; 3] = [
    "SGD, shuffled epochs",
    "SGD, independent batches",
    "Langevin, same ν",
];

/// Runs gradient descent with step `lr` from `start` for `steps`
/// iterations, `seeds` times each: on mini-batches of `batch_size` drawn
/// in shuffled epochs, on independent mini-batches, and on the full batch
/// with Langevin noise whose `ν` is the measured batch-gradient error at the
/// minimum ([`minibatch_gradient_noise`], 200 draws, seed 0). Reports each
/// arm's excess loss over the minimum and the independent-noise prediction.
///
/// # Errors
/// [`Error::InvalidConfig`] for `steps < 2`, no seeds, a step size that is
/// not positive and finite, or a batch size outside `1..=N`; evaluation
/// errors of the problem; a run that fails.
pub fn sampling_study(
    problem: &XorProblem,
    start: &Array1<f64>,
    lr: f64,
    batch_size: usize,
    steps: u64,
    seeds: u64,
) -> Result<SamplingStudy> {
    if steps < 2 || seeds == 0 || !(lr.is_finite() && lr > 0.0) {
        return Err(Error::InvalidConfig(format!(
            "need at least 2 steps, one seed and a positive step, got {steps}, {seeds} and {lr}"
        )));
    }
    let gd = OptimizerSpec::new(OptimizerKind::Gd).lr(lr);
    let converged = run(
        problem,
        start,
        &gd,
        &RaceConfig {
            max_iters: 20_000,
            tol: 1e-12,
            ..RaceConfig::default()
        },
    );
    let minimum = converged
        .final_point()
        .ok_or_else(|| Error::InvalidConfig("gradient descent left no point".into()))?
        .to_vec();
    let minimum_loss = converged.final_loss();
    let p = Array1::from(minimum.clone());
    let sigma = minibatch_gradient_noise(problem, &p, batch_size, 200, 0)?.measured;
    let mut work = problem.clone();
    work.set_batch(None)
        .map_err(|e| Error::InvalidConfig(e.to_string()))?;
    let h = argmin::core::Hessian::hessian(&work, &p)
        .map_err(|e| Error::InvalidConfig(e.to_string()))?;
    let (eigenvalues, _) = sym_eig(&h)?;
    let mut eigenvalues = eigenvalues.to_vec();
    eigenvalues.sort_by(f64::total_cmp);
    let predicted = eigenvalues
        .iter()
        .map(|l| lr * sigma * sigma / (2.0 * (2.0 - lr * l)))
        .sum();

    let arms = [
        (gd.clone(), Some(batch_size), Sampling::Epochs),
        (gd.clone(), Some(batch_size), Sampling::Independent),
        (
            OptimizerSpec::new(OptimizerKind::Langevin)
                .lr(lr)
                .noise(sigma),
            None,
            Sampling::Epochs,
        ),
    ];
    let mut out = Vec::new();
    for ((spec, batch, sampling), label) in arms.into_iter().zip(SAMPLING_ARMS) {
        let mut curve = vec![0.0; steps as usize + 1];
        let mut tails = Vec::new();
        for seed in 0..seeds {
            let cfg = RaceConfig {
                max_iters: steps,
                tol: 0.0,
                batch_size: batch,
                sampling,
                seed,
                ..RaceConfig::default()
            };
            let t = run(problem, start, &spec, &cfg);
            if t.stop.is_failure() || t.loss.len() != curve.len() {
                return Err(Error::InvalidConfig(format!(
                    "{label}, seed {seed}: the run stopped early ({:?})",
                    t.stop
                )));
            }
            let excess: Vec<f64> = t.loss.iter().map(|l| l - minimum_loss).collect();
            for (c, e) in curve.iter_mut().zip(&excess) {
                *c += e / seeds as f64;
            }
            let tail = &excess[excess.len() / 2..];
            tails.push(tail.iter().sum::<f64>() / tail.len() as f64);
        }
        let n = tails.len() as f64;
        let stationary = tails.iter().sum::<f64>() / n;
        let var = tails.iter().map(|t| (t - stationary).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        out.push(ExcessLoss {
            label: label.to_string(),
            stationary,
            stationary_se: (var / n).sqrt(),
            last: *curve.last().unwrap_or(&f64::NAN),
            curve,
        });
    }
    Ok(SamplingStudy {
        minimum,
        minimum_loss,
        eigenvalues,
        sigma,
        predicted,
        batches_per_epoch: problem.data().len() / batch_size,
        arms: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn independent_batches_match_langevin_and_epochs_beat_both() {
        let study = sampling_study(
            &XorProblem::reference(),
            &array![2.0, -2.0],
            0.8,
            10,
            200,
            12,
        )
        .unwrap();
        let [epochs, independent, langevin] = [0, 1, 2].map(|i| &study.arms[i]);
        // The theory for independent noise holds for both independent arms…
        for arm in [independent, langevin] {
            let rel = (arm.stationary - study.predicted).abs() / study.predicted;
            assert!(
                rel < 0.25,
                "{}: {} vs {}",
                arm.label,
                arm.stationary,
                study.predicted
            );
        }
        // … and shuffled epochs settle lower.
        assert!(epochs.stationary < 0.6 * independent.stationary);
        assert_eq!(study.batches_per_epoch, 20);
        assert!(study.arm("Langevin, same ν").is_some());
        assert!(
            sampling_study(&XorProblem::reference(), &array![2.0, -2.0], 0.8, 10, 1, 1).is_err()
        );
        assert!(
            sampling_study(&XorProblem::reference(), &array![2.0, -2.0], 0.8, 0, 10, 1).is_err()
        );
    }
}
