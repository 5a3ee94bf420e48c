//! The sweep itself: its settings, the timing of each point, and the
//! budget's choice between measuring and extrapolating.

use crate::stats::{median, median_seconds};
use std::time::Instant;

use argmin::core::{Gradient, Hessian};
use ndarray::Array1;

use super::memory::curvature_memory;
use super::model::{
    decide, iteration_work, nominal_counts, per_iteration, Budget, Decision, NetworkFamily,
    PerIteration, Provenance,
};
use super::results::{ScalingConfig, ScalingPoint, ScalingStudy, SlopeRow};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::problem::XorProblem;
use crate::race::{run, OptimizerKind, OptimizerSpec, RaceConfig};
use crate::solvers::solve_damped;

/// The study's eight optimizers with the reference race's settings: GD
/// (step 0.5), Adam (step 0.05), L-BFGS, BFGS, Newton, GGN, Hessian-free and
/// K-FAC (damping 0.1).
pub fn study_optimizers() -> Vec<OptimizerSpec> {
    use OptimizerKind as K;
    vec![
        OptimizerSpec::new(K::Gd).lr(0.5),
        OptimizerSpec::new(K::Adam).lr(0.05),
        OptimizerSpec::new(K::Lbfgs),
        OptimizerSpec::new(K::Bfgs),
        OptimizerSpec::new(K::Newton),
        OptimizerSpec::new(K::Ggn),
        OptimizerSpec::new(K::HessianFree),
        OptimizerSpec::new(K::Kfac),
    ]
}

impl ScalingConfig {
    /// The full sweep: `2-h-1` from `h = 2` (`D = 9`) to `h = 25 000`
    /// (`D = 100 001`), `2-h-h-1` from `h = 2` (`D = 15`) to `h = 316`
    /// (`D = 101 437`), the default [`Budget`] (0.5 s, 2 GB), 3 timed
    /// iterations, time to loss 0.05 at `h = 4, 16, 64, 256` capped at 2 s.
    pub fn full() -> Self {
        Self {
            shallow_widths: vec![
                2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 25000,
            ],
            deep_widths: vec![2, 3, 5, 8, 12, 18, 27, 40, 60, 90, 135, 200, 316],
            optimizers: study_optimizers(),
            budget: Budget::default(),
            repeats: 3,
            seed: 0,
            target_widths: vec![4, 16, 64, 256],
            target_loss: 0.05,
            target_cap_seconds: 2.0,
        }
    }

    /// A sweep for tests and the notebook (a few seconds): `2-h-1` up to
    /// `h = 2048`, `2-h-h-1` up to `h = 60`, a budget of 20 ms and 64 MB per
    /// iteration, time to loss 0.05 at `h = 4, 16` capped at 0.25 s.
    pub fn quick() -> Self {
        Self {
            shallow_widths: vec![2, 4, 8, 16, 32, 64, 128, 256, 512, 2048],
            deep_widths: vec![2, 4, 8, 16, 32, 60],
            budget: Budget {
                seconds_per_iter: 0.02,
                bytes: 64e6,
            },
            target_widths: vec![4, 16],
            target_cap_seconds: 0.25,
            ..Self::full()
        }
    }

    /// The widths of `family`.
    pub fn widths(&self, family: NetworkFamily) -> &[usize] {
        match family {
            NetworkFamily::Shallow => &self.shallow_widths,
            NetworkFamily::Deep => &self.deep_widths,
        }
    }

    fn validate(&self) -> Result<()> {
        let bad = |what: &str| Err(Error::InvalidConfig(format!("scaling study: {what}")));
        if self.repeats < 2 {
            return bad("at least 2 timed iterations are needed for a median");
        }
        if !(self.budget.seconds_per_iter > 0.0 && self.budget.bytes > 0.0) {
            return bad("the budget must be positive");
        }
        let widths = self.shallow_widths.iter().chain(&self.deep_widths);
        if widths.chain(&self.target_widths).any(|&h| h == 0) {
            return bad("widths must be positive");
        }
        if !(self.target_loss.is_finite() && self.target_cap_seconds > 0.0) {
            return bad("the target loss must be finite and the cap positive");
        }
        Ok(())
    }
}

struct Measurement {
    seconds: f64,
    counts: PerIteration,
    form: Option<f64>,
    solve: Option<f64>,
}

