//! Gradient descent and its learning rate (chapter 2).
//!
//! Near a minimum `θ⋆` with Hessian `H`, gradient descent with step `η`,
//! `θ_{k+1} = θ_k − η ∇L(θ_k)`, acts on the error `e_k = θ_k − θ⋆` as
//! `e_{k+1} ≈ (I − ηH) e_k`. Along the eigenvector of eigenvalue `μ` the
//! error is multiplied by `1 − ημ` every step, so
//!
//! ```text
//! stable            ⇔  |1 − ημ| < 1 for every μ  ⇔  η < 2/μ_max
//! per-step factor   q(η) = max(|1 − ημ_min|, |1 − ημ_max|)
//! best fixed step   η⋆ = 2/(μ_min + μ_max),   q(η⋆) = (κ − 1)/(κ + 1),   κ = μ_max/μ_min
//! ```
//!
//! [`GdTheory`] computes these from a Hessian; [`gd_sweep`] runs the crate's
//! gradient descent at several steps; [`conditioning_study`] measures steps
//! to a tolerance on [`Quadratic`] bowls of growing `κ` for gradient descent
//! at its best step, undamped Newton and L-BFGS; [`saddle_escape`] runs
//! gradient descent on `x² − y²` from on and off its stable axis.
//!
//! Reference: J. Nocedal, S. J. Wright, *Numerical Optimization*, 2nd ed.,
//! Springer 2006, §3.3 (rate of convergence of steepest descent).

use argmin::core::Hessian;
use ndarray::{array, Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::curvature::eigenvalues;
use crate::error::{Error, Result};
use crate::landscapes::{Landscape, Quadratic, Saddle};
use crate::race::{run, OptimizerKind, OptimizerSpec, RaceConfig, RaceProblem};
use crate::trace::Trace;

mod small_multiples;

pub use super::xor_mlp::best_loss;
pub use small_multiples::{draw_small_multiples, run_status, small_multiples_figure};

/// What the quadratic model says about fixed-step gradient descent, from the
/// extreme eigenvalues `μ_min ≤ μ_max` of a positive definite Hessian.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GdTheory {
    /// The smallest Hessian eigenvalue `μ_min > 0`.
    pub mu_min: f64,
    /// The largest Hessian eigenvalue `μ_max`.
    pub mu_max: f64,
}

impl GdTheory {
    /// The theory of a symmetric Hessian `h` (any size).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `h` is positive definite with finite
    /// entries; [`Error::Linalg`] if the eigensolver fails.
    pub fn from_hessian(h: &Array2<f64>) -> Result<Self> {
        if h.is_empty() || h.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidConfig(
                "step-size theory needs a non-empty, finite Hessian".into(),
            ));
        }
        let ev = eigenvalues(h)?;
        let lo = ev.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ev.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo.is_nan() || lo <= 0.0 {
            return Err(Error::InvalidConfig(format!(
                "step-size theory needs a positive definite Hessian; its smallest eigenvalue is {lo}"
            )));
        }
        Ok(Self {
            mu_min: lo,
            mu_max: hi,
        })
    }

    /// The theory at the point `p` of `problem` (its Hessian there).
    ///
    /// # Errors
    /// As [`GdTheory::from_hessian`], or the problem's error.
    pub fn at<P>(problem: &P, p: &Array1<f64>) -> Result<Self>
    where
        P: Hessian<Param = Array1<f64>, Hessian = Array2<f64>>,
    {
        let h = problem
            .hessian(p)
            .map_err(|e| Error::InvalidConfig(format!("the Hessian failed: {e}")))?;
        Self::from_hessian(&h)
    }

    /// The condition number `κ = μ_max / μ_min`.
    pub fn condition_number(&self) -> f64 {
        self.mu_max / self.mu_min
    }

    /// The stability limit `2/μ_max`: steps above it make the error grow in
    /// the steepest direction.
    pub fn stability_limit(&self) -> f64 {
        2.0 / self.mu_max
    }

    /// The best fixed step `η⋆ = 2/(μ_min + μ_max)`.
    pub fn best_step(&self) -> f64 {
        2.0 / (self.mu_min + self.mu_max)
    }

    /// The per-step error factors `(1 − ημ_min, 1 − ημ_max)` along the two
    /// extreme eigendirections (negative: the error changes sign every step).
    pub fn error_factors(&self, lr: f64) -> (f64, f64) {
        (1.0 - lr * self.mu_min, 1.0 - lr * self.mu_max)
    }

    /// The worst per-step factor `q(η) = max(|1 − ημ_min|, |1 − ημ_max|)`.
    pub fn contraction(&self, lr: f64) -> f64 {
        let (a, b) = self.error_factors(lr);
        a.abs().max(b.abs())
    }

    /// `q(η⋆) = (κ − 1)/(κ + 1)`, the best any fixed step can do.
    pub fn best_contraction(&self) -> f64 {
        let k = self.condition_number();
        (k - 1.0) / (k + 1.0)
    }

    /// Steps until the worst-direction error has shrunk by `factor` (for
    /// example `1e-6`): `⌈ln factor / ln q(η)⌉`; `Some(1)` when `q = 0`,
    /// `None` when `q ≥ 1` (no convergence) or `factor ∉ (0, 1)`.
    pub fn steps_to_shrink(&self, lr: f64, factor: f64) -> Option<usize> {
        predicted_steps(self.contraction(lr), factor)
    }
}

