//! Chapter 9: damping — Levenberg–Marquardt as trust in the quadratic model.
//!
//! A damped second-order step solves `(C + λI) Δ = −g`. How large `λ` must
//! be, and how it should move, is this module's subject:
//!
//! - [`damping_runs`]: the adaptive methods (GGN-LM, K-FAC-LM, HF-LM and
//!   argmin's trust region) on one problem, each as a
//!   [`DampingHistory`] for the damping dashboard
//!   ([`damping_dashboard_figure`]);
//! - [`DescentThreshold`]: the Hessian's eigenvalues at a point and the
//!   smallest `λ` above which the damped Newton step `−(H + λI)⁻¹g` is a
//!   descent direction for every larger `λ`, `λ > −μ_min(H)`;
//! - [`probe_damped_newton`] and [`step_profile_chart`]: what such a step
//!   does to the loss (predicted against actual change, `ρ`, the loss along
//!   the step), because descending is not the same as a good step;
//! - [`lm_factor_sweep`]: iterations to a target loss against the
//!   Levenberg–Marquardt factors (how fast `λ` shrinks after a good step
//!   and grows after a bad one).
//!
//! # References
//! - K. Levenberg, *A method for the solution of certain non-linear problems
//!   in least squares*, Quart. Appl. Math. 2 (1944); D. W. Marquardt, SIAM
//!   J. Appl. Math. 11 (1963).
//! - J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed.,
//!   Springer 2006, ch. 4 (trust regions: the reduction ratio, Theorem 4.1:
//!   the trust-region step is a damped Newton step with `H + λI` positive
//!   semi-definite) and §10.3 (Levenberg–Marquardt).
//! - J. Martens, *Deep learning via Hessian-free optimization*, ICML 2010,
//!   §4.1 (the factors 2/3 and 3/2).
//! - J. Martens and R. Grosse, *Optimizing Neural Networks with
//!   Kronecker-factored Approximate Curvature*, ICML 2015, §6.3 (factored
//!   Tikhonov damping).

mod dashboard;

pub use dashboard::{
    damping_dashboard_figure, damping_dashboard_svg, draw_damping_dashboard, DampingHistory,
    DampingQuantity, ACCEPTED_KEY, CG_KEY, DAMPING_KEY, RADIUS_KEY, RHO_KEY, RHO_RANGE,
};

use crate::linalg::FixedDot;
use argmin::core::{CostFunction, Gradient, Hessian};
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::curvature::{eigenvalues, FisherKind, KfacCurvature};
use crate::error::{Error, Result};
use crate::plot::{Series, SeriesChart, SeriesStyle};
use crate::problem::XorProblem;
use crate::race::{
    run_detailed, run_solver_with, OptimizerKind, OptimizerSpec, RaceConfig, RaceProblem,
};
use crate::solvers::{
    pi_correction, reduction_ratio, DampedNewtonStep, Damping, GaussNewton, HessianRule,
    KfacDampingMode, KfacStep, LevenbergMarquardt,
};

/// The adaptive methods of the dashboard, in its order: GGN-LM, K-FAC-LM,
/// Hessian-free-LM and argmin's trust region.
pub const ADAPTIVE_KINDS: [OptimizerKind; 4] = [
    OptimizerKind::GgnLm,
    OptimizerKind::KfacLm,
    OptimizerKind::HessianFreeLm,
    OptimizerKind::TrustRegion,
];

/// Runs each of [`ADAPTIVE_KINDS`] from `start` with `cfg` (registry
/// defaults: initial `λ = cfg.damping`, Martens' factors 2/3 and 3/2;
/// initial radius 1 for the trust region) and reads each run's
/// [`DampingHistory`]. Never panics: a failed or diverged run is a history
/// like any other.
pub fn damping_runs<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    cfg: &RaceConfig,
) -> Vec<DampingHistory> {
    ADAPTIVE_KINDS
        .iter()
        .map(|&k| {
            let out = run_detailed(problem, start, &OptimizerSpec::new(k), cfg);
            DampingHistory::new(&out.trace, &out.diagnostics)
        })
        .collect()
}

