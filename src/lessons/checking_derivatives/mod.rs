//! The appendix *Checking derivatives*: every problem of the crate checked
//! against central differences, the error of a central difference against
//! its step `h`, and what a deliberately wrong gradient looks like.
//!
//! # The error of a central difference
//! For a smooth `f` and a step `h`, the central difference
//! `D_h = [f(x + h) − f(x − h)] / (2h)` has two errors (Nocedal & Wright,
//! *Numerical Optimization*, 2nd ed., §8.1):
//!
//! ```text
//! truncation   D_h − f'(x) = f'''(ξ) h² / 6              falls as h²
//! rounding     |δ| ≲ ε_mach |f(x)| / h                     grows as 1/h
//! total        E(h) ≈ |f'''| h² / 6 + ε_mach |f| / h
//! ```
//!
//! On a log-log plot `E(h)` is a U (slope +2 on the right, −1 on the left)
//! with its minimum at `h* = (3 ε_mach |f| / |f'''|)^{1/3}`, about `1e−5`
//! when `f` and its derivatives are of order one, where
//! `E(h*) ≈ ε_mach^{2/3} ≈ 4e−11`. That is why
//! [`crate::gradcheck::DEFAULT_STEP`] is `1e−5` and why an
//! agreement near `1e−10` is all a correct gradient can show.
//!
//! A wrong gradient behaves differently: its error against the difference
//! quotient does not fall with `h` at all (it is the size of the bug), so
//! a step sweep tells a bug from rounding at a glance.

use std::fmt;

use argmin::core::{CostFunction, Error as ArgminError, Gradient, Hessian};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::gradcheck::{check_gradient, check_hessian, mixed_error, DEFAULT_STEP};
use crate::landscapes::{
    CoshValley, CosineWell, GaussianWells, Landscape, Quadratic, Rosenbrock, Saddle, TanhSlope,
};
use crate::plot::{LegendCorner, Series, SeriesChart, SeriesStyle};
use crate::problem::XorProblem;

/// The check of one problem at several random points: the worst errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProblemCheck {
    /// The problem's name.
    pub problem: String,
    /// Its number of parameters.
    pub params: usize,
    /// How many points were checked.
    pub points: usize,
    /// The largest gradient error (mixed relative/absolute, see
    /// [`crate::gradcheck`]) over the points.
    pub gradient_err: f64,
    /// The largest Hessian error over the points.
    pub hessian_err: f64,
    /// The largest asymmetry `max |H_ij − H_ji|` of the analytic Hessian.
    pub asymmetry: f64,
}

/// [`check_every_problem`]'s table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DerivativeReport {
    /// The finite-difference step used.
    pub h: f64,
    /// One row per problem.
    pub rows: Vec<ProblemCheck>,
}

impl DerivativeReport {
    /// The largest gradient and Hessian errors over every problem.
    pub fn worst(&self) -> (f64, f64) {
        self.rows.iter().fold((0.0, 0.0), |(g, h), r| {
            (f64::max(g, r.gradient_err), f64::max(h, r.hessian_err))
        })
    }
}

impl fmt::Display for DerivativeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<38} {:>6} {:>6} {:>10} {:>10} {:>10}",
            "problem", "params", "points", "gradient", "Hessian", "asymmetry"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<38} {:>6} {:>6} {:>10.1e} {:>10.1e} {:>10.1e}",
                r.problem, r.params, r.points, r.gradient_err, r.hessian_err, r.asymmetry
            )?;
        }
        Ok(())
    }
}

/// Random points in a box, seeded.
fn points_in(domain: &[(f64, f64)], n: usize, rng: &mut ChaCha8Rng) -> Vec<Array1<f64>> {
    (0..n)
        .map(|_| {
            domain
                .iter()
                .map(|&(lo, hi)| lo + (hi - lo) * rng.random::<f64>())
                .collect()
        })
        .collect()
}

/// Checks `problem` at every point of `points` with step `h`.
pub fn check_problem<P>(
    name: &str,
    problem: &P,
    points: &[Array1<f64>],
    h: f64,
) -> std::result::Result<ProblemCheck, ArgminError>
where
    P: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + Hessian<Param = Array1<f64>, Hessian = Array2<f64>>,
{
    let mut row = ProblemCheck {
        problem: name.to_string(),
        params: points.first().map_or(0, Array1::len),
        points: points.len(),
        gradient_err: 0.0,
        hessian_err: 0.0,
        asymmetry: 0.0,
    };
    for p in points {
        let g = check_gradient(problem, p, h)?;
        let hc = check_hessian(problem, p, h)?;
        row.gradient_err = row.gradient_err.max(g.max_rel_err);
        row.hessian_err = row.hessian_err.max(hc.max_rel_err);
        row.asymmetry = row.asymmetry.max(hc.asymmetry);
    }
    Ok(row)
}

