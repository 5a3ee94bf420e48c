//! Three ways to compute `H v` on a full network, their accuracy against
//! the step of a finite difference, and their cost against `D`.

use crate::stats::median;
use std::fmt;
use std::time::Instant;

use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::super::checking_derivatives::StepError;
use super::super::cost_of_curvature::{fit_loglog, SlopeFit};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::linalg::FixedDot;
use crate::mlp::Mlp;
use crate::problem::XorProblem;
use crate::race::{OptimizerKind, OptimizerSpec, RaceConfig};

/// Which finite difference of gradients approximates `H v`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Difference {
    /// `[∇L(θ + h v) − ∇L(θ)] / h`: one new gradient (the one at `θ` is
    /// known), error `O(h)` from truncation.
    Forward,
    /// `[∇L(θ + h v) − ∇L(θ − h v)] / (2h)`: two new gradients, error
    /// `O(h²)` from truncation.
    Central,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Difference::Forward => "forward",
            Difference::Central => "central",
        })
    }
}

/// A full network `2-h-1` at one point, with what every `H v` needs: the
/// data, the parameters `θ` and the gradient there.
#[derive(Clone, Debug)]
pub struct HvpPoint {
    /// The network.
    pub mlp: Mlp,
    /// The data (the separable XOR, `N = 100`).
    pub data: Dataset,
    /// The parameters `θ` (seeded Glorot start).
    pub theta: Array1<f64>,
    /// `∇L(θ)`.
    pub grad: Array1<f64>,
}

impl HvpPoint {
    /// The `2-hidden-1` network on [`Dataset::separable`] at its Glorot start
    /// of seed `seed` ([`Mlp::init`]); `D = 4·hidden + 1`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for `hidden == 0`.
    pub fn shallow(hidden: usize, seed: u64) -> Result<Self> {
        let mlp = Mlp::with_hidden(&[hidden])?;
        let theta = mlp.init(seed);
        Self::at(mlp, Dataset::separable(), theta)
    }

    /// The `2-hidden-1` network on [`Dataset::separable`] after `steps`
    /// iterations of Adam (learning rate `lr`) from the Glorot start of seed
    /// `seed`, through the race ([`crate::race::run`]): a point on the way
    /// down, where the curvature has more structure than at the start.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for `hidden == 0` or a run that stopped
    /// without a point.
    pub fn trained(hidden: usize, seed: u64, steps: u64, lr: f64) -> Result<Self> {
        let data = Dataset::separable();
        let problem = XorProblem::full(data.clone(), &[hidden])?;
        let start = problem.mlp().init(seed);
        let cfg = RaceConfig {
            max_iters: steps,
            tol: 0.0,
            ..RaceConfig::default()
        };
        let spec = OptimizerSpec::new(OptimizerKind::Adam).lr(lr);
        let trace = crate::race::run(&problem, &start, &spec, &cfg);
        let end = trace
            .final_point()
            .ok_or_else(|| Error::InvalidConfig("the Adam run gave no point".into()))?;
        Self::at(problem.mlp().clone(), data, Array1::from(end.to_vec()))
    }

    /// Any network, data and point.
    ///
    /// # Errors
    /// [`Error::Shape`] if `θ` or the data do not fit the network.
    pub fn at(mlp: Mlp, data: Dataset, theta: Array1<f64>) -> Result<Self> {
        let grad = mlp.gradient(theta.view(), &data)?;
        Ok(Self {
            mlp,
            data,
            theta,
            grad,
        })
    }

    /// Number of parameters `D`.
    pub fn dim(&self) -> usize {
        self.theta.len()
    }

    /// `H v` by Pearlmutter's R-operator ([`Mlp::hvp`]): exact to round-off.
    ///
    /// # Errors
    /// [`Error::Shape`] if `v` has the wrong length.
    pub fn r_op(&self, v: &Array1<f64>) -> Result<Array1<f64>> {
        self.mlp.hvp(self.theta.view(), &self.data, v.view())
    }

