//! Many starts and the bake-off of document 002: run an optimizer from
//! many seeded start points ([`run_starts`]), keep every trace, and compare
//! optimizers by what fraction of starts reach the global minimum and at
//! what cost ([`bakeoff`]).
//!
//! A landscape of many wells punishes every local method differently: plain
//! gradient descent stalls on plateaus, Newton is attracted by saddles and
//! maxima, noise helps some starts escape shallow wells. One start says
//! little; hundreds give a distribution.
//!
//! ```no_run
//! use quad_vs_grad::race::multistart::{bakeoff, uniform_starts, wells_contenders, BakeoffConfig};
//! use quad_vs_grad::landscapes::GaussianWells;
//!
//! let wells = GaussianWells::course();
//! let starts = uniform_starts(500, 2, (-3.0, 3.0), 0)?;
//! let result = bakeoff(&wells, &wells_contenders(), &starts, &BakeoffConfig::default())?;
//! println!("{result}");
//! # Ok::<(), quad_vs_grad::Error>(())
//! ```

use std::fmt;

use ndarray::Array1;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{run, OptimizerKind, OptimizerSpec, RaceConfig, RaceProblem};
use crate::error::{Error, Result};
use crate::landscapes::{Landscape, Minimum};
use crate::trace::{StopReason, Trace};

/// One optimizer of a multi-start run or bake-off: a race entry. Langevin GD and
/// condition-adaptive GD, the two optimizers of document 002 that are not
/// classic race entries, are the race kinds [`OptimizerKind::Langevin`] and
/// [`OptimizerKind::AdaptiveGd`].
pub type Contender = OptimizerSpec;

