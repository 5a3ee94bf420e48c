//! The chapter's charts: the error of `H v` against the step, the cost
//! against `D`, CG's residual beside the spectrum, and the truncated steps.

use super::super::checking_derivatives::StepError;
use super::cg::{geometric_spectrum, CgIterate, GgnCg};
use super::products::{textbook_best_step, Difference, HvpAccuracy, HvpMethod, HvpTimings};
use crate::plot::{
    draw_series_chart, render_png, Figure, LegendCorner, PlotError, Result, Series, SeriesChart,
    SeriesStyle,
};

/// The error of the forward and central differences of gradients against
/// `log₁₀ h` (log scale), with the dense `H v`'s difference from the
/// R-operator as a flat line and the textbook best steps `√ε` and `ε^{1/3}`
/// marked.
pub fn hvp_error_chart(acc: &HvpAccuracy) -> SeriesChart {
    let pts = |s: &[StepError]| s.iter().map(|e| (e.h.log10(), e.error)).collect();
    let flat = |y: f64| {
        let xs: Vec<f64> = acc.forward.iter().map(|e| e.h.log10()).collect();
        match (xs.first(), xs.last()) {
            (Some(&a), Some(&b)) => vec![(a, y), (b, y)],
            _ => Vec::new(),
        }
    };
    let (hf, _) = textbook_best_step(Difference::Forward);
    let (hc, _) = textbook_best_step(Difference::Central);
    SeriesChart::new(
        format!(
            "H·v on a 2-h-1 network (D = {}): error against the R-operator",
            acc.dim
        ),
        "log₁₀ h",
        "relative error ‖H·v − R-op‖ / ‖R-op‖ (median)",
    )
    .log_y()
    .legend_at(LegendCorner::LowerLeft)
    .with_series(Series::new(
        "forward difference (1 gradient)",
        pts(&acc.forward),
        SeriesStyle::LineAndMarkers,
        0,
    ))
    .with_series(Series::new(
        "central difference (2 gradients)",
        pts(&acc.central),
        SeriesStyle::LineAndMarkers,
        1,
    ))
    .with_series(Series::new(
        "dense H times v",
        flat(acc.dense.max(f64::EPSILON / 4.0)),
        SeriesStyle::Line,
        2,
    ))
    .with_marker(hf.log10(), "√ε")
    .with_marker(hc.log10(), "ε^(1/3)")
}

/// Seconds per call against `log₁₀ D` (log scale) for one gradient and the
/// three ways to get `H v`.
pub fn hvp_timing_chart(t: &HvpTimings) -> SeriesChart {
    let mut chart = SeriesChart::new(
        "Cost of one H·v against the number of parameters (2-h-1 networks)",
        "log₁₀ D",
        "seconds per call (median)",
    )
    .log_y()
    .legend_at(LegendCorner::UpperLeft);
    for (i, m) in HvpMethod::ALL.into_iter().enumerate() {
        let pts = t
            .series(m)
            .into_iter()
            .map(|(d, s)| (d.log10(), s))
            .collect();
        let style = if m == HvpMethod::Gradient {
            SeriesStyle::Line
        } else {
            SeriesStyle::LineAndMarkers
        };
        chart = chart.with_series(Series::new(m.label(), pts, style, i));
    }
    chart
}

/// Two charts side by side, `width × height` pixels in all.
///
/// # Errors
/// [`PlotError::InvalidInput`] if a chart has no series; drawing errors.
pub fn side_by_side(
    left: &SeriesChart,
    right: &SeriesChart,
    width: u32,
    height: u32,
) -> Result<Figure> {
    for c in [left, right] {
        if c.series.is_empty() {
            return Err(PlotError::InvalidInput(format!(
                "the chart `{}` has no series to draw",
                c.title
            )));
        }
    }
    render_png(width, height, |root| {
        let halves = root.split_evenly((1, 2));
        draw_series_chart(&halves[0], left)?;
        draw_series_chart(&halves[1], right)
    })
}

