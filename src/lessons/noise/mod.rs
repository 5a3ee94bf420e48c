//! Chapter 5: noise as a tool — noisy gradient descent from many starts,
//! and the noise that mini-batches put into a gradient.
//!
//! Two kinds of noise are compared honestly here:
//! - **Langevin noise**, added by hand to every gradient
//!   ([`LangevinGd`]): `p ← p − η (∇L(p) + ν_k ξ_k)`, `ξ_k ~ N(0, I)`. It
//!   works on any landscape, including the analytic ones that have no data
//!   ([`noise_study`]).
//! - **Mini-batch noise**, which only exists where there is data: the
//!   gradient of a random batch of `B` of the `N` examples differs from the
//!   full gradient by a zero-mean error whose variance per coordinate is
//!   `s² (N − B) / (B (N − 1))` (sampling without replacement, `s²` the
//!   variance of the per-example gradients). [`minibatch_gradient_noise`]
//!   measures it on the XOR problem and compares it with that formula, so a
//!   Langevin `ν` can be calibrated to it.
//!
//! # References
//! - M. Welling and Y. W. Teh, *Bayesian learning via stochastic gradient
//!   Langevin dynamics*, ICML 2011.
//! - S. Mandt, M. D. Hoffman, D. M. Blei, *Stochastic gradient descent as
//!   approximate Bayesian inference*, JMLR 18, 2017 (SGD near a minimum as
//!   an Ornstein–Uhlenbeck process).
//! - W. G. Cochran, *Sampling Techniques*, 3rd ed., 1977, §2.4 (the variance
//!   of a mean sampled without replacement).

use std::fmt;

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::landscapes::{Landscape, Minimum};
use crate::race::multistart::start_seed;
use crate::race::{run_solver, RaceConfig, RaceProblem};
use crate::solvers::{LangevinGd, NoiseSchedule};
use crate::trace::{StopReason, Trace};

mod end_key;
mod figures;
mod gradient_noise;
mod sampling;

pub use figures::{batch_losses_figure, batch_paths_figure, draw_batch_losses, draw_batch_paths};
pub use gradient_noise::{minibatch_gradient_noise, GradientNoise};
pub use sampling::{sampling_study, ExcessLoss, SamplingStudy, SAMPLING_ARMS};

/// One noisy gradient descent of a [`noise_study`]: step size, initial noise
/// scale and its schedule (noise 0 is plain gradient descent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoisyGd {
    /// Display label.
    pub label: String,
    /// Learning rate `η`.
    pub lr: f64,
    /// Initial noise scale `ν₀` (gradient units).
    pub noise: f64,
    /// How `ν` decays.
    pub schedule: NoiseSchedule,
}

impl NoisyGd {
    /// Plain gradient descent (`ν = 0`).
    pub fn plain(lr: f64) -> Self {
        Self {
            label: format!("GD (η = {lr})"),
            lr,
            noise: 0.0,
            schedule: NoiseSchedule::Constant,
        }
    }

    /// Constant noise `ν`.
    pub fn constant(lr: f64, noise: f64) -> Self {
        Self {
            label: format!("Langevin (ν = {noise})"),
            lr,
            noise,
            schedule: NoiseSchedule::Constant,
        }
    }

    /// Noise `ν_k = ν₀ (1 + k/τ)^{−γ}`.
    pub fn annealed(lr: f64, noise: f64, tau: f64, gamma: f64) -> Self {
        Self {
            label: format!("annealed (ν₀ = {noise}, τ = {tau}, γ = {gamma})"),
            lr,
            noise,
            schedule: NoiseSchedule::Polynomial { tau, gamma },
        }
    }

    fn solver(&self, seed: u64) -> std::result::Result<LangevinGd, argmin::core::Error> {
        LangevinGd::new(self.lr, self.noise)?
            .with_seed(seed)
            .with_schedule(self.schedule)
    }
}

