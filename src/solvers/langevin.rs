//! Gradient descent with Langevin noise: seeded Gaussian noise added to
//! every gradient (the "stochastic gradient descent" of the course notebook
//! *Optimization in many dimensions*, The University of Texas at Austin).

use argmin::core::{Error, KvValue, KV};
use ndarray::Array1;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::common::check_positive;
use super::first_order::{FirstOrder, UpdateRule};

/// How the noise scale `ν_k` changes with the step count `k`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum NoiseSchedule {
    /// `ν_k = ν₀` (as in *Optimization in many dimensions*).
    Constant,
    /// `ν_k = ν₀ (1 + k/τ)^(−γ)`, the polynomial decay of stochastic-gradient
    /// Langevin dynamics (Welling & Teh 2011 use `γ ∈ (0.5, 1]`): noise that
    /// explores early and lets the iterate settle late.
    Polynomial {
        /// Time scale `τ > 0` (steps).
        tau: f64,
        /// Decay exponent `γ > 0`.
        gamma: f64,
    },
}

/// The arithmetic of Langevin gradient descent, free of any problem.
///
/// With learning rate `η = lr`, noise scale `ν_k` (from `noise = ν₀` and
/// the [`NoiseSchedule`]) and `ξ_k ~ N(0, I)` drawn from a `ChaCha8Rng`
/// seeded with `seed`:
///
/// ```text
/// Δ_k = −η (g_k + ν_k ξ_k),      p_{k+1} = p_k + Δ_k
/// ```
///
/// This is the Euler–Maruyama discretisation of the overdamped Langevin
/// equation `dp = −∇L dt + √(2T) dW` with time step `η` and temperature
/// `T = η ν² / 2`: the iterate samples, at small `η`, the Gibbs density
/// `∝ exp(−L/T)` instead of stopping at the first minimum, which lets it hop
/// out of shallow wells. Unlike mini-batch SGD, which jitters the landscape,
/// this noise jitters the iterate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LangevinRule {
    /// Learning rate `η > 0`.
    pub lr: f64,
    /// Initial noise scale `ν₀ ≥ 0` (in gradient units).
    pub noise: f64,
    /// Annealing of `ν`.
    pub schedule: NoiseSchedule,
    /// Seed of the noise generator.
    pub seed: u64,
}

/// The memory of [`LangevinRule`]: its generator and step count.
#[derive(Clone, Debug, PartialEq)]
pub struct LangevinState {
    /// The noise generator.
    pub rng: ChaCha8Rng,
    /// Steps taken `k`.
    pub count: u64,
}

impl LangevinRule {
    /// `ν_k` for step `k` (0-based).
    pub fn noise_at(&self, k: u64) -> f64 {
        match self.schedule {
            NoiseSchedule::Constant => self.noise,
            NoiseSchedule::Polynomial { tau, gamma } => {
                self.noise * (1.0 + k as f64 / tau).powf(-gamma)
            }
        }
    }
}

impl UpdateRule for LangevinRule {
    type State = LangevinState;

    fn name(&self) -> &'static str {
        "LangevinGd"
    }

    /// The generator seeded with [`LangevinRule::seed`], no step taken.
    fn init(&self, _dim: usize) -> LangevinState {
        LangevinState {
            rng: ChaCha8Rng::seed_from_u64(self.seed),
            count: 0,
        }
    }

    /// The step `Δ_k = −η (g_k + ν_k ξ_k)`, advancing `state`.
    // ANCHOR: langevin_update
    fn update(&self, grad: &Array1<f64>, state: &mut LangevinState) -> Array1<f64> {
        let sigma = self.noise_at(state.count);
        state.count += 1;
        let rng = &mut state.rng;
        grad.mapv(|g| {
            let xi: f64 = StandardNormal.sample(rng);
            -self.lr * (g + sigma * xi)
        })
    }
    // ANCHOR_END: langevin_update

    /// Records the noise scale `ν_k` of the step.
    fn annotate(&self, state: &LangevinState, kv: &mut KV) {
        kv.insert("noise", KvValue::Float(self.noise_at(state.count)));
    }
}

/// # Langevin gradient descent
///
/// Gradient descent with seeded Gaussian noise added to each gradient, as in
/// the bake-off of the notebook *Optimization in many dimensions*: on a landscape of many wells the noise kicks
/// iterates out of shallow basins, at the price of never coming to rest. The
/// update rule is [`LangevinRule`]:
///
/// ```text
/// p_{k+1} = p_k − η (∇L(p_k) + ν_k ξ_k),   ξ_k ~ N(0, I)
/// ```
///
/// Each iteration costs one gradient and one loss evaluation (the loss of
/// the new iterate is recorded in the state). The same seed gives the same
/// noise, hence bit-identical runs.
///
/// ## Requirements on the optimization problem
/// `CostFunction` and `Gradient` on `Array1<f64>` (cost `f64`), and
/// [`MiniBatched`](crate::curvature::MiniBatched) (its defaults suffice: only the stochastic mode uses it).
///
/// ## Hyperparameters
/// - learning rate `η` (required, > 0);
/// - noise scale `ν₀` (required, ≥ 0; `ν₀ = 0` is plain gradient descent);
/// - seed (default 0, [`LangevinGd::with_seed`]);
/// - schedule: constant by default ([`LangevinGd::with_schedule`]);
/// - stochastic mode ([`FirstOrder::with_minibatch`]): the gradient of a
///   fresh seeded mini-batch plus the injected noise, two noises at once
///   (stochastic-gradient Langevin dynamics, Welling & Teh 2011);
/// - gradient-norm tolerance: none by default ([`FirstOrder::with_grad_tol`];
///   with noise the iterate rarely meets one, so runs usually end at
///   argmin's `max_iters`).
///
/// A non-finite iterate, loss or gradient ends the run with
/// `TerminationReason::SolverExit("diverged: …")`.
///
/// ## Reference
/// M. Welling and Y. W. Teh, *Bayesian learning via stochastic gradient
/// Langevin dynamics*, ICML 2011; G. O. Roberts and R. L. Tweedie,
/// *Exponential convergence of Langevin distributions and their discrete
/// approximations*, Bernoulli 2(4), 1996; *Optimization in many dimensions*, course notebook,
/// The University of Texas at Austin (its noisy-gradient bake-off).
pub type LangevinGd = FirstOrder<LangevinRule>;