/// The runs as a text table: iterations, rejected steps, the first and last
/// `λ` (radius `Δ` for the trust region) and the range it moved through,
/// total CG iterations, iterations to loss `target` and the final loss.
pub fn damping_table(runs: &[DampingHistory], target: f64) -> String {
    use crate::lessons::damping::DampingQuantity;
    let mut s = format!(
        "{:<16} {:>5} {:>8} {:>3} {:>8} {:>8} {:>8} {:>8} {:>6} {:>10} {:>10}\n",
        "optimizer",
        "iters",
        "rejected",
        "",
        "first",
        "last",
        "min",
        "max",
        "CG",
        format!("to {}", crate::fmt::compact(target)),
        "final loss"
    );
    for r in runs {
        let first = r.damping.iter().copied().find(|v| v.is_finite());
        let (lo, hi) = r.damping_range().unwrap_or((f64::NAN, f64::NAN));
        let fmt = |v: Option<f64>| v.map_or("—".to_string(), crate::fmt::compact);
        let name = match r.quantity {
            DampingQuantity::Lambda => "λ",
            DampingQuantity::Radius => "Δ",
            DampingQuantity::None => "",
        };
        s += &format!(
            "{:<16} {:>5} {:>8} {:>3} {:>8} {:>8} {:>8} {:>8} {:>6} {:>10} {:>10.3e}\n",
            r.label,
            r.steps,
            r.rejected_steps(),
            name,
            fmt(first),
            fmt(r.final_damping()),
            fmt(Some(lo).filter(|v| v.is_finite())),
            fmt(Some(hi).filter(|v| v.is_finite())),
            if r.cg_iters.iter().any(|v| v.is_finite()) {
                format!("{}", r.total_cg_iters())
            } else {
                "—".into()
            },
            r.iterations_to(target)
                .map_or("—".to_string(), |n| n.to_string()),
            r.loss.last().copied().unwrap_or(f64::NAN),
        );
    }
    s
}

/// The Hessian's spectrum at a point and the damping that makes the damped
/// Newton step safe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DescentThreshold {
    /// Eigenvalues of `H`, ascending.
    pub eigenvalues: Vec<f64>,
    /// `μ_min(H)`.
    pub mu_min: f64,
    /// `max(0, −μ_min(H))`: for every `λ` above it `H + λI` is positive
    /// definite, so `gᵀΔ = −gᵀ(H + λI)⁻¹g < 0` for any `g ≠ 0` (a descent
    /// direction). Just below it (`λ → −μ_min` from below) the step along
    /// the eigenvector of `μ_min` blows up with the wrong sign, and `gᵀΔ > 0`
    /// whenever `g` has a component along it.
    pub threshold: f64,
    /// The gradient's norm at the point.
    pub grad_norm: f64,
}

impl DescentThreshold {
    /// Computes the Hessian of `problem` at `p` and its eigenvalues.
    ///
    /// # Errors
    /// If the Hessian, the gradient or the eigensolver fails.
    pub fn at(problem: &XorProblem, p: &Array1<f64>) -> Result<Self> {
        let h = problem.hessian(p)?;
        let g = problem.gradient(p)?;
        let ev = eigenvalues(&h)?;
        let mu_min = ev.iter().copied().fold(f64::INFINITY, f64::min);
        if !mu_min.is_finite() {
            return Err(Error::Linalg("non-finite Hessian eigenvalues".into()));
        }
        let mut eigenvalues = ev.to_vec();
        eigenvalues.sort_by(f64::total_cmp);
        Ok(Self {
            eigenvalues,
            mu_min,
            threshold: (-mu_min).max(0.0),
            grad_norm: g.fdot(&g).sqrt(),
        })
    }
}