    /// `H v` by a finite difference of gradients with step `h` along `v`:
    /// `[∇L(θ + hv) − ∇L(θ)]/h` or `[∇L(θ + hv) − ∇L(θ − hv)]/(2h)`.
    ///
    /// Taylor's theorem gives the truncation error: `(h/2) ∇³L[v, v]` for
    /// the forward difference, `(h²/6) ∇⁴L[v, v, v]` for the central one;
    /// the rounding error of the gradients, `≈ ε_mach ‖∇L‖`, is divided by
    /// `h` (Nocedal & Wright, *Numerical Optimization*, §8.1).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `h` is finite and positive;
    /// [`Error::Shape`] if `v` has the wrong length.
    pub fn finite_difference(
        &self,
        v: &Array1<f64>,
        h: f64,
        scheme: Difference,
    ) -> Result<Array1<f64>> {
        if !(h.is_finite() && h > 0.0) {
            return Err(Error::InvalidConfig(format!(
                "a finite-difference step must be finite and positive, got {h}"
            )));
        }
        if v.len() != self.dim() {
            return Err(Error::Shape(format!(
                "v has {} entries, the network {} parameters",
                v.len(),
                self.dim()
            )));
        }
        let plus = &self.theta + &(v * h);
        let g_plus = self.mlp.gradient(plus.view(), &self.data)?;
        Ok(match scheme {
            Difference::Forward => (g_plus - &self.grad) / h,
            Difference::Central => {
                let minus = &self.theta - &(v * h);
                let g_minus = self.mlp.gradient(minus.view(), &self.data)?;
                (g_plus - g_minus) / (2.0 * h)
            }
        })
    }

    /// The dense Hessian `H` ([`Mlp::hessian`], `D × D`).
    ///
    /// # Errors
    /// As [`Mlp::hessian`].
    pub fn dense_hessian(&self) -> Result<Array2<f64>> {
        self.mlp.hessian(self.theta.view(), &self.data)
    }
}

/// `count` seeded random directions of unit length in `R^dim`.
pub fn unit_directions(dim: usize, count: usize, seed: u64) -> Vec<Array1<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let v = Array1::from_shape_fn(dim, |_| StandardNormal.sample(&mut rng));
            let n = v.fdot(&v).sqrt();
            v / n
        })
        .collect()
}

/// `‖a − b‖ / ‖b‖`.
pub fn relative_error(a: &Array1<f64>, b: &Array1<f64>) -> f64 {
    let d = a - b;
    d.fdot(&d).sqrt() / b.fdot(b).sqrt()
}

/// The accuracy of the three ways against the R-operator at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HvpAccuracy {
    /// Number of parameters `D`.
    pub dim: usize,
    /// Directions the medians run over.
    pub directions: usize,
    /// Median relative error of the forward difference at each step.
    pub forward: Vec<StepError>,
    /// Median relative error of the central difference at each step.
    pub central: Vec<StepError>,
    /// Median relative difference between the dense `H v` and the R-operator's.
    pub dense: f64,
}

/// For each step of `hs` and each of `directions` seeded unit directions,
/// the relative error `‖D_h v − H v‖ / ‖H v‖` of the forward and central
/// differences against the R-operator's `H v`, as the median over the
/// directions; and the same for the dense Hessian times `v`. The steps
/// reuse the appendix's [`StepError`] (there: the worst entry of a gradient
/// check; here: a relative error in norm).
///
/// # Errors
/// [`Error::InvalidConfig`] for no direction or a step that is not finite
/// and positive.
pub fn hvp_accuracy(
    point: &HvpPoint,
    hs: &[f64],
    directions: usize,
    seed: u64,
) -> Result<HvpAccuracy> {
    if directions == 0 {
        return Err(Error::InvalidConfig("need at least one direction".into()));
    }
    let vs = unit_directions(point.dim(), directions, seed);
    let exact: Vec<Array1<f64>> = vs.iter().map(|v| point.r_op(v)).collect::<Result<_>>()?;
    let sweep = |scheme| -> Result<Vec<StepError>> {
        hs.iter()
            .map(|&h| {
                let errs = vs
                    .iter()
                    .zip(&exact)
                    .map(|(v, hv)| Ok(relative_error(&point.finite_difference(v, h, scheme)?, hv)))
                    .collect::<Result<Vec<f64>>>()?;
                Ok(StepError {
                    h,
                    error: median(&errs),
                })
            })
            .collect()
    };
    let forward = sweep(Difference::Forward)?;
    let central = sweep(Difference::Central)?;
    let hess = point.dense_hessian()?;
    let dense = median(
        &vs.iter()
            .zip(&exact)
            .map(|(v, hv)| relative_error(&hess.fdot(v), hv))
            .collect::<Vec<_>>(),
    );
    Ok(HvpAccuracy {
        dim: point.dim(),
        directions,
        forward,
        central,
        dense,
    })
}

