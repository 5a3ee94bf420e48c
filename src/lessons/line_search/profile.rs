//! The loss along one search direction, `φ(α) = f(x + α d)`, with the sets
//! of step lengths the Wolfe conditions accept, and the steps argmin's line
//! searches pick on it.

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::condition::ArmijoCondition;
use argmin::solver::linesearch::{
    BacktrackingLineSearch, HagerZhangLineSearch, LineSearch as ArgminLineSearch,
    MoreThuenteLineSearch,
};
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::search::{with_line_search, BfgsPoint, LineSearch};
use crate::curvature::Recordable;
use crate::error::{Error, Result};
use crate::linalg::FixedDot;

/// `φ(α) = f(x + α d)` and `φ'(α) = ∇f(x + α d)ᵀ d` sampled on `[0, α_max]`,
/// with the step lengths that satisfy the Armijo condition
/// `φ(α) ≤ φ(0) + c₁ α φ'(0)`, the curvature condition `φ'(α) ≥ c₂ φ'(0)`,
/// and both (the weak Wolfe conditions), as intervals whose ends are found
/// by bisection to about `10⁻¹² α_max`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineProfile {
    /// The sampled step lengths, `0` to `α_max`.
    pub alphas: Vec<f64>,
    /// `φ(α)` at each.
    pub phi: Vec<f64>,
    /// `φ'(α)` at each.
    pub dphi: Vec<f64>,
    /// Armijo constant `c₁`.
    pub c1: f64,
    /// Curvature constant `c₂`.
    pub c2: f64,
    /// Intervals of `[0, α_max]` where the Armijo condition holds.
    pub armijo: Vec<(f64, f64)>,
    /// Intervals where the curvature condition holds.
    pub curvature: Vec<(f64, f64)>,
    /// Intervals where both hold: the acceptable steps.
    pub wolfe: Vec<(f64, f64)>,
}

impl LineProfile {
    /// `φ(0)`.
    pub fn phi0(&self) -> f64 {
        self.phi[0]
    }

    /// `φ'(0)`.
    pub fn slope0(&self) -> f64 {
        self.dphi[0]
    }

    /// A set of intervals as text, `[0.107, 0.418] ∪ …` (3 decimals; `∅` when empty).
    pub fn intervals_text(set: &[(f64, f64)]) -> String {
        if set.is_empty() {
            return "∅".into();
        }
        set.iter()
            .map(|(a, b)| format!("[{a:.3}, {b:.3}]"))
            .collect::<Vec<_>>()
            .join(" ∪ ")
    }

    /// The step length of the sample with the lowest `φ` (the exact line
    /// minimiser, to the sampling's resolution).
    pub fn best_alpha(&self) -> f64 {
        let mut best = (0.0, f64::INFINITY);
        for (&a, &p) in self.alphas.iter().zip(&self.phi) {
            if p < best.1 {
                best = (a, p);
            }
        }
        best.0
    }
}

/// The intersection of two sorted lists of disjoint intervals.
fn intersect(a: &[(f64, f64)], b: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for &(a0, a1) in a {
        for &(b0, b1) in b {
            let (lo, hi) = (a0.max(b0), a1.min(b1));
            if lo < hi {
                out.push((lo, hi));
            }
        }
    }
    out
}