/// One damped Newton step `Δ = −(H + λI)⁻¹g` from a point, measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepProbe {
    /// The damping `λ`.
    pub lambda: f64,
    /// `‖Δ‖`.
    pub step_norm: f64,
    /// `gᵀΔ` (negative: a descent direction).
    pub slope: f64,
    /// The undamped model's change `gᵀΔ + ½ΔᵀHΔ` (what Newton's quadratic
    /// model predicts).
    pub predicted: f64,
    /// The loss change `L(p + Δ) − L(p)`.
    pub actual: f64,
    /// `ρ` = actual / predicted ([`reduction_ratio`]).
    pub rho: f64,
    /// The loss at `p + tΔ` for `t = 0, 1/n, …, 1` (`n` = the profile's
    /// length minus one).
    pub profile: Vec<f64>,
}

impl StepProbe {
    /// `true` if the step is a descent direction (`gᵀΔ < 0`).
    pub fn descends(&self) -> bool {
        self.slope < 0.0
    }

    /// The smallest loss along the step and the fraction `t` of the step
    /// where it is reached.
    pub fn best_along(&self) -> (f64, f64) {
        let n = self.profile.len().saturating_sub(1).max(1) as f64;
        self.profile
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_finite())
            .fold((f64::INFINITY, 0.0), |acc, (i, &l)| {
                if l < acc.0 {
                    (l, i as f64 / n)
                } else {
                    acc
                }
            })
    }
}

/// Takes one damped Newton step from `p` for each `λ` in `lambdas` and
/// measures it ([`StepProbe`]), with the loss at `samples + 1` evenly spaced
/// points along the step.
///
/// # Errors
/// If an evaluation fails or `H + λI` is singular.
pub fn probe_damped_newton(
    problem: &XorProblem,
    p: &Array1<f64>,
    lambdas: &[f64],
    samples: usize,
) -> Result<Vec<StepProbe>> {
    let h = problem.hessian(p)?;
    let g = problem.gradient(p)?;
    let f0 = problem.cost(p)?;
    let n = samples.max(1);
    lambdas
        .iter()
        .map(|&lambda| {
            let step = DampedNewtonStep.step(&h, &g, lambda)?;
            let d = step.step;
            let slope = g.fdot(&d);
            let predicted = slope + 0.5 * step.model_curvature;
            let actual = problem.cost(&(p + &d))? - f0;
            let profile = (0..=n)
                .map(|i| problem.cost(&(p + &(&d * (i as f64 / n as f64)))))
                .collect::<std::result::Result<Vec<f64>, _>>()?;
            Ok(StepProbe {
                lambda,
                step_norm: d.fdot(&d).sqrt(),
                slope,
                predicted,
                actual,
                rho: reduction_ratio(actual, predicted),
                profile,
            })
        })
        .collect()
}

/// A chart of the loss along each probed step against the fraction `t` of
/// the step taken (`t = 1`: the full step), one line per `λ`.
pub fn step_profile_chart(probes: &[StepProbe], title: &str) -> SeriesChart {
    let mut chart = SeriesChart::new(title, "fraction t of the step Δ(λ)", "loss L(p + tΔ)")
        .log_y()
        .legend_at(crate::plot::LegendCorner::UpperLeft);
    for (i, probe) in probes.iter().enumerate() {
        let n = probe.profile.len().saturating_sub(1).max(1) as f64;
        let points = probe
            .profile
            .iter()
            .enumerate()
            .map(|(k, &l)| (k as f64 / n, l))
            .collect();
        let label = format!(
            "λ = {} (‖Δ‖ = {:.2}, ρ = {:.2})",
            crate::fmt::compact(probe.lambda),
            probe.step_norm,
            probe.rho
        );
        chart = chart.with_series(Series::new(label, points, SeriesStyle::Line, i));
    }
    chart
}