/// Runs `spec` for `repeats + 1` iterations (no step-norm stop) and takes
/// the median time of iterations `2 … repeats + 1`; for Newton also times
/// forming `H` and the damped solve on their own.
fn measure(
    problem: &XorProblem,
    start: &Array1<f64>,
    spec: &OptimizerSpec,
    repeats: usize,
) -> std::result::Result<Measurement, String> {
    let cfg = RaceConfig {
        max_iters: repeats as u64 + 1,
        tol: 0.0,
        divergence_factor: 1e12,
        // the study keeps its own memory budget (`Budget::bytes`)
        max_dense_bytes: u64::MAX,
        ..RaceConfig::default()
    };
    let trace = run(problem, start, spec, &cfg);
    let counts = per_iteration(&trace).ok_or_else(|| {
        format!(
            "stopped after {} iteration(s): {}",
            trace.steps(),
            trace.stop.short()
        )
    })?;
    let times: Vec<f64> = (2..trace.elapsed_ms.len())
        .map(|i| (trace.elapsed_ms[i] - trace.elapsed_ms[i - 1]) * 1e-3)
        .collect();
    let (mut form, mut solve) = (None, None);
    if spec.kind == OptimizerKind::Newton {
        let lambda = spec.settings(&cfg).damping.unwrap_or(cfg.damping);
        let h = Hessian::hessian(problem, start).map_err(|e| e.to_string())?;
        let g = Gradient::gradient(problem, start).map_err(|e| e.to_string())?;
        form = Some(median_seconds(repeats, || Hessian::hessian(problem, start)));
        solve = Some(median_seconds(repeats, || solve_damped(&h, lambda, &g)));
    }
    Ok(Measurement {
        seconds: median(&times),
        counts,
        form,
        solve,
    })
}

/// Timed iterations for a point predicted to take `predicted` seconds per
/// iteration: as many as fit in 20 ms, at least `repeats` and at most
/// `5 × repeats` (cheap points are the noisiest).
fn timed_iterations(predicted: f64, repeats: usize) -> usize {
    let fit = (0.02 / predicted).floor();
    if fit.is_finite() && fit > 0.0 {
        (fit.min(1e6) as usize).clamp(repeats, 5 * repeats)
    } else {
        repeats
    }
}

/// What the sweep remembers of the last measured size of one optimizer and family.
#[derive(Clone, Copy)]
struct Calibration {
    seconds_per_work: f64,
    form_rate: Option<f64>,
    solve_rate: Option<f64>,
    counts: PerIteration,
}

impl ScalingStudy {
    /// Runs the study (see the module documentation).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an invalid configuration. A solver that
    /// fails gives a [`Provenance::Failed`] point, never an error.
    pub fn run(cfg: &ScalingConfig) -> Result<Self> {
        Self::run_with(cfg, |_| {})
    }

    /// [`ScalingStudy::run`], calling `progress` after each point.
    ///
    /// # Errors
    /// As [`ScalingStudy::run`].
    pub fn run_with(cfg: &ScalingConfig, mut progress: impl FnMut(&ScalingPoint)) -> Result<Self> {
        cfg.validate()?;
        let t0 = Instant::now();
        let data = Dataset::separable();
        let n = data.len();
        let mut points = Vec::new();
        for family in NetworkFamily::ALL {
            for spec in &cfg.optimizers {
                let mut cal: Option<Calibration> = None;
                let mut over = false;
                for &h in cfg.widths(family) {
                    let problem = XorProblem::full(data.clone(), &family.hidden(h))?;
                    let mlp = problem.mlp().clone();
                    let memory = curvature_memory(spec.kind, &mlp, n);
                    let counts = cal.map_or_else(|| nominal_counts(spec.kind, &mlp), |c| c.counts);
                    let work = iteration_work(spec.kind, &mlp, n, &counts);
                    // Before any measurement: assume 1 ns per multiply-add.
                    let rate = cal.map_or(1e-9, |c| c.seconds_per_work);
                    let predicted = rate * work.total();
                    let mut point = ScalingPoint {
                        optimizer: spec.label.clone(),
                        kind: spec.kind,
                        family,
                        width: h,
                        dim: mlp.num_params(),
                        provenance: Provenance::Extrapolated,
                        note: String::new(),
                        seconds_per_iter: predicted,
                        form_seconds: None,
                        solve_seconds: None,
                        memory,
                        counts,
                        work,
                    };
                    match decide(&cfg.budget, predicted, memory.peak_bytes, over) {
                        Decision::Extrapolate(why) => {
                            over = true;
                            point.note = why;
                            if let Some(c) = cal {
                                point.form_seconds = c.form_rate.map(|r| r * work.form);
                                point.solve_seconds = c.solve_rate.map(|r| r * work.solve);
                            }
                        }
                        Decision::Run => {
                            let start = mlp.init(cfg.seed);
                            let reps = timed_iterations(predicted, cfg.repeats);
                            match measure(&problem, &start, spec, reps) {
                                Ok(m) => {
                                    let work = iteration_work(spec.kind, &mlp, n, &m.counts);
                                    point.provenance = Provenance::Measured;
                                    point.seconds_per_iter = m.seconds;
                                    point.form_seconds = m.form;
                                    point.solve_seconds = m.solve;
                                    point.counts = m.counts;
                                    point.work = work;
                                    cal = Some(Calibration {
                                        seconds_per_work: m.seconds / work.total(),
                                        form_rate: m.form.map(|s| s / work.form),
                                        solve_rate: m.solve.map(|s| s / work.solve),
                                        counts: m.counts,
                                    });
                                    over = m.seconds > cfg.budget.seconds_per_iter;
                                }
                                Err(why) => {
                                    point.provenance = Provenance::Failed;
                                    point.seconds_per_iter = f64::NAN;
                                    point.note = why;
                                }
                            }
                        }
                    }
                    progress(&point);
                    points.push(point);
                }
            }
        }
        let mut study = Self {
            config: cfg.clone(),
            points,
            slopes: Vec::new(),
            crossovers: Vec::new(),
            targets: Vec::new(),
            seconds: 0.0,
        };
        study.slopes = study.fit_slopes();
        study.crossovers = NetworkFamily::ALL
            .iter()
            .filter_map(|&f| study.newton_crossover(f, n))
            .collect();
        study.targets = study.time_to_target(&data)?;
        study.seconds = t0.elapsed().as_secs_f64();
        Ok(study)
    }

