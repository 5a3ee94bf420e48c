//! Lesson 7, the curvature zoo: the matrices second-order methods use in
//! place of the Hessian, measured at the same points.
//!
//! The helpers measure the zoo of [`crate::plot::curvature_zoo`]: a table of
//! the matrices ([`zoo_table`]), the Monte-Carlo Fisher's error against the
//! number of sampled labels ([`mc_fisher_convergence`], which falls like
//! `1/√S`), the empirical Fisher against the GGN along a run
//! ([`fisher_along`]), the BFGS update learning a quadratic's inverse Hessian
//! from gradient differences ([`bfgs_on_quadratic`]), and argmin's L-BFGS
//! with different memories ([`lbfgs_memory_runs`]).
//!
//! Reference: J. Nocedal, S. J. Wright, *Numerical Optimization*, 2nd ed.,
//! Springer 2006: ch. 6 (BFGS), ch. 7 (L-BFGS);
//! J. Martens, *New insights and perspectives on the natural gradient
//! method*, JMLR 21, 2020 (the Fisher, its empirical variant and the GGN);
//! F. Kunstner, L. Balles, P. Hennig, *Limitations of the empirical Fisher
//! approximation for natural gradient descent*, NeurIPS 2019.

use crate::linalg::FixedDot;
use argmin::core::{CostFunction, Gradient};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::curvature::{eigenvalues, FisherKind};
use crate::error::{Error, Result};
use crate::landscapes::Quadratic;
use crate::plot::NamedMatrix;
use crate::problem::XorProblem;
use crate::race::{run_solver, RaceConfig, RaceProblem};
use crate::trace::Trace;

/// A text table of 2 × 2 (or any `k × k`) curvature matrices: for each its
/// name, for 2 × 2 its entries `c₁₁ c₁₂ c₂₂` (4 decimals), its eigenvalues
/// (smallest and largest; `0` within `1e−10` of the largest in size, which
/// is rounding and differs between machines) and its relative distance `‖C − C_ref‖_F / ‖C_ref‖_F` from the
/// matrix `reference` (an index into `zoo`).
///
/// # Errors
/// [`Error::InvalidConfig`] if `reference` is out of range or the
/// matrices differ in shape; [`Error::Linalg`] if an eigendecomposition fails.
pub fn zoo_table(zoo: &[NamedMatrix], reference: usize) -> Result<String> {
    let r = zoo
        .get(reference)
        .ok_or_else(|| Error::InvalidConfig(format!("no matrix {reference} in the zoo")))?;
    let mut out = format!(
        "{:<22} {:>10} {:>10} {:>10} {:>11} {:>11} {:>9}\n",
        "matrix",
        "c11",
        "c12",
        "c22",
        "λ_min",
        "λ_max",
        format!(
            "vs {}",
            if r.name.len() > 6 {
                &r.name[..6]
            } else {
                &r.name
            }
        )
    );
    for m in zoo {
        if m.matrix.dim() != r.matrix.dim() {
            return Err(Error::InvalidConfig(format!(
                "{} has another shape than {}",
                m.name, r.name
            )));
        }
        let ev = eigenvalues(&m.matrix)?;
        let (lo, hi) = (ev[0], ev[ev.len() - 1]);
        let scale = lo.abs().max(hi.abs());
        // Eigenvalues at rounding level depend on the machine's BLAS: show 0.
        let eig = |v: f64| {
            if v.abs() <= 1e-10 * scale {
                "0".to_string()
            } else {
                format!("{v:.4e}")
            }
        };
        let entry = |v: f64| format!("{:.4}", ((v * 1e4).round() / 1e4) + 0.0);
        let (c11, c12, c22) = if m.matrix.dim() == (2, 2) {
            (
                entry(m.matrix[[0, 0]]),
                entry(m.matrix[[0, 1]]),
                entry(m.matrix[[1, 1]]),
            )
        } else {
            ("-".into(), "-".into(), "-".into())
        };
        let rel = frob(&(&m.matrix - &r.matrix)) / frob(&r.matrix);
        out.push_str(&format!(
            "{:<22} {:>10} {:>10} {:>10} {:>11} {:>11} {:>9.3}\n",
            m.name,
            c11,
            c12,
            c22,
            eig(lo),
            eig(hi),
            rel
        ));
    }
    Ok(out)
}

/// One sample size of [`mc_fisher_convergence`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct McFisherRow {
    /// Labels drawn per example, `S`.
    pub samples: usize,
    /// Root-mean-square over the seeds of `‖F̂_S − G‖_F / ‖G‖_F`.
    pub rel_error: f64,
    /// `rel_error · √S`: constant when the error falls like `1/√S`.
    pub scaled: f64,
}