/// K-FAC's two ways of damping at a point, seen in the optimizer's space.
///
/// With the exact Fisher, layer `l`'s K-FAC block is `G_l ⊗ A_l`. The kind
/// `kfac` ([`KfacDampingMode::Tikhonov`]) damps the whole block, `G⊗A + λI`;
/// `kfac-lm` ([`KfacDampingMode::Factored`], Martens & Grosse §6.3) damps
/// each factor, `(G + (√λ/π)I) ⊗ (A + π√λ I)`, with
/// `π = √((tr A / dim A) / (tr G / dim G))`. Multiplied out, the factored
/// block is `G⊗A + π√λ (G⊗I) + (√λ/π)(I⊗A) + λI`: the two cross terms add
/// damping along the directions where a factor is large, on top of `λI`.
/// On a plane `p` the matrices are reduced to `D C Dᵀ` (the step is
/// solved there; for Tikhonov the `λI` is added in p-space, as [`KfacStep`]
/// does).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KfacDampingView {
    /// The damping `λ`.
    pub lambda: f64,
    /// `π` of each layer.
    pub pi: Vec<f64>,
    /// Eigenvalues of the undamped K-FAC curvature (ascending).
    pub undamped: Vec<f64>,
    /// Eigenvalues with Tikhonov damping (ascending).
    pub tikhonov: Vec<f64>,
    /// Eigenvalues with factored damping (ascending).
    pub factored: Vec<f64>,
}

impl KfacDampingView {
    /// The exact-Fisher K-FAC factors of `problem` at `p`, damped by `lambda`
    /// both ways.
    ///
    /// # Errors
    /// If the factors or an eigensolver fail.
    pub fn at(problem: &XorProblem, p: &Array1<f64>, lambda: f64) -> Result<Self> {
        let factors = problem.kfac_factors(p, FisherKind::Exact)?;
        let undamped = factors.dense()?;
        let mut tikhonov = undamped.clone();
        tikhonov.diag_mut().mapv_inplace(|v| v + lambda);
        let factored = factors.param.reduce_mat(
            KfacStep {
                mode: KfacDampingMode::Factored,
            }
            .dense_theta(&factors, lambda),
        )?;
        let sorted = |m: &ndarray::Array2<f64>| -> Result<Vec<f64>> {
            let mut v = eigenvalues(m)?.to_vec();
            v.sort_by(f64::total_cmp);
            Ok(v)
        };
        Ok(Self {
            lambda,
            pi: factors.layers.iter().map(pi_correction).collect(),
            undamped: sorted(&undamped)?,
            tikhonov: sorted(&tikhonov)?,
            factored: sorted(&factored)?,
        })
    }
}

/// One cell of [`lm_factor_sweep`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LmSweepCell {
    /// The factor applied to `λ` after a good step (`ρ > 3/4`).
    pub shrink: f64,
    /// The factor applied after a bad one (`ρ < 1/4`).
    pub grow: f64,
    /// Iterations until the loss is at most the target (`None`: not within
    /// the iteration limit, or the run failed).
    pub steps_to_target: Option<usize>,
    /// Rejected steps over the whole run.
    pub rejected: usize,
    /// The run's final loss.
    pub final_loss: f64,
}

/// Runs Gauss–Newton with Levenberg–Marquardt damping (initial `λ =
/// lambda0`, clamps `[1e-8, 1e8]`) for every pair of factors `shrink ∈
/// shrinks`, `grow ∈ grows`, from `start` with `cfg`, and records the
/// iterations to `target` loss. Cells are ordered by `shrink`, then `grow`.
/// Factors outside `0 < shrink < 1 < grow` give a cell without a count
/// (the run fails cleanly).
pub fn lm_factor_sweep<P: RaceProblem>(
    problem: &P,
    start: &Array1<f64>,
    lambda0: f64,
    shrinks: &[f64],
    grows: &[f64],
    target: f64,
    cfg: &RaceConfig,
) -> Vec<LmSweepCell> {
    let mut out = Vec::new();
    for &shrink in shrinks {
        for &grow in grows {
            let rule = LevenbergMarquardt {
                shrink,
                grow,
                ..LevenbergMarquardt::default()
            };
            let cell = match Damping::adaptive_with(lambda0, rule) {
                Ok(d) => {
                    let solver = GaussNewton::new().with_damping(d);
                    let label = format!("GGN-LM ×{shrink}/×{grow}");
                    let run = run_solver_with(problem, start, &label, solver, cfg, |s| s);
                    let hist = DampingHistory::new(&run.trace, &run.diagnostics);
                    LmSweepCell {
                        shrink,
                        grow,
                        steps_to_target: (!run.trace.diverged())
                            .then(|| run.trace.iterations_to(target))
                            .flatten(),
                        rejected: hist.rejected_steps(),
                        final_loss: run.trace.final_loss(),
                    }
                }
                Err(_) => LmSweepCell {
                    shrink,
                    grow,
                    steps_to_target: None,
                    rejected: 0,
                    final_loss: f64::NAN,
                },
            };
            out.push(cell);
        }
    }
    out
}

