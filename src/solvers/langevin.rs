//! Gradient descent with Langevin noise: seeded Gaussian noise added to
//! every gradient (the "stochastic gradient descent" of the course notebook
//! *Optimization in many dimensions*, The University of Texas at Austin).

use crate::linalg::FixedDot;
use argmin::core::{CostFunction, Error, Gradient, Problem, Solver, TerminationStatus, KV};
use ndarray::Array1;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::common::{
    check_positive, current_cost_grad, finish_iter, grad_tol_status, init_state, next_batch,
    take_param, BatchSampling, BatchSchedule, VecState,
};
use crate::curvature::MiniBatched;

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
    /// The state before the first step.
    pub fn init(&self) -> LangevinState {
        LangevinState {
            rng: ChaCha8Rng::seed_from_u64(self.seed),
            count: 0,
        }
    }

    /// `ν_k` for step `k` (0-based).
    pub fn noise_at(&self, k: u64) -> f64 {
        match self.schedule {
            NoiseSchedule::Constant => self.noise,
            NoiseSchedule::Polynomial { tau, gamma } => {
                self.noise * (1.0 + k as f64 / tau).powf(-gamma)
            }
        }
    }

    /// The step `Δ_k = −η (g_k + ν_k ξ_k)`, advancing `state`.
    pub fn update(&self, grad: &Array1<f64>, state: &mut LangevinState) -> Array1<f64> {
        let sigma = self.noise_at(state.count);
        state.count += 1;
        let rng = &mut state.rng;
        grad.mapv(|g| {
            let xi: f64 = StandardNormal.sample(rng);
            -self.lr * (g + sigma * xi)
        })
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
/// [`MiniBatched`] (its defaults suffice: only the stochastic mode uses it).
///
/// ## Hyperparameters
/// - learning rate `η` (required, > 0);
/// - noise scale `ν₀` (required, ≥ 0; `ν₀ = 0` is plain gradient descent);
/// - seed (default 0, [`LangevinGd::with_seed`]);
/// - schedule: constant by default ([`LangevinGd::with_schedule`]);
/// - gradient-norm tolerance: none by default ([`LangevinGd::with_grad_tol`];
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
#[derive(Clone, Debug)]
pub struct LangevinGd {
    rule: LangevinRule,
    memory: Option<LangevinState>,
    grad_tol: Option<f64>,
    batches: Option<BatchSchedule>,
}

fn invalid(text: String) -> Error {
    argmin::core::ArgminError::InvalidParameter { text }.into()
}

impl LangevinGd {
    /// Langevin gradient descent with learning rate `lr` and noise scale
    /// `noise`, seed 0, constant noise.
    ///
    /// # Errors
    /// `InvalidParameter` unless `lr` is finite and > 0 and `noise` finite and ≥ 0.
    pub fn new(lr: f64, noise: f64) -> Result<Self, Error> {
        check_positive("LangevinGd", "learning rate", lr, false)?;
        check_positive("LangevinGd", "noise", noise, true)?;
        Ok(Self {
            rule: LangevinRule {
                lr,
                noise,
                schedule: NoiseSchedule::Constant,
                seed: 0,
            },
            memory: None,
            grad_tol: None,
            batches: None,
        })
    }

    /// Stochastic mode: the gradient from a fresh seeded mini-batch of
    /// `batch_size` examples at every iteration, plus the Langevin noise
    /// (stochastic-gradient Langevin dynamics, Welling & Teh 2011): two
    /// noises, the sampling noise of the batch and the injected `ν_k ξ_k`.
    /// Default: full batch.
    ///
    /// # Errors
    /// `InvalidParameter` if `batch_size` is zero.
    pub fn with_minibatch(mut self, batch_size: usize, seed: u64) -> Result<Self, Error> {
        self.batches = Some(BatchSchedule::new(batch_size, seed)?);
        Ok(self)
    }

    /// Seed of the noise (default 0).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.rule.seed = seed;
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
        self.rule.schedule = schedule;
        Ok(self)
    }

    /// Stop when `‖∇L(p_k)‖ < tol` (default: never).
    ///
    /// # Errors
    /// `InvalidParameter` unless `tol` is finite and ≥ 0.
    pub fn with_grad_tol(mut self, tol: f64) -> Result<Self, Error> {
        self.grad_tol = Some(check_positive("LangevinGd", "tolerance", tol, true)?);
        Ok(self)
    }

    /// The update rule.
    pub fn rule(&self) -> &LangevinRule {
        &self.rule
    }
}

impl<O> Solver<O, VecState> for LangevinGd
where
    O: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + MiniBatched,
{
    fn name(&self) -> &str {
        "Langevin gradient descent"
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        self.memory = Some(self.rule.init());
        Ok((
            init_state(problem, state, &mut self.batches, "LangevinGd")?,
            None,
        ))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        mut state: VecState,
    ) -> Result<(VecState, Option<KV>), Error> {
        let param = take_param(&mut state, "LangevinGd")?;
        let stochastic = next_batch(&mut self.batches, problem)?;
        let (_, grad) = current_cost_grad(problem, &mut state, &param, stochastic)?;
        let memory = self.memory.get_or_insert_with(|| self.rule.init());
        let sigma = self.rule.noise_at(memory.count);
        let step = self.rule.update(&grad, memory);
        let step_norm = step.fdot(&step).sqrt();
        let next = param + &step;
        let state = finish_iter(problem, state, next, None, stochastic)?;
        Ok((
            state,
            Some(argmin::kv!("step_norm" => step_norm; "noise" => sigma;)),
        ))
    }

    fn terminate(&mut self, state: &VecState) -> TerminationStatus {
        grad_tol_status(state, self.grad_tol)
    }
}

impl BatchSampling for LangevinGd {
    fn batch_schedule_mut(&mut self) -> Option<&mut BatchSchedule> {
        self.batches.as_mut()
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
        let mut s = rule.init();
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
        let (mut a, mut b) = (rule.init(), rule.init());
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