/// `⌈ln factor / ln q⌉` (see [`GdTheory::steps_to_shrink`]).
fn predicted_steps(rho: f64, factor: f64) -> Option<usize> {
    let valid = factor > 0.0 && factor < 1.0 && rho.is_finite() && rho < 1.0;
    if !valid {
        return None;
    }
    if rho <= 0.0 {
        return Some(1);
    }
    // The small slack keeps an exact power (ρ^k = factor) from rounding up.
    Some(((factor.ln() / rho.ln()) - 1e-9).ceil().max(1.0) as usize)
}

/// The label [`gd_sweep`] gives the run with step `lr`: `"GD η = 0.8"`.
pub fn sweep_label(lr: f64) -> String {
    format!("GD η = {}", crate::fmt::compact(lr))
}

/// Runs the crate's gradient descent from `start` once per learning rate in
/// `lrs`, with the settings of `cfg` (its `lr` override is ignored, so each
/// run keeps its own step). Labels come from [`sweep_label`]. A run that
/// blows up ends as [`StopReason::Diverged`](crate::trace::StopReason) and the
/// others are unaffected.
pub fn gd_sweep<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    lrs: &[f64],
    cfg: &RaceConfig,
) -> Vec<Trace> {
    let cfg = RaceConfig {
        lr: None,
        ..cfg.clone()
    };
    lrs.iter()
        .map(|&lr| {
            let spec = OptimizerSpec::new(OptimizerKind::Gd)
                .lr(lr)
                .label(sweep_label(lr));
            run(problem, start, &spec, &cfg)
        })
        .collect()
}

/// The first iteration `k` at which `‖x_k − x⋆‖ ≤ rel · ‖x_0 − x⋆‖`, or
/// `None` if the run never gets there (or its iterates are not the size of
/// `minimum`).
pub fn steps_to_distance(trace: &Trace, minimum: &[f64], rel: f64) -> Option<usize> {
    let dist = |x: &[f64]| -> Option<f64> {
        (x.len() == minimum.len()).then(|| {
            x.iter()
                .zip(minimum)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt()
        })
    };
    let d0 = dist(trace.iterates.first()?)?;
    trace
        .iterates
        .iter()
        .position(|x| dist(x).is_some_and(|d| d.is_finite() && d <= rel * d0))
        .map(|i| trace.iteration(i))
}

/// One row of [`conditioning_study`]: a bowl of condition number `κ` and the
/// steps each method needs to shrink its distance to the minimum by the
/// study's factor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditioningRow {
    /// The condition number `κ` of the bowl (eigenvalues 1 and `κ`).
    pub kappa: f64,
    /// Gradient descent's best fixed step `2/(1 + κ)`.
    pub best_step: f64,
    /// The theory's per-step factor at that step, `(κ − 1)/(κ + 1)`.
    pub predicted_factor: f64,
    /// The measured average factor `(‖e_k‖/‖e_0‖)^{1/k}` of gradient descent
    /// at `k = gd_steps`.
    pub measured_factor: f64,
    /// Steps the theory predicts, `⌈ln(shrink)/ln q⌉`.
    pub predicted_steps: usize,
    /// Steps gradient descent at its best step needed.
    pub gd_steps: Option<usize>,
    /// Steps undamped Newton needed.
    pub newton_steps: Option<usize>,
    /// Steps argmin's L-BFGS needed.
    pub lbfgs_steps: Option<usize>,
}