/// The theoretical best step and error of a difference scheme, from the
/// two error terms' balance with `ε_mach`: `h* ≈ √ε` (error `≈ √ε`) for the
/// forward difference, `h* ≈ ε^{1/3}` (error `≈ ε^{2/3}`) for the central.
pub fn textbook_best_step(scheme: Difference) -> (f64, f64) {
    let eps = f64::EPSILON;
    match scheme {
        Difference::Forward => (eps.sqrt(), eps.sqrt()),
        Difference::Central => (eps.cbrt(), eps.powf(2.0 / 3.0)),
    }
}

impl fmt::Display for HvpAccuracy {
    /// One line per step: the forward and central median errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "D = {}: median relative error of H v over {} directions",
            self.dim, self.directions
        )?;
        writeln!(f, "{:>8} {:>10} {:>10}", "h", "forward", "central")?;
        for (a, b) in self.forward.iter().zip(&self.central) {
            writeln!(f, "{:>8.0e} {:>10.1e} {:>10.1e}", a.h, a.error, b.error)?;
        }
        write!(
            f,
            "dense H times v against the R-operator: {:.1e}",
            self.dense
        )
    }
}

/// Median wall times of one gradient and of each way to get `H v`, on one
/// network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimingRow {
    /// Hidden width `h` of the `2-h-1` network.
    pub hidden: usize,
    /// Number of parameters `D = 4h + 1`.
    pub dim: usize,
    /// One gradient (forward and backward pass), seconds.
    pub gradient: f64,
    /// The R-operator's `H v`, seconds.
    pub r_op: f64,
    /// The forward difference (one new gradient), seconds.
    pub forward: f64,
    /// The central difference (two new gradients), seconds.
    pub central: f64,
    /// Forming the dense `H` and multiplying it by `v`, seconds, for the
    /// sizes where it was run.
    pub dense: Option<f64>,
}

/// A timing sweep over network widths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HvpTimings {
    /// One row per width.
    pub rows: Vec<TimingRow>,
    /// Repeats each median is taken over.
    pub repeats: usize,
}

fn median_seconds<T>(repeats: usize, mut f: impl FnMut() -> Result<T>) -> Result<f64> {
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let t = Instant::now();
        std::hint::black_box(f()?);
        times.push(t.elapsed().as_secs_f64());
    }
    Ok(median(&times))
}

/// Times, on `2-h-1` networks for every `h` of `hidden`, one gradient, the
/// R-operator, the forward and the central difference (median of
/// `repeats` calls each), and the dense Hessian (formed, then multiplied by
/// `v`) while `D ≤ dense_max_dim`.
///
/// # Errors
/// [`Error::InvalidConfig`] for `repeats == 0` or a zero width.
pub fn time_products(hidden: &[usize], dense_max_dim: usize, repeats: usize) -> Result<HvpTimings> {
    if repeats == 0 {
        return Err(Error::InvalidConfig("need at least one repeat".into()));
    }
    let mut rows = Vec::new();
    for &h in hidden {
        let point = HvpPoint::shallow(h, 0)?;
        let v = unit_directions(point.dim(), 1, 1).remove(0);
        let (m, d, th) = (&point.mlp, &point.data, &point.theta);
        let gradient = median_seconds(repeats, || m.gradient(th.view(), d))?;
        let r_op = median_seconds(repeats, || point.r_op(&v))?;
        let forward = median_seconds(repeats, || {
            point.finite_difference(&v, 1e-7, Difference::Forward)
        })?;
        let central = median_seconds(repeats, || {
            point.finite_difference(&v, 1e-5, Difference::Central)
        })?;
        let dense = if point.dim() <= dense_max_dim {
            let reps = repeats.min(5);
            Some(median_seconds(reps, || {
                Ok(point.dense_hessian()?.fdot(&v))
            })?)
        } else {
            None
        };
        rows.push(TimingRow {
            hidden: h,
            dim: point.dim(),
            gradient,
            r_op,
            forward,
            central,
            dense,
        });
    }
    Ok(HvpTimings { rows, repeats })
}

