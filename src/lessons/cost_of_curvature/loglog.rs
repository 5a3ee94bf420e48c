//! Straight lines through log-log points: the slope of a cost against `D`.

use serde::{Deserialize, Serialize};

/// A least-squares line through `(ln x, ln y)`: `ln y = intercept + slope ln x`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlopeFit {
    /// The log-log slope (the exponent of the power law).
    pub slope: f64,
    /// The intercept `ln a` of `y = a x^slope`.
    pub intercept: f64,
    /// Number of points fitted.
    pub points: usize,
    /// Smallest `x` fitted.
    pub x_min: f64,
    /// Largest `x` fitted.
    pub x_max: f64,
}

impl SlopeFit {
    /// The fitted power law at `x`.
    pub fn at(&self, x: f64) -> f64 {
        (self.intercept + self.slope * x.ln()).exp()
    }
}

/// Fits `y = a x^b` by least squares on `(ln x, ln y)`, skipping
/// non-positive or non-finite pairs; `None` with fewer than two usable
/// points or a single distinct `x`.
pub fn fit_loglog(points: &[(f64, f64)]) -> Option<SlopeFit> {
    let usable: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0 && x.is_finite() && y.is_finite())
        .collect();
    let logs: Vec<(f64, f64)> = usable.iter().map(|(x, y)| (x.ln(), y.ln())).collect();
    let k = logs.len() as f64;
    if logs.len() < 2 {
        return None;
    }
    let mx = logs.iter().map(|p| p.0).sum::<f64>() / k;
    let my = logs.iter().map(|p| p.1).sum::<f64>() / k;
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx <= 1e-300 {
        return None;
    }
    let slope = sxy / sxx;
    let xs = usable.iter().map(|p| p.0);
    Some(SlopeFit {
        slope,
        intercept: my - slope * mx,
        points: logs.len(),
        x_min: xs.clone().fold(f64::INFINITY, f64::min),
        x_max: xs.fold(0.0, f64::max),
    })
}

/// The upper range of `points` sorted by `x`: the largest `max(3, ⌈n/2⌉)`
/// (all of them when there are at most 3), where fixed per-iteration
/// overhead weighs least.
pub fn upper_range(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut p = points.to_vec();
    p.sort_by(|a, b| a.0.total_cmp(&b.0));
    let keep = 3.max(p.len().div_ceil(2)).min(p.len());
    p.split_off(p.len() - keep)
}
