//! The panels of the dashboard: which ones a set of runs needs, their
//! labels, values and ranges.

use super::history::{DampingHistory, DampingQuantity, RHO_RANGE};

/// The panels of the dashboard, top to bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Panel {
    Damping,
    Rho,
    Cg,
    Loss,
}

/// The panels `runs` have data for, in order (the loss panel always).
pub(super) fn panels(runs: &[DampingHistory]) -> Vec<Panel> {
    let mut out = Vec::new();
    if runs
        .iter()
        .any(|r| r.damping.iter().any(|v| v.is_finite() && *v > 0.0))
    {
        out.push(Panel::Damping);
    }
    if runs.iter().any(|r| DampingHistory::any_finite(&r.rho)) {
        out.push(Panel::Rho);
    }
    if runs.iter().any(|r| DampingHistory::any_finite(&r.cg_iters)) {
        out.push(Panel::Cg);
    }
    out.push(Panel::Loss);
    out
}

impl Panel {
    pub(super) fn log(self) -> bool {
        matches!(self, Panel::Damping | Panel::Loss)
    }

    pub(super) fn label(self, runs: &[DampingHistory]) -> String {
        match self {
            Panel::Damping => {
                let lambda = runs.iter().any(|r| r.quantity == DampingQuantity::Lambda);
                let radius = runs.iter().any(|r| r.quantity == DampingQuantity::Radius);
                match (lambda, radius) {
                    (true, true) => "λ or radius Δ".into(),
                    (false, true) => "radius Δ".into(),
                    _ => "damping λ".into(),
                }
            }
            Panel::Rho => "ρ (actual/predicted)".into(),
            Panel::Cg => "CG iterations".into(),
            Panel::Loss => "loss".into(),
        }
    }

    /// The raw values of `run` this panel draws (entry 0, the start, has no
    /// step: only the loss panel draws it).
    pub(super) fn values(self, run: &DampingHistory) -> Vec<f64> {
        match self {
            Panel::Damping => run.damping.clone(),
            Panel::Rho => run.rho.clone(),
            Panel::Cg => run.cg_iters.clone(),
            Panel::Loss => run.loss.clone(),
        }
    }

    /// The drawn y of a raw value: log10 on log panels, `ρ` clamped to
    /// [`RHO_RANGE`]; `None` if it cannot be drawn.
    pub(super) fn y(self, v: f64) -> Option<f64> {
        match self {
            _ if v.is_nan() => None,
            Panel::Rho => Some(v.clamp(RHO_RANGE.0, RHO_RANGE.1)),
            _ if !v.is_finite() => None,
            p if p.log() => (v > 0.0).then(|| v.log10()),
            _ => Some(v),
        }
    }

    /// The y range (in drawn units) covering every drawable value.
    pub(super) fn range(self, runs: &[DampingHistory]) -> (f64, f64) {
        if self == Panel::Rho {
            return RHO_RANGE;
        }
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for r in runs {
            for y in self.values(r).into_iter().filter_map(|v| self.y(v)) {
                (lo, hi) = (lo.min(y), hi.max(y));
            }
        }
        if !(lo.is_finite() && hi.is_finite()) {
            return (0.0, 1.0);
        }
        if self == Panel::Cg {
            return (0.0, (hi * 1.15).max(1.0));
        }
        let pad = if hi - lo < 0.2 { 0.1 } else { 0.06 * (hi - lo) };
        (lo - pad, hi + pad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn rho_is_clamped_and_logs_skip_non_positive() {
        assert_eq!(Panel::Rho.y(f64::NEG_INFINITY), Some(RHO_RANGE.0));
        assert_eq!(Panel::Rho.y(f64::NAN), None);
        assert_eq!(Panel::Loss.y(0.0), None);
        assert_eq!(Panel::Damping.y(100.0), Some(2.0));
    }
}
