//! The runs of the non-convexity lesson (`notebooks/08-non-convexity.ipynb`):
//! Newton on `x·cos(πx)` and on the saddle `x² − y²`, one detailed run of
//! a preset (for its per-step diagnostics), and how well Newton's quadratic
//! model predicts the loss along a run.
//!
//! Each function is concrete (no type parameter), so a notebook that calls it
//! does not compile the race's generic machinery for its problem type again.

mod figures;

pub use crate::plot::{ModelCurvature, ModelOverlay, ModelShape, QuadraticModel};
pub use figures::{draw_toy_1d, toy_1d_figure};

use ndarray::{array, Array1};

use crate::landscapes::{CosineWell, Saddle};
use crate::problem::XorProblem;
use crate::race::{run, run_detailed, OptimizerSpec, RaceConfig, RacePreset, RunOutput};
use crate::trace::Trace;

/// One run per `(start, spec)` on [`CosineWell`], `x·cos(πx)`.
pub fn cosine_runs(runs: &[(f64, OptimizerSpec)], cfg: &RaceConfig) -> Vec<Trace> {
    runs.iter()
        .map(|(x0, spec)| run(&CosineWell, &array![*x0], spec, cfg))
        .collect()
}

/// One run per spec on [`Saddle`], `x² − y²`, from `start`.
pub fn saddle_runs(start: [f64; 2], specs: &[OptimizerSpec], cfg: &RaceConfig) -> Vec<Trace> {
    let start = array![start[0], start[1]];
    specs
        .iter()
        .map(|spec| run(&Saddle, &start, spec, cfg))
        .collect()
}

/// One run of `spec` on the preset's problem from its start, with the
/// solver's per-entry diagnostics (damping, trust radius, …).
pub fn detailed_run(preset: &RacePreset, spec: &OptimizerSpec) -> RunOutput {
    run_detailed(&preset.problem, &preset.start, spec, &preset.cfg)
}

/// How well a quadratic model predicted one step.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelFit {
    /// The entry of the trace (the iterate the model is centred on).
    pub entry: usize,
    /// The model's shape there.
    pub shape: ModelShape,
    /// The model's change `m(s)` at the step `s` to its stationary point
    /// (its minimiser for a bowl); NaN if it has none.
    pub predicted: f64,
    /// The loss's change `L(p + s) − L(p)` for the same step.
    pub actual: f64,
}

/// The model with curvature `kind` (undamped) at each of the first `entries`
/// iterates of `trace`, and what it predicted for the step to its
/// stationary point against what the loss did. Entries without a model (a
/// non-finite iterate, a failing evaluation) are left out.
pub fn model_fit(
    problem: &XorProblem,
    trace: &Trace,
    kind: ModelCurvature,
    entries: usize,
) -> Vec<ModelFit> {
    use argmin::core::CostFunction;
    trace
        .iterates
        .iter()
        .take(entries)
        .enumerate()
        .filter_map(|(entry, p)| {
            let p = Array1::from(p.clone());
            let m = QuadraticModel::at(problem, &p, kind, 0.0).ok()?;
            let (predicted, actual) = match m.stationary_step() {
                Some(s) => {
                    let l0 = problem.cost(&p).ok()?;
                    let l1 = problem.cost(&(&p + s)).ok()?;
                    (m.value(s), l1 - l0)
                }
                None => (f64::NAN, f64::NAN),
            };
            Some(ModelFit {
                entry,
                shape: m.shape(),
                predicted,
                actual,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::race::OptimizerKind;

    #[test]
    fn newton_climbs_on_the_cosine_and_lands_on_the_saddle() {
        let newton = OptimizerSpec::new(OptimizerKind::Newton).damping(0.0);
        let cfg = RaceConfig {
            max_iters: 50,
            ..RaceConfig::default()
        };
        let t = cosine_runs(&[(0.5, newton.clone())], &cfg);
        let x = t[0].final_point().unwrap()[0];
        assert!((x - CosineWell.local_maximum()).abs() < 1e-9, "{x}");
        let t = saddle_runs([1.5, 0.5], &[newton], &cfg);
        assert_eq!(t[0].iterates[1], vec![0.0, 0.0]);
    }

    #[test]
    fn the_output_slice_model_fits_near_the_minimum() {
        let problem = XorProblem::reference();
        let t = run(
            &problem,
            &array![2.0, -2.0],
            &OptimizerSpec::new(OptimizerKind::Newton).damping(0.0),
            &RaceConfig::default(),
        );
        let fit = model_fit(&problem, &t, ModelCurvature::Hessian, 4);
        assert_eq!(fit.len(), 4);
        assert!(fit.iter().all(|f| f.shape == ModelShape::Bowl));
        // Far away the model overestimates the decrease; near, it fits.
        assert!(fit[0].predicted < 2.0 * fit[0].actual);
        assert!((fit[3].predicted / fit[3].actual - 1.0).abs() < 0.01);
    }
}
