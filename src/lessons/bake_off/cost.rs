//! What a run paid to reach a target loss, on any cost axis.

use crate::plot::CurveAxis;
use crate::trace::Trace;

/// What a run paid to first reach a loss at or below a target, on the axis
/// [`CurveAxis`] counts (iterations, evaluations of each kind, or wall time
/// in ms); `None` if it never reached it.
pub fn cost_to_target(trace: &Trace, target: f64, axis: CurveAxis) -> Option<f64> {
    let k = trace.loss.iter().position(|&l| l <= target)?;
    let c = trace.counts.get(k).copied().unwrap_or_default();
    Some(match axis {
        CurveAxis::Iteration => trace.iteration(k) as f64,
        CurveAxis::CostEvals => c.cost as f64,
        CurveAxis::GradientEvals => c.gradient as f64,
        CurveAxis::Evaluations => (c.cost + c.gradient + c.hessian + c.curvature) as f64,
        CurveAxis::WallTime => trace.elapsed_ms.get(k).copied().unwrap_or(f64::NAN),
    })
}