/// The Monte-Carlo Fisher's relative error against the GGN (the exact
/// Fisher) at `p`, for each number of sampled labels in `samples`, as the
/// root mean square over the seeds `0..seeds`.
///
/// # Errors
/// [`Error::InvalidConfig`] for no seeds, a zero sample count or a zero
/// GGN; the problem's error if `p` has the wrong length.
pub fn mc_fisher_convergence(
    problem: &XorProblem,
    p: &Array1<f64>,
    samples: &[usize],
    seeds: u64,
) -> Result<Vec<McFisherRow>> {
    if seeds == 0 || samples.contains(&0) {
        return Err(Error::InvalidConfig(
            "the Monte-Carlo study needs at least one seed and one sample".into(),
        ));
    }
    let g = problem.fisher(p, FisherKind::Exact)?;
    let norm = frob(&g);
    if norm == 0.0 {
        return Err(Error::InvalidConfig("the GGN is zero at this point".into()));
    }
    samples
        .iter()
        .map(|&s| {
            let mut sq = 0.0;
            for seed in 0..seeds {
                let f = problem.fisher(p, FisherKind::MonteCarlo { samples: s, seed })?;
                sq += (frob(&(&f - &g)) / norm).powi(2);
            }
            let rel = (sq / seeds as f64).sqrt();
            Ok(McFisherRow {
                samples: s,
                rel_error: rel,
                scaled: rel * (s as f64).sqrt(),
            })
        })
        .collect()
}

/// The empirical Fisher against the GGN at one iterate of a run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FisherRow {
    /// The iteration.
    pub iteration: usize,
    /// The loss there.
    pub loss: f64,
    /// Largest eigenvalue of the GGN.
    pub ggn_top: f64,
    /// Largest eigenvalue of the empirical Fisher.
    pub empirical_top: f64,
    /// `‖F_emp‖_F / ‖G‖_F`.
    pub ratio: f64,
    /// Cosine between the two matrices, `⟨F_emp, G⟩_F / (‖F_emp‖_F ‖G‖_F)`:
    /// 1 when they differ only by a scale.
    pub cosine: f64,
}

/// The GGN and the empirical Fisher of `problem` at the iterates of `trace`
/// closest to the given iterations (see [`Trace::entry_at`]).
///
/// # Errors
/// The problem's error if an iterate has the wrong length;
/// [`Error::Linalg`] if an eigendecomposition fails.
pub fn fisher_along(
    problem: &XorProblem,
    trace: &Trace,
    iterations: &[usize],
) -> Result<Vec<FisherRow>> {
    iterations
        .iter()
        .filter(|_| !trace.iterates.is_empty())
        .map(|&k| {
            let i = trace.entry_at(k);
            let p = Array1::from(trace.iterates[i].clone());
            let g = problem.fisher(&p, FisherKind::Exact)?;
            let e = problem.fisher(&p, FisherKind::Empirical)?;
            let top = |m: &Array2<f64>| -> Result<f64> {
                Ok(eigenvalues(m)?.iter().copied().fold(f64::MIN, f64::max))
            };
            let (ng, ne) = (frob(&g), frob(&e));
            Ok(FisherRow {
                iteration: trace.iteration(i),
                loss: trace.loss[i],
                ggn_top: top(&g)?,
                empirical_top: top(&e)?,
                ratio: ne / ng,
                cosine: (&g * &e).sum() / (ng * ne),
            })
        })
        .collect()
}

/// One iteration of [`bfgs_on_quadratic`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BfgsRow {
    /// Iteration `k` (after `k` updates).
    pub iteration: usize,
    /// Loss `L(x_k)`.
    pub loss: f64,
    /// `‖H_k − A⁻¹‖_F / ‖A⁻¹‖_F`: how far the inverse-Hessian estimate is
    /// from the true inverse Hessian `A⁻¹` of the bowl.
    pub inverse_error: f64,
    /// The secant residual `‖H_k y_{k−1} − s_{k−1}‖` (zero by construction).
    pub secant_residual: f64,
}