/// CG's relative residual against the iteration on the network's damped
/// GGN system and on a diagonal system with the same size and condition
/// number but eigenvalues spread geometrically (`comparison`, from
/// [`diagonal_residuals`](super::cg::diagonal_residuals)), beside the two
/// spectra.
///
/// # Errors
/// As [`side_by_side`].
pub fn cg_spectrum_figure(
    cg: &GgnCg,
    comparison: &[f64],
    width: u32,
    height: u32,
) -> Result<Figure> {
    let floor = 1e-16;
    let res: Vec<(f64, f64)> = cg
        .iterates
        .iter()
        .enumerate()
        .map(|(k, it)| (k as f64, it.residual.max(floor)))
        .collect();
    let cmp: Vec<(f64, f64)> = comparison
        .iter()
        .enumerate()
        .map(|(k, &r)| (k as f64, r.max(floor)))
        .collect();
    let left = SeriesChart::new(
        "CG residual against the iteration",
        "CG iteration k",
        "‖b − A x_k‖ / ‖b‖",
    )
    .log_y()
    .legend_at(LegendCorner::LowerLeft)
    .with_series(Series::new(
        format!("network: G + λI (λ = {:.0e})", cg.damping),
        res,
        SeriesStyle::LineAndMarkers,
        0,
    ))
    .with_series(Series::new(
        "same κ, eigenvalues spread geometrically",
        cmp,
        SeriesStyle::LineAndMarkers,
        1,
    ));
    let n = cg.spectrum.len();
    let (lo, hi) = (cg.spectrum[0], cg.spectrum[n.saturating_sub(1)]);
    let geo = geometric_spectrum(lo, hi, n);
    let right = SeriesChart::new(
        format!("The spectra (D = {n}, κ = {:.0})", cg.condition()),
        "eigenvalue index (ascending)",
        "eigenvalue",
    )
    .log_y()
    .legend_at(LegendCorner::UpperLeft)
    .with_series(Series::new(
        "network: G + λI",
        cg.spectrum
            .iter()
            .enumerate()
            .map(|(i, &e)| (i as f64, e))
            .collect(),
        SeriesStyle::Markers,
        0,
    ))
    .with_series(Series::new(
        "geometric spread",
        geo.iter()
            .enumerate()
            .map(|(i, &e)| (i as f64, e))
            .collect(),
        SeriesStyle::Markers,
        1,
    ));
    side_by_side(&left, &right, width, height)
}

/// The truncated steps against the number of CG iterations `k ≤ k_max`:
/// their length beside the loss the damped model predicts, `L + m(Δ_k)`, and
/// the loss actually reached, `L(θ + Δ_k)`, with the exact solve's values
/// as flat lines.
///
/// # Errors
/// As [`side_by_side`].
pub fn truncation_figure(cg: &GgnCg, k_max: usize, width: u32, height: u32) -> Result<Figure> {
    let its: Vec<_> = cg.iterates.iter().take(k_max + 1).collect();
    let xs = |f: &dyn Fn(&CgIterate) -> f64| -> Vec<(f64, f64)> {
        its.iter()
            .enumerate()
            .map(|(k, it)| (k as f64, f(it)))
            .collect()
    };
    let flat = |y: f64| vec![(0.0, y), (k_max as f64, y)];
    let left = SeriesChart::new("Step length", "CG iterations k", "‖Δ_k‖")
        .legend_at(LegendCorner::LowerRight)
        .with_series(Series::new(
            "truncated CG step",
            xs(&|it| it.step_norm),
            SeriesStyle::LineAndMarkers,
            0,
        ))
        .with_series(Series::new(
            "exact damped Gauss–Newton step",
            flat(cg.exact.step_norm),
            SeriesStyle::Line,
            3,
        ));
    let l = cg.loss;
    let right = SeriesChart::new("Loss after the step", "CG iterations k", "loss")
        .log_y()
        .legend_at(LegendCorner::UpperLeft)
        .with_series(Series::new(
            "predicted by the model",
            xs(&|it| l + it.model_change),
            SeriesStyle::LineAndMarkers,
            1,
        ))
        .with_series(Series::new(
            "actual L(θ + Δ_k)",
            xs(&|it| l + it.loss_change),
            SeriesStyle::LineAndMarkers,
            2,
        ))
        .with_series(Series::new(
            "actual, exact step",
            flat(l + cg.exact.loss_change),
            SeriesStyle::Line,
            3,
        ))
        .with_series(Series::new("start L(θ)", flat(l), SeriesStyle::Line, 4));
    side_by_side(&left, &right, width, height)
}
