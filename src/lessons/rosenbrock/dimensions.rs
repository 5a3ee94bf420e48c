//! The chained Rosenbrock function in more dimensions: iterations,
//! evaluations and curvature memory against the dimension, and which of
//! its minima each run reaches.

use std::fmt;

use ndarray::Array1;

use super::{banana_config, distance, evaluations, lr_grid, tune_lr};
use crate::curvature::eigenvalues;
use crate::error::{Error, Result};
use crate::landscapes::{Landscape, Rosenbrock};
use crate::race::{self, OptimizerKind, OptimizerSpec, RaceConfig};
use crate::trace::Trace;
use argmin::core::{Gradient, Hessian};

/// The number of floats of curvature (or moment) information `kind` holds
/// for `d` parameters while it steps: a dense `d × d` matrix for the
/// Newton, Gauss–Newton, BFGS and trust-region kinds (and the Hessian of
/// condition-adaptive GD), `2 m d` for L-BFGS's `m = 10` pairs, one or two
/// vectors for momentum and the adaptive first-order methods, the four CG
/// vectors of Hessian-free, nothing for plain and Langevin gradient
/// descent. `None` for the kinds that cannot run without network layers
/// (K-FAC).
pub fn curvature_memory(kind: OptimizerKind, d: usize) -> Option<usize> {
    use OptimizerKind as K;
    Some(match kind {
        K::Gd | K::Langevin | K::SteepestDescent => 0,
        K::Momentum | K::Nesterov | K::RmsProp => d,
        K::Adam => 2 * d,
        K::Newton
        | K::SaddleFree
        | K::Ggn
        | K::GgnLm
        | K::ArgminNewton
        | K::Bfgs
        | K::TrustRegion
        | K::AdaptiveGd
        | K::Sbfgs
        | K::Obfgs => d * d,
        K::Lbfgs | K::Slbfgs | K::Olbfgs => 2 * 10 * d,
        K::HessianFree | K::HessianFreeLm => 4 * d,
        K::Kfac | K::KfacLm => return None,
    })
}

/// The chained function's local minimum other than `(1, …, 1)` near
/// `(−1, 1, …, 1)`, if there is one: undamped Newton from `(−1, 1, …, 1)`
/// run to `‖step‖ < 10⁻¹⁴`, kept when it ends at a point with gradient norm
/// below `10⁻⁸`, a positive definite Hessian, and more than `10⁻³` from the
/// global minimum. For `b = 100` such a minimum exists for `4 ≤ d ≤ 7`
/// (Shang & Qiu 2006).
///
/// # Errors
/// As [`Rosenbrock::chained`], and [`Error::Linalg`] from the eigenvalue
/// solver.
pub fn local_minimum(dim: usize) -> Result<Option<Array1<f64>>> {
    let problem = Rosenbrock::chained(dim, 100.0)?;
    let mut start = Array1::ones(dim);
    start[0] = -1.0;
    let cfg = RaceConfig {
        max_iters: 200,
        tol: 1e-14,
        damping: 0.0,
        divergence_factor: 1e6,
        ..RaceConfig::default()
    };
    let t = race::run(
        &problem,
        &start,
        &OptimizerSpec::new(OptimizerKind::Newton),
        &cfg,
    );
    let Some(p) = t.final_point() else {
        return Ok(None);
    };
    let p = Array1::from(p.to_vec());
    let g = problem.gradient(&p)?;
    let gnorm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    let ev = eigenvalues(&problem.hessian(&p)?)?;
    let ones = vec![1.0; dim];
    let is_local = !t.diverged()
        && gnorm < 1e-8
        && ev.iter().all(|&v| v > 0.0)
        && distance(p.as_slice().unwrap_or(&[]), &ones) > 1e-3;
    Ok(is_local.then_some(p))
}

/// Which minimum a run ended at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reached {
    /// Within the tolerance of `(1, …, 1)`.
    Global,
    /// Within the tolerance of the local minimum near `(−1, 1, …, 1)`.
    Local,
    /// Neither: the distance to `(1, …, 1)`.
    Neither(f64),
}

impl fmt::Display for Reached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Global => f.write_str("global (1, …, 1)"),
            Self::Local => f.write_str("local (−1, 1, …)"),
            Self::Neither(d) => write!(f, "none ({d:.2} from (1, …, 1))"),
        }
    }
}