/// Checks the gradient and the Hessian of every problem of the crate at
/// `points` random points each (seeded by `seed`) with step `h`: the XOR
/// network's output-weight and hidden-weight slices and full 2-2-1 and
/// 2-4-4-1 networks (on the reference data, at parameters drawn in
/// `[−2, 2]`), and every landscape (quadratic bowl, Rosenbrock in 2 and 5
/// dimensions, the saddle, the 1-D toys and the Gaussian wells, inside
/// their domains).
///
/// # Errors
/// If `points == 0`, `h` is not finite and positive, or a problem fails to
/// evaluate.
pub fn check_every_problem(points: usize, h: f64, seed: u64) -> Result<DerivativeReport> {
    if points == 0 {
        return Err(Error::InvalidConfig(
            "check_every_problem needs at least one point per problem".into(),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rows = Vec::new();
    let fail = crate::lessons::checks::config_error;
    let mut xor = |name: &str, problem: XorProblem, rows: &mut Vec<ProblemCheck>| {
        let k = problem.parameterisation().dim(problem.mlp().num_params());
        let pts = points_in(&vec![(-2.0, 2.0); k], points, &mut rng);
        check_problem(name, &problem, &pts, h).map(|r| rows.push(r))
    };
    xor(
        "XOR, output-weight slice",
        XorProblem::reference(),
        &mut rows,
    )
    .map_err(fail)?;
    xor(
        "XOR, hidden-weight slice",
        XorProblem::hidden_slice(),
        &mut rows,
    )
    .map_err(fail)?;
    xor(
        "XOR, full 2-2-1 network",
        XorProblem::full(Dataset::reference(), &[2])?,
        &mut rows,
    )
    .map_err(fail)?;
    xor(
        "XOR, full 2-4-4-1 network",
        XorProblem::full(Dataset::reference(), &[4, 4])?,
        &mut rows,
    )
    .map_err(fail)?;
    fn land<L: Landscape>(
        l: &L,
        points: usize,
        h: f64,
        rng: &mut ChaCha8Rng,
    ) -> std::result::Result<ProblemCheck, ArgminError> {
        let pts = points_in(&l.domain(), points, rng);
        check_problem(&l.name(), l, &pts, h)
    }
    let r = &mut rng;
    rows.push(land(&Quadratic::with_condition(10.0, 0.5)?, points, h, r).map_err(fail)?);
    rows.push(land(&Rosenbrock::classic(), points, h, r).map_err(fail)?);
    rows.push(land(&Rosenbrock::chained(5, 100.0)?, points, h, r).map_err(fail)?);
    rows.push(land(&Saddle, points, h, r).map_err(fail)?);
    rows.push(land(&CosineWell, points, h, r).map_err(fail)?);
    rows.push(land(&TanhSlope, points, h, r).map_err(fail)?);
    rows.push(land(&CoshValley::default(), points, h, r).map_err(fail)?);
    rows.push(land(&GaussianWells::course(), points, h, r).map_err(fail)?);
    Ok(DerivativeReport { h, rows })
}

/// The gradient error at one finite-difference step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepError {
    /// The step `h`.
    pub h: f64,
    /// The median over the points of the largest entry-wise error
    /// `max_i |a_i − D_{h,i}| / max(1, |a_i|, |D_{h,i}|)`.
    pub error: f64,
}

/// The gradient check of `problem` repeated over the steps `hs`: for each
/// `h`, the median over `points` of the worst entry's error. For a correct
/// gradient the curve is the U of the [module docs](self); for a wrong one
/// it is flat at the size of the bug.
///
/// # Errors
/// If `points` is empty, a step is not finite and positive, or the problem
/// fails to evaluate.
pub fn step_sweep<P>(
    problem: &P,
    points: &[Array1<f64>],
    hs: &[f64],
) -> std::result::Result<Vec<StepError>, ArgminError>
where
    P: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>,
{
    if points.is_empty() {
        return Err(Error::InvalidConfig("step_sweep needs at least one point".into()).into());
    }
    hs.iter()
        .map(|&h| {
            let mut errs = points
                .iter()
                .map(|p| check_gradient(problem, p, h).map(|c| c.max_rel_err))
                .collect::<std::result::Result<Vec<f64>, _>>()?;
            errs.sort_by(f64::total_cmp);
            Ok(StepError {
                h,
                error: errs[errs.len() / 2],
            })
        })
        .collect()
}

/// `n` steps spaced evenly in `log10 h` from `10^lo` to `10^hi`.
pub fn log_steps(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![10f64.powf(lo)],
        _ => (0..n)
            .map(|i| 10f64.powf(lo + (hi - lo) * i as f64 / (n - 1) as f64))
            .collect(),
    }
}

/// The least-squares slope of `log10 error` against `log10 h` over the
/// sweep's points with `h` in `[lo, hi]` (NaN with fewer than two).
pub fn log_log_slope(sweep: &[StepError], lo: f64, hi: f64) -> f64 {
    let pts: Vec<(f64, f64)> = sweep
        .iter()
        .filter(|s| s.h >= lo && s.h <= hi && s.error > 0.0)
        .map(|s| (s.h.log10(), s.error.log10()))
        .collect();
    if pts.len() < 2 {
        return f64::NAN;
    }
    let n = pts.len() as f64;
    let (mx, my) = pts
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x / n, b + y / n));
    let (sxy, sxx) = pts.iter().fold((0.0, 0.0), |(a, b), &(x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    sxy / sxx
}

/// The step of a sweep with the smallest error.
pub fn best_step(sweep: &[StepError]) -> Option<StepError> {
    sweep
        .iter()
        .copied()
        .filter(|s| s.error.is_finite())
        .min_by(|a, b| a.error.total_cmp(&b.error))
}

/// The error model `E(h) = a h² + b / h` of the [module docs](self) through
/// a sweep: `a` from its largest step, `b` from its smallest (each branch
/// dominates at its end of a wide sweep). `None` for fewer than two
/// positive, finite errors.
pub fn error_model(sweep: &[StepError]) -> Option<(f64, f64)> {
    let ok: Vec<&StepError> = sweep
        .iter()
        .filter(|s| s.error.is_finite() && s.error > 0.0)
        .collect();
    let (lo, hi) = (ok.first()?, ok.last()?);
    if ok.len() < 2 || lo.h >= hi.h {
        return None;
    }
    Some((hi.error / (hi.h * hi.h), lo.error * lo.h))
}

/// The chart of step sweeps: one measured series per `(label, sweep)`
/// against `log₁₀ h` on a logarithmic error axis, with the error model
/// `a h² + b/h` of the first sweep dashed beside it and the default step
/// marked.
pub fn step_sweep_chart(sweeps: &[(&str, &[StepError])]) -> SeriesChart {
    let mut chart = SeriesChart::new(
        "Gradient check: error against the finite-difference step",
        "log₁₀ h",
        "worst entry's error (median over points)",
    )
    .log_y()
    .legend_at(LegendCorner::LowerLeft)
    .with_marker(DEFAULT_STEP.log10(), "default h = 1e-5");
    for (i, (label, sweep)) in sweeps.iter().enumerate() {
        let pts = sweep.iter().map(|s| (s.h.log10(), s.error)).collect();
        chart = chart.with_series(Series::new(*label, pts, SeriesStyle::LineAndMarkers, i));
    }
    if let Some((label, sweep)) = sweeps.first() {
        if let Some((a, b)) = error_model(sweep) {
            let pts = sweep
                .iter()
                .map(|s| (s.h.log10(), a * s.h * s.h + b / s.h))
                .collect();
            chart = chart.with_series(Series::new(
                format!("{label}: model {a:.1e}·h² + {b:.1e}/h"),
                pts,
                SeriesStyle::Line,
                sweeps.len(),
            ));
        }
    }
    chart
}

/// A deliberate bug in a gradient, for [`Miswired`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum GradientBug {
    /// Entry `index` multiplied by `factor` (a forgotten `½` or `2`).
    Scaled {
        /// The wrong entry.
        index: usize,
        /// What it is multiplied by.
        factor: f64,
    },
    /// Entries `a` and `b` exchanged (a transposed weight matrix, flattened).
    Swapped {
        /// First entry.
        a: usize,
        /// Second entry.
        b: usize,
    },
    /// Entry `index` with its sign flipped.
    Sign {
        /// The wrong entry.
        index: usize,
    },
}