/// Which of [`TimingRow`]'s columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HvpMethod {
    /// One gradient, the unit of cost.
    Gradient,
    /// Pearlmutter's R-operator.
    ROp,
    /// Forward difference of gradients.
    Forward,
    /// Central difference of gradients.
    Central,
    /// Dense Hessian, formed then multiplied.
    Dense,
}

impl HvpMethod {
    /// All five, in table order.
    pub const ALL: [HvpMethod; 5] = [
        HvpMethod::Gradient,
        HvpMethod::ROp,
        HvpMethod::Forward,
        HvpMethod::Central,
        HvpMethod::Dense,
    ];

    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            HvpMethod::Gradient => "one gradient",
            HvpMethod::ROp => "R-operator",
            HvpMethod::Forward => "forward difference",
            HvpMethod::Central => "central difference",
            HvpMethod::Dense => "dense H, then H·v",
        }
    }

    fn of(self, row: &TimingRow) -> Option<f64> {
        match self {
            HvpMethod::Gradient => Some(row.gradient),
            HvpMethod::ROp => Some(row.r_op),
            HvpMethod::Forward => Some(row.forward),
            HvpMethod::Central => Some(row.central),
            HvpMethod::Dense => row.dense,
        }
    }
}

impl HvpTimings {
    /// `(D, seconds)` of one method, where it was run.
    pub fn series(&self, method: HvpMethod) -> Vec<(f64, f64)> {
        self.rows
            .iter()
            .filter_map(|r| method.of(r).map(|t| (r.dim as f64, t)))
            .collect()
    }

    /// The log-log slope of a method's time against `D`, fitted over the
    /// rows with `D ≥ min_dim` (where fixed overheads weigh least).
    pub fn slope(&self, method: HvpMethod, min_dim: usize) -> Option<SlopeFit> {
        let pts: Vec<(f64, f64)> = self
            .series(method)
            .into_iter()
            .filter(|(d, _)| *d >= min_dim as f64)
            .collect();
        fit_loglog(&pts)
    }

    /// The median over the rows with `D ≥ min_dim` of a method's time
    /// divided by one gradient's.
    pub fn ratio_to_gradient(&self, method: HvpMethod, min_dim: usize) -> f64 {
        median(
            &self
                .rows
                .iter()
                .filter(|r| r.dim >= min_dim)
                .filter_map(|r| method.of(r).map(|t| t / r.gradient))
                .collect::<Vec<_>>(),
        )
    }
}

impl fmt::Display for HvpTimings {
    /// One line per network: the times and their ratios to one gradient.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>6} {:>10}  {:>8} {:>8} {:>8} {:>8}   (times / one gradient; median of {})",
            "D", "gradient", "R-op", "forward", "central", "dense", self.repeats
        )?;
        for r in &self.rows {
            let dense = r
                .dense
                .map_or("-".to_string(), |t| format!("{:.1}", t / r.gradient));
            writeln!(
                f,
                "{:>6} {:>10}  {:>8.2} {:>8.2} {:>8.2} {:>8}",
                r.dim,
                crate::fmt::seconds(r.gradient),
                r.r_op / r.gradient,
                r.forward / r.gradient,
                r.central / r.gradient,
                dense
            )?;
        }
        Ok(())
    }
}