/// One optimizer on the chained function in one dimension.
#[derive(Clone, Debug)]
pub struct DimensionRow {
    /// The dimension `d`.
    pub dim: usize,
    /// The kind.
    pub kind: OptimizerKind,
    /// The learning rate (tuned in this dimension), if the kind has one.
    pub lr: Option<f64>,
    /// Iterations made.
    pub iterations: usize,
    /// Every evaluation (loss, gradient, Hessian, curvature).
    pub evaluations: u64,
    /// [`curvature_memory`] in this dimension.
    pub memory: Option<usize>,
    /// Which minimum the run ended at.
    pub reached: Reached,
    /// The final loss.
    pub final_loss: f64,
    /// The run.
    pub trace: Trace,
}

/// Runs each of `kinds` on the chained function (`b = 100`) in each of
/// `dims` dimensions from its start `(−1.2, 1, …, 1)` with
/// [`banana_config`]`(max_iters)`, a kind with a learning rate at its best
/// rate of [`lr_grid`] in that dimension, and classifies where each run
/// ended (within `tol` of the global minimum, of [`local_minimum`], or
/// neither).
///
/// # Errors
/// [`Error::InvalidConfig`] for a dimension below 2 or `tol` not `> 0`.
pub fn dimension_table(
    dims: &[usize],
    kinds: &[OptimizerKind],
    max_iters: u64,
    tol: f64,
) -> Result<Vec<DimensionRow>> {
    if tol.is_nan() || tol <= 0.0 {
        return Err(Error::InvalidConfig(format!("tol must be > 0, got {tol}")));
    }
    let cfg = banana_config(max_iters);
    let grid = lr_grid();
    let mut rows = Vec::new();
    for &dim in dims {
        let problem = Rosenbrock::chained(dim, 100.0)?;
        let start = problem.start();
        let local = local_minimum(dim)?;
        let ones = vec![1.0; dim];
        for &kind in kinds {
            let (lr, trace) = if kind.descriptor().lr.is_some() {
                match tune_lr(&problem, &start, kind, &grid, &cfg) {
                    Ok((lr, t)) => (Some(lr), t),
                    Err(_) => (
                        Some(grid[0]),
                        race::run(
                            &problem,
                            &start,
                            &OptimizerSpec::new(kind).lr(grid[0]),
                            &cfg,
                        ),
                    ),
                }
            } else {
                (
                    None,
                    race::run(&problem, &start, &OptimizerSpec::new(kind), &cfg),
                )
            };
            let end = trace.final_point().unwrap_or(&[]).to_vec();
            let dg = if end.len() == dim {
                distance(&end, &ones)
            } else {
                f64::NAN
            };
            let reached = if dg <= tol {
                Reached::Global
            } else if local.as_ref().is_some_and(|l| {
                end.len() == dim && distance(&end, l.as_slice().unwrap_or(&[])) <= tol
            }) {
                Reached::Local
            } else {
                Reached::Neither(dg)
            };
            rows.push(DimensionRow {
                dim,
                kind,
                lr,
                iterations: trace.steps(),
                evaluations: evaluations(&trace),
                memory: curvature_memory(kind, dim),
                reached,
                final_loss: trace.final_loss(),
                trace,
            });
        }
    }
    Ok(rows)
}

/// The rows as a table (without wall times, which [`WallTimes`] prints).
pub struct DimensionTable<'a>(pub &'a [DimensionRow]);

impl fmt::Display for DimensionTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>3} {:<16} {:>8} {:>6} {:>7} {:>8} {:>10}  minimum reached",
            "d", "optimizer", "lr", "iters", "evals", "memory", "loss"
        )?;
        for r in self.0 {
            let lr = r.lr.map_or("–".to_string(), |v| format!("{v:.2e}"));
            let mem = r.memory.map_or("–".to_string(), |m| m.to_string());
            writeln!(
                f,
                "{:>3} {:<16} {:>8} {:>6} {:>7} {:>8} {:>10.2e}  {}",
                r.dim,
                r.kind.default_label(),
                lr,
                r.iterations,
                r.evaluations,
                mem,
                r.final_loss,
                r.reached
            )?;
        }
        Ok(())
    }
}

/// The wall times of the rows, in milliseconds (machine-dependent).
pub struct WallTimes<'a>(pub &'a [DimensionRow]);

impl fmt::Display for WallTimes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>3} {:<16} {:>10} {:>12}",
            "d", "optimizer", "wall ms", "µs per iter"
        )?;
        for r in self.0 {
            let ms = r.trace.wall_ms();
            writeln!(
                f,
                "{:>3} {:<16} {:>10.2} {:>12.1}",
                r.dim,
                r.kind.default_label(),
                ms,
                1e3 * ms / r.iterations.max(1) as f64
            )?;
        }
        Ok(())
    }
}