/// The sweep as a text table: one row per `shrink`, one column per `grow`,
/// each cell "steps (rejected)" or "—" when the target was not reached.
pub fn lm_sweep_table(cells: &[LmSweepCell]) -> String {
    let mut grows: Vec<f64> = Vec::new();
    let mut shrinks: Vec<f64> = Vec::new();
    for c in cells {
        if !grows.contains(&c.grow) {
            grows.push(c.grow);
        }
        if !shrinks.contains(&c.shrink) {
            shrinks.push(c.shrink);
        }
    }
    let mut s = format!("{:>14}", "shrink \\ grow");
    for g in &grows {
        s += &format!("{:>11}", format!("×{g}"));
    }
    s.push('\n');
    for sh in &shrinks {
        s += &format!("{:>14}", format!("×{sh:.3}"));
        for g in &grows {
            let cell = cells.iter().find(|c| c.shrink == *sh && c.grow == *g);
            let text = match cell {
                Some(LmSweepCell {
                    steps_to_target: Some(n),
                    rejected,
                    ..
                }) => format!("{n} ({rejected})"),
                _ => "—".into(),
            };
            s += &format!("{text:>11}");
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn threshold_makes_every_larger_damping_descend() {
        let problem = XorProblem::hidden_slice();
        let p = array![-2.5, 1.5];
        let t = DescentThreshold::at(&problem, &p).unwrap();
        assert!(t.mu_min < 0.0, "{t:?}");
        let above = [1.001, 1.1, 2.0, 10.0].map(|f| t.threshold * f);
        for probe in probe_damped_newton(&problem, &p, &above, 4).unwrap() {
            assert!(probe.descends(), "{probe:?}");
            assert_eq!(probe.profile.len(), 5);
            assert_eq!(probe.profile[0], problem.cost(&p).unwrap());
        }
        // undamped Newton goes uphill from this start
        let newton = &probe_damped_newton(&problem, &p, &[0.0], 2).unwrap()[0];
        assert!(!newton.descends(), "{newton:?}");
    }

    #[test]
    fn runs_and_their_table() {
        let problem = XorProblem::hidden_slice();
        let cfg = RaceConfig {
            max_iters: 5,
            ..RaceConfig::default()
        };
        let runs = damping_runs(&problem, &array![-2.5, 1.5], &cfg);
        assert_eq!(runs.len(), ADAPTIVE_KINDS.len());
        let table = damping_table(&runs, 0.1);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5, "{table}");
        assert!(lines[0].contains("to 0.1 "), "{table}");
        // CG only for Hessian-free; λ for the LM methods, Δ for the trust region
        assert!(
            lines[3].starts_with("Hessian-free-LM") && lines[3].contains(" 10 "),
            "{table}"
        );
        assert!(
            lines[1].contains(" λ ") && lines[1].contains('—'),
            "{table}"
        );
        assert!(
            lines[4].starts_with("Trust region") && lines[4].contains(" Δ "),
            "{table}"
        );
    }

    #[test]
    fn sweep_table_and_invalid_factors() {
        let problem = XorProblem::hidden_slice();
        let cfg = RaceConfig {
            max_iters: 30,
            ..RaceConfig::default()
        };
        let cells = lm_factor_sweep(
            &problem,
            &array![-2.5, 1.5],
            0.1,
            &[0.5, 1.5],
            &[2.0],
            0.01,
            &cfg,
        );
        assert_eq!(cells.len(), 2);
        assert!(cells[0].steps_to_target.is_some(), "{cells:?}");
        assert_eq!(cells[1].steps_to_target, None);
        let table = lm_sweep_table(&cells);
        assert!(table.contains("×2") && table.contains('—'), "{table}");
    }
}
