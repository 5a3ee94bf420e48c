//! What a sweep runs: its methods ([`SweepMethod`]), batch sizes, budget and
//! seeds ([`SweepConfig`]), and the value grids ([`log_grid`]).

use serde::{Deserialize, Serialize};

use crate::race::{OptimizerKind, OptimizerSpec};

/// One method of a sweep: an optimizer kind and the values of its swept
/// hyperparameter (the learning rate for kinds that have one, else the
/// damping `λ`; the initial `λ` for Levenberg–Marquardt kinds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepMethod {
    /// The optimizer.
    pub kind: OptimizerKind,
    /// The values of its swept hyperparameter, in increasing order.
    pub values: Vec<f64>,
}

impl SweepMethod {
    /// The swept hyperparameter's symbol: `"lr"` for kinds with a learning
    /// rate, `"λ"` for the others.
    pub fn parameter(&self) -> &'static str {
        if self.kind.descriptor().lr.is_some() {
            "lr"
        } else {
            "λ"
        }
    }

    pub(super) fn spec(&self, v: f64) -> OptimizerSpec {
        let spec = OptimizerSpec::new(self.kind);
        if self.kind.descriptor().lr.is_some() {
            spec.lr(v)
        } else {
            spec.damping(v)
        }
    }
}

/// `10^a, 10^(a+1/k), …, 10^b`: `k` points per decade, rounded to three
/// significant digits (so that `1e-2` prints as `0.01`).
///
/// ```
/// use quad_vs_grad::lessons::stochasticity::log_grid;
/// assert_eq!(log_grid(-2, 0, 1), vec![0.01, 0.1, 1.0]);
/// assert_eq!(log_grid(-1, 0, 2), vec![0.1, 0.316, 1.0]);
/// ```
pub fn log_grid(a: i32, b: i32, per_decade: u32) -> Vec<f64> {
    let k = per_decade.max(1) as i32;
    (a * k..=b * k)
        .map(|i| {
            let v = 10f64.powf(i as f64 / k as f64);
            let mag = 10f64.powi(v.log10().floor() as i32 - 2);
            (v / mag).round() * mag
        })
        .map(|v| format!("{v:.3e}").parse().unwrap_or(v))
        .collect()
}

/// Settings of [`batch_damping_sweep`](crate::lessons::stochasticity::batch_damping_sweep).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepConfig {
    /// The methods and their grids (default [`SweepConfig::chapter`]'s).
    pub methods: Vec<SweepMethod>,
    /// Batch sizes, each in `1..=min(N, budget)` (default 5, 10, 20, 50,
    /// 100, 200).
    pub batch_sizes: Vec<usize>,
    /// Data budget: examples touched per run; a run with batch size `B`
    /// takes `⌊budget / B⌋` iterations.
    pub budget: usize,
    /// Seeds `0..seeds` of the batch sampler, one run each.
    pub seeds: u64,
}

impl SweepConfig {
    /// The chapter's full sweep: GGN, K-FAC and Hessian-free with
    /// `λ ∈ {10⁻⁴, 10⁻³, …, 10}`, Adam with `η ∈ {10⁻³, …, 1}` and SGD
    /// with `η ∈ {10⁻², …, 10}` at two points per decade, batch sizes
    /// 5 to 200, a budget of 4,000 examples (20 epochs of the 200-example
    /// XOR set), 5 seeds.
    pub fn chapter() -> Self {
        Self {
            methods: vec![
                SweepMethod {
                    kind: OptimizerKind::Ggn,
                    values: log_grid(-4, 1, 1),
                },
                SweepMethod {
                    kind: OptimizerKind::Kfac,
                    values: log_grid(-4, 1, 1),
                },
                SweepMethod {
                    kind: OptimizerKind::HessianFree,
                    values: log_grid(-4, 1, 1),
                },
                SweepMethod {
                    kind: OptimizerKind::Adam,
                    values: log_grid(-3, 0, 2),
                },
                SweepMethod {
                    kind: OptimizerKind::Gd,
                    values: log_grid(-2, 1, 2),
                },
            ],
            batch_sizes: vec![5, 10, 20, 50, 100, 200],
            budget: 4000,
            seeds: 5,
        }
    }

    /// A smaller sweep for the notebook: the same methods and batch sizes,
    /// one point per decade for every method, 3 seeds.
    pub fn reduced() -> Self {
        let mut cfg = Self::chapter();
        for m in &mut cfg.methods {
            m.values = match m.kind.descriptor().lr {
                Some(_) if m.kind == OptimizerKind::Adam => log_grid(-3, 0, 1),
                Some(_) => log_grid(-2, 1, 1),
                None => log_grid(-4, 1, 1),
            };
        }
        cfg.seeds = 3;
        cfg
    }
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self::chapter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_and_formats() {
        assert_eq!(log_grid(-4, 1, 1).len(), 6);
        assert_eq!(log_grid(-3, 0, 2)[1], 0.00316);
        assert_eq!(crate::fmt::param(0.0001), "0.0001");
        assert_eq!(crate::fmt::param(10.0), "10");
        assert_eq!(crate::fmt::param(0.316), "0.316");
        assert_eq!(crate::fmt::param(1e-6), "1e-6");
    }
}
