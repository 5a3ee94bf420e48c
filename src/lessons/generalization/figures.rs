//! The two figures of chapter 19, drawn with the course's
//! [`SeriesChart`]: one marker series per optimizer.

use super::study::{GeneralizationStudy, Metric};
use crate::plot::{series_figure, Figure, LegendCorner, Result, Series, SeriesChart, SeriesStyle};

/// One marker series per optimizer of `study`, point `(fx(run), fy(run))`.
fn per_optimizer(
    study: &GeneralizationStudy,
    fx: impl Fn(&super::StudyRun) -> f64,
    fy: impl Fn(&super::StudyRun) -> f64,
) -> Vec<Series> {
    study
        .optimizers
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let points = study
                .runs
                .iter()
                .filter(|r| r.optimizer_index == i)
                .map(|r| (fx(r), fy(r)))
                .collect();
            Series::new(name.clone(), points, SeriesStyle::Markers, i)
        })
        .collect()
}

/// Test loss (log scale) against `log₁₀` of the training loss at the end
/// of every run of `study`, coloured by optimizer, with the level `ln 2` for reference: the loss
/// of the network that predicts ½ everywhere, so a point above it does
/// worse on the test set than a coin. Both axes are logarithmic because a network that
/// interpolates the training set has a training loss near `10⁻⁸` and a test
/// loss in the tens.
///
/// # Errors
/// [`PlotError::Drawing`](crate::plot::PlotError) if drawing fails.
pub fn train_test_figure(study: &GeneralizationStudy, width: u32, height: u32) -> Result<Figure> {
    let mut chart = SeriesChart::new(
        format!(
            "Test against training loss: {} runs (seeds × widths × optimizers)",
            study.runs.len()
        ),
        "log10 of the training loss",
        "test loss (log scale)",
    )
    .log_y()
    .legend_at(LegendCorner::UpperRight);
    let floor = f64::MIN_POSITIVE;
    let series = per_optimizer(study, |r| r.train_loss.max(floor).log10(), |r| r.test_loss);
    for s in series {
        chart = chart.with_series(s);
    }
    // ln 2: the test loss of the network that predicts ½ everywhere.
    let (x0, x1) = study
        .runs
        .iter()
        .map(|r| r.train_loss.max(floor).log10())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let ln2 = std::f64::consts::LN_2;
    let line = Series::new(
        "ln 2 (predict ½ everywhere)",
        vec![(x0, ln2), (x1, ln2)],
        SeriesStyle::Line,
        study.optimizers.len(),
    );
    series_figure(&chart.with_series(line), width, height)
}

/// The generalization gap (test minus training loss, log scale) against
/// `log₁₀ λ_max` of the training loss's Hessian at the end of every run of
/// `study`, coloured by optimizer; the title quotes the pooled Spearman
/// correlation and how many runs have a negative gap (not drawable on a
/// log axis).
///
/// # Errors
/// [`PlotError::Drawing`](crate::plot::PlotError) if drawing fails.
pub fn gap_sharpness_figure(
    study: &GeneralizationStudy,
    width: u32,
    height: u32,
) -> Result<Figure> {
    let rho = study.spearman_pooled(Metric::LambdaMax, Metric::Gap);
    let negative = study.runs.iter().filter(|r| r.gap() <= 0.0).count();
    let mut chart = SeriesChart::new(
        format!(
            "Gap against sharpness: pooled Spearman {rho:.2}; {negative} runs with gap ≤ 0 not drawn"
        ),
        "log10 of the largest Hessian eigenvalue of the training loss",
        "test loss − training loss (log scale)",
    )
    .log_y()
    .legend_at(LegendCorner::UpperLeft);
    for s in per_optimizer(
        study,
        |r| r.lambda_max.max(f64::MIN_POSITIVE).log10(),
        |r| r.gap(),
    ) {
        chart = chart.with_series(s);
    }
    series_figure(&chart, width, height)
}