/// Gradient descent at its best fixed step, undamped Newton and L-BFGS on
/// [`Quadratic::with_condition`]`(κ, angle)` for each `κ ≥ 1`, from the bowl's
/// [`Landscape::start`] (which has equal error along both axes): the steps each
/// needs until its distance to the minimum is at most `shrink` times the
/// initial distance (for example `1e-6`).
///
/// On this bowl the theory is exact: gradient descent at `η⋆` shrinks both
/// error components by `(κ − 1)/(κ + 1)` in size every step, so its
/// measured factor equals the predicted one; Newton lands on the minimum in
/// one step whatever `κ`.
///
/// # Errors
/// [`Error::InvalidConfig`] for a `κ < 1`, a non-finite `angle` or a `shrink`
/// outside `(0, 1)`.
pub fn conditioning_study(kappas: &[f64], angle: f64, shrink: f64) -> Result<Vec<ConditioningRow>> {
    if !(shrink > 0.0 && shrink < 1.0) {
        return Err(Error::InvalidConfig(format!(
            "shrink must lie in (0, 1), got {shrink}"
        )));
    }
    kappas
        .iter()
        .map(|&kappa| {
            let bowl = Quadratic::with_condition(kappa, angle)?;
            let theory = GdTheory {
                mu_min: 1.0,
                mu_max: kappa,
            };
            let eta = bowl.best_step();
            let rho = theory.best_contraction();
            let predicted = predicted_steps(rho, shrink).unwrap_or(1);
            let start = bowl.start();
            let minimum = [0.0, 0.0];
            // Long enough to get there, with a step tolerance far below the
            // steps taken before the target (so it cannot stop a run early).
            // Every iterate kept (no thinning), so positions are iterations.
            let cfg = RaceConfig {
                max_iters: (2 * predicted + 20) as u64,
                tol: 1e-14,
                max_recorded: 2 * predicted + 40,
                ..RaceConfig::default()
            };
            let gd = run(
                &bowl,
                &start,
                &OptimizerSpec::new(OptimizerKind::Gd).lr(eta),
                &cfg,
            );
            let gd_steps = steps_to_distance(&gd, &minimum, shrink);
            let measured_factor = match gd_steps {
                Some(k) if k > 0 => {
                    let d = |x: &[f64]| x.iter().map(|v| v * v).sum::<f64>().sqrt();
                    (d(&gd.iterates[k]) / d(&gd.iterates[0])).powf(1.0 / k as f64)
                }
                _ => f64::NAN,
            };
            let second = RaceConfig {
                max_iters: 100,
                tol: 1e-12,
                ..RaceConfig::default()
            };
            let newton = run(
                &bowl,
                &start,
                &OptimizerSpec::new(OptimizerKind::Newton).damping(0.0),
                &second,
            );
            let lbfgs = run(
                &bowl,
                &start,
                &OptimizerSpec::new(OptimizerKind::Lbfgs),
                &second,
            );
            Ok(ConditioningRow {
                kappa,
                best_step: eta,
                predicted_factor: rho,
                measured_factor,
                predicted_steps: predicted,
                gd_steps,
                newton_steps: steps_to_distance(&newton, &minimum, shrink),
                lbfgs_steps: steps_to_distance(&lbfgs, &minimum, shrink),
            })
        })
        .collect()
}

/// A table of [`ConditioningRow`]s, one line each.
pub fn conditioning_table(rows: &[ConditioningRow]) -> String {
    let opt = |s: Option<usize>| s.map_or_else(|| "—".to_string(), |k| k.to_string());
    let mut out = String::from(
        "    κ   best η   (κ−1)/(κ+1)  measured   predicted  GD steps  Newton  L-BFGS\n",
    );
    for r in rows {
        out.push_str(&format!(
            "{:>5}  {:>7.4}  {:>11.6}  {:>8.6}  {:>10}  {:>8}  {:>6}  {:>6}\n",
            r.kappa,
            r.best_step,
            r.predicted_factor,
            r.measured_factor,
            r.predicted_steps,
            opt(r.gd_steps),
            opt(r.newton_steps),
            opt(r.lbfgs_steps),
        ));
    }
    out
}

/// Gradient descent on the saddle `x² − y²` ([`Saddle`]) from `(1.5, y0)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaddleEscape {
    /// The start's distance from the stable axis, `y0`.
    pub y0: f64,
    /// The run.
    pub trace: Trace,
    /// The first iteration with `|y| ≥ 1`, if any: the run has left the saddle.
    pub escape_step: Option<usize>,
    /// The theory's escape step `⌈ln(1/|y0|) / ln(1 + 2η)⌉` (`None` for `y0 = 0`).
    pub predicted_escape: Option<usize>,
}