/// A problem whose loss is right and whose gradient carries a deliberate
/// [`GradientBug`]: what the gradient check is for. Its Hessian is the
/// inner problem's (correct), so only the gradient check fails.
#[derive(Clone, Debug)]
pub struct Miswired<P> {
    /// The problem with the correct derivatives.
    pub inner: P,
    /// The bug.
    pub bug: GradientBug,
}

impl<P> Miswired<P> {
    /// `inner` with `bug` in its gradient.
    pub fn new(inner: P, bug: GradientBug) -> Self {
        Self { inner, bug }
    }
}

impl<P: CostFunction<Param = Array1<f64>, Output = f64>> CostFunction for Miswired<P> {
    type Param = Array1<f64>;
    type Output = f64;

    fn cost(&self, p: &Array1<f64>) -> std::result::Result<f64, ArgminError> {
        self.inner.cost(p)
    }
}

impl<P: Gradient<Param = Array1<f64>, Gradient = Array1<f64>>> Gradient for Miswired<P> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    /// The inner gradient with the bug applied.
    ///
    /// # Errors
    /// If the inner gradient fails or the bug names an entry out of range.
    fn gradient(&self, p: &Array1<f64>) -> std::result::Result<Array1<f64>, ArgminError> {
        let mut g = self.inner.gradient(p)?;
        let n = g.len();
        let out = |i: usize| -> ArgminError {
            Error::Shape(format!("the bug names entry {i} of a gradient with {n}")).into()
        };
        match self.bug {
            GradientBug::Scaled { index, factor } => {
                *g.get_mut(index).ok_or_else(|| out(index))? *= factor;
            }
            GradientBug::Swapped { a, b } => {
                if a >= n || b >= n {
                    return Err(out(a.max(b)));
                }
                g.swap(a, b);
            }
            GradientBug::Sign { index } => {
                let v = g.get_mut(index).ok_or_else(|| out(index))?;
                *v = -*v;
            }
        }
        Ok(g)
    }
}