/// BFGS with exact line searches on a quadratic bowl `½ (x−c)ᵀ A (x−c)`
/// from `start` with `H₀ = I`, for `steps` iterations, recording how far
/// the inverse-Hessian estimate `H_k` is from `A⁻¹`.
///
/// Each step `d = −H_k g_k`, `α = −g_kᵀ d / dᵀ A d` (exact on a quadratic),
/// `s = α d`, `y = g_{k+1} − g_k = A s`, and the BFGS update
///
/// ```text
/// H_{k+1} = (I − ρ s yᵀ) H_k (I − ρ y sᵀ) + ρ s sᵀ,     ρ = 1 / (yᵀ s),
/// ```
///
/// the closest matrix to `H_k` (in a weighted norm) that satisfies the
/// secant condition `H_{k+1} y = s`. With exact line searches on a
/// quadratic in `n` dimensions, `H_n = A⁻¹` and `x_n` is the minimiser
/// (Nocedal & Wright, Theorem 6.4 and §6.1).
///
/// # Errors
/// [`Error::Shape`] if `start` is not 2-D; the bowl's error if an
/// evaluation fails.
pub fn bfgs_on_quadratic(
    bowl: &Quadratic,
    start: &Array1<f64>,
    steps: usize,
) -> Result<Vec<BfgsRow>> {
    if start.len() != 2 {
        return Err(Error::Shape(format!(
            "a bowl is 2-D, got {} entries",
            start.len()
        )));
    }
    let a = bowl.matrix().clone();
    let det = a[[0, 0]] * a[[1, 1]] - a[[0, 1]] * a[[1, 0]];
    let a_inv = ndarray::array![[a[[1, 1]], -a[[0, 1]]], [-a[[1, 0]], a[[0, 0]]]] / det;
    let n_inv = frob(&a_inv);
    let mut h = Array2::<f64>::eye(2);
    let mut x = start.clone();
    let mut g = bowl.gradient(&x)?;
    let mut rows = vec![BfgsRow {
        iteration: 0,
        loss: bowl.cost(&x)?,
        inverse_error: frob(&(&h - &a_inv)) / n_inv,
        secant_residual: 0.0,
    }];
    for k in 1..=steps {
        let d = -h.fdot(&g);
        let curv = d.fdot(&a.fdot(&d));
        if curv.is_nan() || curv <= 0.0 || g.fdot(&g).sqrt() < 1e-14 {
            break;
        }
        let alpha = -g.fdot(&d) / curv;
        let s = &d * alpha;
        x = &x + &s;
        let g_new = bowl.gradient(&x)?;
        let y = &g_new - &g;
        let rho = 1.0 / y.fdot(&s);
        let eye = Array2::<f64>::eye(2);
        let col = |v: &Array1<f64>| v.clone().insert_axis(ndarray::Axis(1));
        let row = |v: &Array1<f64>| v.clone().insert_axis(ndarray::Axis(0));
        let left = &eye - &(col(&s).fdot(&row(&y)) * rho);
        let right = &eye - &(col(&y).fdot(&row(&s)) * rho);
        h = left.fdot(&h).fdot(&right) + col(&s).fdot(&row(&s)) * rho;
        g = g_new;
        rows.push(BfgsRow {
            iteration: k,
            loss: bowl.cost(&x)?,
            inverse_error: frob(&(&h - &a_inv)) / n_inv,
            secant_residual: (h.fdot(&y) - &s).fdot(&(h.fdot(&y) - &s)).sqrt(),
        });
    }
    Ok(rows)
}

/// argmin's L-BFGS (More–Thuente line search, gradient tolerance
/// `cfg.tol`) from `start` with each memory `m` in `memories`, one trace
/// each, labelled `"L-BFGS m = …"`. A memory of 0 gives a
/// [`crate::trace::StopReason::Failed`] trace holding only the start point.
pub fn lbfgs_memory_runs<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    memories: &[usize],
    cfg: &RaceConfig,
) -> Vec<Trace> {
    memories
        .iter()
        .map(|&m| {
            let label = format!("L-BFGS m = {m}");
            let solver =
                LBFGS::<_, Array1<f64>, Array1<f64>, f64>::new(MoreThuenteLineSearch::new(), m)
                    .with_tolerance_grad(cfg.tol)
                    .and_then(|s| s.with_tolerance_cost(0.0));
            match solver {
                Ok(s) if m > 0 => run_solver(problem, start, &label, s, cfg),
                _ => {
                    let settings = crate::trace::Settings {
                        seed: cfg.seed,
                        tol: cfg.tol,
                        max_iters: cfg.max_iters,
                        max_evals: cfg.eval_budget(),
                        max_seconds: cfg.max_seconds,
                        ..crate::trace::Settings::default()
                    };
                    crate::race::failed(
                        problem,
                        start,
                        &label,
                        settings,
                        format!("L-BFGS needs a memory of at least 1, got {m}"),
                    )
                    .trace
                }
            }
        })
        .collect()
}

/// Frobenius norm.
fn frob(m: &Array2<f64>) -> f64 {
    m.iter().map(|v| v * v).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn bfgs_learns_the_inverse_hessian_in_two_steps() {
        let bowl = Quadratic::with_condition(10.0, 0.4).unwrap();
        let rows = bfgs_on_quadratic(&bowl, &array![2.0, -1.0], 2).unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows[0].inverse_error > 0.1);
        assert!(rows[2].inverse_error < 1e-10, "{:?}", rows[2]);
        assert!(rows[1].secant_residual < 1e-12 && rows[2].secant_residual < 1e-12);
        assert!(rows[2].loss < 1e-20);
    }

    #[test]
    fn lbfgs_memory_zero_is_a_failed_run_not_a_panic() {
        let problem = XorProblem::reference();
        let start = array![2.0, -2.0];
        let runs = lbfgs_memory_runs(&problem, &start, &[0, 2], &RaceConfig::default());
        assert!(matches!(runs[0].stop, crate::trace::StopReason::Failed(_)));
        assert_eq!(runs[0].iterates.len(), 1);
        assert!(runs[1].final_loss() < runs[1].loss[0]);
        assert_eq!(runs[1].optimizer, "L-BFGS m = 2");
    }
}