/// The seed of start `index` derived from a base seed (a SplitMix64 step, so
/// neighbouring indices give unrelated streams).
pub fn start_seed(seed: u64, index: usize) -> u64 {
    let mut z = seed.wrapping_add(
        (index as u64)
            .wrapping_add(1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` start points uniform in `range^dim`, from a `ChaCha8Rng` seeded with
/// `seed` (coordinates drawn point by point). Document 002 uses 100 starts
/// in `[−3, 3]²` for its pictures and 500 for its bake-off.
///
/// # Errors
/// [`Error::InvalidConfig`] if `n` or `dim` is zero or the range is empty or
/// not finite.
pub fn uniform_starts(
    n: usize,
    dim: usize,
    range: (f64, f64),
    seed: u64,
) -> Result<Vec<Array1<f64>>> {
    let (lo, hi) = range;
    if n == 0 || dim == 0 || !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(Error::InvalidConfig(format!(
            "uniform starts need n >= 1, dim >= 1 and a finite range lo < hi; got n = {n}, dim = {dim}, range = {range:?}"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Ok((0..n)
        .map(|_| Array1::from_shape_simple_fn(dim, || lo + (hi - lo) * rng.random::<f64>()))
        .collect())
}

/// The default starts of document 002: 100 starts uniform in `[−3, 3]²`, seed 0.
pub fn default_starts() -> Vec<Array1<f64>> {
    uniform_starts(100, 2, (-3.0, 3.0), 0).expect("valid constants")
}

/// Runs `contender` once from `start` with [`run`]; `index` is the
/// start's position in its list: the run's [`RaceConfig::seed`] is
/// [`start_seed`]`(cfg.seed, index)`, so the starts draw independent noise
/// (Langevin GD) and mini-batches, and the whole set stays reproducible.
/// Never panics: a contender that cannot be built gives a
/// [`StopReason::Failed`] trace holding the start.
pub fn run_start<P: RaceProblem>(
    problem: &P,
    contender: &Contender,
    start: &Array1<f64>,
    index: usize,
    cfg: &RaceConfig,
) -> Trace {
    let cfg = RaceConfig {
        seed: start_seed(cfg.seed, index),
        ..cfg.clone()
    };
    run(problem, start, contender, &cfg)
}

/// Runs `contender` from every start, one after the other, and keeps every
/// trace (in the order of `starts`).
pub fn run_starts<P: RaceProblem>(
    problem: &P,
    contender: &Contender,
    starts: &[Array1<f64>],
    cfg: &RaceConfig,
) -> Vec<Trace> {
    starts
        .iter()
        .enumerate()
        .map(|(i, s)| run_start(problem, contender, s, i, cfg))
        .collect()
}

/// Settings of a bake-off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BakeoffConfig {
    /// Settings of every run (iteration limit, step-norm tolerance, …).
    /// Default: 1000 iterations, step tolerance 1e-6, and learning rate 0.1
    /// for every first-order contender that sets none (document 002's
    /// value, which [`wells_contenders`] also set explicitly; the race's own
    /// defaults, such as GD's 0.8, are tuned for the XOR slice).
    pub race: RaceConfig,
    /// A run *reaches the global minimum* if its final iterate lies within
    /// this distance of the global minimiser. Default 0.25: inside the well
    /// of the global minimum (every well of the course's landscape has width
    /// `σ ≥ 0.3`), loose enough to count a Langevin iterate that hovers in
    /// that well — with `η = 0.1`, `σ = 0.2` and curvature of order one its
    /// stationary spread is about `√(ησ²/2) ≈ 0.045` per coordinate.
    pub success_radius: f64,
}

impl Default for BakeoffConfig {
    fn default() -> Self {
        Self {
            race: RaceConfig {
                max_iters: 1000,
                tol: 1e-6,
                lr: Some(0.1),
                ..RaceConfig::default()
            },
            success_radius: 0.25,
        }
    }
}

/// One optimizer's line of the bake-off table (means over all starts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BakeoffRow {
    /// The optimizer's label.
    pub optimizer: String,
    /// Number of runs (starts).
    pub runs: usize,
    /// Mean final full-batch loss over the runs whose final loss is finite.
    pub mean_final_loss: f64,
    /// Fraction of runs whose final iterate is within the success radius of
    /// the global minimiser (NaN if the landscape has none).
    pub reached_global: f64,
    /// Mean number of iterations.
    pub mean_iterations: f64,
    /// Mean number of oracle calls: loss + gradient + Hessian + curvature products.
    pub mean_evaluations: f64,
    /// Total solver wall time over all runs, milliseconds (recorder time excluded).
    pub wall_ms: f64,
    /// Runs that diverged.
    pub diverged: usize,
    /// Runs that failed (an error, or a method the landscape cannot serve).
    pub failed: usize,
}

impl BakeoffRow {
    /// Summarises the traces of one optimizer.
    pub fn from_traces(
        optimizer: &str,
        traces: &[Trace],
        global: Option<&Minimum>,
        radius: f64,
    ) -> Self {
        let n = traces.len().max(1) as f64;
        let finite: Vec<f64> = traces
            .iter()
            .map(Trace::final_loss)
            .filter(|l| l.is_finite())
            .collect();
        let mean_final_loss = if finite.is_empty() {
            f64::NAN
        } else {
            finite.iter().sum::<f64>() / finite.len() as f64
        };
        let reached_global = match global {
            Some(m) => {
                let hits = traces
                    .iter()
                    .filter(|t| !t.diverged())
                    .filter_map(|t| t.final_point())
                    .filter(|p| {
                        p.len() == m.point.len()
                            && p.iter()
                                .zip(m.point.iter())
                                .map(|(a, b)| (a - b).powi(2))
                                .sum::<f64>()
                                .sqrt()
                                <= radius
                    })
                    .count();
                hits as f64 / n
            }
            None => f64::NAN,
        };
        let evals = |t: &Trace| {
            let c = t.total_counts();
            (c.cost + c.gradient + c.hessian + c.curvature) as f64
        };
        Self {
            optimizer: optimizer.to_string(),
            runs: traces.len(),
            mean_final_loss,
            reached_global,
            mean_iterations: traces.iter().map(|t| t.steps() as f64).sum::<f64>() / n,
            mean_evaluations: traces.iter().map(evals).sum::<f64>() / n,
            wall_ms: traces.iter().map(Trace::wall_ms).sum(),
            diverged: traces
                .iter()
                .filter(|t| matches!(t.stop, StopReason::Diverged(_)))
                .count(),
            failed: traces
                .iter()
                .filter(|t| matches!(t.stop, StopReason::Failed(_)))
                .count(),
        }
    }
}

/// The outcome of [`bakeoff`]: one row per contender, and every trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bakeoff {
    /// The landscape's name.
    pub problem: String,
    /// Its global minimum, if known.
    pub global: Option<Minimum>,
    /// The success radius used.
    pub success_radius: f64,
    /// One row per contender, in the contenders' order.
    pub rows: Vec<BakeoffRow>,
    /// Every trace: `traces[c][s]` is contender `c` from start `s`.
    pub traces: Vec<Vec<Trace>>,
}

/// Runs every contender from every start and summarises each.
///
/// Runs are sequential (so wall times do not compete for cores) and
/// deterministic: the same landscape, contenders, starts and configuration
/// give bit-identical traces except for their wall times.
///
/// # Errors
/// [`Error::InvalidConfig`] for an empty list of starts or contenders, a
/// start of the wrong dimension, a non-positive success radius, or an
/// invalid race configuration.
pub fn bakeoff<P: RaceProblem + Landscape>(
    problem: &P,
    contenders: &[Contender],
    starts: &[Array1<f64>],
    cfg: &BakeoffConfig,
) -> Result<Bakeoff> {
    cfg.race.validate()?;
    if contenders.is_empty() || starts.is_empty() {
        return Err(Error::InvalidConfig(
            "a bake-off needs contenders and starts".into(),
        ));
    }
    if let Some(bad) = starts.iter().find(|s| s.len() != problem.dim()) {
        return Err(Error::Shape(format!(
            "a start has {} entries, the landscape has dimension {}",
            bad.len(),
            problem.dim()
        )));
    }
    if !(cfg.success_radius.is_finite() && cfg.success_radius > 0.0) {
        return Err(Error::InvalidConfig(format!(
            "success radius must be finite and > 0, got {}",
            cfg.success_radius
        )));
    }
    let global = problem.global_minimum();
    let traces: Vec<Vec<Trace>> = contenders
        .iter()
        .map(|c| run_starts(problem, c, starts, &cfg.race))
        .collect();
    let rows = contenders
        .iter()
        .zip(&traces)
        .map(|(c, t)| BakeoffRow::from_traces(&c.label, t, global.as_ref(), cfg.success_radius))
        .collect();
    Ok(Bakeoff {
        problem: Landscape::name(problem),
        global,
        success_radius: cfg.success_radius,
        rows,
        traces,
    })
}

/// The contenders of the wells bake-off: document 002's list (GD, momentum,
/// Adam, Langevin GD with σ = 0.2, Newton, condition-adaptive GD, BFGS, all
/// with learning rate 0.1 where they have one) plus the crate's saddle-free
/// Newton and argmin's L-BFGS. Newton and saddle-free Newton use damping
/// `λ = 1e−3` (the wells' Hessian eigenvalues are of order 0.1–5). The
/// Langevin noise is seeded by the run's [`RaceConfig::seed`] (see [`run_start`]).
pub fn wells_contenders() -> Vec<Contender> {
    use OptimizerKind as K;
    vec![
        OptimizerSpec::new(K::Gd).lr(0.1),
        OptimizerSpec::new(K::Momentum).lr(0.1).momentum(0.9),
        OptimizerSpec::new(K::Adam).lr(0.1),
        OptimizerSpec::new(K::Langevin).lr(0.1).noise(0.2),
        OptimizerSpec::new(K::AdaptiveGd).lr(0.1),
        OptimizerSpec::new(K::Newton).damping(1e-3),
        OptimizerSpec::new(K::SaddleFree).damping(1e-3),
        OptimizerSpec::new(K::Bfgs),
        OptimizerSpec::new(K::Lbfgs),
    ]
}

impl fmt::Display for Bakeoff {
    /// A fixed-width table, one line per optimizer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Bake-off on {}", self.problem)?;
        if let Some(g) = &self.global {
            let pt: Vec<String> = g.point.iter().map(|v| format!("{v:.4}")).collect();
            writeln!(
                f,
                "global minimum {:.6} at ({}); reached = final iterate within {} of it",
                g.value,
                pt.join(", "),
                self.success_radius
            )?;
        }
        let runs = self.rows.first().map_or(0, |r| r.runs);
        writeln!(f, "{runs} starts per optimizer")?;
        writeln!(
            f,
            "{:<22} {:>11} {:>8} {:>9} {:>10} {:>10} {:>5} {:>5}",
            "optimizer", "mean loss", "reached", "mean its", "mean evals", "wall ms", "div", "fail"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<22} {:>11.6} {:>7.1}% {:>9.1} {:>10.1} {:>10.1} {:>5} {:>5}",
                r.optimizer,
                r.mean_final_loss,
                100.0 * r.reached_global,
                r.mean_iterations,
                r.mean_evaluations,
                r.wall_ms,
                r.diverged,
                r.failed
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_are_seeded_and_in_range() {
        let a = uniform_starts(100, 2, (-3.0, 3.0), 7).unwrap();
        assert_eq!(a, uniform_starts(100, 2, (-3.0, 3.0), 7).unwrap());
        assert_ne!(a, uniform_starts(100, 2, (-3.0, 3.0), 8).unwrap());
        assert!(a.iter().flatten().all(|v| (-3.0..3.0).contains(v)));
        assert!(uniform_starts(0, 2, (-3.0, 3.0), 0).is_err());
        assert!(uniform_starts(3, 2, (1.0, 1.0), 0).is_err());
        assert_eq!(default_starts().len(), 100);
        assert_ne!(start_seed(0, 0), start_seed(0, 1));
    }
}