    /// The points of one optimizer (by label) on one family, by width.
    pub fn series(&self, optimizer: &str, family: NetworkFamily) -> Vec<&ScalingPoint> {
        self.points
            .iter()
            .filter(|p| p.optimizer == optimizer && p.family == family)
            .collect()
    }

    /// The slope row of one optimizer (by label) on one family.
    pub fn slope(&self, optimizer: &str, family: NetworkFamily) -> Option<&SlopeRow> {
        self.slopes
            .iter()
            .find(|r| r.optimizer == optimizer && r.family == family)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_budget_is_never_run() {
        // A study whose memory budget only admits the smallest networks.
        let cfg = ScalingConfig {
            shallow_widths: vec![2, 4, 64],
            deep_widths: vec![2, 8],
            optimizers: vec![
                OptimizerSpec::new(OptimizerKind::Gd).lr(0.5),
                OptimizerSpec::new(OptimizerKind::Newton),
                OptimizerSpec::new(OptimizerKind::Kfac),
            ],
            budget: Budget {
                seconds_per_iter: 10.0,
                bytes: 8.0 * 4.0 * 17.0 * 17.0 + 1.0, // Newton at 2-4-1 (D = 17) just fits
            },
            target_widths: vec![2],
            target_cap_seconds: 0.05,
            ..ScalingConfig::quick()
        };
        let study = ScalingStudy::run(&cfg).unwrap();
        assert_eq!(study.points.len(), 3 * 5);
        for p in &study.points {
            let fits = p.memory.peak_bytes <= cfg.budget.bytes;
            if p.provenance == Provenance::Measured {
                assert!(
                    fits,
                    "{} at D = {} measured over budget",
                    p.optimizer, p.dim
                );
                assert!(p.note.is_empty());
            } else {
                assert!(!p.note.is_empty());
            }
            if !fits {
                assert_eq!(p.provenance, Provenance::Extrapolated, "{p:?}");
                assert!(p.seconds_per_iter > 0.0);
            }
        }
        let newton = study.series("Newton", NetworkFamily::Shallow);
        let prov: Vec<_> = newton.iter().map(|p| p.provenance).collect();
        assert_eq!(
            prov,
            [
                Provenance::Measured,
                Provenance::Measured,
                Provenance::Extrapolated
            ]
        );
        // the extrapolated Newton point splits its prediction too
        assert!(newton[2].form_seconds.is_some() && newton[2].solve_seconds.is_some());
        // slopes are fitted on measured points only
        let row = study.slope("Newton", NetworkFamily::Shallow).unwrap();
        assert_eq!((row.measured, row.time_all.map(|f| f.points)), (2, Some(2)));
        assert!(study
            .slope("Newton", NetworkFamily::Deep)
            .unwrap()
            .time_all
            .is_none());
        let csv = study.to_csv().unwrap();
        assert_eq!(csv.lines().count(), 1 + study.points.len());
        assert!(csv.contains(",extrapolated,") && csv.contains(",measured,"));
        assert_eq!(study.panels().len(), 4);
    }

    #[test]
    fn cheap_points_get_more_timed_iterations() {
        assert_eq!(timed_iterations(1.0, 3), 3);
        assert_eq!(timed_iterations(0.004, 3), 5);
        assert_eq!(timed_iterations(1e-6, 3), 15);
        assert_eq!(timed_iterations(f64::NAN, 3), 3);
    }

    #[test]
    fn invalid_configs_are_errors() {
        let bad = [
            ScalingConfig {
                repeats: 1,
                ..ScalingConfig::quick()
            },
            ScalingConfig {
                shallow_widths: vec![0],
                ..ScalingConfig::quick()
            },
            ScalingConfig {
                budget: Budget {
                    seconds_per_iter: 0.0,
                    bytes: 1.0,
                },
                ..ScalingConfig::quick()
            },
        ];
        for cfg in bad {
            assert!(ScalingStudy::run(&cfg).is_err());
        }
    }
}