/// Runs a hand-configured [`LangevinGd`] from `start` through the race's
/// recorder and step-norm stop ([`crate::race::run_solver`]).
fn run_noisy<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    label: &str,
    solver: LangevinGd,
    max_iters: u64,
    tol: f64,
) -> Trace {
    let cfg = RaceConfig {
        max_iters,
        tol,
        ..RaceConfig::default()
    };
    run_solver(problem, start, label, solver, &cfg)
}

/// Mean, standard deviation, minimum and maximum of some final losses.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LossStats {
    /// Mean.
    pub mean: f64,
    /// Standard deviation (population).
    pub std: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

/// [`LossStats`] of the final losses of `traces` (non-finite losses left
/// out; NaN everywhere if none is finite).
pub fn final_loss_stats(traces: &[Trace]) -> LossStats {
    let v: Vec<f64> = traces
        .iter()
        .map(Trace::final_loss)
        .filter(|l| l.is_finite())
        .collect();
    if v.is_empty() {
        return LossStats {
            mean: f64::NAN,
            std: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
        };
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    LossStats {
        mean,
        std,
        min: v.iter().copied().fold(f64::INFINITY, f64::min),
        max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

/// What a set of runs from many starts achieved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MultiStartSummary {
    /// The contender's label.
    pub label: String,
    /// Number of runs.
    pub runs: usize,
    /// Fraction of runs whose final iterate lies within the success radius
    /// of the global minimiser.
    pub reached_global: f64,
    /// Final losses.
    pub final_loss: LossStats,
    /// Mean length of the last step: how far the runs are from standing still.
    pub mean_last_step: f64,
    /// Runs that stopped by themselves (step shorter than the tolerance).
    pub stopped: usize,
    /// Runs whose final iterate left the landscape's domain.
    pub left_domain: usize,
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Summarises `traces` against the global minimum `global` (success within
/// `radius`) and the box `domain`.
pub fn summarise(
    label: &str,
    traces: &[Trace],
    global: Option<&Minimum>,
    radius: f64,
    domain: &[(f64, f64)],
) -> MultiStartSummary {
    let n = traces.len().max(1) as f64;
    let finals: Vec<&[f64]> = traces.iter().filter_map(Trace::final_point).collect();
    let hits = match global {
        Some(m) => finals
            .iter()
            .filter(|p| {
                p.len() == m.point.len() && dist(p, m.point.as_slice().unwrap_or(&[])) <= radius
            })
            .count(),
        None => 0,
    };
    let last_steps: Vec<f64> = traces
        .iter()
        .filter_map(|t| {
            let k = t.iterates.len();
            (k >= 2).then(|| dist(&t.iterates[k - 1], &t.iterates[k - 2]))
        })
        .collect();
    MultiStartSummary {
        label: label.to_string(),
        runs: traces.len(),
        reached_global: if global.is_some() {
            hits as f64 / n
        } else {
            f64::NAN
        },
        final_loss: final_loss_stats(traces),
        mean_last_step: last_steps.iter().sum::<f64>() / last_steps.len().max(1) as f64,
        stopped: traces
            .iter()
            .filter(|t| t.stop == StopReason::StepNorm)
            .count(),
        left_domain: finals
            .iter()
            .filter(|p| {
                p.len() != domain.len()
                    || p.iter().zip(domain).any(|(v, (lo, hi))| v < lo || v > hi)
            })
            .count(),
    }
}

/// Every contender of a [`noise_study`] from every start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoiseStudy {
    /// The landscape's name.
    pub problem: String,
    /// Its global minimum (over its domain).
    pub global: Option<Minimum>,
    /// The success radius.
    pub radius: f64,
    /// One summary per contender.
    pub summaries: Vec<MultiStartSummary>,
    /// `traces[c][s]`: contender `c` from start `s`.
    pub traces: Vec<Vec<Trace>>,
}

/// Settings of a [`noise_study`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudyConfig {
    /// Iteration limit per run.
    pub max_iters: u64,
    /// Step-norm tolerance: a run whose step is shorter stops.
    pub tol: f64,
    /// A run reached the global minimum if it ends within this distance of it.
    pub radius: f64,
    /// Base seed; start `i` draws its noise from [`start_seed`]`(seed, i)`.
    pub seed: u64,
}

impl Default for StudyConfig {
    /// 1000 iterations, tolerance `1e−6`, radius 0.25, seed 0 (the wells
    /// bake-off's settings).
    fn default() -> Self {
        Self {
            max_iters: 1000,
            tol: 1e-6,
            radius: 0.25,
            seed: 0,
        }
    }
}

/// Runs every contender from every start on `problem` and summarises each
/// (success fraction, final-loss spread, last step, runs that stopped, runs
/// that left the domain). Start `i` of every contender uses the same noise
/// seed, so contenders differ only in their settings.
///
/// # Errors
/// [`Error::InvalidConfig`] for no contenders or starts, a start of the wrong
/// dimension, invalid settings (a contender with `η ≤ 0` or `ν < 0`, a bad
/// schedule), or a non-positive radius.
pub fn noise_study<P: RaceProblem + Landscape>(
    problem: &P,
    contenders: &[NoisyGd],
    starts: &[Array1<f64>],
    cfg: &StudyConfig,
) -> Result<NoiseStudy> {
    if contenders.is_empty() || starts.is_empty() {
        return Err(Error::InvalidConfig(
            "a noise study needs contenders and starts".into(),
        ));
    }
    if starts.iter().any(|s| s.len() != problem.dim()) {
        return Err(Error::Shape(format!(
            "every start needs {} coordinates",
            problem.dim()
        )));
    }
    if !(cfg.radius > 0.0 && cfg.tol >= 0.0 && cfg.max_iters > 0) {
        return Err(Error::InvalidConfig(format!(
            "a noise study needs radius > 0, tol ≥ 0 and max_iters > 0, got {cfg:?}"
        )));
    }
    for c in contenders {
        c.solver(0)
            .map_err(|e| Error::InvalidConfig(format!("{}: {e}", c.label)))?;
    }
    let global = problem.global_minimum();
    let domain = problem.domain();
    let mut traces = Vec::with_capacity(contenders.len());
    let mut summaries = Vec::with_capacity(contenders.len());
    for c in contenders {
        let runs: Vec<Trace> = starts
            .iter()
            .enumerate()
            .map(|(i, s)| match c.solver(start_seed(cfg.seed, i)) {
                Ok(solver) => run_noisy(problem, s, &c.label, solver, cfg.max_iters, cfg.tol),
                Err(e) => Trace {
                    optimizer: c.label.clone(),
                    problem: problem.race_name(),
                    iterates: vec![s.to_vec()],
                    loss: vec![f64::NAN],
                    grad_norm: vec![f64::NAN],
                    counts: vec![Default::default()],
                    elapsed_ms: vec![0.0],
                    stop: StopReason::Failed(e.to_string()),
                    settings: Default::default(),
                },
            })
            .collect();
        summaries.push(summarise(
            &c.label,
            &runs,
            global.as_ref(),
            cfg.radius,
            &domain,
        ));
        traces.push(runs);
    }
    Ok(NoiseStudy {
        problem: problem.name(),
        global,
        radius: cfg.radius,
        summaries,
        traces,
    })
}

impl NoiseStudy {
    /// The summary labelled `label`.
    pub fn summary(&self, label: &str) -> Option<&MultiStartSummary> {
        self.summaries.iter().find(|s| s.label == label)
    }

    /// The traces of the contender labelled `label`.
    pub fn traces_of(&self, label: &str) -> Option<&[Trace]> {
        self.summaries
            .iter()
            .position(|s| s.label == label)
            .and_then(|i| self.traces.get(i))
            .map(Vec::as_slice)
    }
}

impl fmt::Display for NoiseStudy {
    /// One line per contender.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let runs = self.summaries.first().map_or(0, |s| s.runs);
        writeln!(f, "{} — {runs} starts per method", self.problem)?;
        if let Some(g) = &self.global {
            let pt: Vec<String> = g.point.iter().map(|v| format!("{v:.4}")).collect();
            writeln!(
                f,
                "global minimum {:.4} at ({}); reached = ends within {} of it",
                g.value,
                pt.join(", "),
                self.radius
            )?;
        }
        writeln!(
            f,
            "{:<34} {:>8} {:>10} {:>9} {:>10} {:>8} {:>7}",
            "method", "reached", "mean loss", "loss std", "last step", "stopped", "outside"
        )?;
        for s in &self.summaries {
            writeln!(
                f,
                "{:<34} {:>7.0}% {:>10.4} {:>9.4} {:>10.2e} {:>8} {:>7}",
                s.label,
                100.0 * s.reached_global,
                s.final_loss.mean,
                s.final_loss.std,
                s.mean_last_step,
                s.stopped,
                s.left_domain
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landscapes::CosineWell;
    use crate::problem::XorProblem;
    use crate::race::multistart::uniform_starts;

    #[test]
    fn gradient_descent_stops_and_langevin_does_not() {
        let starts = uniform_starts(20, 1, (-1.0, 2.0), 3).unwrap();
        let cfg = StudyConfig {
            max_iters: 300,
            ..StudyConfig::default()
        };
        let study = noise_study(
            &CosineWell,
            &[NoisyGd::plain(0.05), NoisyGd::constant(0.05, 2.0)],
            &starts,
            &cfg,
        )
        .unwrap();
        let (gd, lv) = (&study.summaries[0], &study.summaries[1]);
        assert_eq!(gd.stopped, 20);
        assert_eq!(lv.stopped, 0);
        assert!(lv.mean_last_step > 100.0 * gd.mean_last_step);
        // Same seed, same runs.
        let again =
            noise_study(&CosineWell, &[NoisyGd::constant(0.05, 2.0)], &starts, &cfg).unwrap();
        for (a, b) in again.traces[0].iter().zip(&study.traces[1]) {
            assert_eq!(a.iterates, b.iterates);
        }
        assert!(noise_study(&CosineWell, &[], &starts, &cfg).is_err());
        assert!(noise_study(&CosineWell, &[NoisyGd::plain(-1.0)], &starts, &cfg).is_err());
    }

    #[test]
    fn minibatch_noise_matches_sampling_theory() {
        let problem = XorProblem::reference();
        let p = ndarray::array![0.3, 0.0];
        let full = minibatch_gradient_noise(&problem, &p, problem.data().len(), 3, 0).unwrap();
        assert!(full.measured < 1e-12 && full.predicted == 0.0);
        let small = minibatch_gradient_noise(&problem, &p, 10, 2000, 1).unwrap();
        assert!(
            (small.measured / small.predicted - 1.0).abs() < 0.1,
            "{small:?}"
        );
        assert!(minibatch_gradient_noise(&problem, &p, 0, 3, 0).is_err());
    }

    #[test]
    fn loss_stats() {
        let mk = |l: f64| Trace {
            optimizer: "x".into(),
            problem: "p".into(),
            iterates: vec![vec![0.0]],
            loss: vec![l],
            grad_norm: vec![0.0],
            counts: vec![Default::default()],
            elapsed_ms: vec![0.0],
            stop: StopReason::MaxIters,
            settings: Default::default(),
        };
        let s = final_loss_stats(&[mk(1.0), mk(3.0), mk(f64::NAN)]);
        assert_eq!((s.mean, s.std, s.min, s.max), (2.0, 1.0, 1.0, 3.0));
        assert!(final_loss_stats(&[]).mean.is_nan());
    }
}