/// Per entry, the mixed error of the analytic gradient against the central
/// difference: where a bug is, its entry stands out by ten orders of
/// magnitude.
pub fn entry_errors(analytic: &Array1<f64>, fd: &Array1<f64>) -> Vec<f64> {
    analytic
        .iter()
        .zip(fd.iter())
        .map(|(&a, &f)| mixed_error(a, f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn every_problem_passes_its_check() {
        let report = check_every_problem(3, DEFAULT_STEP, 7).unwrap();
        assert_eq!(report.rows.len(), 12);
        for r in &report.rows {
            assert!(r.gradient_err < 1e-6, "{}: {}", r.problem, r.gradient_err);
            assert!(r.hessian_err < 1e-6, "{}: {}", r.problem, r.hessian_err);
        }
        assert!(check_every_problem(0, DEFAULT_STEP, 7).is_err());
        assert!(check_every_problem(1, -1.0, 7).is_err());
    }

    #[test]
    fn the_sweep_of_a_correct_gradient_is_a_u_and_of_a_wrong_one_flat() {
        let problem = Rosenbrock::classic();
        let pts = vec![array![-0.7, 1.3], array![0.4, -0.2], array![1.2, 0.9]];
        let hs = log_steps(-10.0, -1.0, 19);
        let sweep = step_sweep(&problem, &pts, &hs).unwrap();
        let best = best_step(&sweep).unwrap();
        assert!(best.h > 1e-7 && best.h < 1e-3, "{best:?}");
        // truncation on the right: slope 2
        let right = log_log_slope(&sweep, 1e-3, 1e-1);
        assert!((right - 2.0).abs() < 0.3, "{right}");
        // rounding on the left: slope about −1
        let left = log_log_slope(&sweep, 1e-10, 1e-7);
        assert!(left < -0.5 && left > -1.5, "{left}");
        let wrong = Miswired::new(
            problem,
            GradientBug::Scaled {
                index: 0,
                factor: 2.0,
            },
        );
        let flat = step_sweep(&wrong, &pts, &hs).unwrap();
        assert!(flat.iter().all(|s| s.error > 0.1), "{flat:?}");
        // the error model passes through both ends and its minimum is near the best step
        let (a, b) = error_model(&sweep).unwrap();
        let h_star = (b / (2.0 * a)).cbrt();
        assert!(
            (h_star.log10() - best.h.log10()).abs() < 1.5,
            "{h_star} vs {best:?}"
        );
        let chart = step_sweep_chart(&[("correct", &sweep), ("bug", &flat)]);
        assert_eq!(chart.series.len(), 3);
        let png = crate::plot::series_figure(&chart, 800, 500).unwrap();
        assert_eq!(png, crate::plot::series_figure(&chart, 800, 500).unwrap());
    }

    #[test]
    fn bugs_show_in_their_entries_only() {
        let p = array![0.3, -0.4];
        let problem = XorProblem::reference();
        for (bug, bad) in [
            (
                GradientBug::Scaled {
                    index: 1,
                    factor: 0.5,
                },
                vec![1],
            ),
            (GradientBug::Swapped { a: 0, b: 1 }, vec![0, 1]),
            (GradientBug::Sign { index: 0 }, vec![0]),
        ] {
            let c = check_gradient(&Miswired::new(problem.clone(), bug), &p, DEFAULT_STEP).unwrap();
            let errs = entry_errors(&c.analytic, &c.fd);
            for (i, e) in errs.iter().enumerate() {
                if bad.contains(&i) {
                    assert!(*e > 1e-3, "{bug:?} entry {i}: {e}");
                } else {
                    assert!(*e < 1e-8, "{bug:?} entry {i}: {e}");
                }
            }
        }
        let out = Miswired::new(problem, GradientBug::Sign { index: 5 });
        assert!(out.gradient(&p).is_err());
    }
}
