//! Running the sweep: [`batch_damping_sweep`].

use ndarray::Array1;

use super::config::{SweepConfig, SweepMethod};
use super::results::{BatchSweep, MethodSweep, SweepCell};
use crate::curvature::MiniBatched;
use crate::error::{Error, Result};
use crate::lessons::checks::{check_batch_sizes, config_error};
use crate::problem::XorProblem;
use std::ops::Range;

use crate::race::{run, RaceConfig};

/// Runs the batch size × hyperparameter sweep of `cfg` from `start` on
/// `problem` at a fixed data budget (see the [module docs](crate::lessons::stochasticity)).
///
/// Every run goes through the race ([`run`]: the method's registry
/// solver with its stochastic mode, seeded batches, full-batch losses,
/// divergence as a result) with `max_iters = ⌊budget / B⌋`, no step-norm
/// stop (`tol = 0`) and no wall-time limit, so the result depends on the
/// inputs only: same inputs, same bytes.
///
/// ```
/// use quad_vs_grad::lessons::stochasticity::{batch_damping_sweep, SweepConfig, SweepMethod};
/// use quad_vs_grad::prelude::*;
///
/// let problem = XorProblem::reference();
/// let cfg = SweepConfig {
///     methods: vec![SweepMethod { kind: OptimizerKind::Gd, values: vec![0.1, 1.0] }],
///     batch_sizes: vec![10, 100],
///     budget: 200,
///     seeds: 2,
/// };
/// let sweep = batch_damping_sweep(&problem, &array![2.0, -2.0], &cfg)?;
/// let gd = &sweep.methods[0];
/// assert_eq!(gd.cell(10, 0).unwrap().iterations, 20);
/// assert_eq!(gd.cell(100, 1).unwrap().iterations, 2);
/// # Ok::<(), quad_vs_grad::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidConfig`] for no methods, batch sizes or seeds, an empty
/// grid, a value that is not finite and `> 0`, a batch size outside
/// `1..=min(N, budget)`, a kind without a stochastic mode, or a start of
/// the wrong length.
pub fn batch_damping_sweep(
    problem: &XorProblem,
    start: &Array1<f64>,
    cfg: &SweepConfig,
) -> Result<BatchSweep> {
    let n = problem.data().len();
    if cfg.methods.is_empty() || cfg.batch_sizes.is_empty() || cfg.seeds == 0 {
        return Err(Error::InvalidConfig(
            "a sweep needs methods, batch sizes and seeds".into(),
        ));
    }
    check_batch_sizes(
        &cfg.batch_sizes,
        n.min(cfg.budget),
        &format!(" (N = {n}, budget {})", cfg.budget),
    )?;
    for m in &cfg.methods {
        if m.values.is_empty() || m.values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(Error::InvalidConfig(format!(
                "{}: the grid must be non-empty, finite and > 0",
                m.kind
            )));
        }
        if !m.kind.descriptor().stochastic.is_supported() {
            return Err(Error::InvalidConfig(format!(
                "{} has no stochastic mode",
                m.kind
            )));
        }
    }
    let start_loss = problem.full_batch_cost(start).map_err(config_error)?;
    let mut methods = Vec::with_capacity(cfg.methods.len());
    for m in &cfg.methods {
        let mut cells = Vec::with_capacity(cfg.batch_sizes.len() * m.values.len());
        for &b in &cfg.batch_sizes {
            for &v in &m.values {
                cells.push(run_cell(problem, start, m, v, b, cfg.budget, 0..cfg.seeds).0);
            }
        }
        methods.push(MethodSweep {
            kind: m.kind,
            label: m.kind.default_label().to_string(),
            parameter: m.parameter().to_string(),
            batch_sizes: cfg.batch_sizes.clone(),
            values: m.values.clone(),
            cells,
        });
    }
    Ok(BatchSweep {
        start_loss,
        budget: cfg.budget,
        seeds: cfg.seeds,
        methods,
    })
}

/// Runs `method` with value `v` on batches of `b` for `⌊budget / b⌋` iterations, once per
/// seed of `seeds`: the cell, and each seed's final loss (`None` where the
/// run diverged or failed), in seed order.
pub(super) fn run_cell(
    problem: &XorProblem,
    start: &Array1<f64>,
    method: &SweepMethod,
    v: f64,
    b: usize,
    budget: usize,
    seeds: Range<u64>,
) -> (SweepCell, Vec<Option<f64>>) {
    let iterations = (budget / b) as u64;
    let spec = method.spec(v);
    let (mut losses, mut per_seed) = (Vec::new(), Vec::new());
    let (mut diverged, mut max_steps) = (0, 0);
    for seed in seeds {
        let race = RaceConfig {
            max_iters: iterations,
            tol: 0.0,
            batch_size: Some(b),
            seed,
            max_seconds: f64::INFINITY,
            ..RaceConfig::default()
        };
        let t = run(problem, start, &spec, &race);
        max_steps = max_steps.max(t.steps());
        if t.stop.is_failure() || !t.final_loss().is_finite() {
            diverged += 1;
            per_seed.push(None);
        } else {
            losses.push(t.final_loss());
            per_seed.push(Some(t.final_loss()));
        }
    }
    let cell = SweepCell {
        batch_size: b,
        value: v,
        iterations,
        max_steps,
        runs: per_seed.len(),
        diverged,
        losses,
    };
    (cell, per_seed)
}
