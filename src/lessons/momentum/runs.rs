//! Running a tuning on the bowl through the race, and measuring a run:
//! distances to the minimum, steps to a tolerance, the contraction per step.

use super::rates::Tuning;
use crate::landscapes::{Landscape, Quadratic};
use crate::plot::{view_bounds, LossGrid};
use crate::race::{self, OptimizerKind, OptimizerSpec, RaceConfig};
use crate::solvers::Momentum;
use crate::trace::Trace;

/// The distance of every iterate of `trace` to `minimiser` (NaN for an
/// iterate of the wrong length).
pub fn distances(trace: &Trace, minimiser: &[f64]) -> Vec<f64> {
    trace
        .iterates
        .iter()
        .map(|p| {
            if p.len() == minimiser.len() {
                p.iter()
                    .zip(minimiser)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    .sqrt()
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// The first iteration at which the distance to `minimiser` is at most
/// `rel_tol` times the starting distance; `None` if the run never gets there
/// (or diverged).
pub fn steps_to_distance(trace: &Trace, minimiser: &[f64], rel_tol: f64) -> Option<usize> {
    if trace.diverged() {
        return None;
    }
    let d = distances(trace, minimiser);
    let d0 = *d.first()?;
    d.iter().position(|&v| v <= rel_tol * d0)
}

/// The measured contraction per step: the geometric mean
/// `(d_b / d_a)^{1/(b − a)}` of the distance ratios between the first
/// iterate `a` within `from` of the start's distance and the first iterate
/// `b` within `to` (`1 > from > to > 0`). Measuring away from the start
/// leaves out the transient of the first steps. `None` if the run does not
/// reach `to` or diverged.
pub fn measured_rate(trace: &Trace, minimiser: &[f64], (from, to): (f64, f64)) -> Option<f64> {
    let a = steps_to_distance(trace, minimiser, from)?;
    let b = steps_to_distance(trace, minimiser, to)?;
    let d = distances(trace, minimiser);
    (b > a).then(|| (d[b] / d[a]).powf(1.0 / (b - a) as f64))
}

/// The window of relative distances over which
/// [`compare_on_bowl`](super::compare_on_bowl) measures rates: from `10⁻³` to
/// `10⁻⁹` of the starting distance.
pub const RATE_WINDOW: (f64, f64) = (1e-3, 1e-9);

/// The race's divergence factor for runs on the bowl: a run counts as
/// diverged once its loss exceeds `10⁸` times the start's (or turns
/// non-finite). The race's default (10) is too tight here: with a step
/// beyond `2/μ_max`, Polyak's heavy ball first overshoots along the stiff
/// direction and its loss rises more than tenfold before it falls
/// ([`peak_loss_ratio`]), which is a transient, not a divergence.
pub const BOWL_DIVERGENCE_FACTOR: f64 = 1e8;

/// The largest loss of a run divided by its starting loss (NaN for an
/// empty trace or a zero starting loss).
pub fn peak_loss_ratio(trace: &Trace) -> f64 {
    let l0 = trace.loss.first().copied().unwrap_or(f64::NAN);
    let peak = trace.loss.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if l0 > 0.0 {
        peak / l0
    } else {
        f64::NAN
    }
}

/// Runs gradient descent with `tuning` on `bowl` from its start through the
/// race, labelled `label`: at most `max_iters` steps, stopping early once a
/// step is shorter than `step_tol` (the race's step-norm rule; pass a value
/// well below the distance you want to measure, since a step is a fraction
/// `1 − rate` of the distance or more), diverged above
/// [`BOWL_DIVERGENCE_FACTOR`].
pub fn run_tuning(
    bowl: &Quadratic,
    tuning: &Tuning,
    label: &str,
    max_iters: u64,
    step_tol: f64,
) -> Trace {
    let spec = match tuning.momentum {
        Momentum::None => OptimizerSpec::new(OptimizerKind::Gd),
        Momentum::HeavyBall(b) => OptimizerSpec::new(OptimizerKind::Momentum).momentum(b),
        Momentum::Nesterov(b) => OptimizerSpec::new(OptimizerKind::Nesterov).momentum(b),
    }
    .lr(tuning.lr)
    .label(label);
    race::run(
        bowl,
        &bowl.start(),
        &spec,
        &bowl_config(max_iters, step_tol),
    )
}

/// The race settings of every run on a bowl in these lessons: at most
/// `max_iters` steps, the step-norm stop at `step_tol`, divergence only above
/// [`BOWL_DIVERGENCE_FACTOR`], and every iterate kept (no thinning), since
/// the lessons count steps by position in the trace.
pub fn bowl_config(max_iters: u64, step_tol: f64) -> RaceConfig {
    RaceConfig {
        max_iters,
        tol: step_tol,
        divergence_factor: BOWL_DIVERGENCE_FACTOR,
        max_recorded: usize::try_from(max_iters)
            .unwrap_or(usize::MAX)
            .saturating_add(1),
        ..RaceConfig::default()
    }
}

/// The first `steps` steps of `trace` (all of it if shorter), for a figure
/// of the early path.
pub fn first_steps(trace: &Trace, steps: usize) -> Trace {
    let n = steps + 1;
    let mut t = trace.clone();
    t.iterates.truncate(n);
    t.loss.truncate(n);
    t.grad_norm.truncate(n);
    t.counts.truncate(n);
    t.elapsed_ms.truncate(n);
    t
}

/// The loss of a 2-D landscape on an `n × n` grid over the view that frames
/// `traces` ([`view_bounds`] with a 5 % margin), for
/// [`paths_figure`](crate::plot::paths_figure).
///
/// # Errors
/// [`crate::plot::PlotError::InvalidInput`] if `n < 2`.
pub fn view_grid<L: Landscape>(
    landscape: &L,
    traces: &[Trace],
    n: usize,
) -> crate::plot::Result<LossGrid> {
    let (xr, yr) = view_bounds(traces, None, 0.05);
    let grid = LossGrid::from_fn(xr, yr, n, |x, y| {
        landscape.cost(&ndarray::array![x, y]).unwrap_or(f64::NAN)
    })?;
    Ok(grid.with_labels("x₁", "x₂").with_title(landscape.name()))
}

/// The distance from the bowl's start to its minimum.
pub(super) fn start_distance(bowl: &Quadratic) -> f64 {
    let start = bowl.start();
    let centre = bowl
        .global_minimum()
        .map_or_else(|| ndarray::Array1::zeros(2), |m| m.point);
    (&start - &centre).mapv(|v| v * v).sum().sqrt()
}