/// Runs gradient descent with step `lr` on `x² − y²` from `(1.5, y0)` for
/// each `y0`, for `steps` iterations. One step maps `(x, y)` to
/// `((1 − 2η)x, (1 + 2η)y)`: on the axis `y0 = 0` the run converges to the
/// saddle point, off it `|y|` grows by `1 + 2η` per step.
///
/// # Errors
/// [`Error::InvalidConfig`] for a step outside `(0, 1)` (where `1 − 2η`
/// would not contract `x`), a non-finite `y0` or zero `steps`.
pub fn saddle_escape(lr: f64, y0s: &[f64], steps: u64) -> Result<Vec<SaddleEscape>> {
    if !(lr > 0.0 && lr < 1.0) || steps == 0 {
        return Err(Error::InvalidConfig(format!(
            "saddle escape needs 0 < lr < 1 and at least one step, got lr = {lr}, steps = {steps}"
        )));
    }
    let cfg = RaceConfig {
        max_iters: steps,
        tol: 0.0,
        ..RaceConfig::default()
    };
    y0s.iter()
        .map(|&y0| {
            if !y0.is_finite() {
                return Err(Error::InvalidConfig(format!("y0 must be finite, got {y0}")));
            }
            let spec = OptimizerSpec::new(OptimizerKind::Gd)
                .lr(lr)
                .label(format!("GD from (1.5, {y0:e})"));
            let trace = run(&Saddle, &array![1.5, y0], &spec, &cfg);
            let escape_step = trace.iterates.iter().position(|x| x[1].abs() >= 1.0);
            let predicted_escape = (y0 != 0.0).then(|| {
                ((1.0 / y0.abs()).ln() / (1.0 + 2.0 * lr).ln())
                    .ceil()
                    .max(0.0) as usize
            });
            Ok(SaddleEscape {
                y0,
                trace,
                escape_step,
                predicted_escape,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landscapes::Quadratic;

    #[test]
    fn theory_of_a_diagonal_hessian() {
        let t = GdTheory::from_hessian(&array![[4.0, 0.0], [0.0, 1.0]]).unwrap();
        assert_eq!((t.mu_min, t.mu_max), (1.0, 4.0));
        assert!((t.best_step() - 0.4).abs() < 1e-15);
        assert!((t.stability_limit() - 0.5).abs() < 1e-15);
        assert!((t.best_contraction() - 0.6).abs() < 1e-15);
        assert!((t.contraction(t.best_step()) - 0.6).abs() < 1e-15);
        // ρ = 0.6: 0.6^k ≤ 1e-3 first at k = 14.
        assert_eq!(t.steps_to_shrink(0.4, 1e-3), Some(14));
        assert_eq!(t.steps_to_shrink(0.6, 1e-3), None);
        assert!(GdTheory::from_hessian(&array![[1.0, 0.0], [0.0, -1.0]]).is_err());
        assert!(GdTheory::from_hessian(&array![[f64::NAN]]).is_err());
    }

    #[test]
    fn sweep_runs_each_step_and_reports_divergence() {
        let bowl = Quadratic::with_condition(10.0, 0.3).unwrap();
        let cfg = RaceConfig {
            lr: Some(123.0), // ignored by the sweep
            ..RaceConfig::default()
        };
        let traces = gd_sweep(&bowl, &bowl.start(), &[0.1, 0.25], &cfg);
        assert_eq!(traces[0].optimizer, "GD η = 0.1");
        assert!(!traces[0].diverged());
        // 0.25 > 2/κ = 0.2: the stiff direction grows by |1 − 2.5| per step.
        assert!(traces[1].diverged(), "{:?}", traces[1].stop);
    }

    #[test]
    fn conditioning_matches_the_theory() {
        let rows = conditioning_study(&[1.0, 10.0], 0.4, 1e-6).unwrap();
        assert_eq!(rows[0].gd_steps, Some(1));
        assert_eq!(rows[1].gd_steps, Some(rows[1].predicted_steps));
        assert!((rows[1].measured_factor - 9.0 / 11.0).abs() < 1e-9);
        for r in &rows {
            assert_eq!(r.newton_steps, Some(1));
        }
        assert!(conditioning_study(&[0.5], 0.0, 1e-6).is_err());
        assert!(conditioning_study(&[2.0], 0.0, 1.5).is_err());
    }

    #[test]
    fn saddle_escape_follows_the_map() {
        let runs = saddle_escape(0.1, &[0.0, 1e-3], 60).unwrap();
        assert_eq!(runs[0].escape_step, None);
        let x = runs[0].trace.iterates.last().unwrap();
        assert!(x[0].abs() < 1e-4 && x[1] == 0.0);
        // (1.2)^k · 1e-3 ≥ 1 first at k = 38.
        assert_eq!(runs[1].predicted_escape, Some(38));
        assert_eq!(runs[1].escape_step, Some(38));
        assert!(saddle_escape(1.5, &[0.0], 10).is_err());
    }
}