/// The sets where `holds(α)` is true on the grid `alphas`, each end refined
/// by bisection between the grid points that bracket it.
fn intervals(alphas: &[f64], holds: impl Fn(f64) -> bool) -> Vec<(f64, f64)> {
    let flags: Vec<bool> = alphas.iter().map(|&a| holds(a)).collect();
    let edge = |lo: f64, hi: f64, lo_holds: bool| {
        let (mut lo, mut hi) = (lo, hi);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if holds(mid) == lo_holds {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let mut out = Vec::new();
    let mut start = if flags[0] { Some(alphas[0]) } else { None };
    for i in 1..alphas.len() {
        match (flags[i - 1], flags[i]) {
            (false, true) => start = Some(edge(alphas[i - 1], alphas[i], false)),
            (true, false) => {
                if let Some(s) = start.take() {
                    out.push((s, edge(alphas[i - 1], alphas[i], true)));
                }
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, alphas[alphas.len() - 1]));
    }
    out
}

/// Samples `φ` along `point`'s direction at `samples + 1` evenly spaced
/// step lengths in `[0, alpha_max]` (with the crate's own arithmetic) and
/// finds the Armijo, curvature and Wolfe sets for `c1`, `c2`.
///
/// # Errors
/// [`Error::InvalidConfig`] unless `0 < c1 < c2 < 1`, `alpha_max > 0`,
/// `samples ≥ 2` and the direction descends (`φ'(0) < 0`); the problem's
/// errors.
pub fn line_profile<P: Recordable>(
    problem: &P,
    point: &BfgsPoint,
    alpha_max: f64,
    samples: usize,
    c1: f64,
    c2: f64,
) -> Result<LineProfile> {
    if !(0.0 < c1
        && c1 < c2
        && c2 < 1.0
        && alpha_max > 0.0
        && alpha_max.is_finite()
        && samples >= 2)
    {
        return Err(Error::InvalidConfig(format!(
            "need 0 < c1 < c2 < 1, alpha_max > 0 and at least 2 samples, got c1 = {c1}, c2 = {c2}, \
             alpha_max = {alpha_max}, samples = {samples}"
        )));
    }
    let d = &point.direction;
    let at = |a: f64| -> Array1<f64> { &point.x + &(d * a) };
    let phi = |a: f64| problem.cost(&at(a)).unwrap_or(f64::NAN);
    let dphi = |a: f64| {
        problem
            .gradient(&at(a))
            .map(|g| g.fdot(d))
            .unwrap_or(f64::NAN)
    };
    let (phi0, slope0) = (phi(0.0), dphi(0.0));
    if slope0.is_nan() || slope0 >= 0.0 {
        return Err(Error::InvalidConfig(format!(
            "the direction does not descend: φ'(0) = {slope0}"
        )));
    }
    let alphas: Vec<f64> = (0..=samples)
        .map(|i| alpha_max * i as f64 / samples as f64)
        .collect();
    let armijo_holds = |a: f64| phi(a) <= phi0 + c1 * a * slope0;
    let curvature_holds = |a: f64| dphi(a) >= c2 * slope0;
    let armijo = intervals(&alphas, armijo_holds);
    let curvature = intervals(&alphas, curvature_holds);
    let wolfe = intersect(&armijo, &curvature);
    Ok(LineProfile {
        phi: alphas.iter().map(|&a| phi(a)).collect(),
        dphi: alphas.iter().map(|&a| dphi(a)).collect(),
        alphas,
        c1,
        c2,
        armijo,
        curvature,
        wolfe,
    })
}

/// The step one line search accepted from a point, and what it cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    /// The line search.
    pub line_search: LineSearch,
    /// The accepted step length `α`.
    pub alpha: f64,
    /// Cost evaluations the search made.
    pub cost_evals: u64,
    /// Gradient evaluations the search made.
    pub gradient_evals: u64,
    /// Whether `α` satisfies the profile's Armijo condition.
    pub armijo: bool,
    /// Whether `α` satisfies the profile's curvature condition.
    pub curvature: bool,
}

/// Runs each of `searches` once from `point` along its direction, as
/// argmin's BFGS would (given `x`, `f(x)`, `∇f(x)`, first trial `α = 1`),
/// and reports the accepted `α`, its evaluation counts, and whether it
/// satisfies `profile`'s two conditions.
///
/// # Errors
/// [`Error::InvalidConfig`] for a parameter argmin rejects; argmin's errors.
pub fn line_search_picks<P: Recordable>(
    problem: &P,
    point: &BfgsPoint,
    profile: &LineProfile,
    searches: &[LineSearch],
) -> Result<Vec<Pick>> {
    let d = &point.direction;
    let dd = d.fdot(d);
    searches
        .iter()
        .map(|&ls| {
            let (x, counts) = with_line_search!(ls, |l| search_once(problem, point, l)?);
            let get = |k: &str| counts.iter().find(|(n, _)| n == k).map_or(0, |(_, c)| *c);
            let alpha = (&x - &point.x).fdot(d) / dd;
            let (phi, dphi) = (problem.cost(&x)?, problem.gradient(&x)?.fdot(d));
            Ok(Pick {
                line_search: ls,
                alpha,
                cost_evals: get("cost_count"),
                gradient_evals: get("gradient_count"),
                armijo: phi <= profile.phi0() + profile.c1 * alpha * profile.slope0(),
                curvature: dphi >= profile.c2 * profile.slope0(),
            })
        })
        .collect()
}

/// An accepted iterate with argmin's evaluation counts by name.
type Counted = (Array1<f64>, Vec<(String, u64)>);

/// One line search from `point`: the accepted iterate and argmin's counts.
fn search_once<P, L>(problem: &P, point: &BfgsPoint, mut ls: L) -> Result<Counted>
where
    P: CostFunction<Param = Array1<f64>, Output = f64>
        + Gradient<Param = Array1<f64>, Gradient = Array1<f64>>
        + Clone,
    L: ArgminLineSearch<Array1<f64>, f64>
        + argmin::core::Solver<P, argmin::core::IterState<Array1<f64>, Array1<f64>, (), (), (), f64>>,
{
    ls.search_direction(point.direction.clone());
    let res = Executor::new(problem.clone(), ls)
        .configure(|s| {
            s.param(point.x.clone())
                .gradient(point.gradient.clone())
                .cost(point.cost)
                .counting(true)
        })
        .ctrlc(false)
        .run()?;
    let state = res.state();
    let x = state
        .get_param()
        .ok_or_else(|| Error::InvalidConfig("the line search returned no point".into()))?
        .clone();
    let counts = state
        .get_func_counts()
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    Ok((x, counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_found_and_intersected() {
        let grid: Vec<f64> = (0..=100).map(|i| i as f64 / 100.0).collect();
        let a = intervals(&grid, |x| x <= 0.333 || (0.5..=0.7).contains(&x));
        assert_eq!(a.len(), 2);
        assert!((a[0].0 - 0.0).abs() < 1e-12 && (a[0].1 - 0.333).abs() < 1e-9);
        assert!((a[1].0 - 0.5).abs() < 1e-9 && (a[1].1 - 0.7).abs() < 1e-9);
        let b = intervals(&grid, |x| x >= 0.25);
        assert_eq!(intersect(&a, &b).len(), 2);
        assert!((intersect(&a, &b)[0].0 - 0.25).abs() < 1e-9);
    }
}