fn invalid(text: String) -> Error {
    argmin::core::ArgminError::InvalidParameter { text }.into()
}

impl FirstOrder<LangevinRule> {
    /// Langevin gradient descent with learning rate `lr` and noise scale
    /// `noise`, seed 0, constant noise.
    ///
    /// # Errors
    /// `InvalidParameter` unless `lr` is finite and > 0 and `noise` finite and ≥ 0.
    pub fn new(lr: f64, noise: f64) -> Result<Self, Error> {
        check_positive("LangevinGd", "learning rate", lr, false)?;
        check_positive("LangevinGd", "noise", noise, true)?;
        Ok(Self::from_rule(LangevinRule {
            lr,
            noise,
            schedule: NoiseSchedule::Constant,
            seed: 0,
        }))
    }

    /// Seed of the noise (default 0).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.rule_mut().seed = seed;
        self
    }

    /// Noise schedule (default [`NoiseSchedule::Constant`]).
    ///
    /// # Errors
    /// `InvalidParameter` unless `τ` and `γ` are finite and > 0.
    pub fn with_schedule(mut self, schedule: NoiseSchedule) -> Result<Self, Error> {
        if let NoiseSchedule::Polynomial { tau, gamma } = schedule {
            if !(tau.is_finite() && tau > 0.0 && gamma.is_finite() && gamma > 0.0) {
                return Err(invalid(format!(
                    "`LangevinGd`: schedule needs finite tau > 0 and gamma > 0, got {tau}, {gamma}"
                )));
            }
        }
        self.rule_mut().schedule = schedule;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landscapes::Saddle;
    use argmin::core::{Executor, State};
    use ndarray::array;

    #[test]
    fn zero_noise_is_gradient_descent() {
        let rule = LangevinRule {
            lr: 0.1,
            noise: 0.0,
            schedule: NoiseSchedule::Constant,
            seed: 3,
        };
        let mut s = rule.init(0);
        assert_eq!(rule.update(&array![2.0, -1.0], &mut s), array![-0.2, 0.1]);
        assert_eq!(s.count, 1);
    }

    #[test]
    fn noise_is_seeded_and_has_the_right_scale() {
        let rule = LangevinRule {
            lr: 1.0,
            noise: 2.0,
            schedule: NoiseSchedule::Constant,
            seed: 11,
        };
        let (mut a, mut b) = (rule.init(0), rule.init(0));
        let zero = Array1::zeros(4000);
        let sa = rule.update(&zero, &mut a);
        assert_eq!(sa, rule.update(&zero, &mut b));
        // Δ = −ν ξ: mean 0, variance ν² = 4 (4000 draws: standard errors 0.03 and 0.09).
        let mean = sa.mean().unwrap();
        let var = sa.mapv(|v| (v - mean).powi(2)).mean().unwrap();
        assert!(
            mean.abs() < 0.15 && (var - 4.0).abs() < 0.45,
            "{mean} {var}"
        );
    }

    #[test]
    fn polynomial_schedule() {
        let rule = LangevinRule {
            lr: 1.0,
            noise: 1.0,
            schedule: NoiseSchedule::Polynomial {
                tau: 10.0,
                gamma: 1.0,
            },
            seed: 0,
        };
        assert_eq!(rule.noise_at(0), 1.0);
        assert_eq!(rule.noise_at(10), 0.5);
        assert!(LangevinGd::new(0.1, 0.1)
            .unwrap()
            .with_schedule(NoiseSchedule::Polynomial {
                tau: 0.0,
                gamma: 1.0
            })
            .is_err());
        assert!(LangevinGd::new(0.0, 0.1).is_err());
        assert!(LangevinGd::new(0.1, -1.0).is_err());
    }

    #[test]
    fn noise_kicks_gd_off_the_saddle() {
        // From the x axis plain GD converges to the saddle; the noise lets y grow.
        let run = |noise: f64| {
            let solver = LangevinGd::new(0.1, noise).unwrap().with_seed(5);
            let res = Executor::new(Saddle, solver)
                .configure(|s| s.param(array![1.0, 0.0]).max_iters(60))
                .run()
                .unwrap();
            res.state().get_param().unwrap().clone()
        };
        let plain = run(0.0);
        assert!(plain[0].abs() < 1e-5 && plain[1] == 0.0);
        let noisy = run(0.1);
        assert!(noisy[1].abs() > 1.0, "{noisy}");
    }

    #[test]
    fn missing_start_is_an_error() {
        let res = Executor::new(Saddle, LangevinGd::new(0.1, 0.0).unwrap())
            .configure(|s| s.max_iters(3))
            .run();
        assert!(res.is_err());
    }
}
